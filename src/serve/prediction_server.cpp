#include "serve/prediction_server.h"

#include <httplib.h>
#include <omp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <semaphore>
#include <thread>

#include "core/error.h"
#include "core/runtime.h"
#include "data/utf8.h"
#include "model/label_addition.h"
#include "serve/bounded_http_server.h"
#include "serve/json_reply.h"
#include "serve/request_body.h"
#include "serve/server_metrics.h"
#include "serve/write_access.h"

namespace ngame {

namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

std::string not_allowed_message(const httplib::Request& req) {
  return "method " + request_excerpt(req.method) + " not allowed on " + request_excerpt(req.path);
}

// The model directory's own name, for /v1/health: a client learns which model answers, not where it lives.
std::string model_name(const std::string& dir) {
  std::filesystem::path path(dir);
  if (path.filename().empty()) path = path.parent_path();  // "models/wordnet/"
  return path.filename().string();
}

thread_local Clock::time_point request_start;
thread_local bool single_threaded_loops = false;

}  // namespace

struct PredictionServer::State {
  std::string dir;
  std::string name;  // dir's last component
  ServerConfig config;
  std::unique_ptr<Model> model;  // predictions and label additions run on it at once (it holds the lock)
  std::unique_ptr<std::counting_semaphore<>> compute;  // predictions computed at once
  ServerMetrics metrics;
  std::unique_ptr<BoundedHttpServer> http;
  std::unique_ptr<WriteAccess> access;  // who may add labels
  std::atomic<uint64_t> labels_added{0};
  std::atomic<uint64_t> compaction_failures{0};
  std::mutex compaction_retry;               // guards last_compaction_failure
  std::optional<Clock::time_point> last_compaction_failure;  // set while the latest compaction failed

  void handle_predict(const httplib::Request& req, httplib::Response& res);
  void handle_add_labels(const httplib::Request& req, httplib::Response& res);
  void handle_get_label(const httplib::Request& req, httplib::Response& res);
  RequestLimits limits() const { return {config.max_texts, config.max_k, config.max_labels, config.max_body_bytes}; }
  void compact_if_due();
  bool compact(bool stopping) noexcept;
  void routes();
};

PredictionServer::PredictionServer(std::string model_dir, ServerConfig config) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.dir = std::move(model_dir);
  s.name = model_name(s.dir);
  s.config = std::move(config);
  ConnectionLimits limits;
  limits.connections = s.config.connections;
  limits.connections_per_client =
      s.config.connections_per_client > 0 ? s.config.connections_per_client : std::max(1, s.config.connections / 2);
  limits.request_seconds = s.config.request_seconds;
  limits.max_body_bytes = s.config.max_body_bytes;
  s.http = std::make_unique<BoundedHttpServer>(limits);
  s.access = std::make_unique<WriteAccess>(s.config.api_key, s.config.host, s.config.read_only_hint);
  const auto t = Clock::now();
  OpenOptions open = s.config.open;
  open.writable = true;
  s.model = std::make_unique<Model>(Model::open(s.dir, open));
  // Room for new labels up front: growing the arrays and graphs later would hold predictions off while memory moves.
  s.model->reserve_labels(std::max<size_t>(4096, s.model->label_count() / 4));
  const int threads = s.config.threads > 0 ? s.config.threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  s.compute = std::make_unique<std::counting_semaphore<>>(threads);
  spdlog::info("model {}: {} labels ({} added since training), loaded in {:.1f} s", s.dir, s.model->label_count(),
               s.model->label_count() - std::min(s.model->label_count(), s.model->trained_label_count()),
               std::chrono::duration<double>(Clock::now() - t).count());
  // Each request computes on one thread; config.threads requests compute at once.
  set_thread_count(1);
  s.routes();
}

PredictionServer::~PredictionServer() = default;

