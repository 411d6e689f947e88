#include "predict/sparse_classifier_scorer.h"

#include <vector>

namespace ngame {

namespace {

class SparseBatch final : public ScoredBatch {
 public:
  SparseBatch(const FeatureRows* rows, const SparseClassifiers& classifiers) : rows_(rows), classifiers_(classifiers) {
    if (!rows_) return;
    texts_.reserve(rows_->size());
    for (size_t i = 0; i < rows_->size(); ++i) {
      const uint64_t a = rows_->offsets[i], b = rows_->offsets[i + 1];
      texts_.emplace_back(rows_->ids.data() + a, rows_->weights.data() + a, b - a);
    }
  }
  void shortlist(size_t, std::vector<uint32_t>&) const override {}
  float score(size_t i, uint32_t label) const override {
    if (!rows_) return classifiers_.has(label) ? 0.0f : kNoClassifierScore;
    return classifiers_.score(texts_[i], label);
  }

 private:
  const FeatureRows* rows_;  // null: no featurizer, trained labels score their bias-free 0
  const SparseClassifiers& classifiers_;
  std::vector<SparseText> texts_;  // one per row, with its membership filter
};

}  // namespace

// Scores even when the blend gives it weight 0: the re-ranker reads every term.
std::unique_ptr<ScoredBatch> SparseClassifierScorer::score_batch(const QueryBatch& batch, size_t, bool,
                                                                 const PredictorConfig&) const {
  return std::make_unique<SparseBatch>(batch.tfidf, classifiers_);
}

}  // namespace ngame
