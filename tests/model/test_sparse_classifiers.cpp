// Sparse per-label classifiers as a model part: the score by hand, the serialised form and its checks.
#include "model/sparse_classifiers.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/error.h"

namespace ngame {
namespace {

SparseClassifiers two_labels() {
  SparseClassifiers c;
  c.feature_count = 10;
  c.append({0, 4, 7, 9}, {1.0f, 2.0f, -1.0f, 3.0f}, -0.25f, true);
  c.append({}, {}, 0.0f, false);  // a label without training rows
  c.append({7}, {0.5f}, 0.1f, true);
  return c;
}

TEST(SparseClassifiers, ScoreIsBiasPlusTheDotProductComputedByHand) {
  const SparseClassifiers c = two_labels();
  const uint32_t ids[] = {1, 4, 7};
  const float weights[] = {0.5f, 0.5f, 0.70710678f};
  const float m0 = -0.25f + 0.5f * 2.0f + 0.70710678f * -1.0f;
  const SparseText text(ids, weights, 3);
  EXPECT_FLOAT_EQ(c.margin(text, 0), m0);
  EXPECT_FLOAT_EQ(c.score(text, 0), m0);
  EXPECT_FLOAT_EQ(c.score(text, 2), 0.1f + 0.70710678f * 0.5f);
  EXPECT_EQ(c.score(text, 1), kNoClassifierScore);  // no classifier
  EXPECT_EQ(c.score(text, 3), kNoClassifierScore);  // a label added after training
  EXPECT_FLOAT_EQ(c.score(SparseText(ids, weights, 0), 0), -0.25f);  // an empty text: the bias
}

// A label's weights are scanned against the text's filter when they are few per text feature and searched
// otherwise: both must give the dot product summed in feature id order, also where ids collide in the filter.
TEST(SparseClassifiers, ScanAndSearchGiveTheSameMarginAsTheDotProduct) {
  std::mt19937 rng(5);
  std::vector<uint32_t> label_ids;
  std::vector<float> label_weights;
  for (uint32_t id = 0; id < 200000; id += 1 + rng() % 150) {
    label_ids.push_back(id);
    label_weights.push_back(std::uniform_real_distribution<float>(-1, 1)(rng));
  }
  SparseClassifiers c;
  c.feature_count = 200000;
  c.append(label_ids, label_weights, 0.3f, true);
  for (const size_t text_size : {size_t{2}, size_t{8}, size_t{200}}) {  // searched, searched, scanned
    std::vector<uint32_t> ids;
    for (size_t t = 0; t < text_size; ++t) {
      // Half are the label's ids, half ids 4096 apart from one (same filter bit, mostly not the label's).
      const uint32_t id = label_ids[rng() % label_ids.size()];
      ids.push_back(t % 2 ? id : (id + 4096) % 200000);
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::vector<float> weights(ids.size());
    for (float& w : weights) w = std::uniform_real_distribution<float>(0, 1)(rng);
    float expected = 0.3f;
    for (size_t t = 0; t < ids.size(); ++t) {
      const auto at = std::lower_bound(label_ids.begin(), label_ids.end(), ids[t]);
      if (at != label_ids.end() && *at == ids[t]) expected += weights[t] * label_weights[at - label_ids.begin()];
    }
    EXPECT_EQ(c.margin(SparseText(ids.data(), weights.data(), ids.size()), 0), expected) << text_size;
  }
}

TEST(SparseClassifiers, SaveLoadRoundTripsAndWithoutDropsLabels) {
  const SparseClassifiers c = two_labels();
  const SparseClassifiers back = SparseClassifiers::load(c.save(), "sparse.ngm", 3, 10);
  EXPECT_EQ(back.offsets, c.offsets);
  EXPECT_EQ(back.ids, c.ids);
  EXPECT_EQ(back.weights, c.weights);
  EXPECT_EQ(back.bias, c.bias);
  EXPECT_EQ(back.trained, c.trained);
  const SparseClassifiers w = c.without({0});
  EXPECT_FALSE(w.has(0));
  EXPECT_TRUE(w.has(2));
  EXPECT_EQ(w.ids, (std::vector<uint32_t>{7}));
}

TEST(SparseClassifiers, LoadRejectsInconsistentPayloadsNamingTheFile) {
  const SparseClassifiers c = two_labels();
  auto rejects = [](const SparseClassifiers& bad, size_t labels, uint32_t features) {
    try {
      SparseClassifiers::load(bad.save(), "m/sparse.ngm", labels, features);
    } catch (const InputError& e) {
      return std::string(e.what()).find("m/sparse.ngm") != std::string::npos;
    }
    return false;
  };
  EXPECT_TRUE(rejects(c, 4, 10));  // label count differs from the model's
  EXPECT_TRUE(rejects(c, 3, 8));   // feature count differs from the featurizer's
  SparseClassifiers unsorted = c;
  std::swap(unsorted.ids[0], unsorted.ids[1]);
  EXPECT_TRUE(rejects(unsorted, 3, 10));
  SparseClassifiers out_of_range = c;
  out_of_range.feature_count = 8;
  EXPECT_TRUE(rejects(out_of_range, 3, 8));  // id 9 >= 8
  SparseClassifiers nan = c;
  nan.weights[2] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(rejects(nan, 3, 10));
  SparseClassifiers offsets = c;
  offsets.offsets[1] = 99;
  EXPECT_TRUE(rejects(offsets, 3, 10));
  // Offsets that jump past the ids and come back, over ids sorted across labels: refused before any read.
  SparseClassifiers jump;
  jump.feature_count = 10;
  jump.append({1, 2}, {1.0f, 1.0f}, 0.0f, true);
  jump.append({3}, {1.0f}, 0.0f, true);
  jump.append({4, 5}, {1.0f, 1.0f}, 0.0f, true);
  jump.offsets = {0, 99, 3, 5};
  EXPECT_TRUE(rejects(jump, 3, 10));
  const std::string truncated = c.save().substr(0, 30);
  EXPECT_THROW(SparseClassifiers::load(truncated, "m/sparse.ngm", 3, 10), InputError);
}

}  // namespace
}  // namespace ngame
