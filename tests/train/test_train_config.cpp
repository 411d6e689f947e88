#include "train/train_config.h"

#include <gtest/gtest.h>

namespace ngame {
namespace {

TEST(TrainConfig, LargeLabelSetsGetNarrowerSearchesUnlessSet) {
  TrainConfig small;
  apply_size_defaults(small, kLargeLabelCount - 1, 1000000);
  EXPECT_EQ(small.predictor.shortlist, kDefaultShortlist);
  EXPECT_EQ(small.hnsw.ef_search, HnswConfig{}.ef_search);
  TrainConfig large;
  apply_size_defaults(large, kLargeLabelCount, 1000000);
  EXPECT_EQ(large.predictor.shortlist, 50u);  // kLargeLabelSearchWidth
  EXPECT_EQ(large.hnsw.ef_search, 50u);
  TrainConfig set;
  set.predictor.shortlist = 80;
  set.ef_search = 120;
  apply_size_defaults(set, 2 * kLargeLabelCount, 1000000);
  EXPECT_EQ(set.predictor.shortlist, 80u);
  EXPECT_EQ(set.hnsw.ef_search, 120u);
}

TEST(TrainConfig, SmallSetsGetCharacterNgramsUnlessSet) {
  TrainConfig debtags;  // 23K labelled rows x 566 labels = 13.1M pairs
  apply_size_defaults(debtags, 566, 23000);
  EXPECT_EQ(debtags.featurizer.char_ngram_buckets, kSmallSetCharNgramBuckets);
  TrainConfig edge;
  apply_size_defaults(edge, 256, kSmallSetPairs / 256);
  EXPECT_EQ(edge.featurizer.char_ngram_buckets, kSmallSetCharNgramBuckets);
  TrainConfig past_edge;
  apply_size_defaults(past_edge, 256, kSmallSetPairs / 256 + 1);
  EXPECT_EQ(past_edge.featurizer.char_ngram_buckets, 0u);
  TrainConfig many_rows;  // few labels, but more rows than character n-grams are worth by default
  apply_size_defaults(many_rows, 16, kSmallSetCharNgramMaxRows + 1);
  EXPECT_EQ(many_rows.featurizer.char_ngram_buckets, 0u);
  TrainConfig on_featurizer;  // a library caller's featurizer setting stands when char_ngram_buckets is unset
  on_featurizer.featurizer.char_ngram_buckets = 512;
  apply_size_defaults(on_featurizer, 17157, 62000);
  EXPECT_EQ(on_featurizer.featurizer.char_ngram_buckets, 512u);
  TrainConfig wordnet;  // 62K x 17K
  apply_size_defaults(wordnet, 17157, 62000);
  EXPECT_EQ(wordnet.featurizer.char_ngram_buckets, 0u);
  TrainConfig off = debtags;
  off.char_ngram_buckets = 0;
  apply_size_defaults(off, 566, 23000);
  EXPECT_EQ(off.featurizer.char_ngram_buckets, 0u);
  TrainConfig on;
  on.char_ngram_buckets = 1024;
  apply_size_defaults(on, 17157, 62000);
  EXPECT_EQ(on.featurizer.char_ngram_buckets, 1024u);
}

}  // namespace
}  // namespace ngame
