#include "core/error.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace ngame {

namespace {
std::string format_location(const std::string& file, uint64_t line, const std::string& problem) {
  if (file.empty()) return problem;
  if (line == 0) return file + ": " + problem;
  return file + ":" + std::to_string(line) + ": " + problem;
}
}  // namespace

InputError::InputError(std::string file, uint64_t line, std::string problem)
    : std::runtime_error(format_location(file, line, problem)),
      file_(std::move(file)),
      line_(line),
      problem_(std::move(problem)) {}

bool StorageError::no_space() const { return error_code_ == ENOSPC || error_code_ == EDQUOT; }

void throw_check_failure(const char* expr, const std::string& msg, const char* file, int line) {
  throw UsageError(msg + " (check '" + expr + "' failed at " + file + ":" + std::to_string(line) + ")");
}

void abort_assert_failure(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "ngame: internal error: assertion '%s' failed at %s:%d\n", expr, file, line);
  std::abort();
}

}  // namespace ngame
