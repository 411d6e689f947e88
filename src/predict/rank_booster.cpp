#include "predict/rank_booster.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <tuple>

#include "core/error.h"
#include "core/splitmix.h"

namespace ngame {

float RankBooster::score(const float* row) const {
  float s = 0;
  for (int32_t root : roots_) {
    int32_t n = root;
    while (nodes_[static_cast<size_t>(n)].feature >= 0) {
      const Node& node = nodes_[static_cast<size_t>(n)];
      n = row[node.feature] <= node.threshold ? node.left : node.right;
    }
    s += nodes_[static_cast<size_t>(n)].value;
  }
  return s;
}

namespace {

/// Trees deeper than this are walked node by node (a complete tree of depth 10 holds 2,047 nodes).
constexpr uint32_t kMaxFlatDepth = 10;
/// Rows walked down the same tree together: independent chains of loads the CPU overlaps.
constexpr size_t kRowBlock = 8;

}  // namespace

void RankBooster::flatten() {
  flat_ = false;
  flat_feature_.clear();
  flat_threshold_.clear();
  flat_leaf_.clear();
  // Depth of each tree (a node's children always come after it, so this ends).
  uint32_t depth = 0;
  for (int32_t root : roots_) {
    std::vector<std::pair<int32_t, uint32_t>> stack{{root, 0}};
    while (!stack.empty()) {
      auto [n, d] = stack.back();
      stack.pop_back();
      const Node& node = nodes_[static_cast<size_t>(n)];
      if (node.feature < 0) {
        depth = std::max(depth, d);
      } else if (d < kMaxFlatDepth) {
        stack.push_back({node.left, d + 1});
        stack.push_back({node.right, d + 1});
      } else {
        return;
      }
    }
  }
  flat_depth_ = depth;
  const size_t splits = (size_t{1} << depth) - 1, leaves = size_t{1} << depth;
  flat_feature_.assign(roots_.size() * splits, 0);
  flat_threshold_.assign(roots_.size() * splits, 0.0f);
  flat_leaf_.assign(roots_.size() * leaves, 0.0f);
  for (size_t t = 0; t < roots_.size(); ++t) {
    // (node, heap position, level); a leaf reached above the last level fills every leaf below its position.
    std::vector<std::tuple<int32_t, size_t, uint32_t>> stack{{roots_[t], 0, 0}};
    while (!stack.empty()) {
      auto [n, k, d] = stack.back();
      stack.pop_back();
      const Node& node = nodes_[static_cast<size_t>(n)];
      if (node.feature < 0) {
        const size_t first = ((k + 1) << (depth - d)) - 1 - splits, count = size_t{1} << (depth - d);
        std::fill_n(flat_leaf_.begin() + static_cast<std::ptrdiff_t>(t * leaves + first), count, node.value);
        continue;  // split nodes below it stay feature 0 / threshold 0: both ways lead to its value
      }
      flat_feature_[t * splits + k] = node.feature;
      flat_threshold_[t * splits + k] = node.threshold;
      stack.push_back({node.left, 2 * k + 1, d + 1});
      stack.push_back({node.right, 2 * k + 2, d + 1});
    }
  }
  flat_ = true;
}

void RankBooster::score_rows(const float* rows, size_t n, float* out) const {
  if (!flat_) {
    for (size_t r = 0; r < n; ++r) out[r] = score(rows + r * width_);
    return;
  }
  const size_t splits = (size_t{1} << flat_depth_) - 1, leaves = size_t{1} << flat_depth_;
  for (size_t a = 0; a < n; a += kRowBlock) {
    const size_t m = std::min(kRowBlock, n - a);
    std::array<float, kRowBlock> sum{};
    for (size_t t = 0; t < roots_.size(); ++t) {
      const int32_t* feature = flat_feature_.data() + t * splits;
      const float* threshold = flat_threshold_.data() + t * splits;
      std::array<size_t, kRowBlock> k{};
      for (uint32_t d = 0; d < flat_depth_; ++d) {
        for (size_t r = 0; r < m; ++r) {
          // The node walk's test: left when value <= threshold (so NaN goes right).
          const float v = rows[(a + r) * width_ + static_cast<size_t>(feature[k[r]])];
          k[r] = 2 * k[r] + (v <= threshold[k[r]] ? 1 : 2);
        }
      }
      // Trees added in order, as score() adds them: the same float sums.
      for (size_t r = 0; r < m; ++r) sum[r] += flat_leaf_[t * leaves + k[r] - splits];
    }
    std::copy_n(sum.begin(), m, out + a);
  }
}

namespace {

// LambdaMART gradients of one query: pairs (relevant i, irrelevant j) weighted by the NDCG change of swapping them.
void query_lambdas(const RankRows& rows, size_t q, const std::vector<float>& score, std::vector<float>& g,
                   std::vector<float>& h) {
  const uint64_t a = rows.groups[q], b = rows.groups[q + 1];
  const size_t n = b - a;
  size_t relevant = 0;
  for (uint64_t r = a; r < b; ++r) relevant += rows.relevant[r];
  if (relevant == 0 || relevant == n) return;
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) { return score[a + x] > score[a + y]; });
  std::vector<float> discount(n);
  for (size_t p = 0; p < n; ++p) discount[order[p]] = static_cast<float>(1.0 / std::log2(2.0 + static_cast<double>(p)));
  double ideal = 0;
  for (size_t p = 0; p < relevant; ++p) ideal += 1.0 / std::log2(2.0 + static_cast<double>(p));
  for (size_t i = 0; i < n; ++i) {
    if (!rows.relevant[a + i]) continue;
    for (size_t j = 0; j < n; ++j) {
      if (rows.relevant[a + j]) continue;
      const float delta = static_cast<float>(std::fabs(discount[i] - discount[j]) / ideal);
      const float rho = 1.0f / (1.0f + std::exp(score[a + i] - score[a + j]));
      g[a + i] -= rho * delta;
      g[a + j] += rho * delta;
      const float w = std::max(rho * (1.0f - rho) * delta, 1e-9f);
      h[a + i] += w;
      h[a + j] += w;
    }
  }
}

}  // namespace

