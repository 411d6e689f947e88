#pragma once
// XC ranking metrics exactly as pyxclib's xc_metrics: P@k, nDCG@k, PSP@k, PSnDCG@k and Recall@k.
#include <string>
#include <vector>

#include "data/sparse_matrix.h"

namespace ngame {

/// Metrics @1..@k, as fractions in [0, 1] (multiply by 100 for percent).
struct MetricsReport {
  int k = 0;
  uint64_t rows = 0;
  std::vector<double> precision;  ///< P@1..k, averaged over all rows (rows without labels count as 0)
  std::vector<double> ndcg;       ///< nDCG@1..k
  std::vector<double> psp;        ///< PSP@1..k, normalised by the ideal propensity-ranked score (ratio of sums)
  std::vector<double> psndcg;     ///< PSnDCG@1..k, normalised the same way
  std::vector<double> recall;     ///< Recall@1..k (rows without labels count as 0)
};

/// Scores predictions against truth (same shape). Each prediction row is ranked by score, ties broken by lower
/// label id; inv_propensity has one entry per column. Apply reciprocal-pair filters before calling.
MetricsReport compute_metrics(const SparseMatrix& predictions, const SparseMatrix& truth,
                              const std::vector<double>& inv_propensity, int k);
/// Metrics of the rows that hold a label no training row has (labels reachable only through their text).
struct ZeroShotReport {
  uint64_t rows = 0;            ///< rows holding at least one unseen label
  uint64_t unseen_pairs = 0;    ///< (row, unseen label) pairs in those rows
  double precision_at_k = 0;    ///< P@k over those rows (all their labels count)
  double unseen_recall_at_k = 0;  ///< fraction of the unseen pairs found in the row's top k
  int k = 5;
};

/// The zero-shot slice: rows of truth with a label whose training count is 0.
ZeroShotReport compute_zero_shot(const SparseMatrix& predictions, const SparseMatrix& truth,
                                 const std::vector<uint64_t>& train_label_counts, int k);

/// A readable table with one row per metric and one column per k, in percent.
std::string format_metrics_table(const MetricsReport& report);
/// One JSON object: "P@1".."P@k", "nDCG@i", "PSP@i", "PSnDCG@i", "R@i", values in percent.
std::string format_metrics_json(const MetricsReport& report);

}  // namespace ngame
