// Fuzz target: the label log (labels.wal), read as `ngame predict` reads it and opened for writing as the server
// opens it (a torn tail cut, a bad record refused). Bad bytes must give an InputError, nothing else, and leave no
// file open.
#include <filesystem>

#include "core/error.h"
#include "fuzz_input.h"
#include "model/label_log.h"

namespace {
size_t open_files() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const size_t files_before = open_files();
  const std::string dir = ngame::fuzz::scratch_dir();
  const std::string path = ngame::fuzz::write_input("labels.wal", data, size);
  size_t read = 0;
  bool readable = true;
  try {
    read = ngame::read_label_log(dir).size();
  } catch (const ngame::InputError&) {
    readable = false;
  }
  try {
    ngame::LabelLog log(dir);
    // Opening keeps every complete record the reader saw (it only cuts a torn tail).
    if (readable && log.records().size() != read) __builtin_trap();
  } catch (const ngame::InputError&) {
  }
  std::filesystem::remove(path);
  // A refused log must not keep its file open (nor its lock: a second open in the same process would then be
  // refused as "in use").
  if (open_files() != files_before) __builtin_trap();
  return 0;
}
