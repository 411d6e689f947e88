#include "train/training_run.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "core/binary_io.h"
#include "core/dense_math.h"
#include "core/progress_bar.h"
#include "core/error.h"
#include "core/splitmix.h"
#include "encoder/bow_encoder.h"
#include "eval/metrics.h"
#include "eval/propensity.h"
#include "predict/label_ranker.h"
#include "predict/lexical_scorer.h"
#include "predict/model_predictor.h"
#include "predict/rank_features.h"
#include "text/word_vectors.h"
#include "train/classifier_trainer.h"
#include "train/encoder_trainer.h"
#include "train/fusion_fitting.h"
#include "train/shared_embedding.h"
#include "train/unseen_label_view.h"

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

// The sparse classifiers trained by each rank (label l by rank l mod N) brought to rank 0 and merged there, with
// their counts summed; the other ranks keep theirs (they do not write the model). Labels travel in blocks of
// kGatherLabels, each rank sending only the labels it owns: per label u32 n, f32 bias, u8 trained, n u32 ids, n f32
// weights. One exchange stays far below MPI's 2 GiB whatever the label count.
constexpr size_t kGatherLabels = size_t{1} << 16;

void gather_sparse_classifiers(Communicator& group, SparseClassifiers& classifiers, nlohmann::json& report,
                               size_t labels, uint32_t features) {
  const auto ranks = static_cast<size_t>(group.size()), rank = static_cast<size_t>(group.rank());
  SparseClassifiers merged;
  merged.feature_count = features;
  std::vector<uint32_t> ids;
  std::vector<float> weights;
  for (size_t first = 0; first < labels; first += kGatherLabels) {
    const size_t last = std::min(labels, first + kGatherLabels);
    std::string mine;
    for (size_t l = first; l < last; ++l) {
      if (l % ranks != rank) continue;
      const bool has = l < classifiers.label_count() && classifiers.has(static_cast<uint32_t>(l));
      const uint64_t b = has ? classifiers.offsets[l] : 0, e = has ? classifiers.offsets[l + 1] : 0;
      const auto n = static_cast<uint32_t>(e - b);
      const float bias = l < classifiers.label_count() ? classifiers.bias[l] : 0.0f;
      const uint8_t trained = has ? 1 : 0;
      mine.append(reinterpret_cast<const char*>(&n), sizeof(n));
      mine.append(reinterpret_cast<const char*>(&bias), sizeof(bias));
      mine.append(reinterpret_cast<const char*>(&trained), sizeof(trained));
      mine.append(reinterpret_cast<const char*>(classifiers.ids.data() + b), n * sizeof(uint32_t));
      mine.append(reinterpret_cast<const char*>(classifiers.weights.data() + b), n * sizeof(float));
    }
    const std::vector<std::string_view> parts = group.gather(mine, 0);
    if (rank != 0) continue;
    std::vector<size_t> at(ranks, 0);
    auto take = [&](size_t r, void* out, size_t bytes) {
      if (parts[r].size() - at[r] < bytes) throw RuntimeError("sparse classifiers of rank " + std::to_string(r) + ": short payload");
      std::memcpy(out, parts[r].data() + at[r], bytes);
      at[r] += bytes;
    };
    for (size_t l = first; l < last; ++l) {
      const size_t r = l % ranks;
      uint32_t n = 0;
      float bias = 0;
      uint8_t trained = 0;
      take(r, &n, sizeof(n));
      take(r, &bias, sizeof(bias));
      take(r, &trained, sizeof(trained));
      if (n > parts[r].size()) throw RuntimeError("sparse classifiers of rank " + std::to_string(r) + ": bad length");
      ids.resize(n);
      weights.resize(n);
      take(r, ids.data(), n * sizeof(uint32_t));
      take(r, weights.data(), n * sizeof(float));
      for (uint32_t id : ids) {
        if (id >= features) throw RuntimeError("sparse classifiers of rank " + std::to_string(r) + ": feature id out of range");
      }
      merged.append(ids, weights, bias, trained != 0);
    }
    for (size_t r = 0; r < ranks; ++r) {
      if (at[r] != parts[r].size()) throw RuntimeError("sparse classifiers of rank " + std::to_string(r) + ": extra bytes");
    }
  }
  const std::string own_report = report.dump();
  const std::vector<std::string_view> reports = group.gather(own_report, 0);
  if (rank != 0) return;
  nlohmann::json sum = {{"labels_trained", 0}, {"positives", 0}, {"negatives", 0}, {"weights", 0}};
  double passes = 0;
  for (const std::string_view text : reports) {
    const auto part = nlohmann::json::parse(text);
    for (const char* key : {"labels_trained", "positives", "negatives", "weights"}) {
      sum[key] = sum[key].get<uint64_t>() + part.at(key).get<uint64_t>();
    }
    passes += part.at("mean_passes").get<double>() * part.at("labels_trained").get<double>();
  }
  sum["mean_passes"] = sum["labels_trained"].get<uint64_t>() > 0 ? passes / sum["labels_trained"].get<double>() : 0.0;
  classifiers = std::move(merged);
  report = sum;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// 1-based curriculum epochs as the trainers take them (0-based, sorted).
std::vector<uint32_t> zero_based(std::vector<uint32_t> epochs) {
  std::sort(epochs.begin(), epochs.end());
  for (uint32_t& e : epochs) --e;
  return epochs;
}

}  // namespace

