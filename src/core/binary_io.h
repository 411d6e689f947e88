#pragma once
// ngame binary container (model files). Layout, little-endian:
//   magic "NGAMEBIN" (8 bytes) | uint32 format version | uint32 endianness mark 0x01020304
//   then sections: tag (4 ASCII bytes) | uint64 payload length | payload | uint32 CRC-32 (zlib) of the payload
//   and a final section with tag "END " and length 0.
// Readers check every length against the file size and every checksum; files are written atomically.
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/mapped_file.h"

namespace ngame {

/// Current container format version; readers reject other versions.
inline constexpr uint32_t kBinaryFormatVersion = 1;

/// Builds a payload from typed values (little-endian, as laid out in memory on x86-64 and aarch64).
class PayloadWriter {
 public:
  void u32(uint32_t v) { raw(&v, sizeof v); }
  void u64(uint64_t v) { raw(&v, sizeof v); }
  void f32(float v) { raw(&v, sizeof v); }
  void str(std::string_view s) {
    u64(s.size());
    raw(s.data(), s.size());
  }
  template <typename T>
  void vec(std::span<const T> v) {
    u64(v.size());
    raw(v.data(), v.size() * sizeof(T));
  }
  void raw(const void* data, size_t bytes) { bytes_.append(static_cast<const char*>(data), bytes); }
  /// The bytes written so far.
  std::string& bytes() { return bytes_; }

 private:
  std::string bytes_;
};

/// Reads typed values from a payload; a read past the end throws InputError naming the file and section.
class PayloadReader {
 public:
  PayloadReader(std::string_view bytes, std::string context) : bytes_(bytes), context_(std::move(context)) {}
  uint32_t u32();
  uint64_t u64();
  float f32();
  std::string str();
  template <typename T>
  std::vector<T> vec() {
    uint64_t n = u64();
    if (n > (bytes_.size() - pos_) / sizeof(T)) fail("array length exceeds the section");
    std::vector<T> out(n);
    take(out.data(), n * sizeof(T));
    return out;
  }
  /// True when every byte was consumed.
  bool done() const { return pos_ == bytes_.size(); }
  /// Throws InputError("<context>: problem").
  [[noreturn]] void fail(const std::string& problem) const;

 private:
  void take(void* out, size_t bytes);
  std::string_view bytes_;
  size_t pos_ = 0;
  std::string context_;
};

/// CRC-32 (zlib's) of bytes of any length: the checksum of sections and of whole model files.
uint32_t crc32_of(std::string_view bytes);

/// Writes tagged sections to a container file atomically.
void write_container(const std::string& path, const std::vector<std::pair<std::string, std::string>>& sections);
/// A container's sections, viewing the mapped file they were read from (kept alive by this).
class Container {
 public:
  Container(std::shared_ptr<const MappedFile> file, std::map<std::string, std::string_view> sections,
            uint32_t file_crc32, std::string bad_section)
      : file_(std::move(file)), sections_(std::move(sections)), file_crc32_(file_crc32),
        bad_section_(std::move(bad_section)) {}
  /// Whether the container has a section with this tag.
  bool has(const std::string& tag) const { return sections_.count(tag) > 0; }
  /// The payload of section tag; throws InputError naming the file when there is none.
  std::string_view at(const std::string& tag) const;
  /// Number of sections.
  size_t size() const { return sections_.size(); }
  /// Every section's payload by tag.
  const std::map<std::string, std::string_view>& sections() const { return sections_; }
  /// The file's path.
  const std::string& path() const { return file_->path(); }
  /// CRC-32 of the whole file (as a manifest records it), computed with the sections' own.
  uint32_t file_crc32() const { return file_crc32_; }
  /// Throws InputError naming the file and the first section whose checksum does not match.
  void check_sections() const;

 private:
  std::shared_ptr<const MappedFile> file_;
  std::map<std::string, std::string_view> sections_;
  uint32_t file_crc32_;
  std::string bad_section_;  // first section whose checksum failed (empty: none)
};

/// Reads and verifies a container. Throws InputError on any corruption or version mismatch.
Container read_container(const std::string& path);
/// Reads a mapped container's layout and checksums in one pass over its bytes; throws InputError when the layout
/// is broken, and leaves the sections' checksums to check_sections() (so a caller can compare file_crc32() with a
/// manifest first).
Container parse_container(std::shared_ptr<const MappedFile> file);

}  // namespace ngame
