#pragma once
// The sparse per-label classifiers as a scorer of the fusion: bias + the dot product of a label's sparse weights with
// the text's L2-normalised TF-IDF row (the lexical scorer's query rows). It scores the other scorers' candidates and
// adds no shortlist of its own.
#include <cstdint>
#include <utility>
#include <vector>

#include "model/sparse_classifiers.h"
#include "predict/scorer.h"

namespace ngame {

/// Weights beyond which the scorer keeps no feature-major copy of them (8 bytes each: 256 MiB at most). Past it
/// the postings of common words grow with the label count and the copy would rarely be the cheaper way.
inline constexpr uint64_t kFeatureMajorMaxWeights = uint64_t{1} << 25;

/// Scores candidates with SparseClassifiers (which must outlive it); kNoClassifierScore where a label has none.
class SparseClassifierScorer final : public Scorer {
 public:
  /// Builds the feature-major copy of the weights when they are at most kFeatureMajorMaxWeights.
  explicit SparseClassifierScorer(const SparseClassifiers& classifiers);
  std::unique_ptr<ScoredBatch> score_batch(const QueryBatch& batch, size_t shortlist, bool wanted,
                                           const PredictorConfig& search) const override;

  /// The same weights by feature: feature f's labels (ascending) and weights are [offsets[f], offsets[f + 1]).
  /// A text's candidates are then scored together by walking its few features' postings, when that reads fewer
  /// weights than scanning each candidate's own (the sum of each label's products is added in the same order, so
  /// both ways give the same floats).
  struct FeatureMajor {
    std::vector<uint64_t> offsets;                        ///< empty: no copy
    std::vector<std::pair<uint32_t, float>> entries;      ///< (label, weight)
  };

 private:
  const SparseClassifiers& classifiers_;
  FeatureMajor by_feature_;
};

}  // namespace ngame
