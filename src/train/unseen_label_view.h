#pragma once
// Labels that play unseen labels while the fusion is fitted. The fusion's validation rows otherwise only ever meet
// relevant candidates that have training rows, memory votes and a prior, and learn that a candidate without them
// is a bad bet: exactly what a label added after training, or one no training row carries, looks like. A sample of
// labels is made to look like that for the fit: their classifiers are their label embeddings (as M4 leaves a label
// without rows), they leave the memory's labels (no memory votes, no prior) and lose their sparse classifiers. The encoder and the lexical scorer
// still know them; the shortlist of a classifier graph, when there is one, still finds them by their trained vectors.
#include <cstdint>
#include <vector>

#include "data/sparse_matrix.h"
#include "model/model_store.h"

namespace ngame {

/// Labels that carry validation rows and other training rows, about `fraction` of them, picked by a fixed hash of
/// the label id and seed.
std::vector<uint32_t> pick_unseen_labels(const SparseMatrix& train_labels, const std::vector<uint8_t>& is_validation,
                                         double fraction, uint64_t seed);

/// For its lifetime, model shows `labels` as unseen (classifier = label embedding, no memory entries, no sparse
/// classifier); the model's own classifiers, memory labels and sparse classifiers come back when it ends. Scorers built over the model must not outlive it.
class UnseenLabelView {
 public:
  UnseenLabelView(ModelParts& model, const std::vector<uint32_t>& labels);
  ~UnseenLabelView();
  UnseenLabelView(const UnseenLabelView&) = delete;
  UnseenLabelView& operator=(const UnseenLabelView&) = delete;

 private:
  ModelParts& model_;
  std::vector<uint32_t> labels_;
  std::vector<float> classifiers_;  // the labels' own classifier rows, in labels_ order
  SparseMatrix memory_labels_;      // the model's memory labels
  SparseClassifiers sparse_;        // the model's sparse classifiers
};

}  // namespace ngame
