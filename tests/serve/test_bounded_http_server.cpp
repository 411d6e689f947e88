// BoundedHttpServer on an ephemeral port: limits hold whatever form a request takes (chunked, compressed, Range,
// a huge Content-Length), slow clients are cut at the request deadline while clients from other addresses are
// served, and connections beyond the caps get a 503 at once.
#include "serve/bounded_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

namespace ngame {
namespace {

using json = nlohmann::json;

// A server with two routes: POST /echo answers the body's size, GET /big a 10,000-byte body.
struct TestServer {
  BoundedHttpServer http;
  int port = 0;
  std::thread thread;
  explicit TestServer(ConnectionLimits limits) : http(limits) {
    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      return http.screen_request(req, res) ? httplib::Server::HandlerResponse::Handled
                                           : httplib::Server::HandlerResponse::Unhandled;
    });
    http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (res.body.empty() && !http.answer_read_failure(req, res)) res.set_content("{\"error\":\"x\"}", "application/json");
    });
    http.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(json{{"bytes", req.body.size()}}.dump(), "application/json");
    });
    http.Get("/big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(10000, 'x'), "text/plain");
    });
    port = http.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { http.listen_after_bind(); });
    while (!http.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~TestServer() {
    http.stop();
    thread.join();
  }
};

// A TCP connection to 127.0.0.1:port from the loopback address `from` (127.0.0.x: distinct client addresses).
int connect_from(const char* from, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  inet_pton(AF_INET, from, &local.sin_addr);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local), 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  return fd;
}

void send_all(int fd, const std::string& bytes) {
  for (size_t at = 0; at < bytes.size();) {
    const ssize_t n = send(fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
    if (n <= 0) return;  // the server closed: what it answered is read by the caller
    at += static_cast<size_t>(n);
  }
}

// Everything the server sends until it closes (or until 20 s pass: a test that waits that long has failed).
std::string read_until_closed(int fd) {
  std::string reply;
  char buf[4096];
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < give_up) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  return reply;
}

// Sends a request on a new connection from `from` and returns the whole reply.
std::string round_trip(int port, const std::string& request, const char* from = "127.0.0.1") {
  const int fd = connect_from(from, port);
  send_all(fd, request);
  std::string reply = read_until_closed(fd);
  close(fd);
  return reply;
}

