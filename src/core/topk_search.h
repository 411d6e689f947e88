#pragma once
// Exact inner-product top-k of many queries against many keys: blocked BLAS products plus partial sorts.
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace ngame {

/// The best take of the nk scores s (key ids 0 .. nk-1) into kept[0 .. returned), best first (ties by lower id) if
/// sorted, else in no order; a NaN or -inf score is never chosen, so fewer than take may be returned. kept is working
/// space, reused across calls.
size_t select_topk(const float* s, size_t nk, size_t take, std::vector<std::pair<float, uint32_t>>& kept,
                   bool sorted = true);

/// For each of the nq query rows (nq x d), the k keys (nk x d) with the highest inner product, best first (ties
/// by lower key id). ids and scores receive nq * k entries; rows with fewer than k keys scoring above -inf (a NaN
/// score counts as none) are padded with id UINT32_MAX and score -inf.
void exact_topk(const float* queries, size_t nq, const float* keys, size_t nk, size_t d, size_t k,
                std::vector<uint32_t>& ids, std::vector<float>& scores);

}  // namespace ngame
