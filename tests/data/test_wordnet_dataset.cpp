#include "data/wordnet_dataset.h"

#include <filesystem>

#include "core/error.h"
#include "data/md5.h"
#include "test_util.h"

namespace ngame {
namespace {

TEST(Md5, KnownVectors) {
  EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(md5_hex("The quick brown fox jumps over the lazy dog"), "9e107d9d372bb6826bd81d3542a419d6");
  EXPECT_EQ(md5_hex(std::string(200, 'a')).size(), 32u);  // multi-block input
  // 0x900150983cd24fb0d6963f7d28e17f72 mod 5, computed by hand from the digest bytes.
  uint64_t r = 0;
  for (char c : md5_hex("abc")) r = (r * 16 + static_cast<uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10)) % 5;
  EXPECT_EQ(md5_mod("abc", 5), r);
}

TEST(WordnetDataset, MissingWordnetIsAnInputError) {
  testing::TempDir out;
  WordnetDatasetConfig config;
  config.wordnet_dir = "/nonexistent";
  config.output_dir = out.str();
  EXPECT_THROW(build_wordnet_dataset(config), InputError);
}

TEST(WordnetDataset, ReproducesTheSharedFolderByteForByte) {
  const std::string shared = testing::shared_dir();
  if (shared.empty()) GTEST_SKIP() << "../shared not present";
  if (!std::filesystem::exists("/usr/share/wordnet/data.noun")) GTEST_SKIP() << "wordnet-base not installed";
  testing::TempDir out;
  WordnetDatasetConfig config;
  config.output_dir = out.str();
  WordnetDatasetSummary s = build_wordnet_dataset(config);
  EXPECT_EQ(s.train_rows, 65508u);
  EXPECT_EQ(s.test_rows, 16606u);
  EXPECT_EQ(s.labels, 17157u);
  const std::string expected = shared + "/data/wordnet-hypernym-d2";
  int compared = 0;
  for (const auto& entry : std::filesystem::directory_iterator(expected)) {
    const std::string name = entry.path().filename().string();
    EXPECT_TRUE(testing::read_bytes(out.file(name)) == testing::read_bytes(entry.path().string())) << name;
    ++compared;
  }
  EXPECT_EQ(compared, 10);
}

}  // namespace
}  // namespace ngame
