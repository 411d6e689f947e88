#pragma once
// What a training run reports as it goes: one record per epoch of M1 and M4, and each stage's time. The CLI writes
// them as training_log.jsonl and a curve; Python passes them to `logging`.
#include <cstdint>
#include <optional>
#include <string>

namespace ngame {

/// Test-split metrics of M1 alone (label embeddings, filter applied), in percent.
struct EpochTestMetrics {
  double p1 = 0, p5 = 0, psp5 = 0;
};

/// One epoch of a training stage.
struct EpochReport {
  std::string stage;               ///< "encoder" (M1) or "classifiers" (M4)
  uint32_t epoch = 0;              ///< 1-based
  uint32_t epochs = 0;             ///< of the stage
  double loss = 0;                 ///< mean batch loss
  double cluster_size = 1;         ///< average cluster size of the batches
  double docs_per_second = 0;      ///< M1 only
  double seconds = 0;              ///< the epoch's wall time
  double clustering_seconds = 0;   ///< re-clustering within it (M1)
  double elapsed_seconds = 0;      ///< since the stage started (M1)
  uint64_t steps = 0;              ///< optimiser steps (M1)
  uint64_t bytes_sent = 0;         ///< M1 across ranks: bytes this rank contributed to the exchanges (0 alone)
  double communication_seconds = 0;  ///< M1 across ranks: time in the exchanges
  double wait_seconds = 0;         ///< M1 across ranks: the part of it spent waiting for slower ranks
  std::optional<EpochTestMetrics> test;  ///< with TrainConfig::eval_every and a test split
};

/// Receives a training run's progress; every method has a default that ignores it.
class TrainObserver {
 public:
  virtual ~TrainObserver() = default;
  /// After each epoch of M1 or M4.
  virtual void on_epoch(const EpochReport& report) { (void)report; }
  /// After each stage ("encoder", "classifiers", "indices", "fusion") with its wall time.
  virtual void on_stage(const std::string& stage, double seconds) { (void)stage, (void)seconds; }
};

}  // namespace ngame
