#include "serve/write_access.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>

#include "serve/header_text.h"
#include "serve/json_reply.h"

namespace ngame {

namespace {

// The credentials of an "Authorization: Bearer <token>" header (RFC 6750), or false when the header is missing or
// of another scheme.
bool bearer_token(std::string_view header, std::string_view& token) {
  constexpr std::string_view kScheme = "bearer";
  if (header.size() <= kScheme.size() || !equal_ignoring_case(header.substr(0, kScheme.size()), kScheme) ||
      header[kScheme.size()] != ' ') {
    return false;
  }
  token = header.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return !token.empty();
}

// The host of a Host header ("name", "name:port", "[v6]:port").
std::string_view host_of(std::string_view header) {
  header = trim_blanks(header);
  if (header.starts_with('[')) {
    // "[v6]" or "[v6]:port"; anything else after the bracket is not a loopback name.
    const size_t close = header.find(']');
    if (close == std::string_view::npos) return header;
    if (close + 1 < header.size() && header[close + 1] != ':') return header;
    return header.substr(0, close + 1);
  }
  const size_t colon = header.find(':');
  return colon == std::string_view::npos || header.find(':', colon + 1) != std::string_view::npos
             ? header
             : header.substr(0, colon);
}

}  // namespace

WriteAccess::WriteAccess(std::string api_key, const std::string& host, std::string read_only_hint)
    : api_key_(std::move(api_key)),
      read_only_hint_(std::move(read_only_hint)),
      read_only_(api_key_.empty() && !is_loopback_host(host)) {}

bool WriteAccess::admit(const httplib::Request& req, httplib::Response& res) const {
  if (!api_key_.empty()) {
    const std::string header = req.get_header_value("Authorization");  // a copy: token points into it
    std::string_view token;
    if (!bearer_token(header, token)) {
      res.set_header("WWW-Authenticate", "Bearer");
      send_json(res, 401, {{"error", "this request changes the model: it needs \"Authorization: Bearer <API key>\""}});
      return false;
    }
    if (!equal_in_constant_time(api_key_, token)) {
      res.set_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      send_json(res, 401, {{"error", "wrong API key"}});
      return false;
    }
    return true;
  }
  if (read_only_) {
    send_json(res, 403, {{"error", "label additions are off: this server listens beyond loopback without an API key (" +
                                       read_only_hint_ + ")"}});
    return false;
  }
  // Without a key, a loopback server takes additions addressed to a loopback name only: a web page whose own name
  // was rebound to 127.0.0.1 (DNS rebinding) sends its own name as Host, and is refused.
  // HTTP/1.0 tools may send no Host; a browser always sends one, and exactly one.
  if (req.get_header_value_count("Host") > 1 ||
      (req.has_header("Host") && !is_loopback_host(host_of(req.get_header_value("Host"))))) {
    send_json(res, 403, {{"error", "label additions without an API key must be addressed to localhost, 127.0.0.1 or "
                                   "[::1] (Host header); start the server with an API key to add labels through a "
                                   "proxy or another name"}});
    return false;
  }
  return true;
}

bool is_loopback_host(std::string_view host) {
  if (equal_ignoring_case(host, "localhost")) return true;
  std::string address(host);
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  in_addr v4{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;  // "", 0.0.0.0, ::, a public address or a host name: reachable from elsewhere, or may be
}

bool equal_in_constant_time(std::string_view secret, std::string_view presented) {
  if (secret.empty()) return false;
  // Every byte of presented is compared (against the secret, repeated), and differences are accumulated rather than
  // acted on; volatile keeps the compiler from turning the loop into an early exit.
  volatile unsigned char diff = secret.size() == presented.size() ? 0 : 1;
  for (size_t i = 0; i < presented.size(); ++i) {
    diff = diff | static_cast<unsigned char>(secret[i % secret.size()] ^ presented[i]);
  }
  return diff == 0;
}

}  // namespace ngame
