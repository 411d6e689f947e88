#pragma once
// ngame's public C++ API: datasets, training, models (predict, embed, add labels, save) and metrics (evaluate). The `ngame`
// command, its HTTP server and the Python package are clients of this header; the rest of src/ is internal.
//
//   ngame::Dataset data = ngame::load_dataset("data/wordnet");
//   ngame::Model model = ngame::train(data, ngame::TrainConfig{});
//   model.save("models/wordnet");
//   ngame::SparseMatrix top = model.predict(texts, 10);
//
// Errors: InputError for bad data (its message names the file and line, or the field), UsageError for bad
// settings or calls, RuntimeError for failures that are not the caller's (I/O); StorageError, a RuntimeError, for a
// write to disk that failed and was undone (no_space(): the disk is full).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "data/dataset.h"
#include "data/sparse_matrix.h"
#include "data/text_corpus.h"
#include "eval/evaluation.h"
#include "predict/search_params.h"
#include "train/train_config.h"
#include "train/train_observer.h"
#include "train/training_run.h"

namespace ngame {

/// How Model::open builds or reads the shortlist indices.
struct OpenOptions {
  std::string ann = "auto";           ///< auto (saved graphs, else exact up to exact_max vectors), exact or hnsw
  size_t exact_max = 50000;           ///< auto: exact search up to this many vectors
  uint32_t hnsw_m = 32;               ///< links per node of graphs built at load
  uint32_t hnsw_ef_construction = 0;  ///< breadth while building graphs at load (0: 200, 100 above 200K vectors)
  std::string graph_vectors = "int8"; ///< how graphs built at load store vectors: int8 or float32 (saved ones keep theirs)
  std::string exact_search = "int8";  ///< exact searches: int8 (8-bit first pass where the CPU has VNNI) or float32
  uint32_t ef_search = 0;             ///< default breadth of label / classifier graph searches (0: as fitted)
  uint32_t memory_ef_search = 32;     ///< default breadth of the memory graph's searches (0: as ef_search)
  std::optional<bool> classifier_graph;  ///< shortlist from the classifiers' graph too (unset: as trained)
  uint32_t shortlist = 0;             ///< default labels per shortlist (0: as the fusion was fitted)
  uint32_t graph_seeds = kDefaultGraphSeeds;  ///< default label-graph walk starting points
  bool writable = false;              ///< lock the label log for additions now (else at the first add_labels)
};

/// What one add_labels call did.
struct AddedLabels {
  uint64_t first_id = 0;             ///< ids first_id .. first_id + count - 1
  size_t count = 0;
  std::vector<double> lock_seconds;  ///< how long each step held predictions off
};

/// A trained model: safe for predictions from several threads while labels are added.
class Model {
 public:
  /// Opens a model directory: verifies every file (InputError naming a bad one) and applies the labels its label
  /// log (labels.wal) holds beyond the saved ones.
  static Model open(const std::string& dir, const OpenOptions& options = {});
  /// A model from parts trained in memory (see train()).
  explicit Model(ModelParts parts);
  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

  /// Writes the whole model into dir (atomically: a crash leaves the old model or the new one). Saving into the
  /// directory it was opened from folds its label log into the files.
  void save(const std::string& dir);
  /// The top-k labels of each text (rows = texts, columns = labels, scores best first).
  SparseMatrix predict(const TextCorpus& texts, size_t k, const SearchParams& search) const;
  /// The same with the model's default search.
  SparseMatrix predict(const TextCorpus& texts, size_t k) const;
  /// Embeddings of texts, texts x dim() (unit rows unless normalize is false).
  std::vector<float> embed(const TextCorpus& texts, bool normalize = true) const;
  /// Adds labels by their text (zero-shot). A model opened from a directory logs them durably (fsync) before they
  /// become visible; predictions running meanwhile are held off for one index insertion at a time.
  /// Bad texts (empty, not UTF-8, a line break) are an InputError naming source and the 1-based position. A failed
  /// log write (a full disk) is a StorageError: the log is cut back to its last complete record first, nothing is
  /// added, and the next call gets the ids this one would have had (no id is ever given twice); while the cut
  /// itself fails, every call is a StorageError.
  AddedLabels add_labels(const TextCorpus& texts, const std::string& source = "texts");
  /// Makes room for `extra` more labels, so that adding them moves no memory (predictions wait meanwhile).
  void reserve_labels(size_t extra);
  /// Folds logged labels into the model files (a new generation) and empties the log; no-op without a log. When it
  /// fails (RuntimeError), every logged label is still in the log or already in the model files; call it again.
  void compact();
  /// Labels logged since the last compaction.
  uint64_t pending_labels() const;
  /// Number of labels (added ones included).
  size_t label_count() const;
  /// Labels the model had when it was trained (ids at or above were added later).
  size_t trained_label_count() const;
  /// Text of label id (a copy: labels may be added meanwhile).
  std::string label_text(uint64_t id) const;
  /// Embedding dimension.
  uint32_t dim() const;
  /// The directory the model was opened from or last saved to ("" for a model trained in memory).
  const std::string& dir() const;
  /// The model's parts (internal layout; do not use while labels are being added).
  const ModelParts& parts() const;

 private:
  struct Impl;
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Trains every stage (M1, M4, indices, fusion) on data; progress goes to observer (may be null).
Model train(const Dataset& data, const TrainConfig& config, TrainObserver* observer = nullptr);

}  // namespace ngame