std::string post_echo(const std::string& body, const std::string& extra_headers = "") {
  return "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n" + extra_headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string reply_body(const std::string& reply) { return reply.substr(reply.find("\r\n\r\n") + 4); }

ConnectionLimits small_limits() {
  ConnectionLimits limits;
  limits.connections = 8;
  limits.connections_per_client = 4;
  limits.max_body_bytes = 64 << 10;
  return limits;
}

TEST(BoundedHttpServer, ChunkedBodiesAreCappedAsSent) {
  TestServer server(small_limits());
  // 1 MiB in 4 KiB chunks, sent while the reply is read: the server stops reading at its cap.
  const int fd = connect_from("127.0.0.1", server.port);
  std::thread sender([fd] {
    send_all(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
    const std::string chunk = "1000\r\n" + std::string(4096, ' ') + "\r\n";
    for (int i = 0; i < 256; ++i) send_all(fd, chunk);
    send_all(fd, "0\r\n\r\n");
  });
  const std::string reply = read_until_closed(fd);
  sender.join();
  close(fd);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 413")) << reply.substr(0, 200);
  EXPECT_NE(reply.find("Connection: close"), std::string::npos) << reply;
  EXPECT_TRUE(json::parse(reply_body(reply), nullptr, false).contains("error")) << reply;
  // A chunked body within the limit is read whole.
  const std::string small = round_trip(server.port, "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                                  "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  EXPECT_TRUE(small.starts_with("HTTP/1.1 200")) << small;
  EXPECT_EQ(json::parse(reply_body(small))["bytes"], 11);
}

TEST(BoundedHttpServer, ABodyAnnouncedOverTheLimitIsRefusedUnread) {
  TestServer server(small_limits());
  const int fd = connect_from("127.0.0.1", server.port);
  // 20 MiB announced, 1 KiB sent: the reply comes without the rest.
  send_all(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 20971520\r\n\r\n" +
                   std::string(1024, ' '));
  const std::string reply = read_until_closed(fd);
  close(fd);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 413")) << reply;
  EXPECT_TRUE(round_trip(server.port, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n"
                                    "Connection: close\r\n\r\n")
                  .starts_with("HTTP/1.1 413"));
}

TEST(BoundedHttpServer, CompressedBodiesAreRefused) {
  TestServer server(small_limits());
  for (const char* encoding : {"gzip", "br", "deflate", "GZIP", "gzip, identity"}) {
    const std::string reply = round_trip(server.port, post_echo(std::string(100, 'x'), std::string("Content-Encoding: ") +
                                                                                          encoding + "\r\n"));
    EXPECT_TRUE(reply.starts_with("HTTP/1.1 415")) << encoding << ": " << reply;
    EXPECT_TRUE(json::parse(reply_body(reply), nullptr, false).contains("error")) << reply;
  }
  const std::string plain = round_trip(server.port, post_echo("{}", "Content-Encoding: identity\r\n"));
  EXPECT_TRUE(plain.starts_with("HTTP/1.1 200")) << plain;
}

TEST(BoundedHttpServer, RangeHeadersAreIgnored) {
  TestServer server(small_limits());
  // As many ranges as a header line holds, each the whole body.
  std::string ranges = "bytes=0-";
  for (int i = 0; i < 2600; ++i) ranges += ",0-";
  const std::string reply =
      round_trip(server.port, "GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\nRange: " + ranges + "\r\n\r\n");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 200")) << reply.substr(0, 200);
  EXPECT_EQ(reply_body(reply), std::string(10000, 'x'));
  const std::string one = round_trip(server.port, "GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\nRange: bytes=5-9\r\n\r\n");
  EXPECT_TRUE(one.starts_with("HTTP/1.1 200")) << one.substr(0, 200);
  EXPECT_EQ(reply_body(one).size(), 10000u);
}

TEST(BoundedHttpServer, SlowClientsAreCutAtTheDeadlineWhileOthersAreServed) {
  ConnectionLimits limits = small_limits();
  limits.request_seconds = 1;
  TestServer server(limits);
  // Six clients from one address send a request line, then their headers a byte every 100 ms (for up to 20 s): four are served at
  // once (the per-client cap), two are refused at once.
  std::atomic<bool> done{false};
  std::vector<std::string> replies(6);
  std::vector<std::thread> slow;
  for (size_t i = 0; i < replies.size(); ++i) {
    slow.emplace_back([&, i] {
      const int fd = connect_from("127.0.0.2", server.port);
      send_all(fd, "POST /echo HTTP/1.1\r\n");
      std::thread trickle([&, fd] {
        const std::string head = "Host: x\r\nX-Slow: " + std::string(400, 'X');
        for (size_t at = 0; at < head.size() && !done; ++at) {
          if (send(fd, head.data() + at, 1, MSG_NOSIGNAL) != 1) return;
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      });
      replies[i] = read_until_closed(fd);
      shutdown(fd, SHUT_RDWR);
      trickle.join();
      close(fd);
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // Meanwhile a client from another address is served.
  const std::string other = round_trip(server.port, post_echo("{\"a\":1}"));
  EXPECT_TRUE(other.starts_with("HTTP/1.1 200")) << other;
  for (auto& t : slow) t.join();
  done = true;
  int timed_out = 0, refused = 0;
  for (const std::string& reply : replies) {
    if (reply.starts_with("HTTP/1.1 408")) ++timed_out;
    if (reply.starts_with("HTTP/1.1 503")) ++refused;
  }
  EXPECT_EQ(timed_out, 4);
  EXPECT_EQ(refused, 2);
  EXPECT_EQ(server.http.slow_requests(), 4u);
  EXPECT_EQ(server.http.refused_connections(), 2u);
}

TEST(BoundedHttpServer, ConnectionsBeyondTheCapGetA503AtOnce) {
  ConnectionLimits limits = small_limits();
  limits.connections = 3;
  limits.connections_per_client = 3;
  limits.request_seconds = 60;
  TestServer server(limits);
  // Three connections that send nothing hold every slot.
  std::vector<int> idle;
  for (int i = 0; i < 3; ++i) idle.push_back(connect_from("127.0.0.3", server.port));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const std::string reply = round_trip(server.port, post_echo("{}"));
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 503")) << reply;
  EXPECT_NE(reply.find("Retry-After: 1"), std::string::npos) << reply;
  EXPECT_TRUE(json::parse(reply_body(reply), nullptr, false).contains("error")) << reply;
  // Once they leave, clients are served again.
  for (int fd : idle) close(fd);
  std::string later;
  for (int attempt = 0; attempt < 100 && !later.starts_with("HTTP/1.1 200"); ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    later = round_trip(server.port, post_echo("{}"));
  }
  EXPECT_TRUE(later.starts_with("HTTP/1.1 200")) << later;
  EXPECT_GE(server.http.refused_connections(), 1u);
}

TEST(BoundedHttpServer, KeepAliveConnectionsServeSeveralRequests) {
  TestServer server(small_limits());
  const int fd = connect_from("127.0.0.1", server.port);
  const std::string one = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
  // Two requests in one write (pipelined), then a third that closes.
  send_all(fd, one + one + post_echo("{\"k\":1}"));
  const std::string replies = read_until_closed(fd);
  close(fd);
  size_t count = 0;
  for (size_t at = 0; (at = replies.find("HTTP/1.1 200", at)) != std::string::npos; ++at) ++count;
  EXPECT_EQ(count, 3u) << replies;
}

TEST(BoundedHttpServer, AnUnreadBodyIsNeverTakenForTheNextRequest) {
  TestServer server(small_limits());
  // Each request below carries, as its body, a request of its own; the server must answer the outer one and close,
  // never answer the inner one (which would be one client's bytes answered as another request).
  const std::string inner = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}";
  auto with_body = [&](const std::string& head) {
    return head + "Content-Length: " + std::to_string(inner.size()) + "\r\n\r\n" + inner;
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {with_body("GET /big HTTP/1.1\r\nHost: x\r\n"), "HTTP/1.1 400"},                       // a body on GET
      {with_body("POST /echo HTTP/1.1\r\nHost: x\r\nRange: bytes=x\r\n"), "HTTP/1.1 416"},   // a Range httplib refuses
      {with_body("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\n"), "HTTP/1.1 415"},
      {"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n" + inner, "HTTP/1.1 400"},
      {"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n" + inner, "HTTP/1.1 400"},
      {"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 99\r\n\r\n" + inner, "HTTP/1.1 400"},
      {"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" + inner, "HTTP/1.1 501"},
  };
  for (const auto& [request, status] : cases) {
    const std::string reply = round_trip(server.port, request);
    EXPECT_TRUE(reply.starts_with(status)) << request.substr(0, 60) << " -> " << reply.substr(0, 200);
    size_t replies = 0;
    for (size_t at = 0; (at = reply.find("HTTP/1.1 ", at)) != std::string::npos; ++at) ++replies;
    EXPECT_EQ(replies, 1u) << request.substr(0, 60) << " -> " << reply;
  }
}

TEST(BoundedHttpServer, HeadersOverTheBudgetGet431) {
  TestServer server(small_limits());
  std::string headers;
  while (headers.size() < 200000) headers += "X-Filler: " + std::string(80, 'f') + "\r\n";
  const std::string reply = round_trip(server.port, "GET /big HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 431")) << reply.substr(0, 200);
}

TEST(BoundedHttpServer, ExpectContinueGetsTheRefusalInsteadOfAGoAhead) {
  TestServer server(small_limits());
  server.http.set_expect_100_continue_handler([&](const httplib::Request& req, httplib::Response& res) {
    return server.http.screen_request(req, res) ? res.status : 100;
  });
  const int fd = connect_from("127.0.0.1", server.port);
  send_all(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10000000\r\n\r\n");
  const std::string reply = read_until_closed(fd);
  close(fd);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 413")) << reply.substr(0, 200);
  EXPECT_EQ(reply.find("100 Continue"), std::string::npos) << reply;
}

}  // namespace
}  // namespace ngame
