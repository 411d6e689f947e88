// The fusion's ranking on hand-made candidates: the weighted sum and its ties, the re-ranker's window, and fitting
// the blend's weights on validation rows.
#include <gtest/gtest.h>

#include <memory>

#include "core/error.h"
#include "encoder/bow_encoder.h"
#include "eval/metrics.h"
#include "model/model_store.h"
#include "predict/fused_predictor.h"
#include "predict/rank_features.h"
#include "test_util.h"
#include "train/fusion_fitting.h"

namespace ngame {
namespace {

constexpr size_t kLabels = 6;

// A predictor over kLabels labels with no scorers: rank() reads only the candidates it is given.
class FusedRanking : public ::testing::Test {
 protected:
  FusedRanking() {
    TextCorpus labels;
    for (size_t l = 0; l < kLabels; ++l) labels.push_back("label " + std::to_string(l));
    Featurizer f({.min_count = 1, .bigram_buckets = 4});
    f.fit({&labels});
    model.encoder = std::make_unique<BowEncoder>(std::move(f), BowEncoderConfig{.dim = 8, .hidden = 4}, 1);
    model.label_texts = labels;
    model.label_embeddings.assign(kLabels * 8, 0.0f);
    for (size_t l = 0; l < kLabels; ++l) model.label_embeddings[l * 8 + l] = 1.0f;
    model.build_missing_indices(HnswConfig{}, AnnChoice::kExact, 100, false);
    predictor = std::make_unique<FusedPredictor>(*model.encoder, model.label_embeddings, *model.label_index,
                                                 std::array<const Scorer*, kScorerCount>{}, nullptr,
                                                 PredictorConfig{});
  }
  // Appends one query's candidates: (label, scores) pairs.
  static void add_query(CandidateSet& set,
                        const std::vector<std::pair<uint32_t, std::array<float, kScorerCount>>>& cands) {
    for (const auto& [label, scores] : cands) {
      set.labels.push_back(label);
      set.scores.push_back(scores);
    }
    set.offsets.push_back(set.labels.size());
  }
  static std::vector<uint32_t> ids(const SparseMatrix& m, uint64_t row) {
    auto r = m.row_indices(row);
    return {r.begin(), r.end()};
  }
  static std::vector<float> values(const SparseMatrix& m, uint64_t row) {
    auto r = m.row_values(row);
    return {r.begin(), r.end()};
  }
  static FusionWeights weights(std::array<float, kScorerCount> w) {
    FusionWeights out;
    out.weight = w;
    return out;
  }
  // A one-tree re-ranker over the 19 features: value `low` where feature <= threshold, else `high`.
  static RankBooster split_tree(size_t feature, float threshold, float low, float high) {
    const size_t width = rank_feature_count(kScorerCount);
    return RankBooster::from_json({{"features", width},
                                   {"roots", {0}},
                                   {"nodes", {{int(feature), threshold, 1, 2, 0.0f},
                                              {-1, 0.0f, -1, -1, low},
                                              {-1, 0.0f, -1, -1, high}}}},
                                  width);
  }
  // The last feature: the candidate's position in the linear order.
  static constexpr size_t kLinearPosition = rank_feature_count(kScorerCount) - 1;
  ModelParts model;
  std::unique_ptr<FusedPredictor> predictor;
};

TEST_F(FusedRanking, ScoresAreTheWeightedSumAndTiesGoToTheLowerId) {
  CandidateSet set;
  // label: embedding, classifier, memory, lexical, prior
  add_query(set, {{4, {0.5f, 0.1f, 0.0f, 0.0f, 0.0f}},
                  {1, {0.2f, 0.5f, 0.0f, 0.0f, 0.0f}},
                  {3, {0.1f, 0.1f, 1.0f, 0.0f, 0.0f}},
                  {0, {0.0f, 0.0f, 0.0f, 0.0f, 0.0f}}});
  const FusionWeights w = weights({1.0f, 2.0f, 0.5f, 0.0f, 0.0f});
  // Fused: 4 -> 0.7, 1 -> 1.2, 3 -> 0.8, 0 -> 0.
  const SparseMatrix top = predictor->rank(set, w, 3, {});
  ASSERT_EQ(top.rows, 1u);
  EXPECT_EQ(top.cols, kLabels);
  EXPECT_EQ(ids(top, 0), (std::vector<uint32_t>{1, 3, 4}));
  const std::vector<float> v = values(top, 0);
  EXPECT_FLOAT_EQ(v[0], 1.2f);
  EXPECT_FLOAT_EQ(v[1], 0.8f);
  EXPECT_FLOAT_EQ(v[2], 0.7f);
  // Other weights, other order: the embedding alone.
  EXPECT_EQ(ids(predictor->rank(set, weights({1, 0, 0, 0, 0}), 2, {}), 0), (std::vector<uint32_t>{4, 1}));

  // Equal fused scores: the lower label id first, whatever the candidate order.
  CandidateSet tied;
  add_query(tied, {{5, {0.5f, 0, 0, 0, 0}}, {2, {0.5f, 0, 0, 0, 0}}, {3, {0.25f, 0.25f, 0, 0, 0}}});
  add_query(tied, {});  // a query without candidates gives an empty row
  const SparseMatrix t = predictor->rank(tied, weights({1, 1, 0, 0, 0}), 3, {});
  EXPECT_EQ(ids(t, 0), (std::vector<uint32_t>{2, 3, 5}));
  EXPECT_TRUE(ids(t, 1).empty());
}

TEST_F(FusedRanking, TheReRankerReordersOnlyItsWindow) {
  // One tree: the linear fusion's first candidate (the last feature, its position, is 0) scores 0, every other 1.
  // So within the window the linear top falls to the window's end; below the window the linear order stays.
  RankBooster demote_first = split_tree(kLinearPosition, 0.5f, 0.0f, 1.0f);
  ASSERT_EQ(demote_first.trees(), 1u);
  CandidateSet set;
  add_query(set, {{0, {0.9f, 0, 0, 0, 0}}, {1, {0.8f, 0, 0, 0, 0}}, {2, {0.7f, 0, 0, 0, 0}},
                  {3, {0.6f, 0, 0, 0, 0}}, {4, {0.5f, 0, 0, 0, 0}}});
  const FusionWeights w = weights({1, 0, 0, 0, 0});
  const SparseMatrix top = predictor->rank(set, w, 5, {&demote_first, 3});
  EXPECT_EQ(ids(top, 0), (std::vector<uint32_t>{1, 2, 0, 3, 4}));
  const std::vector<float> v = values(top, 0);
  EXPECT_FLOAT_EQ(v[0], 1.0f);  // the re-ranker's score replaces the linear one inside the window
  EXPECT_FLOAT_EQ(v[2], 0.0f);
  EXPECT_LT(v[3], v[2]);  // below the window: scores under the window's lowest, in linear order
  EXPECT_LT(v[4], v[3]);
  // A wider window takes in more candidates; k below the window still returns k.
  EXPECT_EQ(ids(predictor->rank(set, w, 5, {&demote_first, 5}), 0), (std::vector<uint32_t>{1, 2, 3, 4, 0}));
  EXPECT_EQ(ids(predictor->rank(set, w, 2, {&demote_first, 5}), 0), (std::vector<uint32_t>{1, 2}));
  // An empty re-ranker is no re-ranker.
  RankBooster none;
  EXPECT_EQ(ids(predictor->rank(set, w, 3, {&none, 3}), 0), (std::vector<uint32_t>{0, 1, 2}));
}

TEST_F(FusedRanking, BelowTheFreeSeatsTheReRankerCannotDemoteACandidateWithoutTrainingRows) {
  // One tree that scores candidates without training rows (prior term 0) 0 and the others 1: alone it sends label 3,
  // which has no training rows, to the window's end.
  RankBooster distrust_unseen = split_tree(kPriorScorer, 0.25f, 0.0f, 1.0f);
  CandidateSet set;
  add_query(set, {{0, {0.9f, 0, 0, 0, 0.5f}}, {1, {0.8f, 0, 0, 0, 0.5f}}, {2, {0.7f, 0, 0, 0, 0.5f}},
                  {3, {0.6f, 0, 0, 0, 0.0f}}, {4, {0.5f, 0, 0, 0, 0.5f}}, {5, {0.4f, 0, 0, 0, 0.5f}}});
  FusionWeights w = weights({1, 0, 0, 0, 0});
  EXPECT_EQ(ids(predictor->rank(set, w, 6, {&distrust_unseen, 6, false, false, 2}), 0),
            (std::vector<uint32_t>{0, 1, 2, 4, 5, 3}));  // no weights of its own for them: the re-ranker's order
  w.unseen = w.weight;
  const SparseMatrix kept = predictor->rank(set, w, 6, {&distrust_unseen, 6, false, false, 2});
  EXPECT_EQ(ids(kept, 0), (std::vector<uint32_t>{0, 1, 2, 3, 4, 5}));
  const std::vector<float> v = values(kept, 0);
  for (size_t p = 1; p < v.size(); ++p) EXPECT_GT(v[p - 1], v[p]) << "seat " << p;
  // Inside the free seats the re-ranker decides alone: every seat free.
  EXPECT_EQ(ids(predictor->rank(set, w, 4, {&distrust_unseen, 6, false, false, 6}), 0), (std::vector<uint32_t>{0, 1, 2, 4}));
}

TEST_F(FusedRanking, ACandidateWithoutTrainingRowsKeepsItsPlaceAmongTheRest) {
  // One tree on the last feature, the linear position p: p <= 2 scores 0.5, p = 3 scores 0, p = 4 scores 0.8 and
  // p = 5 scores 1. The fourth linear candidate, label 4, has no training rows.
  const size_t width = rank_feature_count(kScorerCount);
  const int pos = int(width - 1);
  RankBooster tree = RankBooster::from_json(
      {{"features", width},
       {"roots", {0}},
       {"nodes", {{pos, 3.5f, 1, 2, 0.0f},
                  {pos, 2.5f, 3, 4, 0.0f},
                  {pos, 4.5f, 5, 6, 0.0f},
                  {-1, 0.0f, -1, -1, 0.5f},
                  {-1, 0.0f, -1, -1, 0.0f},
                  {-1, 0.0f, -1, -1, 0.8f},
                  {-1, 0.0f, -1, -1, 1.0f}}}},
      width);
  CandidateSet set;
  add_query(set, {{0, {0.9f, 0, 0, 0, 0.5f}}, {1, {0.8f, 0, 0, 0, 0.5f}}, {2, {0.7f, 0, 0, 0, 0.5f}},
                  {4, {0.6f, 0, 0, 0, 0.0f}}, {3, {0.5f, 0, 0, 0, 0.5f}}, {5, {0.4f, 0, 0, 0, 0.5f}}});
  FusionWeights w = weights({1, 0, 0, 0, 0});
  // The re-ranker alone: label 4 last.
  EXPECT_EQ(ids(predictor->rank(set, w, 6, {&tree, 20, false, false, 1}), 0),
            (std::vector<uint32_t>{5, 3, 0, 1, 2, 4}));  // no weights for unseen candidates: no kept places
  w.unseen = w.weight;
  EXPECT_EQ(ids(predictor->rank(set, w, 6, {&tree, 20, false, false, 6}), 0),
            (std::vector<uint32_t>{5, 3, 0, 1, 2, 4}));  // every seat free
  // One free seat: label 5 takes it; the rest (0 1 2 4 3 in linear order) keep label 4 fourth, and labels 0-3 are
  // reordered by the re-ranker in the other places, label 3 first of them.
  const SparseMatrix one = predictor->rank(set, w, 6, {&tree, 20, false, false, 1});
  EXPECT_EQ(ids(one, 0), (std::vector<uint32_t>{5, 3, 0, 1, 4, 2}));
  const std::vector<float> v = values(one, 0);
  for (size_t p = 1; p < v.size(); ++p) EXPECT_GT(v[p - 1], v[p]) << "seat " << p;
  // Two free seats: labels 5 and 3 take them, from below label 4, which moves down one place for each.
  EXPECT_EQ(ids(predictor->rank(set, w, 6, {&tree, 20, false, false, 2}), 0),
            (std::vector<uint32_t>{5, 3, 0, 1, 2, 4}));
}

TEST_F(FusedRanking, TextsWithoutAVocabularyWordRankByTheirLexicalTermAlone) {
  // Two queries with the same candidates: the first knows its words, the second none (its embedding term says
  // nothing). The lexical term prefers label 2; the fitted weights ignore it.
  CandidateSet set;
  for (int q = 0; q < 2; ++q) {
    add_query(set, {{0, {0.9f, 0, 0, 0.1f, 0.5f}}, {1, {0.8f, 0, 0, 0.2f, 0.5f}}, {2, {0.1f, 0, 0, 0.6f, 0.0f}}});
  }
  set.words_unknown = {0, 1};
  const FusionWeights w = weights({1, 0, 0, 0, 0});
  Reranking rules{nullptr, 0, false, true};
  const SparseMatrix top = predictor->rank(set, w, 3, rules);
  EXPECT_EQ(ids(top, 0), (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_EQ(ids(top, 1), (std::vector<uint32_t>{2, 1, 0}));
  EXPECT_FLOAT_EQ(values(top, 1)[0], 0.6f);
  EXPECT_EQ(ids(predictor->rank(set, w, 3, {}), 1), (std::vector<uint32_t>{0, 1, 2}));  // off: the fitted weights
  // Candidates that share nothing with the text (lexical term 0) follow in blend order, not by label id.
  CandidateSet none;
  add_query(none, {{5, {0.9f, 0, 0, 0, 0.5f}}, {0, {0.1f, 0, 0, 0, 0.5f}}, {3, {0.5f, 0, 0, 0, 0.5f}}});
  none.words_unknown = {1};
  EXPECT_EQ(ids(predictor->rank(none, w, 3, rules), 0), (std::vector<uint32_t>{5, 3, 0}));
}

TEST_F(FusedRanking, LabelsWhoseOwnTextTheQueryRepeatsLeadEvenBelowTheCut) {
  // label: embedding, classifier, memory, lexical, prior. Labels 3 and 5 repeat the text (lexical cosine 1 within
  // rounding); 5 sits last by the linear fusion, below k. Label 2 only comes close (0.99).
  CandidateSet set;
  add_query(set, {{0, {0.9f, 0, 0, 0.20f, 0}}, {1, {0.8f, 0, 0, 0.30f, 0}}, {2, {0.7f, 0, 0, 0.99f, 0}},
                  {3, {0.4f, 0, 0, 0.9995f, 0}}, {4, {0.3f, 0, 0, 0, 0}}, {5, {0.1f, 0, 0, 1.0f, 0}}});
  add_query(set, {{0, {0.9f, 0, 0, 0.5f, 0}}, {1, {0.8f, 0, 0, 0.5f, 0}}});  // no repeat: the linear order
  const FusionWeights w = weights({1, 0, 0, 0, 0});
  const SparseMatrix top = predictor->rank(set, w, 3, {nullptr, 0, true});
  EXPECT_EQ(ids(top, 0), (std::vector<uint32_t>{3, 5, 0}));  // the repeats in linear order, then the rest
  const std::vector<float> v = values(top, 0);
  EXPECT_GT(v[0], v[1]);
  EXPECT_GT(v[1], v[2]);
  EXPECT_EQ(ids(top, 1), (std::vector<uint32_t>{0, 1}));
  // Off (the default of rank()), the linear order alone.
  EXPECT_EQ(ids(predictor->rank(set, w, 3, {}), 0), (std::vector<uint32_t>{0, 1, 2}));
  // Over a re-ranker that demotes the linear top: the repeats still lead, the re-ranked window follows.
  RankBooster demote_first = split_tree(kLinearPosition, 0.5f, 0.0f, 1.0f);
  EXPECT_EQ(ids(predictor->rank(set, w, 4, {&demote_first, 3, true}), 0), (std::vector<uint32_t>{3, 5, 1, 2}));
}

TEST_F(FusedRanking, FittingTheBlendFindsTheScorerThatKnows) {
  // 40 validation queries of 4 candidates. The embedding prefers a wrong label by a little; the classifier gives
  // the relevant label a clear lead; the memory is noise. Only a blend that weighs the classifier ranks right.
  CandidateSet set;
  SparseMatrix truth;
  truth.cols = kLabels;
  for (uint32_t q = 0; q < 40; ++q) {
    const uint32_t right = q % kLabels, wrong = (q + 1) % kLabels, other = (q + 2) % kLabels,
                   last = (q + 3) % kLabels;
    const float noise = static_cast<float>((q * 7) % 5) / 10.0f;
    add_query(set, {{right, {0.50f, 0.9f, noise, 0, 0}},
                    {wrong, {0.55f, 0.1f, 0.4f - noise / 2, 0, 0}},
                    {other, {0.20f, 0.2f, 0.2f, 0, 0}},
                    {last, {0.10f, 0.0f, 0.1f, 0, 0}}});
    truth.append_row(std::vector<uint32_t>{right}, std::vector<float>{1.0f});
  }
  const std::vector<double> inv_propensity(kLabels, 1.0);
  nlohmann::json report;
  const FusionWeights fitted = fit_fusion(*predictor, set, truth, inv_propensity, report);
  EXPECT_DOUBLE_EQ(report["alone"]["embedding"]["P@1"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(report["alone"]["classifier"]["P@1"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(report["fused"]["P@1"].get<double>(), 100.0);
  EXPECT_GT(fitted.weight[kClassifierScorer], 0.0f);
  EXPECT_GT(fitted.weight[kEmbeddingScorer], 0.0f);  // the scale is kept
  // The fitted weights rank every validation query right, and the report's ablation says the classifier mattered.
  const MetricsReport m = compute_metrics(predictor->rank(set, fitted, 5, {}), truth, inv_propensity, 5);
  EXPECT_DOUBLE_EQ(m.precision[0], 1.0);
  EXPECT_LT(report["without"]["classifier"]["P@1"].get<double>(), 100.0);
  // The refits without a scorer never leave the fit worse than its first optimum.
  EXPECT_LE(report["first_optimum"]["P@1"].get<double>(), report["fused"]["P@1"].get<double>());
  EXPECT_EQ(report["weights"], fitted.to_json());
}

TEST_F(FusedRanking, UnseenWeightsApplyToCandidatesWithoutTrainingRows) {
  FusionWeights w = weights({1, 1, 0, 0, 1});
  std::array<float, kScorerCount> seen = {0.5f, 0.5f, 0, 0.9f, 0.2f}, unseen = {0.5f, 0.5f, 0, 0.9f, 0};
  EXPECT_FLOAT_EQ(w.blend(seen), 1.2f);
  EXPECT_FLOAT_EQ(w.blend(unseen), 1.0f);
  w.unseen = std::array<float, kScorerCount>{0, 0, 0, 2, 0};
  EXPECT_FLOAT_EQ(w.blend(seen), 1.2f);  // a candidate with training rows keeps the main weights
  EXPECT_FLOAT_EQ(w.blend(unseen), 1.8f);
  EXPECT_TRUE(w.uses(kLexicalScorer));
  EXPECT_FALSE(w.uses(kMemoryScorer));
  // fusion.json keeps them; weights written before them have none.
  const FusionWeights back = FusionWeights::from_json(w.to_json());
  ASSERT_TRUE(back.unseen.has_value());
  EXPECT_EQ(*back.unseen, *w.unseen);
  EXPECT_FALSE(FusionWeights::from_json({{"embedding", 1.0}, {"classifier", 0.5}}).unseen.has_value());
  EXPECT_THROW(FusionWeights::from_json({{"embedding", 1.0}, {"unseen", {{"lexical", "x"}}}}), InputError);
}

TEST_F(FusedRanking, FittingGivesUnseenCandidatesTheirOwnWeights) {
  // Half the queries choose between two labels with training rows, where the classifier is right and the lexical
  // overlap misleads (a single weighting needs lexical < 0.53 x classifier); the other half want an unseen label that
  // only its text finds, over a seen label the classifier likes better (lexical > classifier). Separate weights for
  // the candidates without training rows rank both right. The embedding leans a little to the wrong label, so that
  // no weighting wins by leaving the candidates tied (ties rank by label id).
  CandidateSet set;
  SparseMatrix truth;
  truth.cols = kLabels;
  for (uint32_t q = 0; q < 40; ++q) {
    const uint32_t a = q % kLabels, b = (q + 1) % kLabels;
    if (q % 2 == 0) {
      add_query(set, {{a, {0, 0.9f, 0, 0.15f, 0.5f}}, {b, {0.01f, 0.5f, 0, 0.9f, 0.5f}}});
    } else {
      add_query(set, {{a, {0, 0.2f, 0, 0.9f, 0}}, {b, {0.01f, 0.8f, 0, 0.3f, 0.5f}}});
    }
    truth.append_row(std::vector<uint32_t>{a}, std::vector<float>{1.0f});
  }
  const std::vector<double> inv_propensity(kLabels, 1.0);
  nlohmann::json report;
  const FusionWeights fitted = fit_fusion(*predictor, set, truth, inv_propensity, report, 1.0, true);
  ASSERT_TRUE(fitted.unseen.has_value());
  EXPECT_NE(*fitted.unseen, fitted.weight);
  EXPECT_DOUBLE_EQ(report["fused"]["P@1"].get<double>(), 100.0);
  const MetricsReport m = compute_metrics(predictor->rank(set, fitted, 1, {}), truth, inv_propensity, 1);
  EXPECT_DOUBLE_EQ(m.precision[0], 1.0);
  // Without unseen weights the fit gets one half wrong.
  nlohmann::json plain_report;
  EXPECT_FALSE(fit_fusion(*predictor, set, truth, inv_propensity, plain_report).unseen.has_value());
  EXPECT_LE(plain_report["fused"]["P@1"].get<double>(), 50.0);
  FusionWeights main_only = fitted;
  main_only.unseen.reset();
  EXPECT_LE(compute_metrics(predictor->rank(set, main_only, 1, {}), truth, inv_propensity, 1).precision[0], 0.5);
}

// rank() keeps a few best candidates by insertion as it blends them and sorts them all for a longer cut; both ways
// must give the same rows, ties (equal fused scores: the lower id first) included.
TEST(FusedRankingCuts, ShortAndLongCutsAgreeOnManyTiedCandidates) {
  constexpr size_t kMany = 200;
  TextCorpus labels;
  for (size_t l = 0; l < kMany; ++l) labels.push_back("label " + std::to_string(l));
  Featurizer f({.min_count = 1, .bigram_buckets = 4});
  f.fit({&labels});
  ModelParts model;
  model.encoder = std::make_unique<BowEncoder>(std::move(f), BowEncoderConfig{.dim = 8, .hidden = 4}, 1);
  model.label_texts = labels;
  model.label_embeddings.assign(kMany * 8, 0.125f);
  model.build_missing_indices(HnswConfig{}, AnnChoice::kExact, 100, false);
  const FusedPredictor predictor(*model.encoder, model.label_embeddings, *model.label_index,
                                 std::array<const Scorer*, kScorerCount>{}, nullptr, PredictorConfig{});
  CandidateSet set;
  uint64_t state = 7;
  for (size_t q = 0; q < 40; ++q) {
    const size_t count = q % 8 == 0 ? q / 8 : 30 + (q * 37) % 150;  // some queries with fewer candidates than k
    for (size_t c = 0; c < count; ++c) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      set.labels.push_back(static_cast<uint32_t>((c * 53 + q) % kMany));  // distinct labels within a query
      // Scores on a coarse grid, so that many fused scores tie.
      set.scores.push_back({static_cast<float>((state >> 33) % 8) * 0.25f, static_cast<float>((state >> 40) % 4) * 0.5f,
                            0.0f, 0.0f, 1.0f, 0.0f});
    }
    set.offsets.push_back(set.labels.size());
  }
  FusionWeights w;
  w.weight = {1.0f, 0.5f, 0.0f, 0.0f, 0.0f, 0.0f};
  const SparseMatrix all = predictor.rank(set, w, kMany, {});
  for (size_t k : {1, 5, 20, 32, 33, 100}) {
    const SparseMatrix cut = predictor.rank(set, w, k, {});
    ASSERT_EQ(cut.rows, all.rows);
    for (uint64_t r = 0; r < all.rows; ++r) {
      const auto full_ids = all.row_indices(r);
      const auto full_values = all.row_values(r);
      const size_t expected = std::min<size_t>(k, full_ids.size());
      ASSERT_EQ(cut.row_size(r), expected) << "k " << k << ", query " << r;
      for (size_t j = 0; j < expected; ++j) {
        EXPECT_EQ(cut.row_indices(r)[j], full_ids[j]) << "k " << k << ", query " << r << ", rank " << j;
        EXPECT_EQ(cut.row_values(r)[j], full_values[j]);
        if (j > 0) {  // best first; ties by the lower id
          const bool ordered = full_values[j - 1] > full_values[j] ||
                               (full_values[j - 1] == full_values[j] && full_ids[j - 1] < full_ids[j]);
          EXPECT_TRUE(ordered) << "query " << r << ", rank " << j;
        }
      }
    }
  }
}

}  // namespace
}  // namespace ngame
