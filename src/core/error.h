#pragma once
// Three kinds of failure, as in faiss: bad user input (InputError, exit 2), caller misuse (NGAME_CHECK throws
// UsageError, exit 2) and broken internal invariants (NGAME_ASSERT aborts, on in Release too). Failures that are
// nobody's fault are RuntimeErrors; StorageError, one of them, says that a write to disk failed and was undone.
#include <cstdint>
#include <stdexcept>
#include <string>

namespace ngame {

/// Bad input from a file or the user: formats as "FILE:LINE: problem" (or "FILE: problem" when line is 0).
class InputError : public std::runtime_error {
 public:
  InputError(std::string file, uint64_t line, std::string problem);
  /// The file the problem is in (may be empty for command-line input).
  const std::string& file() const { return file_; }
  /// 1-based line number, 0 when the problem is not tied to a line.
  uint64_t line() const { return line_; }
  /// The problem without the location.
  const std::string& problem() const { return problem_; }

 private:
  std::string file_;
  uint64_t line_;
  std::string problem_;
};

/// A caller passed arguments that violate a documented precondition.
class UsageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// A runtime failure that is not the user's fault (IO error, numerical failure): exit status 1.
class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A write to disk failed (disk full, I/O error) and nothing of the failed operation was kept: it may succeed later.
class StorageError : public RuntimeError {
 public:
  StorageError(const std::string& message, int error_code) : RuntimeError(message), error_code_(error_code) {}
  /// The errno of the failed call.
  int error_code() const { return error_code_; }
  /// The disk (or the user's quota) is full: freeing space lets the operation succeed.
  bool no_space() const;

 private:
  int error_code_;
};

[[noreturn]] void throw_check_failure(const char* expr, const std::string& msg, const char* file, int line);
[[noreturn]] void abort_assert_failure(const char* expr, const char* file, int line);

}  // namespace ngame

/// Throws UsageError naming the failed condition when a caller-facing precondition does not hold.
#define NGAME_CHECK(cond, msg)                                                     \
  do {                                                                             \
    if (!(cond)) ::ngame::throw_check_failure(#cond, (msg), __FILE__, __LINE__); \
  } while (0)

/// Aborts with the failed condition when an internal invariant is broken; never compiled out.
#define NGAME_ASSERT(cond)                                                   \
  do {                                                                       \
    if (!(cond)) ::ngame::abort_assert_failure(#cond, __FILE__, __LINE__); \
  } while (0)