void PredictionServer::State::routes() {
  BoundedHttpServer& server = *http;
  // What is answered before a request's body is read: the transfer limits, and who may add labels.
  auto answered_unread = [this](const httplib::Request& req, httplib::Response& res) {
    if (http->screen_request(req, res)) return true;
    if (req.method == "POST" && req.path == "/v1/labels" && !access->admit(req, res)) {
      BoundedHttpServer::leave_body_unread(req);
      return true;
    }
    return false;
  };
  // "Expect: 100-continue": the client waits for a go-ahead before sending the body; a request to be refused gets
  // its final answer instead.
  server.set_expect_100_continue_handler([answered_unread](const httplib::Request& req, httplib::Response& res) {
    return answered_unread(req, res) ? res.status : 100;
  });
  server.set_pre_routing_handler([answered_unread](const httplib::Request& req, httplib::Response& res) {
    request_start = Clock::now();
    if (answered_unread(req, res)) return httplib::Server::HandlerResponse::Handled;
    if (!single_threaded_loops) {
      omp_set_num_threads(1);
      single_threaded_loops = true;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // The logger and the error handler run outside cpp-httplib's exception handling: neither may throw.
  server.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    try {
      std::string route = "other";
      for (const char* known : {"/v1/predict", "/v1/labels", "/v1/health", "/v1/metrics"}) {
        if (req.path == known) route = known;
      }
      if (req.path.starts_with("/v1/labels/")) route = "/v1/labels/{id}";
      metrics.record_request(route, res.status, std::chrono::duration<double>(Clock::now() - request_start).count());
    } catch (...) {
    }
  });
  server.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    try {
      if (http->answer_read_failure(req, res)) return;  // a request cut short while it was read
      std::string message;
      switch (res.status) {
        case 404: message = "no such path: " + request_excerpt(req.path); break;
        case 405: message = not_allowed_message(req); break;
        case 413: message = "request body too large"; break;
        default: message = res.status >= 500 ? "server error" : "bad request";
      }
      send_json(res, res.status, {{"error", message}});
    } catch (...) {
      send_exception(req, res, std::current_exception());
    }
  });
  // An exception that escapes a handler below (none should) is answered the same way.
  server.set_exception_handler(send_exception);
  auto guarded = [](auto handler) {
    return [handler](const httplib::Request& req, httplib::Response& res) {
      try {
        handler(req, res);
      } catch (...) {
        send_exception(req, res, std::current_exception());
      }
    };
  };
  server.Post("/v1/predict", guarded([this](const auto& req, auto& res) { handle_predict(req, res); }));
  // Routes that change state: only for requests the write policy admits (checked before the body is looked at).
  auto writing = [this](auto handler) {
    return [this, handler](const httplib::Request& req, httplib::Response& res) {
      if (access->admit(req, res)) handler(req, res);
    };
  };
  server.Post("/v1/labels", guarded(writing([this](const auto& req, auto& res) { handle_add_labels(req, res); })));
  server.Get(R"(/v1/labels/([^/]+))", guarded([this](const auto& req, auto& res) { handle_get_label(req, res); }));
  server.Get("/v1/health", guarded([this](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, {{"status", "ok"}, {"labels", model->label_count()}, {"model", name}});
  }));
  server.Get("/v1/metrics", guarded([this](const httplib::Request&, httplib::Response& res) {
    const size_t labels = model->label_count();
    res.set_content(metrics.render({{"ngame_labels", static_cast<double>(labels)},
                                    {"ngame_labels_added_total", static_cast<double>(labels_added.load())},
                                    {"ngame_label_log_pending", static_cast<double>(model->pending_labels())},
                                    {"ngame_label_log_compaction_failures_total",
                                     static_cast<double>(compaction_failures.load())},
                                    {"ngame_connections_refused_total",
                                     static_cast<double>(http->refused_connections())},
                                    {"ngame_requests_too_slow_total", static_cast<double>(http->slow_requests())}}),
                    "text/plain; version=0.0.4");
  }));
  // Known paths with the wrong method: 405, not 404.
  auto not_allowed = guarded([](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Allow", req.path == "/v1/predict" || req.path == "/v1/labels" ? "POST" : "GET");
    send_json(res, 405, {{"error", not_allowed_message(req)}});
  });
  for (const char* path : {"/v1/predict", "/v1/labels", "/v1/health", "/v1/metrics", R"(/v1/labels/([^/]+))"}) {
    const std::string p = path;
    if (p != "/v1/predict" && p != "/v1/labels") server.Post(p, not_allowed);
    if (p == "/v1/predict" || p == "/v1/labels") server.Get(p, not_allowed);
    server.Put(p, not_allowed);
    server.Patch(p, not_allowed);
    server.Delete(p, not_allowed);
    server.Options(p, not_allowed);
  }
}

