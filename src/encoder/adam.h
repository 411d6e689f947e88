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

/// The factors of one step (bias corrections, learning rate): the same for every row a step updates.
struct AdamStepSizes {
  float step_size = 0;     ///< lr / (1 - beta1^step)
  float inv_sqrt_bc2 = 0;  ///< 1 / sqrt(1 - beta2^step)
  float decay = 0;         ///< lr * weight_decay
};
/// The factors of 1-based step `step`.
AdamStepSizes adam_step_sizes(const AdamConfig& c, float lr_scale, uint64_t step);
/// AdamW on n values with a step's factors: params -= step_size * m / (sqrt(v) * inv_sqrt_bc2 + eps) + decay * params.
void adam_update(float* params, const float* grad, AdamState& state, size_t offset, size_t n, const AdamConfig& c,
                 const AdamStepSizes& sizes);
/// AdamW on n values: params -= lr * (m_hat / (sqrt(v_hat) + eps) + wd * params). step is 1-based.
void adamw_update(float* params, const float* grad, AdamState& state, size_t offset, size_t n, const AdamConfig& c,
                  float lr_scale, uint64_t step);
/// The factors of lazy sparse Adam (PyTorch SparseAdam: no weight decay; moments of rows a step does not touch
/// are left alone), for adam_update on each touched row.
inline AdamStepSizes sparse_adam_step_sizes(const AdamConfig& c, float lr_scale, uint64_t step) {
  AdamStepSizes sizes = adam_step_sizes(c, lr_scale, step);
  sizes.decay = 0.0f;
  return sizes;
}

}  // namespace ngame
