#include "batching/batch_sampler.h"

#include <algorithm>
#include <random>

#include "core/error.h"
#include "test_util.h"

namespace ngame {
namespace {

SparseMatrix random_labels(uint32_t rows, uint32_t cols, std::mt19937& rng) {
  SparseMatrix m;
  m.cols = cols;
  std::uniform_int_distribution<uint32_t> pick(0, cols - 1);
  for (uint32_t r = 0; r < rows; ++r) {
    std::vector<uint32_t> ids;
    if (r % 10 != 9) {  // every tenth row has no label and must never be batched
      ids = {pick(rng), pick(rng)};
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    }
    m.append_row(ids, std::vector<float>(ids.size(), 1.0f));
  }
  return m;
}

TEST(BatchSampler, EpochCoversEveryLabelledRowOnceWithATruePositive) {
  std::mt19937 rng(1);
  SparseMatrix labels = random_labels(500, 40, rng);
  BatchingConfig config;
  config.mode = BatchingMode::kRandom;
  config.batch_size = 64;
  BatchSampler sampler(labels, config, 3);
  auto batches = sampler.epoch_batches(0);
  std::vector<uint32_t> seen;
  for (const Batch& b : batches) {
    EXPECT_LE(b.docs.size(), 64u);
    ASSERT_EQ(b.docs.size(), b.positives.size());
    for (size_t i = 0; i < b.docs.size(); ++i) {
      auto ids = labels.row_indices(b.docs[i]);
      EXPECT_NE(std::find(ids.begin(), ids.end(), b.positives[i]), ids.end());
      seen.push_back(b.docs[i]);
    }
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen.size(), 450u);
  EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end());
  for (uint32_t doc : seen) EXPECT_NE(doc % 10, 9u);
}

TEST(BatchSampler, NgameBatchesAreMadeOfWholeClustersAndGrowByMerging) {
  std::mt19937 rng(2);
  SparseMatrix labels = random_labels(1000, 50, rng);
  BatchingConfig config{.mode = BatchingMode::kNgame, .batch_size = 100, .initial_cluster_size = 1,
                        .curriculum_epochs = {1, 2}, .refresh_interval = 5};
  BatchSampler sampler(labels, config, 4);
  EXPECT_FALSE(sampler.needs_refresh(0));  // cluster size 1: random batches
  ASSERT_TRUE(sampler.needs_refresh(1));
  std::vector<float> emb(1000 * 4);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (float& v : emb) v = dist(rng);
  const uint32_t clusters = sampler.recluster(1, emb.data(), 4);
  EXPECT_EQ(clusters, 512u);  // 900 labelled rows, size 2 -> 2^ceil(log2(450))
  EXPECT_FALSE(sampler.needs_refresh(2));
  EXPECT_TRUE(sampler.grow_clusters(2));  // size 4: siblings merge, no re-clustering
  EXPECT_NEAR(sampler.average_cluster_size(), 900.0 / 256, 1e-9);
  EXPECT_TRUE(sampler.needs_refresh(6));
}

TEST(BatchSampler, SameSeedSameBatches) {
  std::mt19937 rng(3);
  SparseMatrix labels = random_labels(300, 20, rng);
  BatchingConfig config;
  config.mode = BatchingMode::kRandom;
  config.batch_size = 32;
  BatchSampler a(labels, config, 8), b(labels, config, 8);
  auto x = a.epoch_batches(2), y = b.epoch_batches(2);
  ASSERT_EQ(x.size(), y.size());
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(x[i].docs, y[i].docs);
    EXPECT_EQ(x[i].positives, y[i].positives);
  }
}

TEST(BatchSampler, RejectsBadSettings) {
  std::mt19937 rng(4);
  SparseMatrix labels = random_labels(10, 5, rng);
  BatchingConfig tiny;
  tiny.batch_size = 1;
  EXPECT_THROW(BatchSampler(labels, tiny, 1), UsageError);
  EXPECT_THROW(parse_batching_mode("clustered"), UsageError);
}

}  // namespace
}  // namespace ngame
