#include "predict/sparse_classifier_scorer.h"

#include <algorithm>
#include <vector>

#include "predict/posting_scores.h"

namespace ngame {

namespace {

class SparseBatch final : public ScoredBatch {
 public:
  SparseBatch(const FeatureRows* rows, const SparseClassifiers& classifiers,
              const SparseClassifierScorer::FeatureMajor& by_feature)
      : rows_(rows), classifiers_(classifiers), by_feature_(by_feature) {
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
  void score_all(size_t i, std::span<const uint32_t> labels, float* out, size_t stride) const override {
    if (!rows_ || by_feature_.offsets.empty() || labels.empty()) {
      ScoredBatch::score_all(i, labels, out, stride);
      return;
    }
    const SparseText& text = texts_[i];
    auto posting_of = [&](uint32_t f) {
      if (f + 1 >= by_feature_.offsets.size()) return Posting();
      const uint64_t a = by_feature_.offsets[f], b = by_feature_.offsets[f + 1];
      return Posting(by_feature_.entries.data() + a, b - a);
    };
    // Each candidate's own weights, as margin() reads them, against the walk of the text's postings.
    uint64_t by_label = 0;
    for (uint32_t l : labels) {
      if (classifiers_.has(l)) {
        by_label += std::min<uint64_t>(classifiers_.offsets[l + 1] - classifiers_.offsets[l], kScanPerTextFeature * text.size);
      }
    }
    if (posting_walk_cost(text.ids, text.size, labels.size(), posting_of) >= by_label) {
      ScoredBatch::score_all(i, labels, out, stride);
      return;
    }
    std::vector<float> sum(labels.size());
    for (size_t c = 0; c < labels.size(); ++c) sum[c] = classifiers_.has(labels[c]) ? classifiers_.bias[labels[c]] : 0.0f;
    add_posting_products(text.ids, text.weights, text.size, posting_of, labels, sum.data());
    for (size_t c = 0; c < labels.size(); ++c) {
      out[c * stride] = classifiers_.has(labels[c]) ? sum[c] : kNoClassifierScore;
    }
  }

 private:
  const FeatureRows* rows_;  // null: no featurizer, trained labels score their bias-free 0
  const SparseClassifiers& classifiers_;
  const SparseClassifierScorer::FeatureMajor& by_feature_;
  std::vector<SparseText> texts_;  // one per row, with its membership filter
};

}  // namespace

SparseClassifierScorer::SparseClassifierScorer(const SparseClassifiers& classifiers) : classifiers_(classifiers) {
  if (classifiers.empty() || classifiers.ids.size() > kFeatureMajorMaxWeights) return;
  for (uint32_t id : classifiers.ids) {
    if (id >= classifiers.feature_count) return;  // not a featurizer's classifiers: margin() alone
  }
  // Counting sort by feature; labels are visited in increasing order, so each posting is sorted.
  auto& fm = by_feature_;
  fm.offsets.assign(static_cast<size_t>(classifiers.feature_count) + 1, 0);
  for (uint32_t id : classifiers.ids) ++fm.offsets[id + 1];
  for (size_t f = 0; f + 1 < fm.offsets.size(); ++f) fm.offsets[f + 1] += fm.offsets[f];
  fm.entries.resize(classifiers.ids.size());
  std::vector<uint64_t> next(fm.offsets.begin(), fm.offsets.end() - 1);
  for (uint32_t l = 0; l < classifiers.label_count(); ++l) {
    for (uint64_t j = classifiers.offsets[l]; j < classifiers.offsets[l + 1]; ++j) {
      const uint64_t at = next[classifiers.ids[j]]++;
      fm.entries[at] = {l, classifiers.weights[j]};
    }
  }
}

// Scores even when the blend gives it weight 0: the re-ranker reads every term.
std::unique_ptr<ScoredBatch> SparseClassifierScorer::score_batch(const QueryBatch& batch, size_t, bool,
                                                                 const PredictorConfig&) const {
  return std::make_unique<SparseBatch>(batch.tfidf, classifiers_, by_feature_);
}

}  // namespace ngame
