// Adding labels to a saved model: the label log's durability rules (a failed write is rolled back, acknowledged
// records survive any later failure) and compaction into a new generation.
#include "model/label_log.h"

#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <memory>

#include "core/error.h"
#include "encoder/bow_encoder.h"
#include "model/label_addition.h"
#include "model/label_log_io.h"
#include "ngame/ngame.h"
#include "label_log_faults.h"
#include "test_util.h"

namespace ngame {
namespace {

namespace fs = std::filesystem;

// A saved M1 model of three labels over a small vocabulary.
struct LabelModel {
  testing::TempDir dir;
  LabelModel() {
    TextCorpus labels;
    for (const char* t : {"red shoes", "blue hat", "green scarf"}) labels.push_back(t);
    TextCorpus more;
    for (const char* t : {"wool socks", "silk tie", "red hat", "blue socks"}) more.push_back(t);
    Featurizer f({.min_count = 1, .bigram_buckets = 4});
    f.fit({&labels, &more});
    BowEncoder encoder(std::move(f), {.dim = 8, .hidden = 4}, 1);
    std::vector<float> emb(3 * 8);
    encoder.embed_all(*encoder.prepare(labels), emb.data());
    save_model(dir.str(), encoder, labels, emb, {{"epochs", 1}}, {{"labels", 3}});
  }
  std::string wal() const { return dir.file("labels.wal"); }
};

TextCorpus corpus(std::initializer_list<const char*> texts) {
  TextCorpus c;
  for (const char* t : texts) c.push_back(t);
  return c;
}

TEST(LabelLog, AppendReopenAndReplay) {
  LabelModel m;
  {
    LabelLog log(m.dir.str());
    EXPECT_TRUE(log.records().empty());
    log.append(3, corpus({"wool socks", "silk tie"}));
  }
  LabelLog log(m.dir.str());
  ASSERT_EQ(log.records().size(), 2u);
  EXPECT_EQ(log.records()[1].id, 4u);
  EXPECT_EQ(log.records()[1].text, "silk tie");
  ModelParts model = load_model(m.dir.str());
  EXPECT_EQ(replay_label_log(model, log), 2u);
  ASSERT_EQ(model.label_count(), 5u);
  EXPECT_EQ(model.label_texts[4], "silk tie");
  EXPECT_EQ(model.label_index->size(), 5u);
  // The added label's embedding is its text's, so its own text finds it first.
  const std::vector<float> q = embed_new_labels(model, corpus({"silk tie"}));
  Neighbors nn = model.label_index->search(q.data(), 1, 1);
  EXPECT_EQ(nn.ids[0], 4u);
}

TEST(LabelLog, ALogThatIsNoRegularFileIsRefused) {
  LabelModel m;
  fs::create_symlink("/dev/zero", m.wal());  // read for ever, were it read
  try {
    LabelLog log(m.dir.str());
    FAIL() << "a device was taken for the label log";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("labels.wal"), std::string::npos) << e.what();
  }
}

TEST(LabelLog, TornTailIsCutAndEarlierRecordsKept) {
  LabelModel m;
  {
    LabelLog log(m.dir.str());
    log.append(3, corpus({"wool socks"}));
    log.append(4, corpus({"silk tie"}));
  }
  const std::string bytes = testing::read_bytes(m.wal());
  testing::write_bytes(m.wal(), bytes.substr(0, bytes.size() - 5));  // a crash in the middle of the second write
  LabelLog log(m.dir.str());
  ASSERT_EQ(log.records().size(), 1u);
  EXPECT_EQ(log.records()[0].text, "wool socks");
  EXPECT_EQ(log.truncated_bytes(), bytes.size() - 5 - fs::file_size(m.wal()));
  EXPECT_GT(log.truncated_bytes(), 0u);
}

TEST(LabelLog, CorruptRecordBeforeOthersIsAnError) {
  LabelModel m;
  {
    LabelLog log(m.dir.str());
    log.append(3, corpus({"wool socks", "silk tie"}));
  }
  std::string bytes = testing::read_bytes(m.wal());
  bytes[8 + 16] ^= 0x20;  // first record's text
  testing::write_bytes(m.wal(), bytes);
  try {
    LabelLog log(m.dir.str());
    FAIL() << "opened a corrupt log";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("corrupt record at byte 8"), std::string::npos) << e.what();
  }
}

TEST(LabelLog, OneWriterAtATime) {
  LabelModel m;
  LabelLog log(m.dir.str());
  EXPECT_THROW(LabelLog second(m.dir.str()), InputError);
}

TEST(LabelLog, IdsThatDoNotContinueTheModelAreAnError) {
  LabelModel m;
  {
    LabelLog log(m.dir.str());
    log.append(7, corpus({"wool socks"}));
  }
  ModelParts model = load_model(m.dir.str());
  LabelLog log(m.dir.str());
  EXPECT_THROW(replay_label_log(model, log), InputError);
}

