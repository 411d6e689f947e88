#include "train/classifier_loss.h"

#include <cmath>
#include <random>

#include "test_util.h"

namespace ngame {
namespace {

TEST(ClassifierLoss, HandComputedCase) {
  // One document, 4 columns: positives 0 (0.9) and 1 (0.4); negatives 2 (0.5) and 3 (0.1).
  const std::vector<float> s = {0.9f, 0.4f, 0.5f, 0.1f};
  const std::vector<uint8_t> mask = {1, 1, 0, 0};
  ClassifierLossConfig c{.positives = 3, .negatives = 5, .margin = 0.2f, .softmax_weights = false};
  std::vector<float> g(4);
  const double loss = classifier_loss(s.data(), 1, 4, mask, c, g.data());
  // Hinges: (pos 0.4) vs 0.5: 0.3, vs 0.1: 0; (pos 0.9) vs 0.5: 0, vs 0.1: 0. Mean over 1 * 3 * 5.
  EXPECT_NEAR(loss, 0.3 / 15, 1e-6);
  EXPECT_NEAR(g[2], 1.0 / 15, 1e-6);
  EXPECT_NEAR(g[1], -1.0 / 15, 1e-6);
  EXPECT_EQ(g[0], 0.0f);
  EXPECT_EQ(g[3], 0.0f);
}

class ClassifierLossGradient : public ::testing::TestWithParam<bool> {};

TEST_P(ClassifierLossGradient, MatchesFiniteDifferences) {
  const size_t rows = 4, cols = 12;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> s(rows * cols);
  for (float& v : s) v = u(rng);
  std::vector<uint8_t> mask(rows * cols, 0);
  for (size_t i = 0; i < rows; ++i) {
    for (size_t j = 0; j < cols; ++j) mask[i * cols + j] = (i + j) % 4 == 0;
  }
  ClassifierLossConfig c{.positives = 2, .negatives = 3, .margin = 0.4f, .softmax_weights = GetParam()};
  std::vector<float> g(rows * cols), scratch(rows * cols);
  classifier_loss(s.data(), rows, cols, mask, c, g.data());
  for (size_t i = 0; i < s.size(); ++i) {
    const float eps = 1e-3f, saved = s[i];
    s[i] = saved + eps;
    const double up = classifier_loss(s.data(), rows, cols, mask, c, scratch.data());
    s[i] = saved - eps;
    const double down = classifier_loss(s.data(), rows, cols, mask, c, scratch.data());
    s[i] = saved;
    EXPECT_NEAR(g[i], (up - down) / (2 * eps), 1e-3) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(SoftmaxOnAndOff, ClassifierLossGradient, ::testing::Values(true, false));

}  // namespace
}  // namespace ngame
