// Fuzz target: the text reader (trn_X.txt, Y.txt), in UTF-8 and Latin-1 modes, with gzip detection.
#include "core/error.h"
#include "data/text_corpus.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = ngame::fuzz::write_input("texts.txt", data, size);
  for (bool latin1 : {false, true}) {
    try {
      ngame::TextReadOptions options;
      options.latin1 = latin1;
      const ngame::TextCorpus texts = ngame::read_text_file(path, options);
      for (size_t i = 0; i < texts.size(); ++i) {
        if (texts[i].empty()) __builtin_trap();  // empty lines are refused
      }
    } catch (const ngame::InputError&) {
    }
  }
  return 0;
}
