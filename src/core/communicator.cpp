#include "core/communicator.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "core/error.h"

namespace ngame {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

template <typename T>
std::string bytes_of(const T* values, size_t n) {
  return std::string(reinterpret_cast<const char*>(values), n * sizeof(T));
}

}  // namespace

std::vector<std::string_view> Communicator::all_gather(std::string_view mine) {
  const auto start = std::chrono::steady_clock::now();
  waited_ = 0;
  std::vector<std::string_view> all = exchange(mine);
  stats_.wait_seconds += waited_;
  NGAME_CHECK(all.size() == static_cast<size_t>(size()), "all_gather: one payload per rank");
  stats_.calls += 1;
  stats_.bytes_sent += mine.size();
  for (size_t r = 0; r < all.size(); ++r) {
    if (static_cast<int>(r) != rank()) stats_.bytes_received += all[r].size();
  }
  stats_.seconds += seconds_since(start);
  return all;
}

std::vector<std::string_view> Communicator::gather(std::string_view mine, int root) {
  NGAME_CHECK(root >= 0 && root < size(), "gather: root rank out of range");
  const auto start = std::chrono::steady_clock::now();
  waited_ = 0;
  std::vector<std::string_view> all = collect(mine, root);
  stats_.wait_seconds += waited_;
  NGAME_CHECK(all.size() == (rank() == root ? static_cast<size_t>(size()) : 0u), "gather: one payload per rank");
  stats_.calls += 1;
  stats_.bytes_sent += rank() == root ? 0 : mine.size();
  for (size_t r = 0; r < all.size(); ++r) {
    if (static_cast<int>(r) != rank()) stats_.bytes_received += all[r].size();
  }
  stats_.seconds += seconds_since(start);
  return all;
}

std::vector<float> Communicator::reduce_scatter_sum(std::span<const float> values, const std::vector<size_t>& counts) {
  NGAME_CHECK(counts.size() == static_cast<size_t>(size()), "reduce_scatter_sum: one count per rank");
  size_t total = 0;
  for (size_t c : counts) total += c;
  NGAME_CHECK(total == values.size(), "reduce_scatter_sum: the counts do not add up to the array");
  const auto start = std::chrono::steady_clock::now();
  waited_ = 0;
  std::vector<float> part = sum_scatter(values, counts);
  stats_.wait_seconds += waited_;
  const size_t own = counts[static_cast<size_t>(rank())];
  NGAME_CHECK(part.size() == own, "reduce_scatter_sum: the transport returned another length");
  stats_.calls += 1;
  // What the other ranks need of this rank's array, and this rank's part of each other rank's.
  stats_.bytes_sent += (values.size() - own) * sizeof(float);
  stats_.bytes_received += static_cast<uint64_t>(size() - 1) * own * sizeof(float);
  stats_.seconds += seconds_since(start);
  return part;
}

std::vector<float> Communicator::sum_scatter(std::span<const float> values, const std::vector<size_t>& counts) {
  size_t begin = 0;
  for (int r = 0; r < rank(); ++r) begin += counts[static_cast<size_t>(r)];
  const size_t own = counts[static_cast<size_t>(rank())];
  std::vector<float> part(own, 0.0f);
  for (const std::string_view bytes : exchange(std::string_view(reinterpret_cast<const char*>(values.data()),
                                                                values.size() * sizeof(float)))) {
    NGAME_CHECK(bytes.size() == values.size() * sizeof(float), "reduce_scatter_sum: ranks sent arrays of different sizes");
    for (size_t i = 0; i < own; ++i) {
      float v;
      std::memcpy(&v, bytes.data() + (begin + i) * sizeof(float), sizeof(float));
      part[i] += v;
    }
  }
  return part;
}

void Communicator::barrier() {
  const auto start = std::chrono::steady_clock::now();
  wait_for_all();
  stats_.calls += 1;
  stats_.seconds += seconds_since(start);
  stats_.wait_seconds += seconds_since(start);
}

namespace {

// Every rank's value of a scalar, in rank order.
template <typename T>
std::vector<T> all_values(Communicator& group, T value) {
  std::vector<T> values;
  const std::string own = bytes_of(&value, 1);
  for (const std::string_view bytes : group.all_gather(own)) {
    T v{};
    NGAME_CHECK(bytes.size() == sizeof(v), "a scalar exchange: a rank sent " + std::to_string(bytes.size()) + " bytes");
    std::memcpy(&v, bytes.data(), sizeof(v));
    values.push_back(v);
  }
  return values;
}

}  // namespace

uint64_t all_max(Communicator& group, uint64_t value) {
  if (group.size() == 1) return value;
  const std::vector<uint64_t> values = all_values(group, value);
  return *std::max_element(values.begin(), values.end());
}

double all_sum(Communicator& group, double value) {
  if (group.size() == 1) return value;
  double sum = 0;
  for (const double v : all_values(group, value)) sum += v;
  return sum;
}

void all_sum_in_place(Communicator& group, std::vector<float>& values) {
  if (group.size() == 1) return;
  // Every rank must pass the same length; every rank sees every length, so all of them throw together.
  const std::vector<uint64_t> lengths = all_values(group, static_cast<uint64_t>(values.size()));
  NGAME_CHECK(std::all_of(lengths.begin(), lengths.end(), [&](uint64_t n) { return n == lengths[0]; }),
              "all_sum_in_place: ranks sent arrays of different sizes");
  std::vector<size_t> counts(static_cast<size_t>(group.size()));
  for (int r = 0; r < group.size(); ++r) {
    const auto [b, e] = contiguous_share(values.size(), r, group.size());
    counts[static_cast<size_t>(r)] = e - b;
  }
  const std::vector<float> part = group.reduce_scatter_sum(values, counts);
  const std::vector<std::string_view> parts = group.all_gather(bytes_of(part.data(), part.size()));
  size_t at = 0;
  for (int r = 0; r < group.size(); ++r) {
    const std::string_view bytes = parts[static_cast<size_t>(r)];
    NGAME_CHECK(bytes.size() == counts[static_cast<size_t>(r)] * sizeof(float), "all_sum_in_place: a malformed part");
    std::memcpy(values.data() + at, bytes.data(), bytes.size());
    at += counts[static_cast<size_t>(r)];
  }
}

std::pair<uint64_t, uint64_t> contiguous_share(uint64_t n, int rank, int size) {
  const auto r = static_cast<uint64_t>(rank), s = static_cast<uint64_t>(size);
  return {n * r / s, n * (r + 1) / s};
}

}  // namespace ngame
