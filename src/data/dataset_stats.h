#pragma once
// One-screen summary of a dataset (`ngame data stats`).
#include <string>

#include "data/dataset.h"

namespace ngame {

/// Distribution summary of a count (labels per row, rows per label, text lengths).
struct CountSummary {
  double mean = 0;
  uint64_t min = 0, median = 0, p90 = 0, max = 0;
};

/// Sizes and distributions of one split.
struct SplitStats {
  uint64_t rows = 0;
  uint64_t nnz = 0;
  uint64_t rows_without_labels = 0;
  uint64_t filter_pairs = 0;
  CountSummary labels_per_row;
  CountSummary words_per_text;
};

/// Dataset summary.
struct DatasetStats {
  uint64_t labels = 0;
  SplitStats train;
  bool has_test = false;
  SplitStats test;
  CountSummary rows_per_label;           ///< over all labels, in train
  uint64_t labels_without_train_rows = 0;  ///< labels no training row has
  uint64_t labels_only_in_test = 0;      ///< labels in test rows but in no training row
  uint64_t test_rows_with_unseen_label = 0;
  CountSummary words_per_label_text;
};

/// Computes the summary.
DatasetStats compute_dataset_stats(const Dataset& data);
/// Formats the summary as a short human-readable table.
std::string format_dataset_stats(const DatasetStats& stats);

}  // namespace ngame
