#include "index/inner_product_kernel.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define NGAME_HAVE_AVX2_KERNEL 1
#endif

namespace ngame {

// hnswlib compiles its own kernels for the build's baseline (SSE on plain x86-64), so without -march=native its
// distance runs at a quarter of an AVX2 core's width. Graph searches are most of a served prediction's time, so the
// graphs use this kernel instead: 4 independent FMA accumulators over 32 floats a step, picked once per graph.
float inner_product_distance_portable(const void* a, const void* b, const void* dim_ptr) {
  const auto* x = static_cast<const float*>(a);
  const auto* y = static_cast<const float*>(b);
  const size_t d = *static_cast<const size_t*>(dim_ptr);
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (size_t j = 0; j < d; ++j) s += x[j] * y[j];
  return 1.0f - s;
}

#ifdef NGAME_HAVE_AVX2_KERNEL
__attribute__((target("avx2,fma"))) static float inner_product_distance_avx2(const void* a, const void* b,
                                                                             const void* dim_ptr) {
  const auto* x = static_cast<const float*>(a);
  const auto* y = static_cast<const float*>(b);
  const size_t d = *static_cast<const size_t*>(dim_ptr);
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
  size_t j = 0;
  for (; j + 32 <= d; j += 32) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + j), _mm256_loadu_ps(y + j), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + j + 8), _mm256_loadu_ps(y + j + 8), s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + j + 16), _mm256_loadu_ps(y + j + 16), s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + j + 24), _mm256_loadu_ps(y + j + 24), s3);
  }
  for (; j + 8 <= d; j += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + j), _mm256_loadu_ps(y + j), s0);
  const __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  float total = _mm_cvtss_f32(h);
  for (; j < d; ++j) total += x[j] * y[j];
  return 1.0f - total;
}
#endif

InnerProductDistanceFn fastest_inner_product_distance() {
#ifdef NGAME_HAVE_AVX2_KERNEL
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return inner_product_distance_avx2;
#endif
  return inner_product_distance_portable;
}

}  // namespace ngame
