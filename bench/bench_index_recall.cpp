// Recall@10 of a model's shortlist graphs against exact search, on a sample of query texts, and their batched
// search speed. Usage: bench_index_recall MODEL TEXTS.txt [--queries 1000] [--ef 200] [--build M,EFC] [--shortlist 100]
// Without --build: the model's HNSW graphs (built at load when not saved) searched at ef. With it: a new graph with
// those settings is built over each vector set (timed) and searched at ef. recall_at_10 compares ids;
// score_recall_at_10 counts an answer as right when its score reaches the exact 10th score (ties between
// near-identical vectors are not misses); shortlist_recall_at_10 is the share of the exact top 10 found among the
// graph's top S (--shortlist S, default 100, the predictor's shortlist: its candidates are then scored exactly);
// tenth_score_gap is the mean of (exact 10th score - approximate 10th score). For a full model (without --build),
// candidate_recall_at_10 is the share of the exact top 10 label embeddings found among the fused predictor's
// candidates (label graph, memory and lexical shortlists together), the set that prediction scores exactly.
// labels_seeded_S_expand_E_reach_R: the label graph walked from S lexical seeds (GraphSeedConfig) as well as from its
// entry point, as prediction does (lexical_graph_seeds; its time includes finding the seeds; --seeds 0: not measured);
// memory_seeded: the memory graph walked from the documents of those label seeds as well (MemoryScorer::document_seeds).
// exact_scores gives the mean exact score at ranks 1, 10 and 100 (how far ahead of the rest the top 10 stands).
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>

#include "core/dense_math.h"
#include "core/runtime.h"
#include "data/text_corpus.h"
#include "model/model_store.h"
#include "encoder/bow_encoder.h"
#include "predict/graph_seeds.h"
#include "predict/label_ranker.h"
#include "predict/memory_scorer.h"
#include "predict/model_predictor.h"

