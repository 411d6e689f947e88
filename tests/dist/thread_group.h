#pragma once
// A Communicator over threads of one process, for tests of the data-parallel code without mpirun: each thread is
// a rank, and the collectives meet in shared memory.
#include <condition_variable>
#include <memory>
#include <mutex>

#include "core/communicator.h"

namespace ngame::testing {

/// What the ranks of one ThreadGroup share.
class ThreadMeeting {
 public:
  explicit ThreadMeeting(int size) : size_(size), slots_(static_cast<size_t>(size)) {}
  /// Every rank's bytes once all have arrived.
  std::vector<std::string> gather(int rank, std::string_view mine) {
    std::unique_lock lock(mutex_);
    slots_[static_cast<size_t>(rank)] = std::string(mine);
    if (++arrived_ == size_) {
      result_ = slots_;
      arrived_ = 0;
      ++round_;
      met_.notify_all();
      return result_;
    }
    const uint64_t round = round_;
    met_.wait(lock, [&] { return round_ != round; });
    return result_;
  }
  int size() const { return size_; }

 private:
  int size_;
  std::mutex mutex_;
  std::condition_variable met_;
  std::vector<std::string> slots_, result_;
  int arrived_ = 0;
  uint64_t round_ = 0;
};

/// One rank of a ThreadMeeting.
class ThreadGroup final : public Communicator {
 public:
  ThreadGroup(ThreadMeeting& meeting, int rank) : meeting_(meeting), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return meeting_.size(); }

 protected:
  std::vector<std::string_view> exchange(std::string_view mine) override {
    last_ = meeting_.gather(rank_, mine);
    return {last_.begin(), last_.end()};
  }
  std::vector<std::string_view> collect(std::string_view mine, int root) override {
    std::vector<std::string_view> all = exchange(mine);
    if (rank_ != root) all.clear();
    return all;
  }
  void wait_for_all() override { meeting_.gather(rank_, {}); }

 private:
  ThreadMeeting& meeting_;
  int rank_;
  std::vector<std::string> last_;
};

}  // namespace ngame::testing
