#include "data/sparse_matrix.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <ostream>
#include <string_view>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/line_reader.h"

namespace ngame {

void SparseMatrix::append_row(std::span<const uint32_t> ids, std::span<const float> vals) {
  NGAME_CHECK(ids.size() == vals.size(), "ids and values differ in length");
  indices.insert(indices.end(), ids.begin(), ids.end());
  values.insert(values.end(), vals.begin(), vals.end());
  indptr.push_back(indices.size());
  ++rows;
}

std::vector<uint64_t> SparseMatrix::column_counts() const {
  std::vector<uint64_t> counts(cols, 0);
  for (uint32_t id : indices) ++counts[id];
  return counts;
}

SparseMatrix with_sorted_rows(const SparseMatrix& matrix) {
  SparseMatrix out = matrix;
  std::vector<std::pair<uint32_t, float>> row;
  for (uint64_t r = 0; r < out.rows; ++r) {
    row.clear();
    for (uint64_t p = out.indptr[r]; p < out.indptr[r + 1]; ++p) row.emplace_back(out.indices[p], out.values[p]);
    std::sort(row.begin(), row.end());
    for (uint64_t p = out.indptr[r]; p < out.indptr[r + 1]; ++p) {
      out.indices[p] = row[p - out.indptr[r]].first;
      out.values[p] = row[p - out.indptr[r]].second;
    }
  }
  return out;
}

namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string quoted(std::string_view token) {
  constexpr size_t kMax = 40;
  std::string out = "'";
  out.append(token.substr(0, kMax));
  if (token.size() > kMax) out.append("...");
  out.push_back('\'');
  return out;
}

/// Parses a non-negative decimal integer that spans the whole token.
bool parse_uint(std::string_view token, uint64_t& value) {
  if (token.empty() || token.front() == '+' || token.front() == '-') return false;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  return ec == std::errc() && end == token.data() + token.size();
}

struct Header {
  uint64_t rows = 0;
  uint64_t cols = 0;
  uint64_t bytes = 0;  // the header line with its line break
};

Header parse_header(const std::string& path, LineReader& reader) {
  std::string_view line;
  if (!reader.next(line)) throw InputError(path, 1, "missing header 'rows cols' (file is empty)");
  size_t a = 0;
  while (a < line.size() && is_space(line[a])) ++a;
  size_t b = a;
  while (b < line.size() && !is_space(line[b])) ++b;
  size_t c = b;
  while (c < line.size() && is_space(line[c])) ++c;
  size_t d = c;
  while (d < line.size() && !is_space(line[d])) ++d;
  size_t e = d;
  while (e < line.size() && is_space(line[e])) ++e;
  Header h;
  if (!parse_uint(line.substr(a, b - a), h.rows) || !parse_uint(line.substr(c, d - c), h.cols) || e != line.size()) {
    throw InputError(path, 1, "header must be two non-negative integers 'rows cols', got " + quoted(line));
  }
  if (h.cols > UINT32_MAX) throw InputError(path, 1, "column count " + std::to_string(h.cols) + " exceeds 2^32-1");
  h.bytes = line.size() + 1;
  return h;
}

}  // namespace

