#pragma once
// Per-candidate features for the learned re-ranker: each query's candidates in linear-fusion order, cut to a
// window, described by their scorer terms and by how they compare with the query's other candidates.
#include <vector>

#include "predict/fused_predictor.h"
#include "predict/rank_booster.h"

namespace ngame {

/// Features per candidate of `terms` scorer terms (the first `terms` scorer slots): the terms, the gap to the
/// query's best and the rank by each term except the prior, and the linear fusion's score, gap and rank.
constexpr size_t rank_feature_count(size_t terms) { return terms + 2 * (terms - 1) + 3; }
/// Scorer terms of re-rankers fitted before the sparse classifiers (16 features): the slots up to the prior.
inline constexpr size_t kLegacyRankTerms = kPriorScorer + 1;
/// Scorer terms a re-ranker of width `width` reads (from kLegacyRankTerms to kScorerCount); 0 for any other width.
size_t rank_feature_terms(size_t width);

/// The top `window` candidates of each query by linear fusion (ties by lower label id) and their features of
/// `terms` scorer terms; `positions` receives each row's index into cands. Relevance is left empty.
RankRows rank_features(const CandidateSet& cands, const FusionWeights& weights, size_t window,
                       std::vector<uint64_t>& positions, size_t terms = kScorerCount);

}  // namespace ngame
