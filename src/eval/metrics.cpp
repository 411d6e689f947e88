#include "eval/metrics.h"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/best_first.h"
#include "core/error.h"

namespace ngame {

namespace {

// Per-row sums for each k, accumulated in fixed chunks so that the result does not depend on the thread count.
struct Sums {
  std::vector<double> hits, dcg, ps_hits, ps_ideal, ps_dcg, ps_ideal_dcg, recall;
  explicit Sums(int k)
      : hits(k), dcg(k), ps_hits(k), ps_ideal(k), ps_dcg(k), ps_ideal_dcg(k), recall(k) {}
  void add(const Sums& o) {
    for (size_t i = 0; i < hits.size(); ++i) {
      hits[i] += o.hits[i];
      dcg[i] += o.dcg[i];
      ps_hits[i] += o.ps_hits[i];
      ps_ideal[i] += o.ps_ideal[i];
      ps_dcg[i] += o.ps_dcg[i];
      ps_ideal_dcg[i] += o.ps_ideal_dcg[i];
      recall[i] += o.recall[i];
    }
  }
};

constexpr uint64_t kChunkRows = 2048;

}  // namespace

MetricsReport compute_metrics(const SparseMatrix& predictions, const SparseMatrix& truth,
                              const std::vector<double>& inv_propensity, int k) {
  NGAME_CHECK(k >= 1, "k must be >= 1");
  NGAME_CHECK(predictions.rows == truth.rows, "predictions and truth differ in row count");
  NGAME_CHECK(predictions.cols == truth.cols, "predictions and truth differ in column count");
  NGAME_CHECK(inv_propensity.size() == truth.cols, "one inverse propensity per label is needed");
  const auto kk = static_cast<size_t>(k);

  // discount[r] = 1 / log2(r + 2); ideal[r] = sum of discount[0..r] (pyxclib's _cumsum).
  std::vector<double> discount(kk), ideal(kk);
  for (size_t r = 0; r < kk; ++r) {
    discount[r] = 1.0 / std::log2(static_cast<double>(r) + 2.0);
    ideal[r] = discount[r] + (r ? ideal[r - 1] : 0.0);
  }

  const uint64_t chunks = (truth.rows + kChunkRows - 1) / kChunkRows;
  std::vector<Sums> chunk_sums(chunks, Sums(k));
#pragma omp parallel
  {
    std::vector<std::pair<float, uint32_t>> ranked;
    std::vector<double> flags(kk), ps_flags(kk), ps_best(kk), truth_ps;
#pragma omp for schedule(dynamic, 1)
    for (uint64_t c = 0; c < chunks; ++c) {
      Sums& s = chunk_sums[c];
      const uint64_t end = std::min(truth.rows, (c + 1) * kChunkRows);
      for (uint64_t row = c * kChunkRows; row < end; ++row) {
        auto p_ids = predictions.row_indices(row);
        auto p_vals = predictions.row_values(row);
        auto t_ids = truth.row_indices(row);
        auto t_vals = truth.row_values(row);
        ranked.clear();
        for (size_t j = 0; j < p_ids.size(); ++j) ranked.emplace_back(p_vals[j], p_ids[j]);
        const size_t top = std::min(kk, ranked.size());
        const BestFirst better;
        std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(top), ranked.end(), better);
        std::fill(flags.begin(), flags.end(), 0.0);
        std::fill(ps_flags.begin(), ps_flags.end(), 0.0);
        for (size_t r = 0; r < top; ++r) {
          for (size_t t = 0; t < t_ids.size(); ++t) {
            if (t_ids[t] == ranked[r].second) {
              flags[r] = t_vals[t];
              ps_flags[r] = t_vals[t] * inv_propensity[t_ids[t]];
              break;
            }
          }
        }
        // Ideal propensity ranking: the row's true labels by weighted value, best first.
        truth_ps.clear();
        double positives = 0;
        for (size_t t = 0; t < t_ids.size(); ++t) {
          truth_ps.push_back(t_vals[t] * inv_propensity[t_ids[t]]);
          positives += t_vals[t];
        }
        const size_t ideal_top = std::min(kk, truth_ps.size());
        std::partial_sort(truth_ps.begin(), truth_ps.begin() + static_cast<std::ptrdiff_t>(ideal_top), truth_ps.end(),
                          std::greater<>());
        std::fill(ps_best.begin(), ps_best.end(), 0.0);
        for (size_t r = 0; r < ideal_top; ++r) ps_best[r] = truth_ps[r];

        // pyxclib: n = cumsum[count - 1] (a row without labels has all-zero flags, so its n does not matter).
        const auto count = static_cast<int64_t>(positives);
        double hits = 0, dcg = 0, ps_hits = 0, ps_ideal_hits = 0, ps_dcg = 0, ps_ideal_dcg = 0;
        for (size_t r = 0; r < kk; ++r) {
          hits += flags[r];
          dcg += flags[r] * discount[r];
          ps_hits += ps_flags[r];
          ps_ideal_hits += ps_best[r];
          ps_dcg += ps_flags[r] * discount[r];
          ps_ideal_dcg += ps_best[r] * discount[r];
          const double norm = count > 0 ? ideal[std::min<size_t>(r, static_cast<size_t>(count - 1))] : ideal[r];
          s.hits[r] += hits;
          s.dcg[r] += dcg / norm;
          s.ps_hits[r] += ps_hits;
          s.ps_ideal[r] += ps_ideal_hits;
          s.ps_dcg[r] += ps_dcg / norm;
          s.ps_ideal_dcg[r] += ps_ideal_dcg / norm;
          s.recall[r] += hits / std::max(positives, 1.0);
        }
      }
    }
  }
  Sums total(k);
  for (const Sums& s : chunk_sums) total.add(s);

