#include "train/classifier_loss.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace ngame {

void ClassifierLossConfig::validate() const {
  NGAME_CHECK(positives >= 1 && negatives >= 1, "need at least one positive and one negative");
  NGAME_CHECK(margin >= 0, "margin must be >= 0");
}

double classifier_loss(const float* scores, size_t rows, size_t cols, const std::vector<uint8_t>& is_positive,
                       const ClassifierLossConfig& config, float* grad) {
  NGAME_CHECK(is_positive.size() == rows * cols, "positive mask must be rows x cols");
  const size_t np = config.positives, nn = config.negatives;
  const double scale = 1.0 / static_cast<double>(rows * np * nn);
  std::fill(grad, grad + rows * cols, 0.0f);
  double total = 0;
#pragma omp parallel reduction(+ : total)
  {
    std::vector<uint32_t> pos, neg;
    std::vector<double> hinge(nn), weight(nn);
#pragma omp for schedule(static)
    for (size_t i = 0; i < rows; ++i) {
      const float* s = scores + i * cols;
      float* g = grad + i * cols;
      pos.clear();
      neg.clear();
      for (size_t j = 0; j < cols; ++j) (is_positive[i * cols + j] ? pos : neg).push_back(static_cast<uint32_t>(j));
      const size_t tp = std::min(np, pos.size()), tn = std::min(nn, neg.size());
      if (tp == 0 || tn == 0) continue;
      auto lowest = [&](uint32_t a, uint32_t b) { return s[a] < s[b] || (s[a] == s[b] && a < b); };
      auto highest = [&](uint32_t a, uint32_t b) { return s[a] > s[b] || (s[a] == s[b] && a < b); };
      std::partial_sort(pos.begin(), pos.begin() + static_cast<std::ptrdiff_t>(tp), pos.end(), lowest);
      std::partial_sort(neg.begin(), neg.begin() + static_cast<std::ptrdiff_t>(tn), neg.end(), highest);
      // Missing positives (fewer than P) count as padding with zero hinge, as the reference pads with +100.
      for (size_t a = 0; a < tp; ++a) {
        const double sp = s[pos[a]];
        double max_z = -1e300;
        for (size_t b = 0; b < tn; ++b) {
          hinge[b] = std::max(0.0, s[neg[b]] - sp + config.margin);
          weight[b] = hinge[b] > 0 ? hinge[b] : -100.0;  // softmax logits: the hinge itself, inactive masked
          max_z = std::max(max_z, weight[b]);
        }
        if (config.softmax_weights) {
          double sum = 0;
          for (size_t b = 0; b < tn; ++b) sum += (weight[b] = std::exp(weight[b] - max_z));
          for (size_t b = 0; b < tn; ++b) weight[b] /= sum;
        } else {
          std::fill(weight.begin(), weight.begin() + static_cast<std::ptrdiff_t>(tn), 1.0);
        }
        double l = 0;
        for (size_t b = 0; b < tn; ++b) l += weight[b] * hinge[b];
        total += l;
        double d_pos = 0;
        for (size_t b = 0; b < tn; ++b) {
          if (hinge[b] <= 0) continue;
          double d = weight[b];
          if (config.softmax_weights) d += weight[b] * (hinge[b] - l);  // through the softmax (temperature 1)
          g[neg[b]] += static_cast<float>(d * scale);
          d_pos -= d;
        }
        g[pos[a]] += static_cast<float>(d_pos * scale);
      }
    }
  }
  return total * scale;
}

}  // namespace ngame
