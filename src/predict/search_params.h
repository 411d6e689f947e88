#pragma once
// What one prediction call may choose about its search, without touching the model: shortlist lengths, graph
// breadths and starting points, the re-ranker and single-scorer ablations.
#include <cstdint>
#include <string>

namespace ngame {

/// Starting points of the label graph's walk taken from the text's words, unless a call says otherwise.
inline constexpr uint32_t kDefaultGraphSeeds = 16;

/// A candidate whose label text has at least this TF-IDF cosine with the text is a repeat of its own text
/// (the same words and bigrams in the same proportions; case and punctuation aside).
inline constexpr float kOwnTextCosine = 0.999f;

/// The shortlist length when neither the caller nor the model sets one.
inline constexpr uint32_t kDefaultShortlist = 100;

/// How a prediction searches: shortlist lengths, graph breadths and starting points.
struct PredictorConfig {
  /// Labels taken from each label-side shortlist; 0: as the model's fusion was fitted (ModelPredictor), else
  /// kDefaultShortlist.
  uint32_t shortlist = 0;
  /// The label graph's walk also starts from this many labels sharing a word with the text or with its best such
  /// labels (best by embedding; lexical_graph_seeds); 0: from the graph's entry point only. They raise the label
  /// graph's recall@10 most at large label counts (bench_index_recall --seeds; docs/scale.md).
  uint32_t graph_seeds = kDefaultGraphSeeds;
  /// The memory graph's walk also starts from training documents of the label graph's seeds
  /// (MemoryScorer::document_seeds); recorded with the fusion, which must be fitted with it.
  bool memory_seeds = false;
  /// Breadth of the label and classifier graphs' walks (0: each graph's own, as the model was loaded).
  uint32_t ef_search = 0;
  /// Breadth of the memory graph's walk (0: the graph's own).
  uint32_t memory_ef_search = 0;
  /// The lexical shortlist for texts without a vocabulary word even when the fusion does not weigh the lexical
  /// scorer (off for single-scorer ablations).
  bool unknown_word_shortlist = true;
};

/// Per-call search settings; 0 means "as the model was fitted and loaded".
struct SearchParams {
  uint32_t shortlist = 0;                  ///< labels taken from each shortlist (0: as the fusion was fitted)
  uint32_t ef_search = 0;                  ///< breadth of the label and classifier graphs' walks (0: as loaded)
  uint32_t memory_ef_search = 0;           ///< breadth of the memory graph's walk (0: as loaded)
  uint32_t graph_seeds = kDefaultGraphSeeds;  ///< label-graph walk starting points sharing words with the text
  bool reranker = true;                    ///< reorder the top candidates with the model's re-ranker, if it has one
  bool own_text_first = true;              ///< labels whose own text the text repeats (kOwnTextCosine) rank first
  std::string only;                        ///< rank by one scorer alone: embedding, classifier, memory, lexical or sparse
};

}  // namespace ngame