  MetricsReport report;
  report.k = k;
  report.rows = truth.rows;
  const double n = std::max<double>(1.0, static_cast<double>(truth.rows));
  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  for (size_t r = 0; r < kk; ++r) {
    report.precision.push_back(total.hits[r] / (static_cast<double>(r + 1) * n));
    report.ndcg.push_back(total.dcg[r] / n);
    report.psp.push_back(ratio(total.ps_hits[r], total.ps_ideal[r]));
    report.psndcg.push_back(ratio(total.ps_dcg[r], total.ps_ideal_dcg[r]));
    report.recall.push_back(total.recall[r] / n);
  }
  return report;
}

ZeroShotReport compute_zero_shot(const SparseMatrix& predictions, const SparseMatrix& truth,
                                 const std::vector<uint64_t>& train_label_counts, int k) {
  NGAME_CHECK(predictions.rows == truth.rows, "predictions and truth differ in row count");
  NGAME_CHECK(train_label_counts.size() == truth.cols, "one training count per label");
  ZeroShotReport z;
  z.k = k;
  uint64_t hits = 0, unseen_found = 0;
  std::vector<std::pair<float, uint32_t>> ranked;
  for (uint64_t r = 0; r < truth.rows; ++r) {
    auto t = truth.row_indices(r);
    uint64_t unseen = 0;
    for (uint32_t l : t) unseen += train_label_counts[l] == 0;
    if (unseen == 0) continue;
    ++z.rows;
    z.unseen_pairs += unseen;
    auto ids = predictions.row_indices(r);
    auto vals = predictions.row_values(r);
    ranked.clear();
    for (size_t j = 0; j < ids.size(); ++j) ranked.emplace_back(vals[j], ids[j]);
    const size_t top = std::min<size_t>(static_cast<size_t>(k), ranked.size());
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(top), ranked.end(), BestFirst{});
    for (size_t j = 0; j < top; ++j) {
      if (std::find(t.begin(), t.end(), ranked[j].second) == t.end()) continue;
      ++hits;
      unseen_found += train_label_counts[ranked[j].second] == 0;
    }
  }
  if (z.rows > 0) {
    z.precision_at_k = static_cast<double>(hits) / static_cast<double>(z.rows * static_cast<uint64_t>(k));
    z.unseen_recall_at_k = static_cast<double>(unseen_found) / static_cast<double>(z.unseen_pairs);
  }
  return z;
}

std::string format_metrics_table(const MetricsReport& report) {
  std::string out = fmt::format("{:<8}", "metric");
  for (int i = 1; i <= report.k; ++i) out += fmt::format("{:>7}{}", "@", i);
  out += "\n";
  auto line = [&](const char* name, const std::vector<double>& values) {
    out += fmt::format("{:<8}", name);
    for (double v : values) out += fmt::format("{:8.2f}", 100.0 * v);
    out += "\n";
  };
  line("P", report.precision);
  line("nDCG", report.ndcg);
  line("PSP", report.psp);
  line("PSnDCG", report.psndcg);
  line("R", report.recall);
  out += fmt::format("({} rows; percent)\n", report.rows);
  return out;
}

std::string format_metrics_json(const MetricsReport& report) {
  nlohmann::ordered_json obj;
  auto put = [&](const char* name, const std::vector<double>& values) {
    for (size_t i = 0; i < values.size(); ++i) obj[std::string(name) + "@" + std::to_string(i + 1)] = 100.0 * values[i];
  };
  put("P", report.precision);
  put("nDCG", report.ndcg);
  put("PSP", report.psp);
  put("PSnDCG", report.psndcg);
  put("R", report.recall);
  return obj.dump();
}

}  // namespace ngame
