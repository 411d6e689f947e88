#include "predict/graph_seeds.h"

#include "test_util.h"

namespace ngame {
namespace {

// Four labels with hand-set 2-d embeddings; the query is (1, 0).
struct Fixture {
  TextCorpus labels = testing::make_corpus({"apple fruit", "fruit basket", "car engine", "apple pie"});
  Featurizer featurizer{FeaturizerConfig{.min_count = 1, .bigram_buckets = 0}};
  std::vector<float> embeddings = {0.9f, 0.1f,    // apple fruit: shares "apple" with the query, scores best
                                   0.7f, 0.3f,    // fruit basket: shares a word with "apple fruit" only
                                   0.95f, 0.05f,  // car engine: close in embedding, shares no word with either
                                   0.5f, 0.5f};   // apple pie: shares "apple"
  std::vector<float> query = {1.0f, 0.0f};
  Fixture() { featurizer.fit({&labels}); }
};

TEST(GraphSeeds, BestByEmbeddingAmongTheLabelsSharingWordsWithTheTextOrItsBestLabels) {
  Fixture f;
  LexicalScorer lexical(f.featurizer, f.labels);
  const FeatureRows tfidf = lexical.vectors(testing::make_corpus({"apple"}));
  // The text's reach is {apple fruit, apple pie}; the best of them lends "fruit", which reaches "fruit basket".
  auto seeds = lexical_graph_seeds(lexical, tfidf, f.query.data(), f.embeddings, 2, {.count = 3, .expand_from = 1});
  ASSERT_EQ(seeds.size(), 1u);
  EXPECT_EQ(seeds[0], (std::vector<uint32_t>{0, 1, 3}));
  // Without the second reach, the text's own words only; count caps the list.
  seeds = lexical_graph_seeds(lexical, tfidf, f.query.data(), f.embeddings, 2, {.count = 3, .expand_from = 0});
  EXPECT_EQ(seeds[0], (std::vector<uint32_t>{0, 3}));
  seeds = lexical_graph_seeds(lexical, tfidf, f.query.data(), f.embeddings, 2, {.count = 1, .expand_from = 1});
  EXPECT_EQ(seeds[0], (std::vector<uint32_t>{0}));
}

TEST(GraphSeeds, TextsWithoutKnownWordsGetNoSeeds) {
  Fixture f;
  LexicalScorer lexical(f.featurizer, f.labels);
  const FeatureRows tfidf = lexical.vectors(testing::make_corpus({"zzz", "car"}));
  const std::vector<float> queries = {1.0f, 0.0f, 0.0f, 1.0f};
  const auto seeds = lexical_graph_seeds(lexical, tfidf, queries.data(), f.embeddings, 2);
  ASSERT_EQ(seeds.size(), 2u);
  EXPECT_TRUE(seeds[0].empty());
  EXPECT_EQ(seeds[1], (std::vector<uint32_t>{2}));
}

}  // namespace
}  // namespace ngame
