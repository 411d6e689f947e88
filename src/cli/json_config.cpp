#include "cli/json_config.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace ngame {

std::string JsonConfig::to_config(const CLI::App* app, bool default_also, bool, std::string) const {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const CLI::Option* opt : app->get_options()) {
    if (opt->get_lnames().empty() || !opt->get_configurable()) continue;
    const std::string name = opt->get_lnames().front();
    if (opt->count() > 0) {
      const auto& results = opt->results();
      if (opt->get_type_size() == 0) {
        out[name] = true;
      } else if (results.size() == 1) {
        out[name] = results.front();
      } else {
        out[name] = results;
      }
    } else if (default_also && !opt->get_default_str().empty()) {
      out[name] = opt->get_default_str();
    }
  }
  return out.dump(2);
}

std::vector<CLI::ConfigItem> JsonConfig::from_config(std::istream& input) const {
  nlohmann::json j = nlohmann::json::parse(input, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw CLI::ConversionError("--config", "the file is not a JSON object");
  std::vector<CLI::ConfigItem> items;
  for (const auto& [key, value] : j.items()) {
    CLI::ConfigItem item;
    item.name = key;
    auto scalar = [](const nlohmann::json& v) {
      if (v.is_string()) return v.get<std::string>();
      if (v.is_boolean()) return std::string(v.get<bool>() ? "true" : "false");
      return v.dump();
    };
    if (value.is_array()) {
      for (const auto& v : value) item.inputs.push_back(scalar(v));
    } else if (value.is_object() || value.is_null()) {
      throw CLI::ConversionError(key, "config values must be scalars or arrays");
    } else {
      item.inputs.push_back(scalar(value));
    }
    items.push_back(std::move(item));
  }
  return items;
}

void apply_json_config(CLI::App* command, const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path, 0, "cannot open");
  std::vector<CLI::ConfigItem> items;
  try {
    items = JsonConfig().from_config(in);
  } catch (const CLI::Error& e) {
    throw InputError(path, 0, e.what());
  }
  for (const CLI::ConfigItem& item : items) {
    CLI::Option* opt = command->get_option_no_throw("--" + item.name);
    if (opt == nullptr || !opt->get_configurable()) throw InputError(path, 0, "unknown option '" + item.name + "'");
    if (opt->count() > 0) continue;  // the command line wins
    try {
      if (opt->get_type_size() == 0) {
        if (item.inputs.size() != 1 || (item.inputs[0] != "true" && item.inputs[0] != "false")) {
          throw InputError(path, 0, "'" + item.name + "' must be true or false");
        }
        if (item.inputs[0] == "false") continue;
      }
      for (const std::string& value : item.inputs) opt->add_result(value);
      opt->run_callback();
    } catch (const CLI::Error& e) {
      throw InputError(path, 0, "bad value for '" + item.name + "': " + e.what());
    }
  }
}

}  // namespace ngame
