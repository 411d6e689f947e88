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
    // The linear ranking's window (ties by lower label id), then the rank of each of its candidates by each ranked
    // term: how many candidates beat it (0 = best; ties by lower label id), counted in one branch-free pass per
    // window candidate over the term's values, which is its place in a full sort.
    const size_t take = std::min(window, n);
    std::vector<uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0u);
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(take), order.end(),
                      [&](uint32_t x, uint32_t y) {
                        return linear[x] > linear[y] || (linear[x] == linear[y] && cands.labels[a + x] < cands.labels[a + y]);
                      });
    std::vector<std::vector<uint32_t>> rank(ranked, std::vector<uint32_t>(take));
    std::vector<float> best(ranked + 1, -1e30f);
    best[ranked] = linear[order[0]];
    std::vector<float> term(n);
    const uint32_t* label = cands.labels.data() + a;
    for (size_t t = 0; t < ranked; ++t) {
      for (size_t c = 0; c < n; ++c) term[c] = cands.scores[a + c][ranked_terms[t]];
      best[t] = *std::max_element(term.begin(), term.end());
      for (size_t p = 0; p < take; ++p) {
        const float v = term[order[p]];
        const uint32_t l = label[order[p]];
        uint32_t beaten_by = 0;
        for (size_t x = 0; x < n; ++x) beaten_by += (term[x] > v) | ((term[x] == v) & (label[x] < l));
        rank[t][p] = beaten_by;
      }
    }
    // The window becomes the rows.
    std::vector<float>& out = values[q];
    out.reserve(take * width);
    for (size_t p = 0; p < take; ++p) {
      const uint32_t c = order[p];
      const auto& sc = cands.scores[a + c];
      for (size_t s = 0; s < terms; ++s) out.push_back(sc[s]);
      for (size_t t = 0; t < ranked; ++t) out.push_back(sc[ranked_terms[t]] - best[t]);
      for (size_t t = 0; t < ranked; ++t) out.push_back(static_cast<float>(std::min<uint32_t>(rank[t][p], 1000)));
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
