// Exact top-k against a full sort: the buffer with its blocked bar test must keep exactly the k best keys, best first,
// ties by the lower key id, for key counts that leave partial blocks, k above the key count, and many tied scores.
#include "core/topk_search.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace ngame {
namespace {

TEST(ExactTopk, EqualsAFullSortWithTiesByLowerId) {
  std::mt19937 rng(8);
  const size_t d = 4;
  for (const size_t nk : {size_t{1}, size_t{15}, size_t{17}, size_t{250}, size_t{1003}, size_t{6000}}) {
    // Values on a coarse grid: many keys tie with each other.
    auto grid = [&] { return static_cast<float>(static_cast<int>(rng() % 5) - 2) * 0.5f; };
    std::vector<float> keys(nk * d), queries(7 * d);
    for (float& x : keys) x = grid();
    for (float& x : queries) x = grid();
    for (const size_t k : {size_t{1}, size_t{5}, size_t{100}, nk + 3}) {
      std::vector<uint32_t> ids;
      std::vector<float> scores;
      exact_topk(queries.data(), 7, keys.data(), nk, d, k, ids, scores);
      ASSERT_EQ(ids.size(), 7 * k);
      for (size_t q = 0; q < 7; ++q) {
        std::vector<std::pair<float, uint32_t>> all(nk);
        for (size_t j = 0; j < nk; ++j) {
          float s = 0;
          for (size_t t = 0; t < d; ++t) s += queries[q * d + t] * keys[j * d + t];
          all[j] = {s, static_cast<uint32_t>(j)};
        }
        std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
          return a.first > b.first || (a.first == b.first && a.second < b.second);
        });
        for (size_t r = 0; r < k; ++r) {
          const uint32_t want_id = r < nk ? all[r].second : UINT32_MAX;
          const float want_score = r < nk ? all[r].first : -std::numeric_limits<float>::infinity();
          ASSERT_EQ(ids[q * k + r], want_id) << "nk " << nk << " k " << k << " query " << q << " rank " << r;
          ASSERT_EQ(scores[q * k + r], want_score);
        }
      }
    }
  }
}

// Rows long enough for the block-maxima bar (and one with too few finite scores for it), continuous and tied scores,
// NaN and -inf scattered: the best take, best first when sorted, the same set in any order when not.
TEST(SelectTopk, LongRowsEqualAFullSortWithNaNsAndTies) {
  std::mt19937 rng(9);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const float nan = std::numeric_limits<float>::quiet_NaN(), minus_inf = -std::numeric_limits<float>::infinity();
  for (int kind = 0; kind < 4; ++kind) {
    const size_t nk = 17157, take = kind == 3 ? 141 : 100;
    std::vector<float> s(nk);
    for (size_t j = 0; j < nk; ++j) {
      s[j] = kind == 1 ? static_cast<float>(rng() % 7) : normal(rng);  // kind 1: heavy ties
      if (rng() % 50 == 0) s[j] = nan;
      if (rng() % 70 == 0) s[j] = minus_inf;
      if (kind == 2 && j % 16 != 0) s[j] = nan;  // kind 2: one finite score a block at most
      if (kind == 2 && j >= 16 * 90) s[j] = nan;  // ... in fewer than take blocks
    }
    std::vector<std::pair<float, uint32_t>> all;
    for (size_t j = 0; j < nk; ++j) {
      if (s[j] > minus_inf) all.emplace_back(s[j], static_cast<uint32_t>(j));
    }
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
    all.resize(std::min(all.size(), take));
    std::vector<std::pair<float, uint32_t>> kept;
    const size_t found = select_topk(s.data(), nk, take, kept);
    ASSERT_EQ(found, all.size()) << kind;
    for (size_t r = 0; r < found; ++r) ASSERT_EQ(kept[r], all[r]) << "kind " << kind << " rank " << r;
    const size_t unsorted = select_topk(s.data(), nk, take, kept, false);
    ASSERT_EQ(unsorted, all.size());
    std::vector<std::pair<float, uint32_t>> set(kept.begin(), kept.begin() + static_cast<std::ptrdiff_t>(unsorted));
    std::sort(set.begin(), set.end(), [](const auto& a, const auto& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
    EXPECT_EQ(set, all) << kind;
  }
}

TEST(ExactTopk, AKeyScoringNaNIsNeverReturned) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> keys = {1, 0, nan, 0, 0.5f, 0, 0.2f, 0, 0.1f, 0}, query = {1, 0};
  std::vector<uint32_t> ids;
  std::vector<float> scores;
  exact_topk(query.data(), 1, keys.data(), 5, 2, 5, ids, scores);
  EXPECT_EQ(ids, (std::vector<uint32_t>{0, 2, 3, 4, UINT32_MAX}));  // padded, as if the key were not there
  EXPECT_EQ(scores[4], -std::numeric_limits<float>::infinity());
}

}  // namespace
}  // namespace ngame
