#include "predict/graph_seeds.h"

#include <algorithm>
#include <iterator>

#include "core/dense_math.h"

namespace ngame {

std::vector<std::vector<uint32_t>> lexical_graph_seeds(const LexicalScorer& lexical, const FeatureRows& tfidf,
                                                       const float* queries, const std::vector<float>& label_embeddings,
                                                       size_t dim, const GraphSeedConfig& config) {
  std::vector<std::vector<uint32_t>> seeds(tfidf.size());
  const size_t labels = label_embeddings.size() / dim;
#pragma omp parallel
  {
    std::vector<std::pair<float, uint32_t>> scored;  // (-score, label): best first when sorted
    std::vector<uint32_t> fresh;
    auto score = [&](const float* query, const std::vector<uint32_t>& ids) {
      for (uint32_t l : ids) {
        if (l < labels) scored.emplace_back(-dot(query, label_embeddings.data() + size_t{l} * dim, dim), l);
      }
    };
    auto best_first = [&](size_t take) {
      take = std::min(take, scored.size());
      std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(take), scored.end());
      return take;
    };
#pragma omp for schedule(dynamic, 64)
    for (size_t i = 0; i < seeds.size(); ++i) {
      const float* query = queries + i * dim;
      scored.clear();
      const std::vector<uint32_t> reach = lexical.reach(tfidf, i, config.max_reach);
      score(query, reach);
      if (config.expand_from > 0 && !scored.empty()) {
        std::vector<uint32_t> best;
        for (size_t r = 0, n = best_first(config.expand_from); r < n; ++r) best.push_back(scored[r].second);
        const std::vector<uint32_t> second = lexical.reach_of_labels(best, config.max_reach);
        fresh.clear();
        std::set_difference(second.begin(), second.end(), reach.begin(), reach.end(), std::back_inserter(fresh));
        score(query, fresh);
      }
      const size_t take = best_first(config.count);
      seeds[i].resize(take);
      for (size_t r = 0; r < take; ++r) seeds[i][r] = scored[r].second;
    }
  }
  return seeds;
}

}  // namespace ngame
