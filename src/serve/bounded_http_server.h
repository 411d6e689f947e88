#pragma once
// cpp-httplib's server with bounds on what clients may hold: connections served at once (one thread each) and
// per client address, each beyond answered 503 at once; a deadline for a request's headers and body to arrive, and a
// least rate for its reply to be read at;
// the bytes a request may send (chunked framing included); compressed bodies refused; Range ignored.
#include <httplib.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace ngame {

/// What clients may hold of a server.
struct ConnectionLimits {
  int connections = 64;              ///< connections served at once; one more gets 503 at once
  int connections_per_client = 32;   ///< of those, from one client address
  double request_seconds = 10;       ///< a request's headers and body arrive within this time (408 after)
  double keep_alive_seconds = 2;     ///< an idle connection waits this long for its next request
  size_t max_body_bytes = 8u << 20;  ///< a request's body, as sent (chunked framing counted); 413 above
};

/// Why the request being read on this thread was cut short.
enum class ReadFailure { kNone, kTooLarge, kTooSlow };

/// An httplib::Server that holds clients to ConnectionLimits. Its pre-routing handler must call screen_request.
class BoundedHttpServer : public httplib::Server {
 public:
  explicit BoundedHttpServer(ConnectionLimits limits);
  /// Refuses what the server does not take (a compressed body: 415; a body announced over the limit: 413, before
  /// it is read) and drops a Range header (the whole reply is
  /// sent, as RFC 9110 allows); true when it answered the request.
  bool screen_request(const httplib::Request& req, httplib::Response& res) const;
  /// For an error handler, first: when the request could not be read whole (too large: 413, too slow: 408),
  /// answers it with a JSON error, closing the connection, and returns true. After httplib's own 400 or 414 (a
  /// request it could not parse), the connection closes too.
  bool answer_read_failure(const httplib::Request& req, httplib::Response& res) const;
  /// Why the request now being answered on this thread could not be read whole (kNone if it was).
  static ReadFailure read_failure();
  /// Answers req with status and a JSON message without reading its body; the connection closes. Returns true.
  static bool refuse_unread(const httplib::Request& req, httplib::Response& res, int status,
                            const std::string& message);
  /// The reply to req is sent without reading its body; the connection closes after it.
  static void leave_body_unread(const httplib::Request& req);
  /// Makes the reply to req its connection's last ("Connection: close").
  static void close_after_reply(const httplib::Request& req);
  /// Connections refused with 503 (too many at once, or from one client) since start.
  uint64_t refused_connections() const { return refused_.load(); }
  /// Requests cut short for arriving too slowly since start.
  uint64_t slow_requests() const { return slow_.load(); }
  /// The limits in force.
  const ConnectionLimits& limits() const { return limits_; }

 private:
  class ConnectionPool;
  bool process_and_close_socket(socket_t sock) override;
  bool admit_client(const std::string& address);
  void release_client(const std::string& address);

  ConnectionLimits limits_;
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> slow_{0};
  std::mutex clients_mutex_;
  std::map<std::string, int> clients_;  // open connections per client address
};

}  // namespace ngame
