#include "train/unseen_label_view.h"

#include <algorithm>
#include <cstring>

#include "core/splitmix.h"

namespace ngame {

std::vector<uint32_t> pick_unseen_labels(const SparseMatrix& train_labels, const std::vector<uint8_t>& is_validation,
                                         double fraction, uint64_t seed) {
  if (fraction <= 0) return {};
  std::vector<uint8_t> in_validation(train_labels.cols, 0), elsewhere(train_labels.cols, 0);
  for (uint64_t r = 0; r < train_labels.rows; ++r) {
    auto& seen = is_validation[r] ? in_validation : elsewhere;
    for (uint32_t l : train_labels.row_indices(r)) seen[l] = 1;
  }
  const uint64_t threshold = static_cast<uint64_t>(std::min(1.0, fraction) * 1e6);
  std::vector<uint32_t> picked;
  for (uint32_t l = 0; l < train_labels.cols; ++l) {
    if (in_validation[l] && elsewhere[l] && splitmix64(l ^ (seed * 0x756e7365656eULL)) % 1000000 < threshold) {
      picked.push_back(l);
    }
  }
  return picked;
}

UnseenLabelView::UnseenLabelView(ModelParts& model, const std::vector<uint32_t>& labels)
    : model_(model), labels_(labels) {
  if (labels_.empty()) return;  // nothing shown otherwise: the model's memory is not copied
  std::sort(labels_.begin(), labels_.end());
  const size_t d = model.label_count() ? model.label_embeddings.size() / model.label_count() : 0;
  if (!model.classifiers.empty()) {
    classifiers_.resize(labels_.size() * d);
    for (size_t i = 0; i < labels_.size(); ++i) {
      float* row = model.classifiers.data() + static_cast<size_t>(labels_[i]) * d;
      std::memcpy(classifiers_.data() + i * d, row, d * sizeof(float));
      std::memcpy(row, model.label_embeddings.data() + static_cast<size_t>(labels_[i]) * d, d * sizeof(float));
    }
  }
  memory_labels_ = std::move(model.memory_labels);
  SparseMatrix shown;
  shown.cols = memory_labels_.cols;
  std::vector<uint32_t> ids;
  std::vector<float> values;
  for (uint64_t r = 0; r < memory_labels_.rows; ++r) {
    ids.clear();
    values.clear();
    auto row_ids = memory_labels_.row_indices(r);
    auto row_values = memory_labels_.row_values(r);
    for (size_t j = 0; j < row_ids.size(); ++j) {
      if (std::binary_search(labels_.begin(), labels_.end(), row_ids[j])) continue;
      ids.push_back(row_ids[j]);
      values.push_back(row_values[j]);
    }
    shown.append_row(ids, values);  // an emptied row stays: the memory index's ids are its rows
  }
  model.memory_labels = std::move(shown);
  if (!model.sparse_classifiers.empty()) {
    sparse_ = std::move(model.sparse_classifiers);
    model.sparse_classifiers = sparse_.without(labels_);
  }
}

UnseenLabelView::~UnseenLabelView() {
  if (labels_.empty()) return;
  const size_t d = model_.label_count() ? model_.label_embeddings.size() / model_.label_count() : 0;
  for (size_t i = 0; i < labels_.size() && !classifiers_.empty(); ++i) {
    std::memcpy(model_.classifiers.data() + static_cast<size_t>(labels_[i]) * d, classifiers_.data() + i * d,
                d * sizeof(float));
  }
  model_.memory_labels = std::move(memory_labels_);
  if (!sparse_.empty()) model_.sparse_classifiers = std::move(sparse_);
}

}  // namespace ngame
