#include "predict/lexical_scorer.h"

#include <string>

#include "test_util.h"

namespace ngame {
namespace {

// 1,200 labels: label i is "common tagN" with its own tag, and label 0 also holds "zebra". "common" is in every
// label text, far above the posting cap (max(500, 2% of 1,200) = 500 labels).
struct Fixture {
  TextCorpus labels;
  Featurizer featurizer{FeaturizerConfig{.min_count = 1, .bigram_buckets = 0}};
  Fixture() {
    std::vector<std::string> texts;
    for (int i = 0; i < 1200; ++i) texts.push_back("common tag" + std::to_string(i) + (i == 0 ? " zebra" : ""));
    labels = testing::make_corpus(texts);
    featurizer.fit({&labels});
  }
};

TEST(LexicalScorer, ShortlistFindsTheLabelSharingARareWord) {
  Fixture f;
  LexicalScorer scorer(f.featurizer, f.labels);
  ASSERT_EQ(scorer.size(), 1200u);
  EXPECT_EQ(scorer.posting_cap(), kMinPostingCap);
  const FeatureRows q = scorer.vectors(testing::make_corpus({"tag17 common", "zebra"}));
  const auto top = scorer.shortlist(q, 5);
  ASSERT_EQ(top.size(), 2u);
  ASSERT_FALSE(top[0].empty());
  EXPECT_EQ(top[0][0].first, 17u);
  ASSERT_FALSE(top[1].empty());
  EXPECT_EQ(top[1][0].first, 0u);
  // The shortlist's score leaves out the capped word; score() counts it.
  EXPECT_GT(scorer.score(q, 0, 17), top[0][0].second);
}

TEST(LexicalScorer, WordsAboveThePostingCapOpenNoPostingsButStillScore) {
  Fixture f;
  LexicalScorer scorer(f.featurizer, f.labels);
  const FeatureRows q = scorer.vectors(testing::make_corpus({"common"}));
  // Every label shares "common": walking its 1,200 postings is what the cap avoids.
  EXPECT_TRUE(scorer.shortlist(q, 10)[0].empty());
  EXPECT_GT(scorer.score(q, 0, 5), 0.0f);
  EXPECT_GT(scorer.score(q, 0, 1100), 0.0f);
}

TEST(LexicalScorer, ReachHoldsEveryLabelSharingAnUncappedFeature) {
  Fixture f;
  LexicalScorer scorer(f.featurizer, f.labels);
  const FeatureRows q = scorer.vectors(testing::make_corpus({"zebra tag17 common", "common", "tag5 tag900"}));
  EXPECT_EQ(scorer.reach(q, 0, 100), (std::vector<uint32_t>{0, 17}));  // "common" is above the cap
  EXPECT_TRUE(scorer.reach(q, 1, 100).empty());
  EXPECT_EQ(scorer.reach(q, 2, 100), (std::vector<uint32_t>{5, 900}));
  EXPECT_EQ(scorer.reach(q, 2, 1).size(), 1u);  // at most max_labels
  // The labels sharing a word with label 0's text ("common tag0 zebra"): itself only, "common" being capped.
  EXPECT_EQ(scorer.reach_of_labels({0}, 100), (std::vector<uint32_t>{0}));
  scorer.add_labels(testing::make_corpus({"zebra common", "tag3"}));
  EXPECT_EQ(scorer.reach_of_labels({0}, 100), (std::vector<uint32_t>{0, 1200}));
  // Several labels' words together; unknown ids are skipped.
  EXPECT_EQ(scorer.reach_of_labels({1200, 99999, 1201}, 100), (std::vector<uint32_t>{0, 3, 1200, 1201}));
}

TEST(LexicalScorer, AddedLabelsAreShortlisted) {
  Fixture f;
  LexicalScorer scorer(f.featurizer, f.labels);
  scorer.add_labels(testing::make_corpus({"zebra common"}));
  ASSERT_EQ(scorer.size(), 1201u);
  const FeatureRows q = scorer.vectors(testing::make_corpus({"zebra common"}));
  const auto top = scorer.shortlist(q, 2);
  ASSERT_EQ(top[0].size(), 2u);
  EXPECT_EQ(top[0][0].first, 1200u);  // same words as the query: cosine 1
  EXPECT_EQ(top[0][1].first, 0u);
  EXPECT_NEAR(scorer.score(q, 0, 1200), 1.0f, 1e-5f);
}

TEST(LexicalScorer, WordsOnlyLabelTextsHoldFindTheirLabels) {
  // The featurizer knows words seen in two texts; "chromodynamics" and "lattice" are in one label text only, and
  // "zorblax" first comes with a label added later. No bigrams: words alone must find them.
  Featurizer featurizer{FeaturizerConfig{.min_count = 2, .bigram_buckets = 0}};
  const TextCorpus docs = testing::make_corpus({"a quantum toolkit", "a quantum toolkit", "simulation toolkit",
                                                "simulation of toolkit", "a toolkit"});
  const TextCorpus labels = testing::make_corpus({"quantum chromodynamics lattice simulation toolkit",
                                                  "quantum toolkit", "simulation toolkit"});
  featurizer.fit({&docs, &labels});
  LexicalScorer scorer(featurizer, labels);
  EXPECT_EQ(scorer.label_word_count(), 2u);  // chromodynamics, lattice
  const FeatureRows q = scorer.vectors(testing::make_corpus({"chromodynamics", "lattice toolkit", "zorblax"}));
  const auto top = scorer.shortlist(q, 3);
  ASSERT_EQ(top[0].size(), 1u);
  EXPECT_EQ(top[0][0].first, 0u);
  EXPECT_NEAR(top[0][0].second, scorer.score(q, 0, 0), 1e-6);
  ASSERT_FALSE(top[1].empty());
  EXPECT_EQ(top[1][0].first, 0u);  // the rare word outweighs the shared "toolkit"
  EXPECT_TRUE(top[2].empty());     // a word no label text holds finds nothing
  // The sparse classifiers' rows leave the label words out: the featurizer's own unit rows, as in training.
  const TextCorpus mixed = testing::make_corpus({"lattice quantum toolkit", "quantum toolkit"});
  const FeatureRows with_words = scorer.vectors(mixed);
  const FeatureRows own = scorer.vocabulary_rows(with_words);
  FeatureRows expected = featurizer.featurize_all(mixed);
  l2_normalise_rows(expected);
  EXPECT_GT(with_words.offsets[1], expected.offsets[1]);  // the first text holds a label word
  EXPECT_TRUE(scorer.holds_label_words(with_words));
  EXPECT_FALSE(scorer.holds_label_words(expected));
  ASSERT_EQ(own.offsets, expected.offsets);
  EXPECT_EQ(own.ids, expected.ids);
  for (size_t p = 0; p < own.weights.size(); ++p) EXPECT_NEAR(own.weights[p], expected.weights[p], 1e-6) << p;
  scorer.add_labels(testing::make_corpus({"zorblax toolkit"}));
  EXPECT_EQ(scorer.label_word_count(), 3u);
  const FeatureRows again = scorer.vectors(testing::make_corpus({"zorblax"}));
  const auto found = scorer.shortlist(again, 3);
  ASSERT_EQ(found[0].size(), 1u);
  EXPECT_EQ(found[0][0].first, 3u);
  EXPECT_GT(scorer.score(again, 0, 3), 0.5f);
}

}  // namespace
}  // namespace ngame
