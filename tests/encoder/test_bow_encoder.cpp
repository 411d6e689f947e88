#include "encoder/bow_encoder.h"

#include <cmath>
#include <numeric>
#include <random>

#include "core/binary_io.h"
#include "test_util.h"

namespace ngame {
namespace {

struct EncoderFixture {
  TextCorpus texts = testing::make_corpus({"red running shoes", "blue winter hat", "red hat for winter", "shoes and hats"});
  std::unique_ptr<BowEncoder> encoder;
  std::unique_ptr<EncoderInput> input;
  std::vector<uint32_t> rows = {0, 1, 2, 3, 2};
  std::vector<float> g;  // fixed random weights of the test loss L = sum(G * Y)

  explicit EncoderFixture(uint32_t hidden) {
    Featurizer f({.min_count = 1, .bigram_buckets = 8});
    f.fit({&texts});
    encoder = std::make_unique<BowEncoder>(std::move(f), BowEncoderConfig{.dim = 6, .hidden = hidden}, 7);
    // A larger output layer than the default makes the block's gradients clearly non-zero.
    for (auto [p, n] : encoder->dense_parameters()) {
      std::mt19937 rng(static_cast<unsigned>(n));
      std::normal_distribution<float> dist(0.0f, 0.5f);
      for (size_t i = 0; i < n; ++i) p[i] = dist(rng);
    }
    std::mt19937 rng(3);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (float& e : encoder->embeddings()) e = dist(rng);
    input = encoder->prepare(texts);
    g.resize(rows.size() * 6);
    for (float& v : g) v = dist(rng);
  }

  double loss() const {
    std::vector<float> y(rows.size() * 6);
    encoder->embed(*input, rows, y.data());
    double s = 0;
    for (size_t i = 0; i < y.size(); ++i) s += static_cast<double>(g[i]) * y[i];
    return s;
  }
};

// Central differences at two step sizes: where they disagree the loss is not smooth there (a ReLU switches inside
// the step), so the point is skipped and counted; elsewhere the analytic gradient must match.
bool expect_gradient(EncoderFixture& s, float* param, float analytic, const std::string& what) {
  auto numeric = [&](float eps) {
    const float saved = *param;
    *param = saved + eps;
    const double up = s.loss();
    *param = saved - eps;
    const double down = s.loss();
    *param = saved;
    return (up - down) / (2 * eps);
  };
  const double coarse = numeric(1e-2f), fine = numeric(5e-3f);
  if (std::abs(coarse - fine) > 2e-3 + 1e-2 * std::abs(fine)) return false;
  EXPECT_NEAR(analytic, fine, 2e-3 + 2e-2 * std::abs(fine)) << what;
  return true;
}

class BowEncoderGradients : public ::testing::TestWithParam<uint32_t> {};

TEST_P(BowEncoderGradients, MatchFiniteDifferences) {
  EncoderFixture s(GetParam());
  std::vector<float> y(s.rows.size() * 6);
  auto act = s.encoder->forward(*s.input, s.rows, y.data());
  s.encoder->backward(*act, s.g.data());
  // Dense layers (W1, b1, W2, b2).
  auto grads = s.encoder->dense_gradients();
  auto params = s.encoder->dense_parameters();
  size_t checked = 0, skipped = 0;
  for (size_t t = 0; t < params.size(); ++t) {
    for (size_t i = 0; i < params[t].second; ++i) {
      if (expect_gradient(s, params[t].first + i, grads[t][i], "dense " + std::to_string(t) + "[" + std::to_string(i) + "]")) {
        ++checked;
      } else {
        ++skipped;
      }
    }
  }
  // Embedding rows actually used by the batch.
  std::vector<float> eg = s.encoder->embedding_gradient_dense();
  for (size_t i = 0; i < eg.size(); ++i) {
    if (eg[i] == 0.0f) continue;
    if (expect_gradient(s, s.encoder->embeddings().data() + i, eg[i], "embedding[" + std::to_string(i) + "]")) {
      ++checked;
    } else {
      ++skipped;
    }
  }
  EXPECT_GT(checked, 60u);
  EXPECT_LE(skipped * 20, checked) << "too many non-smooth points";
}

INSTANTIATE_TEST_SUITE_P(WithAndWithoutBlock, BowEncoderGradients, ::testing::Values(5u, 0u));

TEST(BowEncoder, StepsReduceALinearLoss) {
  EncoderFixture s(5);
  const double before = s.loss();
  for (int i = 0; i < 20; ++i) {
    std::vector<float> y(s.rows.size() * 6);
    auto act = s.encoder->forward(*s.input, s.rows, y.data());
    s.encoder->backward(*act, s.g.data());
    s.encoder->step(1.0f);
  }
  EXPECT_LT(s.loss(), before - 0.1);
}

TEST(BowEncoder, SaveLoadGivesIdenticalEmbeddings) {
  EncoderFixture s(5);
  testing::TempDir dir;
  write_container(dir.file("encoder.ngm"), s.encoder->save());
  auto loaded = BowEncoder::load(read_container(dir.file("encoder.ngm")), "test");
  std::vector<float> a(s.texts.size() * 6), b(s.texts.size() * 6);
  s.encoder->embed_all(*s.input, a.data());
  loaded->embed_all(*loaded->prepare(s.texts), b.data());
  EXPECT_EQ(a, b);
}

TEST(BowEncoder, ForwardEqualsEmbed) {
  EncoderFixture s(5);
  std::vector<float> a(s.rows.size() * 6), b(s.rows.size() * 6);
  s.encoder->embed(*s.input, s.rows, a.data());
  s.encoder->forward(*s.input, s.rows, b.data());
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace ngame
