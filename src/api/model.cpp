// ngame::Model: a trained model with its predictor, its label log and the lock that lets predictions run while
// labels are added. The CLI, the server and Python all open, predict and add labels through it.
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <mutex>

#include "api/label_gate.h"
#include "core/dense_math.h"
#include "model/label_addition.h"
#include "model/label_log.h"
#include "ngame/ngame.h"
#include "predict/label_ranker.h"
#include "predict/model_predictor.h"

namespace ngame {

namespace fs = std::filesystem;

struct Model::Impl {
  std::string dir;
  ModelParts parts;
  size_t trained_labels = 0;
  PredictorConfig defaults;  // shortlist and graph seeds of calls that choose none
  std::unique_ptr<ModelPredictor> predictor;
  std::unique_ptr<LabelLog> log;  // open for writing (locked against other writers)
  size_t logged_at_open = 0;      // complete log records seen when the model was opened read-only
  mutable LabelGate gate;         // predictions read under it; additions write under it
  std::mutex writer;              // one addition, compaction or save at a time
  // Logged labels failed to enter memory: additions and compactions are refused (the log is the only full record)
  // until the model is opened again.
  bool stopped = false;
  std::string stopped_reason;
  void refuse_if_stopped() const {
    if (stopped) throw RuntimeError(stopped_reason.empty() ? "labels are logged but not in memory" : stopped_reason);
  }

