#pragma once
// A small but real training setting for tests that train whole models: every stage runs, in seconds on one thread.
#include "train/train_config.h"

namespace ngame::testing {

/// Three M1 epochs of 32-d vectors, two M4 epochs, every word kept, no character n-grams, a re-ranker of 20 trees.
inline TrainConfig small_train_config() {
  TrainConfig c;
  c.train.epochs = 3;
  c.encoder.dim = 32;
  c.encoder.hidden = 32;
  c.featurizer.min_count = 1;
  c.char_ngram_buckets = 0;  // word features only, as the tests' generated sets are made of words
  c.curriculum = {2, 3};
  c.classifiers.epochs = 2;
  c.classifier_curriculum = {2};
  c.reranker.trees = 20;
  return c;
}

}  // namespace ngame::testing
