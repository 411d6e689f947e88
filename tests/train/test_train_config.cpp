#include "train/train_config.h"

#include <gtest/gtest.h>

namespace ngame {
namespace {

TEST(TrainConfig, LargeLabelSetsGetNarrowerSearchesUnlessSet) {
  TrainConfig small;
  apply_size_defaults(small, kLargeLabelCount - 1);
  EXPECT_EQ(small.predictor.shortlist, kDefaultShortlist);
  EXPECT_EQ(small.hnsw.ef_search, HnswConfig{}.ef_search);
  TrainConfig large;
  apply_size_defaults(large, kLargeLabelCount);
  EXPECT_EQ(large.predictor.shortlist, 50u);  // kLargeLabelSearchWidth
  EXPECT_EQ(large.hnsw.ef_search, 50u);
  TrainConfig set;
  set.predictor.shortlist = 80;
  set.ef_search = 120;
  apply_size_defaults(set, 2 * kLargeLabelCount);
  EXPECT_EQ(set.predictor.shortlist, 80u);
  EXPECT_EQ(set.hnsw.ef_search, 120u);
}

}  // namespace
}  // namespace ngame
