// Recall@10 of a model's HNSW shortlists against exact search, on a sample of query texts, and the one-text
// search time of each. Usage: bench_index_recall MODEL TEXTS.txt [--queries 1000] [--ef 200]
#include <chrono>
#include <cstdio>
#include <string>

#include "core/runtime.h"
#include "data/text_corpus.h"
#include "model/model_store.h"
#include "predict/label_ranker.h"

int main(int argc, char** argv) {
  using namespace ngame;
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_index_recall MODEL TEXTS.txt [--queries 1000] [--ef 200]\n");
    return 2;
  }
  size_t queries = 1000;
  uint32_t ef = 200;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--queries") queries = std::stoul(argv[i + 1]);
    if (a == "--ef") ef = static_cast<uint32_t>(std::stoul(argv[i + 1]));
  }
  set_thread_count(0);
  ModelLoadOptions options;
  options.ann = AnnChoice::kHnsw;
  options.hnsw.ef_search = ef;
  options.memory_ef_search = ef;
  Model model = load_model(argv[1], options);
  TextCorpus all = read_text_file(argv[2]);
  TextCorpus sample;
  const size_t step = std::max<size_t>(1, all.size() / queries);
  for (size_t i = 0; i < all.size() && sample.size() < queries; i += step) sample.push_back(all[i]);
  const std::vector<float> q = embed_texts(*model.encoder, sample);
  const uint32_t d = model.encoder->dim();
  const std::pair<const char*, std::pair<const AnnIndex*, const std::vector<float>*>> parts[] = {
      {"labels", {model.label_index.get(), &model.label_embeddings}},
      {"classifiers", {model.classifier_index.get(), &model.classifiers}},
      {"memory", {model.memory_index.get(), &model.memory_embeddings}}};
  for (auto [name, part] : parts) {
    auto [index, vectors] = part;
    if (!index || vectors->empty()) continue;
    ExactIndex exact(d);
    exact.add(vectors->data(), vectors->size() / d);
    auto t = std::chrono::steady_clock::now();
    Neighbors approx = index->search(q.data(), sample.size(), 10);
    const double approx_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    t = std::chrono::steady_clock::now();
    Neighbors truth = exact.search(q.data(), sample.size(), 10);
    const double exact_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    size_t hits = 0;
    for (size_t i = 0; i < sample.size(); ++i) {
      for (size_t a = 0; a < 10; ++a) {
        for (size_t b = 0; b < 10; ++b) hits += approx.ids[i * 10 + a] == truth.ids[i * 10 + b] && truth.ids[i * 10 + b] != UINT32_MAX;
      }
    }
    std::printf("{\"bench\":\"index_recall\",\"index\":\"%s\",\"vectors\":%zu,\"queries\":%zu,\"ef\":%u,"
                "\"recall_at_10\":%.4f,\"hnsw_queries_per_s\":%.0f,\"exact_queries_per_s\":%.0f}\n",
                name, vectors->size() / d, sample.size(), ef, static_cast<double>(hits) / (10.0 * sample.size()),
                sample.size() / approx_s, sample.size() / exact_s);
  }
  return 0;
}