void TrainConfig::validate() const {
  for (uint32_t e : curriculum) {
    if (e == 0) throw UsageError("curriculum: epochs are 1-based");
  }
  for (uint32_t e : classifier_curriculum) {
    if (e == 0) throw UsageError("clf-curriculum: epochs are 1-based");
  }
  parse_batching_mode(batching);
  sparse.validate();
  featurizer.validate();
  encoder.validate();
  hnsw.validate();
}

void apply_size_defaults(TrainConfig& c, size_t label_count, uint64_t fitting_rows) {
  const bool large = label_count >= kLargeLabelCount;
  if (c.predictor.shortlist == 0) c.predictor.shortlist = large ? kLargeLabelSearchWidth : kDefaultShortlist;
  c.hnsw.ef_search = c.ef_search > 0 ? c.ef_search : large ? kLargeLabelSearchWidth : HnswConfig{}.ef_search;
  if (!c.char_ngram_buckets && c.featurizer.char_ngram_buckets > 0) return;  // set on the featurizer itself
  const bool small = label_count > 0 && fitting_rows <= kSmallSetPairs / label_count &&
                     fitting_rows <= kSmallSetCharNgramMaxRows;
  c.featurizer.char_ngram_buckets = c.char_ngram_buckets.value_or(small ? kSmallSetCharNgramBuckets : 0);
}

struct TrainingRun::State {
  const Dataset& data;
  TrainConfig config;
  TrainObserver none;
  TrainObserver& observer;
  std::vector<uint8_t> is_val;
  uint64_t val_rows = 0;
  SparseMatrix fit_labels;  // training labels with the validation rows emptied
  uint64_t fitting_rows = 0;  // rows of fit_labels with labels
  ModelParts model;
  std::unique_ptr<EncoderInput> labels;  // the label texts prepared for the encoder
  nlohmann::json timings = nlohmann::json::object();
  double index_seconds = 0;  // every build_indices call of this run
  Communicator* group = nullptr;  // several ranks: M1 data-parallel
  std::vector<float> doc_embeddings;  // the training rows' unit embeddings when M1 computed them by shards
  State(const Dataset& d, const TrainConfig& c, TrainObserver* o, Communicator* g)
      : data(d), config(c), observer(o ? *o : none), group(g != nullptr && g->size() > 1 ? g : nullptr) {}
  void record_data();
};

TrainingRun::TrainingRun(const Dataset& data, const TrainConfig& config, TrainObserver* observer, Communicator* group)
    : state_(std::make_unique<State>(data, config, observer, group)) {
  State& s = *state_;
  TrainConfig& c = s.config;
  c.validate();
  NGAME_CHECK(data.label_count() > 0 && data.train.labels.rows > 0, "training needs labels and training rows");
  // The fusion needs a few thousand validation queries, not 5% of millions: above validation_max_rows the fraction
  // shrinks, which keeps the fusion's cost flat and the rows in training (2M rows: 20K held out, not 100K).
  const double val_fraction =
      std::min(c.validation_fraction, static_cast<double>(c.validation_max_rows) /
                                          std::max<double>(1.0, static_cast<double>(data.train.labels.rows)));
  s.is_val.assign(data.train.labels.rows, 0);
  for (uint64_t r = 0; r < data.train.labels.rows; ++r) {
    s.is_val[r] = is_validation_row(r, val_fraction) && data.train.labels.row_size(r) > 0;
    s.val_rows += s.is_val[r];
  }
  s.fit_labels = without_rows(data.train.labels, s.is_val);
  if (s.val_rows > 0) spdlog::info("{} training rows held out to fit the fusion", s.val_rows);
  for (uint64_t r = 0; r < s.fit_labels.rows; ++r) s.fitting_rows += s.fit_labels.row_size(r) > 0;
  apply_size_defaults(c, data.label_count(), s.fitting_rows);
  if (data.label_count() >= kLargeLabelCount && (config.predictor.shortlist == 0 || config.ef_search == 0)) {
    spdlog::info("{} labels: shortlists of {}, graph searches of breadth {}", data.label_count(), c.predictor.shortlist,
                 c.hnsw.ef_search);
  }
  if (!config.char_ngram_buckets && config.featurizer.char_ngram_buckets == 0 && c.featurizer.char_ngram_buckets > 0) {
    spdlog::info("a small set ({} labelled rows x {} labels): character n-grams in {} buckets", s.fitting_rows,
                 data.label_count(), c.featurizer.char_ngram_buckets);
  }
  s.model.label_texts = data.label_texts;
  s.record_data();
}

