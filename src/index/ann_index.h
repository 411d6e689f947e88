#pragma once
// Inner-product top-k search over unit vectors: one interface, an exact twin (BLAS) and HNSW (hnswlib).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ngame {

class QuantizedKeys;

/// Top-k neighbours of a batch of queries: ids and scores hold queries x k entries, best first, padded with
/// UINT32_MAX / -inf when fewer than k vectors exist.
struct Neighbors {
  size_t k = 0;
  std::vector<uint32_t> ids;
  std::vector<float> scores;
};

/// An index of unit vectors searched by inner product (cosine).
class AnnIndex {
 public:
  virtual ~AnnIndex() = default;
  /// Number of vectors.
  virtual size_t size() const = 0;
  /// Vector dimension.
  virtual uint32_t dim() const = 0;
  /// Appends n vectors (n x dim, unit norm); they get ids size() .. size() + n - 1.
  virtual void add(const float* vectors, size_t n) = 0;
  /// The k best vectors for each of the nq queries (nq x dim), a graph walking with breadth ef (0: its own
  /// default; exact indices ignore it). Safe to call from several threads, at different breadths.
  virtual Neighbors search(const float* queries, size_t nq, size_t k, uint32_t ef = 0) const = 0;
  /// Makes room for n vectors in all, so that adding up to that many moves no memory.
  virtual void reserve(size_t n) = 0;
  /// search(), with extra starting points for each query's walk (seeds[q]: ids of this index, e.g. labels sharing
  /// words with text q), so that a graph also explores regions its entry point leads away from. Empty seeds, or
  /// an exact index: the same as search().
  virtual Neighbors search_from(const float* queries, size_t nq, size_t k,
                                const std::vector<std::vector<uint32_t>>& seeds, uint32_t ef = 0) const {
    (void)seeds;
    return search(queries, nq, k, ef);
  }
  /// Whether searches are approximate walks of a graph (which seeds and breadth steer).
  virtual bool is_graph() const { return false; }
};

/// How an exact index finds its top k: every product in 8 bits (AVX-512 VNNI, about 4x the float rate), then the best
/// k + k / 4 + 16 scored again in float; or every product in float (BLAS). The first returns float scores too, and
/// falls back to the second on CPUs without VNNI.
enum class ExactScoring { kInt8Shortlist, kFloat32 };
/// "int8" or "float32".
std::string exact_scoring_name(ExactScoring scoring);
/// Parses "int8" or "float32"; UsageError otherwise.
ExactScoring parse_exact_scoring(const std::string& name);

/// Exact search: every query against every vector.
class ExactIndex final : public AnnIndex {
 public:
  explicit ExactIndex(uint32_t dim, ExactScoring scoring = ExactScoring::kFloat32);
  ~ExactIndex() override;
  size_t size() const override { return vectors_.size() / dim_; }
  uint32_t dim() const override { return dim_; }
  void add(const float* vectors, size_t n) override;
  Neighbors search(const float* queries, size_t nq, size_t k, uint32_t ef = 0) const override;
  void reserve(size_t n) override { vectors_.reserve(n * dim_); }
  /// Whether searches take the 8-bit first pass (asked for, and the CPU has VNNI).
  bool eight_bit() const { return quantized_ != nullptr; }

 private:
  uint32_t dim_;
  std::vector<float> vectors_;
  std::unique_ptr<QuantizedKeys> quantized_;  // the vectors in 8 bits, when searches use them
};

/// How a graph stores its vectors: 8-bit (a scale and one signed byte a value: a quarter of the bytes for every walk
/// to read, scores within about 1e-3) or as floats (exact scores; the format of graphs saved before 8-bit ones).
enum class GraphVectors { kInt8, kFloat32 };
/// "int8" or "float32".
std::string graph_vectors_name(GraphVectors vectors);
/// Parses "int8" or "float32"; UsageError otherwise.
GraphVectors parse_graph_vectors(const std::string& name);

