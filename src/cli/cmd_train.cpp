// `ngame train DATA_DIR -o MODEL_DIR`: the training options (cli/train_options.h) onto the library's stages; the
// training log, the curve and the test split's metrics are this command's.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "cli/idle_cores.h"
#include "cli/json_config.h"
#include "cli/train_options.h"
#include "core/atomic_file.h"
#include "core/runtime.h"
#include "ngame/ngame.h"
#include "train/training_curve.h"

namespace ngame {

namespace {

namespace fs = std::filesystem;

// Keeps M1's epochs for training_log.jsonl and training_curve.svg.
class TrainingLog : public TrainObserver {
 public:
  void on_epoch(const EpochReport& e) override {
    if (e.stage != "encoder") return;
    CurvePoint point{static_cast<double>(e.epoch), e.loss};
    nlohmann::json line = {{"epoch", e.epoch},
                           {"loss", e.loss},
                           {"cluster_size", e.cluster_size},
                           {"docs_per_second", e.docs_per_second},
                           {"seconds", e.seconds},
                           {"clustering_seconds", e.clustering_seconds},
                           {"elapsed_seconds", e.elapsed_seconds},
                           {"steps", e.steps}};
    if (e.bytes_sent > 0) {
      line["bytes_sent"] = e.bytes_sent;
      line["communication_seconds"] = e.communication_seconds;
      line["wait_seconds"] = e.wait_seconds;
    }
    if (e.test) {
      point.p1 = e.test->p1;
      point.p5 = e.test->p5;
      point.psp5 = e.test->psp5;
      line["P@1"] = point.p1;
      line["P@5"] = point.p5;
      line["PSP@5"] = point.psp5;
    }
    curve_.push_back(point);
    lines_ += line.dump() + "\n";
  }
  // Writes both files into the model directory when M1 ran.
  void write(const std::string& model_dir, const std::string& title) const {
    if (curve_.empty()) return;
    write_file_atomically((fs::path(model_dir) / "training_log.jsonl").string(), lines_);
    write_file_atomically((fs::path(model_dir) / "training_curve.svg").string(),
                          render_training_curve_svg(curve_, title));
  }

