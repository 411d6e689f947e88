#pragma once
// The training options by name: `ngame train`'s flags and the Python package's keyword arguments are these
// (e.g. --clf-epochs / clf_epochs), with the same help, checks and error messages.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "train/train_config.h"

namespace ngame {

/// Adds --graph-seeds: starting points of the label graph's walk (PredictorConfig::graph_seeds).
void add_graph_seeds_option(CLI::App* command, uint32_t& graph_seeds);
/// Adds every training setting as an option of command, bound to config.
void add_train_options(CLI::App* command, TrainConfig& config);

/// A config parsed from option words, and the threads it asks for.
struct ParsedTrainOptions {
  TrainConfig config;  ///< settings recorded as the command line would record them
  int threads = 0;     ///< --threads (0: all cores)
};
/// Parses option words such as {"--epochs", "10", "--seed", "3"} (training options, --threads and --seed) into a
/// config; an unknown option or a bad value is a UsageError with the command line's message.
ParsedTrainOptions parse_train_options(const std::vector<std::string>& words);
/// The settings a parsed subcommand records in the model manifest (its options, without --config and --output).
nlohmann::json recorded_settings(const CLI::App* command);

}  // namespace ngame
