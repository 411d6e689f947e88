#include "model/fusion_record.h"

#include <cmath>

#include "core/error.h"

namespace ngame {

const char* scorer_name(size_t scorer) {
  static const char* names[kScorerCount] = {"embedding", "classifier", "memory", "lexical", "prior", "sparse"};
  return scorer < kScorerCount ? names[scorer] : "?";
}

nlohmann::json FusionWeights::to_json() const {
  nlohmann::json j;
  for (size_t s = 0; s < kScorerCount; ++s) j[scorer_name(s)] = weight[s];
  if (unseen) {
    for (size_t s = 0; s < kScorerCount; ++s) j["unseen"][scorer_name(s)] = (*unseen)[s];
  }
  return j;
}

FusionWeights FusionWeights::from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) throw InputError(source, 0, "weights must be an object {\"embedding\": w, ...}");
  FusionWeights w;
  if (j.contains("unseen")) w.unseen = from_json(j["unseen"], source + ", unseen").weight;
  for (size_t s = 0; s < kScorerCount; ++s) {
    w.weight[s] = 0.0f;
    if (!j.contains(scorer_name(s))) continue;
    const auto& v = j[scorer_name(s)];
    if (!v.is_number() || !std::isfinite(v.get<double>())) {
      throw InputError(source, 0, std::string("weight of ") + scorer_name(s) + " must be a finite number");
    }
    w.weight[s] = v.get<float>();
  }
  return w;
}

nlohmann::json FusionRecord::to_json() const {
  nlohmann::json j = {{"weights", weights.to_json()},
                      {"shortlist", shortlist},
                      {"hnsw_ef_search", hnsw_ef_search},
                      {"graph_seeds", graph_seeds},
                      {"memory_seeds", memory_seeds},
                      {"classifier_graph", classifier_graph},
                      {"validation", validation},
                      {"validation_rows", validation_rows}};
  if (!reranker.is_null()) {
    j["reranker"] = reranker;
    j["reranker_window"] = reranker_window;
  }
  return j;
}

namespace {

// An optional unsigned field in (0, max]; absent: `fallback`.
uint64_t positive(const nlohmann::json& j, const char* field, uint64_t fallback, uint64_t max, const std::string& source) {
  if (!j.contains(field)) return fallback;
  const auto& v = j[field];
  if (!v.is_number_unsigned() || v.get<uint64_t>() == 0 || v.get<uint64_t>() > max) {
    throw InputError(source, 0, std::string(field) + " must be a positive integer");
  }
  return v.get<uint64_t>();
}

bool flag(const nlohmann::json& j, const char* field, bool fallback, const std::string& source) {
  if (!j.contains(field)) return fallback;
  if (!j[field].is_boolean()) throw InputError(source, 0, std::string(field) + " must be true or false");
  return j[field].get<bool>();
}

}  // namespace

FusionRecord FusionRecord::from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) throw InputError(source, 0, "not a JSON object");
  FusionRecord r;
  // Without weights (a model trained before the fusion was fitted), rank by the label embeddings alone.
  if (j.contains("weights")) {
    r.weights = FusionWeights::from_json(j["weights"], source);
  } else {
    r.weights.weight = {1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  }
  r.shortlist = static_cast<uint32_t>(positive(j, "shortlist", 0, 1000000, source));
  r.hnsw_ef_search = static_cast<uint32_t>(positive(j, "hnsw_ef_search", 0, 1000000, source));
  if (j.contains("graph_seeds")) {
    if (!j["graph_seeds"].is_number_unsigned()) throw InputError(source, 0, "graph_seeds must be an integer");
    r.graph_seeds = j["graph_seeds"].get<uint32_t>();
  }
  r.memory_seeds = flag(j, "memory_seeds", false, source);
  r.classifier_graph = flag(j, "classifier_graph", true, source);
  if (j.contains("reranker")) {
    r.reranker = j["reranker"];
    r.reranker_window = positive(j, "reranker_window", 20, 1000000, source);
  }
  if (j.contains("validation_rows")) {
    if (!j["validation_rows"].is_number_unsigned()) throw InputError(source, 0, "validation_rows must be an integer");
    r.validation_rows = j["validation_rows"].get<uint64_t>();
  }
  r.validation = j.value("validation", nlohmann::json());
  return r;
}

}  // namespace ngame
