// `ngame data convert|stats|wordnet`: dataset preparation and inspection.
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/cli_common.h"
#include "data/dataset.h"
#include "data/dataset_stats.h"
#include "data/wordnet_dataset.h"
#include "data/xc_json_convert.h"

namespace ngame {

void add_data_commands(CLI::App& app) {
  CLI::App* data = app.add_subcommand("data", "prepare and inspect datasets in the XC Repository layout");
  data->require_subcommand(1);

  {
    static XcJsonConvertConfig config;
    static std::string fields = "title";
    CLI::App* cmd = data->add_subcommand("convert", "convert raw trn/tst/lbl.json.gz files to the text layout");
    cmd->add_option("source", config.source_dir, "folder with lbl.json.gz, trn.json.gz and tst.json.gz")
        ->required();
    cmd->add_option("-o,--output", config.output_dir, "output folder")->required();
    cmd->add_option("--fields", fields, "text of a row: title or title+content")
        ->check(CLI::IsMember({"title", "title+content"}))
        ->capture_default_str();
    add_common_options(cmd);
    cmd->callback(with_common_options([] {
      config.fields = fields == "title" ? TextFields::kTitle : TextFields::kTitleAndContent;
      XcJsonConvertSummary s = convert_xc_json(config);
      spdlog::info("wrote {}: {} train rows, {} test rows, {} labels", config.output_dir, s.train_rows,
                   s.test_rows, s.labels);
    }));
  }
  {
    static std::string dir;
    static bool latin1 = false;
    CLI::App* cmd = data->add_subcommand("stats", "check a dataset folder across files and summarise it");
    cmd->add_option("dir", dir, "dataset folder")->required();
    cmd->add_flag("--latin1", latin1, "texts are Latin-1 (legacy raw files)");
    add_common_options(cmd);
    cmd->callback(with_common_options([] {
      Dataset data = load_dataset(dir, DatasetLoadOptions{.require_test = false, .latin1 = latin1});
      std::cout << format_dataset_stats(compute_dataset_stats(data));
    }));
  }
  {
    static WordnetDatasetConfig config;
    CLI::App* cmd = data->add_subcommand("wordnet", "build wordnet-hypernym-d2 from Debian's wordnet-base");
    cmd->add_option("--wordnet-dir", config.wordnet_dir, "folder holding data.noun")->capture_default_str();
    cmd->add_option("-o,--output", config.output_dir, "output folder")->required();
    cmd->add_option("--levels", config.levels, "hypernym levels that become labels")
        ->check(CLI::Range(1, 16))
        ->capture_default_str();
    add_common_options(cmd);
    cmd->callback(with_common_options([] {
      WordnetDatasetSummary s = build_wordnet_dataset(config);
      spdlog::info("wrote {}: {} train rows, {} test rows, {} labels", config.output_dir, s.train_rows,
                   s.test_rows, s.labels);
    }));
  }
}

}  // namespace ngame
