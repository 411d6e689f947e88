// Prediction throughput (one batch of all texts) and per-document latency (one text at a time, p50 / p99) of a
// trained model. Usage: bench_predict MODEL TEXTS.txt [--threads N] [--single S] [--k K]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "core/runtime.h"
#include "data/text_corpus.h"
#include "model/model_store.h"
#include "predict/model_predictor.h"

int main(int argc, char** argv) {
  using namespace ngame;
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_predict MODEL TEXTS.txt [--threads N] [--single S] [--k K]\n");
    return 2;
  }
  int threads = 0;
  size_t single = 500, k = 100;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--threads") threads = std::stoi(argv[i + 1]);
    if (a == "--single") single = std::stoul(argv[i + 1]);
    if (a == "--k") k = std::stoul(argv[i + 1]);
  }
  set_thread_count(threads);
  auto t0 = std::chrono::steady_clock::now();
  ModelParts model = load_model(argv[1]);
  ModelPredictor predictor(model);
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  TextCorpus texts = read_text_file(argv[2]);
  t0 = std::chrono::steady_clock::now();
  predictor.predict(texts, k);
  const double batch_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<double> latency_ms;
  for (size_t i = 0; i < std::min(single, texts.size()); ++i) {
    TextCorpus one;
    one.push_back(texts[i]);
    t0 = std::chrono::steady_clock::now();
    predictor.predict(one, k);
    latency_ms.push_back(1e3 * std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(latency_ms.begin(), latency_ms.end());
  auto pct = [&](double p) { return latency_ms.empty() ? 0.0 : latency_ms[static_cast<size_t>(p * (latency_ms.size() - 1))]; };
  std::printf("{\"bench\":\"predict\",\"threads\":%d,\"texts\":%zu,\"load_s\":%.2f,\"batch_s\":%.2f,\"texts_per_s\":%.0f,"
              "\"single_p50_ms\":%.2f,\"single_p99_ms\":%.2f}\n",
              thread_count(), texts.size(), load_s, batch_s, texts.size() / batch_s, pct(0.5), pct(0.99));
  return 0;
}
