#include "train/model_training.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/atomic_file.h"
#include "core/dense_math.h"
#include "core/error.h"
#include "core/runtime.h"
#include "core/splitmix.h"
#include "data/dataset.h"
#include "encoder/bow_encoder.h"
#include "eval/metrics.h"
#include "eval/propensity.h"
#include "model/model_store.h"
#include "predict/label_ranker.h"
#include "predict/model_predictor.h"
#include "predict/rank_features.h"
#include "train/classifier_trainer.h"
#include "text/word_vectors.h"
#include "train/encoder_trainer.h"
#include "train/training_curve.h"

namespace ngame {

namespace fs = std::filesystem;

namespace {

// Test-set metrics of M1 alone: exact nearest label embeddings, test filter applied.
struct Evaluator {
  const Dataset& data;
  std::unique_ptr<EncoderInput> test_input;
  std::vector<double> inv_propensity;

  Evaluator(const Dataset& d, const Encoder& encoder, PropensityConfig prop)
      : data(d), test_input(encoder.prepare(d.test->texts)), inv_propensity(inverse_propensity(d.train.labels, prop)) {}

  MetricsReport run(const Encoder& encoder, const EncoderInput& labels) const {
    // Top 20, not 5: filtered pairs are removed afterwards, as `predict -k 100` + `eval --filter` would.
    SparseMatrix pred = rank_with_encoder(encoder, *test_input, labels, 20);
    return compute_metrics(remove_filtered(pred, data.test->filter), remove_filtered(data.test->labels, data.test->filter),
                           inv_propensity, 5);
  }
};

// Rows held out of every training stage to fit the fusion weights: a fixed hash of the row, so resumed stages agree.
bool is_validation_row(uint64_t row, double fraction) {
  if (fraction <= 0) return false;
  return static_cast<double>(splitmix64(row) % 1000000) < fraction * 1e6;
}

// The training label matrix with the validation rows emptied (rows without labels never enter a batch).
SparseMatrix without_rows(const SparseMatrix& labels, const std::vector<uint8_t>& drop) {
  SparseMatrix out;
  out.cols = labels.cols;
  for (uint64_t r = 0; r < labels.rows; ++r) {
    if (drop[r]) {
      out.append_row({}, {});
    } else {
      out.append_row(labels.row_indices(r), labels.row_values(r));
    }
  }
  return out;
}

void log_metrics(const char* what, const MetricsReport& r) {
  spdlog::info("{}: P@1 {:.2f}  P@3 {:.2f}  P@5 {:.2f}  nDCG@5 {:.2f}  PSP@1 {:.2f}  PSP@3 {:.2f}  PSP@5 {:.2f}", what,
               100 * r.precision[0], 100 * r.precision[2], 100 * r.precision[4], 100 * r.ndcg[4], 100 * r.psp[0],
               100 * r.psp[2], 100 * r.psp[4]);
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

void apply_size_defaults(ModelTrainingOptions& o, size_t label_count) {
  const bool large = label_count >= kLargeLabelCount;
  if (o.predictor.shortlist == 0) o.predictor.shortlist = large ? kLargeLabelSearchWidth : kDefaultShortlist;
  o.hnsw.ef_search = o.ef_search > 0 ? o.ef_search : large ? kLargeLabelSearchWidth : HnswConfig{}.ef_search;
}

void train_model(const ModelTrainingOptions& options, const nlohmann::json& recorded_settings) {
  Dataset data = load_dataset(options.data_dir, {.require_test = false, .latin1 = options.latin1});
  spdlog::info("{}: {} train rows, {} labels{}", options.data_dir, data.train.labels.rows, data.label_count(),
               data.test ? ", " + std::to_string(data.test->labels.rows) + " test rows" : std::string());
  ModelTrainingOptions o = options;
  apply_size_defaults(o, data.label_count());
  if (data.label_count() >= kLargeLabelCount && (options.predictor.shortlist == 0 || options.ef_search == 0)) {
    spdlog::info("{} labels: shortlists of {}, graph searches of breadth {}", data.label_count(), o.predictor.shortlist,
                 o.hnsw.ef_search);
  }
  const uint64_t seed = o.seed;
  const bool full = o.stage != "encoder";
  // The fusion needs a few thousand validation queries, not 5% of millions: above validation_max_rows the fraction
  // shrinks, which keeps the fusion's cost flat and the rows in training (2M rows: 20K held out, not 100K).
  const double val_fraction =
      full ? std::min(o.validation_fraction, static_cast<double>(o.validation_max_rows) /
                                                 std::max<double>(1.0, static_cast<double>(data.train.labels.rows)))
           : 0.0;
  std::vector<uint8_t> is_val(data.train.labels.rows, 0);
  uint64_t val_rows = 0;
  for (uint64_t r = 0; r < data.train.labels.rows; ++r) {
    is_val[r] = is_validation_row(r, val_fraction) && data.train.labels.row_size(r) > 0;
    val_rows += is_val[r];
  }
  const SparseMatrix fit_labels = without_rows(data.train.labels, is_val);
  if (val_rows > 0) spdlog::info("{} training rows held out to fit the fusion", val_rows);

  const nlohmann::json& settings = recorded_settings;
  nlohmann::json data_info = {{"dir", fs::absolute(o.data_dir).string()},
                              {"train_rows", data.train.labels.rows},
                              {"validation_rows", val_rows},
                              {"labels", data.label_count()},
                              {"trn_X_Y.txt", file_fingerprint((fs::path(o.data_dir) / "trn_X_Y.txt").string())},
                              {"Y.txt", file_fingerprint((fs::path(o.data_dir) / "Y.txt").string())}};
  Model model;
  model.label_texts = data.label_texts;
  std::unique_ptr<EncoderInput> labels;
  nlohmann::json timings;
  if (o.stage == "encoder" || o.stage == "all") {
    // ---- M1 ----
    Featurizer featurizer(o.featurizer);
    featurizer.fit({&data.train.texts, &data.label_texts});
    spdlog::info("featurizer: {} words, {} features in all", featurizer.unigram_count(), featurizer.feature_count());
    auto encoder = std::make_unique<BowEncoder>(std::move(featurizer), o.encoder, seed);
    if (!o.init_vectors.empty()) {
      WordVectors vectors = WordVectors::load(o.init_vectors);
      const size_t seeded = encoder->init_from_vectors(vectors, seed);
      spdlog::info("seeded {} of {} words from {} ({}-d)", seeded, encoder->featurizer().unigram_count(),
                   o.init_vectors, vectors.dim());
    }
    auto docs = encoder->prepare(data.train.texts);
    labels = encoder->prepare(data.label_texts);
    EncoderTrainConfig train = o.train;
    train.seed = seed;
    train.batching.mode = parse_batching_mode(o.batching);
    train.batching.curriculum_epochs = o.curriculum;
    std::sort(train.batching.curriculum_epochs.begin(), train.batching.curriculum_epochs.end());
    for (uint32_t& e : train.batching.curriculum_epochs) {
      if (e == 0) throw UsageError("--curriculum epochs are 1-based");
      --e;  // 1-based on the command line
    }
    std::unique_ptr<Evaluator> evaluator;
    if (o.eval_every > 0) {
      if (!data.test) throw UsageError("--eval-every needs tst_X.txt and tst_X_Y.txt in " + o.data_dir);
      evaluator = std::make_unique<Evaluator>(data, *encoder, PropensityConfig{o.prop_a, o.prop_b});
    }
    fs::create_directories(o.model_dir);
    std::vector<CurvePoint> curve;
    std::string log_lines;
    double eval_seconds = 0;
    auto on_epoch = [&](const EpochStats& s) {
      CurvePoint point{static_cast<double>(s.epoch + 1), s.loss};
      std::string metrics;
      nlohmann::json line = {{"epoch", s.epoch + 1},           {"loss", s.loss},
                             {"cluster_size", s.cluster_size}, {"docs_per_second", s.docs_per_second},
                             {"seconds", s.seconds},           {"clustering_seconds", s.clustering_seconds},
                             {"elapsed_seconds", s.elapsed_seconds}};
      const bool last = s.epoch + 1 == train.epochs;
      if (evaluator && ((s.epoch + 1) % o.eval_every == 0 || last)) {
        const auto t = std::chrono::steady_clock::now();
        MetricsReport r = evaluator->run(*encoder, *labels);
        eval_seconds += seconds_since(t);
        point.p1 = 100 * r.precision[0];
        point.p5 = 100 * r.precision[4];
        point.psp5 = 100 * r.psp[4];
        metrics = fmt::format("  P@1 {:.2f}  P@5 {:.2f}  PSP@5 {:.2f}", point.p1, point.p5, point.psp5);
        line["P@1"] = point.p1;
        line["P@5"] = point.p5;
        line["PSP@5"] = point.psp5;
      }
      spdlog::info("epoch {:>3}/{}  loss {:.4f}  cluster {:6.1f}  {:7.0f} docs/s  {:5.1f}s (clustering {:.2f}s)  elapsed {:6.1f}s{}",
                   s.epoch + 1, train.epochs, s.loss, s.cluster_size, s.docs_per_second, s.seconds,
                   s.clustering_seconds, s.elapsed_seconds, metrics);
      curve.push_back(point);
      log_lines += line.dump() + "\n";
    };
    std::vector<EpochStats> history = train_encoder(*encoder, *docs, fit_labels, *labels, train, on_epoch);
    double clustering = 0;
    for (const EpochStats& s : history) clustering += s.clustering_seconds;
    timings["encoder_seconds"] = history.back().elapsed_seconds - eval_seconds;
    timings["clustering_seconds"] = clustering;
    write_file_atomically((fs::path(o.model_dir) / "training_log.jsonl").string(), log_lines);
    write_file_atomically((fs::path(o.model_dir) / "training_curve.svg").string(),
                          render_training_curve_svg(curve, "ngame M1 on " + fs::path(o.data_dir).filename().string() +
                                                               " (" + o.batching + " batching)"));
    spdlog::info("M1 trained in {:.1f} s ({:.2f} s clustering, {:.1f}%)", timings["encoder_seconds"].get<double>(),
                 clustering, 100 * clustering / std::max(1e-9, timings["encoder_seconds"].get<double>()));
    encoder->release_training_state();
    model.encoder = std::move(encoder);
    model.label_embeddings.resize(data.label_count() * model.encoder->dim());
    model.encoder->embed_all(*labels, model.label_embeddings.data());
    normalize_rows(model.label_embeddings.data(), data.label_count(), model.encoder->dim());
  } else {
    // Resume: the encoder (and label embeddings) of an existing model.
    Model existing = load_model(o.model_dir);
    if (existing.label_count() != data.label_count()) {
      throw InputError(o.model_dir, 0, "model has " + std::to_string(existing.label_count()) + " labels, " +
                                           o.data_dir + " has " + std::to_string(data.label_count()));
    }
    model.encoder = std::move(existing.encoder);
    model.label_embeddings = std::move(existing.label_embeddings);
    // The label index stays valid (same encoder, same labels): loading built or read it, so it is kept, not rebuilt.
    model.label_index = std::move(existing.label_index);
    labels = model.encoder->prepare(data.label_texts);
    if (o.stage == "fusion") {
      model.classifiers = std::move(existing.classifiers);
      model.memory_embeddings = std::move(existing.memory_embeddings);
      model.memory_labels = std::move(existing.memory_labels);
      model.classifier_index = std::move(existing.classifier_index);
      model.memory_index = std::move(existing.memory_index);
      if (model.classifiers.empty()) throw UsageError("--stage fusion needs a model with classifiers");
    }
    if (existing.manifest.contains("data") && existing.manifest["data"].contains("timings")) {
      timings = existing.manifest["data"]["timings"];
    }
  }
  const uint32_t d = model.encoder->dim();
  if (o.stage == "all" || o.stage == "classifiers") {
    // ---- M4 on the frozen encoder ----
    auto t = std::chrono::steady_clock::now();
    std::vector<float> doc_emb = embed_texts(*model.encoder, data.train.texts);
    ClassifierTrainConfig c = o.classifiers;
    c.seed = seed;
    c.batching.mode = BatchingMode::kNgame;
    c.batching.curriculum_epochs = o.classifier_curriculum;
    for (uint32_t& e : c.batching.curriculum_epochs) {
      if (e == 0) throw UsageError("--clf-curriculum epochs are 1-based");
      --e;
    }
    model.classifiers = train_classifiers(doc_emb, fit_labels, model.label_embeddings, d, c,
                                          [&](const ClassifierEpochStats& s) {
                                            spdlog::info("classifiers epoch {:>3}/{}  loss {:.4f}  cluster {:6.1f}  {:5.1f}s",
                                                         s.epoch + 1, c.epochs, s.loss, s.cluster_size, s.seconds);
                                          });
    // Labels without a training row keep their label embedding (zero-shot), as train_classifiers leaves them.
    timings["classifier_seconds"] = seconds_since(t);
    // ---- the memory: training rows (validation rows excluded) and their labels ----
    t = std::chrono::steady_clock::now();
    model.memory_embeddings.clear();
    model.memory_labels = SparseMatrix();
    model.memory_labels.cols = data.label_count();
    // Above memory_max_docs documents the memory keeps a fixed sample (a hash of the row, independent of the
    // validation hash): its graph is the most expensive index to build at millions of documents.
    uint64_t eligible = 0;
    for (uint64_t r = 0; r < data.train.labels.rows; ++r) eligible += !is_val[r] && data.train.labels.row_size(r) > 0;
    const double keep = o.memory_max_docs == 0 || eligible <= o.memory_max_docs
                            ? 1.0
                            : static_cast<double>(o.memory_max_docs) / static_cast<double>(eligible);
    if (keep < 1.0) spdlog::info("memory: a sample of about {} of {} training documents", o.memory_max_docs, eligible);
    for (uint64_t r = 0; r < data.train.labels.rows; ++r) {
      if (is_val[r] || data.train.labels.row_size(r) == 0) continue;
      if (keep < 1.0 && static_cast<double>(splitmix64(r ^ 0x6d656d6f7279ULL) % 1000000) >= keep * 1e6) continue;
      model.memory_embeddings.insert(model.memory_embeddings.end(), doc_emb.begin() + static_cast<std::ptrdiff_t>(r * d),
                                     doc_emb.begin() + static_cast<std::ptrdiff_t>((r + 1) * d));
      model.memory_labels.append_row(data.train.labels.row_indices(r), data.train.labels.row_values(r));
    }
    model.classifier_index.reset();
    model.memory_index.reset();
    model.build_missing_indices(o.hnsw, AnnChoice::kAuto, kExactSearchMaxVectors, o.classifier_graph);
    timings["index_seconds"] = seconds_since(t);
    spdlog::info("M4 in {:.1f} s, indices in {:.1f} s", timings["classifier_seconds"].get<double>(),
                 timings["index_seconds"].get<double>());
  }
  if (o.stage == "encoder") {
    model.build_missing_indices(o.hnsw, AnnChoice::kAuto, kExactSearchMaxVectors, o.classifier_graph);
    data_info["timings"] = timings;
    save_model(o.model_dir, model, settings, data_info);
    spdlog::info("model written to {}", o.model_dir);
    return;
  }
  model.build_missing_indices(o.hnsw, AnnChoice::kAuto, kExactSearchMaxVectors, o.classifier_graph);
  model.set_memory_ef_search(kMemoryEfSearch);  // as `ngame predict` will search it
  // ---- fusion weights on the held-out rows ----
  auto t = std::chrono::steady_clock::now();
  ModelPredictor predictor(model, o.predictor);
  FusionWeights weights;
  nlohmann::json report, reranker_json;
  if (val_rows > 0) {
    TextCorpus val_texts;
    SparseMatrix val_truth;
    val_truth.cols = data.label_count();
    std::vector<uint64_t> val_index(data.train.labels.rows, UINT64_MAX);
    for (uint64_t r = 0; r < data.train.labels.rows; ++r) {
      if (!is_val[r]) continue;
      val_index[r] = val_texts.size();
      val_texts.push_back(data.train.texts[r]);
      val_truth.append_row(data.train.labels.row_indices(r), data.train.labels.row_values(r));
    }
    FilterPairs val_filter;
    for (auto [row, label] : data.train.filter.pairs) {
      if (row < val_index.size() && val_index[row] != UINT64_MAX) val_filter.pairs.emplace_back(val_index[row], label);
    }
    CandidateSet cands = predictor.fused().candidates(val_texts, FusionWeights{});
    // Filtered pairs leave the candidates too, as they leave predictions before evaluation.
    CandidateSet kept;
    {
      std::vector<std::pair<uint64_t, uint32_t>> sorted = val_filter.pairs;
      std::sort(sorted.begin(), sorted.end());
      for (size_t i = 0; i < cands.size(); ++i) {
        for (uint64_t c = cands.offsets[i]; c < cands.offsets[i + 1]; ++c) {
          if (std::binary_search(sorted.begin(), sorted.end(), std::make_pair(uint64_t(i), cands.labels[c]))) continue;
          kept.labels.push_back(cands.labels[c]);
          kept.scores.push_back(cands.scores[c]);
        }
        kept.offsets.push_back(kept.labels.size());
      }
    }
    const SparseMatrix truth = remove_filtered(val_truth, val_filter);
    weights = fit_fusion(predictor.fused(), kept, truth, inverse_propensity(data.train.labels, {o.prop_a, o.prop_b}),
                         report, o.fusion_psp_weight);
    spdlog::info("fusion weights {} (validation P@1 {:.2f}, PSP@5 {:.2f})", weights.to_json().dump(),
                 report["fused"]["P@1"].get<double>(), report["fused"]["PSP@5"].get<double>());
    if (o.reranker.trees > 0) {
      // ---- the learned re-ranker on the linear fusion's top candidates ----
      std::vector<uint64_t> positions;
      RankBoosterConfig rc = o.reranker;
      rc.seed = seed;
      RankRows rows = rank_features(kept, weights, rc.window, positions);
      rows.relevant.resize(positions.size());
      for (size_t q = 0; q < rows.queries(); ++q) {
        auto truth_row = truth.row_indices(q);
        for (uint64_t r = rows.groups[q]; r < rows.groups[q + 1]; ++r) {
          rows.relevant[r] = std::binary_search(truth_row.begin(), truth_row.end(), kept.labels[positions[r]]);
        }
      }
      RankBooster booster;
      report["reranker"] = booster.fit(rows, rc);
      spdlog::info("re-ranker: {} trees kept of {} (hold-out validation P@1 {:.2f} -> {:.2f})",
                   report["reranker"]["kept_trees"].get<size_t>(), report["reranker"]["fitted_trees"].get<size_t>(),
                   report["reranker"]["holdout_linear_P@1"].get<double>(),
                   report["reranker"]["holdout_reranked_P@1"].get<double>());
      if (!booster.empty()) reranker_json = booster.to_json();
      // The reference's fusion for comparison: one depth-7 tree on [classifier, embedding, propensity] (the prior
      // term is a monotone function of the label's training count, as inverse propensity is), judged on the same
      // hold-out queries. Recorded, not used.
      RankRows reference;
      reference.width = 3;
      reference.groups = rows.groups;
      reference.relevant = rows.relevant;
      for (size_t r = 0; r < rows.rows(); ++r) {
        const float* f = rows.values.data() + r * rows.width;
        reference.values.insert(reference.values.end(), {f[kClassifierScorer], f[kEmbeddingScorer], f[kPriorScorer]});
      }
      RankBoosterConfig one_tree = rc;
      one_tree.trees = 1;
      one_tree.depth = 7;
      one_tree.learning_rate = 1.0f;
      RankBooster tree;
      const nlohmann::json tree_report = tree.fit(reference, one_tree);
      report["reference_tree"] = {{"holdout_P@1", tree_report["holdout_all_trees_P@1"]},
                                  {"holdout_linear_P@1", tree_report["holdout_linear_P@1"]}};
      spdlog::info("the reference's depth-7 tree on [classifier, embedding, prior] would give hold-out P@1 {:.2f}",
                   tree_report["holdout_all_trees_P@1"].get<double>());
    }
  } else {
    spdlog::warn("no validation rows (--validation-fraction 0): default fusion weights");
  }
  model.fusion = {{"weights", weights.to_json()},
                  {"shortlist", o.predictor.shortlist},
                  {"hnsw_ef_search", o.hnsw.ef_search},
                  {"graph_seeds", o.predictor.graph_seeds},
                  {"memory_seeds", o.predictor.memory_seeds},
                  {"classifier_graph", o.classifier_graph},
                  {"validation", report},
                  {"validation_rows", val_rows}};
  if (!reranker_json.is_null()) {
    model.fusion["reranker"] = reranker_json;
    model.fusion["reranker_window"] = o.reranker.window;
  }
  timings["fusion_seconds"] = seconds_since(t);
  data_info["timings"] = timings;
  save_model(o.model_dir, model, settings, data_info);
  spdlog::info("model written to {}", o.model_dir);
  if (data.test) {
    predictor.set_weights(weights);
    if (!reranker_json.is_null()) predictor.set_reranker(RankBooster::from_json(reranker_json, kRankFeatureCount), o.reranker.window);
    SparseMatrix pred = predictor.predict(data.test->texts, 20);
    MetricsReport r = compute_metrics(remove_filtered(pred, data.test->filter),
                                      remove_filtered(data.test->labels, data.test->filter),
                                      inverse_propensity(data.train.labels, {o.prop_a, o.prop_b}), 5);
    log_metrics("test (fused, filtered)", r);
    // The predictions behind these figures, from the in-memory model (`ngame predict -k 20` on the saved model
    // gives the same bytes: tested).
    write_sparse_matrix((fs::path(o.model_dir) / "test_predictions.txt").string(), pred);
  }
}


}  // namespace ngame
