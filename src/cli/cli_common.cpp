#include "cli/cli_common.h"

#include "cli/train_options.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <sched.h>

#include <new>
#include <thread>

#include "core/error.h"
#include "core/runtime.h"

namespace ngame {

CommonOptions& common_options() {
  static CommonOptions options;
  return options;
}

void apply_thread_option(int threads) {
  // "All cores" under mpirun means this rank's share of its machine's cores: the CPUs mpirun bound it to, or,
  // unbound, the machine's divided among its ranks.
  const Communicator& group = process_group();
  if (threads == 0 && group.local_size() > 1) {
    const int machine = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    cpu_set_t mask;
    CPU_ZERO(&mask);
    const int allowed = ::sched_getaffinity(0, sizeof(mask), &mask) == 0 ? CPU_COUNT(&mask) : machine;
    threads = allowed < machine ? std::max(1, allowed) : std::max(1, machine / group.local_size());
  }
  set_thread_count(threads);
}

namespace {
SoloCommunicator g_solo;
Communicator* g_group = &g_solo;
}  // namespace

Communicator& process_group() { return *g_group; }

void set_process_group(Communicator* group) { g_group = group ? group : &g_solo; }

bool runs_across_processes(const std::string& command) { return command == "train" || command == "predict"; }

void add_common_options(CLI::App* command) {
  CommonOptions& o = common_options();
  command->add_option("--threads", o.threads, "threads for parallel loops (0 = all cores)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  command->add_option("--seed", o.seed, "random seed")->capture_default_str();
  command->add_flag("-q,--quiet", o.quiet, "print warnings and errors only, no progress bars");
  command->add_flag("-v,--verbose", o.verbose, "print debug logs");
}

std::function<void()> with_common_options(std::function<void()> body) {
  return [body = std::move(body)]() {
    const CommonOptions& o = common_options();
    if (o.quiet && o.verbose) throw CLI::ValidationError("--quiet and --verbose", "cannot be used together");
    const Communicator& group = process_group();
    // Under mpirun the first rank logs for all; the others print warnings and errors only.
    configure_logging(o.quiet || group.rank() > 0 ? LogLevel::kQuiet
                      : o.verbose                 ? LogLevel::kVerbose
                                                  : LogLevel::kNormal);
    apply_thread_option(o.threads);
    body();
  };
}

namespace {

// "ngame: error: ", naming the rank under mpirun (each failing rank prints its own line).
std::string error_prefix() {
  const Communicator& group = process_group();
  if (group.size() == 1) return "ngame: error: ";
  return "ngame (rank " + std::to_string(group.rank()) + " of " + std::to_string(group.size()) + "): error: ";
}

CLI::App* deepest_selected(CLI::App* app) {
  for (CLI::App* sub : app->get_subcommands()) return deepest_selected(sub);
  return app;
}

}  // namespace

void add_search_options(CLI::App* cmd, OpenOptions& open, const std::string& auto_rule) {
  cmd->add_option("--ann", open.ann,
                  "shortlist indices: auto (saved graphs, else exact " + auto_rule +
                      "), exact, or hnsw (graphs built when not saved)")
      ->check(CLI::IsMember({"auto", "exact", "hnsw"}))
      ->capture_default_str();
  cmd->add_option("--hnsw-ef-search", open.ef_search,
                  "HNSW breadth while searching (0: as the model's fusion was fitted, else " +
                      std::to_string(HnswConfig{}.ef_search) + ")")
      ->capture_default_str();
  cmd->add_option("--hnsw-m", open.hnsw_m, "HNSW links per node of graphs built at load")->capture_default_str();
  cmd->add_option("--hnsw-ef-construction", open.hnsw_ef_construction,
                  "HNSW breadth while building graphs at load (100 above 200K vectors unless set)")
      ->default_str(std::to_string(HnswConfig{}.ef_construction));
  cmd->add_option("--graph-vectors", open.graph_vectors,
                  "how graphs built at load store vectors: int8 or float32 (saved graphs keep theirs)")
      ->check(CLI::IsMember({"int8", "float32"}))
      ->capture_default_str();
  cmd->add_option("--exact-search", open.exact_search,
                  "how exact searches rank: int8 (8-bit products, then the best scored in float; float32 where the "
                  "CPU lacks AVX-512 VNNI) or float32")
      ->check(CLI::IsMember({"int8", "float32"}))
      ->capture_default_str();
  cmd->add_option("--memory-ef-search", open.memory_ef_search,
                  "HNSW breadth of the memory scorer's graph (0: as --hnsw-ef-search)")
      ->capture_default_str();
  cmd->add_option("--shortlist", open.shortlist, "labels taken from each shortlist (0: as the fusion was fitted)")
      ->capture_default_str();
  add_graph_seeds_option(cmd, open.graph_seeds);
  cmd->add_option_function<std::string>(
         "--classifier-graph",
         [&open](const std::string& v) {
           if (v == "model") {
             open.classifier_graph.reset();
           } else {
             open.classifier_graph = v == "on";
           }
         },
         "shortlist from a graph over the classifiers too: on, off, or model (as the model was trained)")
      ->check(CLI::IsMember({"model", "on", "off"}))
      ->default_str("model");
}

int run_cli(int argc, char** argv) {
  CLI::App app("ngame: extreme classification with label text (NGAME), in C++", "ngame");
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "show help for every subcommand");
  add_data_commands(app);
  add_eval_command(app);
  add_train_command(app);
  add_predict_commands(app);
  add_serve_commands(app);
  try {
    app.parse(argc, argv);
    return 0;
  } catch (const CLI::CallForHelp&) {
    std::cout << deepest_selected(&app)->help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << error_prefix() << e.what() << "\n\n" << deepest_selected(&app)->help();
    return 2;
  } catch (const InputError& e) {
    // The library names no flags; the command line adds the one that helps.
    const bool utf8 = e.problem().find("invalid UTF-8") != std::string::npos;
    std::cerr << error_prefix() << e.what() << (utf8 ? " (--latin1 reads Latin-1 files)" : "") << "\n";
    return 2;
  } catch (const UsageError& e) {
    std::cerr << error_prefix() << e.what() << "\n";
    return 2;
  } catch (const std::bad_alloc&) {
    std::cerr << error_prefix() << "out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << error_prefix() << e.what() << "\n";
    return 1;
  }
}

}  // namespace ngame