namespace {

using namespace ngame;

constexpr size_t kDeep = 100;  // depth of the exact search

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// The score recall and the tenth-score gap judge the ids a graph returned by their exact scores (queries against
// data, d wide): an 8-bit graph's own scores are approximations, and prediction scores its candidates exactly.
void report(const char* name, uint32_t ef, size_t vectors, size_t nq, const Neighbors& approx,
            double approx_s, const Neighbors& truth, double exact_s, const Neighbors& shortlist, size_t s,
            const float* queries, const float* data, size_t d) {
  size_t hits = 0, score_hits = 0, shortlist_hits = 0;
  double gap = 0;
  auto exact = [&](size_t i, uint32_t id) { return dot(queries + i * d, data + static_cast<size_t>(id) * d, d); };
  for (size_t i = 0; i < nq; ++i) {
    const float tenth = truth.scores[i * 10 + 9];
    if (approx.ids[i * 10 + 9] != UINT32_MAX) gap += tenth - exact(i, approx.ids[i * 10 + 9]);
    for (size_t b = 0; b < 10; ++b) {
      for (size_t a = 0; a < s; ++a) {
        if (shortlist.ids[i * s + a] == truth.ids[i * 10 + b] && truth.ids[i * 10 + b] != UINT32_MAX) {
          ++shortlist_hits;
          break;
        }
      }
    }
    for (size_t a = 0; a < 10; ++a) {
      score_hits += approx.ids[i * 10 + a] != UINT32_MAX && exact(i, approx.ids[i * 10 + a]) >= tenth - 1e-5f;
      for (size_t b = 0; b < 10; ++b) hits += approx.ids[i * 10 + a] == truth.ids[i * 10 + b] && truth.ids[i * 10 + b] != UINT32_MAX;
    }
  }
  std::printf("{\"bench\":\"index_recall\",\"index\":\"%s\",\"ef\":%u,\"vectors\":%zu,"
              "\"queries\":%zu,\"recall_at_10\":%.4f,\"score_recall_at_10\":%.4f,\"approx_queries_per_s\":%.0f,"
              "\"exact_queries_per_s\":%.0f,\"shortlist\":%zu,\"shortlist_recall_at_10\":%.4f,\"tenth_score_gap\":%.5f}\n",
              name, ef, vectors, nq, static_cast<double>(hits) / (10.0 * nq),
              static_cast<double>(score_hits) / (10.0 * nq), nq / approx_s, nq / exact_s, s,
              static_cast<double>(shortlist_hits) / (10.0 * nq), gap / static_cast<double>(nq));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_index_recall MODEL TEXTS.txt [--queries 1000] [--ef 200] [--build M,EFC] [--shortlist 100] [--seeds 16] [--expand 2] [--reach 1024]\n");
    return 2;
  }
  size_t queries = 1000, shortlist = 100;
  GraphSeedConfig seeding{.count = PredictorConfig{}.graph_seeds};
  uint32_t ef = 200;
  std::vector<uint32_t> build;  // M, efConstruction of graphs built here
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--queries") queries = std::stoul(argv[i + 1]);
    if (a == "--seeds") seeding.count = std::stoul(argv[i + 1]);
    if (a == "--expand") seeding.expand_from = std::stoul(argv[i + 1]);
    if (a == "--reach") seeding.max_reach = std::stoul(argv[i + 1]);
    if (a == "--shortlist") shortlist = std::max<size_t>(10, std::stoul(argv[i + 1]));
    if (a == "--ef") ef = static_cast<uint32_t>(std::stoul(argv[i + 1]));
    if (a == "--build") {
      std::stringstream list(argv[i + 1]);
      for (std::string v; std::getline(list, v, ',');) build.push_back(static_cast<uint32_t>(std::stoul(v)));
    }
  }
  if (!build.empty() && build.size() != 2) {
    std::fprintf(stderr, "--build takes M,EFC\n");
    return 2;
  }
  set_thread_count(0);
  ModelLoadOptions options;
  options.ann = build.empty() ? AnnChoice::kHnsw : AnnChoice::kExact;
  options.ef_search = ef;
  options.memory_ef_search = ef;
  ModelParts model = load_model(argv[1], options);
  TextCorpus all = read_text_file(argv[2]);
  TextCorpus sample;
  const size_t step = std::max<size_t>(1, all.size() / queries);
  for (size_t i = 0; i < all.size() && sample.size() < queries; i += step) sample.push_back(all[i]);
  const std::vector<float> q = embed_texts(*model.encoder, sample);
  const uint32_t d = model.encoder->dim();
  const size_t nq = sample.size();
  const std::pair<const char*, std::pair<const AnnIndex*, const std::vector<float>*>> parts[] = {
      {"labels", {model.label_index.get(), &model.label_embeddings}},
      {"classifiers", {model.classifier_index.get(), &model.classifiers}},
      {"memory", {model.memory_index.get(), &model.memory_embeddings}}};
  Neighbors label_truth;
  std::vector<std::vector<uint32_t>> label_seeds;
  for (auto [name, part] : parts) {
    auto [index, vectors] = part;
    if (vectors->empty() || (build.empty() && !index)) continue;
    const size_t n = vectors->size() / d;
    ExactIndex exact(d);
    exact.add(vectors->data(), n);
    // One exact search to depth 100: its first 10 columns are the truth, ranks 1 / 10 / 100 show how far ahead of the
    // rest the top 10 stands.
    auto t = std::chrono::steady_clock::now();
    const size_t depth = std::max<size_t>(10, std::min(kDeep, n));  // small sets: rank `depth` stands for rank 100
    const Neighbors deep = exact.search(q.data(), nq, depth);
    const double exact_s = seconds_since(t);
    Neighbors truth;
    truth.k = 10;
    double at[3] = {0, 0, 0};
    for (size_t i = 0; i < nq; ++i) {
      const size_t row = i * depth;
      truth.ids.insert(truth.ids.end(), deep.ids.begin() + row, deep.ids.begin() + row + 10);
      truth.scores.insert(truth.scores.end(), deep.scores.begin() + row, deep.scores.begin() + row + 10);
      at[0] += deep.scores[row];
      at[1] += deep.scores[row + 9];
      at[2] += deep.scores[row + depth - 1];
    }
    std::printf("{\"bench\":\"exact_scores\",\"index\":\"%s\",\"mean_score_at_1\":%.4f,\"mean_score_at_10\":%.4f,"
                "\"mean_score_at_100\":%.4f}\n", name, at[0] / nq, at[1] / nq, at[2] / nq);
    if (vectors == &model.label_embeddings) label_truth = truth;
    std::unique_ptr<HnswIndex> built;
    if (!build.empty()) {
      HnswConfig c;
      c.m = build[0];
      c.ef_construction = build[1];
      c.ef_search = ef;
      c.scale_with_size = false;
      t = std::chrono::steady_clock::now();
      built = std::make_unique<HnswIndex>(d, c);
      built->add(vectors->data(), n);
      std::printf("{\"bench\":\"index_build\",\"index\":\"%s\",\"m\":%u,\"ef_construction\":%u,\"vectors\":%zu,"
                  "\"seconds\":%.1f}\n", name, c.m, c.ef_construction, n, seconds_since(t));
      index = built.get();
    }
    t = std::chrono::steady_clock::now();
    const Neighbors approx = index->search(q.data(), nq, 10);
    const double approx_s = seconds_since(t);
    const Neighbors wide = index->search(q.data(), nq, shortlist);
    report(name, ef, n, nq, approx, approx_s, truth, exact_s, wide, shortlist, q.data(), vectors->data(), d);
    // The label graph walked from lexical seeds as well (what prediction does), the seeds' time included.
    const auto* bow = dynamic_cast<const BowEncoder*>(model.encoder.get());
    if (vectors == &model.label_embeddings && bow && seeding.count > 0) {
      const LexicalScorer lexical(bow->featurizer(), model.label_texts);
      t = std::chrono::steady_clock::now();
      const FeatureRows tfidf = lexical.vectors(sample);
      const auto seeds = lexical_graph_seeds(lexical, tfidf, q.data(), *vectors, d, seeding);
      const Neighbors seeded = index->search_from(q.data(), nq, 10, seeds);
      const double seeded_s = seconds_since(t);
      const Neighbors seeded_wide = index->search_from(q.data(), nq, shortlist, seeds);
      char seeded_name[96];
      std::snprintf(seeded_name, sizeof seeded_name, "labels_seeded_%zu_expand_%zu_reach_%zu", seeding.count,
                    seeding.expand_from, seeding.max_reach);
      report(seeded_name, ef, n, nq, seeded, seeded_s, truth, exact_s, seeded_wide, shortlist, q.data(), vectors->data(), d);
      label_seeds = seeds;
    }
    // The memory graph walked from documents of the best label seeds as well.
    if (vectors == &model.memory_embeddings && !label_seeds.empty()) {
      const MemoryScorer memory(model.memory_labels, *index);
      const auto seeds = memory.document_seeds(label_seeds);
      t = std::chrono::steady_clock::now();
      const Neighbors seeded = index->search_from(q.data(), nq, 10, seeds);
      const double seeded_s = seconds_since(t);
      report("memory_seeded", ef, n, nq, seeded, seeded_s, truth, exact_s, index->search_from(q.data(), nq, shortlist, seeds), shortlist,
             q.data(), vectors->data(), d);
    }
  }
  if (build.empty() && model.fusion && !label_truth.ids.empty()) {
    ModelPredictor predictor(model);
    const CandidateSet cands = predictor.fused().candidates(sample, predictor.weights(), 10);
    size_t hits = 0;
    for (size_t i = 0; i < nq; ++i) {
      const auto begin = cands.labels.begin() + static_cast<std::ptrdiff_t>(cands.offsets[i]);
      const auto end = cands.labels.begin() + static_cast<std::ptrdiff_t>(cands.offsets[i + 1]);  // sorted
      for (size_t b = 0; b < 10; ++b) hits += label_truth.ids[i * 10 + b] != UINT32_MAX && std::binary_search(begin, end, label_truth.ids[i * 10 + b]);
    }
    std::printf("{\"bench\":\"candidate_recall\",\"ef\":%u,\"queries\":%zu,\"mean_candidates\":%.1f,"
                "\"candidate_recall_at_10\":%.4f}\n",
                ef, nq, static_cast<double>(cands.labels.size()) / static_cast<double>(nq),
                static_cast<double>(hits) / (10.0 * nq));
  }
  return 0;
}
