#include "core/topk_search.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "core/best_first.h"
#include "core/dense_math.h"

namespace ngame {

namespace {
/// Keys tested against the bar at once.
constexpr size_t kTopkBlock = 16;

/// A mask of the kTopkBlock scores at s that are above bar (NaN is not), four compares at a time: the test runs for
/// every score of every row (a scalar loop of compares took a tenth of WordNet's prediction).
inline uint32_t above(const float* s, float bar) {
#ifdef __SSE2__
  const __m128 b = _mm_set1_ps(bar);
  uint32_t mask = 0;
  for (size_t t = 0; t < kTopkBlock; t += 4) {
    mask |= static_cast<uint32_t>(_mm_movemask_ps(_mm_cmpgt_ps(_mm_loadu_ps(s + t), b))) << t;
  }
  return mask;
#else
  uint32_t mask = 0;
  for (size_t t = 0; t < kTopkBlock; ++t) mask |= static_cast<uint32_t>(s[t] > bar) << t;
  return mask;
#endif
}
}  // namespace

namespace {

/// The largest of the kTopkBlock scores at s, NaN ignored (-inf when all are NaN).
inline float block_max(const float* s) {
#ifdef __SSE2__
  __m128 m = _mm_set1_ps(-std::numeric_limits<float>::infinity());
  for (size_t t = 0; t < kTopkBlock; t += 4) m = _mm_max_ps(_mm_loadu_ps(s + t), m);  // a NaN operand yields m
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ps(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
#else
  float m = -std::numeric_limits<float>::infinity();
  for (size_t t = 0; t < kTopkBlock; ++t) m = s[t] > m ? s[t] : m;
  return m;
#endif
}

/// select_topk where the row holds at least 2 * take full blocks: the take-th largest of the blocks' maxima is a
/// bar no key of the best take falls below (take blocks hold a key at least that high), and so few others pass it
/// that one pass collects little more than take keys (about 150 for the best 141 of 17K scores). false when fewer
/// than take blocks hold a finite score: the caller then selects as if from scratch.
bool select_topk_by_block_maxima(const float* s, size_t nk, size_t take, std::vector<std::pair<float, uint32_t>>& kept,
                                 std::vector<float>& maxima) {
  const size_t blocks = nk / kTopkBlock;
  maxima.resize(blocks);
  for (size_t b = 0; b < blocks; ++b) maxima[b] = block_max(s + b * kTopkBlock);
  std::nth_element(maxima.begin(), maxima.begin() + static_cast<std::ptrdiff_t>(take - 1), maxima.end(),
                   std::greater<float>());
  const float bar = maxima[take - 1];
  if (!(bar > -std::numeric_limits<float>::infinity())) return false;
  kept.clear();
  size_t j = 0;
  for (; j + kTopkBlock <= nk; j += kTopkBlock) {
    // Keys at least the bar: not above (bar - itself), so its own key passes.
    for (uint32_t passing = above(s + j, std::nextafter(bar, -std::numeric_limits<float>::infinity())); passing != 0;
         passing &= passing - 1) {
      const auto t = static_cast<uint32_t>(std::countr_zero(passing));
      kept.emplace_back(s[j + t], static_cast<uint32_t>(j) + t);
    }
  }
  for (; j < nk; ++j) {
    if (s[j] >= bar) kept.emplace_back(s[j], static_cast<uint32_t>(j));
  }
  return true;
}

}  // namespace

size_t select_topk(const float* s, size_t nk, size_t take, std::vector<std::pair<float, uint32_t>>& kept, bool sorted) {
  if (take == 0 || nk == 0) return 0;
  thread_local std::vector<float> maxima;
  if (nk / kTopkBlock >= 2 * take && select_topk_by_block_maxima(s, nk, take, kept, maxima)) {
    const BestFirst better;
    const auto first = kept.begin(), end = kept.begin() + static_cast<std::ptrdiff_t>(take);  // kept holds >= take
    if (sorted) {
      std::partial_sort(first, end, kept.end(), better);
    } else if (kept.size() > take) {
      std::nth_element(first, end - 1, kept.end(), better);
    }
    return take;
  }
  // Shorter rows (or rows of too few finite scores): keys that beat the bar are appended to kept; when it holds
  // 2 * take, the best take are kept (a linear selection) and the bar rises to the worst of them. A later key beats
  // the bar only with a higher score (it loses ties, having the higher id). Each row costs one vectorised pass plus
  // about take * (1 + ln(nk / take)) appends and a selection per take of them.
  kept.resize(2 * take + kTopkBlock);
  const BestFirst better;
  float bar = -std::numeric_limits<float>::infinity();
  size_t held = 0;
  auto select = [&] {  // the best take of the held, the bar at the worst of them
    std::nth_element(kept.begin(), kept.begin() + static_cast<std::ptrdiff_t>(take - 1),
                     kept.begin() + static_cast<std::ptrdiff_t>(held), better);
    held = take;
    bar = kept[take - 1].first;  // those before it are no worse
  };
  size_t j = 0;
  for (; j + kTopkBlock <= nk; j += kTopkBlock) {
    uint32_t clearing = above(s + j, bar);  // bit t: key j + t beats the bar
    if (clearing == 0) continue;
    for (; clearing != 0; clearing &= clearing - 1) {
      const auto t = static_cast<uint32_t>(std::countr_zero(clearing));
      kept[held++] = {s[j + t], static_cast<uint32_t>(j) + t};
    }
    if (held >= 2 * take) select();
  }
  for (; j < nk; ++j) {
    if (s[j] > bar) {
      kept[held++] = {s[j], static_cast<uint32_t>(j)};
      if (held >= 2 * take) select();
    }
  }
  const size_t found = std::min(held, take);
  if (sorted) {
    std::partial_sort(kept.begin(), kept.begin() + static_cast<std::ptrdiff_t>(found),
                      kept.begin() + static_cast<std::ptrdiff_t>(held), better);
  } else if (held > take) {
    select();
  }
  return found;
}

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
      std::vector<std::pair<float, uint32_t>> kept;
#pragma omp for schedule(static)
      for (size_t i = 0; i < nb; ++i) {
        const size_t found = select_topk(block_scores.data() + i * nk, nk, take, kept);
        for (size_t r = 0; r < found; ++r) {
          ids[(q0 + i) * k + r] = kept[r].second;
          scores[(q0 + i) * k + r] = kept[r].first;
        }
      }
    }
  }
}

}  // namespace ngame
