#pragma once
// The server's JSON replies: every reply, whatever bytes the request held, is valid JSON, and an exception becomes
// a JSON error with its status (a client's mistake: 4xx with its message; anything else: 500 "internal error",
// details only in the log, so that no file path or source location reaches a client).
#include <httplib.h>

#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "serve/client_error.h"

namespace ngame {

/// Serialises JSON that may hold request bytes: ill-formed UTF-8 becomes U+FFFD instead of an exception.
std::string dump_lenient(const nlohmann::json& body);
/// Sets the reply to `body` (lenient, as dump_lenient) with the given status.
void send_json(httplib::Response& res, int status, const nlohmann::json& body);
/// At most `max_bytes` of request bytes for an error message ("..." marks a cut).
std::string request_excerpt(std::string_view bytes, size_t max_bytes = 64);
/// Request bytes for a log line: printable ASCII kept, every other byte as \xHH, cut at `max_bytes`.
std::string log_excerpt(std::string_view bytes, size_t max_bytes = 200);
/// Answers the exception: ClientError with its status and message; anything else (including an InputError, which
/// here concerns the model's files, not the request) 500 "internal error", logged with the request. Never throws.
void send_exception(const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) noexcept;

}  // namespace ngame