TEST(LabelLog, CompactionWritesANewGenerationAndEmptiesTheLog) {
  LabelModel m;
  ModelParts model = load_model(m.dir.str());
  std::string old_log;
  {
    LabelLog log(m.dir.str());
    log.append(3, corpus({"wool socks"}));
    old_log = testing::read_bytes(m.wal());
    add_labels(model, corpus({"wool socks"}));
    compact_label_log(m.dir.str(), model, log);
    EXPECT_TRUE(log.records().empty());
  }
  EXPECT_TRUE(fs::exists(m.dir.file("labels.g1.ngm")));
  EXPECT_FALSE(fs::exists(m.dir.file("labels.ngm")));  // the old generation is gone once the manifest switched
  EXPECT_TRUE(fs::exists(m.dir.file("encoder.ngm")));   // kept, not rewritten
  ModelParts reloaded = load_model(m.dir.str());
  ASSERT_EQ(reloaded.label_count(), 4u);
  EXPECT_EQ(reloaded.label_texts[3], "wool socks");
  EXPECT_EQ(reloaded.label_embeddings, model.label_embeddings);
  // A crash after the manifest switched but before the log was emptied: replay skips what is compacted.
  testing::write_bytes(m.wal(), old_log);
  LabelLog log(m.dir.str());
  EXPECT_EQ(replay_label_log(reloaded, log), 0u);
  EXPECT_EQ(reloaded.label_count(), 4u);
}

TEST(LabelLog, CrashBeforeTheManifestSwitchLeavesTheOldModel) {
  LabelModel m;
  ModelParts model = load_model(m.dir.str());
  add_labels(model, corpus({"wool socks"}));
  // A compaction that died after writing its parts: new-generation files exist, the manifest is the old one.
  const std::string manifest = testing::read_bytes(m.dir.file("manifest.json"));
  const std::string labels = testing::read_bytes(m.dir.file("labels.ngm"));
  save_model_keeping_encoder(m.dir.str(), model);
  const std::string new_labels = testing::read_bytes(m.dir.file("labels.g1.ngm"));
  testing::write_bytes(m.dir.file("manifest.json"), manifest);
  testing::write_bytes(m.dir.file("labels.ngm"), labels);
  ModelParts old = load_model(m.dir.str());
  EXPECT_EQ(old.label_count(), 3u);
  EXPECT_NE(new_labels, labels);
}

// Runs f, which must fail with a StorageError whose no_space() is as given.
template <class F>
void expect_storage_error(F f, bool no_space) {
  try {
    f();
    ADD_FAILURE() << "no error";
  } catch (const StorageError& e) {
    EXPECT_EQ(e.no_space(), no_space) << e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a StorageError: " << e.what();
  }
}

using Records = std::vector<std::pair<uint64_t, std::string>>;

Records ids_and_texts(const std::vector<LoggedLabel>& records) {
  std::vector<std::pair<uint64_t, std::string>> out;
  for (const LoggedLabel& r : records) out.emplace_back(r.id, r.text);
  return out;
}

TEST(LabelLog, AHalfWrittenRecordIsRolledBackBeforeTheErrorIsReported) {
  LabelModel m;
  {
    LabelLog log(m.dir.str());
    log.append(3, corpus({"wool socks"}));  // acknowledged
    const auto good = fs::file_size(m.wal());
    {
      ScopedLabelLogIo full(testing::half_then_disk_full());
      expect_storage_error([&] { log.append(4, corpus({"silk tie"})); }, true);
    }
    EXPECT_EQ(fs::file_size(m.wal()), good);  // cut back to the last good record before the error came
    log.append(4, corpus({"red hat"}));      // space again: the next record follows the last good one
  }
  // Reopened as after a kill -9: nothing torn, the acknowledged records as they were written.
  LabelLog log(m.dir.str());
  EXPECT_EQ(log.truncated_bytes(), 0u);
  EXPECT_EQ(ids_and_texts(log.records()), (Records{{3, "wool socks"}, {4, "red hat"}}));
}

TEST(LabelLog, AcknowledgedRecordsSurviveALaterFailedSync) {
  LabelModel m;
  {
    LabelLog log(m.dir.str());
    log.append(3, corpus({"wool socks", "silk tie"}));
    // The whole record is written but fsync fails (an I/O error): it was never durable, so it goes.
    LabelLogIo io;
    io.fsync = [](int) {
      errno = EIO;
      return -1;
    };
    ScopedLabelLogIo failing(io);
    expect_storage_error([&] { log.append(5, corpus({"red hat"})); }, false);
  }
  LabelLog log(m.dir.str());
  EXPECT_EQ(log.truncated_bytes(), 0u);
  EXPECT_EQ(ids_and_texts(log.records()), (Records{{3, "wool socks"}, {4, "silk tie"}}));
}

