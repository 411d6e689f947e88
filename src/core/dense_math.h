#pragma once
// Dense float kernels on BLAS (OpenBLAS through cblas): row-major matrix products and row normalisation.
#include <cblas.h>

#include <cstddef>
#include <cstdint>

namespace ngame {

/// C (m x n) = alpha * op(A) * op(B) + beta * C, all row-major; op transposes when the flag is set.
void gemm(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, float alpha, const float* a, size_t lda,
          const float* b, size_t ldb, float beta, float* c, size_t ldc);
/// Scales each of the n rows of x (n x d) to unit L2 norm (zero rows stay zero); norms (n) receives the old norms.
void normalize_rows(float* x, size_t n, size_t d, float* norms = nullptr);
/// Dot product of two d-vectors.
float dot(const float* a, const float* b, size_t d);
/// acc[j] += x[j] for j < d.
void add_to(float* acc, const float* x, size_t d);
/// acc[j] += a * x[j] for j < d (the same floats as that scalar loop).
void add_scaled_to(float* acc, float a, const float* x, size_t d);

}  // namespace ngame
