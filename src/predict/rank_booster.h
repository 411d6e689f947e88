#pragma once
// A learned re-ranker for the fused shortlist: gradient-boosted regression trees (LambdaMART: pairwise lambdas
// weighted by the NDCG change of swapping two candidates) over per-candidate features: the scorer terms, each
// term's gap to the best candidate of the same query, each candidate's rank by each term, and the linear fusion's
// score, gap and rank. The reference fuses with one depth-7 tree on [classifier, embedding, inverse propensity];
// boosting many shallow trees over these query-relative features is our alternative (training fits the reference's
// tree too and records its hold-out P@1 in fusion.json, reference_tree).
#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

namespace ngame {

/// Training settings of the booster.
struct RankBoosterConfig {
  uint32_t trees = 300;         ///< boosting rounds (at most; early stopping picks fewer)
  uint32_t depth = 5;           ///< levels per tree
  float learning_rate = 0.1f;   ///< shrinkage
  float l2 = 1.0f;              ///< leaf regularisation
  uint32_t min_leaf_rows = 20;  ///< rows a leaf needs
  uint32_t bins = 32;           ///< histogram bins per feature
  uint32_t window = 20;         ///< candidates re-ranked per query (the linear fusion's top)
  /// Hold-out P@1 gain (fraction) below which no tree is kept. 0: any gain keeps the best number of trees; the
  /// linear blend's hold-out P@1 is optimistic (its weights were fitted on those queries too), and a margin of 0.005
  /// dropped re-rankers worth about 1 test P@1 (bench/results/2026-12-04-reranker-min-gain.md).
  double min_gain = 0.0;
  double holdout = 0.25;        ///< queries kept out of fitting to choose the number of trees (0: keep all)
  /// Once the hold-out has chosen the number of trees, fit that many again on every query: a third more queries
  /// to learn from, +0.19 WordNet test P@1 over 7 seeds (bench/results/2026-12-04-int8-graphs.md).
  bool refit = true;
  uint64_t seed = 1;
};

/// Feature rows of the candidates of many queries: `groups` offsets (one group per query) into rows of `width`
/// values, with the relevance of each row (training only).
struct RankRows {
  size_t width = 0;
  std::vector<uint64_t> groups{0};
  std::vector<float> values;
  std::vector<uint8_t> relevant;
  size_t rows() const { return width ? values.size() / width : 0; }
  size_t queries() const { return groups.size() - 1; }
};

/// An ensemble of regression trees scoring feature rows.
class RankBooster {
 public:
  /// True when the booster holds at least one tree.
  bool empty() const { return nodes_.empty(); }
  /// Score of one row (higher ranks first).
  float score(const float* row) const;
  /// score() of n consecutive rows of width() values into out: the same floats, several rows walked at once.
  void score_rows(const float* rows, size_t n, float* out) const;
  /// Fits on rows (relevance set). Hold-out queries (a hash of the query and seed) are not fitted; the number of
  /// trees kept is the one with the best hold-out P@1, zero when that beats the rows' own (linear) order by less than
  /// min_gain. With config.refit, that many trees are then fitted again on all queries.
  /// Returns a report: trees fitted and kept, hold-out P@1 before and after.
  nlohmann::json fit(const RankRows& rows, const RankBoosterConfig& config);
  nlohmann::json to_json() const;
  /// Reads to_json()'s output; throws std::runtime_error on malformed input.
  static RankBooster from_json(const nlohmann::json& j, size_t width);
  /// Features per row it reads.
  size_t width() const { return width_; }
  /// Number of trees.
  size_t trees() const { return roots_.size(); }

 private:
  struct Node {
    int32_t feature = -1;  // -1: leaf
    float threshold = 0;   // go left when value <= threshold
    int32_t left = -1, right = -1;
    float value = 0;       // leaf output
  };
  /// Lays the trees out as complete trees of depth flat_depth_ (a leaf above it copied to both children), for
  /// score_rows; none when a tree is deeper than kMaxFlatDepth.
  void flatten();

  std::vector<Node> nodes_;
  std::vector<int32_t> roots_;
  size_t width_ = 0;
  // The complete-tree layout: per tree, 2^depth - 1 split nodes in heap order, then 2^depth leaf values.
  uint32_t flat_depth_ = 0;
  std::vector<int32_t> flat_feature_;
  std::vector<float> flat_threshold_;
  std::vector<float> flat_leaf_;
  bool flat_ = false;
};

}  // namespace ngame
