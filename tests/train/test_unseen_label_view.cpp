// Labels that play unseen ones while the fusion is fitted: which are picked, what the view shows, and that the
// model's own parts come back.
#include "train/unseen_label_view.h"

#include <gtest/gtest.h>

#include <vector>

#include "test_util.h"

namespace ngame {
namespace {

using testing::binary_matrix;

TEST(UnseenLabels, PickedAmongLabelsWithValidationAndOtherRows) {
  // Label 0: validation and other rows; 1: validation rows only (already unseen); 2: other rows only; 3: both.
  const SparseMatrix labels = binary_matrix(5, {{0, 1}, {0, 2}, {3}, {3, 2}});
  const std::vector<uint8_t> is_validation = {1, 0, 1, 0};
  EXPECT_EQ(pick_unseen_labels(labels, is_validation, 1.0, 1), (std::vector<uint32_t>{0, 3}));
  EXPECT_TRUE(pick_unseen_labels(labels, is_validation, 0.0, 1).empty());
  // A fraction picks about that share, the same for the same seed.
  SparseMatrix many;
  many.cols = 10000;
  std::vector<uint8_t> val;
  for (uint32_t l = 0; l < 10000; ++l) {
    for (int copy = 0; copy < 2; ++copy) {
      many.append_row(std::vector<uint32_t>{l}, std::vector<float>{1.0f});
      val.push_back(copy == 0);
    }
  }
  const auto picked = pick_unseen_labels(many, val, 0.1, 7);
  EXPECT_GT(picked.size(), 900u);
  EXPECT_LT(picked.size(), 1100u);
  EXPECT_EQ(picked, pick_unseen_labels(many, val, 0.1, 7));
  EXPECT_NE(picked, pick_unseen_labels(many, val, 0.1, 8));
}

TEST(UnseenLabels, TheViewShowsThemAsAddedLabelsThenGivesTheModelBack) {
  ModelParts model;
  for (const char* t : {"a", "b", "c"}) model.label_texts.push_back(t);
  model.label_embeddings = {1, 0, 0, 1, 1, 0};
  model.classifiers = {0.6f, 0.8f, 0.8f, 0.6f, 0.0f, 1.0f};
  model.memory_labels = binary_matrix(3, {{0, 1}, {1}, {2, 1}});
  for (uint32_t l = 0; l < 3; ++l) model.sparse_classifiers.append({l}, {1.0f}, 0.5f, true);
  const std::vector<float> classifiers = model.classifiers;
  {
    UnseenLabelView view(model, {1});
    // Label 1 has no sparse classifier; the others keep theirs.
    EXPECT_FALSE(model.sparse_classifiers.has(1));
    EXPECT_TRUE(model.sparse_classifiers.has(0) && model.sparse_classifiers.has(2));
    EXPECT_EQ(model.sparse_classifiers.ids, (std::vector<uint32_t>{0, 2}));
    // Label 1's classifier is its label embedding; the other labels keep theirs.
    EXPECT_EQ(model.classifiers, (std::vector<float>{0.6f, 0.8f, 0, 1, 0.0f, 1.0f}));
    // Label 1 leaves every memory row; the rows stay (the memory index's ids are rows).
    ASSERT_EQ(model.memory_labels.rows, 3u);
    EXPECT_EQ(model.memory_labels.column_counts(), (std::vector<uint64_t>{1, 0, 1}));
    EXPECT_EQ(model.memory_labels.row_size(1), 0u);
  }
  EXPECT_EQ(model.classifiers, classifiers);
  EXPECT_EQ(model.memory_labels.column_counts(), (std::vector<uint64_t>{1, 3, 1}));
  EXPECT_TRUE(model.sparse_classifiers.has(1));
  EXPECT_EQ(model.sparse_classifiers.ids, (std::vector<uint32_t>{0, 1, 2}));
  // No labels: nothing changes.
  {
    UnseenLabelView none(model, {});
    EXPECT_EQ(model.classifiers, classifiers);
    EXPECT_EQ(model.memory_labels.column_counts(), (std::vector<uint64_t>{1, 3, 1}));
  }
}

}  // namespace
}  // namespace ngame
