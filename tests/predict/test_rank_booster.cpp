// The learned re-ranker: boosted trees find a non-linear relevance rule, survive a JSON round trip, reject malformed
// trees; the candidate features are what they claim to be.
#include "predict/rank_booster.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <limits>
#include <random>

#include "predict/rank_features.h"

namespace ngame {
namespace {

// Queries of 20 rows with 3 uniform features; the relevant row is the one maximising f1 * (1 - f2), which no
// single feature (and no linear blend in row order) finds.
RankRows interaction_rows(size_t queries, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  RankRows rows;
  rows.width = 3;
  for (size_t q = 0; q < queries; ++q) {
    size_t best = 0;
    float best_value = -1;
    for (size_t r = 0; r < 20; ++r) {
      const float f0 = u(rng), f1 = u(rng), f2 = u(rng);
      rows.values.insert(rows.values.end(), {f0, f1, f2});
      if (f1 * (1 - f2) > best_value) {
        best_value = f1 * (1 - f2);
        best = r;
      }
    }
    for (size_t r = 0; r < 20; ++r) rows.relevant.push_back(r == best);
    rows.groups.push_back(rows.values.size() / 3);
  }
  return rows;
}

TEST(RankBooster, LearnsANonLinearRuleOnHeldOutQueries) {
  RankRows rows = interaction_rows(1500, 7);
  RankBooster booster;
  RankBoosterConfig config;
  config.trees = 80;
  nlohmann::json report = booster.fit(rows, config);
  EXPECT_LT(report["holdout_linear_P@1"].get<double>(), 15.0);  // first row: chance, 1 in 20
  EXPECT_GT(report["holdout_reranked_P@1"].get<double>(), 60.0) << report.dump();
  EXPECT_GT(booster.trees(), 0u);
  // Fresh queries from the same rule.
  RankRows fresh = interaction_rows(300, 99);
  size_t hits = 0;
  for (size_t q = 0; q < fresh.queries(); ++q) {
    uint64_t best = fresh.groups[q];
    for (uint64_t r = best + 1; r < fresh.groups[q + 1]; ++r) {
      if (booster.score(&fresh.values[r * 3]) > booster.score(&fresh.values[best * 3])) best = r;
    }
    hits += fresh.relevant[best];
  }
  EXPECT_GT(hits, 150u);
}

TEST(RankBooster, NoSignalKeepsNoTrees) {
  RankRows rows = interaction_rows(400, 3);
  std::mt19937 rng(5);
  for (auto& r : rows.relevant) r = 0;
  for (size_t q = 0; q < rows.queries(); ++q) rows.relevant[rows.groups[q] + rng() % 20] = 1;  // random truth
  RankBooster booster;
  RankBoosterConfig config;
  config.trees = 20;
  config.seed = 11;
  nlohmann::json report = booster.fit(rows, config);
  // Whatever it kept must not be worse than the linear order on the hold-out.
  EXPECT_GE(report["holdout_reranked_P@1"].get<double>(), report["holdout_linear_P@1"].get<double>());
}

TEST(RankBooster, TreesAreKeptOnAnyHoldOutGainUnlessAMinimumGainIsAsked) {
  RankRows rows = interaction_rows(600, 7);
  RankBoosterConfig config;
  config.trees = 30;
  RankBooster any_gain;
  nlohmann::json report = any_gain.fit(rows, config);  // the default: any gain keeps the best number of trees
  ASSERT_GT(report["holdout_reranked_P@1"].get<double>(), report["holdout_linear_P@1"].get<double>());
  EXPECT_GT(any_gain.trees(), 0u);
  EXPECT_EQ(report["kept_trees"].get<size_t>(), any_gain.trees());
  // Asking for more gain than the hold-out shows keeps the linear order.
  config.min_gain = (report["holdout_reranked_P@1"].get<double>() - report["holdout_linear_P@1"].get<double>()) / 100 +
                    0.01;
  RankBooster demanding;
  report = demanding.fit(rows, config);
  EXPECT_EQ(demanding.trees(), 0u);
  EXPECT_EQ(report["kept_trees"].get<size_t>(), 0u);
  EXPECT_EQ(report["holdout_reranked_P@1"].get<double>(), report["holdout_linear_P@1"].get<double>());
}

TEST(RankBooster, RefitFitsTheChosenNumberOfTreesOnEveryQuery) {
  RankRows rows = interaction_rows(600, 7);
  RankBoosterConfig config;
  config.trees = 30;
  config.refit = false;
  RankBooster chosen;
  const nlohmann::json report = chosen.fit(rows, config);
  ASSERT_GT(chosen.trees(), 0u);
  EXPECT_FALSE(report.contains("refit_on_all_queries"));
  config.refit = true;
  RankBooster refit;
  const nlohmann::json refit_report = refit.fit(rows, config);
  EXPECT_TRUE(refit_report["refit_on_all_queries"].get<bool>());
  EXPECT_EQ(refit.trees(), chosen.trees());  // as many trees as the hold-out chose
  EXPECT_EQ(refit_report["kept_trees"], report["kept_trees"]);
  // The same trees as a fit of that many on every query, which differ from those fitted without the hold-out.
  RankBoosterConfig all = config;
  all.holdout = 0.0;
  all.trees = static_cast<uint32_t>(chosen.trees());
  RankBooster on_all;
  on_all.fit(rows, all);
  size_t differ = 0;
  for (size_t r = 0; r < rows.rows(); ++r) {
    const float* row = &rows.values[r * 3];
    ASSERT_EQ(refit.score(row), on_all.score(row));
    differ += refit.score(row) != chosen.score(row);
  }
  EXPECT_GT(differ, rows.rows() / 2);
}

TEST(RankBooster, JsonRoundTripScoresTheSameAndMalformedTreesFail) {
  RankRows rows = interaction_rows(500, 1);
  RankBooster booster;
  RankBoosterConfig config;
  config.trees = 10;
  config.holdout = 0.0;  // no hold-out: every fitted tree is kept
  booster.fit(rows, config);
  ASSERT_EQ(booster.trees(), 10u);
  RankBooster copy = RankBooster::from_json(nlohmann::json::parse(booster.to_json().dump()), 3);
  for (size_t r = 0; r < 50; ++r) EXPECT_EQ(copy.score(&rows.values[r * 3]), booster.score(&rows.values[r * 3]));
  nlohmann::json bad = booster.to_json();
  EXPECT_THROW(RankBooster::from_json(bad, 4), std::runtime_error);  // feature count differs
  bad["nodes"][0][2] = 0;                                            // a child pointing back at its parent
  bad["nodes"][0][0] = 0;
  EXPECT_THROW(RankBooster::from_json(bad, 3), std::runtime_error);
}

// score_rows walks complete trees (leaves above the deepest level copied down), several rows at once: each row must
// get score()'s float, NaN values included (they go right, as in the node walk); a tree too deep for that layout
// falls back to the node walk.
TEST(RankBooster, ScoringRowsTogetherGivesEachRowsScore) {
  RankRows rows = interaction_rows(600, 2);
  RankBooster booster;
  RankBoosterConfig config;
  config.trees = 25;
  config.depth = 6;
  config.min_leaf_rows = 300;  // leaves at several depths
  config.holdout = 0.0;
  booster.fit(rows, config);
  ASSERT_EQ(booster.trees(), 25u);
  std::vector<float> values(rows.values.begin(), rows.values.begin() + 3 * 203);
  for (size_t v = 5; v < values.size(); v += 17) values[v] = std::numeric_limits<float>::quiet_NaN();
  auto expect_rows_scored_alone = [&](const RankBooster& b) {
    std::vector<float> together(203);
    b.score_rows(values.data(), 203, together.data());
    for (size_t r = 0; r < 203; ++r) EXPECT_EQ(together[r], b.score(&values[r * 3])) << r;
  };
  expect_rows_scored_alone(booster);
  // Chains of splits on feature 0, each leaf its depth: 10 levels (the deepest complete layout) and 12 (walked
  // node by node).
  for (const int levels : {10, 12}) {
    nlohmann::json nodes = nlohmann::json::array();
    for (int d = 0; d < levels; ++d) {
      nodes.push_back({0, 0.95f - 0.07f * static_cast<float>(d), 2 * d + 2, 2 * d + 1, 0.0f});
      nodes.push_back({-1, 0.0f, -1, -1, static_cast<float>(d)});
    }
    nodes.push_back({-1, 0.0f, -1, -1, static_cast<float>(levels)});
    const RankBooster chain = RankBooster::from_json({{"features", 3}, {"roots", {0}}, {"nodes", nodes}}, 3);
    expect_rows_scored_alone(chain);
  }
  const RankBooster none = RankBooster::from_json({{"features", 3}, {"roots", nlohmann::json::array()},
                                                   {"nodes", nlohmann::json::array()}}, 3);
  expect_rows_scored_alone(none);
}

TEST(RankFeatures, LegacyLayoutOfFiveTermsIsUnchanged) {
  CandidateSet cands;
  // One query, three candidates (labels 7, 3, 9); terms: embedding, classifier, memory, lexical, prior.
  cands.labels = {7, 3, 9};
  cands.scores = {{0.9f, 0.1f, 0.0f, 0.2f, 0.5f}, {0.5f, 0.8f, 0.3f, 0.0f, 0.1f}, {0.2f, 0.2f, 0.0f, 0.9f, 0.0f}};
  cands.offsets = {0, 3};
  FusionWeights w;
  w.weight = {1.0f, 1.0f, 0.0f, 0.0f, 0.0f};  // linear: 1.0, 1.3, 0.4
  std::vector<uint64_t> positions;
  RankRows rows = rank_features(cands, w, 2, positions, kLegacyRankTerms);
  ASSERT_EQ(rows.width, 16u);  // what re-rankers saved before the sparse classifiers read
  ASSERT_EQ(rows.rows(), 2u);
  EXPECT_EQ(positions, (std::vector<uint64_t>{1, 0}));  // label 3 (1.3) then label 7 (1.0)
  const float* first = rows.values.data();
  EXPECT_FLOAT_EQ(first[1], 0.8f);           // classifier term
  EXPECT_FLOAT_EQ(first[5], 0.5f - 0.9f);    // embedding gap to the best
  EXPECT_FLOAT_EQ(first[9], 1.0f);           // second by embedding
  EXPECT_FLOAT_EQ(first[10], 0.0f);          // first by classifier
  EXPECT_FLOAT_EQ(first[12], 2.0f);          // last by lexical
  EXPECT_FLOAT_EQ(first[13], 1.3f);          // linear score
  EXPECT_FLOAT_EQ(first[14], 0.0f);          // its gap
  EXPECT_FLOAT_EQ(rows.values[16 + 15], 1.0f);  // second row's linear rank
  EXPECT_EQ(rank_feature_terms(16), kLegacyRankTerms);
}

TEST(RankFeatures, SparseTermHasItsOwnGapAndRank) {
  CandidateSet cands;
  // Terms: embedding, classifier, memory, lexical, prior, sparse.
  cands.labels = {7, 3, 9};
  cands.scores = {{0.9f, 0.1f, 0.0f, 0.2f, 0.5f, -0.5f},
                  {0.5f, 0.8f, 0.3f, 0.0f, 0.1f, 0.7f},
                  {0.2f, 0.2f, 0.0f, 0.9f, 0.0f, 0.1f}};
  cands.offsets = {0, 3};
  FusionWeights w;
  w.weight = {1.0f, 1.0f, 0.0f, 0.0f, 0.0f, 0.0f};  // linear: 1.0, 1.3, 0.4
  std::vector<uint64_t> positions;
  RankRows rows = rank_features(cands, w, 3, positions);
  ASSERT_EQ(rows.width, 19u);
  EXPECT_EQ(rank_feature_terms(19), kScorerCount);
  EXPECT_EQ(rank_feature_terms(17), 0u);
  EXPECT_EQ(positions, (std::vector<uint64_t>{1, 0, 2}));
  const float* second = rows.values.data() + rows.width;  // label 7
  EXPECT_FLOAT_EQ(second[5], -0.5f);               // its sparse term
  EXPECT_FLOAT_EQ(second[6 + 4], -0.5f - 0.7f);    // sparse gap to the best (label 3's 0.7)
  EXPECT_FLOAT_EQ(second[11 + 4], 2.0f);           // last by the sparse term
  EXPECT_FLOAT_EQ(second[16], 1.0f);               // linear score
  EXPECT_FLOAT_EQ(second[18], 1.0f);               // linear rank
}

// Each window candidate's rank by a term is counted (how many candidates beat it), not read off a full sort: it must
// be the place a full sort by (term desc, label asc) gives, with many tied scores; the window is the linear top.
TEST(RankFeatures, RanksAreThePlacesOfAFullSortWithTiesByLabel) {
  std::mt19937 rng(21);
  CandidateSet cands;
  for (size_t q = 0; q < 30; ++q) {
    const size_t n = 1 + rng() % 60;
    std::vector<uint32_t> labels(n);
    for (size_t c = 0; c < n; ++c) labels[c] = static_cast<uint32_t>(c * 7 + rng() % 7);
    std::shuffle(labels.begin(), labels.end(), rng);
    for (size_t c = 0; c < n; ++c) {
      cands.labels.push_back(labels[c]);
      std::array<float, kScorerCount> sc{};
      for (float& x : sc) x = static_cast<float>(rng() % 4) * 0.25f;  // coarse: ties everywhere
      cands.scores.push_back(sc);
    }
    cands.offsets.push_back(cands.labels.size());
  }
  FusionWeights w;
  w.weight = {1.0f, 0.5f, 0.25f, 0.0f, 0.0f, 1.0f};
  std::vector<uint64_t> positions;
  const size_t window = 20;
  RankRows rows = rank_features(cands, w, window, positions);
  const size_t ranked = kScorerCount - 1;  // every term but the prior
  size_t row = 0;
  for (size_t q = 0; q < cands.size(); ++q) {
    const uint64_t a = cands.offsets[q], b = cands.offsets[q + 1];
    auto place = [&](uint64_t c, auto value) {
      size_t p = 0;
      for (uint64_t x = a; x < b; ++x) {
        p += value(x) > value(c) || (value(x) == value(c) && cands.labels[x] < cands.labels[c]);
      }
      return p;
    };
    auto linear = [&](uint64_t x) { return w.blend(cands.scores[x]); };
    ASSERT_EQ(rows.groups[q + 1] - rows.groups[q], std::min<uint64_t>(window, b - a));
    for (uint64_t r = rows.groups[q]; r < rows.groups[q + 1]; ++r, ++row) {
      const uint64_t c = positions[r];
      EXPECT_EQ(place(c, linear), r - rows.groups[q]);  // the window in linear order
      const float* v = rows.values.data() + r * rows.width;
      size_t t_index = 0;
      for (size_t t = 0; t < kScorerCount; ++t) {
        if (t == kPriorScorer) continue;
        auto term = [&](uint64_t x) { return cands.scores[x][t]; };
        EXPECT_EQ(v[kScorerCount + ranked + t_index], static_cast<float>(place(c, term))) << "query " << q << " term " << t;
        ++t_index;
      }
    }
  }
  EXPECT_EQ(row, rows.rows());
}

}  // namespace
}  // namespace ngame
