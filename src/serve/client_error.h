#pragma once
// A client's mistake in a request: answered with its HTTP status and message, never logged as a server error.
#include <stdexcept>
#include <string>

namespace ngame {

/// A client's mistake: answered with its status and message.
struct ClientError : std::runtime_error {
  int status;
  ClientError(int s, const std::string& message) : std::runtime_error(message), status(s) {}
};

}  // namespace ngame
