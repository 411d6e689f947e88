// The scorers of the fusion, one registration each: which slot, built from which parts of the model.
#include "encoder/bow_encoder.h"
#include "model/model_store.h"
#include "predict/lexical_scorer.h"
#include "predict/memory_scorer.h"
#include "predict/prior_scorer.h"
#include "predict/sparse_classifier_scorer.h"
#include "predict/scorer.h"
#include "predict/vector_scorer.h"

namespace ngame {

ScorerSet make_scorers(const ModelParts& m) {
  ScorerSet set;
  // Every prediction starts from the label embeddings' shortlist, walked from the text's lexical seeds too.
  set.slots[kEmbeddingScorer] = std::make_unique<VectorScorer>(m.label_embeddings, m.label_index.get(), true, true);
  if (!m.classifiers.empty()) {
    set.slots[kClassifierScorer] = std::make_unique<VectorScorer>(m.classifiers, m.classifier_index.get(), false, false);
  }
  if (!m.memory_embeddings.empty() && m.memory_index) {
    auto memory = std::make_unique<MemoryScorer>(m.memory_labels, *m.memory_index, MemoryScorerConfig{}, &m.memory_embeddings);
    set.memory = memory.get();
    set.slots[kMemoryScorer] = std::move(memory);
  }
  // The lexical scorer reuses the bag-of-embeddings featurizer (word and bigram TF-IDF); other encoders go without.
  if (const auto* bow = dynamic_cast<const BowEncoder*>(m.encoder.get()); bow && !m.classifiers.empty()) {
    auto lexical = std::make_unique<LexicalScorer>(bow->featurizer(), m.label_texts);
    set.lexical = lexical.get();
    set.slots[kLexicalScorer] = std::move(lexical);
  }
  // The sparse classifiers read the lexical scorer's TF-IDF rows of each batch.
  if (set.lexical && !m.sparse_classifiers.empty()) {
    set.slots[kSparseScorer] = std::make_unique<SparseClassifierScorer>(m.sparse_classifiers);
  }
  if (m.memory_labels.rows > 0) {
    set.slots[kPriorScorer] = std::make_unique<PriorScorer>(label_prior_from_counts(m.memory_labels.column_counts()));
  }
  return set;
}

}  // namespace ngame
