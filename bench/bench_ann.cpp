// Exact (BLAS) vs HNSW search: build time, queries per second and recall@10 at several label counts, on clustered
// unit vectors, to place the exact/HNSW switch (kExactSearchMaxVectors).
// Usage: bench_ann [--threads N] [--dim D] [--queries Q]
#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include "core/dense_math.h"
#include "core/runtime.h"
#include "index/ann_index.h"

namespace {
std::vector<float> clustered(size_t n, uint32_t d, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  const size_t centers_n = std::max<size_t>(10, n / 100);
  std::vector<float> centers(centers_n * d);
  for (float& v : centers) v = dist(rng);
  std::vector<float> x(n * d);
  for (size_t i = 0; i < n; ++i) {
    const size_t c = rng() % centers_n;
    for (uint32_t j = 0; j < d; ++j) x[i * d + j] = centers[c * d + j] + 0.6f * dist(rng);
  }
  ngame::normalize_rows(x.data(), n, d);
  return x;
}
double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

int main(int argc, char** argv) {
  using namespace ngame;
  int threads = 0;
  uint32_t dim = 256, nq = 2000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--threads") threads = std::stoi(argv[i + 1]);
    if (a == "--dim") dim = static_cast<uint32_t>(std::stoul(argv[i + 1]));
    if (a == "--queries") nq = static_cast<uint32_t>(std::stoul(argv[i + 1]));
  }
  set_thread_count(threads);
  const std::vector<float> queries = clustered(nq, dim, 99);
  for (size_t n : {2000u, 10000u, 20000u, 50000u, 100000u}) {
    const std::vector<float> data = clustered(n, dim, 7);
    ExactIndex exact(dim);
    exact.add(data.data(), n);
    auto t = std::chrono::steady_clock::now();
    Neighbors e = exact.search(queries.data(), nq, 10);
    const double exact_s = since(t);
    t = std::chrono::steady_clock::now();
    HnswIndex hnsw(dim, HnswConfig{});
    hnsw.add(data.data(), n);
    const double build_s = since(t);
    t = std::chrono::steady_clock::now();
    Neighbors a = hnsw.search(queries.data(), nq, 10);
    const double hnsw_s = since(t);
    size_t hits = 0;
    for (size_t q = 0; q < nq; ++q) {
      for (size_t r = 0; r < 10; ++r) {
        for (size_t s = 0; s < 10; ++s) hits += a.ids[q * 10 + s] == e.ids[q * 10 + r];
      }
    }
    std::printf("{\"bench\":\"ann\",\"vectors\":%zu,\"dim\":%u,\"threads\":%d,\"exact_qps\":%.0f,\"hnsw_qps\":%.0f,"
                "\"hnsw_build_s\":%.2f,\"recall@10\":%.4f}\n",
                n, dim, thread_count(), nq / exact_s, nq / hnsw_s, build_s, hits / (10.0 * nq));
  }
  return 0;
}
