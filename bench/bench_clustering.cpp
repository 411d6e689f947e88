// Balanced 2-means benchmark on real embeddings (an `ngame embed` output): seconds per clustering at several
// cluster sizes, iterations, and the balance of the result.
// Usage: bench_clustering EMB.bin [--threads N]
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "batching/balanced_kmeans.h"
#include "core/binary_io.h"
#include "core/dense_math.h"
#include "core/runtime.h"

int main(int argc, char** argv) {
  using namespace ngame;
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_clustering EMB.bin [--threads N]\n");
    return 2;
  }
  int threads = 0;
  for (int i = 2; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--threads") threads = std::stoi(argv[i + 1]);
  }
  set_thread_count(threads);
  auto sections = read_container(argv[1]);
  PayloadReader r(sections.at("EMBD"), argv[1]);
  const uint64_t n = r.u64(), d = r.u64();
  std::vector<float> x(n * d);
  std::memcpy(x.data(), sections.at("EMBD").data() + 16, x.size() * sizeof(float));
  normalize_rows(x.data(), n, d);
  for (uint32_t size : {2u, 8u, 32u, 128u}) {
    const uint32_t count = cluster_count_for_size(static_cast<uint32_t>(n), size);
    auto t0 = std::chrono::steady_clock::now();
    auto clusters = balanced_kmeans(x.data(), static_cast<uint32_t>(n), static_cast<uint32_t>(d), count, 42);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    size_t lo = n, hi = 0;
    for (const auto& c : clusters) {
      lo = std::min(lo, c.size());
      hi = std::max(hi, c.size());
    }
    std::printf("{\"bench\":\"balanced_kmeans\",\"points\":%llu,\"dim\":%llu,\"threads\":%d,\"target_size\":%u,"
                "\"clusters\":%u,\"min_size\":%zu,\"max_size\":%zu,\"seconds\":%.3f}\n",
                static_cast<unsigned long long>(n), static_cast<unsigned long long>(d), thread_count(), size, count,
                lo, hi, s);
  }
  return 0;
}
