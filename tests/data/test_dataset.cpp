#include "data/dataset.h"

#include <tuple>

#include "address_space_cap.h"
#include "core/error.h"
#include "data/dataset_stats.h"
#include "test_util.h"

namespace ngame {
namespace {

using testing::TempDir;
using testing::write_bytes;

void write_tiny_dataset(const TempDir& dir) {
  write_bytes(dir.file("Y.txt"), "label zero\nlabel one\nlabel two\n");
  write_bytes(dir.file("trn_X.txt"), "doc a\ndoc b\n");
  write_bytes(dir.file("trn_X_Y.txt"), "2 3\n0:1 1:1\n1:1\n");
  write_bytes(dir.file("tst_X.txt"), "doc c\n");
  write_bytes(dir.file("tst_X_Y.txt"), "1 3\n2:1\n");
  write_bytes(dir.file("filter_labels_test.txt"), "0 1\n");
}

TEST(Dataset, LoadsAndSummarises) {
  TempDir dir;
  write_tiny_dataset(dir);
  Dataset data = load_dataset(dir.str());
  EXPECT_EQ(data.label_count(), 3u);
  EXPECT_EQ(data.train.texts.size(), 2u);
  ASSERT_TRUE(data.test.has_value());
  EXPECT_EQ(data.test->filter.pairs.size(), 1u);
  DatasetStats s = compute_dataset_stats(data);
  EXPECT_EQ(s.labels_only_in_test, 1u);
  EXPECT_EQ(s.labels_without_train_rows, 1u);
  EXPECT_EQ(s.test_rows_with_unseen_label, 1u);
  EXPECT_DOUBLE_EQ(s.train.labels_per_row.mean, 1.5);
  EXPECT_NE(format_dataset_stats(s).find("labels seen only in test   1"), std::string::npos);
}

TEST(Dataset, RowCountMismatchNamesBothFiles) {
  TempDir dir;
  write_tiny_dataset(dir);
  write_bytes(dir.file("trn_X.txt"), "doc a\ndoc b\ndoc extra\n");
  try {
    load_dataset(dir.str());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), dir.file("trn_X_Y.txt"));
    EXPECT_NE(e.problem().find("trn_X.txt has 3 lines"), std::string::npos) << e.what();
  }
}

TEST(Dataset, LabelCountMismatch) {
  TempDir dir;
  write_tiny_dataset(dir);
  write_bytes(dir.file("Y.txt"), "label zero\nlabel one\n");
  EXPECT_THROW(load_dataset(dir.str()), InputError);
}

// A header's counts are checked before anything is allocated from them: the error names the file and its header.
TEST(Dataset, ImpossibleHeaderCountsNameTheFileNotOutOfMemory) {
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"trn_X_Y.txt", "1000000000000 3\n0:1 1:1\n1:1\n", "header says 1000000000000 rows"},
      {"tst_X_Y.txt", "1000000000000 3\n2:1\n", "header says 1000000000000 rows"},
      {"trn_X_Y.txt", "2 4294967295\n0:1 1:1\n1:1\n", "header says 4294967295 labels but Y.txt has 3"},
      {"tst_X_Y.txt", "1 4294967295\n2:1\n", "header says 4294967295 labels but Y.txt has 3"},
  };
  for (const auto& [file, content, message] : cases) {
    TempDir dir;
    write_tiny_dataset(dir);
    write_bytes(dir.file(file), content);
    testing::AddressSpaceCap cap(1u << 30);
    try {
      load_dataset(dir.str());
      ADD_FAILURE() << file << ": no error";
    } catch (const InputError& e) {
      EXPECT_EQ(e.file(), dir.file(file));
      EXPECT_EQ(e.line(), 1u) << e.what();
      EXPECT_NE(e.problem().find(message), std::string::npos) << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << file << ": " << e.what();
    }
  }
}

TEST(Dataset, FilterOutOfRange) {
  TempDir dir;
  write_tiny_dataset(dir);
  write_bytes(dir.file("filter_labels_test.txt"), "1 0\n");
  try {
    load_dataset(dir.str());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.line(), 1u);
    EXPECT_NE(e.problem().find("row 1 out of range"), std::string::npos);
  }
}

TEST(Dataset, MissingFolderAndMissingTestWhenRequired) {
  EXPECT_THROW(load_dataset("/nonexistent/folder"), InputError);
  TempDir dir;
  write_tiny_dataset(dir);
  std::filesystem::remove(dir.file("tst_X.txt"));
  std::filesystem::remove(dir.file("tst_X_Y.txt"));
  std::filesystem::remove(dir.file("filter_labels_test.txt"));
  EXPECT_FALSE(load_dataset(dir.str()).test.has_value());
  EXPECT_THROW(load_dataset(dir.str(), {.require_test = true}), InputError);
}

TEST(Dataset, SharedDatasetsLoad) {
  const std::string shared = testing::shared_dir();
  if (shared.empty()) GTEST_SKIP() << "../shared not present";
  Dataset wn = load_dataset(shared + "/data/wordnet-hypernym-d2");
  EXPECT_EQ(wn.train.labels.rows, 65508u);
  EXPECT_EQ(wn.test->labels.rows, 16606u);
  EXPECT_EQ(wn.label_count(), 17157u);
  EXPECT_EQ(compute_dataset_stats(wn).labels_only_in_test, 1266u);
  Dataset dt = load_dataset(shared + "/data/debtags-bookworm");
  EXPECT_EQ(dt.label_count(), 566u);
}

}  // namespace
}  // namespace ngame