void PredictionServer::State::handle_predict(const httplib::Request& req, httplib::Response& res) {
  const PredictRequest request = parse_predict_request(req.get_header_value("Content-Type"), req.body, limits());
  const TextCorpus& texts = request.texts;
  const size_t k = request.k;
  if (texts.size() * k > config.max_results) {
    throw ClientError(413, "at most " + std::to_string(config.max_results) +
                               " results a request (texts x k): send fewer texts or a smaller k");
  }
  json predictions = json::array();
  {
    compute->acquire();
    struct Release {
      std::counting_semaphore<>& s;
      ~Release() { s.release(); }
    } release{*compute};
    const SparseMatrix pred = model->predict(texts, k);
    // Label texts go into the reply: a few long ones, asked for by many texts, would make it huge.
    std::vector<std::string> label_texts;
    label_texts.reserve(pred.indices.size());
    size_t reply_bytes = 0;
    for (uint32_t id : pred.indices) {
      // Labels are only ever appended: the text of an id in a prediction stays what it was.
      label_texts.push_back(model->label_text(id));
      reply_bytes += 48 + label_texts.back().size();
    }
    if (reply_bytes > config.max_reply_bytes) {
      throw ClientError(413, "the reply would exceed " + std::to_string(config.max_reply_bytes) +
                                 " bytes: send fewer texts or a smaller k");
    }
    for (uint64_t r = 0; r < pred.rows; ++r) {
      json row = json::array();
      auto ids = pred.row_indices(r);
      auto scores = pred.row_values(r);
      for (size_t j = 0; j < ids.size(); ++j) {
        row.push_back({{"id", ids[j]}, {"label", std::move(label_texts[pred.indptr[r] + j])}, {"score", scores[j]}});
      }
      predictions.push_back(std::move(row));
    }
  }
  send_json(res, 200, {{"predictions", std::move(predictions)}});
}

void PredictionServer::State::handle_add_labels(const httplib::Request& req, httplib::Response& res) {
  const TextCorpus texts = parse_label_request(req.get_header_value("Content-Type"), req.body, limits());
  AddedLabels added;
  try {
    added = model->add_labels(texts, "labels");
  } catch (const InputError& e) {
    // The request's texts, as validate_label_texts names them (source "labels", counted from 1).
    if (e.file() != "labels" || e.line() == 0) throw;
    throw ClientError(400, "labels[" + std::to_string(e.line() - 1) + "].text: " + e.problem());
  } catch (const StorageError& e) {
    // The log write failed and was undone (or additions wait until it can be): nothing was added, no id taken.
    spdlog::error("label addition refused: {}", e.what());
    if (e.no_space()) {
      send_json(res, 507, {{"error", "no space left on the model's disk: the labels were not added; retry when "
                                     "there is space"}});
    } else {
      send_json(res, 503, {{"error", "the label log cannot be written now: the labels were not added; retry later"}});
    }
    return;
  }
  for (double seconds : added.lock_seconds) metrics.record_label_lock(seconds);
  labels_added += texts.size();
  json ids = json::array();
  for (size_t i = 0; i < texts.size(); ++i) ids.push_back(added.first_id + i);
  // The labels are durable now: whatever the compaction does, this addition succeeded.
  if (model->pending_labels() >= config.compact_after) compact_if_due();
  send_json(res, 200, {{"ids", std::move(ids)}});
}

