#include "train/cosine_scores.h"

#include <algorithm>

#include "core/dense_math.h"

namespace ngame {

namespace {
// d(x/|x|) applied to g: (g - x_hat (x_hat . g)) / |x|, in place on g.
void normalization_backward(const float* x_hat, const float* norms, size_t n, size_t d, float* g) {
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; ++i) {
    float* gi = g + i * d;
    const float* xi = x_hat + i * d;
    if (norms[i] <= 0) {
      std::fill(gi, gi + d, 0.0f);
      continue;
    }
    const float proj = dot(xi, gi, d);
    const float inv = 1.0f / norms[i];
    for (size_t j = 0; j < d; ++j) gi[j] = (gi[j] - xi[j] * proj) * inv;
  }
}
}  // namespace

CosineScores cosine_scores(const float* a, size_t rows, const float* b, size_t cols, size_t dim) {
  CosineScores s;
  s.rows = rows;
  s.cols = cols;
  s.dim = dim;
  s.a_hat.assign(a, a + rows * dim);
  s.b_hat.assign(b, b + cols * dim);
  s.a_norm.resize(rows);
  s.b_norm.resize(cols);
  normalize_rows(s.a_hat.data(), rows, dim, s.a_norm.data());
  normalize_rows(s.b_hat.data(), cols, dim, s.b_norm.data());
  s.scores.resize(rows * cols);
  gemm(false, true, rows, cols, dim, 1.0f, s.a_hat.data(), dim, s.b_hat.data(), dim, 0.0f, s.scores.data(), cols);
  return s;
}

void cosine_scores_backward(const CosineScores& s, const float* grad_scores, float* grad_a, float* grad_b) {
  gemm(false, false, s.rows, s.dim, s.cols, 1.0f, grad_scores, s.cols, s.b_hat.data(), s.dim, 0.0f, grad_a, s.dim);
  gemm(true, false, s.cols, s.dim, s.rows, 1.0f, grad_scores, s.cols, s.a_hat.data(), s.dim, 0.0f, grad_b, s.dim);
  normalization_backward(s.a_hat.data(), s.a_norm.data(), s.rows, s.dim, grad_a);
  normalization_backward(s.b_hat.data(), s.b_norm.data(), s.cols, s.dim, grad_b);
}

}  // namespace ngame
