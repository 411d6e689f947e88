// `ngame serve` (the HTTP server) and `ngame labels add|compact` (adding labels to a model offline).
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "cli/cli_common.h"
#include "core/error.h"
#include "data/text_corpus.h"
#include "model/label_addition.h"
#include "serve/prediction_server.h"

namespace ngame {

namespace {

// Runs the server until SIGTERM or SIGINT, then lets it drain. The watcher thread is joined however run() ends.
void serve_until_signalled(PredictionServer& server) {
  std::atomic<bool> done{false};
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  std::thread watcher([&] {
    while (!done) {
      timespec wait{0, 200'000'000};
      const int sig = sigtimedwait(&signals, nullptr, &wait);
      if (sig == SIGTERM || sig == SIGINT) {
        spdlog::info("signal {}: finishing requests in flight", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        // A signal that arrives between the bind (when the start line is printed) and the listening loop would be
        // lost: stop() does nothing until the server runs. So wait for it to run, unless run() has already ended.
        while (!done && !server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        server.stop();
        return;
      }
    }
  });
  struct JoinWatcher {
    std::atomic<bool>& done;
    std::thread& watcher;
    ~JoinWatcher() {
      done = true;
      watcher.join();
    }
  } join_watcher{done, watcher};
  server.run();
}

// The API key in --api-key-file: the file's content without its trailing line break. A key that is missing, empty
// or holds what an HTTP header cannot carry is a usage error.
std::string read_api_key(const std::string& path) {
  const std::string flag = "--api-key-file " + path;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw UsageError(flag + ": cannot read: it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(flag + ": cannot read: " + std::strerror(errno));
  // A key is a line; more than 4 KiB is not a key file (and /dev/zero would never end).
  constexpr size_t kMaxKeyBytes = 4096;
  std::string key(kMaxKeyBytes + 1, '\0');
  in.read(key.data(), static_cast<std::streamsize>(key.size()));
  if (in.bad()) throw UsageError(flag + ": cannot read: " + std::strerror(errno));
  key.resize(static_cast<size_t>(in.gcount()));
  if (key.size() > kMaxKeyBytes) throw UsageError(flag + ": longer than 4096 bytes: not a key file");
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  if (key.empty()) throw UsageError(flag + ": the file is empty (it must hold the key)");
  for (const char c : key) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      throw UsageError(flag + ": the key holds a space, a line break or a control character (it travels in an "
                              "HTTP header)");
    }
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) != 0) {
    spdlog::warn("{}: other users may read the API key (chmod 600 it)", path);
  }
  return key;
}

// Opening a model to add labels: its label log is locked against other writers (a server) at once.
OpenOptions for_writing() {
  OpenOptions open;
  open.writable = true;
  return open;
}

}  // namespace

void add_serve_commands(CLI::App& app) {
  {
    static std::string model_dir, api_key_file;
    // One query at a time: a narrower search and sparser graphs than batch prediction, faster per query for a small
    // loss of P@1 (bench_predict_parts times these settings; docs/serving.md).
    static ServerConfig config = [] {
      ServerConfig c;
      c.open.ef_search = 64;
      c.open.hnsw_m = 16;
      c.open.shortlist = 50;  // as accurate as 100 on WordNet, one query at a time (docs/serving.md)
      return c;
    }();
    CLI::App* cmd = app.add_subcommand("serve", "serve a model over HTTP: /v1/predict, /v1/labels, /v1/health, /v1/metrics");
    cmd->add_option("model", model_dir, "model directory")->required();
    cmd->add_option("--host", config.host, "address to listen on")->capture_default_str();
    cmd->add_option("--port", config.port, "port (0: any free port, printed on start)")
        ->check(CLI::Range(0, 65535))
        ->capture_default_str();
    cmd->add_option("--connections", config.connections,
                    "connections served at once (one thread each); one more is answered 503 at once")
        ->check(CLI::Range(1, 4096))
        ->capture_default_str();
    cmd->add_option("--connections-per-client", config.connections_per_client,
                    "connections from one client address (0: half of --connections; raise it behind a proxy)")
        ->check(CLI::Range(0, 4096))
        ->capture_default_str();
    cmd->add_option("--request-timeout", config.request_seconds,
                    "seconds within which a request's headers and body must arrive (408 after)")
        ->check(CLI::Range(0.1, 3600.0))
        ->capture_default_str();
    cmd->add_option("--max-texts", config.max_texts, "texts per predict request")->check(CLI::Range(1, 1000000))->capture_default_str();
    cmd->add_option("--max-k", config.max_k, "largest k a request may ask")->check(CLI::Range(1, 1000000))->capture_default_str();
    cmd->add_option("--max-results", config.max_results, "texts x k per predict request (413 above)")
        ->check(CLI::Range(size_t{1}, size_t{1} << 40))
        ->capture_default_str();
    cmd->add_option("--max-labels", config.max_labels, "labels per add request")->check(CLI::Range(1, 10000000))->capture_default_str();
    cmd->add_option("--max-body", config.max_body_bytes, "request body limit in bytes (413 above)")
        ->check(CLI::Range(size_t{1024}, size_t{1} << 34))
        ->capture_default_str();
    cmd->add_option("--compact-after", config.compact_after, "fold the label log into the model files after this many labels")
        ->check(CLI::Range(1, 1 << 30))
        ->capture_default_str();
    cmd->add_option("--api-key-file", api_key_file,
                    "label additions need \"Authorization: Bearer KEY\", KEY being this file's content (without a key, "
                    "a server listening beyond loopback refuses them)");
    add_search_options(cmd, config.open,
                       "up to 20,000 vectors with --exact-search int8 on a VNNI CPU, else 5,000, for one query at a time");
    add_common_options(cmd);
    cmd->callback(with_common_options([] {
      // Signals go to the watcher thread only: block them before any thread starts.
      sigset_t signals;
      sigemptyset(&signals);
      sigaddset(&signals, SIGTERM);
      sigaddset(&signals, SIGINT);
      pthread_sigmask(SIG_BLOCK, &signals, nullptr);
      config.threads = common_options().threads;
      config.open.exact_max = exact_search_max_single_query(parse_exact_scoring(config.open.exact_search));
      if (!api_key_file.empty()) config.api_key = read_api_key(api_key_file);
      config.read_only_hint = "start it with --api-key-file FILE to allow them, or listen on 127.0.0.1";
      PredictionServer server(model_dir, config);
      const int port = server.bind();
      // No colon after the port: scripts read the port from this line.
      const char* writes = server.labels_read_only() ? "; read-only for labels, as it listens beyond loopback without "
                                                       "--api-key-file"
                           : config.api_key.empty() ? ""
                                                    : "; label additions need the API key";
      std::printf("ngame serve: listening on http://%s:%d (%zu labels%s)\n", config.host.c_str(), port,
                  server.label_count(), writes);
      std::fflush(stdout);
      if (server.labels_read_only()) {
        spdlog::warn("listening on {} without an API key: label additions are refused (403); give --api-key-file to "
                     "allow them",
                     config.host);
      }
      serve_until_signalled(server);
      spdlog::info("stopped");
    }));
  }
  {
    CLI::App* labels = app.add_subcommand("labels", "labels of a trained model");
    labels->require_subcommand(1);
    static std::string model_dir, texts_path;
    static bool latin1 = false;
    CLI::App* add = labels->add_subcommand("add", "add labels by their text (zero-shot) without retraining");
    add->add_option("model", model_dir, "model directory")->required();
    add->add_option("--texts", texts_path, "new label texts, one a line")->required();
    add->add_flag("--latin1", latin1, "texts are Latin-1");
    add_common_options(add);
    add->callback(with_common_options([] {
      TextCorpus texts = read_text_file(texts_path, {.latin1 = latin1});
      validate_label_texts(texts, texts_path);
      Model model = Model::open(model_dir, for_writing());
      // Logged (durably) before they are added: a crash from here on keeps them (the next open replays them).
      const AddedLabels added = model.add_labels(texts, texts_path);
      model.compact();
      std::printf("added %zu labels to %s: ids %llu..%llu (%zu labels in all)\n", texts.size(), model_dir.c_str(),
                  static_cast<unsigned long long>(added.first_id),
                  static_cast<unsigned long long>(added.first_id + texts.size() - 1), model.label_count());
    }));
    CLI::App* compact = labels->add_subcommand("compact", "fold a model's label log (labels.wal) into its files");
    compact->add_option("model", model_dir, "model directory")->required();
    add_common_options(compact);
    compact->callback(with_common_options([] {
      Model model = Model::open(model_dir, for_writing());
      const uint64_t replayed = model.pending_labels();
      model.compact();
      std::printf("compacted %llu logged labels into %s (%zu labels in all)\n",
                  static_cast<unsigned long long>(replayed), model_dir.c_str(), model.label_count());
    }));
  }
}

}  // namespace ngame
