#pragma once
// The order of every ranking of (score, id) pairs in ngame: higher score first, ties to the lower id, so that a
// ranking never depends on the order its candidates came in.

namespace ngame {

/// True when a ranks before b: a higher .first, or the same .first and a lower .second.
struct BestFirst {
  template <class Pair>
  bool operator()(const Pair& a, const Pair& b) const {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  }
};

}  // namespace ngame
