#include "predict/sparse_classifier_scorer.h"

#include <algorithm>
#include <vector>

#include "core/runtime.h"
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
  // Counting sort by feature, in parallel over ranges of labels: each range counts its features, a range's entries
  // of a feature follow those of the ranges before it, and each range visits its labels in increasing order, so
  // every posting is sorted by label (the same copy as one thread's). The scattered writes are most of the time to
  // load a model with large sparse classifiers (200K / 100K: about 0.3 s on one thread).
  auto& fm = by_feature_;
  const size_t features = classifiers.feature_count, labels = classifiers.label_count();
  const size_t ranges = std::max<size_t>(1, std::min<size_t>(static_cast<size_t>(thread_count()), labels));
  auto first_label = [&](size_t r) { return static_cast<uint32_t>(labels * r / ranges); };
  std::vector<std::vector<uint64_t>> next(ranges, std::vector<uint64_t>(features, 0));  // counts, then write places
#pragma omp parallel for schedule(static, 1)
  for (size_t r = 0; r < ranges; ++r) {
    for (uint64_t j = classifiers.offsets[first_label(r)]; j < classifiers.offsets[first_label(r + 1)]; ++j) {
      ++next[r][classifiers.ids[j]];
    }
  }
  fm.offsets.assign(features + 1, 0);
  uint64_t at = 0;
  for (size_t f = 0; f < features; ++f) {
    fm.offsets[f] = at;
    for (size_t r = 0; r < ranges; ++r) {
      const uint64_t count = next[r][f];
      next[r][f] = at;
      at += count;
    }
  }
  fm.offsets[features] = at;
  fm.entries.resize(classifiers.ids.size());
#pragma omp parallel for schedule(static, 1)
  for (size_t r = 0; r < ranges; ++r) {
    std::vector<uint64_t>& place = next[r];
    for (uint32_t l = first_label(r); l < first_label(r + 1); ++l) {
      for (uint64_t j = classifiers.offsets[l]; j < classifiers.offsets[l + 1]; ++j) {
        fm.entries[place[classifiers.ids[j]]++] = {l, classifiers.weights[j]};
      }
    }
  }
}

// Scores even when the blend gives it weight 0: the re-ranker reads every term.
std::unique_ptr<ScoredBatch> SparseClassifierScorer::score_batch(const QueryBatch& batch, size_t, bool,
                                                                 const PredictorConfig&) const {
  return std::make_unique<SparseBatch>(batch.tfidf, classifiers_, by_feature_);
}

}  // namespace ngame