void PredictionServer::State::handle_get_label(const httplib::Request& req, httplib::Response& res) {
  const std::string raw = req.matches[1];
  uint64_t id = 0;
  if (raw.empty() || raw.find_first_not_of("0123456789") != std::string::npos) {
    throw ClientError(400, "label id must be a non-negative integer, not '" + request_excerpt(raw) + "'");
  }
  const size_t digits = raw.find_first_not_of('0') == std::string::npos ? 1 : raw.size() - raw.find_first_not_of('0');
  if (digits > 12) throw ClientError(404, "no label " + request_excerpt(raw) + " (the model has " +
                                              std::to_string(model->label_count()) + ")");
  id = std::stoull(raw);
  std::string text;
  try {
    text = model->label_text(id);
  } catch (const UsageError&) {
    throw ClientError(404, "no label " + raw + " (the model has " + std::to_string(model->label_count()) + ")");
  }
  send_json(res, 200, {{"id", id}, {"label", text}, {"added", id >= model->trained_label_count()}});
}

void PredictionServer::State::compact_if_due() {
  {
    // After a failure, the next try waits (a compaction that fails for lack of space rewrites the label-side files
    // up to the point where the disk is full: not at every addition).
    std::lock_guard lock(compaction_retry);
    if (last_compaction_failure &&
        Clock::now() - *last_compaction_failure < std::chrono::duration<double>(config.compact_retry_seconds)) {
      return;
    }
  }
  compact(false);
}

// Compacts the label log; a failure is logged and counted, never thrown: the labels are durable in the log, so
// neither the addition that triggered it nor the stop fails.
bool PredictionServer::State::compact(bool stopping) noexcept {
  try {
    const auto t = Clock::now();
    const uint64_t pending = model->pending_labels();
    try {
      model->compact();
    } catch (const std::exception& e) {
      ++compaction_failures;
      {
        std::lock_guard lock(compaction_retry);
        last_compaction_failure = Clock::now();
      }
      if (stopping) {
        spdlog::error("compaction of {} logged labels into {} failed: {}; they stay in the label log, which the next "
                      "start replays",
                      pending, dir, e.what());
      } else {
        spdlog::error("compaction of {} logged labels into {} failed: {}; they stay in the label log, and the "
                      "compaction is tried again at the first addition {} s or more from now (and at the stop)",
                      pending, dir, e.what(), config.compact_retry_seconds);
      }
      return false;
    }
    {
      std::lock_guard lock(compaction_retry);
      last_compaction_failure.reset();
    }
    if (pending > 0) {
      spdlog::info("compacted {} added labels into {} in {:.1f} s", pending, dir,
                   std::chrono::duration<double>(Clock::now() - t).count());
    }
    return true;
  } catch (...) {
    return false;  // only logging can fail here (out of memory): the labels are in the log either way
  }
}

int PredictionServer::bind() {
  State& s = *state_;
  int port = s.config.port;
  if (port == 0) {
    port = s.http->bind_to_any_port(s.config.host);
    if (port < 0) throw RuntimeError("cannot bind " + s.config.host + " on any port");
  } else if (!s.http->bind_to_port(s.config.host, port)) {
    throw RuntimeError("cannot bind " + s.config.host + ":" + std::to_string(port) + " (in use?)");
  }
  return port;
}

void PredictionServer::run() {
  State& s = *state_;
  s.http->listen_after_bind();
  // A failure here is logged and leaves the labels in the log: the stop itself succeeds.
  if (s.model->pending_labels() > 0) s.compact(true);
}

bool PredictionServer::labels_read_only() const { return state_->access->read_only(); }

void PredictionServer::stop() { state_->http->stop(); }

bool PredictionServer::is_running() const { return state_->http->is_running(); }

size_t PredictionServer::label_count() const { return state_->model->label_count(); }

}  // namespace ngame
