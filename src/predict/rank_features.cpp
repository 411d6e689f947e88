#include "predict/rank_features.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"

namespace ngame {

size_t rank_feature_terms(size_t width) {
  for (size_t terms = kLegacyRankTerms; terms <= kScorerCount; ++terms) {
    if (width == rank_feature_count(terms)) return terms;
  }
  return 0;
}

RankRows rank_features(const CandidateSet& cands, const FusionWeights& weights, size_t window,
                       std::vector<uint64_t>& positions, size_t terms) {
  NGAME_CHECK(terms > kPriorScorer && terms <= kScorerCount, "rank features: bad term count");
  const size_t queries = cands.size();
  const size_t width = rank_feature_count(terms);
  // The ranked terms: every term but the prior (a label's prior is the same for every text), then the fusion.
  std::vector<size_t> ranked_terms;
  for (size_t t = 0; t < terms; ++t) {
    if (t != kPriorScorer) ranked_terms.push_back(t);
  }
  const size_t ranked = ranked_terms.size();
  RankRows rows;
  rows.width = width;
  std::vector<std::vector<float>> values(queries);
  std::vector<std::vector<uint64_t>> picked(queries);
#pragma omp parallel for schedule(dynamic, 64)
  for (size_t q = 0; q < queries; ++q) {
    const uint64_t a = cands.offsets[q], b = cands.offsets[q + 1];
    const size_t n = b - a;
    if (n == 0) continue;
    std::vector<float> linear(n);
    for (size_t c = 0; c < n; ++c) linear[c] = weights.blend(cands.scores[a + c]);
    // Rank of every candidate by each ranked term and last by the linear fusion (0 = best; ties by lower label id).
    std::vector<std::vector<uint32_t>> rank(ranked + 1, std::vector<uint32_t>(n));
    std::vector<float> best(ranked + 1, -1e30f);
    std::vector<uint32_t> order(n);
    for (size_t t = 0; t <= ranked; ++t) {
      auto value = [&](size_t c) { return t < ranked ? cands.scores[a + c][ranked_terms[t]] : linear[c]; };
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
    out.reserve(take * width);
    for (size_t p = 0; p < take; ++p) {
      const uint32_t c = order[p];
      const auto& sc = cands.scores[a + c];
      for (size_t s = 0; s < terms; ++s) out.push_back(sc[s]);
      for (size_t t = 0; t < ranked; ++t) out.push_back(sc[ranked_terms[t]] - best[t]);
      for (size_t t = 0; t < ranked; ++t) out.push_back(static_cast<float>(std::min<uint32_t>(rank[t][c], 1000)));
      out.push_back(linear[c]);
      out.push_back(linear[c] - best[ranked]);
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
