#include "train/sparse_classifier_trainer.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "core/splitmix.h"

namespace ngame {

void SparseClassifierConfig::validate() const {
  if (mined_labels == 0) throw UsageError("sparse-mined-labels must be at least 1");
  if (!(cost >= 0) || !std::isfinite(cost)) throw UsageError("sparse-cost must be a positive number, or 0 for auto");
  if (!(prune >= 0) || !std::isfinite(prune)) throw UsageError("sparse-prune must be 0 or more");
  if (max_passes == 0) throw UsageError("sparse-passes must be at least 1");
  if (!(tolerance > 0)) throw UsageError("sparse tolerance must be positive");
}

SparseMatrix rows_of_labels(const SparseMatrix& row_labels, const std::vector<uint8_t>& skip) {
  // Counting sort by label: rows come out ascending within each label.
  SparseMatrix out;
  out.rows = row_labels.cols;
  out.cols = row_labels.rows;
  std::vector<uint64_t> count(row_labels.cols + 1, 0);
  std::vector<uint32_t> ids;
  auto unique_ids = [&](uint64_t r) {
    ids.assign(row_labels.row_indices(r).begin(), row_labels.row_indices(r).end());
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  };
  for (uint64_t r = 0; r < row_labels.rows; ++r) {
    if (!skip.empty() && skip[r]) continue;
    unique_ids(r);
    for (uint32_t l : ids) ++count[l + 1];
  }
  std::partial_sum(count.begin(), count.end(), count.begin());
  out.indptr = count;
  out.indices.resize(count.back());
  out.values.assign(count.back(), 1.0f);
  std::vector<uint64_t> at(count.begin(), count.end() - 1);
  for (uint64_t r = 0; r < row_labels.rows; ++r) {
    if (!skip.empty() && skip[r]) continue;
    unique_ids(r);
    for (uint32_t l : ids) out.indices[at[l]++] = static_cast<uint32_t>(r);
  }
  return out;
}

SparseMatrix with_label_text_rows(const SparseMatrix& positives, uint64_t first_text_row) {
  SparseMatrix out;
  out.cols = std::max<uint64_t>(positives.cols, first_text_row + positives.rows);
  std::vector<uint32_t> ids;
  std::vector<float> ones;
  for (uint64_t l = 0; l < positives.rows; ++l) {
    auto row = positives.row_indices(l);
    ids.assign(row.begin(), row.end());
    if (!ids.empty()) ids.push_back(static_cast<uint32_t>(first_text_row + l));  // after every training row
    ones.assign(ids.size(), 1.0f);
    out.append_row(ids, ones);
  }
  return out;
}

SparseMatrix mine_negatives(const SparseMatrix& shortlists, const SparseMatrix& positives,
                            const std::vector<uint8_t>& skip) {
  NGAME_CHECK(positives.rows == shortlists.cols, "positives and shortlists disagree on the label count");
  const SparseMatrix shortlisted = rows_of_labels(shortlists, skip);
  SparseMatrix out;
  out.rows = shortlisted.rows;
  out.cols = shortlisted.cols;
  const uint64_t row_count = shortlists.rows;
  std::vector<uint32_t> picked;
  for (uint64_t l = 0; l < shortlisted.rows; ++l) {
    auto rows = shortlisted.row_indices(l);
    auto pos = positives.row_indices(l);
    auto carries = [&](uint32_t r) { return std::binary_search(pos.begin(), pos.end(), r); };
    const size_t before = out.indices.size();
    // Both ascending: a set difference.
    auto p = pos.begin();
    for (uint32_t r : rows) {
      while (p != pos.end() && *p < r) ++p;
      if (p != pos.end() && *p == r) continue;
      out.indices.push_back(r);
    }
    // A label that no other row's shortlist holds would learn from positives only (and a positive bias): a few rows
    // picked by a hash of the label stand in as negatives.
    if (out.indices.size() == before && !pos.empty() && row_count > pos.size()) {
      picked.clear();
      uint64_t h = splitmix64(l ^ 0x6e65676174697665ULL);
      for (int attempt = 0; attempt < 64 && picked.size() < kFallbackNegatives; ++attempt) {
        h = splitmix64(h);
        const auto r = static_cast<uint32_t>(h % row_count);
        if ((!skip.empty() && skip[r]) || carries(r) || shortlists.row_size(r) == 0) continue;
        picked.push_back(r);
      }
      std::sort(picked.begin(), picked.end());
      picked.erase(std::unique(picked.begin(), picked.end()), picked.end());
      out.indices.insert(out.indices.end(), picked.begin(), picked.end());
    }
    out.indptr.push_back(out.indices.size());
  }
  out.values.assign(out.indices.size(), 1.0f);
  return out;
}

SparseMatrix every_other_row(const SparseMatrix& positives, const std::vector<uint8_t>& rows) {
  NGAME_CHECK(positives.cols == rows.size(), "positives and the row mask disagree on the row count");
  SparseMatrix out;
  out.rows = positives.rows;
  out.cols = positives.cols;
  for (uint64_t l = 0; l < positives.rows; ++l) {
    auto pos = positives.row_indices(l);
    if (!pos.empty()) {
      auto p = pos.begin();
      for (uint64_t r = 0; r < rows.size(); ++r) {
        while (p != pos.end() && *p < r) ++p;
        if (rows[r] && (p == pos.end() || *p != r)) out.indices.push_back(static_cast<uint32_t>(r));
      }
    }
    out.indptr.push_back(out.indices.size());
  }
  out.values.assign(out.indices.size(), 1.0f);
  return out;
}

namespace {

// One label's squared-hinge SVM by dual coordinate descent (Hsieh et al., ICML 2008), with a bias feature of value 1.
// w is a zeroed dense scratch vector of the feature count; it is zeroed again on return.
struct LabelSolver {
  const FeatureRows& docs;
  const SparseClassifierConfig& config;
  std::vector<float> w;
  std::vector<uint32_t> examples, order;
  std::vector<float> alpha, sign, q;
  std::vector<uint32_t> touched;
  std::vector<uint8_t> seen;

