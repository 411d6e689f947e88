#include "data/filter_pairs.h"

#include <algorithm>
#include <charconv>
#include <string_view>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/line_reader.h"

namespace ngame {

FilterPairs read_filter_pairs(const std::string& path, uint64_t rows, uint64_t cols) {
  LineReader reader(path);
  FilterPairs filter;
  filter.source = path;
  std::string_view line;
  while (reader.next(line)) {
    uint64_t values[2] = {0, 0};
    size_t pos = 0;
    int count = 0;
    for (;;) {
      while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
      if (pos == line.size()) break;
      size_t end = pos;
      while (end < line.size() && line[end] != ' ' && line[end] != '\t') ++end;
      std::string_view token = line.substr(pos, end - pos);
      pos = end;
      if (count == 2) throw InputError(path, reader.line_number(), "expected 'row label', got extra fields");
      auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), values[count]);
      if (token.front() == '-' || token.front() == '+' || ec != std::errc() || ptr != token.data() + token.size()) {
        throw InputError(path, reader.line_number(), "'" + std::string(token) + "' is not a non-negative integer");
      }
      ++count;
    }
    if (count != 2) throw InputError(path, reader.line_number(), "expected 'row label'");
    if (values[1] > UINT32_MAX) throw InputError(path, reader.line_number(), "label id too large");
    filter.pairs.emplace_back(values[0], static_cast<uint32_t>(values[1]));
    filter.source_lines.push_back(reader.line_number());
  }
  if (rows != 0 || cols != 0) check_filter_pairs(filter, rows, cols);
  return filter;
}

void check_filter_pairs(const FilterPairs& filter, uint64_t rows, uint64_t cols) {
  for (size_t i = 0; i < filter.pairs.size(); ++i) {
    auto [row, label] = filter.pairs[i];
    uint64_t line = i < filter.source_lines.size() ? filter.source_lines[i] : 0;
    if (row >= rows) {
      throw InputError(filter.source, line,
                       "row " + std::to_string(row) + " out of range (" + std::to_string(rows) + " rows)");
    }
    if (label >= cols) {
      throw InputError(filter.source, line,
                       "label " + std::to_string(label) + " out of range (" + std::to_string(cols) + " labels)");
    }
  }
}

void write_filter_pairs(const std::string& path, const std::vector<std::pair<uint64_t, uint32_t>>& pairs) {
  AtomicFileWriter out(path);
  std::string line;
  for (auto [row, label] : pairs) {
    line = std::to_string(row) + " " + std::to_string(label) + "\n";
    out.write(line);
  }
  out.commit();
}

SparseMatrix remove_filtered(const SparseMatrix& matrix, const FilterPairs& filter) {
  if (filter.pairs.empty()) return matrix;
  std::vector<std::pair<uint64_t, uint32_t>> sorted = filter.pairs;
  std::sort(sorted.begin(), sorted.end());
  SparseMatrix out;
  out.cols = matrix.cols;
  out.indices.reserve(matrix.nnz());
  out.values.reserve(matrix.nnz());
  std::vector<uint32_t> keep_ids;
  std::vector<float> keep_vals;
  auto it = sorted.begin();
  for (uint64_t r = 0; r < matrix.rows; ++r) {
    while (it != sorted.end() && it->first < r) ++it;
    auto row_begin = it;
    while (it != sorted.end() && it->first == r) ++it;
    auto ids = matrix.row_indices(r);
    auto vals = matrix.row_values(r);
    keep_ids.clear();
    keep_vals.clear();
    for (size_t j = 0; j < ids.size(); ++j) {
      bool drop = std::binary_search(row_begin, it, std::make_pair(r, ids[j]));
      if (!drop) {
        keep_ids.push_back(ids[j]);
        keep_vals.push_back(vals[j]);
      }
    }
    out.append_row(keep_ids, keep_vals);
  }
  return out;
}

}  // namespace ngame
