#pragma once
// One sparse linear classifier per label over the featurizer's sparse features (L2-normalised TF-IDF of word
// unigrams and hashed bigrams), with a bias: what a label's own rows say about exact tokens, which a 256-d
// embedding blurs. Weights are stored per label in CSR form with sorted feature ids; labels without training rows
// (and labels added after training) have no weights (kNoClassifierScore).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ngame {

/// The term of a label without classifier: the margin the squared hinge loss asks of a negative. At 0 (the margin
/// of a text the classifier knows nothing about) such labels outranked most trained candidates, whose margins are
/// negative, and labels added to a model entered the top 10 of 38% of unrelated texts in the API test.
inline constexpr float kNoClassifierScore = -1.0f;

/// A label with at most this many weights per text feature is scanned by margin() (SparseText); longer ones are
/// searched, one binary search per text feature.
inline constexpr size_t kScanPerTextFeature = 32;

/// A text's sparse features (ids sorted) with a 4096-bit membership filter over them: a label's weights are then
/// scanned in order with one bit test each, instead of one binary search per text feature, whose mispredicted
/// branches made the sparse scorer a quarter of WordNet's prediction time.
struct SparseText {
  SparseText(const uint32_t* text_ids, const float* text_weights, size_t text_size);
  /// False when the text surely lacks feature id (true: it may hold it).
  bool may_hold(uint32_t id) const { return (filter[(id >> 6) & 63] >> (id & 63)) & 1; }
  const uint32_t* ids;
  const float* weights;
  size_t size;
  std::array<uint64_t, 64> filter{};
};

/// Per-label sparse weights and biases.
struct SparseClassifiers {
  uint32_t feature_count = 0;         ///< feature ids are below this (the featurizer's feature_count())
  std::vector<uint64_t> offsets{0};   ///< label l's weights are [offsets[l], offsets[l + 1])
  std::vector<uint32_t> ids;          ///< feature ids, sorted within a label
  std::vector<float> weights;         ///< weight of each id
  std::vector<float> bias;            ///< one per label
  std::vector<uint8_t> trained;       ///< 1 where the label had training rows (0: no classifier)

  /// Number of labels covered (labels at or above it have no classifier).
  size_t label_count() const { return bias.size(); }
  /// True when no label has a classifier.
  bool empty() const { return bias.empty(); }
  /// Whether label l has a trained classifier.
  bool has(uint32_t l) const { return l < trained.size() && trained[l]; }
  /// The margin of label l for a text's features (ids sorted): bias + dot product; 0 for a label without classifier.
  float margin(const SparseText& text, uint32_t l) const;
  /// The fusion's term: the margin, and kNoClassifierScore for a label without classifier.
  float score(const SparseText& text, uint32_t l) const { return has(l) ? margin(text, l) : kNoClassifierScore; }
  /// Appends label l's weights (sorted ids) with its bias; trained says whether it has a classifier.
  void append(const std::vector<uint32_t>& label_ids, const std::vector<float>& label_weights, float label_bias,
              bool label_trained);
  /// The same classifiers with the given labels' removed (as if they had no training rows).
  SparseClassifiers without(const std::vector<uint32_t>& sorted_labels) const;
  /// Serialised form (a container section's payload) covering at least `labels` labels (those past label_count(),
  /// added after training, without classifier) / restored from one; restore checks every id, length and value and
  /// throws InputError naming context.
  std::string save(size_t labels = 0) const;
  static SparseClassifiers load(std::string_view payload, const std::string& context, size_t labels,
                                uint32_t features);
};

}  // namespace ngame
