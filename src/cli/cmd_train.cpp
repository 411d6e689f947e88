// `ngame train --stage encoder DATA_DIR -o MODEL_DIR`: M1, the Siamese encoder on NGAME mini-batches.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli_common.h"
#include "cli/json_config.h"
#include "core/atomic_file.h"
#include "core/dense_math.h"
#include "core/error.h"
#include "core/runtime.h"
#include "data/dataset.h"
#include "encoder/bow_encoder.h"
#include "eval/metrics.h"
#include "eval/propensity.h"
#include "model/model_store.h"
#include "predict/label_ranker.h"
#include "text/word_vectors.h"
#include "train/encoder_trainer.h"
#include "train/training_curve.h"

namespace ngame {

namespace fs = std::filesystem;

namespace {

struct TrainOptions {
  std::string data_dir, model_dir, stage = "encoder", batching = "ngame", init_vectors;
  // Cluster size 1 -> 128 over the first 14 epochs (the reference doubles at 10, 20, 25, 50, ... of 300 epochs).
  std::vector<uint32_t> curriculum = {2, 4, 6, 8, 10, 12, 14};
  uint32_t eval_every = 0;
  bool latin1 = false;
  double prop_a = 0.55, prop_b = 1.5;
  FeaturizerConfig featurizer;
  BowEncoderConfig encoder;
  EncoderTrainConfig train;
};

// Test-set metrics of M1 alone: exact nearest label embeddings, test filter applied.
struct Evaluator {
  const Dataset& data;
  std::unique_ptr<EncoderInput> test_input;
  std::vector<double> inv_propensity;

  Evaluator(const Dataset& d, const Encoder& encoder, PropensityConfig prop)
      : data(d), test_input(encoder.prepare(d.test->texts)), inv_propensity(inverse_propensity(d.train.labels, prop)) {}

