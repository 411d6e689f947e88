#pragma once
// Process-wide runtime settings shared by every command: thread count and log level.
namespace ngame {

/// Log verbosity chosen with --quiet / --verbose.
enum class LogLevel { kQuiet, kNormal, kVerbose };

/// Sets the number of threads used by OpenMP loops (and BLAS when linked); 0 means all cores.
void set_thread_count(int threads);
/// The number of threads hot loops will use.
int thread_count();
/// Configures the stderr logger and progress bars for the given verbosity.
void configure_logging(LogLevel level);

}  // namespace ngame
