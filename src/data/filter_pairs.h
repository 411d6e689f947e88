#pragma once
// Reciprocal-pair filter files (filter_labels_{train,test}.txt): "row label" a line; an empty file is valid.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "data/sparse_matrix.h"

namespace ngame {

/// (row, label) pairs removed from both predictions and truth before scoring.
struct FilterPairs {
  std::vector<std::pair<uint64_t, uint32_t>> pairs;  ///< in file order
  std::string source;                                  ///< file the pairs came from (for error messages)
  std::vector<uint64_t> source_lines;                  ///< 1-based line of each pair in source
};

/// Reads a filter file; rows and labels are checked against the given bounds (pass 0 to skip a check).
FilterPairs read_filter_pairs(const std::string& path, uint64_t rows = 0, uint64_t cols = 0);
/// Throws InputError naming the file and line of the first pair outside rows x cols.
void check_filter_pairs(const FilterPairs& filter, uint64_t rows, uint64_t cols);
/// Writes pairs atomically, one "row label" a line.
void write_filter_pairs(const std::string& path, const std::vector<std::pair<uint64_t, uint32_t>>& pairs);
/// Returns matrix without the filtered (row, label) entries.
SparseMatrix remove_filtered(const SparseMatrix& matrix, const FilterPairs& filter);

}  // namespace ngame
