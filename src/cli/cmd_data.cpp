// `ngame data convert|stats|wordnet`: dataset preparation and inspection.
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/cli_common.h"
#include "data/dataset.h"
#include "data/dataset_stats.h"
#include "data/synthetic_dataset.h"
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
  {
    static SyntheticDatasetConfig config;
    CLI::App* cmd = data->add_subcommand(
        "synth", "generate a dataset of any size: texts from latent topics, Zipf label frequencies, a long tail");
    cmd->add_option("-o,--output", config.output_dir, "output folder")->required();
    cmd->add_option("--docs", config.docs, "training documents")->capture_default_str();
    cmd->add_option("--test-docs", config.test_docs, "test documents (0: docs / 4)")->capture_default_str();
    cmd->add_option("--labels", config.labels, "labels")->capture_default_str();
    cmd->add_option("--labels-per-doc", config.labels_per_doc, "mean labels a document")->capture_default_str();
    cmd->add_option("--words-per-doc", config.words_per_doc, "mean words a document")->capture_default_str();
    cmd->add_option("--topics", config.topics, "latent topics (0: labels / 50, at least 20)")->capture_default_str();
    cmd->add_option("--vocabulary", config.vocabulary, "distinct words (0: from the label and topic counts)")
        ->capture_default_str();
    cmd->add_option("--zipf", config.zipf, "exponent of the label popularity (rank^-zipf)")->capture_default_str();
    cmd->add_option("--unseen-labels", config.unseen_labels, "share of labels no training document carries")
        ->capture_default_str();
    cmd->add_option("--noise", config.noise, "share of a document's words drawn from the whole vocabulary")
        ->capture_default_str();
    add_common_options(cmd);
    cmd->callback(with_common_options([] {
      config.seed = common_options().seed;
      SyntheticDatasetSummary s = build_synthetic_dataset(config);
      spdlog::info("wrote {}: {} train rows ({} label pairs), {} test rows ({} pairs), {} labels, {} without a "
                   "training row",
                   config.output_dir, s.train_rows, s.train_pairs, s.test_rows, s.test_pairs, s.labels,
                   s.labels_without_train_rows);
    }));
  }
}

}  // namespace ngame
