#include "batching/balanced_kmeans.h"

#include <algorithm>
#include <bit>
#include <omp.h>
#include <cmath>
#include <numeric>
#include <random>

#include "core/dense_math.h"
#include "core/error.h"
#include "core/splitmix.h"

namespace ngame {

namespace {

// Splits members into two halves; left gets ceil(n/2).
// parallel: use all threads inside this split (for the few large splits at the top of the tree).
void split_in_two(const float* points, uint32_t d, const std::vector<uint32_t>& members, uint64_t seed,
                  const BalancedKMeansConfig& config, bool parallel, std::vector<uint32_t>& left,
                  std::vector<uint32_t>& right) {
  const size_t n = members.size();
  std::vector<float> x(n * d);
#pragma omp parallel for schedule(static) if (parallel)
  for (size_t i = 0; i < n; ++i) std::copy_n(points + static_cast<size_t>(members[i]) * d, d, x.data() + i * d);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> pick(0, n - 1);
  size_t a = pick(rng), b = pick(rng);
  while (b == a) b = pick(rng);
  std::vector<float> centroids(2 * d);  // row 0, row 1
  std::copy_n(x.data() + a * d, d, centroids.data());
  std::copy_n(x.data() + b * d, d, centroids.data() + d);
  std::vector<float> diff(n);
  std::vector<uint32_t> order(n);
  const size_t half = (n + 1) / 2;
  // The sum of all points, once: it gives the right half's sum as (total - left) and the objective's
  // sum of s1 as total . c1, so each iteration needs one dot product per point, x . (c0 - c1).
  constexpr size_t kChunks = 16;  // fixed chunking: sums do not depend on the thread count
  std::vector<float> partial(kChunks * d);
  auto chunked_sum = [&](size_t count, float* out) {
    std::fill(partial.begin(), partial.end(), 0.0f);
#pragma omp parallel for schedule(static) if (parallel)
    for (size_t c = 0; c < kChunks; ++c) {
      float* sums = partial.data() + c * d;
      for (size_t r = c * count / kChunks; r < (c + 1) * count / kChunks; ++r) {
        add_to(sums, x.data() + static_cast<size_t>(order[r]) * d, d);
      }
    }
    std::fill(out, out + d, 0.0f);
    for (size_t c = 0; c < kChunks; ++c) {
      for (uint32_t j = 0; j < d; ++j) out[j] += partial[c * d + j];
    }
  };
  std::iota(order.begin(), order.end(), 0u);
  std::vector<float> total_sum(d), delta(d);
  chunked_sum(n, total_sum.data());
  double previous = -2.0;
  // Points most similar to centroid 0 (relative to centroid 1) go left; the index breaks ties (determinism).
  auto closer_to_first = [&](uint32_t p, uint32_t q) { return diff[p] > diff[q] || (diff[p] == diff[q] && p < q); };
  for (uint32_t it = 0; it < config.max_iterations; ++it) {
    for (uint32_t j = 0; j < d; ++j) delta[j] = centroids[j] - centroids[d + j];
#pragma omp parallel for schedule(static) if (parallel)
    for (size_t i = 0; i < n; ++i) diff[i] = dot(x.data() + i * d, delta.data(), d);
    std::iota(order.begin(), order.end(), 0u);
    // Only the cut matters, not the order within halves: a selection, O(n).
    std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(half), order.end(), closer_to_first);
    // Mean similarity to the own centroid: s1 for everyone, plus (s0 - s1) for the left half.
    double objective = dot(total_sum.data(), centroids.data() + d, d);
    for (size_t r = 0; r < half; ++r) objective += diff[order[r]];
    objective /= static_cast<double>(n);
    chunked_sum(half, centroids.data());
    for (uint32_t j = 0; j < d; ++j) centroids[d + j] = total_sum[j] - centroids[j];
    normalize_rows(centroids.data(), 2, d);
    if (objective - previous < config.tolerance) break;
    previous = objective;
  }
  // Members in a canonical order (by position in the parent), independent of the selection's internal order.
  std::sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(half));
  std::sort(order.begin() + static_cast<std::ptrdiff_t>(half), order.end());
  left.clear();
  right.clear();
  for (size_t r = 0; r < n; ++r) (r < half ? left : right).push_back(members[order[r]]);
}

}  // namespace

uint32_t cluster_count_for_size(uint32_t n, uint32_t cluster_size) {
  NGAME_CHECK(cluster_size >= 1, "cluster size must be >= 1");
  uint32_t count = 1;
  while (static_cast<uint64_t>(count) * cluster_size < n) count *= 2;
  return std::min(count, std::max<uint32_t>(1, std::bit_floor(n)));
}

std::vector<std::vector<uint32_t>> balanced_kmeans(const float* points, uint32_t n, uint32_t d,
                                                   uint32_t cluster_count, uint64_t seed,
                                                   const BalancedKMeansConfig& config) {
  NGAME_CHECK(std::has_single_bit(cluster_count), "cluster count must be a power of two");
  NGAME_CHECK(cluster_count <= std::max<uint32_t>(n, 1), "more clusters than points");
  std::vector<std::vector<uint32_t>> clusters(1);
  clusters[0].resize(n);
  std::iota(clusters[0].begin(), clusters[0].end(), 0u);
  std::vector<uint64_t> paths = {1};  // binary path of each cluster from the root: its seed
  while (clusters.size() < cluster_count) {
    std::vector<std::vector<uint32_t>> next(clusters.size() * 2);
    std::vector<uint64_t> next_paths(clusters.size() * 2);
    // One level: splits are independent, so they run in parallel (large ones first would be better balanced, but
    // dynamic scheduling already evens out the work).
    const bool few = clusters.size() < static_cast<size_t>(omp_get_max_threads());
#pragma omp parallel for schedule(dynamic, 1) if (!few)
    for (size_t c = 0; c < clusters.size(); ++c) {
      split_in_two(points, d, clusters[c], splitmix64(seed ^ splitmix64(paths[c])), config, few, next[2 * c], next[2 * c + 1]);
      next_paths[2 * c] = paths[c] * 2;
      next_paths[2 * c + 1] = paths[c] * 2 + 1;
    }
    clusters = std::move(next);
    paths = std::move(next_paths);
  }
  return clusters;
}

}  // namespace ngame
