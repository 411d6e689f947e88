#pragma once
// Starting points for the label graph's walk: the labels sharing a word with a text, and those sharing a word with
// the best of them, ranked by their embeddings' score against the text's.
#include <vector>

#include "predict/lexical_scorer.h"

namespace ngame {

/// How graph seeds are found.
struct GraphSeedConfig {
  size_t count = 16;        ///< seeds per text
  size_t expand_from = 2;   ///< the best this many labels of the text's reach lend their words to a second reach
  /// labels scored per reach at most (rarer words' labels first); WordNet's glosses reach thousands through common
  /// words, where 1024 keeps the walk's recall and halves the seeds' cost (bench/results/2026-12-04-speed-fit-seeds.md)
  size_t max_reach = 1024;
};

/// For each text (tfidf row i, embedding queries + i * dim), its seeds, best first: of the labels that share a word
/// with the text, or with one of its expand_from best such labels, the `count` whose label embeddings score highest.
std::vector<std::vector<uint32_t>> lexical_graph_seeds(const LexicalScorer& lexical, const FeatureRows& tfidf,
                                                       const float* queries, const std::vector<float>& label_embeddings,
                                                       size_t dim, const GraphSeedConfig& config = {});

}  // namespace ngame
