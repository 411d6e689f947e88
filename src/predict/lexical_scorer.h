#pragma once
// Lexical scorer: cosine between the TF-IDF vectors (the featurizer's word and bigram features) of a text and of each
// label's text, through an inverted index over the label texts. Words of label texts that the featurizer's vocabulary
// lacks (seen in one text only when it was fitted, or first seen in a label added later) are features of their own
// here, as rare as its rarest word: a text sharing such a word with a label finds it.
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "predict/scorer.h"
#include "text/featurizer.h"

namespace ngame {

/// posting_cap() never goes below this many labels.
inline constexpr size_t kMinPostingCap = 500;

/// Label texts as L2-normalised TF-IDF rows, with an inverted index.
class LexicalScorer final : public Scorer {
 public:
  LexicalScorer(const Featurizer& featurizer, const TextCorpus& label_texts);
  LexicalScorer(const LexicalScorer&) = delete;  // its word lookup refers to this object
  LexicalScorer& operator=(const LexicalScorer&) = delete;
  /// TF-IDF rows of texts (L2-normalised): the queries of shortlist() and score(). Warns when some text has no
  /// word of the featurizer's vocabulary.
  FeatureRows vectors(const TextCorpus& texts) const;
  /// Whether some row of queries (from vectors()) holds a word that only label texts hold.
  bool holds_label_words(const FeatureRows& queries) const;
  /// Rows of vectors() without the words only label texts hold, unit length again: the featurizer's own rows, as
  /// the sparse classifiers were trained on.
  FeatureRows vocabulary_rows(const FeatureRows& queries) const;
  /// Whether row q of queries (from vectors()) holds a word of the featurizer's vocabulary; a text without one
  /// embeds as nothing the encoder learnt, and only its words and word pairs shared with label texts tell.
  bool knows_words(const FeatureRows& queries, size_t q) const;
  /// For each query row (from vectors()), its top-k labels by TF-IDF cosine (label, score), best first. Words found
  /// in more than posting_cap() label texts are left out of this search (they still count in score()).
  std::vector<std::vector<std::pair<uint32_t, float>>> shortlist(const FeatureRows& queries, size_t k) const;
  /// The labels sharing a word or bigram with query row q (features in more than posting_cap() label texts left
  /// out), rarer features first, at most max_labels of them, sorted by id.
  std::vector<uint32_t> reach(const FeatureRows& queries, size_t q, size_t max_labels) const;
  /// The same for the texts of the given labels together (the labels themselves included).
  std::vector<uint32_t> reach_of_labels(const std::vector<uint32_t>& labels, size_t max_labels) const;
  /// Cosine between row q of queries and label l.
  float score(const FeatureRows& queries, size_t q, uint32_t label) const;
  /// score(queries, q, labels[c]) into out[c * stride] for sorted, distinct labels: through the postings of the
  /// row's features when that reads less than merging each label's row (the same floats either way).
  void score_all(const FeatureRows& queries, size_t q, std::span<const uint32_t> labels, float* out,
                 size_t stride) const;
  /// The fusion's view: shortlists by TF-IDF cosine (when wanted; else, with search.unknown_word_shortlist, for
  /// the texts without a vocabulary word, which the fusion ranks by this scorer alone) and the cosine of any label,
  /// on batch.lexical.
  std::unique_ptr<ScoredBatch> score_batch(const QueryBatch& batch, size_t shortlist, bool wanted,
                                           const PredictorConfig& search) const override;
  /// Adds labels (for live label addition).
  void add_labels(const TextCorpus& label_texts);
  /// Longest posting list shortlist() opens: max(kMinPostingCap, 2% of the labels).
  size_t posting_cap() const;
  /// Number of labels.
  size_t size() const { return labels_.size(); }
  /// Words of label texts that the featurizer's vocabulary lacks (each a feature of its own here).
  size_t label_word_count() const { return label_words_.size(); }

 private:
  /// Labels in the postings of the features, rarer features first, at most max_labels, sorted and unique.
  std::vector<uint32_t> labels_of_features(std::vector<uint32_t> features, size_t max_labels) const;

  const Featurizer& featurizer_;
  std::unordered_map<std::string, uint32_t> label_words_;    // word -> feature id, from featurizer_.feature_count()
  ExtraWordIds label_word_ids_;                              // looks words up in label_words_
  FeatureRows labels_;                                       // L2-normalised, ids sorted
  std::vector<std::vector<std::pair<uint32_t, float>>> postings_;  // feature -> (label, weight)
};

}  // namespace ngame
