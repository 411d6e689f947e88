#pragma once
// Rebuilds the wordnet-hypernym-d2 dataset from Debian's wordnet-base (data.noun), byte for byte.
#include <string>

namespace ngame {

/// Options of `ngame data wordnet`.
struct WordnetDatasetConfig {
  std::string wordnet_dir = "/usr/share/wordnet";  ///< folder holding data.noun
  std::string output_dir;                          ///< created if missing
  int levels = 2;                                  ///< hypernym levels that become labels
  uint32_t test_modulus = 5;                       ///< md5(offset) % test_modulus == 0 goes to test
};

/// Counts written by build_wordnet_dataset.
struct WordnetDatasetSummary {
  uint64_t train_rows = 0, test_rows = 0, labels = 0;
};

/// Parses data.noun and writes the XC layout (texts, label matrices, filters, id files) into output_dir.
WordnetDatasetSummary build_wordnet_dataset(const WordnetDatasetConfig& config);

}  // namespace ngame
