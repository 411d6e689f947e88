#include "index/quantized_keys.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "index/inner_product_kernel.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define NGAME_HAVE_VNNI_KERNEL 1
#endif

namespace ngame {

namespace {

constexpr size_t kBlockKeys = 16;   // keys of one 512-bit product: 16 lanes of 32 bits
constexpr size_t kChunkKeys = 1024;  // keys all the queries of a call meet before the next: 256 KB at 256-d, so that
                                     // every tile of queries after the first reads them from L2
constexpr size_t kTileQueries = 4;  // a tile: up to 4 queries x 4 blocks of keys, 16 accumulators
constexpr size_t kTileBlocks = 4;

#ifdef NGAME_HAVE_VNNI_KERNEL
// Products of Q queries with B blocks of 16 keys. Keys are bytes k + 128 (unsigned), queries signed bytes q, so each
// lane sums q * k + 128 * q, and 128 times the query's byte sum is taken off before scaling.
struct Tile {
  const uint8_t* keys;     // first block
  size_t block_bytes;      // bytes of one block
  size_t groups;           // groups of 4 values
  const int8_t* queries;   // first query's bytes
  size_t query_bytes;      // bytes of one query (groups * 4)
  const float* query_scales;
  const int32_t* query_sums;
  const float* key_scales;  // of the first block's keys
  float* out;              // first query's row at the first block's first key
  size_t out_stride;
  size_t valid_keys;       // keys of the B blocks that exist (the last block may be partly padding)
};

template <int Q, int B>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void product_tile(const Tile& t) {
  __m512i acc[Q][B];
  for (int q = 0; q < Q; ++q) {
    for (int b = 0; b < B; ++b) acc[q][b] = _mm512_setzero_si512();
  }
  for (size_t g = 0; g < t.groups; ++g) {
    __m512i k[B];
    for (int b = 0; b < B; ++b) k[b] = _mm512_loadu_si512(t.keys + b * t.block_bytes + g * 64);
    for (int q = 0; q < Q; ++q) {
      int32_t word;
      std::memcpy(&word, t.queries + q * t.query_bytes + g * 4, sizeof word);
      const __m512i broadcast = _mm512_set1_epi32(word);
      for (int b = 0; b < B; ++b) acc[q][b] = _mm512_dpbusd_epi32(acc[q][b], k[b], broadcast);
    }
  }
  for (int q = 0; q < Q; ++q) {
    const __m512i offset = _mm512_set1_epi32(128 * t.query_sums[q]);
    const __m512 query_scale = _mm512_set1_ps(t.query_scales[q]);
    float* row = t.out + q * t.out_stride;
    for (int b = 0; b < B; ++b) {
      // |sum| < 2^24 converts exactly. (The zero-masked conversion: GCC 12 warns of the unmasked one's undefined input.)
      const __m512 exact_sum = _mm512_maskz_cvtepi32_ps(0xffff, _mm512_sub_epi32(acc[q][b], offset));
      const __m512 v = _mm512_mul_ps(_mm512_mul_ps(exact_sum, _mm512_loadu_ps(t.key_scales + b * kBlockKeys)), query_scale);
      const size_t first = static_cast<size_t>(b) * kBlockKeys;
      if (first + kBlockKeys <= t.valid_keys) {
        _mm512_storeu_ps(row + first, v);
      } else if (first < t.valid_keys) {
        _mm512_mask_storeu_ps(row + first, static_cast<__mmask16>((1u << (t.valid_keys - first)) - 1), v);
      }
    }
  }
}

using TileFn = void (*)(const Tile&);
constexpr TileFn kTiles[kTileQueries][kTileBlocks] = {
    {product_tile<1, 1>, product_tile<1, 2>, product_tile<1, 3>, product_tile<1, 4>},
    {product_tile<2, 1>, product_tile<2, 2>, product_tile<2, 3>, product_tile<2, 4>},
    {product_tile<3, 1>, product_tile<3, 2>, product_tile<3, 3>, product_tile<3, 4>},
    {product_tile<4, 1>, product_tile<4, 2>, product_tile<4, 3>, product_tile<4, 4>},
};
#endif

}  // namespace

bool QuantizedKeys::supported() {
#ifdef NGAME_HAVE_VNNI_KERNEL
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vnni");
#else
  return false;
#endif
}

QuantizedKeys::QuantizedKeys(size_t dim) : dim_(dim), groups_((dim + 3) / 4) {}

void QuantizedKeys::add(const float* keys, size_t n) {
  const size_t block_bytes = groups_ * kBlockKeys * 4;
  const size_t blocks = (count_ + n + kBlockKeys - 1) / kBlockKeys;
  packed_.resize(blocks * block_bytes, 128);  // byte 128: value 0, for padding keys and values past dim
  scales_.resize(blocks * kBlockKeys, 0.0f);
  for (size_t i = 0; i < n; ++i) {
    const size_t key = count_ + i;
    const float* x = keys + i * dim_;
    const float largest = int8_largest(x, dim_);  // the graphs' 8-bit encoding, laid out for VNNI
    const float inverse = largest > 0 ? 127.0f / largest : 0.0f;
    scales_[key] = largest / 127.0f;
    uint8_t* lane = packed_.data() + key / kBlockKeys * block_bytes + key % kBlockKeys * 4;
    for (size_t j = 0; j < dim_; ++j) lane[j / 4 * kBlockKeys * 4 + j % 4] = static_cast<uint8_t>(int8_value(x[j], inverse) + 128);
  }
  count_ += n;
}

void QuantizedKeys::products(const float* queries, size_t nq, float* out) const {
  NGAME_CHECK(supported(), "8-bit products need AVX-512 VNNI");
  if (nq == 0 || count_ == 0) return;
#ifdef NGAME_HAVE_VNNI_KERNEL
  const size_t query_bytes = groups_ * 4, block_bytes = groups_ * kBlockKeys * 4;
  thread_local std::vector<int8_t> bytes;
  thread_local std::vector<float> scales;
  thread_local std::vector<int32_t> sums;
  bytes.assign(nq * query_bytes, 0);
  scales.resize(nq);
  sums.resize(nq);
  for (size_t i = 0; i < nq; ++i) {
    const float* x = queries + i * dim_;
    const float largest = int8_largest(x, dim_);
    const float inverse = largest > 0 ? 127.0f / largest : 0.0f;
    scales[i] = largest / 127.0f;
    int32_t sum = 0;
    for (size_t j = 0; j < dim_; ++j) {
      const int v = int8_value(x[j], inverse);
      bytes[i * query_bytes + j] = static_cast<int8_t>(v);
      sum += v;
    }
    sums[i] = sum;
  }
  const size_t blocks = (count_ + kBlockKeys - 1) / kBlockKeys, chunk_blocks = kChunkKeys / kBlockKeys;
  for (size_t c0 = 0; c0 < blocks; c0 += chunk_blocks) {
    const size_t c1 = std::min(blocks, c0 + chunk_blocks);
    for (size_t q0 = 0; q0 < nq; q0 += kTileQueries) {
      const size_t nqt = std::min(kTileQueries, nq - q0);
      for (size_t b0 = c0; b0 < c1; b0 += kTileBlocks) {
        const size_t nbt = std::min(kTileBlocks, c1 - b0);
        const Tile t{packed_.data() + b0 * block_bytes,
                     block_bytes,
                     groups_,
                     bytes.data() + q0 * query_bytes,
                     query_bytes,
                     scales.data() + q0,
                     sums.data() + q0,
                     scales_.data() + b0 * kBlockKeys,
                     out + q0 * count_ + b0 * kBlockKeys,
                     count_,
                     std::min(count_ - b0 * kBlockKeys, nbt * kBlockKeys)};
        kTiles[nqt - 1][nbt - 1](t);
      }
    }
  }
#endif
}

}  // namespace ngame
