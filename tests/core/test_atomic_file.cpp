#include "core/atomic_file.h"

#include <filesystem>

#include "test_util.h"

namespace ngame {
namespace {

using testing::TempDir;

TEST(AtomicFileWriter, CommitReplacesTheTarget) {
  TempDir dir;
  testing::write_bytes(dir.file("f"), "old");
  {
    AtomicFileWriter w(dir.file("f"));
    w.write("new ");
    w.write(std::string(3 << 20, 'z'));  // larger than the internal buffer
    EXPECT_EQ(testing::read_bytes(dir.file("f")), "old");  // untouched until commit
    w.commit();
  }
  std::string bytes = testing::read_bytes(dir.file("f"));
  EXPECT_EQ(bytes.size(), 4u + (3u << 20));
  EXPECT_EQ(bytes.substr(0, 4), "new ");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.str()), {}), 1);  // no temp file left
}

TEST(AtomicFileWriter, WithoutCommitNothingChanges) {
  TempDir dir;
  testing::write_bytes(dir.file("f"), "old");
  {
    AtomicFileWriter w(dir.file("f"));
    w.write("partial");
  }
  EXPECT_EQ(testing::read_bytes(dir.file("f")), "old");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.str()), {}), 1);
}

}  // namespace
}  // namespace ngame
