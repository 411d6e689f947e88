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

}  // namespace
}  // namespace ngame
