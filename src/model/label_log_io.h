#pragma once
// The system calls through which the label log changes its file (write, fsync, truncate): the POSIX ones normally.
// Tests put failing ones in their place (a write that stops half-way with ENOSPC, an fsync or a truncate that
// fails) to check that a failed append is rolled back and that acknowledged records survive. Internal to the
// library: no client of include/ngame/ngame.h sees it.
#include <sys/types.h>

#include <cstddef>
#include <functional>

namespace ngame {

/// The calls the label log writes through; each has its POSIX counterpart's contract (errno on failure).
struct LabelLogIo {
  std::function<ssize_t(int fd, const void* data, size_t bytes, off_t offset)> pwrite;
  std::function<int(int fd)> fsync;
  std::function<int(int fd, off_t length)> ftruncate;
};

/// The calls in use: POSIX's, unless a ScopedLabelLogIo is alive.
const LabelLogIo& label_log_io();

/// Puts other calls in place of POSIX's for its lifetime (a call left empty stays POSIX's). Install it while no log
/// is being written; guards nest, the inner one first out.
class ScopedLabelLogIo {
 public:
  explicit ScopedLabelLogIo(LabelLogIo io);
  ~ScopedLabelLogIo();
  ScopedLabelLogIo(const ScopedLabelLogIo&) = delete;
  ScopedLabelLogIo& operator=(const ScopedLabelLogIo&) = delete;

 private:
  LabelLogIo io_;
  const LabelLogIo* previous_;
};

}  // namespace ngame
