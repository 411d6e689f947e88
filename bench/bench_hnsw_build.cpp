// Why HNSW builds grow faster than N log N: builds graphs over the first N vectors of a saved graph (a model's
// labels.hnsw or memory.hnsw, which hold the vectors), N growing, and counts the distance computations of the
// insertions. The time per distance computation shows the memory system's share, the computations per insertion
// the algorithm's. Usage: bench_hnsw_build GRAPH.hnsw DIM [--sizes 100000,300000,1000000] [--m 32] [--efc 100]
// [--huge 1] (--huge: the graph's memory advised to use transparent huge pages, MADV_HUGEPAGE). The builds it times
// store floats (`--graph-vectors float32`), whichever storage the saved graph had.
// (hnswlib's header can be compiled into one object of a program only, so this reads the graph file itself and
// links no ngame index code but the distance kernel.)
#include <hnswlib/hnswlib.h>
#include <omp.h>
#include <sys/mman.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>

#include <vector>

#include "index/inner_product_kernel.h"

namespace {

using namespace ngame;

thread_local uint64_t distance_calls = 0;
InnerProductDistanceFn fast_distance = nullptr;

float counted_distance(const void* a, const void* b, const void* dim) {
  ++distance_calls;
  return fast_distance(a, b, dim);
}

class CountingSpace : public hnswlib::SpaceInterface<float> {
 public:
  explicit CountingSpace(size_t dim) : dim_(dim) {}
  size_t get_data_size() override { return dim_ * sizeof(float); }
  hnswlib::DISTFUNC<float> get_dist_func() override { return counted_distance; }
  void* get_dist_func_param() override { return &dim_; }

 private:
  size_t dim_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_hnsw_build GRAPH.hnsw DIM [--sizes N1,N2,...] [--m 32] [--efc 100] [--huge 0|1]\n");
    return 2;
  }
  std::string sizes = "100000,300000,1000000";
  const size_t d = std::stoul(argv[2]);
  size_t m = 32, efc = 100;
  bool huge = false;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--sizes") sizes = argv[i + 1];
    if (a == "--m") m = std::stoul(argv[i + 1]);
    if (a == "--efc") efc = std::stoul(argv[i + 1]);
    if (a == "--huge") huge = std::stoul(argv[i + 1]) != 0;
  }
  fast_distance = fastest_inner_product_distance();
  std::vector<float> vectors;
  {
    CountingSpace space(d);
    hnswlib::HierarchicalNSW<float> saved(&space, argv[1]);
    // A saved graph stores floats or 8-bit vectors (a float scale, then the bytes; ngame's default): the node size
    // in the file tells which, and 8-bit ones are decoded (the builds below run on floats either way).
    const size_t fixed = saved.size_links_level0_ + sizeof(hnswlib::labeltype);
    const bool floats = saved.size_data_per_element_ == fixed + d * sizeof(float);
    if (!floats && saved.size_data_per_element_ != fixed + ngame::int8_vector_bytes(d)) {
      std::fprintf(stderr, "bench_hnsw_build: %s does not hold %zu-d vectors\n", argv[1], d);
      return 2;
    }
    vectors.resize(saved.cur_element_count * d);
    for (size_t i = 0; i < saved.cur_element_count; ++i) {
      const char* data = saved.getDataByInternalId(static_cast<hnswlib::tableint>(i));
      float* out = vectors.data() + i * d;
      if (floats) {
        std::memcpy(out, data, d * sizeof(float));
        continue;
      }
      float scale;
      std::memcpy(&scale, data, sizeof scale);
      const auto* q = reinterpret_cast<const int8_t*>(data + sizeof scale);
      for (size_t j = 0; j < d; ++j) out[j] = scale * static_cast<float>(q[j]);
    }
  }
  const size_t available = vectors.size() / d;
  std::stringstream list(sizes);
  for (std::string item; std::getline(list, item, ',');) {
    const size_t n = std::min<size_t>(std::stoul(item), available);
    CountingSpace space(d);
    hnswlib::HierarchicalNSW<float> graph(&space, n, m, efc, 100);
    if (huge) {
      const size_t page = 4096, bytes = n * graph.size_data_per_element_;
      auto begin = reinterpret_cast<uintptr_t>(graph.data_level0_memory_);
      const uintptr_t aligned = (begin + page - 1) / page * page;
      madvise(reinterpret_cast<void*>(aligned), bytes - (aligned - begin), MADV_HUGEPAGE);
    }
    std::atomic<uint64_t> calls{0};
    const auto t = std::chrono::steady_clock::now();
    graph.addPoint(vectors.data(), 0);
#pragma omp parallel
    {
      distance_calls = 0;
#pragma omp for schedule(dynamic, 64)
      for (size_t i = 1; i < n; ++i) graph.addPoint(vectors.data() + i * d, i);
      calls += distance_calls;
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    const double per_insert = static_cast<double>(calls.load()) / static_cast<double>(n);
    // The search part of an insertion: a search at breadth efConstruction for vectors not in the graph (or, when
    // none is left, the first ones); the rest of an insertion's computations prune full neighbour lists.
    graph.setEf(efc);
    const size_t probes = std::min<size_t>(1000, available), first = n + probes <= available ? n : 0;
    distance_calls = 0;
    for (size_t i = first; i < first + probes; ++i) graph.searchKnn(vectors.data() + i * d, 1);
    const double per_search = static_cast<double>(distance_calls) / static_cast<double>(probes);
    std::printf("{\"bench\":\"hnsw_build\",\"vectors\":%zu,\"m\":%zu,\"ef_construction\":%zu,"
                "\"seconds\":%.1f,\"distances_per_insert\":%.0f,\"distances_per_search_at_efc\":%.0f,"
                "\"ns_per_distance\":%.1f,\"threads\":%d}\n",
                n, m, efc, s, per_insert, per_search, s * omp_get_max_threads() * 1e9 / static_cast<double>(calls.load()),
                omp_get_max_threads());
    std::fflush(stdout);
  }
  return 0;
}
