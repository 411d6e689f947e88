#include "cli/train_options.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "cli/json_config.h"
#include "core/error.h"

namespace ngame {

void add_graph_seeds_option(CLI::App* cmd, uint32_t& graph_seeds) {
  cmd->add_option("--graph-seeds", graph_seeds,
                  "the label graph's walk also starts from this many labels sharing words with the text (0: from "
                  "its entry point only)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
}

void add_train_options(CLI::App* cmd, TrainConfig& c) {
  cmd->add_option("--validation-fraction", c.validation_fraction,
                  "training rows held out of every stage to fit the fusion weights")
      ->check(CLI::Range(0.0, 0.5))
      ->capture_default_str();
  cmd->add_option("--validation-max-rows", c.validation_max_rows,
                  "cap on the validation rows: above it the fraction shrinks (large datasets)")
      ->capture_default_str();
  cmd->add_option("--clf-epochs", c.classifiers.epochs, "M4 epochs")->capture_default_str();
  cmd->add_option("--clf-lr", c.classifiers.lr, "M4 sparse Adam learning rate")->capture_default_str();
  cmd->add_option("--clf-batch-size", c.classifiers.batching.batch_size, "M4 documents per batch")->capture_default_str();
  cmd->add_option("--clf-curriculum", c.classifier_curriculum, "M4: 1-based epochs at which the cluster size doubles")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--dropout", c.classifiers.dropout, "M4 dropout on the document embedding")->capture_default_str();
  cmd->add_option("--clf-margin", c.classifiers.loss.margin, "M4 triplet margin")->capture_default_str();
  cmd->add_option("--clf-positives", c.classifiers.loss.positives, "M4 hardest positives per document")->capture_default_str();
  cmd->add_option("--clf-negatives", c.classifiers.loss.negatives, "M4 hardest negatives per document")->capture_default_str();
  cmd->add_option_function<std::string>(
         "--sparse-classifiers", [&c](const std::string& v) { c.sparse.enabled = v == "on"; },
         "per-label sparse classifiers over the featurizer's TF-IDF features, trained one-vs-rest on small sets and "
         "on hard negatives mined from the shortlists on others, as a scorer of the fusion (off: the model has none)")
      ->check(CLI::IsMember({"on", "off"}))
      ->default_str(c.sparse.enabled ? "on" : "off");
  cmd->add_option("--sparse-mined-labels", c.sparse.mined_labels,
                  "sparse classifiers: each training row is a negative of its this many nearest labels by embedding "
                  "that it does not carry")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cmd->add_option("--sparse-mined-lexical", c.sparse.mined_lexical_labels,
                  "sparse classifiers: each training row is also a negative of its this many top labels by TF-IDF "
                  "cosine with their texts that it does not carry (0: none)")
      ->check(CLI::Range(0, 10000))
      ->capture_default_str();
  cmd->add_option("--sparse-one-vs-rest-pairs", c.sparse.one_vs_rest_pairs,
                  "sparse classifiers: plain one-vs-rest (every training row a negative of each label it does not "
                  "carry, nothing mined) when labelled rows x labels is at most this, else negatives mined from the "
                  "shortlists (0: always mined; debtags: 23K x 566 = 13.1M; at most 2^32, about 32 GiB of negatives)")
      ->check(CLI::Range(uint64_t{0}, uint64_t{1} << 32))
      ->capture_default_str();
  cmd->add_option("--sparse-cost", c.sparse.cost, "sparse classifiers: C of the squared hinge loss (higher: less "
                  "L2 regularisation; 0: 2 with mined negatives, 1 with plain one-vs-rest)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--sparse-prune", c.sparse.prune, "sparse classifiers: weights with |w| below this are not kept")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option_function<std::string>(
         "--sparse-label-texts", [&c](const std::string& v) { c.sparse.label_text_positive = v == "on"; },
         "sparse classifiers: a label's own text is one more positive of a label that has training rows")
      ->check(CLI::IsMember({"on", "off"}))
      ->default_str(c.sparse.label_text_positive ? "on" : "off");
  cmd->add_option("--sparse-passes", c.sparse.max_passes, "sparse classifiers: coordinate descent passes at most")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("--fusion-psp-weight", c.fusion_psp_weight,
                  "fusion weights maximise validation P@1 + this * PSP@5 (lower favours the head)")
      ->capture_default_str();
  cmd->add_option("--fusion-unseen-fraction", c.fusion_unseen_fraction,
                  "share of the labels with validation rows that play unseen labels while the fusion is fitted "
                  "(classifier = label embedding, no memory votes, no prior); above 0, labels without training rows "
                  "also get weights of their own; 0: one set of weights")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--reranker-trees", c.reranker.trees,
                  "boosted trees of the learned re-ranker (0 = linear fusion only); hold-out validation picks fewer")
      ->capture_default_str();
  cmd->add_option_function<std::string>(
         "--reranker-refit", [&c](const std::string& v) { c.reranker.refit = v == "on"; },
         "on: once the hold-out queries have chosen the number of trees, fit that many on all validation queries")
      ->check(CLI::IsMember({"on", "off"}))
      ->default_str(c.reranker.refit ? "on" : "off");
  cmd->add_option("--reranker-depth", c.reranker.depth, "levels of each re-ranker tree")->capture_default_str();
  cmd->add_option("--reranker-lr", c.reranker.learning_rate, "re-ranker shrinkage")->capture_default_str();
  cmd->add_option("--reranker-window", c.reranker.window, "candidates the re-ranker reorders per text")
      ->check(CLI::Range(2, 1000))
      ->capture_default_str();
  cmd->add_option("--shortlist", c.predictor.shortlist,
                  "labels taken from each shortlist at prediction (0: 100, and 50 from 500K labels)")
      ->capture_default_str();
  add_graph_seeds_option(cmd, c.predictor.graph_seeds);
  cmd->add_flag("--memory-seeds", c.predictor.memory_seeds,
                "the memory graph's walk also starts from training documents of the label graph's seeds (kept with the "
                "fusion; prediction follows the model)");
  cmd->add_option("--memory-max-docs", c.memory_max_docs,
                  "training documents kept by the memory scorer; above it a fixed sample (0: all)")
      ->capture_default_str();
  cmd->add_flag("--classifier-graph", c.classifier_graph,
                "also shortlist from a graph over the classifiers (the reference's second HNSW index; off: the "
                "classifiers score the other shortlists' candidates)");
  cmd->add_option("--hnsw-m", c.hnsw.m, "HNSW links per node")->capture_default_str();
  // Set by hand, efConstruction applies at every size; left alone, graphs above 200K vectors build with 100.
  cmd->add_option_function<uint32_t>(
         "--hnsw-ef-construction", [&c](uint32_t v) { c.hnsw.ef_construction = v, c.hnsw.scale_with_size = false; },
         "HNSW breadth while building (default 200; 100 above 200K vectors unless set)")
      ->default_str(std::to_string(c.hnsw.ef_construction));
  cmd->add_option_function<std::string>(
         "--graph-vectors", [&c](const std::string& v) { c.hnsw.vectors = parse_graph_vectors(v); },
         "how the HNSW graphs store vectors: int8 (a quarter of the bytes to walk; scores re-computed exactly) or float32")
      ->check(CLI::IsMember({"int8", "float32"}))
      ->default_str(graph_vectors_name(c.hnsw.vectors));
  cmd->add_option_function<std::string>(
         "--exact-search", [&c](const std::string& v) { c.exact_search = parse_exact_scoring(v); },
         "how exact searches (label sets up to 50K) rank while training: int8 (8-bit products, then the best scored "
         "in float; float32 where the CPU lacks AVX-512 VNNI) or float32")
      ->check(CLI::IsMember({"int8", "float32"}))
      ->default_str(exact_scoring_name(c.exact_search));
  cmd->add_option("--hnsw-ef-search", c.ef_search,
                  "HNSW breadth while searching, kept with the fusion for prediction (0: 100, and 50 from 500K labels)")
      ->capture_default_str();
  // Featurizer.
  cmd->add_option("--min-count", c.featurizer.min_count, "drop words seen in fewer texts")->capture_default_str();
  cmd->add_option("--max-vocab", c.featurizer.max_vocabulary, "keep this many most frequent words")->capture_default_str();
  cmd->add_option("--bigram-buckets", c.featurizer.bigram_buckets, "hashed word-bigram features (0 = off)")->capture_default_str();
  cmd->add_option_function<std::string>(
         "--char-ngram-buckets",
         [&c](const std::string& v) {
           if (v == "auto") {
             c.char_ngram_buckets.reset();
             return;
           }
           uint32_t n = 0;
           const auto [end, error] = std::from_chars(v.data(), v.data() + v.size(), n);
           if (error != std::errc() || end != v.data() + v.size()) {
             throw CLI::ValidationError("--char-ngram-buckets", "expects auto or a number of buckets, got '" + v + "'");
           }
           if (n > (1u << 26)) {  // 2^26 rows of the embedding table are already 64 GiB at 256 dimensions
             throw CLI::ValidationError("--char-ngram-buckets", "at most 67108864 (2^26) buckets, got " + v);
           }
           c.char_ngram_buckets = n;
         },
         "hashed character 3-5-gram features (0 = off; auto: " + std::to_string(kSmallSetCharNgramBuckets) +
             " when labelled rows x labels <= 2^24, else off)")
      ->default_str("auto");
  cmd->add_option("--max-tokens", c.featurizer.max_tokens, "words kept per text")->capture_default_str();
  // Encoder.
  cmd->add_option("--dim", c.encoder.dim, "embedding dimension")->capture_default_str();
  cmd->add_option("--hidden", c.encoder.hidden, "residual block width (0 = plain mean of embeddings)")->capture_default_str();
  cmd->add_option("--embedding-lr", c.encoder.embedding_lr, "sparse Adam learning rate of the embeddings")->capture_default_str();
  cmd->add_option("--lr", c.encoder.dense_lr, "AdamW learning rate of the residual block")->capture_default_str();
  cmd->add_option("--weight-decay", c.encoder.weight_decay, "AdamW weight decay")->capture_default_str();
  cmd->add_option("--init-vectors", c.init_vectors, "word vectors (from `ngame vectors import`) to seed word embeddings");
  // Training.
  cmd->add_option("--epochs", c.train.epochs, "training epochs")->capture_default_str();
  cmd->add_option("--warmup", c.train.warmup_steps, "linear warm-up steps")->capture_default_str();
  cmd->add_option("--batch-size", c.train.batching.batch_size, "documents per batch")->capture_default_str();
  cmd->add_option("--batching", c.batching, "ngame (clusters), random, or ann (hard negatives from label embeddings)")
      ->check(CLI::IsMember({"ngame", "random", "ann"}))
      ->capture_default_str();
  cmd->add_option("--init-cluster-size", c.train.batching.initial_cluster_size, "cluster size before the curriculum")->capture_default_str();
  cmd->add_option("--curriculum", c.curriculum, "1-based epochs at which the cluster size doubles")->delimiter(',')->capture_default_str();
  cmd->add_option("--refresh", c.train.batching.refresh_interval, "re-cluster (or re-mine) every N epochs")->capture_default_str();
  cmd->add_option("--ann-candidates", c.train.batching.ann_candidates, "ann batching: hard negatives drawn from this many nearest labels")->capture_default_str();
  cmd->add_option("--negatives", c.train.loss.negatives, "hardest in-batch negatives per document")->capture_default_str();
  cmd->add_option("--margin", c.train.loss.margin, "triplet margin")->capture_default_str();
  cmd->add_option("--temperature", c.train.loss.temperature, "softmax temperature of the negative weights")->capture_default_str();
  cmd->add_option("--softmax-weights", c.train.loss.softmax_weights, "weight negatives by softmax (true) or equally (false)")->capture_default_str();
  cmd->add_option("--eval-every", c.eval_every, "print test P@1/P@5/PSP@5 every N epochs (0 = off)")->capture_default_str();
  cmd->add_option("--A", c.prop_a, "propensity constant A for PSP")->capture_default_str();
  cmd->add_option("--B", c.prop_b, "propensity constant B for PSP")->capture_default_str();
  cmd->add_flag("--latin1", c.latin1, "texts are Latin-1");
}

ParsedTrainOptions parse_train_options(const std::vector<std::string>& words) {
  ParsedTrainOptions parsed;
  CLI::App app("training options", "ngame train");
  app.config_formatter(std::make_shared<JsonConfig>());
  add_train_options(&app, parsed.config);
  app.add_option("--threads", parsed.threads, "threads for parallel loops (0 = all cores)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--seed", parsed.config.seed, "random seed");
  for (const std::string& word : words) {
    if (!word.starts_with("--")) continue;
    const std::string name = word.substr(0, word.find('='));
    if (app.get_option_no_throw(name) == nullptr) throw UsageError("unknown training option " + name);
  }
  std::vector<std::string> reversed(words.rbegin(), words.rend());  // CLI11 takes its words last-first
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    throw UsageError(e.what());
  }
  parsed.config.settings = recorded_settings(&app);
  return parsed;
}

nlohmann::json recorded_settings(const CLI::App* command) {
  nlohmann::json settings = nlohmann::json::parse(command->config_to_str(true, false));
  settings.erase("config");
  settings.erase("output");
  return settings;
}

}  // namespace ngame
