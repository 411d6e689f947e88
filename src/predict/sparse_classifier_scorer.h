#pragma once
// The sparse per-label classifiers as a scorer of the fusion: bias + the dot product of a label's sparse weights with
// the text's L2-normalised TF-IDF row (the lexical scorer's query rows). It scores the other scorers' candidates and
// adds no shortlist of its own.
#include "model/sparse_classifiers.h"
#include "predict/scorer.h"

namespace ngame {

/// Scores candidates with SparseClassifiers (which must outlive it); kNoClassifierScore where a label has none.
class SparseClassifierScorer final : public Scorer {
 public:
  explicit SparseClassifierScorer(const SparseClassifiers& classifiers) : classifiers_(classifiers) {}
  std::unique_ptr<ScoredBatch> score_batch(const QueryBatch& batch, size_t shortlist, bool wanted,
                                           const PredictorConfig& search) const override;

 private:
  const SparseClassifiers& classifiers_;
};

}  // namespace ngame
