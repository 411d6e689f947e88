#include "train/triplet_loss.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/error.h"

namespace ngame {

void TripletLossConfig::validate() const {
  NGAME_CHECK(negatives >= 1, "need at least one negative");
  NGAME_CHECK(margin >= 0, "margin must be >= 0");
  NGAME_CHECK(temperature > 0, "temperature must be > 0");
}

std::vector<uint8_t> positive_mask(const SparseMatrix& sorted_labels, const std::vector<uint32_t>& docs,
                                   const std::vector<uint32_t>& columns) {
  const size_t m = columns.size();
  std::vector<uint8_t> mask(docs.size() * m, 0);
  // The columns sorted by label: each document looks up its few positives among them, instead of each column
  // among its positives (a document has a handful of labels, a batch a thousand columns).
  std::vector<std::pair<uint32_t, uint32_t>> by_label(m);
  for (size_t j = 0; j < m; ++j) by_label[j] = {columns[j], static_cast<uint32_t>(j)};
  std::sort(by_label.begin(), by_label.end());
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < docs.size(); ++i) {
    for (const uint32_t label : sorted_labels.row_indices(docs[i])) {
      auto it = std::lower_bound(by_label.begin(), by_label.end(), std::pair<uint32_t, uint32_t>{label, 0});
      for (; it != by_label.end() && it->first == label; ++it) mask[i * m + it->second] = 1;
    }
  }
  return mask;
}

double triplet_loss(const float* scores, size_t rows, size_t cols, const uint32_t* positive,
                    const std::vector<uint8_t>& is_positive, const TripletLossConfig& config, float* grad) {
  NGAME_CHECK(is_positive.size() == rows * cols, "positive mask must be rows x cols");
  const size_t k = config.negatives;
  const double scale = 1.0 / static_cast<double>(rows * k);
  double total = 0;
  std::fill(grad, grad + rows * cols, 0.0f);
#pragma omp parallel reduction(+ : total)
  {
    std::vector<uint32_t> candidates;
    std::vector<double> hinge, weight;
#pragma omp for schedule(static)
    for (size_t i = 0; i < rows; ++i) {
      const float* s = scores + i * cols;
      float* g = grad + i * cols;
      candidates.clear();
      for (size_t j = 0; j < cols; ++j) {
        if (!is_positive[i * cols + j]) candidates.push_back(static_cast<uint32_t>(j));
      }
      const size_t take = std::min(k, candidates.size());
      if (take == 0) continue;
      std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(take), candidates.end(),
                        [&](uint32_t a, uint32_t b) { return s[a] > s[b] || (s[a] == s[b] && a < b); });
      const double pos = s[positive[i]];
      hinge.assign(take, 0.0);
      weight.assign(take, 1.0);
      for (size_t r = 0; r < take; ++r) hinge[r] = std::max(0.0, s[candidates[r]] - pos + config.margin);
      if (config.softmax_weights) {
        // logits: s/T on violating entries, 0 elsewhere (the reference masks with 0, not -inf).
        double max_logit = -1e300;
        for (size_t r = 0; r < take; ++r) {
          const double z = hinge[r] > 0 ? s[candidates[r]] / config.temperature : 0.0;
          weight[r] = z;
          max_logit = std::max(max_logit, z);
        }
        double sum = 0;
        for (size_t r = 0; r < take; ++r) sum += (weight[r] = std::exp(weight[r] - max_logit));
        for (size_t r = 0; r < take; ++r) weight[r] /= sum;
      }
      double row_loss = 0;
      for (size_t r = 0; r < take; ++r) row_loss += weight[r] * hinge[r];
      total += row_loss;
      // d/ds_neg = w M + (softmax part) w (l - sum w l) M / T ; d/ds_pos = -sum_r w_r M_r.
      double d_pos = 0;
      for (size_t r = 0; r < take; ++r) {
        if (hinge[r] <= 0) continue;
        double d = weight[r];
        if (config.softmax_weights) d += weight[r] * (hinge[r] - row_loss) / config.temperature;
        g[candidates[r]] += static_cast<float>(d * scale);
        d_pos -= weight[r];
      }
      g[positive[i]] += static_cast<float>(d_pos * scale);
    }
  }
  return total * scale;
}

}  // namespace ngame
