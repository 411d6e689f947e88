#include "model/model_store.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/atomic_file.h"
#include "core/binary_io.h"
#include "core/error.h"
#include "core/parallel_tasks.h"
#include "core/mapped_file.h"
#include "encoder/bow_encoder.h"

namespace ngame {

namespace fs = std::filesystem;

nlohmann::json file_fingerprint(const std::string& path) {
  const MappedFile file(path);
  return {{"bytes", file.bytes().size()}, {"crc32", crc32_of(file.bytes())}};
}

namespace {

std::string matrix_payload(const std::vector<float>& values, size_t dim) {
  PayloadWriter w;
  w.u64(dim);
  w.vec(std::span<const float>(values));
  return std::move(w.bytes());
}

std::vector<float> read_matrix(std::string_view payload, const std::string& context, size_t dim, size_t rows) {
  PayloadReader r(payload, context);
  if (r.u64() != dim) r.fail("dimension does not match the encoder");
  std::vector<float> v = r.vec<float>();
  if (v.size() != rows * dim || !r.done()) r.fail("matrix has the wrong size");
  return v;
}

// The logical parts of a model directory; a file's name on disk adds ".g<generation>" before the extension after
// the directory's first save (see part_file_name).
constexpr const char* kPartNames[] = {"encoder.ngm",      "labels.ngm",       "classifiers.ngm", "memory.ngm",
                                      "labels.hnsw",      "classifiers.hnsw", "memory.hnsw",     "fusion.json",
                                      "sparse.ngm"};

std::string part_file_name(const std::string& part, uint64_t generation) {
  if (generation == 0) return part;
  const size_t dot = part.rfind('.');
  return part.substr(0, dot) + ".g" + std::to_string(generation) + part.substr(dot);
}

// True when file (a name in a model directory) is some generation of a model part.
bool is_part_file(const std::string& file) {
  for (const char* part : kPartNames) {
    const std::string p = part;
    const size_t dot = p.rfind('.');
    const std::string stem = p.substr(0, dot), ext = p.substr(dot);
    if (file == p) return true;
    if (file.size() > stem.size() + ext.size() + 2 && file.starts_with(stem + ".g") && file.ends_with(ext)) {
      const std::string digits = file.substr(stem.size() + 2, file.size() - stem.size() - 2 - ext.size());
      if (!digits.empty() && std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return true;
      }
    }
  }
  return false;
}

// The manifest currently in dir, or null when there is none or it does not parse.
nlohmann::json current_manifest(const std::string& dir) {
  const fs::path p = fs::path(dir) / "manifest.json";
  if (!fs::exists(p)) return nullptr;
  try {
    nlohmann::json m = nlohmann::json::parse(read_file(p.string()), nullptr, false);
    return m.is_object() ? m : nlohmann::json(nullptr);
  } catch (const std::exception&) {
    return nullptr;
  }
}

nlohmann::json write_parts(const std::string& dir, const Encoder& encoder, const TextCorpus& label_texts,
                 const std::vector<float>& label_embeddings, const ModelParts* model, const nlohmann::json& settings,
                 const nlohmann::json& data, const nlohmann::json* kept_entries) {
  NGAME_CHECK(label_embeddings.size() == label_texts.size() * encoder.dim(), "one embedding per label text");
  fs::create_directories(dir);
  // Every save writes its parts under names no current manifest refers to (the next generation), then switches the
  // manifest atomically, then deletes the parts of earlier generations: a crash at any point leaves the old model or
  // the new one, both loadable (live label addition compacts models this way).
  const nlohmann::json previous = current_manifest(dir);
  const uint64_t generation =
      previous.is_object() && previous.contains("generation") && previous["generation"].is_number_unsigned()
          ? previous["generation"].get<uint64_t>() + 1
          : (previous.is_object() ? 1 : 0);
  nlohmann::json files;
  auto part_path = [&](const char* part) { return (fs::path(dir) / part_file_name(part, generation)).string(); };
  auto record = [&](const char* part) {
    nlohmann::json f = file_fingerprint(part_path(part));
    f["file"] = part_file_name(part, generation);
    files[part] = f;
  };
  // kept_entries: parts of the current generation that this save keeps as they are (a compaction keeps the
  // encoder and the memory graph, which adding labels does not change).
  auto kept = [&](const char* part) { return kept_entries && kept_entries->contains(part); };
  if (kept("encoder.ngm")) {
    files["encoder.ngm"] = (*kept_entries)["encoder.ngm"];
  } else {
    write_container(part_path("encoder.ngm"), encoder.save());
    record("encoder.ngm");
  }
  PayloadWriter texts;
  texts.u64(label_texts.size());
  for (size_t i = 0; i < label_texts.size(); ++i) texts.str(label_texts[i]);
  write_container(part_path("labels.ngm"),
                  {{"LTXT", std::move(texts.bytes())}, {"LEMB", matrix_payload(label_embeddings, encoder.dim())}});
  record("labels.ngm");
  std::vector<std::string> stages = {"encoder"};
  if (model && !model->classifiers.empty()) {
    stages.push_back("classifiers");
    write_container(part_path("classifiers.ngm"), {{"CLFW", matrix_payload(model->classifiers, encoder.dim())}});
    record("classifiers.ngm");
    PayloadWriter labels;
    labels.u64(model->memory_labels.rows);
    labels.u64(model->memory_labels.cols);
    labels.vec(std::span<const uint64_t>(model->memory_labels.indptr));
    labels.vec(std::span<const uint32_t>(model->memory_labels.indices));
    write_container(part_path("memory.ngm"), {{"MEMD", matrix_payload(model->memory_embeddings, encoder.dim())},
                                              {"MEML", std::move(labels.bytes())}});
    record("memory.ngm");
    if (!model->sparse_classifiers.empty()) {
      stages.push_back("sparse");
      // Labels added after training have no sparse classifier: the saved part covers every label.
      write_container(part_path("sparse.ngm"), {{"SPCW", model->sparse_classifiers.save(label_texts.size())}});
      record("sparse.ngm");
    }
    // HNSW graphs are saved (building them again would dominate a prediction's start-up); exact indices are not.
    const std::pair<const char*, const AnnIndex*> graphs[] = {{"labels.hnsw", model->label_index.get()},
                                                              {"classifiers.hnsw", model->classifier_index.get()},
                                                              {"memory.hnsw", model->memory_index.get()}};
    for (auto [name, index] : graphs) {
      // A compaction keeps the graphs the model had on disk (a serving-only graph is not saved: it would change
      // what `ngame predict` uses).
      const bool had = !kept_entries || (model->manifest.contains("files") && model->manifest["files"].contains(name));
      if (kept(name)) {
        files[name] = (*kept_entries)[name];
      } else if (const auto* hnsw = dynamic_cast<const HnswIndex*>(index); hnsw && had) {
        const std::string tmp = part_path(name) + ".tmp";
        hnsw->save(tmp);
        write_file_atomically(part_path(name), read_file(tmp));
        fs::remove(tmp);
        record(name);
        files[name]["vectors"] = graph_vectors_name(hnsw->vectors());
      }
    }
  }
  if (model && model->fusion) {
    stages.push_back("fusion");
    write_file_atomically(part_path("fusion.json"), model->fusion->to_json().dump(2) + "\n");
    record("fusion.json");
  }
  nlohmann::json manifest = {{"format", "ngame-model"},
                             {"version", kModelFormatVersion},
                             {"generation", generation},
                             {"stages", stages},
                             {"encoder", encoder.type()},
                             {"dim", encoder.dim()},
                             {"labels", label_texts.size()},
                             {"settings", settings},
                             {"data", data},
                             {"files", files}};
  // The manifest goes last: until it is renamed into place, the previous manifest and the files it names are intact.
  write_file_atomically((fs::path(dir) / "manifest.json").string(), manifest.dump(2) + "\n");
  // Parts of earlier generations (and of stages this save did not write) go once the new manifest is durable.
  std::set<std::string> referenced;
  for (const auto& [part, entry] : files.items()) referenced.insert(entry.value("file", part));
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (is_part_file(name) && !referenced.count(name)) fs::remove(entry.path());
  }
  return manifest;
}

}  // namespace

