#include "core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/error.h"

namespace ngame {

namespace {
constexpr size_t kFlushBytes = 1 << 20;

std::string errno_text() { return std::strerror(errno); }

void fsync_folder(const std::string& path) {
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (folder.empty()) folder = ".";
  int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}
}  // namespace

AtomicFileWriter::AtomicFileWriter(std::string path) : path_(std::move(path)) {
  std::string pattern = path_ + ".tmp.XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  fd_ = ::mkstemp(name.data());
  if (fd_ < 0) throw RuntimeError("cannot create " + pattern + ": " + errno_text());
  temp_path_ = name.data();
  ::fchmod(fd_, 0644);
  buffer_.reserve(kFlushBytes);
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !temp_path_.empty()) ::unlink(temp_path_.c_str());
}

void AtomicFileWriter::flush_buffer() {
  size_t done = 0;
  while (done < buffer_.size()) {
    ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw RuntimeError("cannot write " + temp_path_ + ": " + errno_text());
    }
    done += static_cast<size_t>(n);
  }
  buffer_.clear();
}

void AtomicFileWriter::write(std::string_view bytes) {
  if (buffer_.size() + bytes.size() > kFlushBytes) flush_buffer();
  if (bytes.size() > kFlushBytes) {
    buffer_.assign(bytes);
    flush_buffer();
    return;
  }
  buffer_.append(bytes);
}

void AtomicFileWriter::commit() {
  flush_buffer();
  if (::fsync(fd_) != 0) throw RuntimeError("cannot fsync " + temp_path_ + ": " + errno_text());
  if (::close(fd_) != 0) {
    fd_ = -1;
    throw RuntimeError("cannot close " + temp_path_ + ": " + errno_text());
  }
  fd_ = -1;
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    throw RuntimeError("cannot rename " + temp_path_ + " to " + path_ + ": " + errno_text());
  }
  committed_ = true;
  fsync_folder(path_);
}

void write_file_atomically(const std::string& path, std::string_view bytes) {
  AtomicFileWriter writer(path);
  writer.write(bytes);
  writer.commit();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "cannot open: " + errno_text());
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) throw InputError(path, 0, "read error");
  return std::move(out).str();
}

}  // namespace ngame
