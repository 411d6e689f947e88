// Data-layer benchmark: load time of a real dataset folder, and streaming a generated 1M-row label file
// (time and peak-RSS growth against the bytes of the resulting matrix).
// Usage: bench_data_io [DATASET_DIR] [--rows N]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "core/atomic_file.h"
#include "data/dataset.h"
#include "data/sparse_matrix.h"
#include "eval/metrics.h"
#include "eval/propensity.h"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

long peak_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ngame;
  std::string dataset_dir = "../shared/data/wordnet-hypernym-d2";
  uint64_t rows = 1'000'000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--rows" && i + 1 < argc) {
      rows = std::stoull(argv[++i]);
    } else {
      dataset_dir = a;
    }
  }

  if (std::filesystem::is_directory(dataset_dir)) {
    auto t0 = std::chrono::steady_clock::now();
    Dataset data = load_dataset(dataset_dir);
    double load_s = seconds_since(t0);
    std::printf("{\"bench\":\"load_dataset\",\"dir\":\"%s\",\"train_rows\":%llu,\"labels\":%llu,\"seconds\":%.4f}\n",
                dataset_dir.c_str(), static_cast<unsigned long long>(data.train.labels.rows),
                static_cast<unsigned long long>(data.label_count()), load_s);
    if (data.test) {
      t0 = std::chrono::steady_clock::now();
      std::vector<double> inv = inverse_propensity(data.train.labels);
      MetricsReport r = compute_metrics(data.test->labels, data.test->labels, inv, 5);
      std::printf("{\"bench\":\"metrics_truth_vs_truth\",\"rows\":%llu,\"seconds\":%.4f,\"P@1\":%.2f}\n",
                  static_cast<unsigned long long>(r.rows), seconds_since(t0), 100 * r.precision[0]);
    }
  }

  // A generated label file: `rows` rows, 5 labels each among 1M columns, ids ascending.
  const std::string path = (std::filesystem::temp_directory_path() / "ngame-bench-labels.txt").string();
  {
    // Streamed straight to disk so that generating it does not raise the peak RSS measured below.
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<uint32_t> pick(0, 999'999);
    AtomicFileWriter out(path);
    out.write(std::to_string(rows) + " 1000000\n");
    std::vector<uint32_t> ids;
    std::string line;
    for (uint64_t r = 0; r < rows; ++r) {
      ids.clear();
      while (ids.size() < 5) {
        uint32_t id = pick(rng);
        if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
      }
      std::sort(ids.begin(), ids.end());
      line.clear();
      for (size_t j = 0; j < ids.size(); ++j) {
        if (j) line.push_back(' ');
        line.append(std::to_string(ids[j])).append(":1");
      }
      line += "\n";
      out.write(line);
    }
    out.commit();
  }
  const long rss_before = peak_rss_kib();
  auto t0 = std::chrono::steady_clock::now();
  SparseMatrix m = read_sparse_matrix(path);
  const double read_s = seconds_since(t0);
  const long rss_after = peak_rss_kib();
  const double matrix_mib =
      static_cast<double>(m.indptr.size() * 8 + m.indices.size() * 4 + m.values.size() * 4) / (1 << 20);
  std::printf(
      "{\"bench\":\"read_sparse_matrix\",\"rows\":%llu,\"nnz\":%llu,\"file_mib\":%.1f,\"seconds\":%.3f,"
      "\"rows_per_s\":%.0f,\"matrix_mib\":%.1f,\"peak_rss_growth_mib\":%.1f}\n",
      static_cast<unsigned long long>(m.rows), static_cast<unsigned long long>(m.nnz()),
      static_cast<double>(std::filesystem::file_size(path)) / (1 << 20), read_s, static_cast<double>(m.rows) / read_s,
      matrix_mib, static_cast<double>(rss_after - rss_before) / 1024.0);
  std::filesystem::remove(path);
  return 0;
}
