#include "index/ann_index.h"

#include <hnswlib/hnswlib.h>
#include <spdlog/spdlog.h>

#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <queue>

#include "core/best_first.h"
#include "core/dense_math.h"
#include "core/error.h"
#include "core/progress_bar.h"
#include "core/topk_search.h"
#include "index/inner_product_kernel.h"
#include "index/quantized_keys.h"

namespace ngame {

std::string exact_scoring_name(ExactScoring scoring) { return scoring == ExactScoring::kInt8Shortlist ? "int8" : "float32"; }

ExactScoring parse_exact_scoring(const std::string& name) {
  if (name == "int8") return ExactScoring::kInt8Shortlist;
  if (name == "float32") return ExactScoring::kFloat32;
  throw UsageError("exact search must be int8 or float32, not '" + name + "'");
}

size_t exact_search_max_single_query(ExactScoring scoring) {
  return scoring == ExactScoring::kInt8Shortlist && QuantizedKeys::supported() ? 20000 : kExactSearchMaxVectorsSingleQuery;
}

ExactIndex::ExactIndex(uint32_t dim, ExactScoring scoring) : dim_(dim) {
  if (scoring == ExactScoring::kInt8Shortlist && QuantizedKeys::supported()) quantized_ = std::make_unique<QuantizedKeys>(dim);
}

ExactIndex::~ExactIndex() = default;

void ExactIndex::add(const float* vectors, size_t n) {
  vectors_.insert(vectors_.end(), vectors, vectors + n * dim_);
  if (quantized_) quantized_->add(vectors, n);
}

Neighbors ExactIndex::search(const float* queries, size_t nq, size_t k, uint32_t /*ef*/) const {
  Neighbors out;
  out.k = k;
  const size_t nk = size();
  if (!quantized_) {
    exact_topk(queries, nq, vectors_.data(), nk, dim_, k, out.ids, out.scores);
    return out;
  }
  out.ids.assign(nq * k, UINT32_MAX);
  out.scores.assign(nq * k, -std::numeric_limits<float>::infinity());
  if (nq == 0 || nk == 0 || k == 0) return out;
  // The 8-bit products err by a few thousandths at most: the best `wide` by them hold the float top k but for keys
  // that close to the k-th (test_quantized_keys measures the recall), and are scored again in float. Each thread
  // takes 16 queries at a time, whose products (about 1 MB at 17K keys) are still in its caches when they are ranked.
  const size_t take = std::min(k, nk), wide = std::min(nk, take + take / 4 + 16);
  constexpr size_t kGroup = 16;
  const size_t groups = (nq + kGroup - 1) / kGroup;
#pragma omp parallel
  {
    std::vector<float> products(std::min(kGroup, nq) * nk);
    std::vector<std::pair<float, uint32_t>> kept, rescored;
    const BestFirst better;
    auto row = [&](uint32_t id) { return vectors_.data() + static_cast<size_t>(id) * dim_; };
#pragma omp for schedule(dynamic, 1)
    for (size_t g = 0; g < groups; ++g) {
      const size_t q0 = g * kGroup, n = std::min(kGroup, nq - q0);
      quantized_->products(queries + q0 * dim_, n, products.data());
      for (size_t i = 0; i < n; ++i) {
        const float* query = queries + (q0 + i) * dim_;
        const size_t found = select_topk(products.data() + i * nk, nk, wide, kept, false);  // ranked after rescoring
        rescored.clear();
        for (size_t r = 0; r < found; ++r) {
          // The rows a few candidates ahead are requested while this one is scored, so that their misses overlap.
          if (r + 4 < found) {
            const char* ahead = reinterpret_cast<const char*>(row(kept[r + 4].second));
            for (size_t b = 0; b < dim_ * sizeof(float); b += 64) __builtin_prefetch(ahead + b);
          }
          const float s = dot(query, row(kept[r].second), dim_);
          if (s > -std::numeric_limits<float>::infinity()) rescored.emplace_back(s, kept[r].second);  // not NaN
        }
        const size_t top = std::min(take, rescored.size());
        std::partial_sort(rescored.begin(), rescored.begin() + static_cast<std::ptrdiff_t>(top), rescored.end(), better);
        for (size_t r = 0; r < top; ++r) {
          out.ids[(q0 + i) * k + r] = rescored[r].second;
          out.scores[(q0 + i) * k + r] = rescored[r].first;
        }
      }
    }
  }
  return out;
}

AnnChoice parse_ann_choice(const std::string& name) {
  if (name == "auto") return AnnChoice::kAuto;
  if (name == "exact") return AnnChoice::kExact;
  if (name == "hnsw") return AnnChoice::kHnsw;
  throw UsageError("ann must be auto, exact or hnsw, not '" + name + "'");
}

std::string graph_vectors_name(GraphVectors vectors) { return vectors == GraphVectors::kInt8 ? "int8" : "float32"; }

GraphVectors parse_graph_vectors(const std::string& name) {
  if (name == "int8") return GraphVectors::kInt8;
  if (name == "float32") return GraphVectors::kFloat32;
  throw UsageError("graph vectors must be int8 or float32, not '" + name + "'");
}

void HnswConfig::validate() const {
  NGAME_CHECK(m >= 2 && m <= 1024, "HNSW M must be in [2, 1024]");
  NGAME_CHECK(ef_construction >= 1 && ef_search >= 1, "HNSW ef values must be >= 1");
}

namespace {
// hnswlib's inner-product space with our kernels (inner_product_kernel.cpp), over floats (hnswlib's own layout) or
// their 8-bit encoding. hnswlib's headers define globals, so they stay in this one translation unit.
class InnerProductSpace : public hnswlib::SpaceInterface<float> {
 public:
  InnerProductSpace(size_t dim, GraphVectors vectors)
      : dim_(dim), vectors_(vectors),
        distance_(vectors == GraphVectors::kInt8 ? fastest_int8_inner_product_distance() : fastest_inner_product_distance()) {}
  size_t get_data_size() override { return vectors_ == GraphVectors::kInt8 ? int8_vector_bytes(dim_) : dim_ * sizeof(float); }
  hnswlib::DISTFUNC<float> get_dist_func() override { return distance_; }
  void* get_dist_func_param() override { return &dim_; }
  /// x (dim floats) as the graph stores it: x itself, or its 8-bit encoding written to buffer.
  const void* encode(const float* x, std::vector<unsigned char>& buffer) const {
    if (vectors_ == GraphVectors::kFloat32) return x;
    buffer.resize(int8_vector_bytes(dim_));
    encode_int8_vector(x, dim_, buffer.data());
    return buffer.data();
  }