nlohmann::json RankBooster::fit(const RankRows& rows, const RankBoosterConfig& config) {
  NGAME_CHECK(rows.width > 0 && rows.relevant.size() == rows.rows(), "rank rows need features and relevance");
  width_ = rows.width;
  nodes_.clear();
  roots_.clear();
  const size_t n = rows.rows(), f_count = rows.width, queries = rows.queries();
  // Hold-out queries choose the number of trees.
  std::vector<uint8_t> held(queries);
  for (size_t q = 0; q < queries; ++q) {
    held[q] = static_cast<double>(splitmix64(q ^ (config.seed * 0x51ed27ULL)) % 1000000) < config.holdout * 1e6;
  }
  std::vector<uint8_t> row_held(n);
  for (size_t q = 0; q < queries; ++q) {
    for (uint64_t r = rows.groups[q]; r < rows.groups[q + 1]; ++r) row_held[r] = held[q];
  }
  // Quantile bin edges per feature from the fitting rows.
  std::vector<std::vector<float>> edges(f_count);
  std::vector<uint8_t> bins(n * f_count);  // feature-major: bins[f * n + r], read feature by feature
  const uint32_t max_bins = std::clamp<uint32_t>(config.bins, 2, 255);
#pragma omp parallel for schedule(dynamic, 1)
  for (size_t f = 0; f < f_count; ++f) {
    std::vector<float> v;
    for (size_t r = 0; r < n; ++r) {
      if (!row_held[r]) v.push_back(rows.values[r * f_count + f]);
    }
    std::sort(v.begin(), v.end());
    std::vector<float>& e = edges[f];
    for (uint32_t b = 1; b < max_bins && !v.empty(); ++b) {
      const float x = v[std::min(v.size() - 1, v.size() * b / max_bins)];
      if (e.empty() || x > e.back()) e.push_back(x);
    }
    for (size_t r = 0; r < n; ++r) {
      const float x = rows.values[r * f_count + f];
      bins[f * n + r] = static_cast<uint8_t>(std::lower_bound(e.begin(), e.end(), x) - e.begin());
    }
  }
  std::vector<float> score(n, 0.0f), g(n), h(n);
  auto held_p1 = [&] {
    size_t hits = 0, total = 0;
    for (size_t q = 0; q < queries; ++q) {
      if (!held[q] || rows.groups[q] == rows.groups[q + 1]) continue;
      ++total;
      uint64_t best = rows.groups[q];
      for (uint64_t r = rows.groups[q] + 1; r < rows.groups[q + 1]; ++r) {
        if (score[r] > score[best]) best = r;
      }
      hits += rows.relevant[best];
    }
    return total ? static_cast<double>(hits) / static_cast<double>(total) : 0.0;
  };
  const double linear_p1 = held_p1();
  double best_p1 = linear_p1, last_p1 = linear_p1;
  size_t best_trees = 0;
  std::vector<int32_t> row_node(n), row_slot(n);
  std::vector<uint32_t> scan;  // the rows whose histograms a level builds
  const size_t bins_per_feature = max_bins + 1;
  // Node x feature x bin histograms of a level, and of the level above (each pair of siblings takes the smaller
  // one's from its rows and the other's as the parent's minus it: LightGBM's subtraction, half the rows or fewer).
  struct HistogramBin {
    double g = 0, h = 0;
    uint32_t rows = 0;
  };
  std::vector<HistogramBin> histogram, parent_histogram;
  std::vector<size_t> pair_parent;  // slot in the level above of the parent of siblings (2i, 2i + 1)
  for (uint32_t t = 0; t < config.trees; ++t) {
    std::fill(g.begin(), g.end(), 0.0f);
    std::fill(h.begin(), h.end(), 0.0f);
#pragma omp parallel for schedule(dynamic, 64)
    for (size_t q = 0; q < queries; ++q) {
      if (!held[q]) query_lambdas(rows, q, score, g, h);
    }
    // Grow one tree level by level over the fitting rows.
    const auto root = static_cast<int32_t>(nodes_.size());
    nodes_.push_back({});
    std::vector<int32_t> level = {root};
    for (size_t r = 0; r < n; ++r) row_node[r] = row_held[r] ? -1 : root;
    for (uint32_t depth = 0; depth <= config.depth && !level.empty(); ++depth) {
      const size_t m = level.size();
      std::vector<int32_t> slot(nodes_.size(), -1);
      for (size_t i = 0; i < m; ++i) slot[static_cast<size_t>(level[i])] = static_cast<int32_t>(i);
      std::vector<double> node_g(m, 0.0), node_h(m, 0.0);
      std::vector<uint32_t> node_c(m, 0);
      for (size_t r = 0; r < n; ++r) {
        row_slot[r] = row_node[r] < 0 ? -1 : slot[static_cast<size_t>(row_node[r])];
        if (row_slot[r] < 0) continue;
        const auto s = static_cast<size_t>(row_slot[r]);
        node_g[s] += g[r];
        node_h[s] += h[r];
        ++node_c[s];
      }
      const bool last = depth == config.depth;
      std::vector<int32_t> split_feature(m, -1), split_bin(m, -1);
      if (!last) {
        // Histograms: node x feature x bin of (gradient, hessian, rows). Below the root, levels hold pairs of
        // siblings: the smaller of each pair is built from its rows, the other from its parent's.
        const size_t per_node = f_count * bins_per_feature;
        histogram.assign(m * per_node, HistogramBin{});
        std::vector<uint8_t> built(m, 1);
        if (depth > 0) {
          for (size_t i = 0; i + 1 < m; i += 2) built[node_c[i] <= node_c[i + 1] ? i + 1 : i] = 0;
        }
        scan.clear();
        for (size_t r = 0; r < n; ++r) {
          if (row_slot[r] >= 0 && built[static_cast<size_t>(row_slot[r])]) scan.push_back(static_cast<uint32_t>(r));
        }
#pragma omp parallel for schedule(dynamic, 1)
        for (size_t f = 0; f < f_count; ++f) {
          const uint8_t* feature_bins = bins.data() + f * n;
          for (const uint32_t r : scan) {
            HistogramBin& bin =
                histogram[static_cast<size_t>(row_slot[r]) * per_node + f * bins_per_feature + feature_bins[r]];
            bin.g += g[r];
            bin.h += h[r];
            ++bin.rows;
          }
        }
        if (depth > 0) {
          for (size_t i = 0; i + 1 < m; i += 2) {
            const size_t other = built[i] ? i + 1 : i, from = other == i ? i + 1 : i;
            const HistogramBin* parent = parent_histogram.data() + pair_parent[i / 2] * per_node;
            const HistogramBin* sibling = histogram.data() + from * per_node;
            HistogramBin* out = histogram.data() + other * per_node;
            for (size_t j = 0; j < per_node; ++j) {
              out[j] = {parent[j].g - sibling[j].g, parent[j].h - sibling[j].h, parent[j].rows - sibling[j].rows};
            }
          }
        }
        for (size_t s = 0; s < m; ++s) {
          const double parent = node_g[s] * node_g[s] / (node_h[s] + config.l2);
          double best_gain = 1e-9;
          for (size_t f = 0; f < f_count; ++f) {
            double gl = 0, hl = 0;
            uint32_t cl = 0;
            for (size_t b = 0; b + 1 < edges[f].size() + 1; ++b) {
              const HistogramBin& bin = histogram[(s * f_count + f) * bins_per_feature + b];
              gl += bin.g;
              hl += bin.h;
              cl += bin.rows;
              const uint32_t cr = node_c[s] - cl;
              if (cl < config.min_leaf_rows) continue;
              if (cr < config.min_leaf_rows) break;
              const double gr = node_g[s] - gl, hr = node_h[s] - hl;
              const double gain = gl * gl / (hl + config.l2) + gr * gr / (hr + config.l2) - parent;
              if (gain > best_gain) {
                best_gain = gain;
                split_feature[s] = static_cast<int32_t>(f);
                split_bin[s] = static_cast<int32_t>(b);
              }
            }
          }
        }
      }
      std::vector<int32_t> next;
      pair_parent.clear();
      for (size_t s = 0; s < m; ++s) {
        const auto id = static_cast<size_t>(level[s]);
        if (split_feature[s] < 0) {
          nodes_[id].value = static_cast<float>(-node_g[s] / (node_h[s] + config.l2)) * config.learning_rate;
          continue;
        }
        nodes_[id].feature = split_feature[s];
        nodes_[id].threshold = edges[static_cast<size_t>(split_feature[s])][static_cast<size_t>(split_bin[s])];
        nodes_[id].left = static_cast<int32_t>(nodes_.size());
        nodes_.push_back({});
        nodes_[id].right = static_cast<int32_t>(nodes_.size());
        nodes_.push_back({});
        next.push_back(nodes_[id].left);
        next.push_back(nodes_[id].right);
        pair_parent.push_back(s);
      }
      std::swap(histogram, parent_histogram);
      for (size_t r = 0; r < n; ++r) {
        if (row_node[r] < 0) continue;
        const Node& node = nodes_[static_cast<size_t>(row_node[r])];
        if (node.feature < 0) {
          row_node[r] = -1;  // reached its leaf
        } else {
          const auto s = static_cast<size_t>(slot[static_cast<size_t>(row_node[r])]);
          row_node[r] = bins[static_cast<size_t>(node.feature) * n + r] <= split_bin[s] ? node.left : node.right;
        }
      }
      level = std::move(next);
    }
    roots_.push_back(root);
    // Update every row's score with the new tree (raw feature values, as prediction will see them).
    std::vector<int32_t> one_root = {root};
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < n; ++r) {
      int32_t node = root;
      while (nodes_[static_cast<size_t>(node)].feature >= 0) {
        const Node& nd = nodes_[static_cast<size_t>(node)];
        node = rows.values[r * f_count + static_cast<size_t>(nd.feature)] <= nd.threshold ? nd.left : nd.right;
      }
      score[r] += nodes_[static_cast<size_t>(node)].value;
    }
    const double p1 = held_p1();
    last_p1 = p1;
    if (p1 > best_p1 + 1e-12) {
      best_p1 = p1;
      best_trees = roots_.size();
    }
  }
  // Keep the trees up to the best hold-out P@1 (none when no tree helped; all when there is no hold-out).
  const size_t fitted = roots_.size();
  size_t held_queries = 0;
  for (uint8_t x : held) held_queries += x;
  if (held_queries == 0) best_trees = fitted;
  // Without a gain of min_gain on the hold-out, keep the linear order.
  if (held_queries > 0 && best_p1 - linear_p1 < config.min_gain) {
    best_trees = 0;
    best_p1 = linear_p1;
  }
  if (best_trees < roots_.size()) {
    const int32_t cut = best_trees == 0 ? 0 : roots_[best_trees];
    roots_.resize(best_trees);
    nodes_.resize(static_cast<size_t>(best_trees == 0 ? 0 : cut));
  }
  flatten();
  nlohmann::json report = {{"fitted_trees", fitted},
                           {"kept_trees", roots_.size()},
                           {"holdout_queries", held_queries},
                           {"holdout_linear_P@1", 100 * linear_p1},
                           {"holdout_reranked_P@1", 100 * best_p1},
                           {"holdout_all_trees_P@1", 100 * last_p1}};
  if (config.refit && held_queries > 0 && !roots_.empty()) {
    // The hold-out's queries have chosen how many trees pay; those trees are fitted again from every query.
    RankBoosterConfig all = config;
    all.holdout = 0;
    all.refit = false;
    all.trees = static_cast<uint32_t>(roots_.size());
    fit(rows, all);
    report["refit_on_all_queries"] = true;
  }
  return report;
}

