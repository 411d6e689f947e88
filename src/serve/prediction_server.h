#pragma once
// `ngame serve`: a trained model behind HTTP/JSON (cpp-httplib): predictions, live label addition with a
// write-ahead log, label lookup, health and Prometheus metrics.
#include <cstddef>
#include <memory>
#include <string>

#include "ngame/ngame.h"

namespace ngame {

/// Server settings.
struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 8080;                        ///< 0: any free port (see PredictionServer::bind)
  int threads = 0;                        ///< predictions computed at once (0: all cores)
  int connections = 64;                   ///< connections served at once (one thread each); beyond: 503 at once
  int connections_per_client = 0;         ///< of those, from one client address (0: half of connections)
  double request_seconds = 10;            ///< a request's headers and body must arrive within this time (408 after)
  size_t max_texts = 1000;                ///< texts per predict request
  size_t max_k = 1000;                    ///< largest k
  size_t max_results = 100000;            ///< texts x k per predict request (413 above)
  size_t max_reply_bytes = 64u << 20;     ///< predict reply size, label texts included (413 above)
  size_t max_labels = 10000;              ///< labels per add request
  size_t max_body_bytes = 8u << 20;       ///< request body limit, as sent (413 above); compressed bodies: 415
  size_t compact_after = 10000;           ///< compact the label log into the model files after this many labels
  double compact_retry_seconds = 30;      ///< after a failed compaction, the next try waits at least this long
  std::string api_key;                    ///< label additions need "Authorization: Bearer <api_key>" (empty: none)
  /// How an operator lets a server that listens beyond loopback without a key accept label additions (its 403
  /// replies say it).
  std::string read_only_hint = "start the server with an API key, or listen on loopback only";
  OpenOptions open;                       ///< indices and default search (auto: HNSW above exact_max vectors)
};

/// Loads a model (replaying its label log) and serves it.
class PredictionServer {
 public:
  PredictionServer(std::string model_dir, ServerConfig config);
  ~PredictionServer();
  PredictionServer(const PredictionServer&) = delete;
  PredictionServer& operator=(const PredictionServer&) = delete;
  /// Binds the listening socket; returns the port (useful with port 0). RuntimeError when it cannot bind.
  int bind();
  /// Serves until stop(); requests in flight finish first. Compacts the label log before returning if labels
  /// were added since the last compaction; a failed compaction is logged (the labels stay in the log, replayed at
  /// the next start), never thrown.
  void run();
  /// Stops accepting connections (safe from another thread); a no-op until run() is listening (see is_running()).
  void stop();
  /// True while run() accepts connections.
  bool is_running() const;
  /// Number of labels now served.
  size_t label_count() const;
  /// Label additions are refused (403): no API key, and the server listens beyond loopback.
  bool labels_read_only() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ngame
