#pragma once
// Memory scorer: the labels of the nearest training documents in embedding space, each vote weighted by a softmax
// of the documents' similarities to the query.
#include <memory>
#include <mutex>
#include <vector>

#include "data/sparse_matrix.h"
#include "index/ann_index.h"
#include "predict/scorer.h"

namespace ngame {

/// Memory scorer options.
struct MemoryScorerConfig {
  uint32_t neighbors = 32;    ///< training documents consulted per query
  float temperature = 0.05f;  ///< softmax temperature of their similarities
};

/// Training documents' labels behind an index over their embeddings (both owned by the caller, e.g. a ModelParts).
class MemoryScorer final : public Scorer {
 public:
  /// doc_labels: one row per vector of index (the index's ids are the rows); doc_vectors (null: the index's own
  /// scores), the same vectors as floats, scores the documents found exactly (an 8-bit graph's scores are close only).
  MemoryScorer(const SparseMatrix& doc_labels, const AnnIndex& index, MemoryScorerConfig config = {},
               const std::vector<float>* doc_vectors = nullptr);
  /// For each query (unit rows), label -> score pairs sorted by label (the votes sum to 1 per query). With
  /// document seeds (one list per query, e.g. from document_seeds()), the graph's walk also starts from them; a
  /// graph walks with breadth ef (0: its own).
  std::vector<std::vector<std::pair<uint32_t, float>>> score(const float* queries, size_t nq,
                                                             const std::vector<std::vector<uint32_t>>& seeds = {},
                                                             uint32_t ef = 0) const;
  /// For each list of labels (best first), training documents that carry its first `labels` labels, at most
  /// kSeedDocumentsPerLabel of each: starting points for the memory graph's walk.
  std::vector<std::vector<uint32_t>> document_seeds(const std::vector<std::vector<uint32_t>>& label_lists,
                                                    size_t labels = 16) const;

  /// The fusion's view: each text's voted labels are its shortlist and their votes its scores (none when not
  /// wanted); the walk starts from the label seeds' documents too when search.memory_seeds says so.
  std::unique_ptr<ScoredBatch> score_batch(const QueryBatch& batch, size_t shortlist, bool wanted,
                                           const PredictorConfig& search) const override;

  /// Documents of one label that document_seeds() offers at most.
  static constexpr size_t kSeedDocumentsPerLabel = 8;

 private:
  const SparseMatrix& labels_;
  void build_seed_index() const;
  // label -> its first documents in seed_documents_: built by the first document_seeds() call only, since
  // only models trained with --memory-seeds seed the memory graph at prediction, and the others should not pay for it.
  mutable std::once_flag seed_index_built_;
  mutable std::vector<uint64_t> seed_offsets_;
  mutable std::vector<uint32_t> seed_documents_;
  const AnnIndex& index_;
  MemoryScorerConfig config_;
  const std::vector<float>* vectors_;  // null: the index's scores are used as they are
};

}  // namespace ngame
