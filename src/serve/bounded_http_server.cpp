#include "serve/bounded_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <string_view>
#include <thread>
#include <vector>

#include "serve/header_text.h"

namespace ngame {

namespace {

using Clock = std::chrono::steady_clock;

// Waits are cut into slices this long so that a stopping server is noticed promptly.
constexpr int kSliceMs = 100;
// The slowest average rate a reply may be read at (after a grace period).
constexpr double kMinReplyBytesPerSecond = 128 << 10;
// Room for a request's line, headers and chunk framing on top of its body.
constexpr size_t kHeadRoomBytes = 64u << 10;

// One client connection, read through a buffer, with a deadline and a byte budget for the request being read.
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(socket_t sock, const std::atomic<socket_t>& listening, int write_timeout_ms)
      : sock_(sock), listening_(listening), write_timeout_ms_(write_timeout_ms) {}

  // The next request must arrive by `deadline` and send at most `max_bytes`.
  void begin_request(Clock::time_point deadline, double request_seconds, size_t max_bytes) {
    deadline_ = deadline;
    request_seconds_ = request_seconds;
    replying_ = false;
    budget_ = max_bytes;
    request_budget_ = max_bytes;
    body_unread_ = false;
    closing_ = false;
    headers_done_ = false;
    failure_ = ReadFailure::kNone;
  }
  ReadFailure failure() const { return failure_; }
  // The request's body was left unread: the connection closes with a lingering close.
  void leave_body_unread() { body_unread_ = true; }
  // The request's line and headers are read (its body is next).
  void headers_read() { headers_done_ = true; }
  bool headers_done() const { return headers_done_; }
  // The reply now written is the connection's last.
  void close_after_reply() { closing_ = true; }
  bool closing() const { return closing_; }
  bool body_unread() const { return body_unread_ || failure_ == ReadFailure::kTooLarge; }

  // Closes without resetting: a client still sending a body it was refused would otherwise get a reset instead
  // of the reply. What it sends for up to a second (and at most max_bytes) is read and dropped.
  void linger(size_t max_bytes) {
    ::shutdown(sock_, SHUT_WR);
    const auto until = Clock::now() + std::chrono::seconds(1);
    char scratch[16384];
    for (size_t dropped = 0; dropped < max_bytes && listening_ != INVALID_SOCKET;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
      if (left <= 0) break;
      pollfd p{sock_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, kSliceMs))) < 0 && errno != EINTR) break;
      if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::recv(sock_, scratch, sizeof scratch, MSG_DONTWAIT);
      if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR))) break;
      if (n > 0) dropped += static_cast<size_t>(n);
    }
  }

  // Waits up to `idle` for the next request's first byte; false when none came or the server stops.
  bool wait_for_request(Clock::duration idle) const {
    if (start_ < end_) return true;
    const auto until = Clock::now() + idle;
    while (listening_ != INVALID_SOCKET) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
      if (left <= 0) return false;
      pollfd p{sock_, POLLIN, 0};
      const int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, kSliceMs)));
      if (n > 0) return true;
      if (n < 0 && errno != EINTR) return false;
    }
    return false;
  }

  bool is_readable() const override { return start_ < end_ || wait_readable(); }
  bool is_writable() const override {
    pollfd p{sock_, POLLOUT, 0};
    return ::poll(&p, 1, write_timeout_ms_) > 0 && (p.revents & POLLOUT);
  }

  ssize_t read(char* ptr, size_t size) override {
    if (failure_ != ReadFailure::kNone) return -1;
    if (budget_ == 0) {
      failure_ = ReadFailure::kTooLarge;
      return -1;
    }
    if (start_ == end_) {
      if (!wait_readable()) return -1;
      ssize_t n;
      do {
        n = ::recv(sock_, buffer_, sizeof buffer_, 0);
      } while (n < 0 && errno == EINTR);
      if (n <= 0) return n;
      start_ = 0;
      end_ = static_cast<size_t>(n);
    }
    const size_t n = std::min({size, end_ - start_, budget_});
    std::memcpy(ptr, buffer_ + start_, n);
    start_ += n;
    budget_ -= n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    // A reply goes out at kMinReplyBytesPerSecond on average at least, after a grace of the request deadline's
    // length: a client that reads slowly does not hold its connection (a thread) for long.
    const auto now = Clock::now();
    if (!replying_) {
      replying_ = true;
      reply_start_ = now;
      written_ = 0;
    }
    const double allowed = request_seconds_ + static_cast<double>(written_) / kMinReplyBytesPerSecond;
    if (std::chrono::duration<double>(now - reply_start_).count() > allowed) {
      closing_ = true;
      return -1;
    }
    if (!is_writable()) return -1;
    ssize_t n;
    do {
      n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n > 0) written_ += static_cast<size_t>(n);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { address(true, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { address(false, ip, port); }
  socket_t socket() const override { return sock_; }

  // The numeric address of the peer (remote) or of this end.
  void address(bool remote, std::string& ip, int& port) const {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    const int rc = remote ? ::getpeername(sock_, reinterpret_cast<sockaddr*>(&a), &len)
                          : ::getsockname(sock_, reinterpret_cast<sockaddr*>(&a), &len);
    ip.clear();
    port = 0;
    if (rc != 0) return;
    char text[INET6_ADDRSTRLEN] = {};
    if (a.ss_family == AF_INET) {
      const auto* v4 = reinterpret_cast<const sockaddr_in*>(&a);
      ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
      port = ntohs(v4->sin_port);
    } else if (a.ss_family == AF_INET6) {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a);
      ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
      port = ntohs(v6->sin6_port);
    }
    ip = text;
  }

 private:
  // Waits for bytes until the request's deadline; records why it gave up.
  bool wait_readable() const {
    while (true) {
      // A stopping server reads the requests already arriving, not the ones yet to come.
      if (listening_ == INVALID_SOCKET && budget_ == request_budget_ && start_ == end_) return false;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
      if (left <= 0) {
        failure_ = ReadFailure::kTooSlow;
        return false;
      }
      pollfd p{sock_, POLLIN, 0};
      const int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left + 1, kSliceMs)));
      if (n > 0) return true;
      if (n < 0 && errno != EINTR) return false;
    }
  }

  socket_t sock_;
  const std::atomic<socket_t>& listening_;
  int write_timeout_ms_;
  Clock::time_point deadline_{};
  size_t budget_ = 0;
  size_t request_budget_ = 0;
  mutable ReadFailure failure_ = ReadFailure::kNone;
  bool body_unread_ = false;
  bool closing_ = false;
  bool headers_done_ = false;
  double request_seconds_ = 10;
  bool replying_ = false;
  Clock::time_point reply_start_{};
  size_t written_ = 0;
  char buffer_[16384];
  size_t start_ = 0;
  size_t end_ = 0;
};

