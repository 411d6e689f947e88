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
  if (!model.memory_embeddings.empty() && model.memory_index) {
    memory_ = std::make_unique<MemoryScorer>(model.memory_labels, *model.memory_index);
  }
  // The lexical scorer reuses the bag-of-embeddings featurizer (word and bigram TF-IDF); other encoders go without.
  if (const auto* bow = dynamic_cast<const BowEncoder*>(model.encoder.get()); bow && !model.classifiers.empty()) {
    lexical_ = std::make_unique<LexicalScorer>(bow->featurizer(), model.label_texts);
  }
  fused_ = std::make_unique<FusedPredictor>(*model.encoder, model.label_embeddings, *model.label_index,
                                            &model.classifiers, model.classifier_index.get(), memory_.get(),
                                            lexical_.get(), config,
                                            model.memory_labels.rows > 0
                                                ? label_prior_from_counts(model.memory_labels.column_counts())
                                                : std::vector<float>{});
  if (model.fusion && !model.fusion->reranker.is_null()) {
    try {
      reranker_ = RankBooster::from_json(model.fusion->reranker, kRankFeatureCount);
    } catch (const std::exception& e) {
      throw InputError("fusion.json", 0, std::string("bad re-ranker: ") + e.what());
    }
    window_ = model.fusion->reranker_window;
    fused_->set_reranker(&reranker_, window_);
  }
  if (model.fusion) {
    weights_ = model.fusion->weights;
  } else {
    weights_.weight = {1.0f, 0.0f, 0.0f, 0.0f, 0.0f};  // M1 alone: rank by label embeddings
  }
}

void ModelPredictor::labels_appended(const ModelParts& model) {
  NGAME_CHECK(&model == &model_, "labels_appended: a different model");
  const size_t before = fused_->label_count();
  if (lexical_) {
    TextCorpus added;
    for (size_t l = before; l < model.label_count(); ++l) added.push_back(model.label_texts[l]);
    lexical_->add_labels(added);
  }
  fused_->labels_appended(model.label_count());
}

SparseMatrix ModelPredictor::predict(const TextCorpus& texts, size_t k) const { return fused_->predict(texts, weights_, k); }

SparseMatrix ModelPredictor::predict(const TextCorpus& texts, size_t k, const SearchParams& search) const {
  PredictorConfig config = fused_->config();
  if (search.shortlist > 0) config.shortlist = search.shortlist;
  config.ef_search = search.ef_search;
  config.memory_ef_search = search.memory_ef_search;
  config.graph_seeds = search.graph_seeds;
  FusionWeights weights = weights_;
  Reranking reranking{search.reranker ? &reranker_ : nullptr, window_};
  if (!search.only.empty()) {
    size_t chosen = kScorerCount;
    for (size_t s = 0; s < kPriorScorer; ++s) {
      if (search.only == scorer_name(s)) chosen = s;
    }
    if (chosen == kScorerCount) {
      throw UsageError("only: unknown scorer '" + search.only + "' (embedding, classifier, memory or lexical)");
    }
    weights.weight.fill(0.0f);
    weights.weight[chosen] = 1.0f;
    reranking = {};
  }
  return fused_->predict(texts, weights, k, config, reranking);
}

}  // namespace ngame
