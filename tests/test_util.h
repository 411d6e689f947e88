#pragma once
// Helpers shared by the tests: temporary folders, small files, the shared data folder, running the CLI.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data/text_corpus.h"

namespace ngame::testing {

/// A fresh temporary folder, removed with its contents at the end of the scope.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ngame-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  /// A path inside the folder.
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  /// The folder.
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

/// Writes bytes to path (not atomically; test input only).
inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

/// Reads a whole file.
inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// A corpus of the given texts.
inline TextCorpus make_corpus(const std::vector<std::string>& texts) {
  TextCorpus c;
  for (const auto& t : texts) c.push_back(t);
  return c;
}

/// ../shared beside the project (NGAME_SHARED_DIR overrides), or "" when absent.
inline std::string shared_dir() {
  const char* env = std::getenv("NGAME_SHARED_DIR");
  std::string dir = env ? env : NGAME_SHARED_DIR;
  return std::filesystem::is_directory(dir) ? dir : std::string();
}

/// Exit status and output of one CLI run.
struct CliResult {
  int status = -1;
  std::string out, err;
};

/// Runs the ngame binary with the given shell-quoted arguments.
inline CliResult run_ngame(const std::string& args) {
  TempDir tmp;
  const std::string out = tmp.file("stdout"), err = tmp.file("stderr");
  const std::string cmd = std::string(NGAME_BINARY) + " " + args + " >" + out + " 2>" + err + " </dev/null";
  int raw = std::system(cmd.c_str());
  CliResult r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  r.out = read_bytes(out);
  r.err = read_bytes(err);
  return r;
}

}  // namespace ngame::testing
