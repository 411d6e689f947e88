#include "data/text_corpus.h"

#include "core/error.h"
#include "data/utf8.h"
#include "test_util.h"

namespace ngame {
namespace {

using testing::TempDir;
using testing::write_bytes;

TEST(Utf8, AcceptsValidAndRejectsMalformedSequences) {
  EXPECT_EQ(find_invalid_utf8("plain ascii"), std::string_view::npos);
  EXPECT_EQ(find_invalid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), std::string_view::npos);
  EXPECT_EQ(find_invalid_utf8("ab\xff"), 2u);               // invalid lead byte
  EXPECT_EQ(find_invalid_utf8("a\xc3"), 1u);                // truncated sequence
  EXPECT_EQ(find_invalid_utf8("\xc0\xaf"), 0u);             // overlong '/'
  EXPECT_EQ(find_invalid_utf8("x\xed\xa0\x80"), 1u);        // UTF-16 surrogate
}

TEST(Utf8, Latin1Conversion) {
  std::string out;
  append_latin1_as_utf8("caf\xe9", out);
  EXPECT_EQ(out, "caf\xc3\xa9");
}

TEST(TextCorpus, RoundTrip) {
  TempDir dir;
  std::vector<std::string> texts = {"first text", "caf\xc3\xa9", "third, with: punctuation"};
  write_text_file(dir.file("t.txt"), texts);
  TextCorpus corpus = read_text_file(dir.file("t.txt"));
  ASSERT_EQ(corpus.size(), 3u);
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(corpus[i], texts[i]);
  write_text_file(dir.file("u.txt"), corpus);
  EXPECT_EQ(testing::read_bytes(dir.file("u.txt")), testing::read_bytes(dir.file("t.txt")));
}

TEST(TextCorpus, InvalidUtf8NamesTheLine) {
  TempDir dir;
  write_bytes(dir.file("t.txt"), "ok\nalso ok\nbad \xff byte\n");
  try {
    read_text_file(dir.file("t.txt"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.line(), 3u);
    EXPECT_NE(e.problem().find("invalid UTF-8"), std::string::npos);
  }
}

TEST(TextCorpus, Latin1SwitchConverts) {
  TempDir dir;
  write_bytes(dir.file("t.txt"), "caf\xe9\n");
  TextCorpus corpus = read_text_file(dir.file("t.txt"), {.latin1 = true});
  EXPECT_EQ(corpus[0], "caf\xc3\xa9");
}

TEST(TextCorpus, EmptyTextIsAnErrorUnlessAllowed) {
  TempDir dir;
  write_bytes(dir.file("t.txt"), "a\n\nb\n");
  try {
    read_text_file(dir.file("t.txt"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.line(), 2u);
    EXPECT_EQ(e.problem(), "empty text");
  }
  EXPECT_EQ(read_text_file(dir.file("t.txt"), {.allow_empty = true}).size(), 3u);
}

TEST(TextCorpus, WriterRejectsLineBreaks) {
  TempDir dir;
  EXPECT_THROW(write_text_file(dir.file("t.txt"), std::vector<std::string>{"two\nlines"}), UsageError);
}

}  // namespace
}  // namespace ngame
