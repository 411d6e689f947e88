#pragma once
// Scoring a text's candidate labels together through an inverted index (feature -> labels with weights), instead
// of one sparse dot product per candidate: a text has a few features, and a candidate list is short next to the
// postings of common words, so each feature's posting is read whole when short or galloped through when long.
// Each candidate's sum gets its products in the text's feature order, as a merge of the two sorted rows adds
// them, so both ways give the same floats.
#include <algorithm>
#include <cstddef>
#include <bit>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace ngame {

/// One feature's posting: (label, weight) with labels ascending.
using Posting = std::span<const std::pair<uint32_t, float>>;

/// A posting at most this many times longer than a candidate list is read whole; longer ones are galloped through.
inline constexpr uint64_t kReadPostingPerCandidate = 4;

/// Reads of walking the postings of a text's features for n candidates (posting_of(f) gives feature f's posting).
template <typename PostingOf>
uint64_t posting_walk_cost(const uint32_t* ids, size_t size, size_t n, PostingOf posting_of) {
  uint64_t cost = 0;
  for (size_t t = 0; t < size; ++t) {
    const uint64_t len = posting_of(ids[t]).size();
    if (len <= kReadPostingPerCandidate * n) {
      cost += len;
    } else {
      cost += n * (1 + static_cast<uint64_t>(std::bit_width(len / n)));
    }
  }
  return cost;
}

/// The first entry of sorted [at, end) whose label is not below v: doubling steps from at, then a binary search.
inline const std::pair<uint32_t, float>* gallop_to(const std::pair<uint32_t, float>* at,
                                                   const std::pair<uint32_t, float>* end, uint32_t v) {
  size_t step = 1;
  while (static_cast<size_t>(end - at) > step && at[step].first < v) {
    at += step;
    step *= 2;
  }
  const auto* last = at + std::min<std::ptrdiff_t>(end - at, static_cast<std::ptrdiff_t>(step) + 1);
  return std::lower_bound(at, last, v,
                          [](const std::pair<uint32_t, float>& e, uint32_t x) { return e.first < x; });
}

/// Scratch of add_posting_products: each candidate's place by label (~0u where none), one per thread, shared by
/// every scorer and model the thread serves; it grows to the highest label id seen (4 bytes a label) and is left
/// all ~0u after each call.
inline std::vector<uint32_t>& candidate_places() {
  thread_local std::vector<uint32_t> places;
  return places;
}

/// Adds weights[t] x (feature ids[t]'s posting weight of labels[c]) to sum[c] for every text feature t in order and
/// every candidate c; labels sorted and distinct. A short posting is read whole, each entry finding its candidate
/// through candidate_places(); a long one is galloped through, candidate by candidate.
template <typename PostingOf>
void add_posting_products(const uint32_t* ids, const float* weights, size_t size, PostingOf posting_of,
                          std::span<const uint32_t> labels, float* sum) {
  constexpr uint32_t kNoPlace = ~uint32_t{0};
  const size_t n = labels.size();
  if (n == 0) return;
  std::vector<uint32_t>& place = candidate_places();
  if (place.size() <= labels.back()) place.resize(static_cast<size_t>(labels.back()) + 1, kNoPlace);
  for (size_t c = 0; c < n; ++c) place[labels[c]] = static_cast<uint32_t>(c);
  for (size_t t = 0; t < size; ++t) {
    const Posting posting = posting_of(ids[t]);
    if (posting.size() <= kReadPostingPerCandidate * n) {
      for (const auto& [label, w] : posting) {
        const uint32_t c = label < place.size() ? place[label] : kNoPlace;
        if (c != kNoPlace) sum[c] += weights[t] * w;
      }
      continue;
    }
    const auto* at = posting.data();
    const auto* end = posting.data() + posting.size();
    for (size_t c = 0; c < n && at != end; ++c) {
      at = gallop_to(at, end, labels[c]);
      if (at != end && at->first == labels[c]) sum[c] += weights[t] * at->second;
    }
  }
  for (size_t c = 0; c < n; ++c) place[labels[c]] = kNoPlace;
}

}  // namespace ngame
