#pragma once
// The training pipeline behind `ngame train`: M1 (encoder on NGAME batches), M4 (classifiers), the shortlist
// indices, the fusion (linear blend and re-ranker) on held-out validation rows, then the model directory and, when
// the dataset has a test split, its fused test metrics and predictions.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "encoder/bow_encoder.h"
#include "index/ann_index.h"
#include "predict/fused_predictor.h"
#include "predict/rank_booster.h"
#include "train/classifier_trainer.h"
#include "train/encoder_trainer.h"

namespace ngame {

/// From this many labels, the shortlist length and the graphs' search breadth that training leaves alone are 50 / 50
/// instead of 100 / 100 (the fusion is fitted, and prediction runs, with them). At 1M labels, 2 cores: prediction
/// 996 -> 1,347 texts/s for label-graph recall@10 0.917 -> 0.913 (README, Scale); at 100K labels 100 / 100 already
/// predicts 1,433 texts/s.
inline constexpr size_t kLargeLabelCount = 500000;
/// The shortlist length and search breadth from kLargeLabelCount labels.
inline constexpr uint32_t kLargeLabelSearchWidth = 50;

/// Every setting of a training run (the command line's options; defaults are ngame's).
struct ModelTrainingOptions {
  std::string data_dir, model_dir, stage = "all", batching = "ngame", init_vectors;
  double validation_fraction = 0.05;
  uint64_t validation_max_rows = 20000;  ///< at most this many validation rows (the fraction shrinks above 400K rows)
  ClassifierTrainConfig classifiers;
  std::vector<uint32_t> classifier_curriculum = {2, 3, 4, 5, 6, 7};
  PredictorConfig predictor;  ///< shortlist 0: by label count (kLargeLabelCount)
  HnswConfig hnsw;            ///< hnsw.ef_search is ignored: see ef_search
  uint32_t ef_search = 0;     ///< HNSW search breadth, recorded with the fusion (0: by label count)
  uint64_t memory_max_docs = 500000;  ///< memory scorer: at most this many training documents (a fixed sample)
  bool classifier_graph = false;  ///< shortlist from a graph over the classifiers too (the reference's HNSW-W)
  double fusion_psp_weight = 1.0;
  RankBoosterConfig reranker;
  // Cluster size 1 -> 128 over the first 14 epochs (the reference doubles at 10, 20, 25, 50, ... of 300 epochs).
  std::vector<uint32_t> curriculum = {2, 4, 6, 8, 10, 12, 14};
  uint32_t eval_every = 0;  ///< log M1's test metrics every N epochs (0: off)
  bool latin1 = false;      ///< texts are Latin-1
  double prop_a = 0.55, prop_b = 1.5;  ///< propensity constants of PSP
  FeaturizerConfig featurizer;
  BowEncoderConfig encoder;
  EncoderTrainConfig train;
  uint64_t seed = 1;  ///< training is deterministic for a seed on one thread
};

/// Fills the settings left at 0 that depend on the dataset's size: the shortlist and the search breadth
/// (kLargeLabelCount), into o.predictor.shortlist and o.hnsw.ef_search.
void apply_size_defaults(ModelTrainingOptions& o, size_t label_count);

/// Runs options.stage ("all", "encoder", "classifiers" or "fusion") on options.data_dir and writes
/// options.model_dir; `settings` is recorded in the manifest as given. Errors in the data or an existing model are
/// InputError, bad settings UsageError.
void train_model(const ModelTrainingOptions& options, const nlohmann::json& settings);

}  // namespace ngame
