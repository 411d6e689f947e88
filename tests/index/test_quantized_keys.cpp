#include "index/quantized_keys.h"

#include <cmath>
#include <limits>

#include "core/dense_math.h"
#include "core/error.h"
#include "index/ann_index.h"
#include "test_util.h"

namespace ngame {
namespace {

// Keys and queries of an awkward shape: a dimension not a multiple of 4, key and query counts not multiples of the
// kernel's 16 keys or 4 queries.
TEST(QuantizedKeys, ProductsAreCloseToFloatProducts) {
  if (!QuantizedKeys::supported()) GTEST_SKIP() << "this CPU lacks AVX-512 VNNI";
  // Each value moves by at most half a step (max |x| / 254), so the error shrinks as the values spread over more
  // dimensions: at ngame's 256, 4e-4 on average and a few thousandths at worst.
  for (const auto& [d, bound] : {std::pair<uint32_t, double>{37, 1e-2}, {256, 4e-3}}) {
    const size_t nk = 1000 + 7, nq = 23;
    const std::vector<float> keys = testing::clustered_unit_vectors(nk, d, 1), queries = testing::clustered_unit_vectors(nq, d, 2);
    QuantizedKeys quantized(d);
    quantized.add(keys.data(), 600);  // two adds: the second fills the first's partial block
    quantized.add(keys.data() + 600 * d, nk - 600);
    ASSERT_EQ(quantized.size(), nk);
    std::vector<float> out(nq * nk, std::numeric_limits<float>::quiet_NaN());
    quantized.products(queries.data(), nq, out.data());
    double worst = 0, total = 0;
    for (size_t q = 0; q < nq; ++q) {
      for (size_t k = 0; k < nk; ++k) {
        const float exact = dot(queries.data() + q * d, keys.data() + k * d, d);
        const double error = std::fabs(out[q * nk + k] - exact);
        worst = std::max(worst, error);
        total += error;
      }
    }
    EXPECT_LT(worst, bound) << "d = " << d;  // every product written (a NaN left over fails too)
    EXPECT_LT(total / static_cast<double>(nq * nk), bound / 4) << "d = " << d;
    EXPECT_GT(worst, 0.0) << "8-bit products are not exact";
  }
}

TEST(QuantizedKeys, ExactSearchInEightBitsFindsTheFloatTopKWithFloatScores) {
  if (!QuantizedKeys::supported()) GTEST_SKIP() << "this CPU lacks AVX-512 VNNI";
  const uint32_t d = 64;
  const size_t n = 20000 + 5, nq = 300, k = 100;
  const std::vector<float> data = testing::clustered_unit_vectors(n, d, 3), queries = testing::clustered_unit_vectors(nq, d, 4);
  ExactIndex float32(d, ExactScoring::kFloat32), int8(d, ExactScoring::kInt8Shortlist);
  EXPECT_FALSE(float32.eight_bit());
  ASSERT_TRUE(int8.eight_bit());
  float32.add(data.data(), n);
  int8.add(data.data(), n);
  const Neighbors e = float32.search(queries.data(), nq, k), a = int8.search(queries.data(), nq, k);
  size_t hits = 0;
  for (size_t q = 0; q < nq; ++q) {
    for (size_t r = 0; r < k; ++r) {
      const uint32_t id = a.ids[q * k + r];
      ASSERT_LT(id, n);
      // Scores are the float products of the ids found, best first.
      EXPECT_NEAR(a.scores[q * k + r], dot(queries.data() + q * d, data.data() + static_cast<size_t>(id) * d, d), 1e-5f);
      if (r > 0) {
        EXPECT_GE(a.scores[q * k + r - 1], a.scores[q * k + r]);
      }
      for (size_t s = 0; s < k; ++s) hits += e.ids[q * k + s] == id;
    }
  }
  EXPECT_GE(static_cast<double>(hits) / static_cast<double>(nq * k), 0.999);
}

TEST(QuantizedKeys, ExactSearchInEightBitsPadsRowsItCannotFill) {
  if (!QuantizedKeys::supported()) GTEST_SKIP() << "this CPU lacks AVX-512 VNNI";
  const uint32_t d = 16;
  const std::vector<float> data = testing::clustered_unit_vectors(5, d, 5);
  std::vector<float> queries = testing::clustered_unit_vectors(2, d, 6);
  queries[d] = std::numeric_limits<float>::quiet_NaN();  // the second query scores NaN against every key
  ExactIndex index(d, ExactScoring::kInt8Shortlist);
  index.add(data.data(), 5);
  const Neighbors out = index.search(queries.data(), 2, 8);
  for (size_t r = 0; r < 8; ++r) {
    EXPECT_EQ(out.ids[r] == UINT32_MAX, r >= 5);  // five keys for eight places
    EXPECT_EQ(out.ids[8 + r], UINT32_MAX);        // a NaN score is never returned
  }
}

TEST(QuantizedKeys, ScoringNamesRoundTrip) {
  EXPECT_EQ(parse_exact_scoring(exact_scoring_name(ExactScoring::kInt8Shortlist)), ExactScoring::kInt8Shortlist);
  EXPECT_EQ(parse_exact_scoring(exact_scoring_name(ExactScoring::kFloat32)), ExactScoring::kFloat32);
  EXPECT_THROW(parse_exact_scoring("bf16"), UsageError);
  // Without VNNI the 8-bit choice falls back to float search, and one-query searches keep the float switch.
  if (!QuantizedKeys::supported()) {
    EXPECT_FALSE(ExactIndex(8, ExactScoring::kInt8Shortlist).eight_bit());
    EXPECT_EQ(exact_search_max_single_query(ExactScoring::kInt8Shortlist), kExactSearchMaxVectorsSingleQuery);
  }
  EXPECT_EQ(exact_search_max_single_query(ExactScoring::kFloat32), kExactSearchMaxVectorsSingleQuery);
}

}  // namespace
}  // namespace ngame
