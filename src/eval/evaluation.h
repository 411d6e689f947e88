#pragma once
// Scoring a prediction matrix against the truth as `ngame eval` does: shapes checked, labels added to a model after
// training treated as never relevant, filter pairs removed, then the metrics (and the zero-shot slice).
#include <optional>
#include <string>

#include "data/filter_pairs.h"
#include "data/sparse_matrix.h"
#include "eval/metrics.h"

namespace ngame {

/// Settings of evaluate().
struct EvalOptions {
  size_t k = 5;              ///< report @1..@k
  double a = 0.55, b = 1.5;  ///< propensity constants of PSP
  bool zero_shot = false;    ///< also score the rows holding a label without training rows
};

/// The metrics of one evaluation.
struct Evaluation {
  size_t k = 5;
  MetricsReport metrics;
  std::optional<ZeroShotReport> zero_shot;
  /// The JSON object of `ngame eval --json` (values in percent, one line).
  std::string json() const;
  /// The table `ngame eval` prints.
  std::string table() const;
};

/// Names of the three matrices in error messages (their files, or Python's argument names).
struct EvalSources {
  std::string pred = "pred", truth = "truth", train = "train";
};

/// Scores pred against truth (filter pairs removed when filter is not null; propensities from train). Predictions
/// with more columns than the truth (labels added to the model) are scored with those labels never relevant. Shape
/// mismatches are InputErrors naming the source.
Evaluation evaluate(SparseMatrix pred, SparseMatrix truth, SparseMatrix train, const FilterPairs* filter,
                    const EvalOptions& options, const EvalSources& sources = {});

}  // namespace ngame
