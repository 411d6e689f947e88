#pragma once
// CLI11 config formatter for JSON files: {"option-name": value, ...}; command-line flags override the file.
#include <CLI/CLI.hpp>

namespace ngame {

/// Reads and writes flat JSON objects whose keys are long option names without the leading "--".
class JsonConfig : public CLI::Config {
 public:
  std::string to_config(const CLI::App* app, bool default_also, bool write_description,
                        std::string prefix) const override;
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;
};

/// Applies a JSON config file to a parsed subcommand: each key sets its option unless the flag was given on the
/// command line. An unknown key, or a value of the wrong type, is an InputError naming the file.
void apply_json_config(CLI::App* command, const std::string& path);

}  // namespace ngame
