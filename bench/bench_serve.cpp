// Load generator for `ngame serve` on loopback: one-text /v1/predict requests from N keep-alive connections for a
// fixed time, at several connection counts, then again while another connection adds labels. Prints JSON lines.
// Usage: bench_serve --port P --texts FILE [--connections 1,4,16] [--seconds 10] [--k 10] [--add-labels-per-s 20]
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "data/text_corpus.h"

namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

struct Run {
  std::vector<double> latency_ms;
  uint64_t errors = 0;
  double seconds = 0;
};

double pct(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

// `connections` threads, each with its own keep-alive connection, send one-text requests for `seconds`.
Run predict_load(int port, const ngame::TextCorpus& texts, int connections, double seconds, int k) {
  std::vector<Run> per(static_cast<size_t>(connections));
  std::vector<std::thread> threads;
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  const auto start = Clock::now();
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", port);
      client.set_tcp_nodelay(true);
      client.set_keep_alive(true);
      size_t i = static_cast<size_t>(c) * 7919;
      Run& r = per[static_cast<size_t>(c)];
      while (Clock::now() < end) {
        const std::string body = json{{"texts", {std::string(texts[i++ % texts.size()])}}, {"k", k}}.dump();
        const auto t = Clock::now();
        auto res = client.Post("/v1/predict", body, "application/json");
        r.latency_ms.push_back(1e3 * std::chrono::duration<double>(Clock::now() - t).count());
        if (!res || res->status != 200) ++r.errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  Run all;
  all.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (auto& r : per) {
    all.latency_ms.insert(all.latency_ms.end(), r.latency_ms.begin(), r.latency_ms.end());
    all.errors += r.errors;
  }
  return all;
}

void print_run(const char* phase, int connections, Run& r) {
  const size_t n = r.latency_ms.size();
  std::printf("{\"bench\":\"serve\",\"phase\":\"%s\",\"connections\":%d,\"requests\":%zu,\"errors\":%llu,"
              "\"requests_per_s\":%.0f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f}\n",
              phase, connections, n, static_cast<unsigned long long>(r.errors), n / r.seconds, pct(r.latency_ms, 0.5),
              pct(r.latency_ms, 0.99), pct(r.latency_ms, 1.0));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0, k = 10;
  double seconds = 10, add_rate = 20;
  std::string texts_path;
  std::vector<int> connection_counts = {1, 4, 16};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--port") port = std::stoi(v);
    else if (a == "--texts") texts_path = v;
    else if (a == "--seconds") seconds = std::stod(v);
    else if (a == "--k") k = std::stoi(v);
    else if (a == "--add-labels-per-s") add_rate = std::stod(v);
    else if (a == "--connections") {
      connection_counts.clear();
      for (size_t p = 0; p < v.size();) {
        const size_t q = v.find(',', p);
        connection_counts.push_back(std::stoi(v.substr(p, q - p)));
        p = q == std::string::npos ? v.size() : q + 1;
      }
    } else {
      std::fprintf(stderr, "bench_serve: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (port <= 0 || texts_path.empty()) {
    std::fprintf(stderr, "usage: bench_serve --port P --texts FILE [--connections 1,4,16] [--seconds 10] [--k 10] "
                         "[--add-labels-per-s 20]\n");
    return 2;
  }
  const ngame::TextCorpus texts = ngame::read_text_file(texts_path);
  predict_load(port, texts, 1, 1.0, k);  // warm-up
  for (int c : connection_counts) {
    Run r = predict_load(port, texts, c, seconds, k);
    print_run("predict", c, r);
  }
  // Predictions at 4 connections while labels are added one per request; each added label's own text is then asked
  // for, and the time from sending the addition to seeing the label ranked first is recorded.
  std::atomic<bool> stop{false};
  std::vector<double> add_ms, visible_ms;
  uint64_t not_first = 0, not_returned = 0;  // the label's own text: label in the top 10 but not first / not in it
  std::thread adder([&] {
    httplib::Client client("127.0.0.1", port);
    client.set_tcp_nodelay(true);
    for (int i = 0; !stop; ++i) {
      const auto t = Clock::now();
      const std::string text = "benchmark label " + std::to_string(i) + ": " + std::string(texts[(i * 31) % texts.size()]);
      auto res = client.Post("/v1/labels", json{{"labels", {{{"text", text}}}}}.dump(), "application/json");
      if (!res || res->status != 200) continue;
      add_ms.push_back(1e3 * std::chrono::duration<double>(Clock::now() - t).count());
      const uint64_t id = json::parse(res->body)["ids"][0].get<uint64_t>();
      auto pred = client.Post("/v1/predict", json{{"texts", {text}}, {"k", 10}}.dump(), "application/json");
      bool returned = false;
      if (pred && pred->status == 200) {
        const json top = json::parse(pred->body)["predictions"][0];
        for (size_t r = 0; r < top.size(); ++r) {
          if (top[r]["id"].get<uint64_t>() != id) continue;
          returned = true;
          if (r > 0) ++not_first;
        }
      }
      if (returned) {
        visible_ms.push_back(1e3 * std::chrono::duration<double>(Clock::now() - t).count());
      } else {
        ++not_returned;
      }
      std::this_thread::sleep_until(t + std::chrono::duration<double>(1.0 / add_rate));
    }
  });
  Run r = predict_load(port, texts, 4, seconds, k);
  stop = true;
  adder.join();
  print_run("predict_while_adding_labels", 4, r);
  std::printf("{\"bench\":\"serve\",\"phase\":\"add_labels\",\"labels\":%zu,\"add_p50_ms\":%.2f,\"add_p99_ms\":%.2f,"
              "\"visible_p50_ms\":%.2f,\"visible_max_ms\":%.2f,\"own_text_not_first\":%llu,"
              "\"own_text_not_in_top10\":%llu}\n",
              add_ms.size(), pct(add_ms, 0.5), pct(add_ms, 0.99), pct(visible_ms, 0.5), pct(visible_ms, 1.0),
              static_cast<unsigned long long>(not_first), static_cast<unsigned long long>(not_returned));
  httplib::Client client("127.0.0.1", port);
  if (auto m = client.Get("/v1/metrics")) {
    const std::string key = "\nngame_label_write_lock_max_seconds ";
    const size_t p = m->body.find(key);
    if (p != std::string::npos) {
      const std::string value = m->body.substr(p + key.size());
      std::printf("{\"bench\":\"serve\",\"phase\":\"label_lock\",\"max_hold_ms\":%.3f}\n", 1e3 * std::stod(value));
    }
  }
  return 0;
}
