#include "train/classifier_trainer.h"

#include <random>

#include "core/dense_math.h"
#include "core/topk_search.h"
#include "test_util.h"

namespace ngame {
namespace {

// Documents near their label's direction, but label embeddings (the classifiers' start) are noisy copies:
// M4 must move the classifiers towards the documents; a label without documents must keep its embedding.
TEST(ClassifierTrainer, LearnsFromDocumentsAndKeepsZeroShotLabels) {
  const uint32_t d = 16, labels = 20, docs = 2000;
  std::mt19937 rng(3);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> truth(labels * d), label_emb(labels * d), doc_emb(docs * d);
  for (float& v : truth) v = dist(rng);
  normalize_rows(truth.data(), labels, d);
  for (size_t i = 0; i < label_emb.size(); ++i) label_emb[i] = truth[i] + 2.5f * dist(rng) / std::sqrt(float(d));
  normalize_rows(label_emb.data(), labels, d);
  SparseMatrix y;
  y.cols = labels;
  for (uint32_t i = 0; i < docs; ++i) {
    const uint32_t l = i % (labels - 1);  // label 19 has no documents
    for (uint32_t j = 0; j < d; ++j) doc_emb[i * d + j] = truth[l * d + j] + 0.3f * dist(rng) / std::sqrt(float(d));
    y.append_row(std::vector<uint32_t>{l}, std::vector<float>{1.0f});
  }
  normalize_rows(doc_emb.data(), docs, d);
  ClassifierTrainConfig c;
  c.epochs = 8;
  c.warmup_steps = 10;
  c.lr = 2e-3f;  // the toy is small: a faster rate than the default (tuned on WordNet)
  c.batching.batch_size = 128;
  c.batching.curriculum_epochs = {1, 2};
  auto accuracy = [&](const std::vector<float>& w) {
    std::vector<uint32_t> ids;
    std::vector<float> scores;
    exact_topk(doc_emb.data(), docs, w.data(), labels, d, 1, ids, scores);
    size_t hits = 0;
    for (uint32_t i = 0; i < docs; ++i) hits += ids[i] == i % (labels - 1);
    return static_cast<double>(hits) / docs;
  };
  std::vector<float> w = train_classifiers(doc_emb, y, label_emb, d, c);
  EXPECT_GT(accuracy(w), accuracy(label_emb) + 0.2) << "before " << accuracy(label_emb);
  EXPECT_GT(accuracy(w), 0.8);
  for (uint32_t j = 0; j < d; ++j) EXPECT_FLOAT_EQ(w[19 * d + j], label_emb[19 * d + j]);
}

}  // namespace
}  // namespace ngame