TrainingRun::~TrainingRun() = default;

// The manifest's settings and data record (a folder's files are fingerprinted), timings so far included.
void TrainingRun::State::record_data() {
  nlohmann::json info = {{"train_rows", data.train.labels.rows}, {"validation_rows", val_rows},
                         {"labels", data.label_count()}};
  if (!data.dir.empty()) {
    info["dir"] = fs::absolute(data.dir).string();
    info["trn_X_Y.txt"] = file_fingerprint((fs::path(data.dir) / "trn_X_Y.txt").string());
    info["Y.txt"] = file_fingerprint((fs::path(data.dir) / "Y.txt").string());
  }
  info["timings"] = timings;
  model.manifest["settings"] = config.settings;
  model.manifest["data"] = info;
}

ModelParts& TrainingRun::model() {
  state_->model.manifest["data"]["timings"] = state_->timings;
  return state_->model;
}

const TrainConfig& TrainingRun::config() const { return state_->config; }

void TrainingRun::train_encoder() {
  State& s = *state_;
  const TrainConfig& c = s.config;
  const Dataset& data = s.data;
  Featurizer featurizer(c.featurizer);
  featurizer.fit({&data.train.texts, &data.label_texts});
  s.timings["char_ngram_buckets"] = c.featurizer.char_ngram_buckets;  // what the size chose, unless given
  spdlog::info("featurizer: {} words, {} features in all", featurizer.unigram_count(), featurizer.feature_count());
  auto encoder = std::make_unique<BowEncoder>(std::move(featurizer), c.encoder, c.seed);
  if (!c.init_vectors.empty()) {
    WordVectors vectors = WordVectors::load(c.init_vectors);
    const size_t seeded = encoder->init_from_vectors(vectors, c.seed);
    spdlog::info("seeded {} of {} words from {} ({}-d)", seeded, encoder->featurizer().unigram_count(), c.init_vectors,
                 vectors.dim());
  }
  auto docs = encoder->prepare(data.train.texts);
  s.labels = encoder->prepare(data.label_texts);
  EncoderTrainConfig train = c.train;
  train.seed = c.seed;
  train.batching.mode = parse_batching_mode(c.batching);
  train.batching.curriculum_epochs = zero_based(c.curriculum);
  std::unique_ptr<Evaluator> evaluator;
  if (c.eval_every > 0) {
    if (!data.test) throw UsageError("eval_every: the dataset has no test split (tst_X.txt, tst_X_Y.txt)");
  }
  if (c.eval_every > 0 && (s.group == nullptr || s.group->rank() == 0)) {
    evaluator = std::make_unique<Evaluator>(data, *encoder, PropensityConfig{c.prop_a, c.prop_b});
  }
  double eval_seconds = 0;
  auto on_epoch = [&](const EpochStats& e) {
    EpochReport report;
    report.stage = "encoder";
    report.epoch = e.epoch + 1;
    report.epochs = train.epochs;
    report.loss = e.loss;
    report.cluster_size = e.cluster_size;
    report.docs_per_second = e.docs_per_second;
    report.seconds = e.seconds;
    report.clustering_seconds = e.clustering_seconds;
    report.elapsed_seconds = e.elapsed_seconds;
    report.steps = e.steps;
    report.bytes_sent = e.bytes_sent;
    report.communication_seconds = e.communication_seconds;
    report.wait_seconds = e.wait_seconds;
    std::string metrics;
    const bool last = e.epoch + 1 == train.epochs;
    if (evaluator && ((e.epoch + 1) % c.eval_every == 0 || last)) {
      const auto t = std::chrono::steady_clock::now();
      MetricsReport r = evaluator->run(*encoder, *s.labels);
      eval_seconds += seconds_since(t);
      report.test = EpochTestMetrics{100 * r.precision[0], 100 * r.precision[4], 100 * r.psp[4]};
      metrics = fmt::format("  P@1 {:.2f}  P@5 {:.2f}  PSP@5 {:.2f}", report.test->p1, report.test->p5,
                            report.test->psp5);
    }
    if (s.group) {
      metrics += fmt::format(
          "  exchanged {:.1f} MB sent / {:.1f} MB received in {} steps, {:.1f}s ({:.0f}% of the epoch, {:.1f}s of it "
          "waiting for other ranks)",
          e.bytes_sent / 1e6, e.bytes_received / 1e6, e.steps, e.communication_seconds,
          100 * e.communication_seconds / std::max(1e-9, e.seconds), e.wait_seconds);
    }
    spdlog::info("epoch {:>3}/{}  loss {:.4f}  cluster {:6.1f}  {:7.0f} docs/s  {:5.1f}s (clustering {:.2f}s)  elapsed {:6.1f}s{}",
                 e.epoch + 1, train.epochs, e.loss, e.cluster_size, e.docs_per_second, e.seconds, e.clustering_seconds,
                 e.elapsed_seconds, metrics);
    s.observer.on_epoch(report);
  };
  std::vector<EpochStats> history =
      ngame::train_encoder(*encoder, *docs, s.fit_labels, *s.labels, train, on_epoch, s.group);
  double clustering = 0;
  for (const EpochStats& e : history) clustering += e.clustering_seconds;
  if (s.group) {
    uint64_t sent = 0, received = 0;
    double communication = 0;
    for (const EpochStats& e : history) {
      sent += e.bytes_sent;
      received += e.bytes_received;
      communication += e.communication_seconds;
    }
    s.timings["ranks"] = s.group->size();
    s.timings["encoder_bytes_sent_rank0"] = sent;
    s.timings["encoder_bytes_received_rank0"] = received;
    s.timings["encoder_communication_seconds_rank0"] = communication;
  }
  const double seconds = history.back().elapsed_seconds - eval_seconds;
  s.timings["encoder_seconds"] = seconds;
  s.timings["clustering_seconds"] = clustering;
  spdlog::info("M1 trained in {:.1f} s ({:.2f} s clustering, {:.1f}%)", seconds, clustering,
               100 * clustering / std::max(1e-9, seconds));
  encoder->release_training_state();
  if (s.group) {
    // Every rank applied the same updates to the same start: their encoders must be the same bytes. A rank that
    // read other data or options would otherwise mix its embeddings into the model silently.
    std::string mine;  // the CRC of each of the encoder's sections
    for (const auto& section : encoder->save()) {
      const uint32_t crc = crc32_of(section.second);
      mine.append(reinterpret_cast<const char*>(&crc), sizeof(crc));
    }
    for (const std::string_view other : s.group->all_gather(mine)) {
      if (other != mine) {
        throw RuntimeError("the ranks' encoders differ after M1: every rank must read the same data with the same "
                           "options");
      }
    }
  }
  ModelParts& model = s.model;
  model.encoder = std::move(encoder);
  model.label_embeddings.resize(data.label_count() * model.encoder->dim());
  embed_all_shared(*model.encoder, *s.labels, model.label_embeddings.data(), s.group);
  normalize_rows(model.label_embeddings.data(), data.label_count(), model.encoder->dim());
  model.label_index.reset();
  if (s.group) {
    // The training rows' embeddings, by shards, for the classifiers and the memory.
    s.doc_embeddings.resize(docs->size() * model.encoder->dim());
    embed_all_shared(*model.encoder, *docs, s.doc_embeddings.data(), s.group);
    normalize_rows(s.doc_embeddings.data(), docs->size(), model.encoder->dim());
  }
  s.observer.on_stage("encoder", seconds);
}

