#pragma once
// M1: trains an Encoder on NGAME mini-batches with the in-batch triplet loss.
#include <functional>
#include <vector>

#include "batching/batch_sampler.h"
#include "core/communicator.h"
#include "encoder/encoder.h"
#include "train/triplet_loss.h"

namespace ngame {

/// M1 options.
struct EncoderTrainConfig {
  uint32_t epochs = 15;
  uint32_t warmup_steps = 100;  ///< linear warm-up, then linear decay to 0 at the last step
  BatchingConfig batching;
  TripletLossConfig loss;
  uint64_t seed = 1;
  /// Throws UsageError on invalid values.
  void validate() const;
};

/// What one epoch did.
struct EpochStats {
  uint32_t epoch = 0;              ///< 0-based
  double loss = 0;                 ///< mean batch loss
  double cluster_size = 1;         ///< average cluster size used
  double docs_per_second = 0;      ///< training documents per second (forward + backward + step)
  double seconds = 0;              ///< wall time of the epoch, clustering included
  double clustering_seconds = 0;   ///< re-clustering / hard-negative mining in this epoch
  double elapsed_seconds = 0;      ///< since training started
  uint64_t steps = 0;              ///< optimiser steps (the same on every rank)
  uint64_t bytes_sent = 0;         ///< bytes this rank contributed to the group's exchanges (0 alone)
  uint64_t bytes_received = 0;     ///< bytes of the other ranks' payloads this rank received
  double communication_seconds = 0;  ///< time in the group's exchanges, waiting for slower ranks included
  double wait_seconds = 0;         ///< the part of communication_seconds spent waiting for slower ranks
};

/// Called after each epoch (logging, evaluation, curves).
using EpochCallback = std::function<void(const EpochStats&)>;

/// Runs M1. docs / labels: prepared training documents and label texts; doc_labels: training label matrix.
/// With a group of several ranks, M1 is data-parallel: each rank batches its own shard of the rows (dealt
/// round-robin, clustered on its own memory bank) in batches of batch_size / size() rows, scores them against every
/// rank's label columns (shared_batch_backward) and every step sums all ranks' gradients (Encoder::step): a step
/// trains on batch_size rows with the in-batch negatives of all of them, as in one process. Every rank must call it
/// with the same arguments.
std::vector<EpochStats> train_encoder(Encoder& encoder, const EncoderInput& docs, const SparseMatrix& doc_labels,
                                      const EncoderInput& labels, const EncoderTrainConfig& config,
                                      const EpochCallback& on_epoch = {}, Communicator* group = nullptr);

/// One data-parallel step's forward and backward on this rank's batch (empty when the rank has none this step):
/// every rank's label columns are gathered and serve as the in-batch negatives of every rank's rows; each column's
/// gradient returns to the rank that embedded it; each rank's gradients are weighted by its share of all ranks' rows,
/// so that their sum is the gradient of one process's mean loss over the union. Leaves the gradients in the encoder
/// for step(); writes the rows' embeddings into memory_bank (rows x dim, may be null). Returns this rank's mean row
/// loss (0 without rows). Every rank calls it together.
double shared_batch_backward(Encoder& encoder, const EncoderInput& docs, const EncoderInput& labels,
                             const SparseMatrix& sorted_positives, const Batch& batch,
                             const TripletLossConfig& loss_config, float* memory_bank, Communicator& group);

/// This rank's shard of a training label matrix: the labelled rows dealt round-robin (the k-th labelled row to rank
/// k mod N, so shards differ by one row at most), the others emptied. Throws UsageError below N labelled rows.
SparseMatrix shard_of_rows(const SparseMatrix& labels, const Communicator& group);
/// The rows each rank takes of a step of batch_size rows (batch_size / N rounded up); throws UsageError below 2N.
uint32_t share_of_batch(uint32_t batch_size, const Communicator& group);

/// Learning-rate multiplier at a 0-based step: linear warm-up over warmup steps, then linear decay to 0 at total.
float linear_schedule(uint64_t step, uint64_t warmup, uint64_t total);

}  // namespace ngame
