#include "model/label_log_io.h"

#include <unistd.h>

#include <atomic>

namespace ngame {

namespace {

const LabelLogIo& posix_io() {
  static const LabelLogIo io{
      [](int fd, const void* data, size_t bytes, off_t offset) { return ::pwrite(fd, data, bytes, offset); },
      [](int fd) { return ::fsync(fd); },
      [](int fd, off_t length) { return ::ftruncate(fd, length); }};
  return io;
}

// Read on every log write, possibly from a server's request threads: atomic.
std::atomic<const LabelLogIo*> current_io{nullptr};

}  // namespace

const LabelLogIo& label_log_io() {
  const LabelLogIo* io = current_io.load(std::memory_order_acquire);
  return io ? *io : posix_io();
}

ScopedLabelLogIo::ScopedLabelLogIo(LabelLogIo io) : io_(std::move(io)) {
  const LabelLogIo& posix = posix_io();
  if (!io_.pwrite) io_.pwrite = posix.pwrite;
  if (!io_.fsync) io_.fsync = posix.fsync;
  if (!io_.ftruncate) io_.ftruncate = posix.ftruncate;
  previous_ = current_io.exchange(&io_, std::memory_order_acq_rel);
}

ScopedLabelLogIo::~ScopedLabelLogIo() { current_io.store(previous_, std::memory_order_release); }

}  // namespace ngame
