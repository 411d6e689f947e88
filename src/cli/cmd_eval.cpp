// `ngame eval`: P@k, nDCG@k, PSP@k, PSnDCG@k and R@k of a prediction file, as pyxclib computes them.
#include <iostream>
#include <optional>

#include "cli/cli_common.h"
#include "data/filter_pairs.h"
#include "data/sparse_matrix.h"
#include "eval/evaluation.h"
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
    std::optional<FilterPairs> filter;
    if (!filter_path.empty()) filter = read_filter_pairs(filter_path);
    const Evaluation e = evaluate(std::move(pred), std::move(truth), std::move(train), filter ? &*filter : nullptr,
                                  {.k = static_cast<size_t>(k), .a = propensity.a, .b = propensity.b, .zero_shot = zero_shot},
                                  {.pred = pred_path, .truth = truth_path, .train = train_path});
    std::cout << (json ? e.json() + "\n" : e.table());
  }));
}

}  // namespace ngame