bool ModelParts::trained_with_classifier_graph() const {
  return !fusion || fusion->classifier_graph;
}

void ModelParts::build_missing_indices(const HnswConfig& hnsw, AnnChoice ann, size_t exact_max, bool classifier_graph,
                                       uint32_t memory_ef_search, ExactScoring exact) {
  const uint32_t d = encoder->dim();
  auto build = [&](const std::vector<float>& v, uint32_t ef_search) {
    std::unique_ptr<AnnIndex> index;
    if (ann == AnnChoice::kExact || (ann == AnnChoice::kAuto && v.size() / d <= exact_max)) {
      index = std::make_unique<ExactIndex>(d, exact);
    } else {
      HnswConfig c = hnsw.for_size(v.size() / d);
      if (ef_search > 0) c.ef_search = ef_search;
      index = std::make_unique<HnswIndex>(d, c);
    }
    index->add(v.data(), v.size() / d);
    return index;
  };
  if (!label_index) label_index = build(label_embeddings, 0);
  if (!classifier_graph) classifier_index.reset();
  if (classifier_graph && !classifier_index && !classifiers.empty()) classifier_index = build(classifiers, 0);
  if (!memory_index && !memory_embeddings.empty()) memory_index = build(memory_embeddings, memory_ef_search);
}

