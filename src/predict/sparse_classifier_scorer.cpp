#include "predict/sparse_classifier_scorer.h"

namespace ngame {

namespace {

class SparseBatch final : public ScoredBatch {
 public:
  SparseBatch(const FeatureRows* rows, const SparseClassifiers& classifiers) : rows_(rows), classifiers_(classifiers) {}
  void shortlist(size_t, std::vector<uint32_t>&) const override {}
  float score(size_t i, uint32_t label) const override {
    if (!rows_) return classifiers_.has(label) ? 0.0f : kNoClassifierScore;
    const uint64_t a = rows_->offsets[i], b = rows_->offsets[i + 1];
    return classifiers_.score(rows_->ids.data() + a, rows_->weights.data() + a, b - a, label);
  }

 private:
  const FeatureRows* rows_;  // null: no featurizer, trained labels score their bias-free 0
  const SparseClassifiers& classifiers_;
};

}  // namespace

// Scores even when the blend gives it weight 0: the re-ranker reads every term.
std::unique_ptr<ScoredBatch> SparseClassifierScorer::score_batch(const QueryBatch& batch, size_t, bool,
                                                                 const PredictorConfig&) const {
  return std::make_unique<SparseBatch>(batch.tfidf, classifiers_);
}

}  // namespace ngame