nlohmann::json RankBooster::to_json() const {
  nlohmann::json nodes = nlohmann::json::array();
  for (const Node& n : nodes_) nodes.push_back({n.feature, n.threshold, n.left, n.right, n.value});
  return {{"features", width_}, {"roots", roots_}, {"nodes", nodes}};
}

RankBooster RankBooster::from_json(const nlohmann::json& j, size_t width) {
  RankBooster b;
  if (!j.is_object() || j.value("features", size_t{0}) != width) {
    throw std::runtime_error("re-ranker expects " + std::to_string(width) + " features");
  }
  b.width_ = width;
  for (const auto& n : j.at("nodes")) {
    b.nodes_.push_back({n.at(0).get<int32_t>(), n.at(1).get<float>(), n.at(2).get<int32_t>(), n.at(3).get<int32_t>(),
                        n.at(4).get<float>()});
  }
  b.roots_ = j.at("roots").get<std::vector<int32_t>>();
  const auto count = static_cast<int32_t>(b.nodes_.size());
  for (int32_t i = 0; i < count; ++i) {
    const Node& n = b.nodes_[static_cast<size_t>(i)];
    // Children come after their parent: no cycles, every walk ends at a leaf.
    if (n.feature >= static_cast<int32_t>(width) ||
        (n.feature >= 0 && (n.left <= i || n.left >= count || n.right <= i || n.right >= count))) {
      throw std::runtime_error("re-ranker tree is malformed");
    }
  }
  for (int32_t r : b.roots_) {
    if (r < 0 || r >= count) throw std::runtime_error("re-ranker tree root out of range");
  }
  b.flatten();
  return b;
}

}  // namespace ngame
