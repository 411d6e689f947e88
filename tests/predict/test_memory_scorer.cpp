#include "predict/memory_scorer.h"

#include <cmath>

#include "test_util.h"

namespace ngame {
namespace {

// 20 training documents on the unit circle (2-d), document i at angle 0.05 i radians, with 3 labels: label 0 is
// carried by every document, label 1 by the even ones, label 2 by document 7 only; label 3 by none.
struct Fixture {
  SparseMatrix doc_labels;
  std::vector<float> vectors;
  ExactIndex index{2};
  Fixture() {
    doc_labels.cols = 4;
    for (uint32_t i = 0; i < 20; ++i) {
      std::vector<uint32_t> ids = {0};
      if (i % 2 == 0) ids.push_back(1);
      if (i == 7) ids.push_back(2);
      doc_labels.append_row(ids, std::vector<float>(ids.size(), 1.0f));
      const double a = 0.05 * i;
      vectors.push_back(static_cast<float>(std::cos(a)));
      vectors.push_back(static_cast<float>(std::sin(a)));
    }
    index.add(vectors.data(), 20);
  }
};

TEST(MemoryScorer, DocumentSeedsAreTheDocumentsOfTheFirstLabels) {
  Fixture f;
  MemoryScorer memory(f.doc_labels, f.index);
  const auto seeds = memory.document_seeds({{2, 1}, {3, 99}, {}}, 16);
  ASSERT_EQ(seeds.size(), 3u);
  // Label 2: document 7; label 1: its first kSeedDocumentsPerLabel documents (the even ones).
  std::vector<uint32_t> expected = {7};
  for (uint32_t d = 0; expected.size() < 1 + MemoryScorer::kSeedDocumentsPerLabel; d += 2) expected.push_back(d);
  EXPECT_EQ(seeds[0], expected);
  EXPECT_TRUE(seeds[1].empty());  // a label without documents, and one added after training
  EXPECT_TRUE(seeds[2].empty());
  EXPECT_EQ(memory.document_seeds({{2, 1}}, 1)[0], std::vector<uint32_t>{7});  // only the first label
}

TEST(MemoryScorer, VotesSumToOneAndSeedsDoNotChangeAnExactSearch) {
  Fixture f;
  MemoryScorer memory(f.doc_labels, f.index, {.neighbors = 4, .temperature = 0.05f});
  const std::vector<float> query = {1.0f, 0.0f};  // nearest: documents 0, 1, 2, 3
  const auto votes = memory.score(query.data(), 1);
  ASSERT_EQ(votes[0].size(), 2u);
  EXPECT_EQ(votes[0][0].first, 0u);
  EXPECT_NEAR(votes[0][0].second, 1.0f, 1e-5f);  // every neighbour carries label 0
  EXPECT_EQ(votes[0][1].first, 1u);
  EXPECT_GT(votes[0][1].second, 0.5f);  // documents 0 and 2 of the 4, the nearest weighing most
  const auto seeded = memory.score(query.data(), 1, memory.document_seeds({{2}}));
  EXPECT_EQ(seeded, votes);
}

TEST(MemoryScorer, An8BitGraphsDocumentsAreScoredExactly) {
  Fixture f;
  HnswIndex graph(2, HnswConfig{});  // 8-bit vectors: steps of 1/127 on the circle
  graph.add(f.vectors.data(), 20);
  const MemoryScorerConfig config{.neighbors = 6, .temperature = 0.05f};
  MemoryScorer exact(f.doc_labels, f.index, config), rescored(f.doc_labels, graph, config, &f.vectors),
      approximate(f.doc_labels, graph, config);
  const std::vector<float> query = {std::cos(0.33f), std::sin(0.33f)};
  const auto truth = exact.score(query.data(), 1)[0], votes = rescored.score(query.data(), 1)[0],
             rough = approximate.score(query.data(), 1)[0];
  ASSERT_EQ(votes.size(), truth.size());
  ASSERT_EQ(rough.size(), truth.size());
  double rough_error = 0;
  for (size_t j = 0; j < truth.size(); ++j) {
    EXPECT_EQ(votes[j].first, truth[j].first);
    EXPECT_NEAR(votes[j].second, truth[j].second, 1e-5f);
    rough_error = std::max(rough_error, std::fabs(double(rough[j].second) - truth[j].second));
  }
  EXPECT_GT(rough_error, 1e-4);  // the graph's own scores, through the softmax, would move the votes
}

}  // namespace
}  // namespace ngame
