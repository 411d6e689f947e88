#pragma once
// Adam updates: AdamW for dense parameters and lazy sparse Adam for embedding rows (PyTorch SparseAdam).
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ngame {

/// Adam hyperparameters.
struct AdamConfig {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-6f;
  float weight_decay = 0.0f;  ///< decoupled (AdamW); dense parameters only
};

/// First and second moments of a parameter array.
struct AdamState {
  std::vector<float> m, v;
  explicit AdamState(size_t n = 0) : m(n, 0.0f), v(n, 0.0f) {}
};

/// AdamW on n values: params -= lr * (m_hat / (sqrt(v_hat) + eps) + wd * params). step is 1-based.
void adamw_update(float* params, const float* grad, AdamState& state, size_t offset, size_t n, const AdamConfig& c,
                  float lr_scale, uint64_t step);
/// Same without weight decay, for one embedding row (moments of untouched rows are left alone: lazy).
inline void sparse_adam_update(float* params, const float* grad, AdamState& state, size_t offset, size_t n,
                               const AdamConfig& c, float lr_scale, uint64_t step) {
  AdamConfig no_decay = c;
  no_decay.weight_decay = 0.0f;
  adamw_update(params, grad, state, offset, n, no_decay, lr_scale, step);
}

}  // namespace ngame