SparseMatrix read_sparse_matrix(const std::string& path) {
  LineReader reader(path);
  const Header header = parse_header(path, reader);
  // Each row takes at least one byte after the header (its line break, or the text of a last line without one), so
  // the bytes the file can yield bound the row count: an impossible header is an error before anything is
  // allocated from it.
  const uint64_t decoded_bound = decoded_size_bound(path);
  const uint64_t max_rows = decoded_bound > header.bytes ? decoded_bound - header.bytes : 0;
  if (decoded_bound != UINT64_MAX && header.rows > max_rows) {
    throw InputError(path, 1,
                     "header says " + std::to_string(header.rows) + " rows, but the rest of the file holds at most " +
                         std::to_string(max_rows) + " lines");
  }
  const uint64_t expected_rows = header.rows;
  SparseMatrix m;
  m.cols = header.cols;
  std::error_code size_error;
  const uint64_t file_bytes = std::filesystem::file_size(path, size_error);
  // Row offsets for at most as many rows as the file has bytes on disk (a compressed file grows the rest).
  if (!size_error) m.indptr.reserve(std::min(expected_rows, file_bytes) + 1);
  // Each entry takes at least 4 bytes ("i:v "), so a plain file's size bounds nnz. Reserving that much touches no
  // pages until they are filled, so the peak RSS stays that of the matrix itself (no doubling copies).
  if (!size_error && !path.ends_with(".gz")) {
    m.indices.reserve(file_bytes / 4 + 1);
    m.values.reserve(file_bytes / 4 + 1);
  }
  // Duplicate ids are found by sorting a copy of each row's ids: nothing is allocated per column, since a header may
  // claim up to 2^32-1 columns that no row uses.
  std::vector<uint32_t> row_ids;
  std::string_view line;
  while (reader.next(line)) {
    const uint64_t line_no = reader.line_number();
    if (m.rows == expected_rows) {
      throw InputError(path, line_no,
                       "more rows than the header says (" + std::to_string(expected_rows) + ")");
    }
    size_t pos = 0;
    while (pos < line.size()) {
      while (pos < line.size() && is_space(line[pos])) ++pos;
      if (pos == line.size()) break;
      size_t end = pos;
      while (end < line.size() && !is_space(line[end])) ++end;
      std::string_view token = line.substr(pos, end - pos);
      pos = end;
      size_t colon = token.find(':');
      if (colon == std::string_view::npos) {
        throw InputError(path, line_no, "expected 'id:value', got " + quoted(token));
      }
      std::string_view id_text = token.substr(0, colon);
      std::string_view value_text = token.substr(colon + 1);
      if (!id_text.empty() && id_text.front() == '-') {
        throw InputError(path, line_no, "negative label id in " + quoted(token));
      }
      uint64_t id = 0;
      auto [id_end, id_ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
      if (id_text.empty() || id_text.front() == '+' || id_ec != std::errc() ||
          id_end != id_text.data() + id_text.size()) {
        throw InputError(path, line_no, "label id is not a non-negative integer in " + quoted(token));
      }
      if (id >= m.cols) {
        throw InputError(path, line_no,
                         "label id " + std::to_string(id) + " out of range (header says " +
                             std::to_string(m.cols) + " columns)");
      }
      float value = 0;
      auto [value_end, value_ec] =
          std::from_chars(value_text.data(), value_text.data() + value_text.size(), value);
      if (value_text.empty() || value_ec == std::errc::invalid_argument) {
        throw InputError(path, line_no, "value is not a number in " + quoted(token));
      }
      if (value_end != value_text.data() + value_text.size()) {
        throw InputError(path, line_no, "garbage after the value in " + quoted(token));
      }
      if (value_ec != std::errc() || !std::isfinite(value)) {
        throw InputError(path, line_no, "value is not a finite float in " + quoted(token));
      }
      m.indices.push_back(static_cast<uint32_t>(id));
      m.values.push_back(value);
    }
    const uint64_t row_begin = m.indptr.back();
    if (m.indices.size() - row_begin > 1) {
      row_ids.assign(m.indices.begin() + static_cast<ptrdiff_t>(row_begin), m.indices.end());
      std::sort(row_ids.begin(), row_ids.end());
      if (const auto dup = std::adjacent_find(row_ids.begin(), row_ids.end()); dup != row_ids.end()) {
        throw InputError(path, line_no, "duplicate label id " + std::to_string(*dup) + " in the row");
      }
    }
    m.indptr.push_back(m.indices.size());
    ++m.rows;
  }
  if (m.rows != expected_rows) {
    throw InputError(path, reader.line_number() + 1,
                     "fewer rows than the header says: expected " + std::to_string(expected_rows) + ", found " +
                         std::to_string(m.rows) + " (file truncated?)");
  }
  return m;
}

namespace {

// The matrix's text, a line at a time, to `write`.
template <typename Write>
void emit_sparse_matrix(const SparseMatrix& m, Write&& write) {
  NGAME_ASSERT(m.indptr.size() == m.rows + 1);
  std::string line = std::to_string(m.rows) + " " + std::to_string(m.cols) + "\n";
  write(line);
  char buf[64];
  for (uint64_t r = 0; r < m.rows; ++r) {
    line.clear();
    auto ids = m.row_indices(r);
    auto vals = m.row_values(r);
    for (size_t j = 0; j < ids.size(); ++j) {
      if (j) line.push_back(' ');
      auto res = std::to_chars(buf, buf + sizeof buf, ids[j]);
      line.append(buf, res.ptr);
      line.push_back(':');
      res = std::to_chars(buf, buf + sizeof buf, vals[j]);
      line.append(buf, res.ptr);
    }
    line.push_back('\n');
    write(line);
  }
}

}  // namespace

void write_sparse_matrix(const std::string& path, const SparseMatrix& m) {
  AtomicFileWriter out(path);
  emit_sparse_matrix(m, [&](std::string_view line) { out.write(line); });
  out.commit();
}

void write_sparse_matrix(std::ostream& out, const SparseMatrix& m) {
  emit_sparse_matrix(m, [&](std::string_view line) { out.write(line.data(), static_cast<std::streamsize>(line.size())); });
  out.flush();
  if (!out) throw RuntimeError("writing the predictions failed (standard output closed?)");
}

}  // namespace ngame
