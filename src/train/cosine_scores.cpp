#include "train/cosine_scores.h"

#include <algorithm>
#include <cstdint>

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

namespace {
// d(loss)/da = G b_hat and d(loss)/db = G^T a_hat for a G with few non-zero entries: the triplet loss gives a row
// a gradient only on its positive and its violating hardest negatives (at most k + 1 of a batch's ~1,000 columns),
// so reading those columns' vectors replaces two dense products of the whole score matrix. Each output row sums
// its terms in a fixed order (columns, then rows, ascending), whatever the threads. Returns false, writing nothing,
// when G holds more than one non-zero in kSparseGradientShare entries (dense products are then cheaper).
bool sparse_products(const CosineScores& s, const float* grad_scores, float* grad_a, float* grad_b) {
  const size_t rows = s.rows, cols = s.cols, d = s.dim;
  std::vector<uint64_t> row_start(rows + 1, 0), col_start(cols + 1, 0);
  for (size_t i = 0; i < rows; ++i) {
    const float* g = grad_scores + i * cols;
    uint64_t n = 0;
    for (size_t j = 0; j < cols; ++j) {
      if (g[j] != 0.0f) {
        ++n;
        ++col_start[j + 1];
      }
    }
    row_start[i + 1] = row_start[i] + n;
  }
  if (row_start[rows] * kSparseGradientShare > rows * cols) return false;
  for (size_t j = 0; j < cols; ++j) col_start[j + 1] += col_start[j];
  std::vector<uint32_t> row_col(row_start[rows]), col_row(row_start[rows]);
  std::vector<float> row_value(row_start[rows]), col_value(row_start[rows]);
  std::vector<uint64_t> col_fill(col_start.begin(), col_start.end() - 1);
  for (size_t i = 0; i < rows; ++i) {
    const float* g = grad_scores + i * cols;
    uint64_t p = row_start[i];
    for (size_t j = 0; j < cols; ++j) {
      if (g[j] == 0.0f) continue;
      row_col[p] = static_cast<uint32_t>(j);
      row_value[p++] = g[j];
      col_row[col_fill[j]] = static_cast<uint32_t>(i);
      col_value[col_fill[j]++] = g[j];
    }
  }
#pragma omp parallel
  {
#pragma omp for schedule(static) nowait
    for (size_t i = 0; i < rows; ++i) {
      float* out = grad_a + i * d;
      std::fill(out, out + d, 0.0f);
      for (uint64_t p = row_start[i]; p < row_start[i + 1]; ++p) {
        add_scaled_to(out, row_value[p], s.b_hat.data() + static_cast<size_t>(row_col[p]) * d, d);
      }
    }
#pragma omp for schedule(static)
    for (size_t j = 0; j < cols; ++j) {
      float* out = grad_b + j * d;
      std::fill(out, out + d, 0.0f);
      for (uint64_t p = col_start[j]; p < col_start[j + 1]; ++p) {
        add_scaled_to(out, col_value[p], s.a_hat.data() + static_cast<size_t>(col_row[p]) * d, d);
      }
    }
  }
  return true;
}
}  // namespace

void cosine_scores_backward(const CosineScores& s, const float* grad_scores, float* grad_a, float* grad_b) {
  if (!sparse_products(s, grad_scores, grad_a, grad_b)) {
    gemm(false, false, s.rows, s.dim, s.cols, 1.0f, grad_scores, s.cols, s.b_hat.data(), s.dim, 0.0f, grad_a, s.dim);
    gemm(true, false, s.cols, s.dim, s.rows, 1.0f, grad_scores, s.cols, s.a_hat.data(), s.dim, 0.0f, grad_b, s.dim);
  }
  normalization_backward(s.a_hat.data(), s.a_norm.data(), s.rows, s.dim, grad_a);
  normalization_backward(s.b_hat.data(), s.b_norm.data(), s.cols, s.dim, grad_b);
}

}  // namespace ngame
