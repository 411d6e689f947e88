#pragma once
// The Encoder interface: texts in, embedding rows out, plus training (forward, backward, step). Batching, losses
// and classifiers only see this interface, so a transformer encoder can replace the bag-of-embeddings one.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "data/text_corpus.h"

namespace ngame {

class Communicator;

/// Rows Encoder::embed_all embeds at a time (a block's floats do not depend on the rows around it).
inline constexpr size_t kEmbedBlockRows = 4096;

/// A corpus prepared once for an encoder (features for bag-of-embeddings, token ids for a transformer).
class EncoderInput {
 public:
  virtual ~EncoderInput() = default;
  /// Number of texts.
  virtual size_t size() const = 0;
};

/// What a training forward pass keeps for its backward pass.
class EncoderActivations {
 public:
  virtual ~EncoderActivations() = default;
};

/// Model-file sections: (4-character tag, payload).
using Sections = std::vector<std::pair<std::string, std::string>>;

/// Maps texts to dim()-dimensional rows (not normalised; scoring is cosine) and learns from their gradients.
class Encoder {
 public:
  virtual ~Encoder() = default;
  /// Type name saved in the model ("bow").
  virtual std::string type() const = 0;
  /// Embedding dimension.
  virtual uint32_t dim() const = 0;
  /// Tokenises / featurises a corpus once.
  virtual std::unique_ptr<EncoderInput> prepare(const TextCorpus& texts) const = 0;
  /// Inference: embeds input rows into out (rows.size() x dim()).
  virtual void embed(const EncoderInput& input, std::span<const uint32_t> rows, float* out) const = 0;
  /// Training forward: as embed, and returns what backward needs.
  virtual std::unique_ptr<EncoderActivations> forward(const EncoderInput& input, std::span<const uint32_t> rows,
                                                      float* out) = 0;
  /// Accumulates parameter gradients for d(loss)/d(out) (rows x dim(), as returned by forward).
  virtual void backward(const EncoderActivations& activations, const float* grad_out) = 0;
  /// One optimiser step on everything accumulated since the last step, with the learning rates scaled by
  /// lr_scale (the schedule), then clears the gradients. This is the single place where gradients are aggregated:
  /// with a gradient group of several ranks, every rank's gradients are summed here first.
  virtual void step(float lr_scale) = 0;
  /// Makes step() sum the gradients of every rank of group (each rank's own batches) before the update, so that
  /// all ranks apply the same one; nullptr (the default) or a group of one: this process's gradients alone.
  void set_gradient_group(Communicator* group) { gradient_group_ = group; }
  /// Frees what only training needs (optimiser moments, pending gradients); the encoder stays usable for inference.
  virtual void release_training_state() {}
  /// Model-file sections that restore this encoder through load_encoder().
  virtual Sections save() const = 0;

  /// Embeds every row of input into out (size() x dim()), in blocks.
  void embed_all(const EncoderInput& input, float* out) const;

 protected:
  Communicator* gradient_group_ = nullptr;  ///< see set_gradient_group
};

}  // namespace ngame
