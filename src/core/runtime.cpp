#include "core/runtime.h"

#include <cblas.h>
#include <omp.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <thread>

#include "core/progress_bar.h"

namespace ngame {

namespace {
int g_threads = 0;
}

void set_thread_count(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  g_threads = threads;
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
}

int thread_count() {
  if (g_threads <= 0) set_thread_count(0);
  return g_threads;
}

void configure_logging(LogLevel level) {
  auto logger = spdlog::get("ngame");
  if (!logger) logger = spdlog::stderr_color_mt("ngame");
  logger->set_pattern("[%H:%M:%S] %^%l%$ %v");
  spdlog::set_default_logger(logger);
  switch (level) {
    case LogLevel::kQuiet:
      spdlog::set_level(spdlog::level::warn);
      set_progress_enabled(false);
      break;
    case LogLevel::kNormal:
      spdlog::set_level(spdlog::level::info);
      break;
    case LogLevel::kVerbose:
      spdlog::set_level(spdlog::level::debug);
      break;
  }
}

}  // namespace ngame
