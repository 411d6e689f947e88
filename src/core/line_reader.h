#pragma once
// Streaming line reader over plain or gzip-compressed files (zlib reads plain files transparently).
#include <zlib.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ngame {

/// Reads a file line by line with a fixed-size buffer; every line is counted so errors can name it.
class LineReader {
 public:
  /// Opens path for reading; throws InputError(path, 0, ...) when it cannot be opened.
  explicit LineReader(std::string path);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  /// Next line without its '\n' (and without a trailing '\r'); false at end of file. The view lives until the
  /// next call.
  bool next(std::string_view& line);
  /// 1-based number of the line last returned by next() (0 before the first).
  uint64_t line_number() const { return line_number_; }
  /// The path given to the constructor.
  const std::string& path() const { return path_; }

 private:
  bool fill();

  std::string path_;
  gzFile file_ = nullptr;
  std::vector<char> buffer_;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  std::string carry_;
  uint64_t line_number_ = 0;
};

/// The most bytes a LineReader can read from the file: its size when plain, 1032 times its size when it starts as
/// gzip (deflate's largest expansion); UINT64_MAX when unknown (not a regular file). Bounds counts a file claims.
uint64_t decoded_size_bound(const std::string& path);

/// Counts the lines of a file the same way LineReader does (a last line without '\n' counts).
uint64_t count_lines(const std::string& path);

}  // namespace ngame
