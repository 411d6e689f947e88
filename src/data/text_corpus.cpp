#include "data/text_corpus.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/line_reader.h"
#include "data/utf8.h"

namespace ngame {

void TextCorpus::push_back(std::string_view text) {
  bytes_.append(text);
  offsets_.push_back(bytes_.size());
}

TextCorpus read_text_file(const std::string& path, const TextReadOptions& options) {
  LineReader reader(path);
  TextCorpus corpus;
  std::string converted;
  std::string_view line;
  while (reader.next(line)) {
    if (options.latin1) {
      converted.clear();
      append_latin1_as_utf8(line, converted);
      line = converted;
    } else if (size_t bad = find_invalid_utf8(line); bad != std::string_view::npos) {
      throw InputError(path, reader.line_number(),
                       "invalid UTF-8 at byte " + std::to_string(bad + 1) + " (read Latin-1 files as Latin-1)");
    }
    if (line.empty() && !options.allow_empty) throw InputError(path, reader.line_number(), "empty text");
    corpus.push_back(line);
  }
  return corpus;
}

namespace {
template <typename Texts>
void write_texts(const std::string& path, const Texts& texts) {
  AtomicFileWriter out(path);
  for (size_t i = 0; i < texts.size(); ++i) {
    std::string_view text = texts[i];
    NGAME_CHECK(text.find_first_of("\n\r") == std::string_view::npos,
                "text " + std::to_string(i) + " for " + path + " contains a line break");
    out.write(text);
    out.write("\n");
  }
  out.commit();
}
}  // namespace

void write_text_file(const std::string& path, const TextCorpus& texts) { write_texts(path, texts); }
void write_text_file(const std::string& path, const std::vector<std::string>& texts) { write_texts(path, texts); }

}  // namespace ngame
