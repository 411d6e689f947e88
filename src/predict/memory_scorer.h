#pragma once
// Memory scorer: the labels of the nearest training documents in embedding space, each vote weighted by a softmax
// of the documents' similarities to the query.
#include <memory>
#include <vector>

#include "data/sparse_matrix.h"
#include "index/ann_index.h"

namespace ngame {

/// Memory scorer options.
struct MemoryScorerConfig {
  uint32_t neighbors = 32;    ///< training documents consulted per query
  float temperature = 0.05f;  ///< softmax temperature of their similarities
};

/// Training documents' labels behind an index over their embeddings (both owned by the caller, e.g. a Model).
class MemoryScorer {
 public:
  /// doc_labels: one row per vector of index (the index's ids are the rows).
  MemoryScorer(const SparseMatrix& doc_labels, const AnnIndex& index, MemoryScorerConfig config = {});
  /// For each query (unit rows), label -> score pairs sorted by label (the votes sum to 1 per query).
  std::vector<std::vector<std::pair<uint32_t, float>>> score(const float* queries, size_t nq) const;

 private:
  const SparseMatrix& labels_;
  const AnnIndex& index_;
  MemoryScorerConfig config_;
};

}  // namespace ngame
