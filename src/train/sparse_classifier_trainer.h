#pragma once
// Training the sparse per-label classifiers (model/sparse_classifiers.h): one-vs-rest over L2-normalised TF-IDF
// rows, each label against its positive rows and the hard negatives ngame's own shortlists mine for it (training
// rows whose nearest labels by embedding include it but which do not carry it, as Slice mines them from an ANN
// graph), by dual coordinate descent on the L2-regularised squared hinge loss (as LIBLINEAR solves it), then
// pruned DiSMEC-style. Training-only.
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

#include "data/sparse_matrix.h"
#include "model/sparse_classifiers.h"
#include "text/featurizer.h"

namespace ngame {

/// A training set whose labelled fitting rows (validation rows excluded) x labels is at most this many pairs is
/// small: by default its sparse classifiers are trained plain one-vs-rest and, up to kSmallSetCharNgramMaxRows rows,
/// its featurizer adds character n-grams (TrainConfig::char_ngram_buckets).
inline constexpr uint64_t kSmallSetPairs = uint64_t{1} << 24;

/// Sparse classifier options.
struct SparseClassifierConfig {
  bool enabled = true;              ///< train them (false: the model has none, as before they existed)
  uint32_t mined_labels = 64;       ///< each training row's nearest labels by embedding, whose rows become negatives
  /// and its top labels by TF-IDF cosine with their texts (the lexical scorer's shortlist; 0: none)
  uint32_t mined_lexical_labels = 64;
  /// plain one-vs-rest (every labelled training row a negative of each label it does not carry, nothing mined) when
  /// those rows times the labels are at most this many pairs (debtags: 13.1M, +0.9 P@1 and +0.7 P@5 over mined
  /// negatives, bench/results/2026-12-04-debtags-one-vs-rest.md); 0: always mined
  uint64_t one_vs_rest_pairs = kSmallSetPairs;
  /// C of the squared hinge loss (higher: less regularisation); 0: auto_sparse_cost of the negatives' kind
  float cost = 0.0f;
  float prune = 0.05f;              ///< weights with |w| below this are dropped (DiSMEC's Delta)
  bool label_text_positive = true;  ///< a label's own text is one more positive row of a label that has rows
  uint32_t max_passes = 20;         ///< coordinate descent passes over a label's rows at most
  float tolerance = 0.1f;           ///< stop when the projected gradient's spread falls below this
  uint64_t seed = 1;
  /// Throws UsageError on invalid values.
  void validate() const;
};

/// C when none is given: 2 with mined negatives; 1 with plain one-vs-rest, where a label has several times the
/// negatives and so more loss against the same regularisation (debtags: bench/results/2026-12-04-debtags-one-vs-rest.md).
inline float auto_sparse_cost(bool one_vs_rest) { return one_vs_rest ? 1.0f : 2.0f; }

/// Rows x labels as label x rows lists (each row's column ids, deduplicated, rows ascending): label l's rows are
/// row l of the result. Rows where `skip` is 1 are left out (skip may be empty).
SparseMatrix rows_of_labels(const SparseMatrix& row_labels, const std::vector<uint8_t>& skip = {});

/// positives (labels x rows) with row first_text_row + l added to every non-empty row l: label texts as positives.
SparseMatrix with_label_text_rows(const SparseMatrix& positives, uint64_t first_text_row);

/// Negatives taken at random for a label with positives that no other row's shortlist holds.
inline constexpr size_t kFallbackNegatives = 8;

/// Hard negatives per label: the rows whose shortlist (rows x labels) contains the label, minus the rows that carry
/// it (positives: labels x rows, from rows_of_labels) and the rows where skip is 1. A label with positives and no
/// such row gets up to kFallbackNegatives other rows (not skipped, with a shortlist), picked by a hash of the label.
/// Labels x rows, ascending.
SparseMatrix mine_negatives(const SparseMatrix& shortlists, const SparseMatrix& positives,
                            const std::vector<uint8_t>& skip);

/// Plain one-vs-rest negatives: for each label with positives (labels x rows, from rows_of_labels), every row r with
/// rows[r] set that does not carry it; none for a label without positives. Labels x rows, ascending.
SparseMatrix every_other_row(const SparseMatrix& positives, const std::vector<uint8_t>& rows);

/// Trains one classifier per label (rows of positives / negatives: labels x rows) over docs (training rows'
/// L2-normalised features, ids sorted). A label without positives gets none. Parallel over labels; the result does
/// not depend on the thread count. on_label is called once per label done (any thread). report receives counts.
/// A cost of 0 is the mined negatives' auto_sparse_cost; one-vs-rest callers set theirs.
SparseClassifiers train_sparse_classifiers(const FeatureRows& docs, uint32_t feature_count,
                                           const SparseMatrix& positives, const SparseMatrix& negatives,
                                           const SparseClassifierConfig& config, nlohmann::json& report,
                                           const std::function<void()>& on_label = {});

}  // namespace ngame
