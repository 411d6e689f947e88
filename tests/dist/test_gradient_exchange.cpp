// The data-parallel step: ranks that exchange their gradients (dense sums, touched embedding rows) apply the update
// one process applies to the union of their batches, and every rank ends with the same parameters.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "core/communicator.h"
#include "core/dense_math.h"
#include "dist/thread_group.h"
#include "encoder/bow_encoder.h"
#include "test_util.h"
#include "train/classifier_trainer.h"
#include "train/cosine_scores.h"
#include "train/encoder_trainer.h"
#include "train/shared_embedding.h"
#include "train/triplet_loss.h"

namespace ngame {
namespace {

const TextCorpus& corpus() {
  static const TextCorpus texts = testing::make_corpus(
      {"red running shoes", "blue winter hat", "red hat for winter", "shoes and hats", "green garden hose",
       "winter garden shoes", "blue red green", "hose for the garden"});
  return texts;
}

std::unique_ptr<BowEncoder> make_encoder() {
  Featurizer f({.min_count = 1, .bigram_buckets = 16});
  f.fit({&corpus()});
  return std::make_unique<BowEncoder>(std::move(f), BowEncoderConfig{.dim = 8, .hidden = 8}, 11);
}

// A fixed "loss gradient" for rows: L = sum(G * Y), G drawn from the rows' ids so that every caller agrees.
std::vector<float> gradient_for(const std::vector<uint32_t>& rows, size_t d) {
  std::vector<float> g;
  for (uint32_t r : rows) {
    std::mt19937 rng(r + 100);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (size_t j = 0; j < d; ++j) g.push_back(dist(rng));
  }
  return g;
}

// One training step of encoder on each batch in `batches` (forward and backward each, then one step()).
void train_steps(BowEncoder& encoder, const EncoderInput& input, const std::vector<std::vector<std::vector<uint32_t>>>& steps) {
  const size_t d = encoder.dim();
  for (const auto& batches : steps) {
    for (const auto& rows : batches) {
      std::vector<float> out(rows.size() * d);
      auto act = encoder.forward(input, rows, out.data());
      const std::vector<float> g = gradient_for(rows, d);
      encoder.backward(*act, g.data());
    }
    encoder.step(1.0f);
  }
}

std::vector<float> dense_of(BowEncoder& encoder) {
  std::vector<float> all;
  for (auto [p, n] : encoder.dense_parameters()) all.insert(all.end(), p, p + n);
  return all;
}

TEST(GradientExchange, TwoRanksApplyTheUpdateOfTheUnionOfTheirBatches) {
  // Rank 0's batches and rank 1's batches over three steps; they share some rows and so some embedding rows.
  const std::vector<std::vector<std::vector<uint32_t>>> rank0 = {{{0, 1, 2}}, {{4, 5}}, {{7}}};
  const std::vector<std::vector<std::vector<uint32_t>>> rank1 = {{{2, 3, 6}}, {{5, 6, 7}}, {{}}};
  std::vector<std::vector<std::vector<uint32_t>>> both;
  for (size_t s = 0; s < rank0.size(); ++s) both.push_back({rank0[s][0], rank1[s][0]});

  auto alone = make_encoder();
  const auto input = alone->prepare(corpus());
  const std::vector<float> start = alone->embeddings();
  train_steps(*alone, *input, both);

  testing::ThreadMeeting meeting(2);
  std::unique_ptr<BowEncoder> ranks[2] = {make_encoder(), make_encoder()};
  std::vector<CommunicationStats> traffic(2);
  {
    std::vector<std::thread> threads;
    for (int r = 0; r < 2; ++r) {
      threads.emplace_back([&, r] {
        testing::ThreadGroup group(meeting, r);
        ranks[r]->set_gradient_group(&group);
        train_steps(*ranks[r], *input, r == 0 ? rank0 : rank1);
        ranks[r]->set_gradient_group(nullptr);
        traffic[r] = group.stats();
      });
    }
    for (auto& t : threads) t.join();
  }
  // Both ranks hold the same bits; they equal the single process's up to the order of float additions.
  EXPECT_EQ(ranks[0]->embeddings(), ranks[1]->embeddings());
  EXPECT_EQ(dense_of(*ranks[0]), dense_of(*ranks[1]));
  const std::vector<float>& want = alone->embeddings();
  const std::vector<float>& got = ranks[0]->embeddings();
  ASSERT_EQ(want.size(), got.size());
  size_t moved = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], 1e-6) << "embedding value " << i;
    moved += want[i] != start[i];
  }
  EXPECT_GT(moved, 0u);  // the steps did change the table
  const std::vector<float> want_dense = dense_of(*alone), got_dense = dense_of(*ranks[0]);
  for (size_t i = 0; i < want_dense.size(); ++i) EXPECT_NEAR(got_dense[i], want_dense[i], 1e-6) << "dense value " << i;
  // The rows exchanged are the touched ones: a step's payload is far below the whole table.
  // Four collectives a step: the dense gradients' lengths, their reduce-scatter and the all-gather of its parts,
  // then the embedding rows.
  EXPECT_EQ(traffic[0].calls, 12u);
  EXPECT_LT(traffic[0].bytes_sent, 3 * (dense_of(*alone).size() * 4 + want.size() * 4));
}

