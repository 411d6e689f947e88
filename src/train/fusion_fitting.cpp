#include "train/fusion_fitting.h"

#include <array>
#include <cstring>
#include <map>

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
  // The searches below try the same weights again and again (a grid value that is already the weight; the refits
  // without a scorer and the restarts cross the first search's path): about 3 in 10 trials on WordNet. Each weight
  // vector is ranked once; a repeat takes its metrics by the weights' bits.
  std::map<std::array<uint32_t, 2 * kScorerCount + 1>, MetricsReport> tried;
  auto objective = [&](const FusionWeights& w, MetricsReport* out) {
    std::array<uint32_t, 2 * kScorerCount + 1> key{};
    std::memcpy(key.data(), w.weight.data(), sizeof(w.weight));
    if (w.unseen) {
      key[2 * kScorerCount] = 1;
      std::memcpy(key.data() + kScorerCount, w.unseen->data(), sizeof(w.weight));
    }
    auto at = tried.find(key);
    if (at == tried.end()) {
      at = tried.emplace(key, compute_metrics(predictor.rank(candidates, w, 5), truth, inv_propensity, 5)).first;
    }
    const MetricsReport& r = at->second;
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

}  // namespace ngame
