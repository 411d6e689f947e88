#pragma once
// splitmix64's output function: a fixed, portable 64-bit hash (the same on every platform and standard library).
#include <cstdint>

namespace ngame {

/// The splitmix64 value for input x: adds the golden-ratio increment, then mixes. Consecutive inputs give
/// well-spread outputs, so it serves as a hash and, stepped by the increment, as a generator.
inline uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// The increment splitmix64 adds (a generator's state steps by it).
inline constexpr uint64_t kSplitmixIncrement = 0x9e3779b97f4a7c15ULL;

}  // namespace ngame
