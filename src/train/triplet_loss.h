#pragma once
// NGAME's M1 loss (reference: TripletMarginLossOHNM): per document, the k hardest in-batch negatives by score,
// hinge max(0, s_neg - s_pos + margin), weighted by a softmax of the negatives' scores / temperature over the
// violating ones (not detached), averaged over batch * k.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "data/sparse_matrix.h"

namespace ngame {

/// Loss options.
struct TripletLossConfig {
  uint32_t negatives = 10;     ///< k hardest negatives per document
  float margin = 0.1f;         ///< hinge margin (the reference uses 0.3; 0.1 scores best here, docs/design.md)
  float temperature = 0.1f;    ///< softmax temperature of the weights
  bool softmax_weights = true; ///< false: plain mean of the k hinges
  /// Throws UsageError on invalid values.
  void validate() const;
};

/// The in-batch mask: is_positive[i * columns.size() + j] = 1 when columns[j] is any label of document docs[i]
/// (sorted_labels: the training label matrix with each row's ids sorted). Such columns are never negatives.
std::vector<uint8_t> positive_mask(const SparseMatrix& sorted_labels, const std::vector<uint32_t>& docs,
                                   const std::vector<uint32_t>& columns);

/// Loss of a batch. scores: rows x cols (row-major), positive[i]: column of row i's positive,
/// is_positive[i * cols + j]: column j holds one of row i's labels (never a negative). Writes d(loss)/d(scores)
/// into grad (rows x cols) and returns the loss.
double triplet_loss(const float* scores, size_t rows, size_t cols, const uint32_t* positive,
                    const std::vector<uint8_t>& is_positive, const TripletLossConfig& config, float* grad);

}  // namespace ngame
