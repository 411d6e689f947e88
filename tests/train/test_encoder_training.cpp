// Short M1 trainings: on debtags (real data) accuracy must rise well above the untrained encoder; on generated
// data the same seed on one thread must give the same model.
#include "train/encoder_trainer.h"

#include <omp.h>

#include <random>
#include <tuple>

#include "data/dataset.h"
#include "data/filter_pairs.h"
#include "encoder/bow_encoder.h"
#include "eval/metrics.h"
#include "eval/propensity.h"
#include "predict/label_ranker.h"
#include "test_util.h"

namespace ngame {
namespace {

double precision_at_1(const Encoder& encoder, const DatasetSplit& test, const EncoderInput& labels,
                      const SparseMatrix& train_labels) {
  SparseMatrix pred = rank_with_encoder(encoder, *encoder.prepare(test.texts), labels, 5);
  return compute_metrics(pred, test.labels, inverse_propensity(train_labels), 5).precision[0];
}

TEST(EncoderTraining, DebtagsLiftsPrecisionWellAboveUntrained) {
  const std::string shared = testing::shared_dir();
  if (shared.empty()) GTEST_SKIP() << "../shared not present";
  Dataset data = load_dataset(shared + "/data/debtags-bookworm");
  Featurizer f({.min_count = 2, .bigram_buckets = 1 << 14});
  f.fit({&data.train.texts, &data.label_texts});
  BowEncoder encoder(std::move(f), {.dim = 64, .hidden = 64, .embedding_lr = 1e-2f}, 1);
  auto docs = encoder.prepare(data.train.texts);
  auto labels = encoder.prepare(data.label_texts);
  const double before = precision_at_1(encoder, *data.test, *labels, data.train.labels);
  EncoderTrainConfig config;
  config.epochs = 4;
  config.batching.batch_size = 256;
  config.batching.curriculum_epochs = {2, 3};
  train_encoder(encoder, *docs, data.train.labels, *labels, config);
  const double after = precision_at_1(encoder, *data.test, *labels, data.train.labels);
  EXPECT_LT(before, 0.35);
  EXPECT_GT(after, 0.60) << "untrained " << before;
}

TEST(EncoderTraining, SameSeedOnOneThreadGivesTheSameModel) {
  std::mt19937 rng(4);
  const char* words[] = {"alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "theta"};
  TextCorpus docs, labels;
  SparseMatrix y;
  y.cols = 8;
  for (int l = 0; l < 8; ++l) labels.push_back(std::string(words[l]) + " label");
  for (int i = 0; i < 300; ++i) {
    const uint32_t a = rng() % 8, b = rng() % 8;
    docs.push_back(std::string(words[a]) + " " + words[b] + " doc");
    std::vector<uint32_t> ids = {std::min(a, b), std::max(a, b)};
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    y.append_row(ids, std::vector<float>(ids.size(), 1.0f));
  }
  auto run = [&]() {
    Featurizer f({.min_count = 1, .bigram_buckets = 16});
    f.fit({&docs, &labels});
    BowEncoder encoder(std::move(f), {.dim = 16, .hidden = 8}, 5);
    auto di = encoder.prepare(docs);
    auto li = encoder.prepare(labels);
    EncoderTrainConfig config;
    config.epochs = 3;
    config.batching.batch_size = 32;
    config.batching.curriculum_epochs = {1};
    config.seed = 5;
    std::vector<float> untrained(labels.size() * 16), out(labels.size() * 16);
    encoder.embed_all(*li, untrained.data());
    auto history = train_encoder(encoder, *di, y, *li, config);
    encoder.embed_all(*li, out.data());
    return std::make_tuple(out, history.back().loss, untrained, history.front().loss);
  };
  omp_set_num_threads(1);
  auto first = run();
  auto second = run();
  EXPECT_EQ(std::get<0>(first), std::get<0>(second));
  EXPECT_EQ(std::get<1>(first), std::get<1>(second));
  // Equal because trained alike, not because nothing was trained: the vectors moved and the loss fell.
  EXPECT_NE(std::get<0>(first), std::get<2>(first));
  EXPECT_LT(std::get<1>(first), std::get<3>(first));
}

TEST(LinearSchedule, WarmupThenDecay) {
  EXPECT_FLOAT_EQ(linear_schedule(0, 10, 110), 0.1f);
  EXPECT_FLOAT_EQ(linear_schedule(9, 10, 110), 1.0f);
  EXPECT_FLOAT_EQ(linear_schedule(10, 10, 110), 1.0f);
  EXPECT_FLOAT_EQ(linear_schedule(60, 10, 110), 0.5f);
  EXPECT_FLOAT_EQ(linear_schedule(110, 10, 110), 0.0f);
}

}  // namespace
}  // namespace ngame
