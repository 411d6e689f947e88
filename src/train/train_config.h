#pragma once
// Every setting of a training run, typed: the command line's options and the Python keyword arguments map onto it
// (cli/train_options.h holds their names, help and checks).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "encoder/bow_encoder.h"
#include "index/ann_index.h"
#include "predict/fused_predictor.h"
#include "predict/rank_booster.h"
#include "train/classifier_trainer.h"
#include "train/encoder_trainer.h"
#include "train/sparse_classifier_trainer.h"

namespace ngame {

/// From this many labels, the shortlist length and the graphs' search breadth that training leaves alone are
/// kLargeLabelSearchWidth instead of 100 / 100 (the fusion is fitted, and prediction runs, with them): at 1M labels
/// it predicts markedly faster for almost no recall (bench/scale.sh; docs/scale.md).
inline constexpr size_t kLargeLabelCount = 500000;
/// The shortlist length and search breadth from kLargeLabelCount labels.
inline constexpr uint32_t kLargeLabelSearchWidth = 50;
/// Hashed character 3-5-gram buckets of a small set (kSmallSetPairs) unless set: on debtags +1.7 validation P@1,
/// mostly through the encoder (pieces of package names), for 2.4-2.6 times the training time
/// (bench/results/2026-12-04-char-ngrams-small-sets.md). Their cost grows with the rows, hence also a cap on those.
inline constexpr uint32_t kSmallSetCharNgramBuckets = 65536;
/// A small set gets character n-grams by default only up to this many fitting rows (M1's time grows with the rows).
inline constexpr uint64_t kSmallSetCharNgramMaxRows = uint64_t{1} << 17;

/// Every setting of a training run; defaults are ngame's.
struct TrainConfig {
  std::string batching = "ngame";  ///< M1 batches: ngame (clusters), random, or ann (mined hard negatives)
  std::string init_vectors;        ///< word vectors (`ngame vectors import`) seeding the word embeddings
  double validation_fraction = 0.05;     ///< training rows held out of every stage to fit the fusion
  uint64_t validation_max_rows = 20000;  ///< at most this many validation rows (the fraction shrinks above)
  ClassifierTrainConfig classifiers;     ///< M4
  SparseClassifierConfig sparse;         ///< per-label sparse classifiers on mined hard negatives
  std::vector<uint32_t> classifier_curriculum = {2, 3, 4, 5, 6, 7};  ///< M4: 1-based epochs doubling clusters
  PredictorConfig predictor;  ///< shortlist 0: by label count (kLargeLabelCount)
  HnswConfig hnsw;            ///< hnsw.ef_search is ignored: see ef_search
  ExactScoring exact_search = ExactScoring::kInt8Shortlist;  ///< how exact indices (fusion, mined negatives) rank
  uint32_t ef_search = 0;     ///< HNSW search breadth, recorded with the fusion (0: by label count)
  uint64_t memory_max_docs = 500000;  ///< memory scorer: at most this many training documents (a fixed sample)
  bool classifier_graph = false;      ///< shortlist from a graph over the classifiers too (the reference's HNSW-W)
  double fusion_psp_weight = 1.0;     ///< the fusion maximises validation P@1 + this * PSP@5
  /// Labels that play unseen ones while the fusion is fitted (unseen_label_view.h); above 0 the candidates without
  /// training rows also get weights of their own (0: one set of weights, fitted on the labels as they are).
  double fusion_unseen_fraction = 0.1;
  RankBoosterConfig reranker;         ///< the learned re-ranker (trees 0: linear fusion only)
  /// M1: 1-based epochs at which the cluster size doubles (1 -> 128 over the first 12 epochs; the reference
  /// doubles at 10, 20, 25, 50, ... of 300 epochs).
  std::vector<uint32_t> curriculum = {2, 4, 6, 8, 10, 11, 12};
  uint32_t eval_every = 0;  ///< M1's test-split metrics every N epochs, to the observer (0: off)
  bool latin1 = false;      ///< a dataset folder's texts are Latin-1
  double prop_a = 0.55, prop_b = 1.5;  ///< propensity constants of PSP
  FeaturizerConfig featurizer;  ///< featurizer.char_ngram_buckets is used only when char_ngram_buckets is unset
  /// Hashed character n-gram buckets (0: none); unset: featurizer.char_ngram_buckets when that is not 0, else
  /// kSmallSetCharNgramBuckets on a small set (apply_size_defaults) and none on others
  std::optional<uint32_t> char_ngram_buckets;
  BowEncoderConfig encoder;
  EncoderTrainConfig train;  ///< M1's epochs, batches, loss
  uint64_t seed = 1;         ///< training is deterministic for a seed on one thread
  nlohmann::json settings = nlohmann::json::object();  ///< recorded in the model's manifest as given

  /// Throws UsageError on settings that cannot train (e.g. a curriculum epoch of 0).
  void validate() const;
};

/// Fills the settings left unset that depend on the dataset's size: the shortlist and the search breadth
/// (kLargeLabelCount), into c.predictor.shortlist and c.hnsw.ef_search, and the character n-grams (kSmallSetPairs
/// fitting rows x labels, kSmallSetCharNgramMaxRows rows), into c.featurizer.char_ngram_buckets.
void apply_size_defaults(TrainConfig& c, size_t label_count, uint64_t fitting_rows);

}  // namespace ngame