void TrainingRun::resume_from(ModelParts existing, bool keep_classifiers, const std::string& source) {
  State& s = *state_;
  if (existing.label_count() != s.data.label_count()) {
    throw InputError(source, 0,
                     "model has " + std::to_string(existing.label_count()) + " labels, " +
                         (s.data.dir.empty() ? std::string("the dataset") : s.data.dir) + " has " +
                         std::to_string(s.data.label_count()));
  }
  ModelParts& model = s.model;
  model.encoder = std::move(existing.encoder);
  model.label_embeddings = std::move(existing.label_embeddings);
  // The label index stays valid (same encoder, same labels): loading built or read it, so it is kept, not rebuilt.
  model.label_index = std::move(existing.label_index);
  s.labels = model.encoder->prepare(s.data.label_texts);
  if (keep_classifiers) {
    if (existing.classifiers.empty()) throw UsageError("refitting the fusion needs a model with classifiers");
    model.classifiers = std::move(existing.classifiers);
    model.memory_embeddings = std::move(existing.memory_embeddings);
    model.memory_labels = std::move(existing.memory_labels);
    model.classifier_index = std::move(existing.classifier_index);
    model.memory_index = std::move(existing.memory_index);
    model.sparse_classifiers = std::move(existing.sparse_classifiers);
  }
  if (existing.manifest.contains("data") && existing.manifest["data"].contains("timings")) {
    s.timings = existing.manifest["data"]["timings"];
  }
}

