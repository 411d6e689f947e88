#include "predict/prior_scorer.h"

#include <algorithm>
#include <cmath>

namespace ngame {

std::vector<float> label_prior_from_counts(const std::vector<uint64_t>& counts) {
  uint64_t max_count = 0;
  for (uint64_t c : counts) max_count = std::max(max_count, c);
  std::vector<float> prior(counts.size(), 0.0f);
  if (max_count == 0) return prior;
  const double scale = std::log1p(static_cast<double>(max_count));
  for (size_t l = 0; l < counts.size(); ++l) prior[l] = static_cast<float>(std::log1p(static_cast<double>(counts[l])) / scale);
  return prior;
}

namespace {

class PriorBatch final : public ScoredBatch {
 public:
  explicit PriorBatch(const std::vector<float>& prior) : prior_(prior) {}
  void shortlist(size_t, std::vector<uint32_t>&) const override {}
  float score(size_t, uint32_t label) const override { return prior_[label]; }

 private:
  const std::vector<float>& prior_;
};

}  // namespace

std::unique_ptr<ScoredBatch> PriorScorer::score_batch(const QueryBatch&, size_t, bool, const PredictorConfig&) const {
  return std::make_unique<PriorBatch>(prior_);
}

}  // namespace ngame
