#pragma once
// One-text-a-line files (trn_X.txt, tst_X.txt, Y.txt, *.raw.txt) held compactly: one byte buffer plus offsets.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ngame {

/// Options for reading a text file.
struct TextReadOptions {
  bool latin1 = false;       ///< input is Latin-1 (legacy *.raw.txt of the reference code); converted to UTF-8
  bool allow_empty = false;  ///< accept empty lines (otherwise an empty text is an error)
};

/// An immutable list of UTF-8 texts stored in one buffer (no per-text allocation).
class TextCorpus {
 public:
  /// Number of texts.
  size_t size() const { return offsets_.size() - 1; }
  /// Text i (0-based), without its newline.
  std::string_view operator[](size_t i) const {
    return std::string_view(bytes_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]);
  }
  /// Appends a text; it must not contain '\n'.
  void push_back(std::string_view text);
  /// Makes room for n texts of bytes in all.
  void reserve(size_t n, size_t bytes) {
    offsets_.reserve(n + 1);
    bytes_.reserve(bytes);
  }
  /// Total bytes of text.
  size_t byte_size() const { return bytes_.size(); }

 private:
  std::string bytes_;
  std::vector<uint64_t> offsets_{0};
};

/// Reads a text file strictly: every line valid UTF-8 (or Latin-1 when asked), non-empty unless allowed.
TextCorpus read_text_file(const std::string& path, const TextReadOptions& options = {});
/// Writes one text a line atomically; a text containing '\n' or '\r' is a UsageError.
void write_text_file(const std::string& path, const TextCorpus& texts);
/// Same, for a vector of strings.
void write_text_file(const std::string& path, const std::vector<std::string>& texts);

}  // namespace ngame
