#include "predict/vector_scorer.h"

#include "core/dense_math.h"

namespace ngame {

namespace {

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
