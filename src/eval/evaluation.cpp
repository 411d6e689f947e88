#include "eval/evaluation.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "eval/propensity.h"

namespace ngame {

std::string Evaluation::json() const {
  if (!zero_shot) return format_metrics_json(metrics);
  auto j = nlohmann::ordered_json::parse(format_metrics_json(metrics));
  j["zero_shot_rows"] = zero_shot->rows;
  j["zero_shot_P@" + std::to_string(k)] = 100 * zero_shot->precision_at_k;
  j["zero_shot_unseen_R@" + std::to_string(k)] = 100 * zero_shot->unseen_recall_at_k;
  return j.dump();
}

std::string Evaluation::table() const {
  std::string out = format_metrics_table(metrics);
  if (zero_shot) {
    out += fmt::format("zero-shot slice: {} rows hold one of the labels without training rows ({} such pairs): "
                       "P@{} {:.2f}, unseen labels in the top {}: {:.2f}%\n",
                       zero_shot->rows, zero_shot->unseen_pairs, k, 100 * zero_shot->precision_at_k, k,
                       100 * zero_shot->unseen_recall_at_k);
  }
  return out;
}

Evaluation evaluate(SparseMatrix pred, SparseMatrix truth, SparseMatrix train, const FilterPairs* filter,
                    const EvalOptions& options, const EvalSources& sources) {
  NGAME_CHECK(options.k >= 1, "k must be at least 1");
  if (pred.cols > truth.cols && pred.rows == truth.rows && train.cols == truth.cols) {
    // A model with labels added after training: those labels have no truth or training rows here, so they are never
    // relevant; they stay in the ranking (dropping them would lift others).
    spdlog::info("{}: {} labels beyond the dataset's {} (added to the model) count as never relevant", sources.pred,
                 pred.cols - truth.cols, truth.cols);
    truth.cols = train.cols = pred.cols;
  }
  if (pred.rows != truth.rows || pred.cols != truth.cols) {
    throw InputError(sources.pred, 1,
                     "shape " + std::to_string(pred.rows) + " x " + std::to_string(pred.cols) +
                         " does not match the truth's " + std::to_string(truth.rows) + " x " +
                         std::to_string(truth.cols) + " (" + sources.truth + ")");
  }
  if (train.cols != truth.cols) {
    throw InputError(sources.train, 1,
                     "has " + std::to_string(train.cols) + " labels but the truth has " + std::to_string(truth.cols));
  }
  if (filter) {
    check_filter_pairs(*filter, truth.rows, truth.cols);
    truth = remove_filtered(truth, *filter);
    pred = remove_filtered(pred, *filter);
  }
  Evaluation out;
  out.k = options.k;
  out.metrics = compute_metrics(pred, truth, inverse_propensity(train, {options.a, options.b}), options.k);
  if (options.zero_shot) out.zero_shot = compute_zero_shot(pred, truth, train.column_counts(), options.k);
  return out;
}

}  // namespace ngame
