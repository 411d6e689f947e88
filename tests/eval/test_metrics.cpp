#include "eval/metrics.h"

#include <omp.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "data/filter_pairs.h"
#include "eval/propensity.h"
#include "test_util.h"

namespace ngame {
namespace {

SparseMatrix matrix(uint64_t cols, const std::vector<std::vector<std::pair<uint32_t, float>>>& rows) {
  SparseMatrix m;
  m.cols = cols;
  for (const auto& row : rows) {
    std::vector<uint32_t> ids;
    std::vector<float> vals;
    for (auto [id, v] : row) {
      ids.push_back(id);
      vals.push_back(v);
    }
    m.append_row(ids, vals);
  }
  return m;
}

TEST(Propensity, MatchesTheFormula) {
  SparseMatrix train = matrix(3, {{{0, 1}}, {{0, 1}, {1, 1}}, {{0, 1}}, {}});
  std::vector<double> inv = inverse_propensity(train, {.a = 0.55, .b = 1.5});
  const double c = (std::log(4.0) - 1.0) * std::pow(2.5, 0.55);
  EXPECT_DOUBLE_EQ(inv[0], 1.0 + c * std::pow(3.0 + 1.5, -0.55));
  EXPECT_DOUBLE_EQ(inv[1], 1.0 + c * std::pow(1.0 + 1.5, -0.55));
  EXPECT_DOUBLE_EQ(inv[2], 1.0 + c * std::pow(0.0 + 1.5, -0.55));
}

TEST(Metrics, HandComputedCaseWithEmptyTruthRow) {
  SparseMatrix truth = matrix(4, {{{0, 1}, {2, 1}}, {}});
  SparseMatrix pred = matrix(4, {{{1, 0.8f}, {0, 0.9f}, {2, 0.7f}}, {{3, 0.5f}}});
  const std::vector<double> inv = {1, 2, 4, 1};
  MetricsReport r = compute_metrics(pred, truth, inv, 3);
  EXPECT_DOUBLE_EQ(r.precision[0], 0.5);
  EXPECT_DOUBLE_EQ(r.precision[2], (2.0 / 3.0) / 2.0);
  const double dcg3 = 1.0 + 1.0 / std::log2(4.0);
  const double ideal2 = 1.0 + 1.0 / std::log2(3.0);
  EXPECT_NEAR(r.ndcg[2], dcg3 / ideal2 / 2.0, 1e-12);
  EXPECT_DOUBLE_EQ(r.recall[0], 0.25);
  EXPECT_DOUBLE_EQ(r.recall[2], 0.5);
  EXPECT_DOUBLE_EQ(r.psp[0], 1.0 / 4.0);          // predicted label 0 (weight 1) vs ideal label 2 (weight 4)
  EXPECT_DOUBLE_EQ(r.psp[2], 5.0 / 5.0);          // both true labels found by @3
  const double ps_dcg1 = 1.0, ps_ideal1 = 4.0;    // @1: same normaliser on both sides
  EXPECT_DOUBLE_EQ(r.psndcg[0], ps_dcg1 / ps_ideal1);
}

TEST(Metrics, FewerPredictionsThanK) {
  SparseMatrix truth = matrix(5, {{{4, 1}}});
  SparseMatrix pred = matrix(5, {{{4, 0.1f}}});
  MetricsReport r = compute_metrics(pred, truth, std::vector<double>(5, 1.0), 5);
  EXPECT_DOUBLE_EQ(r.precision[0], 1.0);
  EXPECT_DOUBLE_EQ(r.precision[4], 0.2);
  EXPECT_DOUBLE_EQ(r.ndcg[4], 1.0);
  EXPECT_DOUBLE_EQ(r.recall[4], 1.0);
}

TEST(Metrics, TiesAreBrokenByLowerLabelId) {
  SparseMatrix truth = matrix(3, {{{0, 1}}, {{2, 1}}});
  SparseMatrix pred = matrix(3, {{{2, 0.5f}, {0, 0.5f}}, {{2, 0.5f}, {0, 0.5f}}});
  MetricsReport r = compute_metrics(pred, truth, std::vector<double>(3, 1.0), 1);
  EXPECT_DOUBLE_EQ(r.precision[0], 0.5);  // row 0 ranks label 0 first (hit), row 1 too (miss)
}

TEST(Metrics, AllFilteredRowCountsAsZero) {
  SparseMatrix truth = matrix(3, {{{1, 1}}, {{2, 1}}});
  SparseMatrix pred = matrix(3, {{{1, 0.9f}}, {{2, 0.9f}}});
  FilterPairs filter;
  filter.pairs = {{0, 1}};
  MetricsReport r = compute_metrics(remove_filtered(pred, filter), remove_filtered(truth, filter),
                                    std::vector<double>(3, 1.0), 1);
  EXPECT_DOUBLE_EQ(r.precision[0], 0.5);
  EXPECT_DOUBLE_EQ(r.psp[0], 1.0);
}

TEST(Metrics, ResultDoesNotDependOnThreadCount) {
  SparseMatrix truth, pred;
  truth.cols = pred.cols = 50;
  for (uint32_t i = 0; i < 10000; ++i) {
    truth.append_row(std::vector<uint32_t>{i % 50, (i * 7 + 1) % 50}, std::vector<float>{1, 1});
    pred.append_row(std::vector<uint32_t>{(i * 3) % 50, i % 50}, std::vector<float>{0.9f, 0.8f});
  }
  std::vector<double> inv(50);
  for (size_t l = 0; l < inv.size(); ++l) inv[l] = 1.0 + 0.1 * static_cast<double>(l);
  omp_set_num_threads(1);
  MetricsReport one = compute_metrics(pred, truth, inv, 5);
  omp_set_num_threads(2);
  MetricsReport two = compute_metrics(pred, truth, inv, 5);
  EXPECT_EQ(one.precision, two.precision);
  EXPECT_EQ(one.psndcg, two.psndcg);
}

void expect_golden(const std::string& golden_path, const MetricsReport& r) {
  auto golden = nlohmann::json::parse(testing::read_bytes(golden_path));
  const std::pair<const char*, const std::vector<double>*> series[] = {
      {"P", &r.precision}, {"nDCG", &r.ndcg}, {"PSP", &r.psp}, {"PSnDCG", &r.psndcg}, {"R", &r.recall}};
  for (auto [name, values] : series) {
    ASSERT_EQ(golden[name].size(), values->size()) << name;
    for (size_t i = 0; i < values->size(); ++i) {
      EXPECT_NEAR((*values)[i], golden[name][i].get<double>(), 1e-6) << name << "@" << i + 1 << " " << golden_path;
    }
  }
}

TEST(Metrics, MatchesPyxclibOnTheWordnetFixture) {
  const std::string shared = testing::shared_dir();
  if (shared.empty()) GTEST_SKIP() << "../shared not present";
  const std::string data = shared + "/data/wordnet-hypernym-d2/";
  const std::string fixtures = shared + "/fixtures/metrics/";
  SparseMatrix pred = read_sparse_matrix(fixtures + "wordnet-parabel-top10.txt");
  SparseMatrix truth = read_sparse_matrix(data + "tst_X_Y.txt");
  std::vector<double> inv = inverse_propensity(read_sparse_matrix(data + "trn_X_Y.txt"));
  expect_golden(fixtures + "wordnet-parabel-top10.unfiltered.golden.json", compute_metrics(pred, truth, inv, 5));
  FilterPairs filter = read_filter_pairs(data + "filter_labels_test.txt", truth.rows, truth.cols);
  expect_golden(fixtures + "wordnet-parabel-top10.filtered.golden.json",
                compute_metrics(remove_filtered(pred, filter), remove_filtered(truth, filter), inv, 5));
}

TEST(Metrics, ZeroShotSlice) {
  // Label 3 has no training row. Row 0 holds it and finds it; row 1 holds it and misses it; row 2 does not hold it.
  SparseMatrix truth = matrix(4, {{{3, 1}, {0, 1}}, {{3, 1}}, {{1, 1}}});
  SparseMatrix pred = matrix(4, {{{3, 0.9f}, {2, 0.5f}}, {{0, 0.9f}}, {{1, 0.9f}}});
  ZeroShotReport z = compute_zero_shot(pred, truth, {5, 2, 1, 0}, 2);
  EXPECT_EQ(z.rows, 2u);
  EXPECT_EQ(z.unseen_pairs, 2u);
  EXPECT_DOUBLE_EQ(z.precision_at_k, 1.0 / 4.0);
  EXPECT_DOUBLE_EQ(z.unseen_recall_at_k, 0.5);
}

TEST(Metrics, JsonHasPercentKeys) {
  SparseMatrix truth = matrix(2, {{{0, 1}}});
  SparseMatrix pred = matrix(2, {{{0, 1.0f}}});
  auto j = nlohmann::json::parse(format_metrics_json(compute_metrics(pred, truth, {1.0, 1.0}, 2)));
  EXPECT_DOUBLE_EQ(j["P@1"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(j["P@2"].get<double>(), 50.0);
  for (const char* key : {"nDCG@2", "PSP@2", "PSnDCG@2", "R@2"}) EXPECT_TRUE(j.contains(key)) << key;
}

}  // namespace
}  // namespace ngame