/// HNSW graph settings (hnswlib's M, efConstruction, efSearch) and the vectors' storage.
struct HnswConfig {
  uint32_t m = 32;                 ///< links per node
  uint32_t ef_construction = 200;  ///< breadth while inserting
  uint32_t ef_search = 100;        ///< breadth while searching (at least k; shortlists are 100 long)
  uint64_t seed = 100;             ///< level generator seed
  bool scale_with_size = true;     ///< large graphs build cheaper (see for_size); off when efC is set by hand
  GraphVectors vectors = GraphVectors::kInt8;  ///< how the graph stores vectors (a loaded graph: as it was saved)
  /// Throws UsageError on invalid values.
  void validate() const;
  /// The settings for a graph of n vectors: above kLargeGraphVectors, efConstruction at most 100.
  HnswConfig for_size(size_t n) const;
};

/// Graphs of more vectors than this are built with cheaper settings (HnswConfig::for_size).
inline constexpr size_t kLargeGraphVectors = 200000;

/// Approximate search on an hnswlib graph (inner-product space). Inserts and searches run in parallel. The scores
/// of an 8-bit graph are its own approximations (callers that need exact ones score the ids found).
class HnswIndex final : public AnnIndex {
 public:
  HnswIndex(uint32_t dim, HnswConfig config);
  ~HnswIndex() override;
  size_t size() const override;
  uint32_t dim() const override { return dim_; }
  void add(const float* vectors, size_t n) override;
  Neighbors search(const float* queries, size_t nq, size_t k, uint32_t ef = 0) const override;
  Neighbors search_from(const float* queries, size_t nq, size_t k, const std::vector<std::vector<uint32_t>>& seeds,
                        uint32_t ef = 0) const override;
  void reserve(size_t n) override;
  bool is_graph() const override { return true; }
  /// The default search breadth (HnswConfig::ef_search), used when a search passes ef 0.
  uint32_t ef_search() const { return config_.ef_search; }
  /// How the graph stores its vectors.
  GraphVectors vectors() const { return config_.vectors; }
  /// Writes the graph with hnswlib's own format to path (callers checksum it in their manifest).
  void save(const std::string& path) const;
  /// Reads a graph written by save() with config.vectors its storage; InputError when it cannot be read or was
  /// written with another storage.
  static std::unique_ptr<HnswIndex> load(const std::string& path, uint32_t dim, HnswConfig config);

 private:
  struct Impl;
  uint32_t dim_;
  HnswConfig config_;
  std::unique_ptr<Impl> impl_;
};

/// Which index a model uses for a set of vectors: auto (exact up to a size, HNSW above; saved graphs are used),
/// exact (always BLAS; saved graphs ignored) or hnsw (always a graph; built when none is saved).
enum class AnnChoice { kAuto, kExact, kHnsw };
/// Parses "auto", "exact" or "hnsw"; UsageError otherwise.
AnnChoice parse_ann_choice(const std::string& name);

/// Exact search up to this many vectors, HNSW above: batched exact BLAS search out-runs HNSW on 2 cores past this size
/// on clustered synthetic vectors (bench_ann), but on WordNet's 62K training documents HNSW is already faster.
inline constexpr size_t kExactSearchMaxVectors = 50000;
/// The same switch for one query at a time (a server): exact search reads every vector for every query, so HNSW wins
/// much earlier: above 5,000 vectors in float; in 8 bits, not yet at WordNet's 17K labels, where exact search took
/// 0.47 ms of CPU a request against HNSW's 0.56 (bench/results/2026-12-04-exact-int8.md).
inline constexpr size_t kExactSearchMaxVectorsSingleQuery = 5000;
/// kExactSearchMaxVectorsSingleQuery for exact searches that rank as scoring says on this CPU.
size_t exact_search_max_single_query(ExactScoring scoring);

}  // namespace ngame