// The connection being served on this thread (for read_failure), and whether the one being handed to this thread
// is to be refused (set by ConnectionPool while it runs httplib's task inline).
thread_local ConnectionStream* current_stream = nullptr;
thread_local bool refuse_this_connection = false;

// The reply to a connection beyond the limits.
const std::string& busy_reply() {
  static const std::string reply = [] {
    const std::string body = "{\"error\":\"too many connections now; retry in a while\"}";
    return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n" + body;
  }();
  return reply;
}

// Answers 503 and closes, without waiting on the client: what it already sent is read first, so that closing does
// not reset the connection before the reply can be read.
void refuse(socket_t sock) {
  char scratch[4096];
  for (int i = 0; i < 16 && ::recv(sock, scratch, sizeof scratch, MSG_DONTWAIT) > 0; ++i) {
  }
  [[maybe_unused]] const ssize_t sent = ::send(sock, busy_reply().data(), busy_reply().size(),
                                                  MSG_DONTWAIT | MSG_NOSIGNAL);
  ::shutdown(sock, SHUT_WR);
  for (int i = 0; i < 16 && ::recv(sock, scratch, sizeof scratch, MSG_DONTWAIT) > 0; ++i) {
  }
  ::close(sock);
}

// The request object cpp-httplib passes to handlers as const is its own non-const local: adjusting it before the
// reply is written is how a handler asks for what httplib offers no setting for.
httplib::Request& mutable_request(const httplib::Request& req) { return const_cast<httplib::Request&>(req); }

}  // namespace

