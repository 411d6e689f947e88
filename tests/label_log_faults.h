#pragma once
// Label-log write failures for tests, through the log's IO seam (model/label_log_io.h).
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "model/label_log_io.h"

namespace ngame::testing {

/// Writes of which the first puts half of its bytes on disk, and every later one finds the disk full (ENOSPC).
inline LabelLogIo half_then_disk_full() {
  LabelLogIo io;
  io.pwrite = [wrote = std::make_shared<bool>(false)](int fd, const void* data, size_t bytes, off_t offset) -> ssize_t {
    if (!*wrote && bytes > 1) {
      *wrote = true;
      return ::pwrite(fd, data, bytes / 2, offset);
    }
    errno = ENOSPC;
    return -1;
  };
  return io;
}

}  // namespace ngame::testing
