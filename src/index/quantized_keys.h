#pragma once
// Keys held as 8-bit integers in the layout of AVX-512 VNNI dot products, for the first pass of an exact search:
// each query's products with every key at about four times the float rate, off the float product of unit 256-d
// vectors by 4e-4 on average and a few thousandths at worst (test_quantized_keys measures it); the caller scores the
// best of them again in float.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ngame {

/// Keys of dim floats stored as scaled bytes, blocked 16 keys at a time for the VNNI kernel.
class QuantizedKeys {
 public:
  /// Whether this CPU runs the kernel (AVX-512 F, BW and VNNI); products() must not be called where it does not.
  static bool supported();
  /// An empty set of keys of dim values.
  explicit QuantizedKeys(size_t dim);
  /// Number of keys.
  size_t size() const { return count_; }
  /// Appends n keys (n x dim floats); they get ids size() .. size() + n - 1.
  void add(const float* keys, size_t n);
  /// Approximate products of the nq queries (nq x dim floats) with every key into out (nq rows of size() floats), on
  /// the calling thread (callers run groups of a few queries on each thread, so that out stays in cache).
  void products(const float* queries, size_t nq, float* out) const;

 private:
  size_t dim_, groups_;          // groups_: dim rounded up to groups of 4 values (one 32-bit lane of a product)
  size_t count_ = 0;
  std::vector<uint8_t> packed_;  // per block of 16 keys: per group, 16 keys x 4 bytes, each value + 128
  std::vector<float> scales_;    // per key (zero for a block's padding): value = byte * scale
};

}  // namespace ngame
