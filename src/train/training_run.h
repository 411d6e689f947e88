#pragma once
// The training pipeline as stages over one dataset: M1 (encoder on NGAME batches), M4 (classifiers and the memory of
// training documents), the shortlist indices, the sparse classifiers, and the fusion (linear blend and re-ranker) fitted on validation rows
// held out of every stage. train_model runs them all; a caller may rerun or replace one (resume_from).
#include <memory>

#include "core/communicator.h"
#include "data/dataset.h"
#include "model/model_store.h"
#include "train/train_config.h"
#include "train/train_observer.h"

namespace ngame {

/// One training run: the stages share its validation split, timings and model parts.
class TrainingRun {
 public:
  /// Checks the config, resolves its size defaults and picks the validation rows. data must outlive the run.
  /// With a group of several ranks (each calling this with the same data and config), train_encoder and
  /// train_classifiers are data-parallel and train_sparse_classifiers splits the labels, every rank calling them
  /// (each builds the label index it mines with); fit_fusion then runs on rank 0 alone (docs/distributed.md).
  TrainingRun(const Dataset& data, const TrainConfig& config, TrainObserver* observer = nullptr,
              Communicator* group = nullptr);
  ~TrainingRun();
  /// M1: fits the featurizer, trains the encoder, embeds the labels.
  void train_encoder();
  /// Takes a saved model's encoder and label embeddings (and its label index) instead of training them; with
  /// keep_classifiers also its classifiers, memory and indices (to refit the fusion alone). source names the model
  /// in errors.
  void resume_from(ModelParts existing, bool keep_classifiers, const std::string& source = "model");
  /// M4 on the frozen encoder, then the memory of training documents (validation rows excluded).
  void train_classifiers();
  /// The per-label sparse classifiers (none with config.sparse.enabled false), on negatives mined from the label
  /// index's shortlists of the training rows (validation rows excluded); builds the indices it needs first.
  void train_sparse_classifiers();
  /// Builds every shortlist index the model lacks.
  void build_indices();
  /// Fits the fusion weights and the re-ranker on the validation rows (default weights without any).
  void fit_fusion();
  /// The model so far; its manifest holds the settings and the data record that a save writes.
  ModelParts& model();
  /// The config with its size defaults applied.
  const TrainConfig& config() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// Runs every stage: M1, M4, indices, sparse classifiers, fusion. Returns the trained model (not saved).
ModelParts train_model(const Dataset& data, const TrainConfig& config, TrainObserver* observer = nullptr);

}  // namespace ngame
