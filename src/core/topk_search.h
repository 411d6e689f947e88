#pragma once
// Exact inner-product top-k of many queries against many keys: blocked BLAS products plus partial sorts.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ngame {

/// For each of the nq query rows (nq x d), the k keys (nk x d) with the highest inner product, best first (ties
/// by lower key id). ids and scores receive nq * k entries; rows with fewer than k keys scoring above -inf (a NaN
/// score counts as none) are padded with id UINT32_MAX and score -inf.
void exact_topk(const float* queries, size_t nq, const float* keys, size_t nk, size_t d, size_t k,
                std::vector<uint32_t>& ids, std::vector<float>& scores);

}  // namespace ngame
