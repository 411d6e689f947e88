#pragma once
// M4: one unit-norm classifier vector per label, initialised from its label embedding and trained on the frozen
// encoder's document embeddings with the same cluster batching as M1. Labels without training rows keep their
// label embedding (zero-shot).
#include <functional>
#include <vector>

#include "batching/batch_sampler.h"
#include "core/communicator.h"
#include "data/sparse_matrix.h"
#include "train/classifier_loss.h"

namespace ngame {

/// M4 options.
struct ClassifierTrainConfig {
  uint32_t epochs = 10;
  float lr = 3e-4f;               ///< sparse Adam learning rate (2e-3 and above overfit rare labels; docs/design.md)
  uint32_t warmup_steps = 100;
  float dropout = 0.5f;           ///< dropout on the frozen document embedding (reference: 0.5)
  BatchingConfig batching;        ///< cluster batches on the frozen embeddings
  ClassifierLossConfig loss;
  uint64_t seed = 1;
  /// Throws UsageError on invalid values.
  void validate() const;
};

/// What one M4 epoch did.
struct ClassifierEpochStats {
  uint32_t epoch = 0;
  double loss = 0;
  double cluster_size = 1;
  double seconds = 0;
};

/// Trains classifiers. doc_embeddings: training rows x dim (unit rows); label_embeddings: labels x dim (unit rows).
/// Returns labels x dim unit classifier vectors. With a group of several ranks (every rank calling it with the same
/// arguments) it is data-parallel as M1 is: each rank batches its shard of the rows, a step's columns are every
/// rank's, and the ranks' gradients are summed, so every rank returns the same vectors.
std::vector<float> train_classifiers(const std::vector<float>& doc_embeddings, const SparseMatrix& doc_labels,
                                     const std::vector<float>& label_embeddings, uint32_t dim,
                                     const ClassifierTrainConfig& config,
                                     const std::function<void(const ClassifierEpochStats&)>& on_epoch = {},
                                     Communicator* group = nullptr);

}  // namespace ngame
