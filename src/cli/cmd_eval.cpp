// `ngame eval`: P@k, nDCG@k, PSP@k, PSnDCG@k and R@k of a prediction file, as pyxclib computes them.
#include <spdlog/spdlog.h>
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "core/error.h"
#include "data/filter_pairs.h"
#include "data/sparse_matrix.h"
#include "eval/metrics.h"
#include "eval/propensity.h"

namespace ngame {

void add_eval_command(CLI::App& app) {
  static std::string pred_path, truth_path, train_path, filter_path;
  static PropensityConfig propensity;
  static int k = 5;
  static bool json = false, zero_shot = false;
  CLI::App* cmd = app.add_subcommand("eval", "score a prediction file against the truth");
  cmd->add_option("--pred", pred_path, "predictions, XC sparse format (rows x labels)")->required();
  cmd->add_option("--truth", truth_path, "true labels, XC sparse format, e.g. tst_X_Y.txt")->required();
  cmd->add_option("--train", train_path, "training labels for the propensities, e.g. trn_X_Y.txt")->required();
  cmd->add_option("--filter", filter_path, "reciprocal pairs to remove first, e.g. filter_labels_test.txt");
  cmd->add_option("--A", propensity.a, "propensity constant A")->capture_default_str();
  cmd->add_option("--B", propensity.b, "propensity constant B")->capture_default_str();
  cmd->add_option("-k,--k", k, "report @1..@k")->check(CLI::Range(1, 1000))->capture_default_str();
  cmd->add_flag("--json", json, "print one JSON object (values in percent)");
  cmd->add_flag("--zero-shot", zero_shot,
                "also score the rows holding a label that no training row has (P@k there, and how many of those "
                "unseen labels reach the top k)");
  add_common_options(cmd);
  cmd->callback(with_common_options([] {
    SparseMatrix truth = read_sparse_matrix(truth_path);
    SparseMatrix pred = read_sparse_matrix(pred_path);
    SparseMatrix train = read_sparse_matrix(train_path);
    if (pred.cols > truth.cols && pred.rows == truth.rows && train.cols == truth.cols) {
      // A model with labels added after training (`ngame labels add`, the server): those labels have no truth or
      // training rows here, so they are never relevant; they stay in the ranking (dropping them would lift others).
      spdlog::info("{}: {} labels beyond the dataset's {} (added to the model) count as never relevant", pred_path,
                   pred.cols - truth.cols, truth.cols);
      truth.cols = train.cols = pred.cols;
    }
    if (pred.rows != truth.rows || pred.cols != truth.cols) {
      throw InputError(pred_path, 1,
                       "shape " + std::to_string(pred.rows) + " x " + std::to_string(pred.cols) +
                           " does not match the truth's " + std::to_string(truth.rows) + " x " +
                           std::to_string(truth.cols) + " (" + truth_path + ")");
    }
    if (train.cols != truth.cols) {
      throw InputError(train_path, 1,
                       "has " + std::to_string(train.cols) + " labels but the truth has " +
                           std::to_string(truth.cols));
    }
    if (!filter_path.empty()) {
      FilterPairs filter = read_filter_pairs(filter_path, truth.rows, truth.cols);
      truth = remove_filtered(truth, filter);
      pred = remove_filtered(pred, filter);
    }
    MetricsReport report = compute_metrics(pred, truth, inverse_propensity(train, propensity), k);
    if (!zero_shot) {
      std::cout << (json ? format_metrics_json(report) + "\n" : format_metrics_table(report));
      return;
    }
    ZeroShotReport z = compute_zero_shot(pred, truth, train.column_counts(), k);
    if (json) {
      auto j = nlohmann::ordered_json::parse(format_metrics_json(report));
      j["zero_shot_rows"] = z.rows;
      j["zero_shot_P@" + std::to_string(k)] = 100 * z.precision_at_k;
      j["zero_shot_unseen_R@" + std::to_string(k)] = 100 * z.unseen_recall_at_k;
      std::cout << j.dump() << "\n";
    } else {
      std::cout << format_metrics_table(report)
                << fmt::format("zero-shot slice: {} rows hold one of the labels without training rows ({} such pairs): "
                               "P@{} {:.2f}, unseen labels in the top {}: {:.2f}%\n",
                               z.rows, z.unseen_pairs, k, 100 * z.precision_at_k, k, 100 * z.unseen_recall_at_k);
    }
  }));
}

}  // namespace ngame