 private:
  size_t dim_;
  GraphVectors vectors_;
  hnswlib::DISTFUNC<float> distance_;
};
}  // namespace

namespace {
// A graph's vectors are read at random addresses; once a graph holds hundreds of MB, nearly every read also misses
// the TLB with 4 KB pages. Where the kernel gives transparent huge pages only on request (THP "madvise"), ask for
// them: large builds and searches get faster (bench_hnsw_build --huge 1 compares builds).
void advise_huge_pages(void* memory, size_t bytes) {
#ifdef MADV_HUGEPAGE
  constexpr uintptr_t kPage = 4096, kHugePage = 2u << 20;
  if (bytes < 2 * kHugePage) return;
  const auto begin = reinterpret_cast<uintptr_t>(memory);
  const uintptr_t aligned = (begin + kPage - 1) / kPage * kPage;
  madvise(reinterpret_cast<void*>(aligned), bytes - (aligned - begin), MADV_HUGEPAGE);  // advice: failure is harmless
#else
  (void)memory, (void)bytes;
#endif
}

// hnswlib's base layer (vectors and links) after a resize, with the huge-page advice.
void advise_base_layer(hnswlib::HierarchicalNSW<float>& g) {
  advise_huge_pages(g.data_level0_memory_, g.max_elements_ * g.size_data_per_element_);
}
}  // namespace

// Build time grows with efConstruction per inserted vector: above kLargeGraphVectors, 100 instead of 200 halves the
// build for a small loss of recall, while halving M as well loses far more recall, so M stays
// (bench_index_recall --build M,EFC measures both; docs/scale.md).
HnswConfig HnswConfig::for_size(size_t n) const {
  HnswConfig c = *this;
  if (scale_with_size && n > kLargeGraphVectors) c.ef_construction = std::min<uint32_t>(c.ef_construction, 100);
  return c;
}

struct HnswIndex::Impl {
  using Graph = hnswlib::HierarchicalNSW<float>;
  using Scored = std::pair<float, hnswlib::tableint>;  // distance (1 - inner product), internal id
  using FurthestFirst = std::priority_queue<Scored, std::vector<Scored>, Graph::CompareByFirst>;
  Impl(uint32_t dim, GraphVectors vectors) : space(dim, vectors) {}
  InnerProductSpace space;
  std::unique_ptr<Graph> graph;
  /// hnswlib's search (greedy descent through the upper layers, then a best-first walk of breadth ef on the base
  /// layer), except that the base-layer walk starts from the seeds (external ids; unknown ones are skipped) as well
  /// as from the descent's end. hnswlib's own walk takes one starting point only, hence this copy of its loop
  /// (without seeds hnswlib's own search is used, which is the faster of the two).
  FurthestFirst walk_from(const void* query, size_t ef, const std::vector<uint32_t>& seeds) const;
};

HnswIndex::Impl::FurthestFirst HnswIndex::Impl::walk_from(const void* query, size_t ef,
                                                          const std::vector<uint32_t>& seeds) const {
  const Graph& g = *graph;
  auto distance = [&](hnswlib::tableint id) { return g.fstdistfunc_(query, g.getDataByInternalId(id), g.dist_func_param_); };
  hnswlib::tableint entry = g.enterpoint_node_;
  float entry_distance = distance(entry);
  for (int level = g.maxlevel_; level > 0; --level) {
    for (bool moved = true; moved;) {
      moved = false;
      hnswlib::linklistsizeint* links = g.get_linklist(entry, level);
      const unsigned count = g.getListCount(links);
      for (unsigned j = 1; j <= count; ++j) {
        const float dj = distance(links[j]);
        if (dj < entry_distance) {
          entry_distance = dj;
          entry = links[j];
          moved = true;
        }
      }
    }
  }
  hnswlib::VisitedList* visited = g.visited_list_pool_->getFreeVisitedList();
  hnswlib::vl_type* mark = visited->mass;
  const hnswlib::vl_type tag = visited->curV;
  FurthestFirst best;                                                      // the ef best so far
  std::priority_queue<Scored, std::vector<Scored>, Graph::CompareByFirst> frontier;  // negated distances: nearest first
  auto start = [&](hnswlib::tableint id, float d) {
    if (mark[id] == tag) return;
    mark[id] = tag;
    best.emplace(d, id);
    if (best.size() > ef) best.pop();
    frontier.emplace(-d, id);
  };
  start(entry, entry_distance);
  for (uint32_t s : seeds) {
    const auto it = g.label_lookup_.find(s);
    if (it != g.label_lookup_.end()) start(it->second, distance(it->second));
  }
  while (!frontier.empty()) {
    const auto [negated, node] = frontier.top();
    if (-negated > best.top().first && best.size() == ef) break;
    frontier.pop();
    hnswlib::linklistsizeint* links = g.get_linklist0(node);
    const unsigned count = g.getListCount(links);
    if (count > 0) {  // as hnswlib does: the first neighbour's mark and vector, then each next one's in the loop
      _mm_prefetch(reinterpret_cast<const char*>(mark + links[1]), _MM_HINT_T0);
      _mm_prefetch(g.getDataByInternalId(links[1]), _MM_HINT_T0);
    }
    for (unsigned j = 1; j <= count; ++j) {
      const hnswlib::tableint next = links[j];
      if (j < count) {
        _mm_prefetch(reinterpret_cast<const char*>(mark + links[j + 1]), _MM_HINT_T0);
        _mm_prefetch(g.getDataByInternalId(links[j + 1]), _MM_HINT_T0);
      }
      if (mark[next] == tag) continue;
      mark[next] = tag;
      const float d = distance(next);
      if (best.size() < ef || d < best.top().first) {
        frontier.emplace(-d, next);
        _mm_prefetch(reinterpret_cast<const char*>(g.get_linklist0(frontier.top().second)), _MM_HINT_T0);
        best.emplace(d, next);
        if (best.size() > ef) best.pop();
      }
    }
  }
  g.visited_list_pool_->releaseVisitedList(visited);
  return best;
}

HnswIndex::HnswIndex(uint32_t dim, HnswConfig config)
    : dim_(dim), config_(config), impl_(std::make_unique<Impl>(dim, config.vectors)) {
  config_.validate();
  impl_->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(&impl_->space, 1024, config_.m,
                                                                     config_.ef_construction, config_.seed);
  impl_->graph->setEf(config_.ef_search);
}

HnswIndex::~HnswIndex() = default;

size_t HnswIndex::size() const { return impl_->graph->cur_element_count; }

void HnswIndex::add(const float* vectors, size_t n) {
  auto& g = *impl_->graph;
  const size_t base = size();
  if (base + n > g.max_elements_) {
    g.resizeIndex(std::max(base + n, 2 * g.max_elements_));
    advise_base_layer(g);
  }
  // The first point goes in alone (it becomes the entry point); the rest in parallel, as hnswlib allows.
  size_t start = 0;
  std::vector<unsigned char> first;
  if (base == 0 && n > 0) {
    g.addPoint(impl_->space.encode(vectors, first), 0);
    start = 1;
  }
  // Large builds take minutes (1M vectors): a progress bar on a terminal, and a log line either way.
  const bool long_build = n >= 100000;
  const auto t = std::chrono::steady_clock::now();
  if (long_build) spdlog::info("building an HNSW graph of {} vectors (M {}, efConstruction {})", n, config_.m, config_.ef_construction);
  std::optional<ProgressBar> progress;
  if (n >= 10000) progress.emplace("HNSW graph", n);
#pragma omp parallel
  {
    std::vector<unsigned char> encoded;
#pragma omp for schedule(dynamic, 64)
    for (size_t i = start; i < n; ++i) {
      g.addPoint(impl_->space.encode(vectors + i * dim_, encoded), base + i);
      if (progress) progress->add();
    }
  }
  if (progress) progress->finish();
  if (long_build) {
    spdlog::info("HNSW graph of {} vectors built in {:.1f} s", n,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
  }
}

namespace {
// Neighbors of nq queries with nothing found yet.
Neighbors unfilled_neighbors(size_t nq, size_t k) {
  Neighbors out;
  out.k = k;
  out.ids.assign(nq * k, UINT32_MAX);
  out.scores.assign(nq * k, -std::numeric_limits<float>::infinity());
  return out;
}

// Writes query q's row of out, best first, from a furthest-first heap of (1 - inner product, id), keeping the k
// nearest; external_id maps the heap's ids to the index's.
template <class Heap, class ExternalId>
void fill_row(Heap heap, size_t q, Neighbors& out, ExternalId external_id) {
  while (heap.size() > out.k) heap.pop();
  for (size_t r = heap.size(); !heap.empty(); heap.pop()) {
    --r;
    out.ids[q * out.k + r] = static_cast<uint32_t>(external_id(heap.top().second));
    out.scores[q * out.k + r] = 1.0f - heap.top().first;
  }
}
}  // namespace

Neighbors HnswIndex::search(const float* queries, size_t nq, size_t k, uint32_t ef) const {
  // hnswlib's own search reads its breadth from the graph (shared state): another breadth walks with walk_from.
  if (ef != 0 && ef != config_.ef_search && nq > 0) return search_from(queries, nq, k, std::vector<std::vector<uint32_t>>(nq), ef);
  Neighbors out = unfilled_neighbors(nq, k);
  if (size() == 0 || k == 0) return out;
  const auto& g = *impl_->graph;
#pragma omp parallel
  {
    std::vector<unsigned char> encoded;
#pragma omp for schedule(dynamic, 16)
    for (size_t q = 0; q < nq; ++q) {
      fill_row(g.searchKnn(impl_->space.encode(queries + q * dim_, encoded), k), q, out,
               [](hnswlib::labeltype label) { return label; });
    }
  }
  return out;
}

Neighbors HnswIndex::search_from(const float* queries, size_t nq, size_t k,
                                 const std::vector<std::vector<uint32_t>>& seeds, uint32_t breadth) const {
  if (seeds.empty()) return search(queries, nq, k, breadth);
  NGAME_CHECK(seeds.size() == nq, "search_from: one seed list per query, or none");
  Neighbors out = unfilled_neighbors(nq, k);
  if (size() == 0 || k == 0) return out;
  const auto& g = *impl_->graph;
  const size_t ef = std::max<size_t>(breadth != 0 ? breadth : config_.ef_search, k);
#pragma omp parallel
  {
    std::vector<unsigned char> encoded;
#pragma omp for schedule(dynamic, 16)
    for (size_t q = 0; q < nq; ++q) {
      fill_row(impl_->walk_from(impl_->space.encode(queries + q * dim_, encoded), ef, seeds[q]), q, out,
               [&g](hnswlib::tableint id) { return g.getExternalLabel(id); });
    }
  }
  return out;
}

void HnswIndex::reserve(size_t n) {
  if (n > impl_->graph->max_elements_) {
    impl_->graph->resizeIndex(n);
    advise_base_layer(*impl_->graph);
  }
}

void HnswIndex::save(const std::string& path) const { impl_->graph->saveIndex(path); }

std::unique_ptr<HnswIndex> HnswIndex::load(const std::string& path, uint32_t dim, HnswConfig config) {
  auto index = std::make_unique<HnswIndex>(dim, config);
  try {
    index->impl_->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(&index->impl_->space, path);
  } catch (const std::exception& e) {
    throw InputError(path, 0, std::string("cannot read the HNSW graph: ") + e.what());
  }
  // hnswlib takes the vectors' size from the space, not the file: a graph saved with the other storage is refused
  // (below 3 dimensions both take the same bytes, and the manifest alone tells them apart).
  auto& loaded = *index->impl_->graph;
  if (loaded.size_data_per_element_ != loaded.size_links_level0_ + loaded.data_size_ + sizeof(hnswlib::labeltype)) {
    throw InputError(path, 0, "the graph's vectors are not stored as " + graph_vectors_name(config.vectors) +
                                  " (as its model's manifest says)");
  }
  // hnswlib reads the file into memory it has just allocated, so the pages are already 4 KB ones: move the base
  // layer into memory advised to use huge pages (one copy; hnswlib frees it with free()).
  auto& g = *index->impl_->graph;
  const size_t bytes = g.max_elements_ * g.size_data_per_element_;
  if (bytes >= (4u << 20)) {
    if (char* moved = static_cast<char*>(std::malloc(bytes))) {
      advise_huge_pages(moved, bytes);
      std::memcpy(moved, g.data_level0_memory_, bytes);
      std::free(g.data_level0_memory_);
      g.data_level0_memory_ = moved;
    }
  }
  g.setEf(config.ef_search);
  return index;
}

}  // namespace ngame
