#pragma once
// Predictions of a loaded model: the fused pipeline when the model has M4, the memory and fusion weights; the label
// embeddings alone (M1) otherwise. Search settings are chosen per call (SearchParams) and never change the model.
#include <memory>

#include "model/model_store.h"
#include "predict/fused_predictor.h"
#include "predict/search_params.h"

namespace ngame {

/// Owns the scorers built over a ModelParts (which must outlive it).
class ModelPredictor {
 public:
  /// config: the defaults of every call (shortlist 0: as the fusion was fitted).
  explicit ModelPredictor(const ModelParts& model, PredictorConfig config = {});
  /// Top-k labels of each text (texts x labels score matrix) with the default settings.
  SparseMatrix predict(const TextCorpus& texts, size_t k) const;
  /// Top-k labels of each text searched as `search` says; safe to call from several threads at once.
  SparseMatrix predict(const TextCorpus& texts, size_t k, const SearchParams& search) const;
  /// The fused predictor, for fitting or inspecting scores.
  const FusedPredictor& fused() const { return *fused_; }
  /// The same, to register another scorer in a slot (FusedPredictor::set_scorer).
  FusedPredictor& fused() { return *fused_; }
  /// The memory scorer (null when the model has no memory).
  const MemoryScorer* memory() const { return scorers_.memory; }
  /// The weights predict() uses.
  const FusionWeights& weights() const { return weights_; }
  /// Takes note of labels appended to the model (model_addition's append_label_rows) since the last call.
  void labels_appended(const ModelParts& model);
  /// Replaces the weights (e.g. after fitting them).
  void set_weights(const FusionWeights& weights) { weights_ = weights; }
  /// Replaces the re-ranker (an empty one switches it off).
  void set_reranker(RankBooster reranker, size_t window) {
    reranker_ = std::move(reranker);
    window_ = window;
    fused_->set_reranker(&reranker_, window);
  }

 private:
  ScorerSet scorers_;
  std::unique_ptr<FusedPredictor> fused_;
  FusionWeights weights_;
  RankBooster reranker_;
  size_t window_ = 0;
  const ModelParts& model_;
};

}  // namespace ngame
