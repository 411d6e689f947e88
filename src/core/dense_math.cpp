#include "core/dense_math.h"

#include <cmath>

namespace ngame {

void gemm(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, float alpha, const float* a, size_t lda,
          const float* b, size_t ldb, float beta, float* c, size_t ldc) {
  if (m == 0 || n == 0) return;
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
              static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c, static_cast<blasint>(ldc));
}

void normalize_rows(float* x, size_t n, size_t d, float* norms) {
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; ++i) {
    float* row = x + i * d;
    double s = 0;
    for (size_t j = 0; j < d; ++j) s += static_cast<double>(row[j]) * row[j];
    const auto norm = static_cast<float>(std::sqrt(s));
    if (norms) norms[i] = norm;
    if (norm > 0) {
      const float inv = 1.0f / norm;
      for (size_t j = 0; j < d; ++j) row[j] *= inv;
    }
  }
}

// The hot vector kernels get an AVX2 clone picked at load time; the default build stays portable x86-64. No FMA
// (-ffp-contract=off): every clone gives the scalar loop's floats.
#if defined(__x86_64__) && defined(__GNUC__)
#define NGAME_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define NGAME_VECTOR_CLONES
#endif

NGAME_VECTOR_CLONES float dot(const float* a, const float* b, size_t d) {
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (size_t j = 0; j < d; ++j) s += a[j] * b[j];
  return s;
}

NGAME_VECTOR_CLONES void add_to(float* acc, const float* x, size_t d) {
#pragma omp simd
  for (size_t j = 0; j < d; ++j) acc[j] += x[j];
}

NGAME_VECTOR_CLONES void add_scaled_to(float* acc, float a, const float* x, size_t d) {
#pragma omp simd
  for (size_t j = 0; j < d; ++j) acc[j] += a * x[j];
}

}  // namespace ngame
