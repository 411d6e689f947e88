#pragma once
// `ngame data synth`: a generated XC dataset of any size, with text for documents and labels drawn from shared
// latent topics, Zipf label frequencies, a long tail and labels without training documents.
#include <cstdint>
#include <string>

namespace ngame {

/// Options of the generator.
struct SyntheticDatasetConfig {
  std::string output_dir;
  uint64_t docs = 20000;          ///< training documents
  uint64_t test_docs = 0;         ///< test documents (0: docs / 4)
  uint64_t labels = 10000;
  double labels_per_doc = 5.0;    ///< mean labels a document (at least 1)
  uint32_t words_per_doc = 10;    ///< mean words a document
  uint64_t topics = 0;            ///< latent topics (0: labels / 50, at least 20)
  uint64_t vocabulary = 0;        ///< distinct words (0: max(5000, labels / 2 + 4 * topics))
  double zipf = 1.0;              ///< exponent of label popularity (rank^-zipf)
  double unseen_labels = 0.02;    ///< share of labels that no training document carries (some test ones do)
  double noise = 0.3;             ///< share of a document's words drawn from the whole vocabulary
  uint64_t seed = 1;
  /// Throws UsageError on invalid values.
  void validate() const;
};

/// Counts written by build_synthetic_dataset.
struct SyntheticDatasetSummary {
  uint64_t train_rows = 0, test_rows = 0, labels = 0, train_pairs = 0, test_pairs = 0, labels_without_train_rows = 0;
};

/// Writes Y.txt, trn_X.txt, trn_X_Y.txt, tst_X.txt and tst_X_Y.txt into output_dir (created if missing), streaming:
/// memory grows with the labels and topics, not with the documents. Deterministic for a seed.
SyntheticDatasetSummary build_synthetic_dataset(const SyntheticDatasetConfig& config);

}  // namespace ngame
