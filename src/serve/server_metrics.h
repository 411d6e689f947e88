#pragma once
// Counters and latency histograms of the prediction server, rendered in Prometheus' text format.
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace ngame {

/// Request counts by route and status, latency histograms by route, and the label-write lock hold times.
class ServerMetrics {
 public:
  /// Upper bounds (seconds) of the latency histogram buckets; the last bucket is +Inf.
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02,
                                                      0.05,   0.1,   0.25,  0.5,   1.0,  2.5};
  /// Records one finished request (route: a fixed name such as "/v1/predict", or "other").
  void record_request(const std::string& route, int status, double seconds);
  /// Records how long predictions were held off while labels were written into the model.
  void record_label_lock(double seconds);
  /// The Prometheus exposition, with the given gauges (name -> value) appended.
  std::string render(const std::map<std::string, double>& gauges) const;
  /// Requests recorded so far (all routes).
  uint64_t requests() const;

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size() + 1> counts{};
    double sum = 0;
    uint64_t count = 0;
    void add(double seconds);
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  Histogram label_lock_;
  double label_lock_max_ = 0;
};

}  // namespace ngame
