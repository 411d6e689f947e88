#pragma once
// NGAME mini-batches: whole clusters of similar training documents (re-clustered from a memory bank of their latest
// embeddings, cluster size growing on a curriculum), one positive label drawn per document per epoch.
// Also random batches and ANCE-style hard negatives from an index over label embeddings, for ablations.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "data/sparse_matrix.h"

namespace ngame {

/// How batches are made.
enum class BatchingMode { kNgame, kRandom, kAnn };

/// Parses "ngame" / "random" / "ann"; UsageError otherwise.
BatchingMode parse_batching_mode(const std::string& name);
/// The name of a mode.
std::string batching_mode_name(BatchingMode mode);

/// Batching options.
struct BatchingConfig {
  BatchingMode mode = BatchingMode::kNgame;
  uint32_t batch_size = 1024;                  ///< documents per batch
  uint32_t initial_cluster_size = 1;           ///< 1 = random batches until the first curriculum epoch
  std::vector<uint32_t> curriculum_epochs;     ///< the cluster size doubles at each of these epochs (0-based)
  uint32_t refresh_interval = 5;               ///< re-cluster (or re-mine) every this many epochs
  uint32_t ann_candidates = 10;                ///< ann mode: hard negatives drawn from this many nearest labels
  /// Throws UsageError on invalid values.
  void validate() const;
  /// Target cluster size in a given epoch.
  uint32_t cluster_size(uint32_t epoch) const;
};

/// One mini-batch: documents, the positive label drawn for each, and extra negative labels (ann mode).
struct Batch {
  std::vector<uint32_t> docs;
  std::vector<uint32_t> positives;       ///< same length as docs
  std::vector<uint32_t> extra_labels;    ///< hard negatives added as label columns (ann mode only)
};

/// Makes the batches of each epoch.
class BatchSampler {
 public:
  /// labels: training label matrix (rows without labels never enter a batch).
  BatchSampler(const SparseMatrix& labels, BatchingConfig config, uint64_t seed);
  /// True when epoch needs fresh clusters (ngame) or fresh hard negatives (ann) before epoch_batches().
  bool needs_refresh(uint32_t epoch) const;
  /// ngame mode between refreshes: when the curriculum doubles the cluster size, merges sibling clusters of the
  /// current tree (what re-clustering the same embeddings one level shallower gives, at no cost). Returns true
  /// when it merged.
  bool grow_clusters(uint32_t epoch);
  /// Re-clusters the documents from their latest embeddings (rows x dim, any norm); returns the cluster count.
  uint32_t recluster(uint32_t epoch, const float* doc_embeddings, uint32_t dim);
  /// ann mode: sets each document's hard-negative candidates (rows x ann_candidates label ids, best first).
  void set_hard_negatives(std::vector<uint32_t> candidates);
  /// The batches of an epoch, in order.
  std::vector<Batch> epoch_batches(uint32_t epoch);
  /// Current average cluster size (1 while batches are random).
  double average_cluster_size() const;

 private:
  const SparseMatrix& labels_;
  BatchingConfig config_;
  uint64_t seed_;
  std::vector<uint32_t> trainable_;               // rows with at least one label
  std::vector<std::vector<uint32_t>> clusters_;   // leaves of the 2-means tree in tree order; empty = singletons
  std::vector<uint32_t> hard_negatives_;          // ann mode
};

}  // namespace ngame
