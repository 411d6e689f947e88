#include "core/progress_bar.h"

#include <unistd.h>

#include <cstdio>

namespace ngame {

namespace {
std::atomic<bool> g_progress_enabled{true};

std::string format_duration(double seconds) {
  if (seconds < 0 || seconds > 1e7) return "--:--";
  auto s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%02ld:%02ld", s / 60, s % 60);
  }
  return buf;
}
}  // namespace

void set_progress_enabled(bool enabled) { g_progress_enabled = enabled; }

ProgressBar::ProgressBar(std::string label, uint64_t total)
    : label_(std::move(label)),
      total_(total),
      enabled_(g_progress_enabled && ::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::add(uint64_t n) {
  done_.fetch_add(n, std::memory_order_relaxed);
  if (!enabled_) return;
  auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start_).count();
  int64_t last = last_draw_ns_.load(std::memory_order_relaxed);
  if (now_ns - last < 100'000'000) return;
  if (!last_draw_ns_.compare_exchange_strong(last, now_ns)) return;
  draw(false);
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  if (enabled_) draw(true);
}

void ProgressBar::draw(bool final_draw) {
  std::lock_guard<std::mutex> lock(draw_mutex_);
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  uint64_t done = done_.load(std::memory_order_relaxed);
  double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  char line[256];
  if (total_ > 0) {
    double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
    constexpr int kWidth = 24;
    int filled = static_cast<int>(fraction * kWidth);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.append(static_cast<size_t>(kWidth - filled), '.');
    double eta = rate > 0 ? static_cast<double>(total_ - std::min(done, total_)) / rate : -1;
    std::snprintf(line, sizeof line, "\r%s [%s] %3.0f%% %llu/%llu %.0f/s %s %s", label_.c_str(), bar.c_str(),
                  fraction * 100, static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_),
                  rate, final_draw ? "in" : "ETA", format_duration(final_draw ? elapsed : eta).c_str());
  } else {
    std::snprintf(line, sizeof line, "\r%s %llu %.0f/s %s", label_.c_str(), static_cast<unsigned long long>(done),
                  rate, format_duration(elapsed).c_str());
  }
  std::fputs(line, stderr);
  std::fputs(final_draw ? "\n" : "\x1b[K", stderr);
  std::fflush(stderr);
}

}  // namespace ngame