// A margin that every negative violates (cosines lie in [-1, 1]), so that every column has a gradient.
const TripletLossConfig kWideMargin{.margin = 2.0f};

// One process's step on a batch: the loop body of train_encoder.
void union_step(Encoder& encoder, const EncoderInput& docs, const EncoderInput& labels, const SparseMatrix& positives,
                const Batch& batch) {
  const size_t d = encoder.dim(), b = batch.docs.size(), m = batch.positives.size();
  std::vector<float> doc_emb(b * d), label_emb(m * d);
  auto doc_act = encoder.forward(docs, batch.docs, doc_emb.data());
  auto label_act = encoder.forward(labels, batch.positives, label_emb.data());
  CosineScores cs = cosine_scores(doc_emb.data(), b, label_emb.data(), m, d);
  const std::vector<uint8_t> is_positive = positive_mask(positives, batch.docs, batch.positives);
  std::vector<uint32_t> positive_col(b);
  for (size_t i = 0; i < b; ++i) positive_col[i] = static_cast<uint32_t>(i);
  std::vector<float> grad_scores(b * m), grad_docs(b * d), grad_labels(m * d);
  triplet_loss(cs.scores.data(), b, m, positive_col.data(), is_positive, kWideMargin, grad_scores.data());
  cosine_scores_backward(cs, grad_scores.data(), grad_docs.data(), grad_labels.data());
  encoder.backward(*doc_act, grad_docs.data());
  encoder.backward(*label_act, grad_labels.data());
  encoder.step(1.0f);
}

TEST(GradientExchange, SharedColumnsGiveOneProcesssStepOnTheUnion) {
  // Documents 0-7 with labels among 4 label texts; rank 0 takes a batch of three rows, rank 1 of two (unequal
  // shares: the weighting by rows matters), and the union is one process's batch of five.
  const TextCorpus label_texts = testing::make_corpus({"red shoes", "winter hat", "garden hose", "blue green"});
  const SparseMatrix positives =
      with_sorted_rows(testing::binary_matrix(4, {{0}, {1}, {1, 0}, {0}, {2}, {2, 1}, {3}, {2}}));
  const Batch a{.docs = {0, 1, 4}, .positives = {0, 1, 2}, .extra_labels = {}};
  const Batch b{.docs = {6, 2}, .positives = {3, 1}, .extra_labels = {}};
  const Batch both{.docs = {0, 1, 4, 6, 2}, .positives = {0, 1, 2, 3, 1}, .extra_labels = {}};

  auto alone = make_encoder();
  const auto docs = alone->prepare(corpus());
  const auto labels = alone->prepare(label_texts);
  const std::vector<float> start = alone->embeddings();
  union_step(*alone, *docs, *labels, positives, both);
  union_step(*alone, *docs, *labels, positives, both);

  testing::ThreadMeeting meeting(2);
  std::unique_ptr<BowEncoder> ranks[2] = {make_encoder(), make_encoder()};
  std::vector<double> losses(2);
  {
    std::vector<std::thread> threads;
    for (int r = 0; r < 2; ++r) {
      threads.emplace_back([&, r] {
        testing::ThreadGroup group(meeting, r);
        ranks[r]->set_gradient_group(&group);
        for (int step = 0; step < 2; ++step) {
          losses[r] = shared_batch_backward(*ranks[r], *docs, *labels, positives, r == 0 ? a : b, kWideMargin, nullptr,
                                            group);
          ranks[r]->step(1.0f);
        }
        ranks[r]->set_gradient_group(nullptr);
      });
    }
    for (auto& t : threads) t.join();
  }
  EXPECT_EQ(ranks[0]->embeddings(), ranks[1]->embeddings());
  EXPECT_EQ(dense_of(*ranks[0]), dense_of(*ranks[1]));
  const std::vector<float>& want = alone->embeddings();
  size_t moved = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(ranks[0]->embeddings()[i], want[i], 1e-6) << "embedding value " << i;
    moved += want[i] != start[i];
  }
  EXPECT_GT(moved, 0u);
  const std::vector<float> want_dense = dense_of(*alone), got_dense = dense_of(*ranks[0]);
  for (size_t i = 0; i < want_dense.size(); ++i) EXPECT_NEAR(got_dense[i], want_dense[i], 1e-6) << "dense value " << i;
  EXPECT_GT(losses[0], 0.0);
}

