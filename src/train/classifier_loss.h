#pragma once
// NGAME's M4 loss (reference: TripletMarginLossOHNMMulti): per document, its P lowest-scoring positives in the batch
// against its N highest-scoring negatives, hinge max(0, s_neg - s_pos + margin), weighted per positive by a softmax
// over the hinges themselves (inactive ones masked, not detached), averaged over batch * P * N.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ngame {

/// Loss options.
struct ClassifierLossConfig {
  uint32_t positives = 3;  ///< hardest (lowest-scoring) positives per document
  uint32_t negatives = 5;  ///< hardest (highest-scoring) negatives per document
  float margin = 0.2f;
  bool softmax_weights = true;  ///< false: plain mean of the hinges
  /// Throws UsageError on invalid values.
  void validate() const;
};

/// Loss of a batch: scores rows x cols, is_positive rows x cols. Writes d(loss)/d(scores) into grad.
double classifier_loss(const float* scores, size_t rows, size_t cols, const std::vector<uint8_t>& is_positive,
                       const ClassifierLossConfig& config, float* grad);

}  // namespace ngame
