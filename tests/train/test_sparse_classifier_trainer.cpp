// The sparse per-label classifiers: mined negatives, thread-independent training, pruning, and end to end on a
// generated set whose labels are decided by single tokens, where the label embeddings alone fail.
#include "train/sparse_classifier_trainer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "core/error.h"
#include "core/runtime.h"
#include "data/dataset.h"
#include "model/model_store.h"
#include "predict/model_predictor.h"
#include "small_training.h"
#include "test_util.h"
#include "train/training_run.h"

namespace ngame {
namespace {

using testing::binary_matrix;

TEST(SparseClassifierTraining, MinedNegativesNeverIncludePositivesOrValidationRows) {
  // Rows x labels: what each row carries, and its nearest labels by embedding.
  const SparseMatrix carried = binary_matrix(4, {{0}, {1, 0}, {2}, {}, {3, 3}});
  const SparseMatrix shortlists = binary_matrix(4, {{0, 1, 2}, {0, 1, 3}, {0, 2}, {1, 2}, {0, 3}});
  const std::vector<uint8_t> validation = {0, 0, 0, 1, 0};  // row 3 is a validation row
  const SparseMatrix positives = rows_of_labels(carried, validation);
  EXPECT_EQ(positives.rows, 4u);
  EXPECT_EQ(std::vector<uint32_t>(positives.row_indices(0).begin(), positives.row_indices(0).end()),
            (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(positives.row_size(3), 1u);  // the duplicate 3 counts once
  const SparseMatrix negatives = mine_negatives(shortlists, positives, validation);
  auto row = [&](uint32_t l) {
    return std::vector<uint32_t>(negatives.row_indices(l).begin(), negatives.row_indices(l).end());
  };
  EXPECT_EQ(row(0), (std::vector<uint32_t>{2, 4}));  // rows 0, 1 carry label 0
  EXPECT_EQ(row(1), (std::vector<uint32_t>{0}));     // row 1 carries it, row 3 is validation
  EXPECT_EQ(row(2), (std::vector<uint32_t>{0}));     // row 2 carries it, row 3 is validation
  EXPECT_EQ(row(3), (std::vector<uint32_t>{1}));     // row 4 carries it
  // The same property on a random case.
  std::mt19937 rng(3);
  SparseMatrix big_carried, big_short;
  big_carried.cols = big_short.cols = 50;
  std::vector<uint8_t> skip;
  for (int r = 0; r < 2000; ++r) {
    std::vector<uint32_t> c = {static_cast<uint32_t>(rng() % 50)}, s;
    for (int k = 0; k < 8; ++k) s.push_back(static_cast<uint32_t>(rng() % 50));
    big_carried.append_row(c, std::vector<float>(1, 1.0f));
    big_short.append_row(s, std::vector<float>(s.size(), 1.0f));
    skip.push_back(rng() % 10 == 0);
  }
  const SparseMatrix pos = rows_of_labels(big_carried, skip);
  const SparseMatrix neg = mine_negatives(big_short, pos, skip);
  uint64_t checked = 0;
  for (uint32_t l = 0; l < 50; ++l) {
    for (uint32_t r : neg.row_indices(l)) {
      EXPECT_FALSE(skip[r]);
      EXPECT_NE(big_carried.row_indices(r)[0], l);
      ++checked;
    }
  }
  EXPECT_GT(checked, 5000u);
  // A label with positives that no other row's shortlist holds gets a few other rows as negatives.
  const SparseMatrix lonely_carried = binary_matrix(3, {{2}, {0}, {1}, {0}, {1}, {0}});
  const SparseMatrix lonely_short = binary_matrix(3, {{2}, {0, 1}, {0, 1}, {0, 1}, {0, 1}, {}});
  const std::vector<uint8_t> lonely_skip = {0, 0, 0, 0, 1, 1};
  const SparseMatrix lonely_pos = rows_of_labels(lonely_carried, lonely_skip);
  const SparseMatrix lonely_neg = mine_negatives(lonely_short, lonely_pos, lonely_skip);
  ASSERT_GT(lonely_neg.row_size(2), 0u);
  for (uint32_t r : lonely_neg.row_indices(2)) {
    EXPECT_NE(r, 0u);       // it carries label 2
    EXPECT_FALSE(lonely_skip[r]);
  }
}

TEST(SparseClassifierTraining, OneVsRestNegativesAreEveryOtherFittingRow) {
  // Rows x labels; row 3 is a validation row, row 5 has no label: neither fits.
  const SparseMatrix carried = binary_matrix(5, {{0}, {1, 0}, {2}, {1}, {3, 3}, {}});
  const std::vector<uint8_t> validation = {0, 0, 0, 1, 0, 0};
  const std::vector<uint8_t> fitting = {1, 1, 1, 0, 1, 0};
  const SparseMatrix positives = rows_of_labels(carried, validation);
  const SparseMatrix negatives = every_other_row(positives, fitting);
  ASSERT_EQ(negatives.rows, 5u);
  auto row = [&](uint32_t l) {
    return std::vector<uint32_t>(negatives.row_indices(l).begin(), negatives.row_indices(l).end());
  };
  EXPECT_EQ(row(0), (std::vector<uint32_t>{2, 4}));     // rows 0, 1 carry label 0
  EXPECT_EQ(row(1), (std::vector<uint32_t>{0, 2, 4}));  // row 1 carries it; row 3 (validation) is not a negative
  EXPECT_EQ(row(2), (std::vector<uint32_t>{0, 1, 4}));
  EXPECT_EQ(row(3), (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_TRUE(row(4).empty());  // no positives: no classifier, so no negatives
  // On a random case: never a positive, never a row that does not fit, and every other fitting row.
  std::mt19937 rng(9);
  SparseMatrix big;
  big.cols = 30;
  std::vector<uint8_t> skip, fit;
  for (int r = 0; r < 600; ++r) {
    std::vector<uint32_t> c;
    for (int k = 0; k < 1 + static_cast<int>(rng() % 3); ++k) c.push_back(static_cast<uint32_t>(rng() % 30));
    if (rng() % 20 == 0) c.clear();
    big.append_row(c, std::vector<float>(c.size(), 1.0f));
    skip.push_back(!c.empty() && rng() % 10 == 0);
    fit.push_back(!c.empty() && !skip.back());
  }
  const SparseMatrix pos = rows_of_labels(big, skip);
  const SparseMatrix neg = every_other_row(pos, fit);
  for (uint32_t l = 0; l < 30; ++l) {
    if (pos.row_size(l) == 0) continue;
    uint64_t expected = 0;
    for (uint32_t r = 0; r < 600; ++r) {
      const auto carried_by = big.row_indices(r);
      expected += fit[r] && std::find(carried_by.begin(), carried_by.end(), l) == carried_by.end();
    }
    EXPECT_EQ(neg.row_size(l), expected) << "label " << l;
    for (uint32_t r : neg.row_indices(l)) {
      EXPECT_TRUE(fit[r]);
      const auto carried_by = big.row_indices(r);
      EXPECT_EQ(std::find(carried_by.begin(), carried_by.end(), l), carried_by.end());
    }
  }
}

// Rows over features 0..5: label 0 is decided by feature 0, label 1 by feature 1; features 2..5 are noise.
FeatureRows token_rows(size_t n, std::vector<std::vector<uint32_t>>& labels_of) {
  std::mt19937 rng(11);
  FeatureRows rows;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t key = static_cast<uint32_t>(i % 2);
    std::vector<uint32_t> ids = {key, static_cast<uint32_t>(2 + rng() % 4)};
    std::sort(ids.begin(), ids.end());
    for (uint32_t id : ids) {
      rows.ids.push_back(id);
      rows.weights.push_back(static_cast<float>(1.0 / std::sqrt(2.0)));
    }
    rows.offsets.push_back(rows.ids.size());
    labels_of.push_back({key});
  }
  return rows;
}

TEST(SparseClassifierTraining, SameWeightsOnOneThreadAndTwo) {
  // 150 labels over 400 rows of random features: both threads take labels.
  std::mt19937 rng(5);
  FeatureRows docs;
  SparseMatrix carried, shortlists;
  carried.cols = shortlists.cols = 150;
  for (int r = 0; r < 400; ++r) {
    std::vector<uint32_t> ids;
    for (int f = 0; f < 6; ++f) ids.push_back(static_cast<uint32_t>(rng() % 80));
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (uint32_t id : ids) {
      docs.ids.push_back(id);
      docs.weights.push_back(1.0f / std::sqrt(static_cast<float>(ids.size())));
    }
    docs.offsets.push_back(docs.ids.size());
    const std::vector<uint32_t> c = {static_cast<uint32_t>(rng() % 150), static_cast<uint32_t>(rng() % 150)};
    std::vector<uint32_t> s;
    for (int k = 0; k < 20; ++k) s.push_back(static_cast<uint32_t>(rng() % 150));
    carried.append_row(c, std::vector<float>(c.size(), 1.0f));
    shortlists.append_row(s, std::vector<float>(s.size(), 1.0f));
  }
  const SparseMatrix positives = rows_of_labels(carried);
  const SparseMatrix negatives = mine_negatives(shortlists, positives, {});
  SparseClassifierConfig config;
  nlohmann::json report;
  set_thread_count(1);
  const SparseClassifiers one = train_sparse_classifiers(docs, 80, positives, negatives, config, report);
  set_thread_count(2);
  const SparseClassifiers two = train_sparse_classifiers(docs, 80, positives, negatives, config, report);
  set_thread_count(1);
  EXPECT_GT(report["labels_trained"].get<uint64_t>(), 100u);
  EXPECT_EQ(one.offsets, two.offsets);
  EXPECT_EQ(one.ids, two.ids);
  EXPECT_EQ(one.weights, two.weights);
  EXPECT_EQ(one.bias, two.bias);
}

TEST(SparseClassifierTraining, SolvesTheSquaredHingeProblem) {
  // At convergence the primal gradient of 0.5 (|w|^2 + b^2) + C sum max(0, 1 - y (w.x + b))^2 vanishes.
  std::vector<std::vector<uint32_t>> labels_of;
  const FeatureRows docs = token_rows(60, labels_of);
  const SparseMatrix positives = rows_of_labels(binary_matrix(2, labels_of));
  const SparseMatrix shortlists = binary_matrix(2, std::vector<std::vector<uint32_t>>(60, {0, 1}));
  const SparseMatrix negatives = mine_negatives(shortlists, positives, {});
  SparseClassifierConfig config;
  config.prune = 0.0f;
  config.tolerance = 1e-5f;
  config.max_passes = 5000;
  config.cost = 0.7f;
  nlohmann::json report;
  const SparseClassifiers c = train_sparse_classifiers(docs, 6, positives, negatives, config, report);
  for (uint32_t l = 0; l < 2; ++l) {
    std::vector<double> w(6, 0.0), grad(6, 0.0);
    for (uint64_t p = c.offsets[l]; p < c.offsets[l + 1]; ++p) w[c.ids[p]] = c.weights[p];
    const double b = c.bias[l];
    for (size_t f = 0; f < 6; ++f) grad[f] = w[f];
    double grad_b = b;
    for (size_t r = 0; r < docs.size(); ++r) {
      const double y = labels_of[r][0] == l ? 1.0 : -1.0;
      double m = b;
      for (uint64_t p = docs.offsets[r]; p < docs.offsets[r + 1]; ++p) m += docs.weights[p] * w[docs.ids[p]];
      const double slack = 1.0 - y * m;
      if (slack <= 0) continue;
      for (uint64_t p = docs.offsets[r]; p < docs.offsets[r + 1]; ++p) {
        grad[docs.ids[p]] -= 2.0 * config.cost * slack * y * docs.weights[p];
      }
      grad_b -= 2.0 * config.cost * slack * y;
    }
    for (size_t f = 0; f < 6; ++f) EXPECT_NEAR(grad[f], 0.0, 1e-3) << "label " << l << " feature " << f;
    EXPECT_NEAR(grad_b, 0.0, 1e-3) << "label " << l;
  }
}

TEST(SparseClassifierTraining, PrunedBelowTheThreshold) {
  std::vector<std::vector<uint32_t>> labels_of;
  const FeatureRows docs = token_rows(400, labels_of);
  const SparseMatrix carried = binary_matrix(2, labels_of);
  const SparseMatrix positives = rows_of_labels(carried);
  const SparseMatrix everyone = binary_matrix(2, std::vector<std::vector<uint32_t>>(400, {0, 1}));
  const SparseMatrix negatives = mine_negatives(everyone, positives, {});
  SparseClassifierConfig config;
  config.prune = 0.0f;
  config.label_text_positive = false;
  nlohmann::json report;
  const SparseClassifiers one = train_sparse_classifiers(docs, 6, positives, negatives, config, report);
  // Each label's own token weighs most; the other label's token counts against it.
  auto weight = [](const SparseClassifiers& c, uint32_t l, uint32_t f) {
    for (uint64_t p = c.offsets[l]; p < c.offsets[l + 1]; ++p) {
      if (c.ids[p] == f) return c.weights[p];
    }
    return 0.0f;
  };
  EXPECT_GT(weight(one, 0, 0), 0.5f);
  EXPECT_LT(weight(one, 0, 1), -0.5f);
  EXPECT_GT(weight(one, 1, 1), 0.5f);
  // Pruning drops exactly the weights below the threshold.
  config.prune = 0.2f;
  const SparseClassifiers pruned = train_sparse_classifiers(docs, 6, positives, negatives, config, report);
  size_t small = 0;
  for (float w : one.weights) small += std::fabs(w) < 0.2f;
  EXPECT_GT(small, 0u);
  EXPECT_EQ(pruned.ids.size(), one.ids.size() - small);
  for (float w : pruned.weights) EXPECT_GE(std::fabs(w), 0.2f);
}

// A generated set whose labels are each decided by one of their many key words, among filler words every label
// shares: each key word occurs in about a dozen training texts, too rarely for the label embeddings to learn it.
Dataset single_token_dataset(size_t rows, std::vector<std::string>& test_texts, SparseMatrix& test_labels) {
  constexpr uint32_t kLabels = 20, kKeys = 200, kFiller = 300;
  std::mt19937 rng(7);
  auto text_for = [&](uint32_t key) {
    std::string t;
    // (appended piece by piece: GCC 12 warns wrongly on `"literal" + std::to_string(...)` here, bug 105651)
    for (int w = 0; w < 6; ++w) t.append("f").append(std::to_string(rng() % kFiller)).append(" ");
    t.append("key").append(std::to_string(key)).append(" f").append(std::to_string(rng() % kFiller));
    return t;
  };
  std::vector<std::string> texts;
  SparseMatrix labels;
  labels.cols = kLabels;
  test_labels = SparseMatrix();
  test_labels.cols = kLabels;
  for (size_t i = 0; i < rows; ++i) {
    const auto key = static_cast<uint32_t>(i % kKeys);
    texts.push_back(text_for(key));
    labels.append_row(std::vector<uint32_t>{key % kLabels}, std::vector<float>{1.0f});
  }
  for (uint32_t key = 0; key < kKeys; key += 3) {  // every key word was seen in training
    test_texts.push_back(text_for(key));
    test_labels.append_row(std::vector<uint32_t>{key % kLabels}, std::vector<float>{1.0f});
  }
  std::vector<std::string> label_texts;
  for (uint32_t l = 0; l < kLabels; ++l) label_texts.push_back("group g" + std::to_string(l));
  return make_dataset(texts, labels, label_texts);
}

double precision_at_1(const SparseMatrix& pred, const SparseMatrix& truth) {
  double hits = 0;
  for (uint64_t r = 0; r < pred.rows; ++r) {
    hits += pred.row_size(r) > 0 && pred.row_indices(r)[0] == truth.row_indices(r)[0];
  }
  return hits / static_cast<double>(pred.rows);
}

TEST(SparseClassifierTraining, SeparateLabelsDecidedBySingleTokensWhereTheEmbeddingFails) {
  set_thread_count(1);
  std::vector<std::string> test;
  SparseMatrix test_labels;
  const Dataset data = single_token_dataset(2400, test, test_labels);
  TrainConfig c = testing::small_train_config();
  c.train.epochs = 4;
  c.reranker.trees = 0;
  c.sparse.prune = 0.05f;
  ModelParts model = train_model(data, c);
  ASSERT_FALSE(model.sparse_classifiers.empty());
  for (float w : model.sparse_classifiers.weights) ASSERT_GE(std::fabs(w), 0.05f);
  const TextCorpus texts = testing::make_corpus(test);
  ModelPredictor predictor(model, {});
  SearchParams only;
  only.only = "sparse";
  const double sparse = precision_at_1(predictor.predict(texts, 1, only), test_labels);
  only.only = "embedding";
  const double embedding = precision_at_1(predictor.predict(texts, 1, only), test_labels);
  EXPECT_GT(sparse, 0.9) << "embedding alone " << embedding;
  EXPECT_LT(embedding, sparse - 0.3) << "sparse alone " << sparse;
  const double fused = precision_at_1(predictor.predict(texts, 1), test_labels);
  EXPECT_GT(fused, embedding + 0.3);
  {
    // By default a set this small (about 2,290 fitting rows x 20 labels, under SparseClassifierConfig's pairs) is
    // trained plain one-vs-rest: every fitting row (labelled, not held out) is a negative of the 19 labels it does
    // not carry, at C 1.
    const nlohmann::json& info = model.manifest["data"];
    const uint64_t fitting = 2400 - info["validation_rows"].get<uint64_t>();
    EXPECT_EQ(info["timings"]["sparse_one_vs_rest"].get<int>(), 1);
    EXPECT_EQ(info["timings"]["sparse_negatives"].get<uint64_t>(), 19 * fitting);
    EXPECT_EQ(info["timings"]["sparse_cost"].get<double>(), 1.0);
    // Mined negatives (one-vs-rest off): other weights, and they separate too.
    TrainConfig mined = c;
    mined.sparse.one_vs_rest_pairs = 0;
    const ModelParts by_mining = train_model(data, mined);
    EXPECT_NE(by_mining.sparse_classifiers.weights, model.sparse_classifiers.weights);
    EXPECT_EQ(by_mining.manifest["data"]["timings"]["sparse_one_vs_rest"].get<int>(), 0);
    EXPECT_EQ(by_mining.manifest["data"]["timings"]["sparse_cost"].get<double>(), 2.0);
    ModelPredictor by_mined(by_mining, {});
    only.only = "sparse";
    EXPECT_GT(precision_at_1(by_mined.predict(texts, 1, only), test_labels), 0.9);
    // Fewer pairs allowed than its fitting rows x 20 labels: mined, as with one-vs-rest off.
    mined.sparse.one_vs_rest_pairs = 1000 * 20;
    EXPECT_EQ(train_model(data, mined).sparse_classifiers.weights, by_mining.sparse_classifiers.weights);
  }
  // Saved and loaded: the same classifiers, the same predictions.
  testing::TempDir dir;
  save_model(dir.file("m"), model, {}, {});
  ModelParts loaded = load_model(dir.file("m"));
  EXPECT_EQ(loaded.sparse_classifiers.weights, model.sparse_classifiers.weights);
  ModelPredictor reloaded(loaded, {});
  const SparseMatrix a = predictor.predict(texts, 5), b = reloaded.predict(texts, 5);
  EXPECT_EQ(a.indices, b.indices);
  EXPECT_EQ(a.values, b.values);
  // A re-ranker of the 16 features fitted before the sparse classifiers still loads and ranks; other widths do not.
  const nlohmann::json legacy = {
      {"features", 16},
      {"roots", {0}},
      {"nodes", {{15, 0.5f, 1, 2, 0.0f}, {-1, 0.0f, -1, -1, 0.0f}, {-1, 0.0f, -1, -1, 1.0f}}}};
  loaded.fusion->reranker = legacy;
  loaded.fusion->reranker_window = 3;
  ModelPredictor old_layout(loaded, {});
  SearchParams no_reranker;
  no_reranker.reranker = false;
  const SparseMatrix reranked = old_layout.predict(texts, 3), linear = old_layout.predict(texts, 3, no_reranker);
  EXPECT_NE(reranked.indices, linear.indices);  // the linear first of each text falls to third
  nlohmann::json odd = legacy;
  odd["features"] = 17;
  loaded.fusion->reranker = odd;
  EXPECT_THROW(ModelPredictor(loaded, {}), InputError);
  // --sparse-classifiers off: no part, no scorer.
  c.sparse.enabled = false;
  ModelParts without = train_model(data, c);
  EXPECT_TRUE(without.sparse_classifiers.empty());
  save_model(dir.file("off"), without, {}, {});
  EXPECT_FALSE(std::filesystem::exists(dir.file("off/sparse.ngm")));
  ModelPredictor off(without, {});
  only.only = "sparse";
  EXPECT_THROW(off.predict(texts, 1, only), UsageError);
}

}  // namespace
}  // namespace ngame