  void start_predicting() { predictor = std::make_unique<ModelPredictor>(parts, defaults); }
  // The label log, opened for writing on first need; labels another process logged since open are an error.
  void open_log() {
    if (log || dir.empty()) return;
    log = std::make_unique<LabelLog>(dir);
    if (log->records().size() != logged_at_open) {
      const size_t found = log->records().size();
      log.reset();
      throw InputError(dir + "/labels.wal", 0,
                       std::to_string(found) + " logged labels, " + std::to_string(logged_at_open) +
                           " when the model was opened: another process added labels; open the model again");
    }
  }
};

Model Model::open(const std::string& dir, const OpenOptions& options) {
  ModelLoadOptions load;
  load.ann = parse_ann_choice(options.ann);
  load.exact_max = options.exact_max;
  load.hnsw.m = options.hnsw_m;
  load.hnsw.vectors = parse_graph_vectors(options.graph_vectors);
  load.exact = parse_exact_scoring(options.exact_search);
  if (options.hnsw_ef_construction > 0) {
    load.hnsw.ef_construction = options.hnsw_ef_construction;
    load.hnsw.scale_with_size = false;
  }
  load.ef_search = options.ef_search;
  load.memory_ef_search = options.memory_ef_search;
  load.classifier_graph = options.classifier_graph;
  load.hnsw.validate();
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->parts = load_model(dir, load);
  impl->trained_labels = impl->parts.manifest.value("data", nlohmann::json::object()).value("labels", impl->parts.label_count());
  const std::string log_path = (fs::path(dir) / "labels.wal").string();
  size_t added = 0;
  if (options.writable) {
    impl->log = std::make_unique<LabelLog>(dir);
    if (impl->log->truncated_bytes() > 0) {
      spdlog::warn("{}: cut {} bytes of an unfinished record (never acknowledged)", log_path,
                   impl->log->truncated_bytes());
    }
    added = replay_label_log(impl->parts, *impl->log);
  } else {
    // Read-only: the log may be held by a server; its complete records are part of the model.
    const std::vector<LoggedLabel> records = read_label_log(dir);
    impl->logged_at_open = records.size();
    added = replay_label_log(impl->parts, records, log_path);
  }
  if (added > 0) spdlog::info("{} labels added from the label log", added);
  impl->defaults.shortlist = options.shortlist;  // 0: as the fusion was fitted
  impl->defaults.graph_seeds = options.graph_seeds;
  impl->start_predicting();
  Model model(std::move(impl));
  return model;
}

Model::Model(ModelParts parts) : impl_(std::make_unique<Impl>()) {
  NGAME_CHECK(parts.encoder && parts.label_index, "a model needs an encoder and a label index");
  impl_->parts = std::move(parts);
  impl_->trained_labels = impl_->parts.label_count();
  impl_->start_predicting();
}

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

void Model::save(const std::string& dir) {
  Impl& m = *impl_;
  std::lock_guard one_writer(m.writer);
  std::error_code ec;
  const bool same_dir = !m.dir.empty() && fs::exists(dir) && fs::equivalent(dir, m.dir, ec);
  if (same_dir) {
    // The directory it came from: a new generation of its label-side parts, then an empty log.
    m.refuse_if_stopped();
    m.open_log();
    compact_label_log(m.dir, m.parts, *m.log);
    return;
  }
  const nlohmann::json manifest = m.parts.manifest;
  m.parts.manifest = save_model(dir, m.parts, manifest.value("settings", nlohmann::json::object()),
                                manifest.value("data", nlohmann::json::object()));
  // A label log left by an earlier model in that directory is not this model's.
  if (const size_t stale = read_label_log(dir).size(); stale > 0) {
    spdlog::warn("{}: removed the label log of the model saved there before ({} labels)", dir, stale);
  }
  fs::remove(fs::path(dir) / "labels.wal");
  m.dir = dir;
  m.log.reset();
  m.logged_at_open = 0;
}

SparseMatrix Model::predict(const TextCorpus& texts, size_t k, const SearchParams& search) const {
  NGAME_CHECK(k >= 1, "k must be at least 1");
  LabelGate::ReadGuard read(impl_->gate);
  return impl_->predictor->predict(texts, std::min(k, impl_->parts.label_count()), search);
}

SparseMatrix Model::predict(const TextCorpus& texts, size_t k) const {
  SearchParams search;
  search.shortlist = impl_->defaults.shortlist;
  search.graph_seeds = impl_->defaults.graph_seeds;
  return predict(texts, k, search);
}

std::vector<float> Model::embed(const TextCorpus& texts, bool normalize) const {
  // The encoder never changes after training: no lock.
  const Encoder& encoder = *impl_->parts.encoder;
  if (normalize) return embed_texts(encoder, texts);
  std::vector<float> out(texts.size() * encoder.dim());
  if (texts.size() > 0) encoder.embed_all(*encoder.prepare(texts), out.data());
  return out;
}

AddedLabels Model::add_labels(const TextCorpus& texts, const std::string& source) {
  using Clock = std::chrono::steady_clock;
  Impl& m = *impl_;
  validate_label_texts(texts, source);
  AddedLabels out;
  out.count = texts.size();
  std::lock_guard one_writer(m.writer);
  m.refuse_if_stopped();
  out.first_id = m.parts.label_count();  // only this writer changes it
  if (texts.size() == 0) return out;
  m.open_log();
  // Embedding reads only the encoder, which never changes: predictions go on meanwhile.
  const std::vector<float> emb = embed_new_labels(m.parts, texts);
  // Out of room (rare: a quarter of the model's size at a time): this one addition moves the arrays, before the
  // labels are logged, so that running out of memory here leaves nothing logged.
  if (label_room(m.parts) < texts.size()) {
    const auto t = Clock::now();
    LabelGate::WriteGuard write(m.gate);
    reserve_label_room(m.parts, std::max(texts.size(), m.parts.label_count() / 4));
    out.lock_seconds.push_back(std::chrono::duration<double>(Clock::now() - t).count());
  }
  // Durable before anything is acknowledged or visible. A failed write is undone (StorageError) and changes
  // nothing here: the next addition takes the same ids, which no one was ever given.
  if (m.log) m.log->append(out.first_id, texts);
  try {
    {
      const auto t = Clock::now();
      LabelGate::WriteGuard write(m.gate);
      append_label_rows(m.parts, texts, emb);
      m.predictor->labels_appended(m.parts);
      out.lock_seconds.push_back(std::chrono::duration<double>(Clock::now() - t).count());
    }
    // Index insertions one label at a time, so that predictions wait at most one insertion.
    for (size_t i = 0; i < texts.size(); ++i) {
      const auto t = Clock::now();
      LabelGate::WriteGuard write(m.gate);
      index_new_labels(m.parts, static_cast<uint32_t>(out.first_id + i), 1);
      out.lock_seconds.push_back(std::chrono::duration<double>(Clock::now() - t).count());
    }
  } catch (const std::exception& e) {
    // Logged, so their ids are taken, but not (wholly) in memory: handing the ids out again would clash with the
    // log, and compacting would drop them, so both stop here; opening the model again replays the log.
    m.stopped = true;
    try {
      m.stopped_reason = "labels " + std::to_string(out.first_id) + ".." +
                         std::to_string(out.first_id + texts.size() - 1) +
                         " are logged but could not be added in memory (" + e.what() +
                         "); open the model again to add more";
    } catch (...) {
    }
    throw;
  }
  return out;
}

void Model::reserve_labels(size_t extra) {
  std::lock_guard one_writer(impl_->writer);
  LabelGate::WriteGuard write(impl_->gate);
  reserve_label_room(impl_->parts, extra);
}

void Model::compact() {
  Impl& m = *impl_;
  std::lock_guard one_writer(m.writer);
  if (m.dir.empty()) return;
  m.refuse_if_stopped();
  m.open_log();
  if (m.log->pending() == 0) return;
  // The model only changes under `writer`: writing it needs no gate.
  compact_label_log(m.dir, m.parts, *m.log);
}

uint64_t Model::pending_labels() const {
  const Impl& m = *impl_;
  return m.log ? m.log->pending() : m.logged_at_open;
}

size_t Model::label_count() const {
  LabelGate::ReadGuard read(impl_->gate);
  return impl_->parts.label_count();
}

size_t Model::trained_label_count() const { return impl_->trained_labels; }

std::string Model::label_text(uint64_t id) const {
  LabelGate::ReadGuard read(impl_->gate);
  if (id >= impl_->parts.label_count()) {
    throw UsageError("no label " + std::to_string(id) + " (the model has " +
                     std::to_string(impl_->parts.label_count()) + ")");
  }
  return std::string(impl_->parts.label_texts[id]);
}

uint32_t Model::dim() const { return impl_->parts.encoder->dim(); }

const std::string& Model::dir() const { return impl_->dir; }

const ModelParts& Model::parts() const { return impl_->parts; }

}  // namespace ngame
