#include "data/filter_pairs.h"

#include "core/error.h"
#include "test_util.h"

namespace ngame {
namespace {

using testing::TempDir;
using testing::write_bytes;

TEST(FilterPairs, EmptyFileIsValid) {
  TempDir dir;
  write_bytes(dir.file("f.txt"), "");
  EXPECT_TRUE(read_filter_pairs(dir.file("f.txt"), 10, 10).pairs.empty());
}

TEST(FilterPairs, RoundTripAndRemoval) {
  TempDir dir;
  write_filter_pairs(dir.file("f.txt"), {{0, 2}, {2, 1}});
  FilterPairs f = read_filter_pairs(dir.file("f.txt"), 3, 4);
  ASSERT_EQ(f.pairs.size(), 2u);
  SparseMatrix m;
  m.cols = 4;
  m.append_row(std::vector<uint32_t>{2, 3}, std::vector<float>{1, 1});
  m.append_row(std::vector<uint32_t>{2}, std::vector<float>{1});
  m.append_row(std::vector<uint32_t>{1}, std::vector<float>{0.5});
  SparseMatrix out = remove_filtered(m, f);
  EXPECT_EQ(out.indptr, (std::vector<uint64_t>{0, 1, 2, 2}));
  EXPECT_EQ(out.indices, (std::vector<uint32_t>{3, 2}));
}

TEST(FilterPairs, OutOfRangeNamesTheLine) {
  TempDir dir;
  write_bytes(dir.file("f.txt"), "0 1\n1 9\n");
  try {
    read_filter_pairs(dir.file("f.txt"), 5, 4);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.line(), 2u);
    EXPECT_NE(e.problem().find("label 9 out of range"), std::string::npos);
  }
  write_bytes(dir.file("g.txt"), "7 1\n");
  EXPECT_THROW(read_filter_pairs(dir.file("g.txt"), 5, 4), InputError);
}

TEST(FilterPairs, MalformedLines) {
  TempDir dir;
  for (const char* bad : {"1\n", "1 2 3\n", "a b\n", "-1 2\n"}) {
    write_bytes(dir.file("f.txt"), bad);
    EXPECT_THROW(read_filter_pairs(dir.file("f.txt")), InputError) << bad;
  }
}

}  // namespace
}  // namespace ngame
