#pragma once
// A model directory: manifest.json (format version, generation, stages, settings, data fingerprint, and the file,
// size and CRC-32 of every part), encoder.ngm (encoder + featurizer), labels.ngm (label texts and their embeddings)
// and the optional later stages. A save writes its parts under new generation-suffixed names, then the manifest
// atomically, then deletes the old parts: a crash at any moment leaves the previous model or the new one.
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/text_corpus.h"
#include "data/sparse_matrix.h"
#include "encoder/encoder.h"
#include "index/ann_index.h"
#include "model/fusion_record.h"
#include "model/sparse_classifiers.h"
#include "core/binary_io.h"

namespace ngame {

/// Model-directory format version written; 2 names each saved graph's storage ("vectors"), so that builds that
/// know only float graphs (which read version 1) refuse models with 8-bit ones instead of misreading them.
inline constexpr int kModelFormatVersion = 2;
/// The oldest version loading accepts (version 1: graphs store floats).
inline constexpr int kOldestModelFormatVersion = 1;

/// Search breadth of the memory scorer's graph: the 32 neighbours it asks for. On WordNet 32 rather than 64 predicts
/// the test split 10% faster for 0.02 P@1, and 64 rather than 200 much faster for a fraction of a point
/// (bench/results/2026-12-04-memory-breadth-32.md; bench_predict_parts --memory-ef times it).
inline constexpr uint32_t kMemoryEfSearch = 32;

/// A trained model in memory. Stages after M1 are optional (empty when only the encoder was trained).
struct ModelParts {
  std::unique_ptr<Encoder> encoder;
  TextCorpus label_texts;
  std::vector<float> label_embeddings;  ///< label_count x dim, unit rows
  std::vector<float> classifiers;       ///< M4: label_count x dim, unit rows (empty: none)
  std::vector<float> memory_embeddings; ///< training documents behind the memory scorer: rows x dim, unit
  SparseMatrix memory_labels;           ///< their labels
  SparseClassifiers sparse_classifiers; ///< per-label sparse classifiers over TF-IDF features (empty: none)
  std::unique_ptr<AnnIndex> label_index, classifier_index, memory_index;
  std::optional<FusionRecord> fusion;   ///< the fitted fusion (none: M1 or M4 alone)
  nlohmann::json manifest;
  /// Number of labels.
  size_t label_count() const { return label_texts.size(); }
  /// Builds any index that is missing: exact or HNSW as ann says (auto: exact up to exact_max vectors); the
  /// classifiers get their own index only with classifier_graph. A memory graph searches with breadth
  /// memory_ef_search by default (0: hnsw.ef_search). Exact indices score as exact says.
  void build_missing_indices(const HnswConfig& hnsw, AnnChoice ann = AnnChoice::kAuto,
                             size_t exact_max = kExactSearchMaxVectors, bool classifier_graph = true,
                             uint32_t memory_ef_search = 0, ExactScoring exact = ExactScoring::kInt8Shortlist);
  /// Whether the model was trained to shortlist from its classifiers' own graph (fusion.json; older models: yes).
  bool trained_with_classifier_graph() const;
};

/// Writes encoder.ngm, labels.ngm and then manifest.json into dir (created if missing). settings and data are
/// recorded in the manifest as given.
void save_model(const std::string& dir, const Encoder& encoder, const TextCorpus& label_texts,
                const std::vector<float>& label_embeddings, const nlohmann::json& settings,
                const nlohmann::json& data);
/// Writes every present part of model (encoder, labels, classifiers, memory, HNSW graphs, fusion) and then the
/// manifest, which lists and checksums them. Returns the manifest written.
nlohmann::json save_model(const std::string& dir, const ModelParts& model, const nlohmann::json& settings,
                          const nlohmann::json& data);
/// Rewrites a loaded model's label-side parts (labels, classifiers, memory, graphs, fusion) as the directory's next
/// generation, keeping its encoder and memory-graph files, settings, data record and set of saved graphs, and updates model.manifest:
/// how added labels are compacted into a model.
void save_model_keeping_encoder(const std::string& dir, ModelParts& model);

/// How load_model builds the indices it needs.
struct ModelLoadOptions {
  AnnChoice ann = AnnChoice::kAuto;
  size_t exact_max = kExactSearchMaxVectors;  ///< auto: exact search up to this many vectors
  HnswConfig hnsw;                             ///< graph settings (ef_search: when neither ef_search nor the model sets one)
  uint32_t ef_search = 0;                      ///< breadth of label / classifier graph searches (0: as the fusion was fitted)
  uint32_t memory_ef_search = kMemoryEfSearch; ///< search breadth of the memory graph (0: hnsw.ef_search)
  std::optional<bool> classifier_graph;        ///< shortlist from the classifiers' graph too (unset: as trained)
  ExactScoring exact = ExactScoring::kInt8Shortlist;  ///< how exact indices find their top k
};
/// Loads and verifies a model directory; any missing, truncated, corrupted or version-mismatched file is an
/// InputError naming it.
ModelParts load_model(const std::string& dir, const ModelLoadOptions& options = {});
/// Reads an encoder container (encoder.ngm) on its own.
std::unique_ptr<Encoder> load_encoder(const std::string& path);
/// The same from a container already read.
std::unique_ptr<Encoder> load_encoder(const Container& sections);
/// CRC-32 and size of a file, as recorded in manifests: {"bytes": n, "crc32": c}.
nlohmann::json file_fingerprint(const std::string& path);

}  // namespace ngame
