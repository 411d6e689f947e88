#include "predict/model_predictor.h"

#include "encoder/bow_encoder.h"
#include "test_util.h"

namespace ngame {
namespace {

// A three-label model whose fusion was fitted with shortlists of `fitted` (0: none recorded).
ModelParts small_model(uint32_t fitted) {
  const TextCorpus labels = testing::make_corpus({"red shoes", "blue hat", "green scarf"});
  Featurizer f({.min_count = 1, .bigram_buckets = 4});
  f.fit({&labels});
  ModelParts model;
  model.encoder = std::make_unique<BowEncoder>(std::move(f), BowEncoderConfig{.dim = 8, .hidden = 4}, 1);
  model.label_texts = labels;
  model.label_embeddings.assign(3 * 8, 0.0f);
  for (size_t l = 0; l < 3; ++l) model.label_embeddings[l * 8 + l] = 1.0f;
  model.build_missing_indices(HnswConfig{}, AnnChoice::kExact, 100, false);
  if (fitted > 0) {
    model.fusion = FusionRecord{};
    model.fusion->shortlist = fitted;
  }
  return model;
}

PredictorConfig shortlist_of(uint32_t n) {
  PredictorConfig c;
  c.shortlist = n;
  return c;
}

TEST(ModelPredictor, ShortlistsAsTheFusionWasFittedUnlessTold) {
  const ModelParts fitted = small_model(30);
  EXPECT_EQ(ModelPredictor(fitted).fused().config().shortlist, 30u);
  // Asking for the general default is a choice too (it was once mistaken for "not set").
  EXPECT_EQ(ModelPredictor(fitted, shortlist_of(kDefaultShortlist)).fused().config().shortlist, kDefaultShortlist);
  EXPECT_EQ(ModelPredictor(fitted, shortlist_of(7)).fused().config().shortlist, 7u);
  const ModelParts unfitted = small_model(0);
  EXPECT_EQ(ModelPredictor(unfitted).fused().config().shortlist, kDefaultShortlist);
}

TEST(ModelPredictor, SeedsTheMemoryGraphAsTheFusionWasFitted) {
  ModelParts model = small_model(30);
  EXPECT_FALSE(ModelPredictor(model).fused().config().memory_seeds);
  model.fusion->memory_seeds = true;
  EXPECT_TRUE(ModelPredictor(model).fused().config().memory_seeds);
  // The model's choice wins over the caller's: the fusion weights were fitted with it.
  PredictorConfig asked;
  asked.memory_seeds = true;
  model.fusion->memory_seeds = false;
  EXPECT_FALSE(ModelPredictor(model, asked).fused().config().memory_seeds);
}

// A scorer written for the test: it shortlists one label for every text and scores only that one.
class PlantedScorer final : public Scorer {
 public:
  explicit PlantedScorer(uint32_t label) : label_(label) {}
  std::unique_ptr<ScoredBatch> score_batch(const QueryBatch&, size_t, bool wanted, const PredictorConfig&) const override {
    calls_ += wanted;
    struct Batch final : ScoredBatch {
      uint32_t label;
      bool wanted;
      void shortlist(size_t, std::vector<uint32_t>& out) const override {
        if (wanted) out.push_back(label);
      }
      // Below kOwnTextCosine: in the lexical slot, 1 would mean the text repeats the label's own.
      float score(size_t, uint32_t l) const override { return l == label ? 0.9f : 0.0f; }
    };
    auto b = std::make_unique<Batch>();
    b->label = label_;
    b->wanted = wanted;
    return b;
  }
  mutable int calls_ = 0;

 private:
  uint32_t label_;
};

TEST(ModelPredictor, AScorerRegisteredInASlotTakesPartInShortlistsAndFusion) {
  const ModelParts model = small_model(0);
  ModelPredictor predictor(model, shortlist_of(1));  // the embeddings shortlist one label a text
  const TextCorpus texts = testing::make_corpus({"red shoes", "blue hat", "green scarf", "red hat"});
  const SparseMatrix before = predictor.predict(texts, 3);
  PlantedScorer planted(2);
  predictor.fused().set_scorer(kLexicalScorer, &planted);
  // Weight 0: asked for scores only (no shortlist), so nothing changes.
  EXPECT_EQ(predictor.predict(texts, 3).indices, before.indices);
  FusionWeights w = predictor.weights();
  w.weight[kLexicalScorer] = 10.0f;
  predictor.set_weights(w);
  const SparseMatrix after = predictor.predict(texts, 3);
  EXPECT_GT(planted.calls_, 0);
  for (uint64_t r = 0; r < after.rows; ++r) {
    ASSERT_GE(after.row_size(r), 1u);
    EXPECT_EQ(after.row_indices(r)[0], 2u);  // its shortlist entered the candidates and its score the fusion
    EXPECT_GE(after.row_values(r)[0], 9.0f - 1.0f);
  }
  predictor.fused().set_scorer(kLexicalScorer, nullptr);
  EXPECT_EQ(predictor.predict(texts, 3).indices, before.indices);
}

}  // namespace
}  // namespace ngame