TEST(LabelLog, AppendsAreRefusedUntilAFailedOneIsRolledBack) {
  LabelModel m;
  {
    LabelLog log(m.dir.str());
    log.append(3, corpus({"wool socks"}));
    {
      // The disk fills half-way through a record and the truncation that would undo it fails too.
      LabelLogIo io = testing::half_then_disk_full();
      io.ftruncate = [](int, off_t) {
        errno = EIO;
        return -1;
      };
      ScopedLabelLogIo failing(io);
      expect_storage_error([&] { log.append(4, corpus({"silk tie"})); }, true);
      // While the torn bytes cannot be cut, nothing is written after them.
      const auto torn = fs::file_size(m.wal());
      expect_storage_error([&] { log.append(4, corpus({"red hat"})); }, false);
      EXPECT_EQ(fs::file_size(m.wal()), torn);
      // A kill -9 now loses nothing acknowledged: readers (and the next open) ignore the torn tail.
      EXPECT_EQ(ids_and_texts(read_label_log(m.dir.str())), (Records{{3, "wool socks"}}));
    }
    log.append(4, corpus({"red hat"}));  // the truncation works again: it goes first, then the record
  }
  LabelLog log(m.dir.str());
  EXPECT_EQ(log.truncated_bytes(), 0u);
  EXPECT_EQ(ids_and_texts(log.records()), (Records{{3, "wool socks"}, {4, "red hat"}}));
}

TEST(LabelLog, AFailedAdditionTakesNoIdAndTheNextOneSurvivesAReopen) {
  LabelModel m;
  {
    OpenOptions writable;
    writable.writable = true;
    Model model = Model::open(m.dir.str(), writable);
    EXPECT_EQ(model.add_labels(corpus({"wool socks"})).first_id, 3u);
    {
      ScopedLabelLogIo full(testing::half_then_disk_full());
      expect_storage_error([&] { model.add_labels(corpus({"silk tie"})); }, true);
    }
    EXPECT_EQ(model.label_count(), 4u);
    EXPECT_EQ(model.add_labels(corpus({"red hat"})).first_id, 4u);  // the failed addition never had an id
  }  // no compaction: the reopen replays the log
  Model model = Model::open(m.dir.str());
  ASSERT_EQ(model.label_count(), 5u);
  EXPECT_EQ(model.label_text(3), "wool socks");
  EXPECT_EQ(model.label_text(4), "red hat");
}

TEST(LabelAddition, ATextWithoutAVocabularyWordEmbedsAsTheZeroVector) {
  LabelModel m;
  const ModelParts model = load_model(m.dir.str());
  // "purple" and "cape" are no word of the vocabulary; "silk" is.
  const std::vector<float> emb = embed_new_labels(model, corpus({"purple cape", "silk cape"}));
  ASSERT_EQ(emb.size(), 2u * 8);
  for (size_t j = 0; j < 8; ++j) EXPECT_EQ(emb[j], 0.0f) << j;
  double norm = 0;
  for (size_t j = 8; j < 16; ++j) norm += double(emb[j]) * emb[j];
  EXPECT_NEAR(norm, 1.0, 1e-5);  // a text with a known word: its unit embedding
  // A featurizer with character n-grams has features for the pieces of any word: the label keeps its embedding.
  Featurizer f({.min_count = 1, .bigram_buckets = 4, .char_ngram_buckets = 64});
  TextCorpus words = corpus({"red shoes", "blue hat"});
  f.fit({&words});
  auto encoder = std::make_unique<BowEncoder>(std::move(f), BowEncoderConfig{.dim = 8, .hidden = 4}, 1);
  std::vector<float>& table = encoder->embeddings();  // hashed rows start at 0; training would have moved them
  for (size_t i = 0; i < table.size(); ++i) table[i] += 0.01f * static_cast<float>(i % 7 + 1);
  ModelParts with_ngrams;
  with_ngrams.encoder = std::move(encoder);
  const std::vector<float> pieces = embed_new_labels(with_ngrams, corpus({"purple cape"}));
  double pieces_norm = 0;
  for (float v : pieces) pieces_norm += double(v) * v;
  EXPECT_NEAR(pieces_norm, 1.0, 1e-5);
}

TEST(LabelAddition, RejectsBadTexts) {
  TextCorpus bad;
  bad.push_back("fine");
  bad.push_back("bad \xff byte");
  try {
    validate_label_texts(bad, "new.txt");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.line(), 2u);
  }
  TextCorpus empty;
  empty.push_back("");
  EXPECT_THROW(validate_label_texts(empty, "new.txt"), InputError);
}

}  // namespace
}  // namespace ngame
