#pragma once
// One source of label scores in the fusion: for a batch of texts it may add a shortlist of labels per text, and it
// scores any label exactly. The fused predictor asks every registered scorer, unions their shortlists and weighs
// their scores. Adding a scorer: a class implementing Scorer in its own file, a ScorerId slot (model/fusion_record.h)
// and one line in make_scorers (predict/scorer_registry.cpp).
#include <array>
#include <memory>
#include <span>
#include <vector>

#include "model/fusion_record.h"
#include "predict/search_params.h"
#include "text/featurizer.h"

namespace ngame {

struct ModelParts;

/// What every scorer may read about one batch of texts, computed once for all of them.
struct QueryBatch {
  size_t size = 0;                                  ///< texts in the batch
  uint32_t dim = 0;                                 ///< embedding dimension
  std::vector<float> embeddings;                    ///< size x dim, unit rows
  const FeatureRows* tfidf = nullptr;               ///< TF-IDF rows, unit length (null when the model has no featurizer)
  const FeatureRows* lexical = nullptr;             ///< the same with the words only label texts hold (LexicalScorer)
  std::vector<std::vector<uint32_t>> label_seeds;   ///< per text, labels sharing its words (empty: none)
};

/// One scorer's answers for a batch; read from several threads at once.
class ScoredBatch {
 public:
  virtual ~ScoredBatch() = default;
  /// Appends text i's shortlisted labels to out (nothing when the scorer adds no shortlist).
  virtual void shortlist(size_t i, std::vector<uint32_t>& out) const = 0;
  /// The score of `label` for text i (0 when it does not apply).
  virtual float score(size_t i, uint32_t label) const = 0;
  /// score(i, labels[c]) into out[c * stride] for every c; labels are sorted and distinct. A scorer overrides it
  /// when scoring a text's candidates together is cheaper, with the same values.
  virtual void score_all(size_t i, std::span<const uint32_t> labels, float* out, size_t stride) const {
    for (size_t c = 0; c < labels.size(); ++c) out[c * stride] = score(i, labels[c]);
  }
};

/// A source of label scores: one slot of the fusion.
class Scorer {
 public:
  virtual ~Scorer() = default;
  /// Scores a batch with shortlists of `shortlist` labels; `wanted` is false when the fusion gives the scorer
  /// weight 0 (it may then skip its shortlist and costly scores).
  virtual std::unique_ptr<ScoredBatch> score_batch(const QueryBatch& batch, size_t shortlist, bool wanted,
                                                   const PredictorConfig& search) const = 0;
  /// Takes note of labels appended to the model (live addition).
  virtual void labels_appended(size_t label_count) { (void)label_count; }
};

class LexicalScorer;
class MemoryScorer;

/// The scorers of a model by slot (null where the model lacks that stage), and typed views of the two that serve
/// more than the fusion (the lexical scorer featurises every batch; the memory scorer's seeds serve benchmarks).
struct ScorerSet {
  std::array<std::unique_ptr<Scorer>, kScorerCount> slots;
  LexicalScorer* lexical = nullptr;  ///< slots[kLexicalScorer] when the model has one
  MemoryScorer* memory = nullptr;    ///< slots[kMemoryScorer] when the model has one
};

/// The scorers over a model (which must outlive them).
ScorerSet make_scorers(const ModelParts& model);

}  // namespace ngame
