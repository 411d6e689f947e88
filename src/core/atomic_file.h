#pragma once
// Atomic file output: write to a temporary file beside the target, fsync, then rename over the target.
#include <cstdio>
#include <string>
#include <string_view>

namespace ngame {

/// Buffered writer whose output appears at `path` only when commit() succeeds; otherwise nothing changes.
class AtomicFileWriter {
 public:
  /// Creates a temporary file in path's folder; throws RuntimeError when that fails.
  explicit AtomicFileWriter(std::string path);
  /// Removes the temporary file unless commit() ran.
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  /// Appends bytes.
  void write(std::string_view bytes);
  /// Flushes, fsyncs, renames over the target and fsyncs the folder.
  void commit();
  /// The target path.
  const std::string& path() const { return path_; }

 private:
  void flush_buffer();

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  std::string buffer_;
  bool committed_ = false;
};

/// Writes `bytes` to `path` atomically.
void write_file_atomically(const std::string& path, std::string_view bytes);

/// Reads a whole file into memory; throws InputError(path, 0, ...) when it cannot be read.
std::string read_file(const std::string& path);

}  // namespace ngame
