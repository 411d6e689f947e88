#include "core/line_reader.h"

#include <zlib.h>

#include <vector>

#include "core/error.h"
#include "test_util.h"

namespace ngame {
namespace {

using testing::TempDir;
using testing::write_bytes;

std::vector<std::string> all_lines(const std::string& path) {
  LineReader reader(path);
  std::vector<std::string> lines;
  std::string_view line;
  while (reader.next(line)) lines.emplace_back(line);
  EXPECT_EQ(reader.line_number(), lines.size());
  return lines;
}

TEST(LineReader, SplitsLinesAndStripsCarriageReturns) {
  TempDir dir;
  write_bytes(dir.file("a.txt"), "one\r\ntwo\n\nlast without newline");
  EXPECT_EQ(all_lines(dir.file("a.txt")),
            (std::vector<std::string>{"one", "two", "", "last without newline"}));
}

TEST(LineReader, LinesLongerThanTheBuffer) {
  TempDir dir;
  std::string long_line(3'000'000, 'x');
  write_bytes(dir.file("long.txt"), "a\n" + long_line + "\nb\n");
  auto lines = all_lines(dir.file("long.txt"));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1], long_line);
  EXPECT_EQ(lines[2], "b");
}

TEST(LineReader, ReadsGzipTransparently) {
  TempDir dir;
  gzFile gz = gzopen(dir.file("a.gz").c_str(), "wb");
  gzputs(gz, "alpha\nbeta\n");
  gzclose(gz);
  EXPECT_EQ(all_lines(dir.file("a.gz")), (std::vector<std::string>{"alpha", "beta"}));
  EXPECT_EQ(count_lines(dir.file("a.gz")), 2u);
}

TEST(LineReader, TruncatedGzipIsAnError) {
  TempDir dir;
  gzFile gz = gzopen(dir.file("a.gz").c_str(), "wb");
  for (int i = 0; i < 20000; ++i) gzprintf(gz, "line %d with some text %d\n", i, i * 7);
  gzclose(gz);
  std::string bytes = testing::read_bytes(dir.file("a.gz"));
  write_bytes(dir.file("cut.gz"), bytes.substr(0, bytes.size() / 2));
  EXPECT_THROW(all_lines(dir.file("cut.gz")), InputError);
}

TEST(LineReader, MissingFileNamesThePath) {
  try {
    LineReader reader("/nonexistent/file.txt");
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), "/nonexistent/file.txt");
    EXPECT_NE(std::string(e.what()).find("cannot open"), std::string::npos);
  }
}

}  // namespace
}  // namespace ngame
