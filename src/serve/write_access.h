#pragma once
// Who may change a server's state (add labels): with an API key, requests that bear it (Authorization: Bearer, 401
// otherwise); without one, anyone when the server listens on loopback only (requests addressed to a loopback name:
// the Host header), nobody when it listens beyond (403): a server reachable from the network is read-only unless it
// has a key.
#include <httplib.h>

#include <string>
#include <string_view>

namespace ngame {

/// The write policy of one server.
class WriteAccess {
 public:
  /// api_key: the key requests must bear ("" for none); host: the address the server listens on; read_only_hint:
  /// how an operator allows additions on a read-only server (put in its 403 replies).
  WriteAccess(std::string api_key, const std::string& host, std::string read_only_hint);
  /// No request may change state (no key, and the server listens beyond loopback).
  bool read_only() const { return read_only_; }
  /// Requests must bear the key.
  bool needs_key() const { return !api_key_.empty(); }
  /// True when req may change state; otherwise answers it (401 or 403, a JSON error) and returns false.
  bool admit(const httplib::Request& req, httplib::Response& res) const;

 private:
  std::string api_key_;
  std::string read_only_hint_;
  bool read_only_;
};

/// Whether host names a loopback address only: localhost, 127.0.0.0/8, ::1 (or an IPv4-mapped 127.x.x.x).
bool is_loopback_host(std::string_view host);
/// secret == presented, in a time that depends on presented's length only (not on where they differ, nor on the
/// secret's content), so that response times do not reveal the secret byte by byte.
bool equal_in_constant_time(std::string_view secret, std::string_view presented);

}  // namespace ngame
