// Scoring a text's candidates together (through the postings of its features) must give exactly the floats of
// scoring each candidate alone, for the sparse classifiers and the lexical scorer, on short postings read whole and
// long ones galloped through, with labels that have no classifier or were added after training.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "predict/lexical_scorer.h"
#include "predict/sparse_classifier_scorer.h"
#include "predict/vector_scorer.h"
#include "test_util.h"

namespace ngame {
namespace {

// Every label's weights on the first 8 features (postings as long as the label count: galloped) and on about 150
// of the others (postings of about 90: read whole); every 50th label has no classifier.
SparseClassifiers random_classifiers(uint32_t labels, uint32_t features, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  SparseClassifiers c;
  c.feature_count = features;
  for (uint32_t l = 0; l < labels; ++l) {
    std::vector<uint32_t> ids;
    std::vector<float> weights;
    if (l % 50 != 7) {
      for (uint32_t f = 0; f < features; ++f) {
        if (f < 8 || rng() % (features / 150) == 0) {
          ids.push_back(f);
          weights.push_back(u(rng));
        }
      }
    }
    c.append(ids, weights, ids.empty() ? 0.0f : u(rng), !ids.empty());
  }
  return c;
}

// Rows of a few sorted features, one of them among the first 8 in every other row.
FeatureRows random_rows(size_t rows, uint32_t features, uint64_t seed) {
  std::mt19937_64 rng(seed);
  FeatureRows out;
  for (size_t r = 0; r < rows; ++r) {
    std::vector<uint32_t> ids;
    if (r % 2) ids.push_back(static_cast<uint32_t>(rng() % 8));
    for (int k = 0; k < 6; ++k) ids.push_back(static_cast<uint32_t>(rng() % features));
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (uint32_t id : ids) {
      out.ids.push_back(id);
      out.weights.push_back(std::uniform_real_distribution<float>(0.05f, 1.0f)(rng));
    }
    out.offsets.push_back(out.ids.size());
  }
  return out;
}

// Sorted distinct candidates: n labels below `labels`, plus two past it (added after training).
std::vector<uint32_t> random_candidates(size_t n, uint32_t labels, std::mt19937_64& rng) {
  std::vector<uint32_t> out;
  while (out.size() < n) out.push_back(static_cast<uint32_t>(rng() % labels));
  out.push_back(labels);
  out.push_back(labels + 3);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

TEST(CandidateScoring, SparseClassifiersTogetherEqualOneByOne) {
  const uint32_t labels = 3000, features = 6000;
  const SparseClassifiers classifiers = random_classifiers(labels, features, 3);
  const FeatureRows rows = random_rows(60, features, 4);
  const SparseClassifierScorer scorer(classifiers);
  QueryBatch batch;
  batch.size = rows.size();
  batch.tfidf = &rows;
  const auto scored = scorer.score_batch(batch, 0, true, PredictorConfig{});
  std::mt19937_64 rng(5);
  size_t compared = 0, without = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t n : {size_t{1}, size_t{40}, size_t{400}}) {
      const std::vector<uint32_t> cand = random_candidates(n, labels, rng);
      std::vector<float> together(cand.size() * 3, -7.0f);
      scored->score_all(i, cand, together.data() + 1, 3);  // a stride, as the fused predictor's score rows
      for (size_t c = 0; c < cand.size(); ++c) {
        EXPECT_EQ(together[c * 3 + 1], scored->score(i, cand[c])) << "text " << i << " label " << cand[c];
        EXPECT_EQ(together[c * 3], -7.0f);  // the other slots untouched
        without += together[c * 3 + 1] == kNoClassifierScore;
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 20000u);
  EXPECT_GT(without, 100u);  // labels without classifier and labels added later took part
}

TEST(CandidateScoring, LexicalCosinesTogetherEqualOneByOne) {
  // 1,500 label texts: "common" in all (a long posting), 30 shared words in about 50 each, a tag of their own.
  std::vector<std::string> texts;
  for (int i = 0; i < 1500; ++i) {
    texts.push_back("common w" + std::to_string(i % 30) + " v" + std::to_string(i % 7) + " tag" + std::to_string(i));
  }
  const TextCorpus label_texts = testing::make_corpus(texts);
  Featurizer featurizer{FeaturizerConfig{.min_count = 1, .bigram_buckets = 64}};
  featurizer.fit({&label_texts});
  LexicalScorer scorer(featurizer, label_texts);
  const FeatureRows q = scorer.vectors(testing::make_corpus(
      {"common w3 tag17", "w4 v2 tag9 tag1000", "common", "tag12 common w12 v5", "nothing here at all"}));
  std::mt19937_64 rng(9);
  for (size_t i = 0; i < q.size(); ++i) {
    for (size_t n : {size_t{1}, size_t{20}, size_t{200}, size_t{1400}}) {
      std::vector<uint32_t> cand;
      while (cand.size() < n) cand.push_back(static_cast<uint32_t>(rng() % 1500));
      std::sort(cand.begin(), cand.end());
      cand.erase(std::unique(cand.begin(), cand.end()), cand.end());
      std::vector<float> together(cand.size());
      scorer.score_all(q, i, cand, together.data(), 1);
      for (size_t c = 0; c < cand.size(); ++c) {
        EXPECT_EQ(together[c], scorer.score(q, i, cand[c])) << "text " << i << " label " << cand[c];
      }
    }
  }
}

TEST(CandidateScoring, VectorDotsTogetherEqualOneByOne) {
  std::mt19937_64 rng(12);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  const uint32_t labels = 500, d = 24;
  std::vector<float> vectors(labels * d);
  for (float& x : vectors) x = u(rng);
  const VectorScorer scorer(vectors, nullptr, false, false);
  QueryBatch batch;
  batch.size = 9;
  batch.dim = d;
  batch.embeddings.resize(batch.size * d);
  for (float& x : batch.embeddings) x = u(rng);
  const auto scored = scorer.score_batch(batch, 0, true, PredictorConfig{});
  for (size_t i = 0; i < batch.size; ++i) {
    for (size_t n : {size_t{1}, size_t{3}, size_t{60}}) {  // shorter and longer than the prefetch distance
      std::vector<uint32_t> cand;
      while (cand.size() < n) cand.push_back(static_cast<uint32_t>(rng() % labels));
      std::sort(cand.begin(), cand.end());
      cand.erase(std::unique(cand.begin(), cand.end()), cand.end());
      std::vector<float> together(cand.size() * 2, -7.0f);
      scored->score_all(i, cand, together.data(), 2);
      for (size_t c = 0; c < cand.size(); ++c) {
        EXPECT_EQ(together[c * 2], scored->score(i, cand[c]));
        EXPECT_EQ(together[c * 2 + 1], -7.0f);
      }
    }
  }
}

}  // namespace
}  // namespace ngame