void save_model(const std::string& dir, const Encoder& encoder, const TextCorpus& label_texts,
                const std::vector<float>& label_embeddings, const nlohmann::json& settings,
                const nlohmann::json& data) {
  write_parts(dir, encoder, label_texts, label_embeddings, nullptr, settings, data, nullptr);
}

nlohmann::json save_model(const std::string& dir, const ModelParts& model, const nlohmann::json& settings,
                          const nlohmann::json& data) {
  return write_parts(dir, *model.encoder, model.label_texts, model.label_embeddings, &model, settings, data, nullptr);
}

void save_model_keeping_encoder(const std::string& dir, ModelParts& model) {
  NGAME_CHECK(model.manifest.contains("files") && model.manifest["files"].contains("encoder.ngm"),
              "the model was not loaded from a directory");
  nlohmann::json kept;
  for (const char* part : {"encoder.ngm", "memory.hnsw"}) {
    if (!model.manifest["files"].contains(part)) continue;
    if (std::string(part) == "memory.hnsw" && !(model.memory_index && model.memory_index->is_graph())) continue;
    kept[part] = model.manifest["files"][part];
    if (!kept[part].contains("file")) kept[part]["file"] = part;
  }
  model.manifest = write_parts(dir, *model.encoder, model.label_texts, model.label_embeddings, &model,
                               model.manifest.value("settings", nlohmann::json::object()),
                               model.manifest.value("data", nlohmann::json::object()), &kept);
}

std::unique_ptr<Encoder> load_encoder(const std::string& path) { return load_encoder(read_container(path)); }

std::unique_ptr<Encoder> load_encoder(const Container& sections) {
  const std::string& path = sections.path();
  if (!sections.has("META")) throw InputError(path, 0, "no encoder in this file (missing META section)");
  auto meta = nlohmann::json::parse(sections.at("META"), nullptr, false);
  const std::string type = meta.is_object() ? meta.value("type", "") : "";
  if (type == "bow") return BowEncoder::load(sections, path);
  throw InputError(path, 0, "unknown encoder type '" + type + "'");
}