// Connection threads: one per connection served, a fixed number of them. A connection that finds all busy is
// refused at once (httplib's task, run inline on the accepting thread, sees refuse_this_connection), instead of
// waiting in a queue that slow clients could fill.
class BoundedHttpServer::ConnectionPool final : public httplib::TaskQueue {
 public:
  explicit ConnectionPool(size_t threads) : slots_(threads) {
    for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
  }
  void enqueue(std::function<void()> task) override {
    {
      std::lock_guard lock(mutex_);
      if (busy_ < slots_ && !stopping_) {
        ++busy_;
        tasks_.push_back(std::move(task));
        ready_.notify_one();
        return;
      }
    }
    refuse_this_connection = true;
    task();
    refuse_this_connection = false;
  }
  void shutdown() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (auto& t : threads_) t.join();
  }

 private:
  void work() {
    while (true) {
      std::function<void()> task;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      try {
        task();
      } catch (...) {
        // The connection is closed either way; the slot must be given back.
      }
      std::lock_guard lock(mutex_);
      --busy_;
    }
  }
  const size_t slots_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  size_t busy_ = 0;  // tasks queued or running
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

BoundedHttpServer::BoundedHttpServer(ConnectionLimits limits) : limits_(limits) {
  limits_.connections = std::max(1, limits_.connections);
  limits_.connections_per_client = std::clamp(limits_.connections_per_client, 1, limits_.connections);
  new_task_queue = [n = static_cast<size_t>(limits_.connections)] { return new ConnectionPool(n); };
  set_payload_max_length(limits_.max_body_bytes);
  set_keep_alive_timeout(static_cast<time_t>(std::ceil(limits_.keep_alive_seconds)));
  // httplib closes a connection after 5 requests by default: a client would reconnect every 5 requests.
  set_keep_alive_max_count(1000);
}

bool BoundedHttpServer::refuse_unread(const httplib::Request& req, httplib::Response& res, int status,
                                      const std::string& message) {
  res.status = status;
  res.set_content(message, "application/json");
  leave_body_unread(req);
  return true;
}

bool BoundedHttpServer::screen_request(const httplib::Request& req, httplib::Response& res) const {
  if (current_stream) current_stream->headers_read();
  // Each refusal leaves the body unread: the connection closes after the reply.
  const bool chunked = req.has_header("Transfer-Encoding");
  if (chunked && !equal_ignoring_case(trim_blanks(req.get_header_value("Transfer-Encoding")), "chunked")) {
    return refuse_unread(req, res, 501, "{\"error\":\"the only transfer coding accepted is chunked\"}");
  }
  if (req.has_header("Content-Encoding") &&
      !equal_ignoring_case(trim_blanks(req.get_header_value("Content-Encoding")), "identity")) {
    // Decompressing would let a small body grow past every limit; clients send JSON plain.
    return refuse_unread(req, res, 415,
                         "{\"error\":\"compressed request bodies are not accepted: send the JSON without "
                         "Content-Encoding\"}");
  }
  // Content-Length: digits only, one value, within the limit; checked before a byte of the body is read.
  const size_t lengths = req.get_header_value_count("Content-Length");
  const std::string length = req.get_header_value("Content-Length");
  for (size_t i = 1; i < lengths; ++i) {
    if (req.get_header_value("Content-Length", i) != length) {
      return refuse_unread(req, res, 400, "{\"error\":\"conflicting Content-Length headers\"}");
    }
  }
  if (lengths > 0 && (length.empty() || length.find_first_not_of("0123456789") != std::string::npos)) {
    return refuse_unread(req, res, 400, "{\"error\":\"Content-Length must be a decimal number of bytes\"}");
  }
  uint64_t announced = 0;
  const auto [end, error] = std::from_chars(length.data(), length.data() + length.size(), announced);
  if (lengths > 0 && (error == std::errc::result_out_of_range || announced > limits_.max_body_bytes)) {
    return refuse_unread(req, res, 413,
                         "{\"error\":\"request too large: at most " + std::to_string(limits_.max_body_bytes) +
                             " bytes of body\"}");
  }
  // Only POST, PUT, PATCH and DELETE bodies are read: a body sent with another method would be taken for the next
  // request on the connection.
  const bool reads_body =
      req.method == "POST" || req.method == "PUT" || req.method == "PATCH" || req.method == "DELETE";
  if (!reads_body && (chunked || announced > 0)) {
    return refuse_unread(req, res, 400, "{\"error\":\"a " + std::string(req.method == "GET" ? "GET" : "request") +
                                            " of this method takes no body\"}");
  }
  // Ranges of a JSON reply serve no client, and a list of overlapping ranges would multiply the reply's size.
  if (!req.ranges.empty()) mutable_request(req).ranges.clear();
  return false;
}

