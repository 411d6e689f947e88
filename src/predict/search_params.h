#pragma once
// What one prediction call may choose about its search, without touching the model: shortlist lengths, graph
// breadths and starting points, the re-ranker and single-scorer ablations.
#include <cstdint>
#include <string>

namespace ngame {

/// Starting points of the label graph's walk taken from the text's words, unless a call says otherwise.
inline constexpr uint32_t kDefaultGraphSeeds = 16;

/// Per-call search settings; 0 means "as the model was fitted and loaded".
struct SearchParams {
  uint32_t shortlist = 0;                  ///< labels taken from each shortlist (0: as the fusion was fitted)
  uint32_t ef_search = 0;                  ///< breadth of the label and classifier graphs' walks (0: as loaded)
  uint32_t memory_ef_search = 0;           ///< breadth of the memory graph's walk (0: as loaded)
  uint32_t graph_seeds = kDefaultGraphSeeds;  ///< label-graph walk starting points sharing words with the text
  bool reranker = true;                    ///< reorder the top candidates with the model's re-ranker, if it has one
  std::string only;                        ///< rank by one scorer alone: embedding, classifier, memory or lexical
};

}  // namespace ngame
