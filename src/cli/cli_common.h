#pragma once
// Conventions every subcommand shares: --threads, --seed, --quiet/--verbose, exit codes, error printing.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <string>

#include "core/communicator.h"
#include "ngame/ngame.h"

namespace ngame {

/// Options that every leaf subcommand accepts.
struct CommonOptions {
  int threads = 0;      ///< 0 = all cores
  uint64_t seed = 1;    ///< RNG seed (training is deterministic for a seed on one thread)
  bool quiet = false;   ///< warnings only, no progress bars
  bool verbose = false; ///< debug logs
};

/// The options of the running command (filled in by CLI11 during parsing).
CommonOptions& common_options();
/// The processes running this command together: mpirun's (set by main) or this process alone.
Communicator& process_group();
/// Makes group the process group (nullptr: this process alone); group must outlive the commands.
void set_process_group(Communicator* group);
/// The commands that run across mpirun's processes; every other refuses more than one.
bool runs_across_processes(const std::string& command);
/// Sets the thread count from --threads (0: all cores, or under mpirun this rank's share of its machine's).
void apply_thread_option(int threads);
/// Adds --threads, --seed, --quiet and --verbose to a subcommand.
void add_common_options(CLI::App* command);
/// Wraps a subcommand body: applies the common options (threads, logging) and then runs it.
std::function<void()> with_common_options(std::function<void()> body);
/// Adds how an opened model searches its shortlists, into `open`: --ann, --hnsw-ef-search, --hnsw-m,
/// --hnsw-ef-construction, --memory-ef-search, --shortlist, --graph-seeds and --classifier-graph. `auto_rule` says
/// when --ann auto picks exact search.
void add_search_options(CLI::App* command, OpenOptions& open, const std::string& auto_rule);
/// Parses argv, runs the chosen subcommand and maps errors to exit codes (0 ok, 2 bad input/usage, 1 runtime).
int run_cli(int argc, char** argv);

/// Registers `ngame data ...` (convert, stats, wordnet).
void add_data_commands(CLI::App& app);
/// Registers `ngame eval`.
void add_eval_command(CLI::App& app);
/// Registers `ngame train`.
void add_train_command(CLI::App& app);
/// Registers `ngame predict`, `ngame embed` and `ngame vectors import`.
void add_predict_commands(CLI::App& app);
/// Registers `ngame serve` and `ngame labels add|compact`.
void add_serve_commands(CLI::App& app);

}  // namespace ngame