  LabelSolver(const FeatureRows& d, uint32_t features, const SparseClassifierConfig& c)
      : docs(d), config(c), w(features, 0.0f), seen(features, 0) {}

  float margin(uint32_t row, float b) const {
    float s = b;
    for (uint64_t p = docs.offsets[row]; p < docs.offsets[row + 1]; ++p) s += docs.weights[p] * w[docs.ids[p]];
    return s;
  }

  // Returns passes used.
  uint32_t solve(uint32_t label, std::span<const uint32_t> pos, std::span<const uint32_t> neg,
                 std::vector<uint32_t>& out_ids, std::vector<float>& out_weights, float& out_bias) {
    const size_t n = pos.size() + neg.size();
    examples.assign(pos.begin(), pos.end());
    examples.insert(examples.end(), neg.begin(), neg.end());
    alpha.assign(n, 0.0f);
    sign.resize(n);
    q.resize(n);
    const float diag = 0.5f / config.cost;
    touched.clear();
    for (size_t i = 0; i < n; ++i) {
      sign[i] = i < pos.size() ? 1.0f : -1.0f;
      const uint32_t r = examples[i];
      float sq = 1.0f;  // the bias feature
      for (uint64_t p = docs.offsets[r]; p < docs.offsets[r + 1]; ++p) {
        sq += docs.weights[p] * docs.weights[p];
        if (!seen[docs.ids[p]]) {
          seen[docs.ids[p]] = 1;
          touched.push_back(docs.ids[p]);
        }
      }
      q[i] = sq + diag;
    }
    order.resize(n);
    std::iota(order.begin(), order.end(), 0u);
    uint64_t rng = splitmix64(config.seed ^ (0x737061727365ULL + label));
    float b = 0;
    uint32_t pass = 0;
    while (pass < config.max_passes) {
      ++pass;
      for (size_t i = n; i > 1; --i) {  // Fisher-Yates with a per-label stream: independent of threads
        rng = splitmix64(rng);
        std::swap(order[i - 1], order[rng % i]);
      }
      float max_pg = -INFINITY, min_pg = INFINITY;
      for (uint32_t i : order) {
        const uint32_t r = examples[i];
        const float g = sign[i] * margin(r, b) - 1.0f + diag * alpha[i];
        const float pg = alpha[i] == 0.0f ? std::min(g, 0.0f) : g;
        max_pg = std::max(max_pg, pg);
        min_pg = std::min(min_pg, pg);
        if (pg == 0.0f) continue;
        const float old = alpha[i];
        alpha[i] = std::max(old - g / q[i], 0.0f);
        const float d = (alpha[i] - old) * sign[i];
        if (d == 0.0f) continue;
        for (uint64_t p = docs.offsets[r]; p < docs.offsets[r + 1]; ++p) w[docs.ids[p]] += d * docs.weights[p];
        b += d;
      }
      if (max_pg - min_pg <= config.tolerance) break;
    }
    std::sort(touched.begin(), touched.end());
    out_ids.clear();
    out_weights.clear();
    for (uint32_t f : touched) {
      if (std::fabs(w[f]) >= config.prune && w[f] != 0.0f) {
        out_ids.push_back(f);
        out_weights.push_back(w[f]);
      }
      w[f] = 0.0f;
      seen[f] = 0;
    }
    out_bias = b;
    return pass;
  }
};

}  // namespace

SparseClassifiers train_sparse_classifiers(const FeatureRows& docs, uint32_t feature_count,
                                           const SparseMatrix& positives, const SparseMatrix& negatives,
                                           const SparseClassifierConfig& given, nlohmann::json& report,
                                           const std::function<void()>& on_label) {
  given.validate();
  SparseClassifierConfig config = given;
  if (config.cost == 0.0f) config.cost = auto_sparse_cost(false);
  NGAME_CHECK(positives.rows == negatives.rows, "positives and negatives disagree on the label count");
  const size_t labels = positives.rows;
  struct Result {
    std::vector<uint32_t> ids;
    std::vector<float> weights;
    float bias = 0;
    bool trained = false;
    uint32_t passes = 0;
  };
  std::vector<Result> results(labels);
#pragma omp parallel
  {
    LabelSolver solver(docs, feature_count, config);
#pragma omp for schedule(dynamic, 16)
    for (size_t l = 0; l < labels; ++l) {
      Result& res = results[l];
      auto pos = positives.row_indices(l);
      if (!pos.empty()) {
        res.passes = solver.solve(static_cast<uint32_t>(l), pos, negatives.row_indices(l), res.ids, res.weights,
                                  res.bias);
        res.trained = true;
      }
      if (on_label) on_label();
    }
  }
  SparseClassifiers out;
  out.feature_count = feature_count;
  uint64_t trained = 0, passes = 0, capped = 0;
  for (size_t l = 0; l < labels; ++l) {
    out.append(results[l].ids, results[l].weights, results[l].bias, results[l].trained);
    trained += results[l].trained;
    passes += results[l].passes;
    capped += results[l].passes == config.max_passes;
    std::vector<uint32_t>().swap(results[l].ids);
    std::vector<float>().swap(results[l].weights);
  }
  report["labels_trained"] = trained;
  report["positives"] = positives.nnz();
  report["negatives"] = negatives.nnz();
  report["weights"] = out.ids.size();
  report["mean_passes"] = trained ? static_cast<double>(passes) / static_cast<double>(trained) : 0.0;
  report["labels_at_max_passes"] = capped;
  return out;
}

}  // namespace ngame