bool BoundedHttpServer::answer_read_failure(const httplib::Request& req, httplib::Response& res) const {
  const ReadFailure failure = read_failure();
  if (failure == ReadFailure::kNone) {
    // httplib's own refusals (a request line or header it cannot parse, a URI too long, a Range it cannot parse)
    // come without a body and leave the rest of the request unread: what follows on the connection is not a request.
    if (res.body.empty() && (res.status == 400 || res.status == 414 || res.status == 416)) {
      close_after_reply(req);
      if (current_stream) current_stream->leave_body_unread();
    }
    return false;
  }
  close_after_reply(req);
  if (failure == ReadFailure::kTooLarge && current_stream && !current_stream->headers_done()) {
    res.status = 431;
    res.set_content("{\"error\":\"request headers too large\"}", "application/json");
  } else if (failure == ReadFailure::kTooLarge) {
    res.status = 413;
    res.set_content("{\"error\":\"request too large: at most " + std::to_string(limits_.max_body_bytes) +
                        " bytes of body, as sent\"}",
                    "application/json");
  } else {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%g", limits_.request_seconds);
    res.status = 408;
    res.set_content(std::string("{\"error\":\"request not received within ") + seconds + " s\"}", "application/json");
  }
  return true;
}

ReadFailure BoundedHttpServer::read_failure() {
  return current_stream ? current_stream->failure() : ReadFailure::kNone;
}

void BoundedHttpServer::leave_body_unread(const httplib::Request& req) {
  close_after_reply(req);
  if (current_stream) current_stream->leave_body_unread();
}

void BoundedHttpServer::close_after_reply(const httplib::Request& req) {
  httplib::Request& r = mutable_request(req);
  r.headers.erase("Connection");
  r.headers.emplace("Connection", "close");
  if (current_stream) current_stream->close_after_reply();
}

bool BoundedHttpServer::admit_client(const std::string& address) {
  std::lock_guard lock(clients_mutex_);
  int& open = clients_[address];
  if (open >= limits_.connections_per_client) {
    if (open == 0) clients_.erase(address);
    return false;
  }
  ++open;
  return true;
}

void BoundedHttpServer::release_client(const std::string& address) {
  std::lock_guard lock(clients_mutex_);
  auto it = clients_.find(address);
  if (it != clients_.end() && --it->second <= 0) clients_.erase(it);
}

bool BoundedHttpServer::process_and_close_socket(socket_t sock) {
  if (refuse_this_connection) {
    ++refused_;
    refuse(sock);
    return false;
  }
  const int one = 1;
  ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const int write_timeout_ms = static_cast<int>(write_timeout_sec_ * 1000 + write_timeout_usec_ / 1000);
  ConnectionStream stream(sock, svr_sock_, std::max(1, write_timeout_ms));
  std::string client;
  int client_port = 0;
  stream.get_remote_ip_and_port(client, client_port);
  // A client that reconnects the moment its last connection closed may arrive before that connection's slot is
  // given back: it gets a few milliseconds' grace.
  bool admitted = admit_client(client);
  for (int wait = 0; wait < 5 && !admitted; ++wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    admitted = admit_client(client);
  }
  if (!admitted) {
    ++refused_;
    refuse(sock);
    return false;
  }
  current_stream = &stream;
  const auto request_time = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(limits_.request_seconds));
  const auto idle = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(limits_.keep_alive_seconds));
  // The first request's deadline runs from the connection's acceptance, the next ones' from their first byte.
  auto deadline = Clock::now() + request_time;
  bool ok = false;
  for (size_t served = 0; served < keep_alive_max_count_ && svr_sock_ != INVALID_SOCKET; ++served) {
    if (served > 0) {
      if (!stream.wait_for_request(idle)) break;
      deadline = Clock::now() + request_time;
    }
    stream.begin_request(deadline, limits_.request_seconds, limits_.max_body_bytes + kHeadRoomBytes);
    bool closed = false;
    ok = process_request(stream, served + 1 == keep_alive_max_count_, closed, nullptr);
    if (stream.failure() == ReadFailure::kTooSlow) ++slow_;
    if (!ok || closed || stream.closing() || stream.failure() != ReadFailure::kNone || stream.body_unread()) break;
  }
  if (stream.body_unread()) stream.linger(limits_.max_body_bytes + kHeadRoomBytes);
  current_stream = nullptr;
  release_client(client);
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace ngame