void TrainingRun::train_classifiers() {
  State& s = *state_;
  const TrainConfig& c = s.config;
  const Dataset& data = s.data;
  ModelParts& model = s.model;
  NGAME_CHECK(model.encoder != nullptr, "train_classifiers needs an encoder: train_encoder or resume_from first");
  const uint32_t d = model.encoder->dim();
  auto t = std::chrono::steady_clock::now();
  std::vector<float> doc_emb =
      s.doc_embeddings.empty() ? embed_texts(*model.encoder, data.train.texts) : std::move(s.doc_embeddings);
  s.doc_embeddings = {};
  ClassifierTrainConfig cc = c.classifiers;
  cc.seed = c.seed;
  cc.batching.mode = BatchingMode::kNgame;
  cc.batching.curriculum_epochs = c.classifier_curriculum;
  for (uint32_t& e : cc.batching.curriculum_epochs) --e;
  const bool memory_here = s.group == nullptr || s.group->rank() == 0;  // only rank 0 writes the model
  model.classifiers = ngame::train_classifiers(doc_emb, s.fit_labels, model.label_embeddings, d, cc,
                                        [&](const ClassifierEpochStats& e) {
                                          spdlog::info("classifiers epoch {:>3}/{}  loss {:.4f}  cluster {:6.1f}  {:5.1f}s",
                                                       e.epoch + 1, cc.epochs, e.loss, e.cluster_size, e.seconds);
                                          EpochReport report;
                                          report.stage = "classifiers";
                                          report.epoch = e.epoch + 1;
                                          report.epochs = cc.epochs;
                                          report.loss = e.loss;
                                          report.cluster_size = e.cluster_size;
                                          report.seconds = e.seconds;
                                          s.observer.on_epoch(report);
                                        },
                                        s.group);
  // Labels without a training row keep their label embedding (zero-shot), as train_classifiers leaves them.
  s.timings["classifier_seconds"] = seconds_since(t);
  // The memory: training rows (validation rows excluded) and their labels. Above memory_max_docs documents it
  // keeps a fixed sample (a hash of the row, independent of the validation hash): its graph is the most expensive
  // index to build at millions of documents.
  model.memory_embeddings.clear();
  model.memory_labels = SparseMatrix();
  model.memory_labels.cols = data.label_count();
  uint64_t eligible = 0;
  for (uint64_t r = 0; r < data.train.labels.rows; ++r) eligible += !s.is_val[r] && data.train.labels.row_size(r) > 0;
  const double keep = c.memory_max_docs == 0 || eligible <= c.memory_max_docs
                          ? 1.0
                          : static_cast<double>(c.memory_max_docs) / static_cast<double>(eligible);
  if (keep < 1.0) spdlog::info("memory: a sample of about {} of {} training documents", c.memory_max_docs, eligible);
  for (uint64_t r = 0; memory_here && r < data.train.labels.rows; ++r) {
    if (s.is_val[r] || data.train.labels.row_size(r) == 0) continue;
    if (keep < 1.0 && static_cast<double>(splitmix64(r ^ 0x6d656d6f7279ULL) % 1000000) >= keep * 1e6) continue;
    model.memory_embeddings.insert(model.memory_embeddings.end(), doc_emb.begin() + static_cast<std::ptrdiff_t>(r * d),
                                   doc_emb.begin() + static_cast<std::ptrdiff_t>((r + 1) * d));
    model.memory_labels.append_row(data.train.labels.row_indices(r), data.train.labels.row_values(r));
  }
  if (s.group) {
    // Every rank applied the same updates: the same vectors, or the ranks disagree on their inputs.
    const uint32_t crc = crc32_of(std::string_view(reinterpret_cast<const char*>(model.classifiers.data()),
                                                   model.classifiers.size() * sizeof(float)));
    const std::string mine(reinterpret_cast<const char*>(&crc), sizeof(crc));
    for (const std::string_view other : s.group->all_gather(mine)) {
      if (other != mine) throw RuntimeError("the ranks' classifiers differ after M4");
    }
  }
  if (!memory_here) model.classifiers.clear();  // every rank trained the same vectors; rank 0's go into the model
  model.classifier_index.reset();
  model.memory_index.reset();
  s.observer.on_stage("classifiers", s.timings["classifier_seconds"].get<double>());
}

void TrainingRun::build_indices() {
  State& s = *state_;
  NGAME_CHECK(s.model.encoder != nullptr, "build_indices needs an encoder");
  const auto t = std::chrono::steady_clock::now();
  s.model.build_missing_indices(s.config.hnsw, AnnChoice::kAuto, kExactSearchMaxVectors, s.config.classifier_graph,
                                kMemoryEfSearch, s.config.exact_search);
  const double seconds = seconds_since(t);
  s.index_seconds += seconds;
  if (!s.model.classifiers.empty() && seconds > 0.05) {
    s.timings["index_seconds"] = s.index_seconds;
    spdlog::info("indices in {:.1f} s", seconds);
  }
  s.observer.on_stage("indices", seconds);
}

