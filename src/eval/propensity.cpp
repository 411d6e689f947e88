#include "eval/propensity.h"

#include <cmath>

#include "core/error.h"

namespace ngame {

std::vector<double> inverse_propensity(const SparseMatrix& train_labels, const PropensityConfig& config) {
  NGAME_CHECK(train_labels.rows > 0, "propensity needs at least one training row");
  std::vector<double> freq(train_labels.cols, 0.0);
  for (uint64_t i = 0; i < train_labels.nnz(); ++i) freq[train_labels.indices[i]] += train_labels.values[i];
  const double c = (std::log(static_cast<double>(train_labels.rows)) - 1.0) * std::pow(config.b + 1.0, config.a);
  std::vector<double> inv(train_labels.cols);
  for (size_t l = 0; l < inv.size(); ++l) inv[l] = 1.0 + c * std::pow(freq[l] + config.b, -config.a);
  return inv;
}

}  // namespace ngame
