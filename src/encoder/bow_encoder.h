#pragma once
// Bag-of-embeddings encoder: IDF-weighted mean of feature embeddings, then a residual block
// y = h + W2 relu(W1 h + b1) + b2. Hand-written forward and backward on BLAS.
#include <memory>
#include <random>

#include "core/binary_io.h"
#include "encoder/adam.h"
#include "encoder/encoder.h"
#include "text/featurizer.h"

namespace ngame {

class WordVectors;

/// Shape and optimiser settings of a BowEncoder.
struct BowEncoderConfig {
  uint32_t dim = 256;           ///< embedding dimension
  uint32_t hidden = 256;        ///< hidden width of the residual block (0 = no block: plain mean of embeddings)
  float embedding_lr = 5e-3f;   ///< sparse Adam learning rate of the embedding table
  float dense_lr = 1e-3f;       ///< AdamW learning rate of the residual block
  float weight_decay = 0.0f;    ///< AdamW decoupled weight decay of the residual block
  /// Throws UsageError on invalid values.
  void validate() const;
};

/// The default encoder.
class BowEncoder final : public Encoder {
 public:
  /// A new encoder with random weights (unigram rows ~ N(0, 1/dim), hashed buckets 0) for the featurizer's ids.
  BowEncoder(Featurizer featurizer, BowEncoderConfig config, uint64_t seed);
  /// Restores an encoder from the sections written by save().
  static std::unique_ptr<BowEncoder> load(const Container& sections,
                                          const std::string& context);

  std::string type() const override { return "bow"; }
  uint32_t dim() const override { return config_.dim; }
  std::unique_ptr<EncoderInput> prepare(const TextCorpus& texts) const override;
  void embed(const EncoderInput& input, std::span<const uint32_t> rows, float* out) const override;
  std::unique_ptr<EncoderActivations> forward(const EncoderInput& input, std::span<const uint32_t> rows,
                                              float* out) override;
  void backward(const EncoderActivations& activations, const float* grad_out) override;
  void step(float lr_scale) override;
  Sections save() const override;
  void release_training_state() override;

  /// Seeds unigram rows from pretrained word vectors (random projection when dims differ); returns rows seeded.
  size_t init_from_vectors(const WordVectors& vectors, uint64_t seed);
  /// The featurizer.
  const Featurizer& featurizer() const { return featurizer_; }
  /// The options.
  const BowEncoderConfig& config() const { return config_; }

  /// Parameter access for gradient checks: every trainable array, and its accumulated gradient.
  std::vector<std::pair<float*, size_t>> dense_parameters();
  /// Embedding table (feature_count x dim).
  std::vector<float>& embeddings() { return embeddings_; }
  /// Accumulated dense gradients (same order as dense_parameters()), and the embedding gradient as a dense copy.
  std::vector<std::vector<float>> dense_gradients() const;
  std::vector<float> embedding_gradient_dense() const;

 private:
  BowEncoder() = default;
  void pool(const EncoderInput& input, std::span<const uint32_t> rows, float* h) const;
  void block_forward(const float* h, size_t n, float* a, float* out) const;
  // Data-parallel step(): the dense gradients summed over the group; the touched embedding rows exchanged.
  void sum_dense_gradients(Communicator& group);
  void step_shared_rows(Communicator& group, const std::vector<size_t>& group_starts, const AdamConfig& sparse,
                        const AdamStepSizes& sizes);

  Featurizer featurizer_;
  BowEncoderConfig config_;
  std::vector<float> embeddings_;  // feature_count x dim
  std::vector<float> w1_, b1_, w2_, b2_;
  // Optimiser state and accumulated gradients.
  AdamState embedding_adam_, w1_adam_, b1_adam_, w2_adam_, b2_adam_;
  std::vector<float> gw1_, gb1_, gw2_, gb2_;
  struct PendingRow {
    uint32_t feature;
    float weight;
    uint32_t buffer;
    uint32_t row;
  };
  std::vector<PendingRow> pending_;             // embedding-row contributions since the last step
  std::vector<std::vector<float>> pending_dh_;  // d(loss)/d(pooled h) of each backward call
  std::string exchange_payload_;                // this rank's rows of a data-parallel step, kept between steps
  uint64_t step_count_ = 0;
};

}  // namespace ngame
