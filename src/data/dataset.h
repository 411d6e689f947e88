#pragma once
// A whole XC dataset folder, loaded and cross-checked (row counts, label counts, filter ranges).
#include <optional>
#include <string>
#include <vector>

#include "data/filter_pairs.h"
#include "data/sparse_matrix.h"
#include "data/text_corpus.h"

namespace ngame {

/// One split of a dataset: texts and their label rows.
struct DatasetSplit {
  TextCorpus texts;      ///< one text per row
  SparseMatrix labels;   ///< rows x label_count
  FilterPairs filter;    ///< reciprocal pairs (may be empty)
};

/// Options for load_dataset.
struct DatasetLoadOptions {
  bool require_test = false;  ///< fail when tst_X.txt / tst_X_Y.txt are absent
  bool latin1 = false;        ///< texts are Latin-1
};

/// trn_X.txt, trn_X_Y.txt, Y.txt and, when present, tst_X.txt, tst_X_Y.txt and filter_labels_*.txt.
struct Dataset {
  std::string dir;                   ///< folder it was loaded from
  TextCorpus label_texts;            ///< Y.txt
  DatasetSplit train;                ///< trn_*
  std::optional<DatasetSplit> test;  ///< tst_*, when present

  /// Number of labels (lines of Y.txt).
  uint64_t label_count() const { return label_texts.size(); }
};

/// Loads and checks a dataset folder; every inconsistency is an InputError naming the file.
Dataset load_dataset(const std::string& dir, const DatasetLoadOptions& options = {});
/// A dataset from memory: training texts with their label rows (texts x labels), the label texts and, when
/// test_labels is not null, a test split. Every inconsistency is an InputError naming the field ("labels",
/// "texts[3]", ...).
Dataset make_dataset(const std::vector<std::string>& texts, const SparseMatrix& labels,
                     const std::vector<std::string>& label_texts, const std::vector<std::string>& test_texts = {},
                     const SparseMatrix* test_labels = nullptr);
/// Throws InputError naming `field` unless m is a well-formed rows x cols matrix (offsets, ids in range, one value
/// per id).
void check_sparse_matrix(const SparseMatrix& m, uint64_t rows, uint64_t cols, const std::string& field);
/// Loads one split ("trn" or "tst") of dir, checked against label_count; filter file is optional.
DatasetSplit load_dataset_split(const std::string& dir, const std::string& prefix, uint64_t label_count,
                                bool latin1);

}  // namespace ngame
