#pragma once
// Cosine score matrices and their backward pass: S = normalize(A) normalize(B)^T.
#include <cstddef>
#include <vector>

namespace ngame {

/// Forward state: normalised copies and the original norms.
struct CosineScores {
  size_t rows = 0, cols = 0, dim = 0;
  std::vector<float> a_hat, b_hat, a_norm, b_norm;
  std::vector<float> scores;  ///< rows x cols
};

/// Computes S = normalize(a) normalize(b)^T for a (rows x dim) and b (cols x dim).
CosineScores cosine_scores(const float* a, size_t rows, const float* b, size_t cols, size_t dim);
/// Below one non-zero entry in this many of d(loss)/dS, the backward pass reads only the vectors it needs.
inline constexpr size_t kSparseGradientShare = 16;
/// Given d(loss)/dS, writes d(loss)/da (rows x dim) and d(loss)/db (cols x dim).
void cosine_scores_backward(const CosineScores& s, const float* grad_scores, float* grad_a, float* grad_b);

}  // namespace ngame
