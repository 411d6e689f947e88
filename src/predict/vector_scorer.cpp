#include "predict/vector_scorer.h"

#include "core/dense_math.h"

namespace ngame {

namespace {

/// How many candidates ahead score_all requests rows.
constexpr size_t kPrefetchAhead = 4;

class VectorBatch final : public ScoredBatch {
 public:
  VectorBatch(const QueryBatch& batch, const std::vector<float>& vectors, Neighbors neighbors)
      : batch_(batch), vectors_(vectors), neighbors_(std::move(neighbors)) {}
  void shortlist(size_t i, std::vector<uint32_t>& out) const override {
    const size_t k = neighbors_.k;
    for (size_t r = 0; r < k; ++r) {
      if (neighbors_.ids[i * k + r] != UINT32_MAX) out.push_back(neighbors_.ids[i * k + r]);
    }
  }
  float score(size_t i, uint32_t label) const override {
    const size_t d = batch_.dim;
    return dot(batch_.embeddings.data() + i * d, vectors_.data() + static_cast<size_t>(label) * d, d);
  }
  void score_all(size_t i, std::span<const uint32_t> labels, float* out, size_t stride) const override {
    // Candidates' rows lie anywhere in the table: the rows a few candidates ahead are requested while this one is
    // scored, so that their cache misses overlap.
    const size_t d = batch_.dim;
    const float* text = batch_.embeddings.data() + i * d;
    auto row = [&](size_t c) { return vectors_.data() + static_cast<size_t>(labels[c]) * d; };
    for (size_t c = 0; c < labels.size(); ++c) {
      if (c + kPrefetchAhead < labels.size()) {
        const char* ahead = reinterpret_cast<const char*>(row(c + kPrefetchAhead));
        for (size_t b = 0; b < d * sizeof(float); b += 64) __builtin_prefetch(ahead + b);
      }
      out[c * stride] = dot(text, row(c), d);
    }
  }

 private:
  const QueryBatch& batch_;
  const std::vector<float>& vectors_;
  Neighbors neighbors_;  // k = 0: no shortlist
};

}  // namespace

VectorScorer::VectorScorer(const std::vector<float>& vectors, const AnnIndex* index, bool seeded,
                           bool always_shortlist)
    : vectors_(vectors), index_(index), seeded_(seeded), always_shortlist_(always_shortlist) {}

std::unique_ptr<ScoredBatch> VectorScorer::score_batch(const QueryBatch& batch, size_t shortlist, bool wanted,
                                                       const PredictorConfig& search) const {
  Neighbors neighbors;
  if (index_ && (wanted || always_shortlist_)) {
    neighbors = seeded_ ? index_->search_from(batch.embeddings.data(), batch.size, shortlist, batch.label_seeds,
                                              search.ef_search)
                        : index_->search(batch.embeddings.data(), batch.size, shortlist, search.ef_search);
  }
  return std::make_unique<VectorBatch>(batch, vectors_, std::move(neighbors));
}

}  // namespace ngame
