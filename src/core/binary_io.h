#pragma once
// ngame binary container (model files). Layout, little-endian:
//   magic "NGAMEBIN" (8 bytes) | uint32 format version | uint32 endianness mark 0x01020304
//   then sections: tag (4 ASCII bytes) | uint64 payload length | payload | uint32 CRC-32 (zlib) of the payload
//   and a final section with tag "END " and length 0.
// Readers check every length against the file size and every checksum; files are written atomically.
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

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

/// Writes tagged sections to a container file atomically.
void write_container(const std::string& path, const std::vector<std::pair<std::string, std::string>>& sections);
/// Reads and verifies a container; returns tag -> payload. Throws InputError on any corruption or version mismatch.
std::map<std::string, std::string> read_container(const std::string& path);

}  // namespace ngame
