#pragma once
// A writer-preferring reader/writer lock: many predictions read the model at once; a label addition waits only for
// the predictions already running (new ones queue behind it), so a stream of predictions cannot starve it.
#include <mutex>
#include <shared_mutex>

namespace ngame {

/// Shared access for predictions, exclusive access for model updates; writers go before readers that arrive later.
class LabelGate {
 public:
  /// Shared (reading) access for the lifetime of the guard.
  class ReadGuard {
   public:
    explicit ReadGuard(LabelGate& gate) : gate_(gate) {
      std::lock_guard turn(gate_.turnstile_);
      gate_.rw_.lock_shared();
    }
    ~ReadGuard() { gate_.rw_.unlock_shared(); }
    ReadGuard(const ReadGuard&) = delete;
    ReadGuard& operator=(const ReadGuard&) = delete;

   private:
    LabelGate& gate_;
  };
  /// Exclusive (writing) access for the lifetime of the guard.
  class WriteGuard {
   public:
    explicit WriteGuard(LabelGate& gate) : turn_(gate.turnstile_), rw_(gate.rw_) {}

   private:
    std::lock_guard<std::mutex> turn_;
    std::lock_guard<std::shared_mutex> rw_;
  };

 private:
  std::mutex turnstile_;
  std::shared_mutex rw_;
};

}  // namespace ngame
