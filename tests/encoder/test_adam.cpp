// The Adam update and the scaled-add kernel: vectorised and cloned for AVX2, they must give exactly the floats of
// the scalar formulas, on lengths that leave remainders after the vector width, and still minimise.
#include "encoder/adam.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/dense_math.h"

namespace ngame {
namespace {

std::vector<float> random_values(size_t n, std::mt19937& rng, float scale) {
  std::vector<float> v(n);
  for (float& x : v) x = std::uniform_real_distribution<float>(-scale, scale)(rng);
  return v;
}

TEST(Adam, UpdateEqualsTheScalarFormulaOverSteps) {
  std::mt19937 rng(3);
  for (const size_t n : {size_t{1}, size_t{7}, size_t{256}, size_t{1001}}) {
    for (const float decay : {0.0f, 0.01f}) {
      const AdamConfig c{.lr = 3e-3f, .weight_decay = decay};
      std::vector<float> params = random_values(n, rng, 1.0f), expected = params;
      std::vector<float> m(n, 0.0f), v(n, 0.0f);
      AdamState state(n + 5);  // an offset into a larger state, as for one embedding row
      for (uint64_t step = 1; step <= 4; ++step) {
        const std::vector<float> grad = random_values(n, rng, 0.5f);
        adamw_update(params.data(), grad.data(), state, 5, n, c, 0.7f, step);
        const float lr = c.lr * 0.7f;
        const float bc1 = 1.0f - std::pow(c.beta1, static_cast<float>(step));
        const float bc2 = 1.0f - std::pow(c.beta2, static_cast<float>(step));
        const float step_size = lr / bc1, inv_sqrt_bc2 = 1.0f / std::sqrt(bc2);
        for (size_t i = 0; i < n; ++i) {
          m[i] = c.beta1 * m[i] + (1.0f - c.beta1) * grad[i];
          v[i] = c.beta2 * v[i] + (1.0f - c.beta2) * grad[i] * grad[i];
          expected[i] -= step_size * m[i] / (std::sqrt(v[i]) * inv_sqrt_bc2 + c.eps) + lr * c.weight_decay * expected[i];
        }
      }
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(params[i], expected[i]) << "n " << n << " decay " << decay << " i " << i;
      EXPECT_EQ(state.m[0], 0.0f);  // values before the offset untouched
    }
  }
  EXPECT_EQ(sparse_adam_step_sizes(AdamConfig{.weight_decay = 0.5f}, 1.0f, 3).decay, 0.0f);
}

TEST(Adam, MinimisesAQuadratic) {
  std::vector<float> x{3.0f, -2.0f, 0.5f};
  AdamState state(3);
  const AdamConfig c{.lr = 0.05f};
  for (uint64_t step = 1; step <= 400; ++step) {
    std::vector<float> grad(3);
    for (size_t i = 0; i < 3; ++i) grad[i] = 2.0f * (x[i] - static_cast<float>(i));  // minimum at (0, 1, 2)
    adam_update(x.data(), grad.data(), state, 0, 3, c, adam_step_sizes(c, 1.0f, step));
  }
  for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(x[i], static_cast<float>(i), 0.05f);
}

TEST(DenseMath, AddScaledToEqualsTheScalarLoop) {
  std::mt19937 rng(4);
  for (const size_t d : {size_t{1}, size_t{9}, size_t{256}, size_t{333}}) {
    std::vector<float> acc = random_values(d, rng, 1.0f), x = random_values(d, rng, 1.0f), expected = acc;
    add_scaled_to(acc.data(), 0.37f, x.data(), d);
    for (size_t j = 0; j < d; ++j) expected[j] += 0.37f * x[j];
    EXPECT_EQ(acc, expected) << d;
  }
}

}  // namespace
}  // namespace ngame
