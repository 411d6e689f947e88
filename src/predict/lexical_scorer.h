#pragma once
// Lexical scorer: cosine between the TF-IDF vectors (the featurizer's word and bigram features) of a text and of each
// label's text, through an inverted index over the label texts.
#include <vector>

#include "text/featurizer.h"

namespace ngame {

/// Label texts as L2-normalised TF-IDF rows, with an inverted index.
class LexicalScorer {
 public:
  LexicalScorer(const Featurizer& featurizer, const TextCorpus& label_texts);
  /// TF-IDF rows of texts (L2-normalised): the queries of shortlist() and score().
  FeatureRows vectors(const TextCorpus& texts) const;
  /// For each query row (from vectors()), its top-k labels by TF-IDF cosine (label, score), best first.
  std::vector<std::vector<std::pair<uint32_t, float>>> shortlist(const FeatureRows& queries, size_t k) const;
  /// Cosine between row q of queries and label l.
  float score(const FeatureRows& queries, size_t q, uint32_t label) const;
  /// Adds labels (for live label addition).
  void add_labels(const TextCorpus& label_texts);
  /// Number of labels.
  size_t size() const { return labels_.size(); }

 private:
  const Featurizer& featurizer_;
  FeatureRows labels_;                                       // L2-normalised, ids sorted
  std::vector<std::vector<std::pair<uint32_t, float>>> postings_;  // feature -> (label, weight)
};

}  // namespace ngame
