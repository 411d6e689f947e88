#include "serve/server_metrics.h"

#include <fmt/format.h>

#include <algorithm>

namespace ngame {

void ServerMetrics::Histogram::add(double seconds) {
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  ++counts[b];
  sum += seconds;
  ++count;
}

void ServerMetrics::record_request(const std::string& route, int status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{route, status}];
  latency_[route].add(seconds);
}

void ServerMetrics::record_label_lock(double seconds) {
  std::lock_guard lock(mutex_);
  label_lock_.add(seconds);
  label_lock_max_ = std::max(label_lock_max_, seconds);
}

uint64_t ServerMetrics::requests() const {
  std::lock_guard lock(mutex_);
  uint64_t n = 0;
  for (const auto& [key, count] : requests_) n += count;
  return n;
}

namespace {
void render_histogram(std::string& out, const std::string& name, const std::string& labels, const auto& h) {
  uint64_t cumulative = 0;
  const std::string sep = labels.empty() ? "" : ",";
  for (size_t b = 0; b < ServerMetrics::kBuckets.size(); ++b) {
    cumulative += h.counts[b];
    out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, ServerMetrics::kBuckets[b], cumulative);
  }
  cumulative += h.counts.back();
  out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, cumulative);
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += fmt::format("{}_sum{} {}\n{}_count{} {}\n", name, braces, h.sum, name, braces, h.count);
}
}  // namespace

std::string ServerMetrics::render(const std::map<std::string, double>& gauges) const {
  std::lock_guard lock(mutex_);
  std::string out;
  out += "# HELP ngame_requests_total HTTP requests by route and status code.\n# TYPE ngame_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    out += fmt::format("ngame_requests_total{{route=\"{}\",code=\"{}\"}} {}\n", key.first, key.second, count);
  }
  uint64_t errors = 0;
  for (const auto& [key, count] : requests_) errors += key.second >= 400 ? count : 0;
  out += "# HELP ngame_request_errors_total Requests answered with a 4xx or 5xx status.\n"
         "# TYPE ngame_request_errors_total counter\n";
  out += fmt::format("ngame_request_errors_total {}\n", errors);
  out += "# HELP ngame_request_duration_seconds Time from request read to response, by route.\n"
         "# TYPE ngame_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    render_histogram(out, "ngame_request_duration_seconds", fmt::format("route=\"{}\"", route), h);
  }
  out += "# HELP ngame_label_write_lock_seconds Time predictions were held off while added labels entered the model.\n"
         "# TYPE ngame_label_write_lock_seconds histogram\n";
  render_histogram(out, "ngame_label_write_lock_seconds", "", label_lock_);
  out += "# HELP ngame_label_write_lock_max_seconds Longest such hold.\n# TYPE ngame_label_write_lock_max_seconds gauge\n";
  out += fmt::format("ngame_label_write_lock_max_seconds {}\n", label_lock_max_);
  for (const auto& [name, value] : gauges) out += fmt::format("# TYPE {} gauge\n{} {}\n", name, name, value);
  return out;
}

}  // namespace ngame