TEST(GradientExchange, DataParallelClassifiersTakeOneProcesssStep) {
  // 40 rows of 6 labels in 8 dimensions; one epoch of one batch holding every row, no dropout: one process takes
  // one step on all rows, two ranks one step on their halves with the union of their columns.
  const size_t d = 8, labels = 6, rows = 40;
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> docs(rows * d), label_emb(labels * d);
  std::vector<std::vector<uint32_t>> row_labels;
  for (size_t r = 0; r < rows; ++r) {
    row_labels.push_back({static_cast<uint32_t>(r % labels)});
    if (r % 3 == 0) row_labels.back().push_back(static_cast<uint32_t>((r + 1) % labels));
  }
  for (float& v : docs) v = normal(rng);
  for (float& v : label_emb) v = normal(rng);
  normalize_rows(docs.data(), rows, d);
  normalize_rows(label_emb.data(), labels, d);
  const SparseMatrix y = testing::binary_matrix(labels, row_labels);
  ClassifierTrainConfig config;
  config.epochs = 1;
  config.dropout = 0.0f;
  config.lr = 0.05f;
  config.warmup_steps = 0;
  config.batching.batch_size = 64;
  const std::vector<float> alone = train_classifiers(docs, y, label_emb, d, config);
  testing::ThreadMeeting meeting(2);
  std::vector<std::vector<float>> ranks(2);
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      testing::ThreadGroup group(meeting, r);
      ranks[r] = train_classifiers(docs, y, label_emb, d, config, {}, &group);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ranks[0], ranks[1]);
  ASSERT_EQ(ranks[0].size(), alone.size());
  double moved = 0;
  for (size_t i = 0; i < alone.size(); ++i) {
    EXPECT_NEAR(ranks[0][i], alone[i], 1e-6) << "classifier value " << i;
    moved += std::abs(alone[i] - label_emb[i]);
  }
  EXPECT_GT(moved, 1e-3);  // the step moved the vectors
}

TEST(GradientExchange, RowsTrafficFollowsTheBatchNotTheVocabulary) {
  // The same batch on a featurizer with 64x the hashed buckets: the bytes a rank sends do not grow.
  auto bytes_for = [](uint32_t buckets) {
    Featurizer f({.min_count = 1, .bigram_buckets = buckets});
    f.fit({&corpus()});
    BowEncoder encoder(std::move(f), BowEncoderConfig{.dim = 8, .hidden = 8}, 11);
    const auto input = encoder.prepare(corpus());
    // Rank 0 trains one batch; rank 1 has no batch this step and only takes part in the exchange.
    testing::ThreadMeeting pair(2);
    BowEncoder idle = encoder;  // the same parameters; no batch of its own
    std::thread other([&] {
      testing::ThreadGroup g1(pair, 1);
      idle.set_gradient_group(&g1);
      idle.step(1.0f);
    });
    testing::ThreadGroup g0(pair, 0);
    encoder.set_gradient_group(&g0);
    train_steps(encoder, *input, {{{0, 1}}});
    encoder.set_gradient_group(nullptr);
    other.join();
    return std::make_pair(g0.stats().bytes_sent, encoder.embeddings().size());
  };
  const auto [small_sent, small_table] = bytes_for(16);
  const auto [large_sent, large_table] = bytes_for(1024);
  EXPECT_GT(large_table, 20 * small_table);
  EXPECT_EQ(small_sent, large_sent);
}

