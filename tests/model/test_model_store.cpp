#include "model/model_store.h"

#include <algorithm>
#include <cstring>
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

// A damaged section length breaks the container's layout before any checksum is read: the manifest's mismatch is
// still what the loader reports.
TEST(ModelStore, DamagedSectionLengthIsTheManifestsChecksum) {
  SavedModel m;
  std::string bytes = testing::read_bytes(m.file("labels.ngm"));
  bytes[16 + 4 + 6] ^= 0x10;  // a high byte of the first section's length
  testing::write_bytes(m.file("labels.ngm"), bytes);
  expect_load_error(m.dir.str(), "labels.ngm: checksum differs from manifest.json");
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
  j["version"] = kOldestModelFormatVersion - 1;
  testing::write_bytes(m.file("manifest.json"), j.dump());
  expect_load_error(m.dir.str(), "is not supported (this build reads 1 to 2)");
  j["version"] = kOldestModelFormatVersion;  // version 1: a model from before 8-bit graphs
  testing::write_bytes(m.file("manifest.json"), j.dump());
  EXPECT_EQ(load_model(m.dir.str()).label_count(), 3u);
  EXPECT_EQ(nlohmann::json::parse(manifest)["version"], kModelFormatVersion);  // what a save writes
  testing::write_bytes(m.file("manifest.json"), manifest);
  std::filesystem::remove(m.file("labels.ngm"));
  expect_load_error(m.dir.str(), "missing");
  expect_load_error("/nonexistent/model", "no such directory");
}