void TrainingRun::train_sparse_classifiers() {
  State& s = *state_;
  const TrainConfig& c = s.config;
  const Dataset& data = s.data;
  ModelParts& model = s.model;
  model.sparse_classifiers = SparseClassifiers();
  if (!c.sparse.enabled) return;
  NGAME_CHECK(model.encoder != nullptr, "train_sparse_classifiers needs an encoder");
  const auto* bow = dynamic_cast<const BowEncoder*>(model.encoder.get());
  if (!bow) {
    spdlog::warn("sparse classifiers need the bag-of-embeddings encoder's featurizer: none trained");
    return;
  }
  build_indices();  // the label index mines the negatives
  const auto t = std::chrono::steady_clock::now();
  const Featurizer& featurizer = bow->featurizer();
  const uint64_t rows = data.train.labels.rows;
  // Training rows and then one row per label text are numbered in 32 bits, as every label matrix's ids are.
  if (rows + data.label_count() >= UINT32_MAX) {
    throw UsageError("sparse classifiers: " + std::to_string(rows) + " training rows and " +
                     std::to_string(data.label_count()) + " labels exceed 32-bit row ids (--sparse-classifiers off)");
  }
  const size_t mined = std::min<size_t>(c.sparse.mined_labels, data.label_count());
  // Where every fitting row can be a negative of every label it does not carry at a modest cost (debtags:
  // 23K rows x 566 labels), plain one-vs-rest: mining keeps the cost linear in the rows at 17K labels and up, but on
  // few labels it leaves out negatives that one-vs-rest learns from (bench/results/2026-12-04-debtags-one-vs-rest.md).
  const uint64_t fitting_rows = s.fitting_rows;
  const bool one_vs_rest = c.sparse.one_vs_rest_pairs > 0 && data.label_count() > 0 &&
                           fitting_rows <= c.sparse.one_vs_rest_pairs / data.label_count();
  if (one_vs_rest) {
    spdlog::debug("sparse classifiers: plain one-vs-rest ({} rows x {} labels, at most {} pairs)", fitting_rows,
                  data.label_count(), c.sparse.one_vs_rest_pairs);
  }
  // The lexical shortlist brings candidates the embedding's does not; unmined, they would reach the classifiers at
  // prediction never having been negatives.
  std::unique_ptr<LexicalScorer> lexical;
  if (c.sparse.mined_lexical_labels > 0 && !one_vs_rest) {
    lexical = std::make_unique<LexicalScorer>(featurizer, data.label_texts);
  }
  // Each training row's L2-normalised features and its nearest labels by embedding, a chunk at a time (the
  // embeddings of millions of rows are never held at once). Validation rows and rows without labels stay empty.
  FeatureRows docs;
  SparseMatrix shortlists;
  shortlists.cols = data.label_count();
  std::vector<float> ones;
  // With several ranks, chunk c is mined by rank c mod N and each round's shortlists are exchanged; every rank
  // featurises every chunk (cheap) and ends with the same docs and shortlists.
  const uint64_t ranks = s.group ? static_cast<uint64_t>(s.group->size()) : 1;
  const uint64_t rank = s.group ? static_cast<uint64_t>(s.group->rank()) : 0;
  const uint64_t chunks = (rows + kPredictChunkTexts - 1) / kPredictChunkTexts;
  auto chunk_texts = [&](uint64_t begin, uint64_t end) {
    TextCorpus chunk;
    for (uint64_t r = begin; r < end; ++r) {
      if (s.fit_labels.row_size(r) > 0) chunk.push_back(data.train.texts[r]);
    }
    return chunk;
  };
  for (uint64_t first = 0; first < chunks; first += ranks) {
    // This rank's chunk of the round: each labelled row's shortlist (sorted, unique), as u32 count then ids.
    std::vector<uint32_t> mine;
    FeatureRows own_features;
    if (const uint64_t c_own = first + rank; c_own < chunks) {
      const TextCorpus chunk = chunk_texts(c_own * kPredictChunkTexts, std::min<uint64_t>(rows, (c_own + 1) * kPredictChunkTexts));
      Neighbors near;  // one-vs-rest: none
      if (!one_vs_rest) {
        const std::vector<float> emb = embed_texts(*model.encoder, chunk);
        near = model.label_index->search(emb.data(), chunk.size(), mined, c.hnsw.ef_search);
      }
      own_features = featurizer.featurize_all(chunk);
      const FeatureRows& features = own_features;
      l2_normalise_rows(own_features);
      const auto lexical_lists = lexical ? lexical->shortlist(features, c.sparse.mined_lexical_labels)
                                         : std::vector<std::vector<std::pair<uint32_t, float>>>(chunk.size());
      std::vector<uint32_t> ids;
      for (size_t i = 0; i < chunk.size(); ++i) {
        ids.clear();
        for (size_t k = 0; k < near.k; ++k) {
          if (near.ids[i * near.k + k] != UINT32_MAX) ids.push_back(near.ids[i * near.k + k]);
        }
        for (const auto& entry : lexical_lists[i]) ids.push_back(entry.first);
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        mine.push_back(static_cast<uint32_t>(ids.size()));
        mine.insert(mine.end(), ids.begin(), ids.end());
      }
    }
    std::vector<std::string_view> round;
    if (s.group) {
      round = s.group->all_gather(std::string_view(reinterpret_cast<const char*>(mine.data()), mine.size() * sizeof(uint32_t)));
    } else {
      round = {std::string_view(reinterpret_cast<const char*>(mine.data()), mine.size() * sizeof(uint32_t))};
    }
    for (uint64_t j = 0; j < ranks && first + j < chunks; ++j) {
      const uint64_t begin = (first + j) * kPredictChunkTexts, end = std::min<uint64_t>(rows, begin + kPredictChunkTexts);
      FeatureRows others;
      if (j != rank) {
        others = featurizer.featurize_all(chunk_texts(begin, end));
        l2_normalise_rows(others);
      }
      const FeatureRows& features = j == rank ? own_features : others;
      NGAME_CHECK(round[j].size() % sizeof(uint32_t) == 0, "sparse classifiers: a rank's shortlists are cut short");
      std::vector<uint32_t> lists(round[j].size() / sizeof(uint32_t));
      if (!lists.empty()) std::memcpy(lists.data(), round[j].data(), lists.size() * sizeof(uint32_t));
      size_t i = 0, at = 0;
      for (uint64_t r = begin; r < end; ++r) {
        std::span<const uint32_t> ids;
        if (s.fit_labels.row_size(r) > 0) {
          NGAME_CHECK(at < lists.size() && at + 1 + lists[at] <= lists.size(), "sparse classifiers: short shortlists");
          ids = {lists.data() + at + 1, lists[at]};
          at += 1 + lists[at];
          docs.append_row(features, i);
          ++i;
        } else {
          docs.offsets.push_back(docs.ids.size());  // an empty row
        }
        for (uint32_t l : ids) NGAME_CHECK(l < data.label_count(), "sparse classifiers: shortlisted label out of range");
        ones.assign(ids.size(), 1.0f);
        shortlists.append_row(ids, ones);
      }
      NGAME_CHECK(at == lists.size(), "sparse classifiers: shortlists do not match their chunk");
    }
  }
  SparseMatrix positives = rows_of_labels(s.fit_labels);
  SparseMatrix negatives;
  if (one_vs_rest) {
    std::vector<uint8_t> fitting(rows);
    for (uint64_t r = 0; r < rows; ++r) fitting[r] = s.fit_labels.row_size(r) > 0;
    negatives = every_other_row(positives, fitting);
  } else {
    negatives = mine_negatives(shortlists, positives, s.is_val);
  }
  if (s.group) {
    // Each rank trains the labels l with l mod N == rank (its rows of positives and negatives; the others emptied).
    auto own_labels = [&](const SparseMatrix& m) {
      SparseMatrix out;
      out.cols = m.cols;
      for (uint64_t l = 0; l < m.rows; ++l) {
        if (owns_row(l, s.group->rank(), s.group->size())) {
          out.append_row(m.row_indices(l), m.row_values(l));
        } else {
          out.append_row({}, {});
        }
      }
      return out;
    };
    positives = own_labels(positives);
    negatives = own_labels(negatives);
  }
  if (c.sparse.label_text_positive) {
    // The label texts follow the training rows, one row each.
    FeatureRows texts = featurizer.featurize_all(data.label_texts);
    l2_normalise_rows(texts);
    docs.append(texts);
    positives = with_label_text_rows(positives, rows);
  }
  shortlists = SparseMatrix();
  const double mining_seconds = seconds_since(t);
  SparseClassifierConfig sc = c.sparse;
  sc.seed = c.seed;
  if (sc.cost == 0.0f) sc.cost = auto_sparse_cost(one_vs_rest);
  nlohmann::json report;
  {
    ProgressBar bar("sparse classifiers", data.label_count());
    model.sparse_classifiers = ngame::train_sparse_classifiers(docs, featurizer.feature_count(), positives, negatives,
                                                               sc, report, [&] { bar.add(); });
    bar.finish();
  }
  if (s.group) gather_sparse_classifiers(*s.group, model.sparse_classifiers, report, data.label_count(),
                                         featurizer.feature_count());
  const double seconds = seconds_since(t);
  s.timings["sparse_seconds"] = seconds;
  s.timings["sparse_one_vs_rest"] = one_vs_rest ? 1 : 0;  // how the negatives were chosen, and the C it took
  s.timings["sparse_cost"] = sc.cost;
  s.timings["sparse_negatives"] = report["negatives"].get<uint64_t>();
  const auto& m = model.sparse_classifiers;
  const double megabytes =
      static_cast<double>(m.ids.size() * 8 + m.offsets.size() * 8 + m.bias.size() * 5) / (1024.0 * 1024.0);
  spdlog::info("sparse classifiers: {} labels on {} positives and {} {} negatives (C {}), {} weights kept ({:.1f} MB), "
               "{:.1f} passes on average; {:.1f} s ({:.1f} s mining)",
               report["labels_trained"].get<uint64_t>(), report["positives"].get<uint64_t>(),
               report["negatives"].get<uint64_t>(), one_vs_rest ? "one-vs-rest" : "mined", sc.cost,
               report["weights"].get<uint64_t>(), megabytes, report["mean_passes"].get<double>(), seconds,
               mining_seconds);
  s.observer.on_stage("sparse", seconds);
}

