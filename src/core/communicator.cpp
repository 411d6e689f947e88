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
  const std::string own = bytes_of(values.data(), values.size());
  const std::vector<std::string_view> all = group.all_gather(own);
  std::fill(values.begin(), values.end(), 0.0f);
  for (const std::string_view bytes : all) {
    NGAME_CHECK(bytes.size() == values.size() * sizeof(float), "all_sum_in_place: ranks sent arrays of different sizes");
    for (size_t i = 0; i < values.size(); ++i) {
      float v;
      std::memcpy(&v, bytes.data() + i * sizeof(float), sizeof(float));
      values[i] += v;
    }
  }
}

std::pair<uint64_t, uint64_t> contiguous_share(uint64_t n, int rank, int size) {
  const auto r = static_cast<uint64_t>(rank), s = static_cast<uint64_t>(size);
  return {n * r / s, n * (r + 1) / s};
}

}  // namespace ngame
