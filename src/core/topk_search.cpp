#include "core/topk_search.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "core/dense_math.h"

namespace ngame {

namespace {
/// Keys tested against the heap's bar at once.
constexpr size_t kTopkBlock = 16;
}  // namespace

void exact_topk(const float* queries, size_t nq, const float* keys, size_t nk, size_t d, size_t k,
                std::vector<uint32_t>& ids, std::vector<float>& scores) {
  ids.assign(nq * k, UINT32_MAX);
  scores.assign(nq * k, -std::numeric_limits<float>::infinity());
  if (nq == 0 || nk == 0 || k == 0) return;
  // Blocks of queries keep the score buffer near 64 MiB whatever the key count.
  // (and never more than the queries: a single query must not pay for a 1024-row buffer).
  const size_t block = std::min(nq, std::max<size_t>(1, std::min<size_t>(1024, (16u << 20) / nk)));
  std::vector<float> block_scores(block * nk);
  const size_t take = std::min(k, nk);
  for (size_t q0 = 0; q0 < nq; q0 += block) {
    const size_t nb = std::min(block, nq - q0);
    gemm(false, true, nb, nk, d, 1.0f, queries + q0 * d, d, keys, d, 0.0f, block_scores.data(), nk);
#pragma omp parallel
    {
      // A min-heap of the best `take` so far: most scores are rejected by one comparison with its top.
      std::vector<std::pair<float, uint32_t>> heap;
      auto better = [](const std::pair<float, uint32_t>& a, const std::pair<float, uint32_t>& b) {
        return a.first > b.first || (a.first == b.first && a.second < b.second);
      };
#pragma omp for schedule(static)
      for (size_t i = 0; i < nb; ++i) {
        const float* s = block_scores.data() + i * nk;
        heap.clear();
        for (size_t j = 0; j < take; ++j) {
          heap.emplace_back(s[j], static_cast<uint32_t>(j));
          std::push_heap(heap.begin(), heap.end(), better);
        }
        // Past the first `take`, a key enters only when it scores above the heap's worst: a later key loses ties,
        // having the higher id. Blocks of keys are tested against that bar at once (one vectorised pass) and
        // looked at one by one only when some key clears it; the bar only rises inside a block.
        auto offer = [&](size_t j) {
          if (s[j] > heap.front().first) {
            std::pop_heap(heap.begin(), heap.end(), better);
            heap.back() = {s[j], static_cast<uint32_t>(j)};
            std::push_heap(heap.begin(), heap.end(), better);
          }
        };
        size_t j = take;
        for (; j + kTopkBlock <= nk; j += kTopkBlock) {
          const float bar = heap.front().first;
          bool clears = false;
          for (size_t t = 0; t < kTopkBlock; ++t) clears |= s[j + t] > bar;
          if (!clears) continue;
          for (size_t t = 0; t < kTopkBlock; ++t) offer(j + t);
        }
        for (; j < nk; ++j) offer(j);
        std::sort(heap.begin(), heap.end(), better);
        for (size_t r = 0; r < heap.size(); ++r) {
          ids[(q0 + i) * k + r] = heap[r].second;
          scores[(q0 + i) * k + r] = heap[r].first;
        }
      }
    }
  }
}

}  // namespace ngame