ModelParts load_model(const std::string& dir, const ModelLoadOptions& options) {
  const std::string manifest_path = (fs::path(dir) / "manifest.json").string();
  if (!fs::is_directory(dir)) throw InputError(dir, 0, "not a model directory (no such directory)");
  if (!fs::exists(manifest_path)) throw InputError(manifest_path, 0, "missing (not a model directory?)");
  ModelParts model;
  model.manifest = nlohmann::json::parse(read_file(manifest_path), nullptr, false);
  const auto& m = model.manifest;
  if (m.is_discarded() || !m.is_object() || m.value("format", "") != "ngame-model") {
    throw InputError(manifest_path, 0, "not an ngame model manifest");
  }
  if (!m.contains("version") || !m["version"].is_number_integer() || m["version"].get<int>() < kOldestModelFormatVersion ||
      m["version"].get<int>() > kModelFormatVersion) {
    throw InputError(manifest_path, 0,
                     "model format version " + (m.contains("version") ? m["version"].dump() : std::string("?")) +
                         " is not supported (this build reads " + std::to_string(kOldestModelFormatVersion) + " to " +
                         std::to_string(kModelFormatVersion) + ")");
  }
  if (!m.contains("files") || !m["files"].is_object()) throw InputError(manifest_path, 0, "manifest lists no files");
  // A part's file on disk: the manifest's "file" (generation-suffixed), or the part's own name in older manifests.
  auto file_of = [&](const std::string& part) {
    const auto& entry = m["files"][part];
    std::string file = entry.is_object() ? entry.value("file", part) : part;
    if (file.find('/') != std::string::npos || !is_part_file(file)) {
      throw InputError(manifest_path, 0, "bad file name '" + file + "' for part " + part);
    }
    return (fs::path(dir) / file).string();
  };
  // Each listed file is mapped and read once: its size and CRC-32 checked against the manifest (a container's
  // CRC combined from its sections' own, which are checked next), then decoded from the mapping. The files are
  // checked side by side; the first bad one in the manifest's order is the one reported.
  std::map<std::string, std::shared_ptr<const MappedFile>> mapped;  // parts other than containers and graphs
  std::map<std::string, Container> containers;
  auto ends_with = [](const std::string& name, std::string_view end) {
    return name.size() >= end.size() && name.compare(name.size() - end.size(), end.size(), end) == 0;
  };
  struct Listed {
    std::string name, path;
    nlohmann::json expected;
    std::shared_ptr<const MappedFile> file;
    std::optional<Container> container;
  };
  std::vector<Listed> listed;
  for (const auto& [name, expected] : m["files"].items()) listed.push_back({name, file_of(name), expected, nullptr, {}});
  std::vector<std::function<void()>> checks;
  for (Listed& entry : listed) {
    checks.emplace_back([&entry, &ends_with] {
      const std::string& path = entry.path;
      if (!fs::exists(path)) throw InputError(path, 0, "missing (listed in manifest.json)");
      auto file = std::make_shared<const MappedFile>(path);
      if (file->bytes().size() != entry.expected.value("bytes", nlohmann::json())) {
        throw InputError(path, 0, "size differs from manifest.json (truncated or replaced)");
      }
      const auto corrupted = [&] { return InputError(path, 0, "checksum differs from manifest.json (corrupted)"); };
      std::optional<Container>& c = entry.container;
      if (ends_with(entry.name, ".ngm")) {
        try {
          c.emplace(parse_container(file));
        } catch (const InputError&) {
          // A broken layout (a damaged length, tag or header) is reported as the manifest's mismatch when it is one.
          if (crc32_of(file->bytes()) != entry.expected.value("crc32", nlohmann::json())) throw corrupted();
          throw;
        }
      }
      const uint32_t crc = c ? c->file_crc32() : crc32_of(file->bytes());
      if (crc != entry.expected.value("crc32", nlohmann::json())) throw corrupted();
      if (c) c->check_sections();
      entry.file = std::move(file);
    });
  }
  run_tasks(checks);
  for (Listed& entry : listed) {
    if (entry.container) {
      containers.emplace(entry.name, std::move(*entry.container));
    } else if (!ends_with(entry.name, ".hnsw")) {  // graphs are read by hnswlib from their paths
      mapped.emplace(entry.name, std::move(entry.file));
    }
  }
  listed.clear();
  // A part's container; its mapping is let go once the part is decoded.
  auto container = [&](const std::string& part) {
    auto it = containers.find(part);
    if (it == containers.end()) throw InputError(manifest_path, 0, "manifest lacks " + part);
    Container c = std::move(it->second);
    containers.erase(it);
    return c;
  };
  if (!m["files"].contains("encoder.ngm") || !m["files"].contains("labels.ngm")) {
    throw InputError(manifest_path, 0, "manifest lacks encoder.ngm or labels.ngm");
  }
  const auto& files = m["files"];
  auto path = [&](const char* name) { return file_of(name); };
  auto optional_container = [&](const char* part) {
    return files.contains(part) ? std::optional<Container>(container(part)) : std::nullopt;
  };
  // The encoder (and the sparse classifiers, which need its featurizer) decode beside the label-side parts, which
  // need only the dimension the manifest records (checked against the encoder's after).
  // Each part's container is let go (its mapping unmapped) as soon as the part is decoded, as the peak RSS counts them.
  std::optional<Container> encoder_sections = container("encoder.ngm"), label_sections = container("labels.ngm");
  std::optional<Container> classifier_sections = optional_container("classifiers.ngm"),
                           memory_sections = optional_container("memory.ngm"),
                           sparse_sections = optional_container("sparse.ngm");
  const bool dim_recorded = m.contains("dim") && m["dim"].is_number_unsigned() && m["dim"].get<uint64_t>() > 0 &&
                            m["dim"].get<uint64_t>() <= UINT32_MAX;
  uint32_t d = dim_recorded ? m["dim"].get<uint32_t>() : 0;
  const std::string labels_path = file_of("labels.ngm");
  if (!label_sections->has("LTXT") || !label_sections->has("LEMB")) throw InputError(labels_path, 0, "missing label sections");
  PayloadReader texts(label_sections->at("LTXT"), labels_path);
  const uint64_t n = texts.u64();
  if (n > label_sections->at("LTXT").size()) texts.fail("label count exceeds the section");
  auto decode_encoder_side = [&] {
    model.encoder = load_encoder(*encoder_sections);
    encoder_sections.reset();
    if (!sparse_sections) return;
    const auto* bow = dynamic_cast<const BowEncoder*>(model.encoder.get());
    if (!bow) throw InputError(path("sparse.ngm"), 0, "sparse classifiers need the bag-of-embeddings encoder's featurizer");
    if (!sparse_sections->has("SPCW")) throw InputError(path("sparse.ngm"), 0, "missing section SPCW");
    model.sparse_classifiers = SparseClassifiers::load(sparse_sections->at("SPCW"), path("sparse.ngm"), n,
                                                       bow->featurizer().feature_count());
    sparse_sections.reset();
  };
  // The saved graphs, searched as the fusion was fitted unless the caller says otherwise.
  bool classifier_graph = false;
  HnswConfig hnsw;
  auto load_graphs = [&] {
    classifier_graph = options.classifier_graph.value_or(model.trained_with_classifier_graph());
    // Search breadth: the caller's, else the one the fusion was fitted with, else the configured default.
    hnsw = options.hnsw;
    if (options.ef_search > 0) {
      hnsw.ef_search = options.ef_search;
    } else if (model.fusion && model.fusion->hnsw_ef_search > 0) {
      hnsw.ef_search = model.fusion->hnsw_ef_search;
    }
    // A saved graph's storage is its manifest entry's "vectors"; graphs saved before 8-bit ones have none and are floats.
    auto saved = [&](const char* name, HnswConfig c) {
      const nlohmann::json& entry = files[name];
      const nlohmann::json vectors = entry.value("vectors", nlohmann::json("float32"));
      if (!vectors.is_string() || (vectors != "int8" && vectors != "float32")) {
        throw InputError(manifest_path, 0, std::string(name) + ": \"vectors\" must be \"int8\" or \"float32\"");
      }
      c.vectors = parse_graph_vectors(vectors.get<std::string>());
      return HnswIndex::load(path(name), d, c);
    };
    if (options.ann != AnnChoice::kExact) {
      if (files.contains("labels.hnsw")) model.label_index = saved("labels.hnsw", hnsw);
      if (classifier_graph && files.contains("classifiers.hnsw")) model.classifier_index = saved("classifiers.hnsw", hnsw);
      if (files.contains("memory.hnsw")) {
        HnswConfig memory = hnsw;
        if (options.memory_ef_search > 0) memory.ef_search = options.memory_ef_search;
        model.memory_index = saved("memory.hnsw", memory);
      }
    }
  };
  auto decode_label_side = [&] {
    for (uint64_t i = 0; i < n; ++i) model.label_texts.push_back(texts.str());
    model.label_embeddings = read_matrix(label_sections->at("LEMB"), labels_path, d, n);
    label_sections.reset();
    if (classifier_sections) {
      auto& c = *classifier_sections;
      if (!c.has("CLFW")) throw InputError(path("classifiers.ngm"), 0, "missing section CLFW");
      model.classifiers = read_matrix(c.at("CLFW"), path("classifiers.ngm"), d, n);
      classifier_sections.reset();
    }
    if (memory_sections) {
      auto& c = *memory_sections;
      if (!c.has("MEMD") || !c.has("MEML")) throw InputError(path("memory.ngm"), 0, "missing memory sections");
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
      memory_sections.reset();
    }
    if (files.contains("fusion.json")) {
      const nlohmann::json fusion = nlohmann::json::parse(mapped.at("fusion.json")->bytes(), nullptr, false);
      if (fusion.is_discarded()) throw InputError(path("fusion.json"), 0, "not JSON");
      model.fusion = FusionRecord::from_json(fusion, path("fusion.json"));
    }
    load_graphs();
  };
  auto check_dim = [&] {
    if (model.encoder && model.encoder->dim() != d) {
      throw InputError(manifest_path, 0, "dim " + std::to_string(d) + " differs from the encoder's " +
                                             std::to_string(model.encoder->dim()));
    }
  };
  if (dim_recorded) {
    try {
      run_tasks({decode_encoder_side, decode_label_side});
    } catch (const InputError&) {
      check_dim();  // the label side's complaint about its matrices' width is the manifest's dim, when that is wrong
      throw;
    }
  } else {
    decode_encoder_side();
    d = model.encoder->dim();
    decode_label_side();
  }
  check_dim();
  mapped.erase("fusion.json");
  model.build_missing_indices(hnsw, options.ann, options.exact_max, classifier_graph, options.memory_ef_search,
                              options.exact);
  return model;
}

}  // namespace ngame
