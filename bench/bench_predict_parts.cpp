// Where one text's prediction spends its time: embedding, each shortlist search and the whole fused prediction,
// one text at a time on one thread, with the serving index settings. graph_seeds_ms: finding the label graph's
// lexical seeds (featurising included); seeded_label_graph_ms: the walk from them (what prediction does);
// label_graph_ms: the walk from the entry point alone. Usage:
// bench_predict_parts MODEL TEXTS.txt [--texts 500] [--ef 64] [--m 16] [--memory-ef 32] [--shortlist 50]
// (the serving defaults). The whole prediction of a text is timed first, then each part on its own.
#include <chrono>
#include <cstdio>
#include <string>

#include "core/runtime.h"
#include "encoder/bow_encoder.h"
#include "model/model_store.h"
#include "predict/graph_seeds.h"
#include "predict/label_ranker.h"
#include "predict/model_predictor.h"

int main(int argc, char** argv) {
  using namespace ngame;
  using Clock = std::chrono::steady_clock;
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_predict_parts MODEL TEXTS.txt [--texts 500] [--ef 64] [--m 16] [--memory-ef 32] [--shortlist 50]\n");
    return 2;
  }
  size_t count = 500;
  ModelLoadOptions options;
  options.ann = AnnChoice::kHnsw;
  options.ef_search = 64;
  uint32_t shortlist = 50;
  options.hnsw.m = 16;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const auto v = static_cast<uint32_t>(std::stoul(argv[i + 1]));
    if (a == "--texts") count = v;
    if (a == "--ef") options.ef_search = v;
    if (a == "--m") options.hnsw.m = v;
    if (a == "--memory-ef") options.memory_ef_search = v;
    if (a == "--shortlist") shortlist = v;
  }
  set_thread_count(1);
  ModelParts model = load_model(argv[1], options);
  PredictorConfig config;
  config.shortlist = shortlist;
  ModelPredictor predictor(model, config);
  const TextCorpus texts = read_text_file(argv[2]);
  const auto* bow = dynamic_cast<const BowEncoder*>(model.encoder.get());
  std::unique_ptr<LexicalScorer> lexical;
  if (bow) lexical = std::make_unique<LexicalScorer>(bow->featurizer(), model.label_texts);
  std::unique_ptr<MemoryScorer> memory;
  if (model.memory_index) {
    memory = std::make_unique<MemoryScorer>(model.memory_labels, *model.memory_index, MemoryScorerConfig{},
                                            &model.memory_embeddings);
  }
  double embed = 0, labels = 0, seeding = 0, seeded = 0, classifiers = 0, mem = 0, lex = 0, whole = 0;
  auto seconds = [](Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); };
  const size_t n = std::min(count, texts.size());
  for (size_t i = 0; i < n; ++i) {
    TextCorpus one;
    one.push_back(texts[i]);
    auto t = Clock::now();
    predictor.predict(one, 10);
    whole += seconds(t);
    t = Clock::now();
    const std::vector<float> q = embed_texts(*model.encoder, one);
    embed += seconds(t);
    t = Clock::now();
    model.label_index->search(q.data(), 1, shortlist);
    labels += seconds(t);
    if (lexical && config.graph_seeds > 0) {
      t = Clock::now();
      const auto seeds = lexical_graph_seeds(*lexical, lexical->vectors(one), q.data(), model.label_embeddings,
                                             model.encoder->dim(), {.count = config.graph_seeds});
      seeding += seconds(t);
      t = Clock::now();
      model.label_index->search_from(q.data(), 1, shortlist, seeds);
      seeded += seconds(t);
    }
    if (model.classifier_index) {
      t = Clock::now();
      model.classifier_index->search(q.data(), 1, shortlist);
      classifiers += seconds(t);
    }
    if (memory) {
      t = Clock::now();
      memory->score(q.data(), 1);
      mem += seconds(t);
    }
    if (lexical) {
      t = Clock::now();
      lexical->shortlist(lexical->vectors(one), shortlist);
      lex += seconds(t);
    }
  }
  const double ms = 1e3 / static_cast<double>(n);
  std::printf("{\"bench\":\"predict_parts\",\"texts\":%zu,\"ef\":%u,\"m\":%u,\"embed_ms\":%.3f,\"label_graph_ms\":%.3f,"
              "\"graph_seeds_ms\":%.3f,\"seeded_label_graph_ms\":%.3f,"
              "\"classifier_graph_ms\":%.3f,\"memory_ms\":%.3f,\"lexical_ms\":%.3f,\"whole_prediction_ms\":%.3f}\n",
              n, options.ef_search, options.hnsw.m, embed * ms, labels * ms, seeding * ms, seeded * ms, classifiers * ms, mem * ms, lex * ms,
              whole * ms);
  return 0;
}
