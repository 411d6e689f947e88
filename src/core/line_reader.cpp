#include "core/line_reader.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace ngame {

namespace {
constexpr size_t kBufferBytes = 1 << 20;
}

LineReader::LineReader(std::string path) : path_(std::move(path)), buffer_(kBufferBytes) {
  errno = 0;
  file_ = gzopen(path_.c_str(), "rb");
  if (file_ == nullptr) {
    throw InputError(path_, 0, std::string("cannot open: ") + (errno ? std::strerror(errno) : "out of memory"));
  }
  gzbuffer(file_, 1 << 18);
}

LineReader::~LineReader() {
  if (file_ != nullptr) gzclose(file_);
}

bool LineReader::fill() {
  if (eof_) return false;
  int n = gzread(file_, buffer_.data(), static_cast<unsigned>(buffer_.size()));
  if (n < 0) {
    int code = 0;
    const char* msg = gzerror(file_, &code);
    throw InputError(path_, line_number_ + 1, std::string("read error: ") + (msg ? msg : "unknown"));
  }
  if (n == 0) {
    // A truncated gzip stream reads as a clean end of file unless we ask zlib.
    int code = 0;
    const char* msg = gzerror(file_, &code);
    if (code != Z_OK && code != Z_STREAM_END) {
      throw InputError(path_, line_number_ + 1, std::string("read error: ") + (msg ? msg : "unknown"));
    }
    eof_ = true;
    return false;
  }
  begin_ = 0;
  end_ = static_cast<size_t>(n);
  return true;
}

bool LineReader::next(std::string_view& line) {
  carry_.clear();
  bool have_carry = false;
  for (;;) {
    if (begin_ == end_ && !fill()) {
      if (!have_carry) return false;
      break;  // last line without '\n'
    }
    const char* start = buffer_.data() + begin_;
    const void* nl = std::memchr(start, '\n', end_ - begin_);
    if (nl != nullptr) {
      size_t len = static_cast<const char*>(nl) - start;
      begin_ += len + 1;
      if (!have_carry) {
        line = std::string_view(start, len);
      } else {
        carry_.append(start, len);
        line = carry_;
      }
      ++line_number_;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      return true;
    }
    carry_.append(start, end_ - begin_);
    have_carry = true;
    begin_ = end_;
  }
  line = carry_;
  ++line_number_;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return true;
}

uint64_t decoded_size_bound(const std::string& path) {
  // A deflate stream expands at most 1032 times (a 258-byte match per 2 bits); gzip headers only lower the ratio.
  constexpr uint64_t kMaxDeflateRatio = 1032;
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) return UINT64_MAX;
  const uint64_t size = std::filesystem::file_size(path, error);
  if (error) return UINT64_MAX;
  unsigned char magic[2] = {0, 0};
  std::ifstream(path, std::ios::binary).read(reinterpret_cast<char*>(magic), 2);
  const bool gzip = magic[0] == 0x1f && magic[1] == 0x8b;
  if (!gzip) return size;
  return size > UINT64_MAX / kMaxDeflateRatio ? UINT64_MAX : size * kMaxDeflateRatio;
}

uint64_t count_lines(const std::string& path) {
  LineReader reader(path);
  std::string_view line;
  while (reader.next(line)) {
  }
  return reader.line_number();
}

}  // namespace ngame
