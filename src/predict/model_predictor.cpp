#include "predict/model_predictor.h"

#include "core/error.h"
#include "encoder/bow_encoder.h"
#include "predict/rank_features.h"

namespace ngame {

ModelPredictor::ModelPredictor(const ModelParts& model, PredictorConfig config) : model_(model) {
  // The shortlist size the fusion weights were fitted with, unless the caller sets one.
  if (config.shortlist == 0 && model.fusion) config.shortlist = model.fusion->shortlist;  // 0: not recorded
  if (model.fusion) config.memory_seeds = model.fusion->memory_seeds;
  NGAME_CHECK(model.label_index != nullptr, "the model's label index is missing");
  scorers_ = make_scorers(model);
  std::array<const Scorer*, kScorerCount> slots;
  for (size_t k = 0; k < kScorerCount; ++k) slots[k] = scorers_.slots[k].get();
  fused_ = std::make_unique<FusedPredictor>(*model.encoder, model.label_embeddings, *model.label_index, slots,
                                            scorers_.lexical, config);
  if (model.fusion && !model.fusion->reranker.is_null()) {
    try {
      // A re-ranker reads the features of the first terms of its fit (16: the five before the sparse classifiers).
      const nlohmann::json& j = model.fusion->reranker;
      const size_t recorded = j.is_object() && j.contains("features") && j["features"].is_number_integer() &&
                                      j["features"].get<int64_t>() > 0
                                  ? j["features"].get<size_t>()
                                  : 0;
      const size_t width = rank_feature_terms(recorded) ? recorded : rank_feature_count(kScorerCount);
      reranker_ = RankBooster::from_json(j, width);
    } catch (const std::exception& e) {
      throw InputError("fusion.json", 0, std::string("bad re-ranker: ") + e.what());
    }
    window_ = model.fusion->reranker_window;
    fused_->set_reranker(&reranker_, window_);
  }
  if (model.fusion) {
    weights_ = model.fusion->weights;
  } else {
    weights_.weight = {1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};  // M1 alone: rank by label embeddings
  }
}

void ModelPredictor::labels_appended(const ModelParts& model) {
  NGAME_CHECK(&model == &model_, "labels_appended: a different model");
  const size_t before = fused_->label_count();
  if (scorers_.lexical) {
    TextCorpus added;
    for (size_t l = before; l < model.label_count(); ++l) added.push_back(model.label_texts[l]);
    scorers_.lexical->add_labels(added);
  }
  for (auto& scorer : scorers_.slots) {
    if (scorer) scorer->labels_appended(model.label_count());
  }
  fused_->labels_appended(model.label_count());
}

SparseMatrix ModelPredictor::predict(const TextCorpus& texts, size_t k) const {
  return fused_->predict(texts, weights_, k, fused_->config(), {&reranker_, window_, true, true});
}

SparseMatrix ModelPredictor::predict(const TextCorpus& texts, size_t k, const SearchParams& search) const {
  PredictorConfig config = fused_->config();
  if (search.shortlist > 0) config.shortlist = search.shortlist;
  config.ef_search = search.ef_search;
  config.memory_ef_search = search.memory_ef_search;
  config.graph_seeds = search.graph_seeds;
  FusionWeights weights = weights_;
  Reranking reranking{search.reranker ? &reranker_ : nullptr, window_, search.own_text_first, true};
  if (!search.only.empty()) {
    size_t chosen = kScorerCount;
    for (size_t s = 0; s < kScorerCount; ++s) {
      if (s != kPriorScorer && search.only == scorer_name(s)) chosen = s;
    }
    if (chosen == kScorerCount) {
      throw UsageError("only: unknown scorer '" + search.only +
                       "' (embedding, classifier, memory, lexical or sparse)");
    }
    if (chosen == kSparseScorer && !scorers_.slots[kSparseScorer]) {
      throw UsageError("only: the model has no sparse classifiers (trained with --sparse-classifiers off, or "
                       "before they existed)");
    }
    config.unknown_word_shortlist = false;
    weights.weight.fill(0.0f);
    weights.weight[chosen] = 1.0f;
    weights.unseen.reset();
    reranking = {};
  }
  return fused_->predict(texts, weights, k, config, reranking);
}

}  // namespace ngame
