#pragma once
// Recursive balanced 2-means on L2-normalised vectors (as pyxclib's cluster_balance / b_kmeans_dense): every split
// cuts its points exactly in half, so all final clusters differ in size by at most one.
#include <cstdint>
#include <vector>

namespace ngame {

/// Options of one split.
struct BalancedKMeansConfig {
  float tolerance = 1e-4f;      ///< stop when the mean similarity to the own centroid gains less than this
  uint32_t max_iterations = 25; ///< safety cap per split
};

/// Splits the n rows of points (n x d, unit norm) into cluster_count clusters (a power of two, <= n); each split is
/// seeded from (seed, cluster path), so the result is the same for a seed whatever the thread count.
std::vector<std::vector<uint32_t>> balanced_kmeans(const float* points, uint32_t n, uint32_t d,
                                                   uint32_t cluster_count, uint64_t seed,
                                                   const BalancedKMeansConfig& config = {});
/// The power-of-two cluster count for points of average size at most cluster_size: 2^ceil(log2(n / size)).
uint32_t cluster_count_for_size(uint32_t n, uint32_t cluster_size);

}  // namespace ngame
