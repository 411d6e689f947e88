#pragma once
// Fitting the fusion on held-out validation rows: the linear weights of the scorers (coordinate search) for the
// predictor's candidates. Training-only: prediction reads the fitted weights from the model.
#include <nlohmann/json.hpp>
#include <vector>

#include "data/sparse_matrix.h"
#include "predict/fused_predictor.h"

namespace ngame {

/// Fits fusion weights on validation candidates (truth already filtered): coordinate search over a grid, maximising
/// P@1 + psp_weight * PSP@5, first of the weights of every candidate, then (with unseen_weights) of the weights of
/// candidates without training rows (FusionWeights::unseen; kept when they differ). Returns the weights and writes
/// the validation metrics of every scorer alone and of the fusion into report.
FusionWeights fit_fusion(const FusedPredictor& predictor, const CandidateSet& candidates, const SparseMatrix& truth,
                         const std::vector<double>& inv_propensity, nlohmann::json& report, double psp_weight = 1.0,
                         bool unseen_weights = false);

}  // namespace ngame
