#pragma once
// Per-candidate features for the learned re-ranker: each query's candidates in linear-fusion order, cut to a
// window, described by their scorer terms and by how they compare with the query's other candidates.
#include <vector>

#include "predict/fused_predictor.h"
#include "predict/rank_booster.h"

namespace ngame {

/// Features per candidate: 5 terms, 4 gaps to the query's best (embedding, classifier, memory, lexical), 4 ranks by
/// those terms, and the linear fusion's score, gap and rank.
inline constexpr size_t kRankFeatureCount = 16;

/// The top `window` candidates of each query by linear fusion (ties by lower label id) and their features;
/// `positions` receives each row's index into cands. Relevance is left empty.
RankRows rank_features(const CandidateSet& cands, const FusionWeights& weights, size_t window,
                       std::vector<uint64_t>& positions);

}  // namespace ngame
