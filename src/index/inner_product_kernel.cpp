#include "index/inner_product_kernel.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

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

float int8_largest(const float* x, size_t dim) {
  float largest = 0;
  for (size_t j = 0; j < dim; ++j) {
    if (std::isfinite(x[j])) largest = std::max(largest, std::fabs(x[j]));
  }
  return largest;
}

int int8_value(float x, float inverse) {
  const float v = std::isfinite(x) ? x * inverse : 0.0f;
  return static_cast<int>(std::clamp(std::nearbyint(v), -127.0f, 127.0f));
}

void encode_int8_vector(const float* x, size_t dim, void* out) {
  const float largest = int8_largest(x, dim);
  const float scale = largest > 0 ? largest / 127.0f : 0.0f;
  const float inverse = largest > 0 ? 127.0f / largest : 0.0f;
  auto* bytes = static_cast<unsigned char*>(out);
  std::memcpy(bytes, &scale, sizeof scale);
  auto* q = reinterpret_cast<int8_t*>(bytes + sizeof scale);
  for (size_t j = 0; j < dim; ++j) q[j] = static_cast<int8_t>(int8_value(x[j], inverse));
  std::fill(q + dim, reinterpret_cast<int8_t*>(bytes + int8_vector_bytes(dim)), int8_t{0});
}

namespace {
// The two scales of encoded vectors a and b, and their values.
struct Int8Pair {
  float scale;
  const int8_t* x;
  const int8_t* y;
};
Int8Pair int8_pair(const void* a, const void* b) {
  float sa, sb;
  std::memcpy(&sa, a, sizeof sa);
  std::memcpy(&sb, b, sizeof sb);
  return {sa * sb, reinterpret_cast<const int8_t*>(static_cast<const char*>(a) + sizeof sa),
          reinterpret_cast<const int8_t*>(static_cast<const char*>(b) + sizeof sb)};
}
}  // namespace

float int8_inner_product_distance_portable(const void* a, const void* b, const void* dim_ptr) {
  const Int8Pair p = int8_pair(a, b);
  const size_t d = *static_cast<const size_t*>(dim_ptr);
  int32_t s = 0;
#pragma omp simd reduction(+ : s)
  for (size_t j = 0; j < d; ++j) s += int32_t{p.x[j]} * int32_t{p.y[j]};
  return 1.0f - p.scale * static_cast<float>(s);
}

#ifdef NGAME_HAVE_AVX2_KERNEL
// 32 values a step: both halves sign-extended to 16 bits, multiplied and summed in pairs into 32-bit lanes (|q| <=
// 127, so a 256-value sum stays far inside 32 bits).
__attribute__((target("avx2"))) static float int8_inner_product_distance_avx2(const void* a, const void* b,
                                                                             const void* dim_ptr) {
  const Int8Pair p = int8_pair(a, b);
  const size_t d = *static_cast<const size_t*>(dim_ptr);
  __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
  size_t j = 0;
  for (; j + 32 <= d; j += 32) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.x + j));
    const __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.y + j));
    const __m256i x0 = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(x)), x1 = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(x, 1));
    const __m256i y0 = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(y)), y1 = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(y, 1));
    s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(x0, y0));
    s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(x1, y1));
  }
  const __m256i s = _mm256_add_epi32(s0, s1);
  __m128i h = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
  h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));
  h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xb1));
  int32_t total = _mm_cvtsi128_si32(h);
  for (; j < d; ++j) total += int32_t{p.x[j]} * int32_t{p.y[j]};
  return 1.0f - p.scale * static_cast<float>(total);
}
#endif

#ifdef NGAME_HAVE_AVX2_KERNEL
// 64 values a step with AVX-512 VNNI, whose byte products take one unsigned operand: |x| times y with x's sign
// (|x|, |y| <= 127, so -y fits a signed byte), summed four at a time into 32-bit lanes. A tail is read with a masked
// load, which touches no byte past the vector. Half the instructions of the AVX2 kernel for the same exact sum.
__attribute__((target("avx512f,avx512bw,avx512vnni"), always_inline)) static inline __m512i int8_products_vnni(
    __m512i sum, __m512i x, __m512i y) {
  return _mm512_dpbusd_epi32(sum, _mm512_abs_epi8(x),
                             _mm512_mask_sub_epi8(y, _mm512_movepi8_mask(x), _mm512_setzero_si512(), y));
}

__attribute__((target("avx512f,avx512bw,avx512vnni"))) static float int8_inner_product_distance_vnni(
    const void* a, const void* b, const void* dim_ptr) {
  const Int8Pair p = int8_pair(a, b);
  const size_t d = *static_cast<const size_t*>(dim_ptr);
  const auto step = int8_products_vnni;
  __m512i s0 = _mm512_setzero_si512(), s1 = _mm512_setzero_si512();
  size_t j = 0;
  for (; j + 128 <= d; j += 128) {
    s0 = step(s0, _mm512_loadu_si512(p.x + j), _mm512_loadu_si512(p.y + j));
    s1 = step(s1, _mm512_loadu_si512(p.x + j + 64), _mm512_loadu_si512(p.y + j + 64));
  }
  for (; j + 64 <= d; j += 64) s0 = step(s0, _mm512_loadu_si512(p.x + j), _mm512_loadu_si512(p.y + j));
  if (j < d) {
    const __mmask64 rest = (uint64_t{1} << (d - j)) - 1;  // d - j < 64
    s1 = step(s1, _mm512_maskz_loadu_epi8(rest, p.x + j), _mm512_maskz_loadu_epi8(rest, p.y + j));
  }
  // Summed through memory: GCC 12 warns of the undefined inputs inside _mm512_reduce_add_epi32.
  alignas(64) int32_t lanes[16];
  _mm512_store_si512(lanes, _mm512_add_epi32(s0, s1));
  int32_t total = 0;
  for (const int32_t lane : lanes) total += lane;
  return 1.0f - p.scale * static_cast<float>(total);
}
#endif

std::vector<InnerProductDistanceFn> runnable_int8_inner_product_distances() {
  std::vector<InnerProductDistanceFn> kernels;
#ifdef NGAME_HAVE_AVX2_KERNEL
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni")) {
    kernels.push_back(int8_inner_product_distance_vnni);
  }
  if (__builtin_cpu_supports("avx2")) kernels.push_back(int8_inner_product_distance_avx2);
#endif
  kernels.push_back(int8_inner_product_distance_portable);
  return kernels;
}

InnerProductDistanceFn fastest_int8_inner_product_distance() { return runnable_int8_inner_product_distances().front(); }

InnerProductDistanceFn fastest_inner_product_distance() {
#ifdef NGAME_HAVE_AVX2_KERNEL
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return inner_product_distance_avx2;
#endif
  return inner_product_distance_portable;
}

}  // namespace ngame
