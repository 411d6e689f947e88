#pragma once
// Caps the test process's address space for a scope, so that a reader which allocates from an untrusted count
// fails at once with std::bad_alloc instead of filling the machine's memory. ctest runs each test in its own
// process, so the cap touches no other test. Under AddressSanitizer (which reserves terabytes of shadow memory)
// there is no cap.
#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>

#if defined(__SANITIZE_ADDRESS__)
#define NGAME_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NGAME_TEST_UNDER_ASAN 1
#endif
#endif

namespace ngame::testing {

/// While alive, the process may map at most `extra_bytes` beyond what it has mapped now.
class AddressSpaceCap {
 public:
  explicit AddressSpaceCap(uint64_t extra_bytes) {
#ifndef NGAME_TEST_UNDER_ASAN
    uint64_t pages = 0;
    std::ifstream("/proc/self/statm") >> pages;  // first field: the address space now, in pages
    if (pages == 0 || ::getrlimit(RLIMIT_AS, &old_) != 0) return;
    rlimit capped = old_;
    capped.rlim_cur = pages * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE)) + extra_bytes;
    if (old_.rlim_cur != RLIM_INFINITY && old_.rlim_cur < capped.rlim_cur) return;
    active_ = ::setrlimit(RLIMIT_AS, &capped) == 0;
#else
    (void)extra_bytes;
#endif
  }
  ~AddressSpaceCap() {
    if (active_) ::setrlimit(RLIMIT_AS, &old_);
  }
  AddressSpaceCap(const AddressSpaceCap&) = delete;
  AddressSpaceCap& operator=(const AddressSpaceCap&) = delete;

 private:
  rlimit old_{};
  bool active_ = false;
};

}  // namespace ngame::testing
