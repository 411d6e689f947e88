#pragma once
// A popularity prior: log(1 + training rows of the label), scaled to [0, 1]. It adds no shortlist; labels added
// after training get 0.
#include <cstdint>
#include <vector>

#include "predict/scorer.h"

namespace ngame {

/// The popularity prior of each label from training label counts: log(1 + n) / log(1 + max n).
std::vector<float> label_prior_from_counts(const std::vector<uint64_t>& counts);

/// Scores every label by its prior.
class PriorScorer final : public Scorer {
 public:
  explicit PriorScorer(std::vector<float> prior) : prior_(std::move(prior)) {}
  std::unique_ptr<ScoredBatch> score_batch(const QueryBatch& batch, size_t shortlist, bool wanted,
                                           const PredictorConfig& search) const override;
  void labels_appended(size_t label_count) override { prior_.resize(label_count, 0.0f); }

 private:
  std::vector<float> prior_;
};

}  // namespace ngame
