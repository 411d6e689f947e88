#include "serve/json_reply.h"

#include <spdlog/spdlog.h>

namespace ngame {

using json = nlohmann::json;

std::string dump_lenient(const json& body) { return body.dump(-1, ' ', false, json::error_handler_t::replace); }

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(dump_lenient(body) + "\n", "application/json");
}

std::string request_excerpt(std::string_view bytes, size_t max_bytes) {
  if (bytes.size() <= max_bytes) return std::string(bytes);
  return std::string(bytes.substr(0, max_bytes)) + "...";
}

std::string log_excerpt(std::string_view bytes, size_t max_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < max_bytes; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
    }
  }
  if (bytes.size() > max_bytes) out += "...";
  return out;
}

void send_exception(const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) noexcept {
  int status = 500;
  std::string message = "internal error";
  try {
    try {
      std::rethrow_exception(ep);
    } catch (const ClientError& e) {
      status = e.status;
      message = e.what();
    } catch (const std::exception& e) {
      spdlog::error("{} {}: {}", log_excerpt(req.method), log_excerpt(req.path), e.what());
    } catch (...) {
      spdlog::error("{} {}: unknown exception", log_excerpt(req.method), log_excerpt(req.path));
    }
    send_json(res, status, {{"error", message}});
  } catch (...) {
    // Out of memory while answering: a fixed reply that needs no allocation beyond httplib's.
    res.status = 500;
    res.body.clear();
    try {
      res.set_content("{\"error\": \"internal error\"}\n", "application/json");
    } catch (...) {
    }
  }
}

}  // namespace ngame
