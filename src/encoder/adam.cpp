#include "encoder/adam.h"

#include <cmath>

namespace ngame {

void adamw_update(float* params, const float* grad, AdamState& state, size_t offset, size_t n, const AdamConfig& c,
                  float lr_scale, uint64_t step) {
  const float lr = c.lr * lr_scale;
  const float bc1 = 1.0f - std::pow(c.beta1, static_cast<float>(step));
  const float bc2 = 1.0f - std::pow(c.beta2, static_cast<float>(step));
  const float step_size = lr / bc1;
  const float inv_sqrt_bc2 = 1.0f / std::sqrt(bc2);
  float* m = state.m.data() + offset;
  float* v = state.v.data() + offset;
  for (size_t i = 0; i < n; ++i) {
    const float g = grad[i];
    m[i] = c.beta1 * m[i] + (1.0f - c.beta1) * g;
    v[i] = c.beta2 * v[i] + (1.0f - c.beta2) * g * g;
    params[i] -= step_size * m[i] / (std::sqrt(v[i]) * inv_sqrt_bc2 + c.eps) + lr * c.weight_decay * params[i];
  }
}

}  // namespace ngame