  MetricsReport run(const Encoder& encoder, const EncoderInput& labels) const {
    const size_t dim = encoder.dim();
    std::vector<float> docs(test_input->size() * dim), lab(labels.size() * dim);
    encoder.embed_all(*test_input, docs.data());
    encoder.embed_all(labels, lab.data());
    normalize_rows(docs.data(), test_input->size(), dim);
    normalize_rows(lab.data(), labels.size(), dim);
    SparseMatrix pred = rank_labels(docs.data(), test_input->size(), lab.data(), labels.size(), dim, 5);
    return compute_metrics(remove_filtered(pred, data.test->filter), remove_filtered(data.test->labels, data.test->filter),
                           inv_propensity, 5);
  }
};

void run_train(const TrainOptions& o, const CLI::App* cmd) {
  if (o.stage != "encoder") throw UsageError("--stage " + o.stage + " is not available yet (only 'encoder')");
  Dataset data = load_dataset(o.data_dir, {.require_test = false, .latin1 = o.latin1});
  spdlog::info("{}: {} train rows, {} labels{}", o.data_dir, data.train.labels.rows, data.label_count(),
               data.test ? ", " + std::to_string(data.test->labels.rows) + " test rows" : std::string());
  const uint64_t seed = common_options().seed;

  Featurizer featurizer(o.featurizer);
  featurizer.fit({&data.train.texts, &data.label_texts});
  spdlog::info("featurizer: {} words, {} features in all", featurizer.unigram_count(), featurizer.feature_count());
  BowEncoder encoder(std::move(featurizer), o.encoder, seed);
  if (!o.init_vectors.empty()) {
    WordVectors vectors = WordVectors::load(o.init_vectors);
    const size_t seeded = encoder.init_from_vectors(vectors, seed);
    spdlog::info("seeded {} of {} words from {} ({}-d)", seeded, encoder.featurizer().unigram_count(), o.init_vectors,
                 vectors.dim());
  }
  auto docs = encoder.prepare(data.train.texts);
  auto labels = encoder.prepare(data.label_texts);

  EncoderTrainConfig train = o.train;
  train.seed = seed;
  train.batching.mode = parse_batching_mode(o.batching);
  train.batching.curriculum_epochs = o.curriculum;
  std::sort(train.batching.curriculum_epochs.begin(), train.batching.curriculum_epochs.end());
  for (uint32_t& e : train.batching.curriculum_epochs) {
    if (e == 0) throw UsageError("--curriculum epochs are 1-based");
    --e;  // 1-based on the command line
  }

  std::unique_ptr<Evaluator> evaluator;
  if (o.eval_every > 0) {
    if (!data.test) throw UsageError("--eval-every needs tst_X.txt and tst_X_Y.txt in " + o.data_dir);
    evaluator = std::make_unique<Evaluator>(data, encoder, PropensityConfig{o.prop_a, o.prop_b});
  }
  fs::create_directories(o.model_dir);
  std::vector<CurvePoint> curve;
  std::string log_lines;
  double eval_seconds = 0;
  auto on_epoch = [&](const EpochStats& s) {
    CurvePoint point{static_cast<double>(s.epoch + 1), s.loss};
    std::string metrics;
    nlohmann::json line = {{"epoch", s.epoch + 1},         {"loss", s.loss},
                           {"cluster_size", s.cluster_size}, {"docs_per_second", s.docs_per_second},
                           {"seconds", s.seconds},          {"clustering_seconds", s.clustering_seconds},
                           {"elapsed_seconds", s.elapsed_seconds}};
    const bool last = s.epoch + 1 == train.epochs;
    if (evaluator && ((s.epoch + 1) % o.eval_every == 0 || last)) {
      const auto t = std::chrono::steady_clock::now();
      MetricsReport r = evaluator->run(encoder, *labels);
      eval_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
      point.p1 = 100 * r.precision[0];
      point.p5 = 100 * r.precision[4];
      point.psp5 = 100 * r.psp[4];
      metrics = fmt::format("  P@1 {:.2f}  P@5 {:.2f}  PSP@5 {:.2f}", point.p1, point.p5, point.psp5);
      line["P@1"] = point.p1;
      line["P@5"] = point.p5;
      line["PSP@5"] = point.psp5;
    }
    spdlog::info("epoch {:>3}/{}  loss {:.4f}  cluster {:6.1f}  {:7.0f} docs/s  {:5.1f}s (clustering {:.2f}s)  elapsed {:6.1f}s{}",
                 s.epoch + 1, train.epochs, s.loss, s.cluster_size, s.docs_per_second, s.seconds,
                 s.clustering_seconds, s.elapsed_seconds, metrics);
    curve.push_back(point);
    log_lines += line.dump() + "\n";
  };
  std::vector<EpochStats> history = train_encoder(encoder, *docs, data.train.labels, *labels, train, on_epoch);

  // Label embeddings of the trained encoder, saved with it for prediction.
  std::vector<float> label_emb(data.label_count() * encoder.dim());
  encoder.embed_all(*labels, label_emb.data());
  normalize_rows(label_emb.data(), data.label_count(), encoder.dim());
  double clustering = 0;
  for (const EpochStats& s : history) clustering += s.clustering_seconds;
  const double train_seconds = history.back().elapsed_seconds - eval_seconds;
  nlohmann::json settings = nlohmann::json::parse(cmd->config_to_str(true, false));
  settings.erase("config");
  settings.erase("output");
  nlohmann::json data_info = {
      {"dir", fs::absolute(o.data_dir).string()},
      {"train_rows", data.train.labels.rows},
      {"labels", data.label_count()},
      {"trn_X_Y.txt", file_fingerprint((fs::path(o.data_dir) / "trn_X_Y.txt").string())},
      {"Y.txt", file_fingerprint((fs::path(o.data_dir) / "Y.txt").string())},
      {"train_seconds", train_seconds},
      {"clustering_seconds", clustering}};
  save_model(o.model_dir, encoder, data.label_texts, label_emb, settings, data_info);
  write_file_atomically((fs::path(o.model_dir) / "training_log.jsonl").string(), log_lines);
  write_file_atomically((fs::path(o.model_dir) / "training_curve.svg").string(),
                        render_training_curve_svg(curve, "ngame M1 on " + fs::path(o.data_dir).filename().string() +
                                                             " (" + o.batching + " batching)"));
  spdlog::info("trained in {:.1f} s ({:.2f} s clustering, {:.1f}%), model written to {}", train_seconds, clustering,
               100 * clustering / std::max(1e-9, train_seconds), o.model_dir);
}

}  // namespace

void add_train_command(CLI::App& app) {
  static TrainOptions o;
  CLI::App* cmd = app.add_subcommand("train", "train a model (M1: the Siamese encoder on NGAME mini-batches)");
  static std::string config_path;
  cmd->config_formatter(std::make_shared<JsonConfig>());
  cmd->add_option("--config", config_path, "JSON file of options ({\"epochs\": 30, ...}); flags given here override it")
      ->configurable(false);
  cmd->add_option("data", o.data_dir, "dataset folder (trn_X.txt, trn_X_Y.txt, Y.txt[, tst_*])")->required();
  cmd->add_option("-o,--output", o.model_dir, "model directory to write")->required();
  cmd->add_option("--stage", o.stage, "what to train: encoder (M1)")->check(CLI::IsMember({"encoder"}))->capture_default_str();
  // Featurizer.
  cmd->add_option("--min-count", o.featurizer.min_count, "drop words seen in fewer texts")->capture_default_str();
  cmd->add_option("--max-vocab", o.featurizer.max_vocabulary, "keep this many most frequent words")->capture_default_str();
  cmd->add_option("--bigram-buckets", o.featurizer.bigram_buckets, "hashed word-bigram features (0 = off)")->capture_default_str();
  cmd->add_option("--char-ngram-buckets", o.featurizer.char_ngram_buckets, "hashed character 3-5-gram features (0 = off)")->capture_default_str();
  cmd->add_option("--max-tokens", o.featurizer.max_tokens, "words kept per text")->capture_default_str();
  // Encoder.
  cmd->add_option("--dim", o.encoder.dim, "embedding dimension")->capture_default_str();
  cmd->add_option("--hidden", o.encoder.hidden, "residual block width (0 = plain mean of embeddings)")->capture_default_str();
  cmd->add_option("--embedding-lr", o.encoder.embedding_lr, "sparse Adam learning rate of the embeddings")->capture_default_str();
  cmd->add_option("--lr", o.encoder.dense_lr, "AdamW learning rate of the residual block")->capture_default_str();
  cmd->add_option("--weight-decay", o.encoder.weight_decay, "AdamW weight decay")->capture_default_str();
  cmd->add_option("--init-vectors", o.init_vectors, "word vectors (from `ngame vectors import`) to seed word embeddings");
  // Training.
  cmd->add_option("--epochs", o.train.epochs, "training epochs")->capture_default_str();
  cmd->add_option("--warmup", o.train.warmup_steps, "linear warm-up steps")->capture_default_str();
  cmd->add_option("--batch-size", o.train.batching.batch_size, "documents per batch")->capture_default_str();
  cmd->add_option("--batching", o.batching, "ngame (clusters), random, or ann (hard negatives from label embeddings)")
      ->check(CLI::IsMember({"ngame", "random", "ann"}))
      ->capture_default_str();
  cmd->add_option("--init-cluster-size", o.train.batching.initial_cluster_size, "cluster size before the curriculum")->capture_default_str();
  cmd->add_option("--curriculum", o.curriculum, "1-based epochs at which the cluster size doubles")->delimiter(',')->capture_default_str();
  cmd->add_option("--refresh", o.train.batching.refresh_interval, "re-cluster (or re-mine) every N epochs")->capture_default_str();
  cmd->add_option("--ann-candidates", o.train.batching.ann_candidates, "ann batching: hard negatives drawn from this many nearest labels")->capture_default_str();
  cmd->add_option("--negatives", o.train.loss.negatives, "hardest in-batch negatives per document")->capture_default_str();
  cmd->add_option("--margin", o.train.loss.margin, "triplet margin")->capture_default_str();
  cmd->add_option("--temperature", o.train.loss.temperature, "softmax temperature of the negative weights")->capture_default_str();
  cmd->add_option("--softmax-weights", o.train.loss.softmax_weights, "weight negatives by softmax (true) or equally (false)")->capture_default_str();
  cmd->add_option("--eval-every", o.eval_every, "print test P@1/P@5/PSP@5 every N epochs (0 = off)")->capture_default_str();
  cmd->add_option("--A", o.prop_a, "propensity constant A for PSP")->capture_default_str();
  cmd->add_option("--B", o.prop_b, "propensity constant B for PSP")->capture_default_str();
  cmd->add_flag("--latin1", o.latin1, "texts are Latin-1");
  add_common_options(cmd);
  cmd->callback(with_common_options([cmd] {
    if (!config_path.empty()) {
      apply_json_config(cmd, config_path);
      set_thread_count(common_options().threads);  // the file may set --threads
    }
    o.featurizer.validate();
    o.encoder.validate();
    run_train(o, cmd);
  }));
}

}  // namespace ngame
