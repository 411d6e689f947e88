#include "text/featurizer.h"

#include <cmath>

#include "core/error.h"
#include "test_util.h"

namespace ngame {
namespace {

TEST(Featurizer, VocabularyMinCountAndWeights) {
  TextCorpus docs = testing::make_corpus({"red shoes for running", "blue shoes", "red hat", "green scarf"});
  TextCorpus labels = testing::make_corpus({"shoes", "hats and scarves"});
  Featurizer f({.min_count = 2, .bigram_buckets = 64});
  f.fit({&docs, &labels});
  // "shoes" (3 texts) and "red" (2) pass min_count 2; the rest do not.
  ASSERT_EQ(f.unigram_count(), 2u);
  EXPECT_EQ(f.word(0), "shoes");
  EXPECT_EQ(f.word(1), "red");
  EXPECT_EQ(f.feature_count(), 2u + 64u);
  FeatureRows rows = f.featurize_all(docs);
  ASSERT_EQ(rows.size(), 4u);
  for (size_t r = 0; r < rows.size(); ++r) {
    double sum = 0;
    for (uint64_t p = rows.offsets[r]; p < rows.offsets[r + 1]; ++p) {
      EXPECT_LT(rows.ids[p], f.feature_count());
      sum += rows.weights[p];
    }
    EXPECT_NEAR(sum, 1.0, 1e-6) << r;  // normalised IDF weights: pooling is a weighted mean
  }
  // "red shoes for running": unigrams red, shoes + 3 bigrams (may share buckets).
  EXPECT_GE(rows.offsets[1] - rows.offsets[0], 3u);
}

TEST(Featurizer, RareWordsWeighMore) {
  TextCorpus docs = testing::make_corpus({"common rare", "common x", "common y", "common z"});
  Featurizer f({.min_count = 1, .bigram_buckets = 0});
  f.fit({&docs});
  FeatureRows rows;
  f.featurize("common rare", rows);
  ASSERT_EQ(rows.ids.size(), 2u);
  float w_common = 0, w_rare = 0;
  for (size_t i = 0; i < 2; ++i) (f.word(rows.ids[i]) == "common" ? w_common : w_rare) = rows.weights[i];
  EXPECT_GT(w_rare, w_common);
}

TEST(Featurizer, SaveLoadGivesIdenticalFeatures) {
  TextCorpus docs = testing::make_corpus({"alpha beta gamma", "beta gamma delta", "gamma delta alpha"});
  Featurizer f({.min_count = 1, .bigram_buckets = 32, .char_ngram_buckets = 128});
  f.fit({&docs});
  Featurizer g = Featurizer::load(f.save(), "test");
  FeatureRows a = f.featurize_all(docs), b = g.featurize_all(docs);
  EXPECT_EQ(a.ids, b.ids);
  EXPECT_EQ(a.weights, b.weights);
  EXPECT_EQ(a.offsets, b.offsets);
  std::string truncated = f.save();
  truncated.resize(truncated.size() - 3);
  EXPECT_THROW(Featurizer::load(truncated, "test"), InputError);
}

TEST(Featurizer, UnknownWordsGiveEmptyOrBigramOnlyRows) {
  TextCorpus docs = testing::make_corpus({"known words here"});
  Featurizer f({.min_count = 1, .bigram_buckets = 0});
  f.fit({&docs});
  FeatureRows rows;
  f.featurize("entirely novel", rows);
  EXPECT_EQ(rows.offsets.back(), 0u);
}

}  // namespace
}  // namespace ngame
