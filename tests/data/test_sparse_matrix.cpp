#include "data/sparse_matrix.h"

#include <zlib.h>

#include "address_space_cap.h"
#include "core/error.h"
#include "test_util.h"

namespace ngame {
namespace {

using testing::TempDir;
using testing::write_bytes;

TEST(SparseMatrix, ReadsRowsValuesAndEmptyRows) {
  TempDir dir;
  write_bytes(dir.file("m.txt"), "3 6\n0:1 5:0.25\n\n4:1.00000\n");
  SparseMatrix m = read_sparse_matrix(dir.file("m.txt"));
  EXPECT_EQ(m.rows, 3u);
  EXPECT_EQ(m.cols, 6u);
  EXPECT_EQ(m.nnz(), 3u);
  EXPECT_EQ(m.row_size(1), 0u);
  EXPECT_EQ(m.row_indices(0)[1], 5u);
  EXPECT_FLOAT_EQ(m.row_values(0)[1], 0.25f);
  EXPECT_EQ(m.column_counts(), (std::vector<uint64_t>{1, 0, 0, 0, 1, 1}));
}

TEST(SparseMatrix, WriteReadRoundTripIsExact) {
  TempDir dir;
  SparseMatrix m;
  m.cols = 1000;
  std::vector<uint32_t> ids = {999, 3, 17};
  std::vector<float> vals = {0.123456789f, -2.5f, 1.0f};
  m.append_row(ids, vals);
  m.append_row({}, {});
  m.append_row(std::vector<uint32_t>{0}, std::vector<float>{1e-7f});
  write_sparse_matrix(dir.file("m.txt"), m);
  SparseMatrix back = read_sparse_matrix(dir.file("m.txt"));
  EXPECT_EQ(back.rows, m.rows);
  EXPECT_EQ(back.cols, m.cols);
  EXPECT_EQ(back.indptr, m.indptr);
  EXPECT_EQ(back.indices, m.indices);
  EXPECT_EQ(back.values, m.values);  // shortest round-trip formatting keeps every bit
  EXPECT_EQ(testing::read_bytes(dir.file("m.txt")).substr(0, 9), "3 1000\n99");
}

TEST(SparseMatrix, SortedRowsKeepValuesWithTheirIds) {
  SparseMatrix m;
  m.cols = 9;
  m.append_row(std::vector<uint32_t>{7, 2, 5}, std::vector<float>{0.7f, 0.2f, 0.5f});
  m.append_row({}, {});
  SparseMatrix s = with_sorted_rows(m);
  EXPECT_EQ(s.indices, (std::vector<uint32_t>{2, 5, 7}));
  EXPECT_EQ(s.values, (std::vector<float>{0.2f, 0.5f, 0.7f}));
  EXPECT_EQ(s.indptr, m.indptr);
}

TEST(SparseMatrix, ColumnCountAllocatesNothingPerColumn) {
  TempDir dir;
  // Valid: one row, and 2^32-1 columns that no row uses. Reading it must not cost memory per column.
  write_bytes(dir.file("m.txt"), "2 4294967295\n0:1 4294967294:0.5\n\n");
  testing::AddressSpaceCap cap(1u << 30);
  const SparseMatrix m = read_sparse_matrix(dir.file("m.txt"));
  EXPECT_EQ(m.cols, 4294967295u);
  EXPECT_EQ(m.indices, (std::vector<uint32_t>{0, 4294967294u}));
  EXPECT_EQ(m.row_size(1), 0u);
}

TEST(SparseMatrix, GzipHeaderBeyondTheDataIsAnErrorNotAnAllocation) {
  TempDir dir;
  // gzip of "1000000000000 5\n0:1\n" (header 10^12 rows, one row).
  const std::string path = dir.file("m.txt.gz");
  {
    gzFile f = gzopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    const std::string text = "1000000000000 5\n0:1\n";
    gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
    gzclose(f);
  }
  testing::AddressSpaceCap cap(1u << 30);
  try {
    read_sparse_matrix(path);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.line(), 1u) << e.what();
    EXPECT_NE(e.problem().find("header says 1000000000000 rows"), std::string::npos) << e.what();
  }
}

struct BadMatrixCase {
  const char* name;
  const char* content;
  uint64_t line;
  const char* message;
};

void PrintTo(const BadMatrixCase& c, std::ostream* os) { *os << c.name; }

class SparseMatrixErrors : public ::testing::TestWithParam<BadMatrixCase> {};

TEST_P(SparseMatrixErrors, NamesLineAndProblem) {
  const BadMatrixCase& c = GetParam();
  TempDir dir;
  write_bytes(dir.file("m.txt"), c.content);
  testing::AddressSpaceCap cap(1u << 30);  // a header's counts never turn into a large allocation
  try {
    read_sparse_matrix(dir.file("m.txt"));
    FAIL() << "no error for " << c.name;
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), dir.file("m.txt"));
    EXPECT_EQ(e.line(), c.line) << e.what();
    EXPECT_NE(e.problem().find(c.message), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllClasses, SparseMatrixErrors,
    ::testing::Values(BadMatrixCase{"empty_file", "", 1, "missing header"},
                      BadMatrixCase{"non_numeric_header", "two 5\n0:1\n", 1, "header must be"},
                      BadMatrixCase{"header_one_number", "2\n0:1\n", 1, "header must be"},
                      BadMatrixCase{"header_garbage", "2 5 x\n0:1\n1:1\n", 1, "header must be"},
                      BadMatrixCase{"fewer_rows", "3 5\n0:1\n1:1\n", 4, "fewer rows"},
                      BadMatrixCase{"more_rows", "1 5\n0:1\n1:1\n", 3, "more rows"},
                      BadMatrixCase{"id_out_of_range", "2 5\n0:1\n5:1\n", 3, "out of range"},
                      BadMatrixCase{"negative_id", "1 5\n-1:1\n", 2, "negative"},
                      BadMatrixCase{"duplicate_id", "1 5\n2:1 3:1 2:0.5\n", 2, "duplicate label id 2"},
                      BadMatrixCase{"non_numeric_value", "1 5\n2:abc\n", 2, "not a number"},
                      BadMatrixCase{"non_numeric_id", "1 5\nx:1\n", 2, "not a non-negative integer"},
                      BadMatrixCase{"garbage_after_value", "1 5\n2:1.0x\n", 2, "garbage after"},
                      BadMatrixCase{"garbage_token", "1 5\n2:1 junk\n", 2, "expected 'id:value'"},
                      BadMatrixCase{"nan_value", "1 5\n2:nan\n", 2, "finite"},
                      BadMatrixCase{"missing_value", "1 5\n2:\n", 2, "not a number"},
                      BadMatrixCase{"rows_beyond_the_file_size", "1000000000000 5\n0:1\n", 1,
                                    "header says 1000000000000 rows"},
                      BadMatrixCase{"rows_one_beyond_the_file_size", "3 5\n\n\n", 1, "header says 3 rows"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace ngame
