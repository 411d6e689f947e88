#pragma once
// A whole file mapped read-only into memory: model files are checked and decoded from the page cache without
// being copied into a buffer first.
#include <string>
#include <string_view>

namespace ngame {

/// A read-only private mapping of a whole file, unmapped on destruction. Files are replaced by rename (never
/// rewritten in place), so a mapping stays valid while a newer version is saved.
class MappedFile {
 public:
  /// Maps path; throws InputError(path, 0, ...) when it cannot be opened or mapped.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  /// The file's bytes (empty for an empty file).
  std::string_view bytes() const { return {static_cast<const char*>(data_), size_}; }
  /// The path it was mapped from.
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace ngame
