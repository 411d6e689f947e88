#pragma once
// Scores labels by the inner product of the text's embedding with one vector per label (the label embeddings of M1
// or the classifiers of M4), shortlisting from an index over those vectors.
#include <vector>

#include "index/ann_index.h"
#include "predict/scorer.h"

namespace ngame {

/// Label vectors (label_count x dim, unit rows, owned by the caller) and an index over them (may be null: no
/// shortlist). With seeded, the index's walk also starts from the batch's label seeds.
class VectorScorer final : public Scorer {
 public:
  /// always_shortlist: shortlist even when the fusion gives this scorer weight 0 (the label embeddings, whose
  /// shortlist every prediction starts from).
  VectorScorer(const std::vector<float>& vectors, const AnnIndex* index, bool seeded, bool always_shortlist);
  std::unique_ptr<ScoredBatch> score_batch(const QueryBatch& batch, size_t shortlist, bool wanted,
                                           const PredictorConfig& search) const override;

 private:
  const std::vector<float>& vectors_;
  const AnnIndex* index_;
  bool seeded_, always_shortlist_;
};

}  // namespace ngame
