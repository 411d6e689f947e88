// Fuzz target: the model container reader (.ngm files) and, behind it, the payload reader of a featurizer section
// (the largest typed payload of a model). Bad bytes must give an InputError naming the file, nothing else.
#include "core/binary_io.h"
#include "core/error.h"
#include "fuzz_input.h"
#include "text/featurizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = ngame::fuzz::write_input("model.ngm", data, size);
  try {
    const auto container = ngame::read_container(path);
    // Any section, read as a featurizer: exercises every PayloadReader bound on bytes that passed the CRC.
    for (const auto& [tag, payload] : container.sections()) {
      try {
        ngame::Featurizer::load(payload, path + ":" + tag);
      } catch (const ngame::InputError&) {
      }
    }
  } catch (const ngame::InputError&) {
  }
  return 0;
}
