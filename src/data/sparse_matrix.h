#pragma once
// Sparse row matrices in the XC Repository text format: header "rows cols", then "id:value" pairs a line.
#include <cstdint>
#include <span>
#include <iosfwd>
#include <string>
#include <vector>

namespace ngame {

/// Compressed sparse rows: label matrices (values 1) and prediction scores. Row entries keep file order.
struct SparseMatrix {
  uint64_t rows = 0;                ///< number of rows
  uint64_t cols = 0;                ///< number of columns (labels)
  std::vector<uint64_t> indptr{0};  ///< rows + 1 offsets into indices/values
  std::vector<uint32_t> indices;    ///< column ids, nnz
  std::vector<float> values;        ///< values, nnz

  /// Number of stored entries.
  uint64_t nnz() const { return indices.size(); }
  /// Column ids of row r.
  std::span<const uint32_t> row_indices(uint64_t r) const {
    return {indices.data() + indptr[r], indices.data() + indptr[r + 1]};
  }
  /// Values of row r.
  std::span<const float> row_values(uint64_t r) const {
    return {values.data() + indptr[r], values.data() + indptr[r + 1]};
  }
  /// Number of entries in row r.
  uint64_t row_size(uint64_t r) const { return indptr[r + 1] - indptr[r]; }
  /// Appends a row (ids must be < cols; not checked for duplicates).
  void append_row(std::span<const uint32_t> ids, std::span<const float> vals);
  /// Number of rows that contain each column (column frequencies), size cols.
  std::vector<uint64_t> column_counts() const;
};

/// A copy whose rows list their column ids in ascending order (values follow their ids).
SparseMatrix with_sorted_rows(const SparseMatrix& matrix);

/// Reads a sparse matrix strictly: every malformed header, row count, pair, id or value is an InputError.
SparseMatrix read_sparse_matrix(const std::string& path);
/// Writes a sparse matrix atomically; values are written in their shortest exact form ("1", "0.25").
void write_sparse_matrix(const std::string& path, const SparseMatrix& matrix);
/// The same text to a stream (standard output, say); throws RuntimeError when the stream fails.
void write_sparse_matrix(std::ostream& out, const SparseMatrix& matrix);

}  // namespace ngame
