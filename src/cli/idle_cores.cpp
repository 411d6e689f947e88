#include "cli/idle_cores.h"

#include <sched.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>

#include "core/runtime.h"

namespace ngame {

int take_over_idle_local_cores(Communicator& group, int threads_per_rank) {
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (::sched_getaffinity(0, sizeof(mask), &mask) != 0) CPU_ZERO(&mask);
  std::string mine(host);
  mine.push_back('\0');
  mine.append(reinterpret_cast<const char*>(&mask), sizeof(mask));
  const std::vector<std::string_view> all = group.all_gather(mine);
  if (group.rank() != 0) return 0;
  cpu_set_t cores;
  CPU_ZERO(&cores);
  int local_ranks = 0;
  for (const std::string_view entry : all) {
    const size_t end = entry.find('\0');
    if (end == std::string_view::npos || entry.size() != end + 1 + sizeof(cpu_set_t)) continue;
    if (entry.substr(0, end) != std::string_view(host)) continue;
    cpu_set_t other;
    std::memcpy(&other, entry.data() + end + 1, sizeof(other));
    CPU_OR(&cores, &cores, &other);
    ++local_ranks;
  }
  const int cpus = CPU_COUNT(&cores);
  if (cpus > CPU_COUNT(&mask)) {
    // Every thread of the process: OpenMP's and OpenBLAS's workers keep the mask they were created with.
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
      const pid_t tid = static_cast<pid_t>(std::stol(task.path().filename().string()));
      ::sched_setaffinity(tid, sizeof(cores), &cores);
    }
  }
  const int threads = std::max(1, std::min(std::max(1, threads_per_rank) * std::max(1, local_ranks),
                                           cpus > 0 ? cpus : threads_per_rank));
  set_thread_count(threads);
  spdlog::info("rank 0 goes on alone with {} threads on {} CPUs of its machine's {} ranks", threads, cpus, local_ranks);
  return threads;
}

}  // namespace ngame