TEST(SharedEmbedding, RanksTogetherGiveEmbedAllsFloats) {
  auto encoder = make_encoder();
  TextCorpus many;
  for (size_t i = 0; i < 3 * kEmbedBlockRows + 17; ++i) many.push_back(corpus()[i % corpus().size()]);
  const auto input = encoder->prepare(many);
  std::vector<float> want(many.size() * encoder->dim());
  encoder->embed_all(*input, want.data());
  testing::ThreadMeeting meeting(2);
  std::vector<std::vector<float>> got(2, std::vector<float>(want.size(), -1.0f));
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      testing::ThreadGroup group(meeting, r);
      embed_all_shared(*encoder, *input, got[r].data(), &group);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(got[0], want);
  EXPECT_EQ(got[1], want);
}

TEST(Communicator, SumsInRankOrderAndDealsShares) {
  testing::ThreadMeeting meeting(3);
  std::vector<uint64_t> maxes(3);
  std::vector<std::vector<float>> sums(3);
  std::vector<std::thread> threads;
  for (int r = 0; r < 3; ++r) {
    threads.emplace_back([&, r] {
      testing::ThreadGroup group(meeting, r);
      maxes[r] = all_max(group, static_cast<uint64_t>(10 * r + 1));
      sums[r] = {1.0f * r, 1e8f * (r == 0 ? 1 : 0), 1.0f};
      all_sum_in_place(group, sums[r]);
      group.barrier();
    });
  }
  for (auto& t : threads) t.join();
  for (int r = 0; r < 3; ++r) {
    EXPECT_EQ(maxes[r], 21u);
    EXPECT_EQ(sums[r], (std::vector<float>{3.0f, 1e8f, 3.0f}));
  }
  // A reduce-scatter: rank r gets the sums of its part only (parts of 1, 0 and 3 elements), and its traffic counts
  // its part from each other rank, not whole arrays.
  std::vector<std::vector<float>> parts(3);
  std::vector<CommunicationStats> traffic(3);
  threads.clear();
  for (int r = 0; r < 3; ++r) {
    threads.emplace_back([&, r] {
      testing::ThreadGroup group(meeting, r);
      const std::vector<float> values = {1.0f + r, 10.0f * r, 100.0f, 0.5f * r, -1.0f};
      parts[r] = group.reduce_scatter_sum(values, {1, 0, 4});
      traffic[r] = group.stats();
      EXPECT_THROW(group.reduce_scatter_sum(values, {1, 1, 1}), std::exception);  // counts must add up
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(parts[0], (std::vector<float>{6.0f}));
  EXPECT_TRUE(parts[1].empty());
  EXPECT_EQ(parts[2], (std::vector<float>{30.0f, 300.0f, 1.5f, -3.0f}));
  EXPECT_EQ(traffic[0].bytes_received, 2 * 1 * sizeof(float));
  EXPECT_EQ(traffic[0].bytes_sent, 4 * sizeof(float));
  EXPECT_EQ(traffic[2].bytes_received, 2 * 4 * sizeof(float));
  EXPECT_EQ(traffic[1].bytes_received, 0u);
  // Shares cover [0, n) without gaps or overlaps.
  uint64_t next = 0;
  for (int r = 0; r < 4; ++r) {
    const auto [b, e] = contiguous_share(10, r, 4);
    EXPECT_EQ(b, next);
    next = e;
  }
  EXPECT_EQ(next, 10u);
}

}  // namespace
}  // namespace ngame
