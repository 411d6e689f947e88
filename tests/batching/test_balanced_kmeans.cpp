#include "batching/balanced_kmeans.h"

#include <omp.h>

#include <algorithm>
#include <random>

#include "core/dense_math.h"
#include "test_util.h"

namespace ngame {
namespace {

// Points around `groups` well-separated random directions.
std::vector<float> blobs(uint32_t n, uint32_t d, uint32_t groups, std::vector<uint32_t>& group_of) {
  std::mt19937 rng(5);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> centers(groups * d);
  for (float& v : centers) v = dist(rng);
  std::vector<float> x(static_cast<size_t>(n) * d);
  group_of.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    group_of[i] = i % groups;
    for (uint32_t j = 0; j < d; ++j) x[i * d + j] = centers[group_of[i] * d + j] + 0.05f * dist(rng);
  }
  normalize_rows(x.data(), n, d);
  return x;
}

TEST(BalancedKMeans, ExactlyBalancedPartition) {
  std::vector<uint32_t> groups;
  const uint32_t n = 1001, d = 8;
  std::vector<float> x = blobs(n, d, 4, groups);
  auto clusters = balanced_kmeans(x.data(), n, d, 16, 1);
  ASSERT_EQ(clusters.size(), 16u);
  std::vector<uint32_t> all;
  size_t lo = n, hi = 0;
  for (const auto& c : clusters) {
    lo = std::min(lo, c.size());
    hi = std::max(hi, c.size());
    all.insert(all.end(), c.begin(), c.end());
  }
  EXPECT_LE(hi - lo, 1u);
  std::sort(all.begin(), all.end());
  for (uint32_t i = 0; i < n; ++i) ASSERT_EQ(all[i], i);  // every point exactly once
}

TEST(BalancedKMeans, RecoversSeparatedGroups) {
  std::vector<uint32_t> groups;
  const uint32_t n = 800, d = 16;
  std::vector<float> x = blobs(n, d, 4, groups);
  auto clusters = balanced_kmeans(x.data(), n, d, 4, 3);
  for (const auto& c : clusters) {
    std::vector<uint32_t> count(4, 0);
    for (uint32_t p : c) ++count[groups[p]];
    EXPECT_GE(*std::max_element(count.begin(), count.end()), c.size() * 9 / 10);  // nearly pure
  }
}

TEST(BalancedKMeans, DeterministicForASeedAndThreadCount) {
  std::vector<uint32_t> groups;
  const uint32_t n = 3000, d = 12;
  std::vector<float> x = blobs(n, d, 7, groups);
  omp_set_num_threads(1);
  auto one = balanced_kmeans(x.data(), n, d, 64, 9);
  auto again = balanced_kmeans(x.data(), n, d, 64, 9);
  omp_set_num_threads(2);
  auto two = balanced_kmeans(x.data(), n, d, 64, 9);
  EXPECT_EQ(one, again);
  EXPECT_EQ(one, two);
  EXPECT_NE(one, balanced_kmeans(x.data(), n, d, 64, 10));
}

TEST(BalancedKMeans, ClusterCountForSize) {
  EXPECT_EQ(cluster_count_for_size(1000, 1), 512u);  // capped at the largest power of two <= n
  EXPECT_EQ(cluster_count_for_size(1000, 8), 128u);   // 2^ceil(log2(125))
  EXPECT_EQ(cluster_count_for_size(1000, 1000), 1u);
  EXPECT_EQ(cluster_count_for_size(294805, 288), 1024u);  // the reference's final LF-AmazonTitles-131K setting
}

}  // namespace
}  // namespace ngame
