#include "train/triplet_loss.h"

#include <cmath>
#include <random>

#include "train/cosine_scores.h"
#include "test_util.h"

namespace ngame {
namespace {

TEST(TripletLoss, HandComputedCaseWithoutSoftmax) {
  // 2 x 3 scores; row 0's positive is column 0, row 1's is column 1; column 2 is also a positive of row 1.
  const std::vector<float> s = {0.5f, 0.7f, 0.1f,   //
                                0.2f, 0.4f, 0.9f};
  const uint32_t pos[] = {0, 1};
  const std::vector<uint8_t> mask = {1, 0, 0, 0, 1, 1};
  TripletLossConfig c{.negatives = 2, .margin = 0.3f, .softmax_weights = false};
  std::vector<float> g(6);
  const double loss = triplet_loss(s.data(), 2, 3, pos, mask, c, g.data());
  // Row 0: negatives 0.7 and 0.1: hinges 0.5 and 0; row 1: negative 0.2 only (column 2 is masked): hinge 0.1.
  EXPECT_NEAR(loss, (0.5 + 0.0 + 0.1) / (2 * 2), 1e-6);
  EXPECT_NEAR(g[1], 1.0 / 4, 1e-6);
  EXPECT_NEAR(g[0], -1.0 / 4, 1e-6);
  EXPECT_NEAR(g[2], 0.0, 1e-9);
  EXPECT_NEAR(g[3], 1.0 / 4, 1e-6);
  EXPECT_NEAR(g[4], -1.0 / 4, 1e-6);
  EXPECT_EQ(g[5], 0.0f);  // a masked positive never receives a negative's gradient
}

TEST(TripletLoss, HandComputedCaseWithSoftmax) {
  const std::vector<float> s = {0.5f, 0.7f, 0.6f};
  const uint32_t pos[] = {0};
  const std::vector<uint8_t> mask = {1, 0, 0};
  TripletLossConfig c{.negatives = 2, .margin = 0.3f, .temperature = 0.1f};
  std::vector<float> g(3);
  const double loss = triplet_loss(s.data(), 1, 3, pos, mask, c, g.data());
  const double w1 = std::exp(7.0) / (std::exp(7.0) + std::exp(6.0)), w2 = 1 - w1;
  EXPECT_NEAR(loss, (w1 * 0.5 + w2 * 0.4) / 2, 1e-6);
}

TEST(PositiveMask, MasksEveryInBatchPositive) {
  SparseMatrix labels;
  labels.cols = 5;
  labels.append_row(std::vector<uint32_t>{1, 3}, std::vector<float>{1, 1});
  labels.append_row(std::vector<uint32_t>{0}, std::vector<float>{1});
  labels.append_row(std::vector<uint32_t>{3, 4}, std::vector<float>{1, 1});
  // Batch of documents 0 and 2; sampled labels 3 (for 0) and 4 (for 2), plus a hard negative 1.
  const std::vector<uint8_t> mask = positive_mask(labels, {0, 2}, {3, 4, 1});
  EXPECT_EQ(mask, (std::vector<uint8_t>{1, 0, 1,     // doc 0: 3 and 1 are both its labels
                                        1, 1, 0}));  // doc 2: 3 (sampled for doc 0) is also its label
}

TEST(PositiveMask, MasksEveryCopyOfARepeatedColumn) {
  SparseMatrix labels;
  labels.cols = 4;
  labels.append_row(std::vector<uint32_t>{0, 2}, std::vector<float>{1, 1});
  labels.append_row(std::vector<uint32_t>{1}, std::vector<float>{1});
  // Documents of one cluster share labels: label 2 is sampled twice, label 1 three times.
  const std::vector<uint8_t> mask = positive_mask(labels, {0, 1}, {2, 1, 2, 1, 3, 1});
  EXPECT_EQ(mask, (std::vector<uint8_t>{1, 0, 1, 0, 0, 0,    //
                                        0, 1, 0, 1, 0, 1}));  //
}

// The triplet loss's gradient through the cosine scores against central finite differences, on rows x cols
// scores with k negatives a row.
void expect_gradients_match(size_t rows, size_t cols, uint32_t negatives, bool softmax) {
  const size_t d = 5;
  std::mt19937 rng(11);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> a(rows * d), b(cols * d);
  for (float& v : a) v = dist(rng);
  for (float& v : b) v = dist(rng);
  std::vector<uint32_t> pos(rows);
  std::vector<uint8_t> mask(rows * cols, 0);
  for (size_t i = 0; i < rows; ++i) {
    pos[i] = static_cast<uint32_t>(i);
    mask[i * cols + i] = 1;
  }
  mask[0 * cols + 7] = 1;  // an extra in-batch positive
  TripletLossConfig c{.negatives = negatives, .margin = 0.5f, .temperature = 0.5f, .softmax_weights = softmax};
  auto loss_of = [&]() {
    CosineScores s = cosine_scores(a.data(), rows, b.data(), cols, d);
    std::vector<float> g(rows * cols);
    return triplet_loss(s.scores.data(), rows, cols, pos.data(), mask, c, g.data());
  };
  CosineScores s = cosine_scores(a.data(), rows, b.data(), cols, d);
  std::vector<float> gs(rows * cols), ga(rows * d), gb(cols * d);
  triplet_loss(s.scores.data(), rows, cols, pos.data(), mask, c, gs.data());
  cosine_scores_backward(s, gs.data(), ga.data(), gb.data());
  auto check = [&](std::vector<float>& x, const std::vector<float>& analytic, const char* name) {
    for (size_t i = 0; i < x.size(); ++i) {
      const float eps = 1e-3f, saved = x[i];
      x[i] = saved + eps;
      const double up = loss_of();
      x[i] = saved - eps;
      const double down = loss_of();
      x[i] = saved;
      EXPECT_NEAR(analytic[i], (up - down) / (2 * eps), 2e-3) << name << "[" << i << "]";
    }
  };
  check(a, ga, "docs");
  check(b, gb, "labels");
}

class TripletLossGradient : public ::testing::TestWithParam<bool> {};

TEST_P(TripletLossGradient, MatchesFiniteDifferencesThroughCosine) {
  expect_gradients_match(6, 9, 3, GetParam());  // a dense gradient: products of the whole matrix
}

TEST_P(TripletLossGradient, MatchesFiniteDifferencesWhenTheBackwardPassReadsOnlyNonZeroColumns) {
  // At most 3 of 80 columns a row carry a gradient, below 1 / kSparseGradientShare: the sparse products.
  static_assert(3 * kSparseGradientShare < 80);
  expect_gradients_match(12, 80, 2, GetParam());
}

INSTANTIATE_TEST_SUITE_P(SoftmaxOnAndOff, TripletLossGradient, ::testing::Values(true, false));

}  // namespace
}  // namespace ngame
