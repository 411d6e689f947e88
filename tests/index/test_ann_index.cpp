#include "index/ann_index.h"

#include <cmath>
#include <filesystem>

#include <random>

#include "core/dense_math.h"
#include "core/error.h"
#include "index/inner_product_kernel.h"
#include "test_util.h"

namespace ngame {
namespace {

std::vector<float> clustered(size_t n, uint32_t d, uint32_t seed) { return testing::clustered_unit_vectors(n, d, seed); }

double recall_at(const Neighbors& approx, const Neighbors& exact, size_t nq, size_t k) {
  size_t hits = 0;
  for (size_t q = 0; q < nq; ++q) {
    for (size_t r = 0; r < k; ++r) {
      const uint32_t id = exact.ids[q * k + r];
      for (size_t s = 0; s < k; ++s) hits += approx.ids[q * k + s] == id;
    }
  }
  return static_cast<double>(hits) / static_cast<double>(nq * k);
}

TEST(AnnIndex, HnswRecallAt10AgainstExact) {
  const uint32_t d = 32;
  const size_t n = 20000, nq = 500;
  std::vector<float> data = clustered(n, d, 1), queries = clustered(nq, d, 2);
  ExactIndex exact(d);
  HnswIndex hnsw(d, HnswConfig{});  // the defaults ngame uses
  exact.add(data.data(), n / 2);
  hnsw.add(data.data(), n / 2);
  exact.add(data.data() + (n / 2) * d, n - n / 2);  // incremental adds, as live label addition will do
  hnsw.add(data.data() + (n / 2) * d, n - n / 2);
  ASSERT_EQ(hnsw.size(), n);
  Neighbors e = exact.search(queries.data(), nq, 10), a = hnsw.search(queries.data(), nq, 10);
  const double at_default = recall_at(a, e, nq, 10);
  EXPECT_GE(at_default, 0.9);  // the floor the project sets for a shortlist's recall@10
  for (size_t r = 1; r < 10; ++r) EXPECT_GE(a.scores[r - 1], a.scores[r]);  // best first
  // A broader search, chosen per call, finds more; the index's own breadth is untouched.
  const double broader = recall_at(hnsw.search(queries.data(), nq, 10, 400), e, nq, 10);
  EXPECT_GE(broader, 0.95);
  EXPECT_GE(broader, at_default);
  EXPECT_EQ(hnsw.ef_search(), HnswConfig{}.ef_search);
  EXPECT_EQ(hnsw.search(queries.data(), nq, 10).ids, a.ids);
}

TEST(AnnIndex, SeededWalkReachesWhatItsSeedsPointAt) {
  const uint32_t d = 32;
  const size_t n = 5000, nq = 200;
  const std::vector<float> data = clustered(n, d, 3), queries = clustered(nq, d, 4);
  ExactIndex exact(d);
  exact.add(data.data(), n);
  HnswConfig c;
  c.ef_search = 1;  // a purely greedy walk: it stops at the first local optimum
  c.vectors = GraphVectors::kFloat32;  // exact scores: the seed is the walk's best (8-bit: only about)
  HnswIndex hnsw(d, c);
  hnsw.add(data.data(), n);
  const Neighbors truth = exact.search(queries.data(), nq, 1);
  // Seeded with each query's true nearest vector (and ids that do not exist, which are skipped), even the greedy
  // walk returns it: a seed is never lost.
  std::vector<std::vector<uint32_t>> seeds(nq);
  for (size_t q = 0; q < nq; ++q) seeds[q] = {UINT32_MAX, truth.ids[q], static_cast<uint32_t>(n + 7)};
  const Neighbors seeded = hnsw.search_from(queries.data(), nq, 1, seeds);
  const Neighbors greedy = hnsw.search(queries.data(), nq, 1);
  EXPECT_EQ(seeded.ids, truth.ids);
  EXPECT_LT(recall_at(greedy, truth, nq, 1), 1.0);  // without the seeds the greedy walk misses some
  // No seeds: the same walk as search(); an exact index ignores seeds.
  const Neighbors unseeded = hnsw.search_from(queries.data(), nq, 1, {});
  EXPECT_EQ(unseeded.ids, greedy.ids);
  std::vector<std::vector<uint32_t>> wrong(nq, std::vector<uint32_t>{0});
  EXPECT_EQ(exact.search_from(queries.data(), nq, 1, wrong).ids, truth.ids);
  // At ngame's default breadth, seeds from a different region do not cost recall@10.
  const Neighbors truth10 = exact.search(queries.data(), nq, 10);
  EXPECT_GE(recall_at(hnsw.search_from(queries.data(), nq, 10, wrong, 100), truth10, nq, 10),
            recall_at(hnsw.search(queries.data(), nq, 10, 100), truth10, nq, 10) - 0.01);
  // One list per query, or none.
  EXPECT_THROW(hnsw.search_from(queries.data(), nq, 10, std::vector<std::vector<uint32_t>>(nq - 1)), std::exception);
}

TEST(AnnIndex, ExactIsExactAndPads) {
  const uint32_t d = 4;
  std::vector<float> v = {1, 0, 0, 0, 0, 1, 0, 0, 0.6f, 0.8f, 0, 0};
  ExactIndex exact(d);
  exact.add(v.data(), 3);
  std::vector<float> q = {0, 1, 0, 0};
  Neighbors n = exact.search(q.data(), 1, 5);
  EXPECT_EQ(n.ids[0], 1u);
  EXPECT_EQ(n.ids[1], 2u);
  EXPECT_FLOAT_EQ(n.scores[1], 0.8f);
  EXPECT_EQ(n.ids[3], UINT32_MAX);
}

TEST(AnnIndex, HnswSaveLoadGivesTheSameAnswers) {
  // 15,000 vectors make a base layer above 4 MB, which load() moves into memory advised to use huge pages.
  const uint32_t d = 16;
  const size_t n = 15000;
  std::vector<float> data = clustered(n + 500, d, 3), queries = clustered(50, d, 4);
  HnswIndex hnsw(d, HnswConfig{});
  hnsw.add(data.data(), n);
  testing::TempDir dir;
  hnsw.save(dir.file("g.bin"));
  auto loaded = HnswIndex::load(dir.file("g.bin"), d, HnswConfig{});
  EXPECT_EQ(hnsw.search(queries.data(), 50, 10).ids, loaded->search(queries.data(), 50, 10).ids);
  // The moved graph still grows (live label addition) and finds what it was given.
  loaded->add(data.data() + n * d, 500);
  ASSERT_EQ(loaded->size(), n + 500);
  const Neighbors self = loaded->search(data.data() + (n + 7) * d, 1, 1);
  EXPECT_EQ(self.ids[0], n + 7);
}

TEST(AnnIndex, LargeGraphsBuildCheaperUnlessSetByHand) {
  HnswConfig c;  // defaults: M 32, efConstruction 200
  EXPECT_EQ(c.for_size(kLargeGraphVectors).ef_construction, 200u);
  EXPECT_EQ(c.for_size(kLargeGraphVectors + 1).ef_construction, 100u);
  EXPECT_EQ(c.for_size(kLargeGraphVectors + 1).m, 32u);                   // links are what recall needs
  EXPECT_EQ(c.for_size(kLargeGraphVectors + 1).ef_search, c.ef_search);  // searching is not made cheaper
  c.ef_construction = 64;
  EXPECT_EQ(c.for_size(5 * kLargeGraphVectors).ef_construction, 64u);  // never raised
  c.ef_construction = 300;
  c.scale_with_size = false;
  EXPECT_EQ(c.for_size(5 * kLargeGraphVectors).ef_construction, 300u);
}

TEST(InnerProductKernel, FastestMatchesPortableAtEveryLength) {
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  const InnerProductDistanceFn fast = fastest_inner_product_distance();
  // Lengths around the AVX2 kernel's 32- and 8-float steps, and a served dimension.
  for (size_t d : {1u, 7u, 8u, 9u, 31u, 32u, 33u, 100u, 256u, 257u}) {
    std::vector<float> a(d), b(d);
    for (size_t j = 0; j < d; ++j) {
      a[j] = dist(rng);
      b[j] = dist(rng);
    }
    double exact = 0;
    for (size_t j = 0; j < d; ++j) exact += double(a[j]) * b[j];
    EXPECT_NEAR(inner_product_distance_portable(a.data(), b.data(), &d), 1.0 - exact, 1e-4 * (1 + std::sqrt(d))) << d;
    EXPECT_NEAR(fast(a.data(), b.data(), &d), 1.0 - exact, 1e-4 * (1 + std::sqrt(d))) << d;
  }
}

TEST(InnerProductKernel, Int8MatchesPortableAndApproximatesTheFloats) {
  std::mt19937 rng(11);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  const std::vector<InnerProductDistanceFn> kernels = runnable_int8_inner_product_distances();
  EXPECT_EQ(kernels.front(), fastest_int8_inner_product_distance());
  for (size_t d : {1u, 7u, 31u, 32u, 33u, 63u, 64u, 100u, 128u, 200u, 256u, 257u}) {
    std::vector<float> a(d), b(d);
    for (size_t j = 0; j < d; ++j) {
      a[j] = dist(rng);
      b[j] = dist(rng);
    }
    normalize_rows(a.data(), 1, static_cast<uint32_t>(d));
    normalize_rows(b.data(), 1, static_cast<uint32_t>(d));
    std::vector<unsigned char> ea(int8_vector_bytes(d)), eb(int8_vector_bytes(d));
    encode_int8_vector(a.data(), d, ea.data());
    encode_int8_vector(b.data(), d, eb.data());
    const float portable = int8_inner_product_distance_portable(ea.data(), eb.data(), &d);
    for (const InnerProductDistanceFn kernel : kernels) {
      EXPECT_EQ(kernel(ea.data(), eb.data(), &d), portable) << d;  // the same integer sum and the same scaling
    }
    // Unit vectors: every value off by at most half a step of max|x| / 127.
    EXPECT_NEAR(portable, inner_product_distance_portable(a.data(), b.data(), &d), 4e-3) << d;
    EXPECT_NEAR(int8_inner_product_distance_portable(ea.data(), ea.data(), &d), 0.0f, 4e-3) << d;
  }
  // Encoded sizes keep hnswlib's node records 4-byte aligned.
  EXPECT_EQ(int8_vector_bytes(2), 8u);
  EXPECT_EQ(int8_vector_bytes(256), 260u);
  EXPECT_EQ(int8_vector_bytes(257), 264u);
  // A zero vector (a text without known words) encodes with scale 0: distance 1 to everything.
  const size_t d = 8;
  std::vector<float> zero(d, 0.0f), one(d, 0.0f);
  one[3] = 1.0f;
  std::vector<unsigned char> ez(int8_vector_bytes(d)), eo(int8_vector_bytes(d));
  encode_int8_vector(zero.data(), d, ez.data());
  encode_int8_vector(one.data(), d, eo.data());
  EXPECT_EQ(int8_inner_product_distance_portable(ez.data(), eo.data(), &d), 1.0f);
  EXPECT_FLOAT_EQ(int8_inner_product_distance_portable(eo.data(), eo.data(), &d), 0.0f);
}

TEST(AnnIndex, Int8GraphsFindWhatFloatGraphsFindInLessSpace) {
  const uint32_t d = 64;
  const size_t n = 8000, nq = 300;
  const std::vector<float> data = clustered(n, d, 5), queries = clustered(nq, d, 6);
  ExactIndex exact(d);
  exact.add(data.data(), n);
  HnswConfig floats;
  floats.vectors = GraphVectors::kFloat32;
  HnswIndex int8_graph(d, HnswConfig{}), float_graph(d, floats);
  EXPECT_EQ(int8_graph.vectors(), GraphVectors::kInt8);  // the default
  int8_graph.add(data.data(), n);
  float_graph.add(data.data(), n);
  const Neighbors truth = exact.search(queries.data(), nq, 10);
  const Neighbors a = int8_graph.search(queries.data(), nq, 10), f = float_graph.search(queries.data(), nq, 10);
  EXPECT_GE(recall_at(a, truth, nq, 10), 0.9);
  EXPECT_GE(recall_at(a, truth, nq, 10), recall_at(f, truth, nq, 10) - 0.02);
  // Its scores are close to the exact ones of the ids it returns.
  for (size_t q = 0; q < nq; ++q) {
    for (size_t r = 0; r < 10; ++r) {
      const uint32_t id = a.ids[q * 10 + r];
      ASSERT_NE(id, UINT32_MAX);
      EXPECT_NEAR(a.scores[q * 10 + r], dot(queries.data() + q * d, data.data() + size_t{id} * d, d), 4e-3);
    }
  }
  // Saved, each is smaller by the vectors' bytes, loads only as what it is, and answers the same.
  testing::TempDir dir;
  int8_graph.save(dir.file("int8.bin"));
  float_graph.save(dir.file("float.bin"));
  EXPECT_EQ(std::filesystem::file_size(dir.file("float.bin")) - std::filesystem::file_size(dir.file("int8.bin")),
            n * (d * sizeof(float) - int8_vector_bytes(d)));
  EXPECT_THROW(HnswIndex::load(dir.file("int8.bin"), d, floats), InputError);
  EXPECT_THROW(HnswIndex::load(dir.file("float.bin"), d, HnswConfig{}), InputError);
  EXPECT_EQ(HnswIndex::load(dir.file("int8.bin"), d, HnswConfig{})->search(queries.data(), nq, 10).ids, a.ids);
  EXPECT_EQ(HnswIndex::load(dir.file("float.bin"), d, floats)->search(queries.data(), nq, 10).ids, f.ids);
  EXPECT_EQ(parse_graph_vectors(graph_vectors_name(GraphVectors::kFloat32)), GraphVectors::kFloat32);
  EXPECT_THROW(parse_graph_vectors("int4"), UsageError);
}

}  // namespace
}  // namespace ngame
