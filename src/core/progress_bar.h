#pragma once
// A one-line progress bar on stderr (count, rate, ETA), drawn only when stderr is a terminal.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace ngame {

/// Thread-safe progress display; add() may be called from any thread, redraws are throttled to 10 per second.
class ProgressBar {
 public:
  /// total = 0 means unknown (no percentage or ETA). Silent when stderr is not a TTY or progress is disabled.
  ProgressBar(std::string label, uint64_t total);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  /// Records n more units of work done.
  void add(uint64_t n = 1);
  /// Draws the final state and ends the line.
  void finish();

 private:
  void draw(bool final_draw);

  std::string label_;
  uint64_t total_;
  bool enabled_;
  std::atomic<uint64_t> done_{0};
  std::atomic<int64_t> last_draw_ns_{0};
  std::mutex draw_mutex_;
  std::chrono::steady_clock::time_point start_;
  bool finished_ = false;
};

/// Globally enables or disables progress bars (off with --quiet).
void set_progress_enabled(bool enabled);

}  // namespace ngame
