#include "model/model_store.h"

#include <zlib.h>

#include <algorithm>
#include <filesystem>

#include "core/atomic_file.h"
#include "core/binary_io.h"
#include "core/error.h"
#include "encoder/bow_encoder.h"

namespace ngame {

namespace fs = std::filesystem;

nlohmann::json file_fingerprint(const std::string& path) {
  const std::string bytes = read_file(path);
  uLong crc = crc32(0L, Z_NULL, 0);
  for (size_t done = 0; done < bytes.size();) {
    auto chunk = static_cast<uInt>(std::min<size_t>(bytes.size() - done, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data() + done), chunk);
    done += chunk;
  }
  return {{"bytes", bytes.size()}, {"crc32", static_cast<uint32_t>(crc)}};
}

namespace {

std::string matrix_payload(const std::vector<float>& values, size_t dim) {
  PayloadWriter w;
  w.u64(dim);
  w.vec(std::span<const float>(values));
  return std::move(w.bytes());
}

std::vector<float> read_matrix(const std::string& payload, const std::string& context, size_t dim, size_t rows) {
  PayloadReader r(payload, context);
  if (r.u64() != dim) r.fail("dimension does not match the encoder");
  std::vector<float> v = r.vec<float>();
  if (v.size() != rows * dim || !r.done()) r.fail("matrix has the wrong size");
  return v;
}

void write_parts(const std::string& dir, const Encoder& encoder, const TextCorpus& label_texts,
                 const std::vector<float>& label_embeddings, const Model* model, const nlohmann::json& settings,
                 const nlohmann::json& data) {
  NGAME_CHECK(label_embeddings.size() == label_texts.size() * encoder.dim(), "one embedding per label text");
  fs::create_directories(dir);
  auto path = [&](const char* name) { return (fs::path(dir) / name).string(); };
  nlohmann::json files;
  write_container(path("encoder.ngm"), encoder.save());
  files["encoder.ngm"] = file_fingerprint(path("encoder.ngm"));
  PayloadWriter texts;
  texts.u64(label_texts.size());
  for (size_t i = 0; i < label_texts.size(); ++i) texts.str(label_texts[i]);
  write_container(path("labels.ngm"),
                  {{"LTXT", std::move(texts.bytes())}, {"LEMB", matrix_payload(label_embeddings, encoder.dim())}});
  files["labels.ngm"] = file_fingerprint(path("labels.ngm"));
  std::vector<std::string> stages = {"encoder"};
  if (model && !model->classifiers.empty()) {
    stages.push_back("classifiers");
    write_container(path("classifiers.ngm"), {{"CLFW", matrix_payload(model->classifiers, encoder.dim())}});
    files["classifiers.ngm"] = file_fingerprint(path("classifiers.ngm"));
    PayloadWriter labels;
    labels.u64(model->memory_labels.rows);
    labels.u64(model->memory_labels.cols);
    labels.vec(std::span<const uint64_t>(model->memory_labels.indptr));
    labels.vec(std::span<const uint32_t>(model->memory_labels.indices));
    write_container(path("memory.ngm"), {{"MEMD", matrix_payload(model->memory_embeddings, encoder.dim())},
                                         {"MEML", std::move(labels.bytes())}});
    files["memory.ngm"] = file_fingerprint(path("memory.ngm"));
    // HNSW graphs are saved (building them again would dominate a prediction's start-up); exact indices are not.
    const std::pair<const char*, const AnnIndex*> graphs[] = {{"labels.hnsw", model->label_index.get()},
                                                              {"classifiers.hnsw", model->classifier_index.get()},
                                                              {"memory.hnsw", model->memory_index.get()}};
    for (auto [name, index] : graphs) {
      if (const auto* hnsw = dynamic_cast<const HnswIndex*>(index)) {
        const std::string tmp = path(name) + ".tmp";
        hnsw->save(tmp);
        write_file_atomically(path(name), read_file(tmp));
        fs::remove(tmp);
        files[name] = file_fingerprint(path(name));
      }
    }
  }
  // Optional parts this save does not write must not linger from an earlier model in the same directory.
  for (const char* name : {"classifiers.ngm", "memory.ngm", "labels.hnsw", "classifiers.hnsw", "memory.hnsw", "fusion.json"}) {
    if (!files.contains(name) && !(model && model->fusion.is_object() && std::string(name) == "fusion.json")) {
      fs::remove(path(name));
    }
  }
  if (model && model->fusion.is_object()) {
    stages.push_back("fusion");
    write_file_atomically(path("fusion.json"), model->fusion.dump(2) + "\n");
    files["fusion.json"] = file_fingerprint(path("fusion.json"));
  }
  nlohmann::json manifest = {{"format", "ngame-model"},
                             {"version", kModelFormatVersion},
                             {"stages", stages},
                             {"encoder", encoder.type()},
                             {"dim", encoder.dim()},
                             {"labels", label_texts.size()},
                             {"settings", settings},
                             {"data", data},
                             {"files", files}};
  // The manifest goes last: a crash before this point leaves the previous manifest, whose checksums then refuse
  // the half-written parts instead of loading a mix.
  write_file_atomically(path("manifest.json"), manifest.dump(2) + "\n");
}

}  // namespace

void Model::build_missing_indices(const HnswConfig& hnsw) {
  const uint32_t d = encoder->dim();
  auto build = [&](const std::vector<float>& v) {
    std::unique_ptr<AnnIndex> index;
    if (v.size() / d <= kExactSearchMaxVectors) {
      index = std::make_unique<ExactIndex>(d);
    } else {
      index = std::make_unique<HnswIndex>(d, hnsw);
    }
    index->add(v.data(), v.size() / d);
    return index;
  };
  if (!label_index) label_index = build(label_embeddings);
  if (!classifier_index && !classifiers.empty()) classifier_index = build(classifiers);
  if (!memory_index && !memory_embeddings.empty()) memory_index = build(memory_embeddings);
}

void save_model(const std::string& dir, const Encoder& encoder, const TextCorpus& label_texts,
                const std::vector<float>& label_embeddings, const nlohmann::json& settings,
                const nlohmann::json& data) {
  write_parts(dir, encoder, label_texts, label_embeddings, nullptr, settings, data);
}

void save_model(const std::string& dir, const Model& model, const nlohmann::json& settings, const nlohmann::json& data) {
  write_parts(dir, *model.encoder, model.label_texts, model.label_embeddings, &model, settings, data);
}

std::unique_ptr<Encoder> load_encoder(const std::string& path) {
  auto sections = read_container(path);
  if (!sections.count("META")) throw InputError(path, 0, "no encoder in this file (missing META section)");
  auto meta = nlohmann::json::parse(sections.at("META"), nullptr, false);
  const std::string type = meta.is_object() ? meta.value("type", "") : "";
  if (type == "bow") return BowEncoder::load(sections, path);
  throw InputError(path, 0, "unknown encoder type '" + type + "'");
}

Model load_model(const std::string& dir) {
  const std::string manifest_path = (fs::path(dir) / "manifest.json").string();
  if (!fs::is_directory(dir)) throw InputError(dir, 0, "not a model directory (no such directory)");
  if (!fs::exists(manifest_path)) throw InputError(manifest_path, 0, "missing (not a model directory?)");
  Model model;
  model.manifest = nlohmann::json::parse(read_file(manifest_path), nullptr, false);
  const auto& m = model.manifest;
  if (m.is_discarded() || !m.is_object() || m.value("format", "") != "ngame-model") {
    throw InputError(manifest_path, 0, "not an ngame model manifest");
  }
  if (!m.contains("version") || !m["version"].is_number_integer() || m["version"].get<int>() != kModelFormatVersion) {
    throw InputError(manifest_path, 0,
                     "model format version " + (m.contains("version") ? m["version"].dump() : std::string("?")) +
                         " is not supported (this build reads " + std::to_string(kModelFormatVersion) + ")");
  }
  if (!m.contains("files") || !m["files"].is_object()) throw InputError(manifest_path, 0, "manifest lists no files");
  for (const auto& [name, expected] : m["files"].items()) {
    const std::string path = (fs::path(dir) / name).string();
    if (!fs::exists(path)) throw InputError(path, 0, "missing (listed in manifest.json)");
    const nlohmann::json actual = file_fingerprint(path);
    if (actual["bytes"] != expected.value("bytes", nlohmann::json())) {
      throw InputError(path, 0, "size differs from manifest.json (truncated or replaced)");
    }
    if (actual["crc32"] != expected.value("crc32", nlohmann::json())) {
      throw InputError(path, 0, "checksum differs from manifest.json (corrupted)");
    }
  }
  model.encoder = load_encoder((fs::path(dir) / "encoder.ngm").string());
  const std::string labels_path = (fs::path(dir) / "labels.ngm").string();
  auto sections = read_container(labels_path);
  if (!sections.count("LTXT") || !sections.count("LEMB")) throw InputError(labels_path, 0, "missing label sections");
  PayloadReader texts(sections.at("LTXT"), labels_path);
  const uint64_t n = texts.u64();
  if (n > sections.at("LTXT").size()) texts.fail("label count exceeds the section");
  for (uint64_t i = 0; i < n; ++i) model.label_texts.push_back(texts.str());
  model.label_embeddings = read_matrix(sections.at("LEMB"), labels_path, model.encoder->dim(), n);
  const auto& files = m["files"];
  const uint32_t d = model.encoder->dim();
  auto path = [&](const char* name) { return (fs::path(dir) / name).string(); };
  if (files.contains("classifiers.ngm")) {
    auto c = read_container(path("classifiers.ngm"));
    if (!c.count("CLFW")) throw InputError(path("classifiers.ngm"), 0, "missing section CLFW");
    model.classifiers = read_matrix(c.at("CLFW"), path("classifiers.ngm"), d, n);
  }
  if (files.contains("memory.ngm")) {
    auto c = read_container(path("memory.ngm"));
    if (!c.count("MEMD") || !c.count("MEML")) throw InputError(path("memory.ngm"), 0, "missing memory sections");
    PayloadReader lr(c.at("MEML"), path("memory.ngm"));
    model.memory_labels.rows = lr.u64();
    model.memory_labels.cols = lr.u64();
    model.memory_labels.indptr = lr.vec<uint64_t>();
    model.memory_labels.indices = lr.vec<uint32_t>();
    const auto& ml = model.memory_labels;
    bool ok = ml.cols == n && ml.indptr.size() == ml.rows + 1 && ml.indptr.front() == 0 &&
              ml.indptr.back() == ml.indices.size() && std::is_sorted(ml.indptr.begin(), ml.indptr.end());
    for (uint32_t id : ml.indices) ok = ok && id < n;
    if (!ok || !lr.done()) lr.fail("memory label matrix is inconsistent");
    model.memory_labels.values.assign(ml.indices.size(), 1.0f);
    model.memory_embeddings = read_matrix(c.at("MEMD"), path("memory.ngm"), d, ml.rows);
  }
  const HnswConfig hnsw = HnswConfig{};
  if (files.contains("labels.hnsw")) model.label_index = HnswIndex::load(path("labels.hnsw"), d, hnsw);
  if (files.contains("classifiers.hnsw")) model.classifier_index = HnswIndex::load(path("classifiers.hnsw"), d, hnsw);
  if (files.contains("memory.hnsw")) model.memory_index = HnswIndex::load(path("memory.hnsw"), d, hnsw);
  if (files.contains("fusion.json")) {
    model.fusion = nlohmann::json::parse(read_file(path("fusion.json")), nullptr, false);
    if (model.fusion.is_discarded() || !model.fusion.is_object()) {
      throw InputError(path("fusion.json"), 0, "not a JSON object");
    }
  }
  model.build_missing_indices(hnsw);
  return model;
}

}  // namespace ngame
