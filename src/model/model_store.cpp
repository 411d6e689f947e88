#include "model/model_store.h"

#include <zlib.h>

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

void save_model(const std::string& dir, const Encoder& encoder, const TextCorpus& label_texts,
                const std::vector<float>& label_embeddings, const nlohmann::json& settings,
                const nlohmann::json& data) {
  NGAME_CHECK(label_embeddings.size() == label_texts.size() * encoder.dim(), "one embedding per label text");
  fs::create_directories(dir);
  const std::string encoder_path = (fs::path(dir) / "encoder.ngm").string();
  const std::string labels_path = (fs::path(dir) / "labels.ngm").string();
  write_container(encoder_path, encoder.save());
  PayloadWriter texts;
  texts.u64(label_texts.size());
  for (size_t i = 0; i < label_texts.size(); ++i) texts.str(label_texts[i]);
  PayloadWriter emb;
  emb.u64(encoder.dim());
  emb.vec(std::span<const float>(label_embeddings));
  write_container(labels_path, {{"LTXT", std::move(texts.bytes())}, {"LEMB", std::move(emb.bytes())}});
  nlohmann::json manifest = {
      {"format", "ngame-model"},
      {"version", kModelFormatVersion},
      {"stages", {"encoder"}},
      {"encoder", encoder.type()},
      {"dim", encoder.dim()},
      {"labels", label_texts.size()},
      {"settings", settings},
      {"data", data},
      {"files", {{"encoder.ngm", file_fingerprint(encoder_path)}, {"labels.ngm", file_fingerprint(labels_path)}}}};
  write_file_atomically((fs::path(dir) / "manifest.json").string(), manifest.dump(2) + "\n");
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
  PayloadReader emb(sections.at("LEMB"), labels_path);
  const uint64_t dim = emb.u64();
  model.label_embeddings = emb.vec<float>();
  if (dim != model.encoder->dim() || model.label_embeddings.size() != n * dim) {
    emb.fail("label embeddings do not match the encoder's dimension or the label count");
  }
  return model;
}

}  // namespace ngame
