#pragma once
// Helpers shared by the tests: temporary folders, small files, the shared data folder, running the CLI.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/dense_math.h"
#include "data/sparse_matrix.h"
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

/// n unit vectors of d values around 50 random centres: the realistic case for label embeddings.
inline std::vector<float> clustered_unit_vectors(size_t n, uint32_t d, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> centers(50 * d);
  for (float& v : centers) v = dist(rng);
  std::vector<float> x(n * d);
  for (size_t i = 0; i < n; ++i) {
    const size_t c = rng() % 50;
    for (uint32_t j = 0; j < d; ++j) x[i * d + j] = centers[c * d + j] + 0.6f * dist(rng);
  }
  normalize_rows(x.data(), n, d);
  return x;
}

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

/// A matrix of `cols` columns with the given rows, every value 1.
inline SparseMatrix binary_matrix(size_t cols, const std::vector<std::vector<uint32_t>>& rows) {
  SparseMatrix m;
  m.cols = cols;
  for (const auto& r : rows) m.append_row(r, std::vector<float>(r.size(), 1.0f));
  return m;
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

/// A generated dataset of six topic labels (Y.txt, trn_*, tst_*): labels are topics; a document mentions its topic's words plus noise, so the task is learnable.
inline void write_topic_dataset(const TempDir& dir) {
  const std::vector<std::vector<std::string>> topics = {
      {"engine", "wheel", "brake"}, {"violin", "cello", "bow"},   {"pasta", "sauce", "basil"},
      {"goal", "keeper", "pitch"},  {"orbit", "rocket", "comet"}, {"river", "delta", "bank"}};
  const std::vector<std::string> noise = {"the", "a", "big", "small", "new", "old", "good", "red"};
  std::mt19937 rng(1);
  std::string y_txt;
  for (const auto& t : topics) y_txt += t[0] + " " + t[1] + " " + t[2] + "\n";
  write_bytes(dir.file("Y.txt"), y_txt);
  for (const char* split : {"trn", "tst"}) {
    const int rows = std::string(split) == "trn" ? 240 : 60;
    std::string x, xy = std::to_string(rows) + " 6\n";
    for (int i = 0; i < rows; ++i) {
      const size_t topic = rng() % topics.size();
      x += noise[rng() % noise.size()] + " " + topics[topic][rng() % 3] + " " + noise[rng() % noise.size()] + " " +
           topics[topic][rng() % 3] + "\n";
      xy += std::to_string(topic) + ":1\n";
    }
    write_bytes(dir.file(std::string(split) + "_X.txt"), x);
    write_bytes(dir.file(std::string(split) + "_X_Y.txt"), xy);
  }
}

inline const char* kSmallModel = " --epochs 6 --dim 16 --hidden 16 --batch-size 32 --min-count 1 --curriculum 3,4"
                          " --embedding-lr 0.02 --quiet --threads 1";

}  // namespace ngame::testing