// The label-side parts decode beside the encoder from the manifest's dim, which must then be the encoder's; a
// manifest without it decodes them after the encoder. Files are checked side by side, and of two bad ones the first
// in the manifest's order (classifiers, encoder, ..., labels) is reported.
TEST(ModelStore, ManifestDimMustBeTheEncodersAndTheFirstBadFileIsReported) {
  SavedModel m;
  const std::string manifest = testing::read_bytes(m.file("manifest.json"));
  auto j = nlohmann::json::parse(manifest);
  j["dim"] = 4;
  testing::write_bytes(m.file("manifest.json"), j.dump());
  expect_load_error(m.dir.str(), "manifest.json: dim 4 differs from the encoder's 8");
  j.erase("dim");
  testing::write_bytes(m.file("manifest.json"), j.dump());
  ModelParts loaded = load_model(m.dir.str());
  EXPECT_EQ(loaded.label_count(), 3u);
  EXPECT_FLOAT_EQ(loaded.label_embeddings[23], 0.5f);
  testing::write_bytes(m.file("manifest.json"), manifest);
  for (const char* part : {"labels.ngm", "encoder.ngm"}) {
    std::string bytes = testing::read_bytes(m.file(part));
    bytes[bytes.size() / 2] ^= 0x01;
    testing::write_bytes(m.file(part), bytes);
  }
  expect_load_error(m.dir.str(), "encoder.ngm: checksum differs");
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

TEST(ModelStore, SavedGraphsKeepTheirStorageAndOlderOnesAreFloats) {
  SavedModel m;
  for (GraphVectors vectors : {GraphVectors::kInt8, GraphVectors::kFloat32}) {
    ModelLoadOptions build = graphs();
    build.hnsw.vectors = vectors;
    ModelParts model = load_model(m.dir.str(), build);
    model.classifiers = model.label_embeddings;  // graphs are saved with a trained model's parts
    model.memory_labels.cols = model.label_count();
    const std::string dir = m.file(graph_vectors_name(vectors));
    nlohmann::json manifest = save_model(dir, model, model.manifest["settings"], model.manifest["data"]);
    EXPECT_EQ(manifest["files"]["labels.hnsw"]["vectors"], graph_vectors_name(vectors));
    // Loaded with the other default, the saved graph keeps what the manifest says.
    ModelLoadOptions other;
    other.hnsw.vectors = vectors == GraphVectors::kInt8 ? GraphVectors::kFloat32 : GraphVectors::kInt8;
    EXPECT_EQ(label_graph(load_model(dir, other)).vectors(), vectors);
    // A manifest from before 8-bit graphs names no storage: its graphs are floats.
    manifest["files"]["labels.hnsw"].erase("vectors");
    testing::write_bytes(dir + "/manifest.json", manifest.dump());
    if (vectors == GraphVectors::kFloat32) {
      EXPECT_EQ(label_graph(load_model(dir)).vectors(), GraphVectors::kFloat32);
    } else {
      expect_load_error(dir, "not stored as float32");
    }
    manifest["files"]["labels.hnsw"]["vectors"] = "int4";
    testing::write_bytes(dir + "/manifest.json", manifest.dump());
    expect_load_error(dir, "\"vectors\" must be");
  }
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

// The file's CRC-32 that the loader compares with the manifest is combined from the sections' own in one pass: it
// must equal the CRC of all the file's bytes, for intact and damaged files alike.
TEST(BinaryContainer, FileCrcIsTheCrcOfTheWholeFile) {
  testing::TempDir dir;
  write_container(dir.file("a.ngm"), {{"AAAA", "first payload"}, {"BBBB", std::string(100000, 'b')}, {"CCCC", ""}});
  auto crc_of_file = [&](const std::string& path) {
    return file_fingerprint(path)["crc32"].get<uint32_t>();
  };
  auto mapped = [](const std::string& path) { return std::make_shared<const MappedFile>(path); };
  const Container intact = parse_container(mapped(dir.file("a.ngm")));
  EXPECT_EQ(intact.file_crc32(), crc_of_file(dir.file("a.ngm")));
  EXPECT_NO_THROW(intact.check_sections());
  std::string bytes = testing::read_bytes(dir.file("a.ngm"));
  bytes[16 + 12 + 2] ^= 0x01;  // inside the first payload
  testing::write_bytes(dir.file("b.ngm"), bytes);
  const Container damaged = parse_container(mapped(dir.file("b.ngm")));
  EXPECT_EQ(damaged.file_crc32(), crc_of_file(dir.file("b.ngm")));
  EXPECT_NE(damaged.file_crc32(), intact.file_crc32());
  EXPECT_THROW(damaged.check_sections(), InputError);
}

// The container's own checks, below the manifest's checksum: each damage is named, with the file.
class ContainerDamage : public ::testing::Test {
 protected:
  void SetUp() override {
    write_container(dir.file("ok.ngm"), {{"AAAA", "first payload"}, {"BBBB", std::string(100, 'b')}});
    bytes = testing::read_bytes(dir.file("ok.ngm"));
    ASSERT_EQ(read_container(dir.file("ok.ngm")).size(), 2u);
  }
  // Writes the damaged bytes and expects read_container to reject them with the fragment and the file's path.
  void expect_rejected(const std::string& damaged, const std::string& fragment) {
    testing::write_bytes(dir.file("bad.ngm"), damaged);
    try {
      read_container(dir.file("bad.ngm"));
      FAIL() << "read a damaged container (expected: " << fragment << ")";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("bad.ngm"), std::string::npos) << e.what();
    }
  }
  static void put_u64(std::string& bytes, size_t at, uint64_t v) { std::memcpy(bytes.data() + at, &v, 8); }
  // Offsets: header 16 bytes, then tag (4) | length (8) | payload | crc (4) per section.
  static constexpr size_t kFirstLength = 16 + 4, kFirstPayload = 16 + 12;
  static constexpr size_t kSecondTag = kFirstPayload + 13 + 4;
  testing::TempDir dir;
  std::string bytes;
};

TEST_F(ContainerDamage, FlippedPayloadOrChecksumByteFailsTheSectionCrc) {
  std::string payload = bytes;
  payload[kFirstPayload + 3] ^= 0x20;
  expect_rejected(payload, "checksum of section 'AAAA'");
  std::string crc = bytes;
  crc[kSecondTag + 12 + 100] ^= 0x01;  // first byte of the second section's CRC
  expect_rejected(crc, "checksum of section 'BBBB'");
}

TEST_F(ContainerDamage, LengthsThatRunPastTheFileAreTruncation) {
  std::string longer = bytes;
  put_u64(longer, kFirstLength, bytes.size());
  expect_rejected(longer, "section 'AAAA' runs past the end");
  std::string huge = bytes;  // a length that would overflow an unchecked pos + length
  put_u64(huge, kFirstLength, ~uint64_t{0} - 2);
  expect_rejected(huge, "section 'AAAA' runs past the end");
  std::string shorter = bytes;  // one byte short: the "CRC" then reads payload bytes
  put_u64(shorter, kFirstLength, 12);
  expect_rejected(shorter, "checksum of section 'AAAA'");
}

TEST_F(ContainerDamage, CutFilesAndBadHeadersAreNamed) {
  expect_rejected(bytes.substr(0, kSecondTag), "no END section");
  expect_rejected(bytes.substr(0, kSecondTag + 20), "section 'BBBB' runs past the end");
  expect_rejected(bytes.substr(0, bytes.size() - 1), "section 'END ' runs past the end");
  expect_rejected(bytes.substr(0, 10), "too short");
  std::string swapped = bytes;
  std::reverse(swapped.begin() + 12, swapped.begin() + 16);  // the endianness mark
  expect_rejected(swapped, "wrong byte order");
  std::string twice = bytes;  // the second section renamed to the first's tag
  twice.replace(kSecondTag, 4, "AAAA");
  expect_rejected(twice, "section 'AAAA' appears twice");
}

// Through the model loader: a section damaged and the manifest's fingerprint updated to match, so that only the
// container's check stands between the damage and the loaded model.
TEST(ModelStore, ContainerChecksRunBehindAMatchingManifest) {
  SavedModel m;
  nlohmann::json manifest = nlohmann::json::parse(testing::read_bytes(m.file("manifest.json")));
  const std::string file = manifest["files"]["labels.ngm"]["file"];
  std::string bytes = testing::read_bytes(m.file(file));
  bytes[bytes.size() / 2] ^= 0x04;
  testing::write_bytes(m.file(file), bytes);
  nlohmann::json fingerprint = file_fingerprint(m.file(file));
  fingerprint["file"] = file;
  manifest["files"]["labels.ngm"] = fingerprint;
  testing::write_bytes(m.file("manifest.json"), manifest.dump());
  expect_load_error(m.dir.str(), "corrupted model file (checksum of section");
}

}  // namespace
}  // namespace ngame
