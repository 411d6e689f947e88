// `ngame train DATA_DIR -o MODEL_DIR`: the options of the training pipeline (train/model_training.h).
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "cli/json_config.h"
#include "core/runtime.h"
#include "train/model_training.h"

namespace ngame {

void add_train_command(CLI::App& app) {
  static ModelTrainingOptions o;
  CLI::App* cmd = app.add_subcommand("train", "train a model: M1 encoder, M4 classifiers, indices and score fusion");
  static std::string config_path;
  cmd->config_formatter(std::make_shared<JsonConfig>());
  cmd->add_option("--config", config_path, "JSON file of options ({\"epochs\": 30, ...}); flags given here override it")
      ->configurable(false);
  cmd->add_option("data", o.data_dir, "dataset folder (trn_X.txt, trn_X_Y.txt, Y.txt[, tst_*])")->required();
  cmd->add_option("-o,--output", o.model_dir, "model directory to write")->required();
  cmd->add_option("--stage", o.stage,
                  "all (M1, M4, indices, fusion), encoder (M1 only), classifiers (M4 onwards on an existing model's "
                  "encoder), fusion (refit the fusion weights only)")
      ->check(CLI::IsMember({"all", "encoder", "classifiers", "fusion"}))
      ->capture_default_str();
  cmd->add_option("--validation-fraction", o.validation_fraction,
                  "training rows held out of every stage to fit the fusion weights")
      ->check(CLI::Range(0.0, 0.5))
      ->capture_default_str();
  cmd->add_option("--validation-max-rows", o.validation_max_rows,
                  "cap on the validation rows: above it the fraction shrinks (large datasets)")
      ->capture_default_str();
  cmd->add_option("--clf-epochs", o.classifiers.epochs, "M4 epochs")->capture_default_str();
  cmd->add_option("--clf-lr", o.classifiers.lr, "M4 sparse Adam learning rate")->capture_default_str();
  cmd->add_option("--clf-batch-size", o.classifiers.batching.batch_size, "M4 documents per batch")->capture_default_str();
  cmd->add_option("--clf-curriculum", o.classifier_curriculum, "M4: 1-based epochs at which the cluster size doubles")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--dropout", o.classifiers.dropout, "M4 dropout on the document embedding")->capture_default_str();
  cmd->add_option("--clf-margin", o.classifiers.loss.margin, "M4 triplet margin")->capture_default_str();
  cmd->add_option("--clf-positives", o.classifiers.loss.positives, "M4 hardest positives per document")->capture_default_str();
  cmd->add_option("--clf-negatives", o.classifiers.loss.negatives, "M4 hardest negatives per document")->capture_default_str();
  cmd->add_option("--fusion-psp-weight", o.fusion_psp_weight,
                  "fusion weights maximise validation P@1 + this * PSP@5 (lower favours the head)")
      ->capture_default_str();
  cmd->add_option("--reranker-trees", o.reranker.trees,
                  "boosted trees of the learned re-ranker (0 = linear fusion only); hold-out validation picks fewer")
      ->capture_default_str();
  cmd->add_option("--reranker-depth", o.reranker.depth, "levels of each re-ranker tree")->capture_default_str();
  cmd->add_option("--reranker-lr", o.reranker.learning_rate, "re-ranker shrinkage")->capture_default_str();
  cmd->add_option("--reranker-window", o.reranker.window, "candidates the re-ranker reorders per text")
      ->check(CLI::Range(2, 1000))
      ->capture_default_str();
  cmd->add_option("--shortlist", o.predictor.shortlist,
                  "labels taken from each shortlist at prediction (0: 100, and 50 from 500K labels)")
      ->capture_default_str();
  add_graph_seeds_option(cmd, o.predictor.graph_seeds);
  cmd->add_flag("--memory-seeds", o.predictor.memory_seeds,
                "the memory graph's walk also starts from training documents of the label graph's seeds (kept with the "
                "fusion; prediction follows the model)");
  cmd->add_option("--memory-max-docs", o.memory_max_docs,
                  "training documents kept by the memory scorer; above it a fixed sample (0: all)")
      ->capture_default_str();
  cmd->add_flag("--classifier-graph", o.classifier_graph,
                "also shortlist from a graph over the classifiers (the reference's second HNSW index; off: the "
                "classifiers score the other shortlists' candidates)");
  cmd->add_option("--hnsw-m", o.hnsw.m, "HNSW links per node")->capture_default_str();
  // Set by hand, efConstruction applies at every size; left alone, graphs above 200K vectors build with 100.
  cmd->add_option_function<uint32_t>(
         "--hnsw-ef-construction", [](uint32_t v) { o.hnsw.ef_construction = v, o.hnsw.scale_with_size = false; },
         "HNSW breadth while building (default 200; 100 above 200K vectors unless set)")
      ->default_str(std::to_string(o.hnsw.ef_construction));
  cmd->add_option("--hnsw-ef-search", o.ef_search,
                  "HNSW breadth while searching, kept with the fusion for prediction (0: 100, and 50 from 500K labels)")
      ->capture_default_str();
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
    o.seed = common_options().seed;
    nlohmann::json settings = nlohmann::json::parse(cmd->config_to_str(true, false));
    settings.erase("config");
    settings.erase("output");
    train_model(o, settings);
  }));
}

}  // namespace ngame
