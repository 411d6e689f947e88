#include "encoder/adam.h"

#include <cmath>

namespace ngame {

namespace {

// The update of n values with every setting in a local: stores through m, v and params could otherwise alias the
// config's floats, which kept the compiler from vectorising the loop (built with -fno-math-errno, src/CMakeLists.txt,
// so that sqrt vectorises too). Each element's arithmetic is the scalar one in the same order, and the project
// builds with -ffp-contract=off (CMakeLists.txt), so every clone gives the same floats.
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("avx2", "default")))
#endif
void update(float* __restrict params, const float* __restrict grad,
                                                              float* __restrict m, float* __restrict v, size_t n,
                                                              float beta1, float beta2, float eps, float step_size,
                                                              float inv_sqrt_bc2, float decay) {
  const float keep1 = 1.0f - beta1, keep2 = 1.0f - beta2;
  for (size_t i = 0; i < n; ++i) {
    const float g = grad[i];
    m[i] = beta1 * m[i] + keep1 * g;
    v[i] = beta2 * v[i] + keep2 * g * g;
    params[i] -= step_size * m[i] / (std::sqrt(v[i]) * inv_sqrt_bc2 + eps) + decay * params[i];
  }
}

}  // namespace

AdamStepSizes adam_step_sizes(const AdamConfig& c, float lr_scale, uint64_t step) {
  const float lr = c.lr * lr_scale;
  const float bc1 = 1.0f - std::pow(c.beta1, static_cast<float>(step));
  const float bc2 = 1.0f - std::pow(c.beta2, static_cast<float>(step));
  return {.step_size = lr / bc1, .inv_sqrt_bc2 = 1.0f / std::sqrt(bc2), .decay = lr * c.weight_decay};
}

void adam_update(float* params, const float* grad, AdamState& state, size_t offset, size_t n, const AdamConfig& c,
                 const AdamStepSizes& sizes) {
  float* m = state.m.data() + offset;
  float* v = state.v.data() + offset;
  update(params, grad, m, v, n, c.beta1, c.beta2, c.eps, sizes.step_size, sizes.inv_sqrt_bc2, sizes.decay);
}

void adamw_update(float* params, const float* grad, AdamState& state, size_t offset, size_t n, const AdamConfig& c,
                  float lr_scale, uint64_t step) {
  adam_update(params, grad, state, offset, n, c, adam_step_sizes(c, lr_scale, step));
}

}  // namespace ngame
