#pragma once
// Text to weighted sparse features: word unigrams from a vocabulary, hashed word bigrams and (optionally) hashed
// character n-grams, each weighted by IDF and normalised to sum 1 (so pooling gives an IDF-weighted mean).
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "data/text_corpus.h"

namespace ngame {

/// Featurizer options (saved with the model).
struct FeaturizerConfig {
  uint32_t min_count = 2;             ///< unigrams seen in fewer texts are dropped
  uint32_t max_vocabulary = 1000000;  ///< keep the most frequent unigrams
  uint32_t bigram_buckets = 1 << 17;  ///< hashed word-bigram features (0 disables)
  uint32_t char_ngram_buckets = 0;    ///< hashed character n-gram features (0 disables)
  uint32_t char_ngram_min = 3;        ///< shortest character n-gram
  uint32_t char_ngram_max = 5;        ///< longest character n-gram
  uint32_t max_tokens = 64;           ///< words kept per text (the reference truncates to 32-256 tokens)
  /// Throws UsageError on inconsistent values.
  void validate() const;
};

/// Sparse features of many texts, in CSR form; weights of a row sum to 1 (or the row is empty).
struct FeatureRows {
  std::vector<uint64_t> offsets{0};
  std::vector<uint32_t> ids;
  std::vector<float> weights;
  /// Number of rows.
  size_t size() const { return offsets.size() - 1; }
  /// Appends row i of other.
  void append_row(const FeatureRows& other, size_t i);
  /// Appends every row of other.
  void append(const FeatureRows& other);
};

/// Rescales every non-empty row to unit L2 norm (the featurizer's rows sum to 1; cosines and linear classifiers
/// read unit rows).
void l2_normalise_rows(FeatureRows& rows);

/// Finds the feature id (at or above feature_count()) of a word outside the vocabulary; false when it has none.
/// Called from several threads at once.
using ExtraWordIds = std::function<bool(const std::string& word, uint32_t& id)>;

/// Vocabulary, hashing and IDF: fitted once on training documents and label texts.
class Featurizer {
 public:
  Featurizer() = default;
  explicit Featurizer(FeaturizerConfig config);
  /// Builds the vocabulary and IDF from the given corpora (documents and label texts).
  void fit(const std::vector<const TextCorpus*>& corpora);
  /// Features of one text, appended to rows as a new row; words outside the vocabulary that `extra` knows become
  /// its features, weighted as the vocabulary's rarest word.
  void featurize(std::string_view text, FeatureRows& rows, const ExtraWordIds* extra = nullptr) const;
  /// Features of every text of a corpus (parallel).
  FeatureRows featurize_all(const TextCorpus& texts, const ExtraWordIds* extra = nullptr) const;
  /// The words of a text that the vocabulary lacks, as featurize() reads them (lower-cased, truncated), appended.
  void unknown_words(std::string_view text, std::vector<std::string>& out) const;
  /// Total feature ids: unigrams, then bigram buckets, then character n-gram buckets.
  uint32_t feature_count() const;
  /// Number of unigram features (ids [0, unigram_count)).
  uint32_t unigram_count() const { return static_cast<uint32_t>(words_.size()); }
  /// The word of unigram id.
  const std::string& word(uint32_t id) const { return words_[id]; }
  /// The options.
  const FeaturizerConfig& config() const { return config_; }
  /// Serialises to a payload / restores from one.
  std::string save() const;
  static Featurizer load(std::string_view payload, const std::string& context);

 private:
  void collect(std::string_view text, std::vector<std::string>& tokens, std::vector<uint32_t>& ids,
               const ExtraWordIds* extra = nullptr) const;
  void set_max_unigram_idf();

  FeaturizerConfig config_;
  std::vector<std::string> words_;
  std::unordered_map<std::string, uint32_t> word_ids_;
  std::vector<float> idf_;  // feature_count()
  float max_unigram_idf_ = 1.0f;
};

}  // namespace ngame