 private:
  std::vector<CurvePoint> curve_;
  std::string lines_;
};

void log_metrics(const char* what, const MetricsReport& r) {
  spdlog::info("{}: P@1 {:.2f}  P@3 {:.2f}  P@5 {:.2f}  nDCG@5 {:.2f}  PSP@1 {:.2f}  PSP@3 {:.2f}  PSP@5 {:.2f}", what,
               100 * r.precision[0], 100 * r.precision[2], 100 * r.precision[4], 100 * r.ndcg[4], 100 * r.psp[0],
               100 * r.psp[2], 100 * r.psp[4]);
}

}  // namespace

void add_train_command(CLI::App& app) {
  static TrainConfig config;
  static std::string data_dir, model_dir, stage = "all", config_path;
  CLI::App* cmd = app.add_subcommand(
      "train", "train a model: M1 encoder, M4 classifiers, indices, sparse classifiers and score fusion");
  cmd->config_formatter(std::make_shared<JsonConfig>());
  cmd->add_option("--config", config_path, "JSON file of options ({\"epochs\": 30, ...}); flags given here override it")
      ->configurable(false);
  cmd->add_option("data", data_dir, "dataset folder (trn_X.txt, trn_X_Y.txt, Y.txt[, tst_*])")->required();
  cmd->add_option("-o,--output", model_dir, "model directory to write")->required();
  cmd->add_option("--stage", stage,
                  "all (M1, M4, indices, sparse classifiers, fusion), encoder (M1 only), classifiers (M4 onwards on an "
                  "existing model's encoder), sparse (the sparse classifiers and the fusion on an existing model), "
                  "fusion (refit the fusion weights only)")
      ->check(CLI::IsMember({"all", "encoder", "classifiers", "sparse", "fusion"}))
      ->capture_default_str();
  add_train_options(cmd, config);
  add_common_options(cmd);
  cmd->callback(with_common_options([cmd] {
    if (!config_path.empty()) {
      apply_json_config(cmd, config_path);
      apply_thread_option(common_options().threads);  // the file may set --threads
    }
    TrainConfig c = config;
    c.seed = common_options().seed;
    c.settings = recorded_settings(cmd);
    c.validate();
    const Dataset data = load_dataset(data_dir, {.require_test = false, .latin1 = c.latin1});
    spdlog::info("{}: {} train rows, {} labels{}", data_dir, data.train.labels.rows, data.label_count(),
                 data.test ? ", " + std::to_string(data.test->labels.rows) + " test rows" : std::string());
    if (c.eval_every > 0 && !data.test) throw UsageError("--eval-every needs tst_X.txt and tst_X_Y.txt in " + data_dir);
    Communicator& group = process_group();
    if (group.size() > 1 && stage != "all" && stage != "encoder") {
      throw UsageError("--stage " + stage + " runs in one process: start it without mpirun");
    }
    // Each rank takes batch / N rows of a step: at least 2 (checked before hours of M1, not after).
    const auto ranks = static_cast<uint32_t>(group.size());
    for (const auto& [flag, size] : {std::pair{"--batch-size", c.train.batching.batch_size},
                                     std::pair{"--clf-batch-size", c.classifiers.batching.batch_size}}) {
      if (ranks > 1 && size < 2 * ranks) {
        throw UsageError(std::string(flag) + " " + std::to_string(size) + " across " + std::to_string(ranks) +
                         " ranks: each rank needs at least 2 rows a step (at least " + std::to_string(2 * ranks) + ")");
      }
    }
    TrainingLog log;
    TrainingRun run(data, c, &log, &group);
    if (group.size() > 1) {
      // Every rank trains M1 and M4 (data-parallel) and its share of the sparse classifiers' labels; rank 0 alone
      // builds the indices and fits the fusion, with the cores of the ranks that wait on its machine, and writes
      // the model. The others wait for it (asleep), so that a failure there still ends every rank.
      run.train_encoder();
      if (stage == "all") {
        run.train_classifiers();
        const int share = thread_count();
        const int alone = take_over_idle_local_cores(group, share);
        if (group.rank() == 0) {
          run.build_indices();  // with all its cores, before the shared stage
          set_thread_count(share);
        }
        run.train_sparse_classifiers();
        if (group.rank() == 0) set_thread_count(alone);
      } else {
        take_over_idle_local_cores(group, thread_count());
      }
      if (group.rank() != 0) {
        group.barrier();
        return;
      }
    } else if (stage == "all" || stage == "encoder") {
      run.train_encoder();
    } else {
      run.resume_from(load_model(model_dir), stage == "fusion" || stage == "sparse", model_dir);
    }
    if (stage == "encoder") {
      run.build_indices();
    } else {
      if (group.size() == 1 && (stage == "all" || stage == "classifiers")) run.train_classifiers();
      if (group.size() == 1 && stage != "fusion") run.train_sparse_classifiers();
      run.fit_fusion();
    }
    Model model(std::move(run.model()));
    model.save(model_dir);
    log.write(model_dir, "ngame M1 on " + fs::path(data_dir).filename().string() + " (" + c.batching + " batching)");
    spdlog::info("model written to {}", model_dir);
    if (data.test && stage != "encoder") {
      SparseMatrix pred = model.predict(data.test->texts, 20);
      const Evaluation e = evaluate(pred, data.test->labels, data.train.labels, &data.test->filter,
                                    {.k = 5, .a = c.prop_a, .b = c.prop_b});
      log_metrics("test (fused, filtered)", e.metrics);
      // The predictions behind these figures (`ngame predict -k 20` on the saved model gives the same bytes).
      write_sparse_matrix((fs::path(model_dir) / "test_predictions.txt").string(), pred);
    }
    if (group.size() > 1) group.barrier();
  }));
}

}  // namespace ngame
