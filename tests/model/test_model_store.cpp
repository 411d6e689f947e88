#include "model/model_store.h"

#include <filesystem>

#include "core/binary_io.h"
#include "core/error.h"
#include "encoder/bow_encoder.h"
#include "test_util.h"

namespace ngame {
namespace {

struct SavedModel {
  testing::TempDir dir;
  TextCorpus labels;
  SavedModel() {
    for (const char* t : {"red shoes", "blue hat", "green scarf"}) labels.push_back(t);
    Featurizer f({.min_count = 1, .bigram_buckets = 4});
    f.fit({&labels});
    BowEncoder encoder(std::move(f), {.dim = 8, .hidden = 4}, 1);
    std::vector<float> emb(3 * 8, 0.5f);
    save_model(dir.str(), encoder, labels, emb, {{"epochs", 1}}, {{"dir", "none"}});
  }
  std::string file(const std::string& name) const { return dir.file(name); }
};

TEST(ModelStore, RoundTrip) {
  SavedModel m;
  ModelParts model = load_model(m.dir.str());
  EXPECT_EQ(model.label_count(), 3u);
  EXPECT_EQ(model.label_texts[1], "blue hat");
  EXPECT_EQ(model.encoder->dim(), 8u);
  EXPECT_EQ(model.manifest["settings"]["epochs"], 1);
  EXPECT_FLOAT_EQ(model.label_embeddings[5], 0.5f);
}

void expect_load_error(const std::string& dir, const std::string& fragment) {
  try {
    load_model(dir);
    FAIL() << "loaded a broken model";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(ModelStore, FlippedByteIsCorruption) {
  SavedModel m;
  std::string bytes = testing::read_bytes(m.file("encoder.ngm"));
  bytes[bytes.size() / 2] ^= 0x01;
  testing::write_bytes(m.file("encoder.ngm"), bytes);
  expect_load_error(m.dir.str(), "checksum differs");
}

TEST(ModelStore, TruncatedFile) {
  SavedModel m;
  std::string bytes = testing::read_bytes(m.file("labels.ngm"));
  testing::write_bytes(m.file("labels.ngm"), bytes.substr(0, bytes.size() - 10));
  expect_load_error(m.dir.str(), "truncated");
}

TEST(ModelStore, VersionMismatchAndMissingFiles) {
  SavedModel m;
  std::string manifest = testing::read_bytes(m.file("manifest.json"));
  auto j = nlohmann::json::parse(manifest);
  j["version"] = 99;
  testing::write_bytes(m.file("manifest.json"), j.dump());
  expect_load_error(m.dir.str(), "version 99 is not supported");
  testing::write_bytes(m.file("manifest.json"), manifest);
  std::filesystem::remove(m.file("labels.ngm"));
  expect_load_error(m.dir.str(), "missing");
  expect_load_error("/nonexistent/model", "no such directory");
}

// A copy of the small model with the given fusion.json (written as is, with a matching checksum).
std::string saved_with_fusion(const SavedModel& m, const nlohmann::json& fusion, const std::string& dir) {
  ModelParts model = load_model(m.dir.str());
  model.fusion = FusionRecord{};
  nlohmann::json manifest = save_model(dir, model, model.manifest["settings"], model.manifest["data"]);
  const std::string file = manifest["files"]["fusion.json"]["file"];
  testing::write_bytes(dir + "/" + file, fusion.dump());
  nlohmann::json fingerprint = file_fingerprint(dir + "/" + file);
  fingerprint["file"] = file;
  manifest["files"]["fusion.json"] = fingerprint;
  testing::write_bytes(dir + "/manifest.json", manifest.dump());
  return dir;
}

const HnswIndex& label_graph(const ModelParts& model) {
  const auto* graph = dynamic_cast<const HnswIndex*>(model.label_index.get());
  EXPECT_NE(graph, nullptr);
  return *graph;
}

// Load options that build HNSW graphs, searched at ef (0: as the model says).
ModelLoadOptions graphs(uint32_t ef = 0) {
  ModelLoadOptions o;
  o.ann = AnnChoice::kHnsw;
  o.ef_search = ef;
  return o;
}

TEST(ModelStore, GraphsSearchAsTheFusionWasFittedUnlessTold) {
  SavedModel m;
  const std::string dir = saved_with_fusion(m, {{"hnsw_ef_search", 37}}, m.file("fitted"));
  EXPECT_EQ(label_graph(load_model(dir, graphs())).ef_search(), 37u);
  EXPECT_EQ(label_graph(load_model(dir, graphs(12))).ef_search(), 12u);
  // A model fitted before the breadth was recorded searches with the configured default.
  EXPECT_EQ(label_graph(load_model(m.dir.str(), graphs())).ef_search(), HnswConfig{}.ef_search);
  expect_load_error(saved_with_fusion(m, {{"hnsw_ef_search", "wide"}}, m.file("bad")), "hnsw_ef_search");
  expect_load_error(saved_with_fusion(m, {{"hnsw_ef_search", 0}}, m.file("zero")), "hnsw_ef_search");
}

TEST(BinaryContainer, RejectsOtherVersionsAndBadMagic) {
  testing::TempDir dir;
  write_container(dir.file("a.ngm"), {{"TEST", "payload"}});
  EXPECT_EQ(read_container(dir.file("a.ngm")).at("TEST"), "payload");
  std::string bytes = testing::read_bytes(dir.file("a.ngm"));
  std::string newer = bytes;
  newer[8] = 2;  // version field
  testing::write_bytes(dir.file("b.ngm"), newer);
  EXPECT_THROW(read_container(dir.file("b.ngm")), InputError);
  testing::write_bytes(dir.file("c.ngm"), "NOTNGAME" + bytes.substr(8));
  EXPECT_THROW(read_container(dir.file("c.ngm")), InputError);
  testing::write_bytes(dir.file("d.ngm"), bytes + "x");
  EXPECT_THROW(read_container(dir.file("d.ngm")), InputError);
}

}  // namespace
}  // namespace ngame
