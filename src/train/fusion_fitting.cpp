#include "train/fusion_fitting.h"

#include <algorithm>
#include <array>

#include "eval/metrics.h"

namespace ngame {

namespace {

// Coordinate search from `start`: each of the weights that `weights_of` selects tries every value of a grid (those
// `allowed` admits), in three rounds at most, keeping any change that raises the objective. best_value is the
// objective of `start` on entry and of the result on return.
template <typename Objective, typename Select, typename Allowed>
FusionWeights coordinate_search(FusionWeights start, double& best_value, const Objective& objective, Select weights_of,
                                Allowed allowed) {
  const float grid[] = {0.0f, 0.05f, 0.1f, 0.2f, 0.35f, 0.5f, 0.75f, 1.0f, 1.5f, 2.0f, 3.0f, 5.0f};
  FusionWeights best = std::move(start);
  for (int round = 0; round < 3; ++round) {
    bool improved = false;
    for (size_t s = 0; s < kScorerCount; ++s) {
      for (float v : grid) {
        if (!allowed(s, v)) continue;
        FusionWeights trial = best;
        weights_of(trial)[s] = v;
        const double value = objective(trial, nullptr);
        if (value > best_value + 1e-9) {
          best_value = value;
          best = trial;
          improved = true;
        }
      }
    }
    if (!improved) break;
  }
  return best;
}

}  // namespace

FusionWeights fit_fusion(const FusedPredictor& predictor, const CandidateSet& candidates, const SparseMatrix& truth,
                         const std::vector<double>& inv_propensity, nlohmann::json& report, double psp_weight,
                         bool unseen_weights) {
  auto objective = [&](const FusionWeights& w, MetricsReport* out) {
    MetricsReport r = compute_metrics(predictor.rank(candidates, w, 5), truth, inv_propensity, 5);
    if (out) *out = r;
    return r.precision[0] + psp_weight * r.psp[4];
  };
  auto metrics_json = [](const MetricsReport& r) {
    return nlohmann::json{{"P@1", 100 * r.precision[0]}, {"P@5", 100 * r.precision[4]}, {"PSP@5", 100 * r.psp[4]}};
  };
  // Each scorer alone, for the report.
  for (size_t s = 0; s < kScorerCount; ++s) {
    FusionWeights alone;
    alone.weight.fill(0.0f);
    alone.weight[s] = 1.0f;
    MetricsReport r;
    objective(alone, &r);
    report["alone"][scorer_name(s)] = metrics_json(r);
  }
  // Coordinate search: the embedding weight fixes the scale (it never goes to 0); every other weight tries the grid.
  // Then the weights of candidates without training rows (their memory and prior terms are 0), from the same start:
  // a label that no training row carries can only be vouched for by its text and embedding. Their sparse term is a
  // constant (kNoClassifierScore), so its weight here is an offset between them and the labels with rows.
  // `dropped` (kScorerCount: none) stays at 0, for the ablation below.
  auto fit = [&](FusionWeights start, size_t dropped, double& value) {
    value = objective(start, nullptr);
    auto seen_allowed = [&](size_t s, float v) { return s != dropped && (s != kEmbeddingScorer || v != 0.0f); };
    auto unseen_allowed = [&](size_t s, float) { return s != dropped && s != kMemoryScorer && s != kPriorScorer; };
    FusionWeights best = coordinate_search(
        start, value, objective, [](FusionWeights& w) -> auto& { return w.weight; }, seen_allowed);
    if (unseen_weights) {
      FusionWeights unseen = best;
      unseen.unseen = best.weight;
      unseen = coordinate_search(
          unseen, value, objective, [](FusionWeights& w) -> auto& { return *w.unseen; }, unseen_allowed);
      if (*unseen.unseen != best.weight) best = unseen;
    }
    return best;
  };
  double best_value = 0.0;
  FusionWeights best = fit(FusionWeights(), kScorerCount, best_value);
  // Without each scorer: the blend refitted from the fitted one with that weight held at 0 (the embedding's at a
  // negligible 1e-6, which keeps the scale), so that each figure says what the others achieve without it.
  std::array<FusionWeights, kScorerCount> without;
  std::array<double, kScorerCount> without_value{};
  for (size_t s = 0; s < kScorerCount; ++s) {
    FusionWeights start = best;
    start.unseen.reset();
    start.weight[s] = s == kEmbeddingScorer ? 1e-6f : 0.0f;
    without[s] = fit(start, s, without_value[s]);
  }
  // Coordinate search stops at the first optimum along the axes; one that held a weight at 0 sometimes reached a
  // better one (WordNet: without the prior, +1.3 validation P@1). The search goes on from there with every weight
  // free. Nothing leaves the space the first search explored, and the same validation rows judge.
  const FusionWeights first = best;
  // Only from the refits without a scorer that brings no shortlist (the prior, the sparse classifiers): the
  // candidates were gathered with every shortlist, and a weight of 0 drops a scorer's shortlist at prediction, so a
  // restart that kept such a 0 would be judged on candidates prediction no longer has. (Nor from the blend without
  // the embedding, whose 1e-6 no longer sets the scale.)
  for (size_t s : {kPriorScorer, kSparseScorer}) {
    if (without_value[s] <= best_value + 1e-9) continue;
    double value = 0.0;
    FusionWeights refit = fit(without[s], kScorerCount, value);
    if (value > best_value + 1e-9) {
      best_value = value;
      best = std::move(refit);
    }
  }
  MetricsReport r;
  objective(best, &r);
  report["fused"] = metrics_json(r);
  report["weights"] = best.to_json();
  objective(first, &r);
  report["first_optimum"] = metrics_json(r);
  for (size_t s = 0; s < kScorerCount; ++s) {
    objective(without[s], &r);
    report["without"][scorer_name(s)] = metrics_json(r);
  }
  return best;
}

uint32_t choose_free_seats(const FusedPredictor& predictor, const CandidateSet& candidates, const SparseMatrix& truth,
                           const std::vector<double>& inv_propensity, const FusionWeights& weights,
                           const RankBooster& reranker, const RankBoosterConfig& config,
                           const std::vector<uint32_t>& unseen, nlohmann::json& report) {
  if (!weights.unseen || reranker.empty()) return 0;
  // The hold-out queries the re-ranker was not fitted on.
  CandidateSet held;
  SparseMatrix held_truth;
  held_truth.cols = truth.cols;
  for (size_t q = 0; q < candidates.size(); ++q) {
    if (!is_holdout_query(q, config)) continue;
    for (uint64_t c = candidates.offsets[q]; c < candidates.offsets[q + 1]; ++c) {
      held.labels.push_back(candidates.labels[c]);
      held.scores.push_back(candidates.scores[c]);
    }
    held.offsets.push_back(held.labels.size());
    held_truth.append_row(truth.row_indices(q), truth.row_values(q));
  }
  if (held.size() == 0) return 0;
  auto is_unseen = [&](uint32_t l) { return std::binary_search(unseen.begin(), unseen.end(), l); };
  auto top5 = [&](size_t free_seats) {
    const SparseMatrix top = predictor.rank(held, weights, 5, {&reranker, config.window, false, false, free_seats});
    const MetricsReport r = compute_metrics(top, held_truth, inv_propensity, 5);
    uint64_t pairs = 0, found = 0;
    for (uint64_t q = 0; q < held_truth.rows; ++q) {
      const auto row = top.row_indices(q);
      for (uint32_t l : held_truth.row_indices(q)) {
        if (!is_unseen(l)) continue;
        ++pairs;
        found += std::find(row.begin(), row.end(), l) != row.end();
      }
    }
    const double unseen_r5 = pairs ? 100.0 * static_cast<double>(found) / static_cast<double>(pairs) : 0.0;
    return nlohmann::json{{"P@5", 100 * r.precision[4]}, {"PSP@5", 100 * r.psp[4]}, {"unseen_R@5", unseen_r5},
                          {"sum", 100 * r.precision[4] + 100 * r.psp[4] + unseen_r5}};
  };
  const nlohmann::json all = top5(SIZE_MAX), kept = top5(kRerankerFreeSeats);
  const bool keep = kept["sum"].get<double>() > all["sum"].get<double>();
  report = {{"holdout_queries", held.size()},
            {"every_seat_free", all},
            {"places_kept_below", kept},
            {"free_seats", kRerankerFreeSeats},
            {"chosen", keep ? kRerankerFreeSeats : 0}};
  return keep ? static_cast<uint32_t>(kRerankerFreeSeats) : 0;
}

}  // namespace ngame
