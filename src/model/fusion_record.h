#pragma once
// What fitting the fusion chose and prediction must follow, typed: the scorers' weights, the search it was fitted
// with, the re-ranker's trees and the validation report. Saved as fusion.json; read and checked once, on load.
#include <array>
#include <cstdint>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>

namespace ngame {

/// The scorers, in the order of their scores, weights and re-ranker features.
enum ScorerId : size_t {
  kEmbeddingScorer = 0,  ///< label embeddings (M1)
  kClassifierScorer,     ///< per-label classifiers (M4)
  kMemoryScorer,         ///< labels of the nearest training documents
  kLexicalScorer,        ///< TF-IDF overlap of the text with the label text
  kPriorScorer,          ///< log(1 + training rows of the label), scaled to [0, 1] (adds no shortlist)
  kSparseScorer,         ///< per-label sparse classifiers over TF-IDF features (adds no shortlist)
  kScorerCount
};
/// Names used in fusion.json, reports and SearchParams::only: "embedding", "classifier", "memory", "lexical",
/// "prior", "sparse" ("?" out of range).
const char* scorer_name(size_t scorer);

/// Weights of the fused score; a weight of 0 switches a scorer (and its shortlist) off.
struct FusionWeights {
  std::array<float, kScorerCount> weight = {1.0f, 1.0f, 1.0f, 0.5f, 0.0f, 0.0f};
  /// Weights of the candidates without training rows (prior term 0: labels added after training, or carried by no
  /// training row), whose evidence is of another kind; none: `weight` for every candidate.
  std::optional<std::array<float, kScorerCount>> unseen;
  /// The fused score of a candidate's terms.
  float blend(const std::array<float, kScorerCount>& terms) const {
    const auto& w = unseen && terms[kPriorScorer] == 0.0f ? *unseen : weight;
    float f = 0;
    for (size_t s = 0; s < kScorerCount; ++s) f += w[s] * terms[s];
    return f;
  }
  /// Whether scorer s weighs anything for some candidate (otherwise it need not run).
  bool uses(size_t s) const { return weight[s] != 0 || (unseen && (*unseen)[s] != 0); }
  /// {"embedding": w, ..., "unseen": {"embedding": w, ...}}.
  nlohmann::json to_json() const;
  /// Missing scorers weigh 0; a weight that is not a finite number is an InputError naming source.
  static FusionWeights from_json(const nlohmann::json& j, const std::string& source = "fusion weights");
};

/// The fitted fusion of a model (fusion.json).
struct FusionRecord {
  FusionWeights weights;
  uint32_t shortlist = 0;          ///< labels per shortlist it was fitted with (0: not recorded)
  uint32_t hnsw_ef_search = 0;     ///< graph search breadth it was fitted with (0: not recorded)
  uint32_t graph_seeds = 0;        ///< label-graph walk seeds at fitting (informational)
  bool memory_seeds = false;       ///< the memory graph's walk starts from the label seeds' documents too
  bool classifier_graph = true;    ///< the classifiers had their own shortlist graph (older models: yes)
  nlohmann::json reranker;         ///< the re-ranker's trees (RankBooster::to_json); null: none
  size_t reranker_window = 20;     ///< candidates the re-ranker reorders
  uint64_t validation_rows = 0;    ///< rows it was fitted on
  nlohmann::json validation;       ///< the fitting report: each scorer alone, the fusion, each scorer left out

  /// fusion.json's object.
  nlohmann::json to_json() const;
  /// Reads and checks fusion.json's object; a missing or mistyped field is an InputError naming source.
  static FusionRecord from_json(const nlohmann::json& j, const std::string& source);
};

}  // namespace ngame