void TrainingRun::fit_fusion() {
  State& s = *state_;
  const TrainConfig& c = s.config;
  const Dataset& data = s.data;
  ModelParts& model = s.model;
  NGAME_CHECK(!model.classifiers.empty(), "fit_fusion needs classifiers: train_classifiers first");
  build_indices();
  auto t = std::chrono::steady_clock::now();
  model.fusion.reset();  // the predictor below must not read an earlier fusion
  // Declared before the predictor, so that the predictor (built over the view) ends first.
  const std::vector<uint32_t> unseen =
      s.val_rows > 0 ? pick_unseen_labels(data.train.labels, s.is_val, c.fusion_unseen_fraction, c.seed)
                     : std::vector<uint32_t>{};
  UnseenLabelView view(model, unseen);
  ModelPredictor predictor(model, c.predictor);
  FusionWeights weights;
  nlohmann::json report, reranker_json;
  if (s.val_rows > 0) {
    TextCorpus val_texts;
    SparseMatrix val_truth;
    val_truth.cols = data.label_count();
    std::vector<uint64_t> val_index(data.train.labels.rows, UINT64_MAX);
    for (uint64_t r = 0; r < data.train.labels.rows; ++r) {
      if (!s.is_val[r]) continue;
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
        for (uint64_t k = cands.offsets[i]; k < cands.offsets[i + 1]; ++k) {
          if (std::binary_search(sorted.begin(), sorted.end(), std::make_pair(uint64_t(i), cands.labels[k]))) continue;
          kept.labels.push_back(cands.labels[k]);
          kept.scores.push_back(cands.scores[k]);
        }
        kept.offsets.push_back(kept.labels.size());
      }
    }
    const SparseMatrix truth = remove_filtered(val_truth, val_filter);
    if (!unseen.empty()) {
      uint64_t rows_with_unseen = 0;
      for (uint64_t q = 0; q < truth.rows; ++q) {
        auto row = truth.row_indices(q);
        rows_with_unseen += std::any_of(row.begin(), row.end(), [&](uint32_t l) {
          return std::binary_search(unseen.begin(), unseen.end(), l);
        });
      }
      report["unseen_labels"] = {{"labels", unseen.size()}, {"validation_rows", rows_with_unseen}};
      spdlog::info("{} labels play unseen ones for the fusion ({} of {} validation rows carry one)", unseen.size(),
                   rows_with_unseen, truth.rows);
    }
    weights = ngame::fit_fusion(predictor.fused(), kept, truth,
                                inverse_propensity(data.train.labels, {c.prop_a, c.prop_b}), report,
                                c.fusion_psp_weight, !unseen.empty());
    spdlog::info("fusion weights {} (validation P@1 {:.2f}, PSP@5 {:.2f})", weights.to_json().dump(),
                 report["fused"]["P@1"].get<double>(), report["fused"]["PSP@5"].get<double>());
    if (c.reranker.trees > 0) {
      // The learned re-ranker on the linear fusion's top candidates.
      std::vector<uint64_t> positions;
      RankBoosterConfig rc = c.reranker;
      rc.seed = c.seed;
      // Without sparse classifiers the re-ranker reads the five terms' 16 features, as before they existed: a sixth
      // term that is the same for every candidate would rank them by label id.
      const size_t terms = model.sparse_classifiers.empty() ? kLegacyRankTerms : kScorerCount;
      RankRows rows = rank_features(kept, weights, rc.window, positions, terms);
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
      one_tree.refit = false;  // only its hold-out figures are recorded
      RankBooster tree;
      const nlohmann::json tree_report = tree.fit(reference, one_tree);
      report["reference_tree"] = {{"holdout_P@1", tree_report["holdout_all_trees_P@1"]},
                                  {"holdout_linear_P@1", tree_report["holdout_linear_P@1"]}};
      spdlog::info("the reference's depth-7 tree on [classifier, embedding, prior] would give hold-out P@1 {:.2f}",
                   tree_report["holdout_all_trees_P@1"].get<double>());
    }
  } else {
    spdlog::warn("no validation rows (validation fraction 0): default fusion weights");
  }
  FusionRecord fusion;
  fusion.weights = weights;
  fusion.shortlist = c.predictor.shortlist;
  fusion.hnsw_ef_search = c.hnsw.ef_search;
  fusion.graph_seeds = c.predictor.graph_seeds;
  fusion.memory_seeds = c.predictor.memory_seeds;
  fusion.classifier_graph = c.classifier_graph;
  fusion.validation = report;
  fusion.validation_rows = s.val_rows;
  if (!reranker_json.is_null()) {
    fusion.reranker = reranker_json;
    fusion.reranker_window = c.reranker.window;
  }
  model.fusion = std::move(fusion);
  const double seconds = seconds_since(t);
  s.timings["fusion_seconds"] = seconds;
  s.observer.on_stage("fusion", seconds);
}

ModelParts train_model(const Dataset& data, const TrainConfig& config, TrainObserver* observer) {
  TrainingRun run(data, config, observer);
  run.train_encoder();
  run.train_classifiers();
  run.train_sparse_classifiers();  // builds the indices first
  run.fit_fusion();
  return std::move(run.model());
}

}  // namespace ngame
