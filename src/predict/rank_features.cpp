#include "predict/rank_features.h"

#include <algorithm>
#include <numeric>

namespace ngame {

RankRows rank_features(const CandidateSet& cands, const FusionWeights& weights, size_t window,
                       std::vector<uint64_t>& positions) {
  const size_t queries = cands.size();
  RankRows rows;
  rows.width = kRankFeatureCount;
  std::vector<std::vector<float>> values(queries);
  std::vector<std::vector<uint64_t>> picked(queries);
#pragma omp parallel for schedule(dynamic, 64)
  for (size_t q = 0; q < queries; ++q) {
    const uint64_t a = cands.offsets[q], b = cands.offsets[q + 1];
    const size_t n = b - a;
    if (n == 0) continue;
    std::vector<float> linear(n);
    for (size_t c = 0; c < n; ++c) linear[c] = weights.blend(cands.scores[a + c]);
    // Rank of every candidate by each term (0 = best; ties by lower label id).
    constexpr size_t kRanked = 5;  // embedding, classifier, memory, lexical, linear
    std::vector<std::vector<uint32_t>> rank(kRanked, std::vector<uint32_t>(n));
    std::vector<float> best(kRanked, -1e30f);
    std::vector<uint32_t> order(n);
    for (size_t t = 0; t < kRanked; ++t) {
      auto value = [&](size_t c) { return t < 4 ? cands.scores[a + c][t] : linear[c]; };
      std::iota(order.begin(), order.end(), 0u);
      std::sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
        return value(x) > value(y) || (value(x) == value(y) && cands.labels[a + x] < cands.labels[a + y]);
      });
      for (size_t p = 0; p < n; ++p) rank[t][order[p]] = static_cast<uint32_t>(p);
      best[t] = value(order[0]);
    }
    // `order` now holds the linear ranking: its window becomes the rows.
    const size_t take = std::min(window, n);
    std::vector<float>& out = values[q];
    out.reserve(take * kRankFeatureCount);
    for (size_t p = 0; p < take; ++p) {
      const uint32_t c = order[p];
      const auto& sc = cands.scores[a + c];
      for (size_t s = 0; s < kScorerCount; ++s) out.push_back(sc[s]);
      for (size_t t = 0; t < 4; ++t) out.push_back(sc[t] - best[t]);
      for (size_t t = 0; t < 4; ++t) out.push_back(static_cast<float>(std::min<uint32_t>(rank[t][c], 1000)));
      out.push_back(linear[c]);
      out.push_back(linear[c] - best[4]);
      out.push_back(static_cast<float>(p));
      picked[q].push_back(a + c);
    }
  }
  positions.clear();
  for (size_t q = 0; q < queries; ++q) {
    rows.values.insert(rows.values.end(), values[q].begin(), values[q].end());
    positions.insert(positions.end(), picked[q].begin(), picked[q].end());
    rows.groups.push_back(positions.size());
  }
  return rows;
}

}  // namespace ngame
