#include "text/word_vectors.h"

#include "core/error.h"
#include "test_util.h"

namespace ngame {
namespace {

TEST(WordVectors, ImportsWinkJsonAndRoundTrips) {
  testing::TempDir dir;
  // The wink layout: each vector holds D values, then its norm and its index (both dropped on import).
  testing::write_bytes(dir.file("v.json"),
                       R"({"precision":3,"words":["cat","dog"],"vectors":{"cat":[1,2,3,3.742,0],)"
                       R"("dog":[0.5,-1,2e-1,1.13,1]},"unkVector":[0,0,0,0,-1],"size":2,"dimensions":3})");
  WordVectors v = WordVectors::import_wink_json(dir.file("v.json"));
  ASSERT_EQ(v.size(), 2u);
  ASSERT_EQ(v.dim(), 3u);
  EXPECT_FLOAT_EQ(v.find("dog")[2], 0.2f);
  EXPECT_EQ(v.find("bird"), nullptr);
  v.save(dir.file("v.bin"));
  WordVectors w = WordVectors::load(dir.file("v.bin"));
  ASSERT_EQ(w.size(), 2u);
  EXPECT_FLOAT_EQ(w.find("cat")[1], 2.0f);
  std::string bytes = testing::read_bytes(dir.file("v.bin"));
  bytes[bytes.size() / 2] ^= 0x40;
  testing::write_bytes(dir.file("bad.bin"), bytes);
  EXPECT_THROW(WordVectors::load(dir.file("bad.bin")), InputError);
}

TEST(WordVectors, RejectsNonWinkFiles) {
  testing::TempDir dir;
  testing::write_bytes(dir.file("a.json"), R"({"other": 1})");
  EXPECT_THROW(WordVectors::import_wink_json(dir.file("a.json")), InputError);
  testing::write_bytes(dir.file("b.json"), R"({"vectors": {"x": [1, 2)");
  EXPECT_THROW(WordVectors::import_wink_json(dir.file("b.json")), InputError);
}

}  // namespace
}  // namespace ngame
