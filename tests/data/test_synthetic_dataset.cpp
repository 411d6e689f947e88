// `ngame data synth`: deterministic for a seed, valid for the dataset checks, shaped as documented, learnable.
#include "data/synthetic_dataset.h"

#include "core/error.h"
#include "data/dataset.h"
#include "test_util.h"

namespace ngame {
namespace {

SyntheticDatasetConfig small(const std::string& dir, uint64_t seed) {
  SyntheticDatasetConfig c;
  c.output_dir = dir;
  c.docs = 3000;
  c.labels = 1000;
  c.seed = seed;
  return c;
}

TEST(SyntheticDataset, SameSeedSameBytesOtherSeedOtherBytes) {
  testing::TempDir a, b, c;
  build_synthetic_dataset(small(a.str(), 4));
  build_synthetic_dataset(small(b.str(), 4));
  build_synthetic_dataset(small(c.str(), 5));
  for (const char* f : {"Y.txt", "trn_X.txt", "trn_X_Y.txt", "tst_X.txt", "tst_X_Y.txt"}) {
    EXPECT_TRUE(testing::read_bytes(a.file(f)) == testing::read_bytes(b.file(f))) << f;
  }
  EXPECT_FALSE(testing::read_bytes(a.file("trn_X.txt")) == testing::read_bytes(c.file("trn_X.txt")));
}

TEST(SyntheticDataset, PassesTheDatasetChecksWithAHeadATailAndUnseenLabels) {
  testing::TempDir dir;
  SyntheticDatasetSummary s = build_synthetic_dataset(small(dir.str(), 1));
  Dataset data = load_dataset(dir.str(), {.require_test = true});
  ASSERT_EQ(data.train.labels.rows, 3000u);
  ASSERT_EQ(data.test->labels.rows, 750u);
  ASSERT_EQ(data.label_count(), 1000u);
  EXPECT_EQ(s.train_pairs, data.train.labels.indices.size());
  const double mean = static_cast<double>(s.train_pairs) / 3000.0;
  EXPECT_GT(mean, 3.0);
  EXPECT_LT(mean, 7.0);
  std::vector<uint64_t> counts = data.train.labels.column_counts();
  std::sort(counts.begin(), counts.end());
  EXPECT_GT(counts.back(), 20 * counts[counts.size() / 2] + 20);  // Zipf head far above the median
  size_t none = 0, one_or_two = 0;
  for (uint64_t n : counts) {
    none += n == 0;
    one_or_two += n == 1 || n == 2;
  }
  EXPECT_GE(none, 20u);       // at least the 2% never drawn for training
  EXPECT_GT(one_or_two, 50u);  // a long tail
  EXPECT_EQ(none, s.labels_without_train_rows);
}

TEST(SyntheticDataset, RejectsBadOptions) {
  testing::TempDir dir;
  SyntheticDatasetConfig c = small(dir.str(), 1);
  c.labels_per_doc = 0.5;
  EXPECT_THROW(build_synthetic_dataset(c), UsageError);
  c = small(dir.str(), 1);
  c.docs = 0;
  EXPECT_THROW(build_synthetic_dataset(c), UsageError);
}

}  // namespace
}  // namespace ngame
