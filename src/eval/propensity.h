#pragma once
// Inverse propensity of each label (Jain et al. 2016), as pyxclib's compute_inv_propesity.
#include <vector>

#include "data/sparse_matrix.h"

namespace ngame {

/// Propensity-model constants; 0.55/1.5 is pyxclib's default, Amazon sets use 0.6/2.6, Wikipedia 0.5/0.4.
struct PropensityConfig {
  double a = 0.55;
  double b = 1.5;
};

/// 1 + C (n_l + B)^-A with C = (ln N - 1)(B + 1)^A, N = training rows, n_l = sum of column l's values.
std::vector<double> inverse_propensity(const SparseMatrix& train_labels, const PropensityConfig& config = {});

}  // namespace ngame
