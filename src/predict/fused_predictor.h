#pragma once
// The full ngame predictor: shortlists from the label embeddings (M1), the classifiers (M4), the memory of training
// documents and the label texts' TF-IDF; every candidate gets all four scores, fused by a weighted sum whose
// weights are fitted on a validation split carved from the training data.
#include <array>
#include <nlohmann/json.hpp>
#include <vector>

#include "data/sparse_matrix.h"
#include "data/text_corpus.h"
#include "encoder/encoder.h"
#include "index/ann_index.h"
#include "model/fusion_record.h"
#include "predict/lexical_scorer.h"
#include "predict/memory_scorer.h"
#include "predict/rank_booster.h"
#include "predict/scorer.h"
#include "predict/search_params.h"

namespace ngame {

/// Candidate labels of many queries with the score of every scorer (0 when a scorer does not apply).
struct CandidateSet {
  std::vector<uint64_t> offsets{0};
  std::vector<uint32_t> labels;
  std::vector<std::array<float, kScorerCount>> scores;
  /// Per query, 1 when its text has no word of the vocabulary (empty: none such); see Reranking::words_unknown.
  std::vector<uint8_t> words_unknown;
  size_t size() const { return offsets.size() - 1; }
};

/// Seats at the top that the re-ranker fills from every candidate (see Reranking::free_seats): on WordNet, fewer
/// cost P@5, more give back the top-5 places of labels without training rows (bench/results/2026-12-03-labels-without-training-rows.md).
inline constexpr size_t kRerankerFreeSeats = 4;

/// How the linear fusion's order is changed: a re-ranker over its top `window` candidates (none: reranker null),
/// then, with own_text_first, the candidates whose label text the query repeats (lexical term >= kOwnTextCosine)
/// moved to the front, in linear order among themselves.
struct Reranking {
  const RankBooster* reranker = nullptr;
  size_t window = 0;
  bool own_text_first = false;
  /// Queries whose text has no word of the vocabulary (CandidateSet::words_unknown) ranked by the lexical term
  /// alone: their embeddings carry nothing the encoder learnt, which the fitted weights do not know.
  bool words_unknown_lexical = false;
  /// With weights for candidates without training rows (FusionWeights::unseen): the seats the re-ranker fills
  /// from every candidate; below them the rest keep their linear order, those with training rows reordered by the
  /// re-ranker in the places they hold.
  size_t free_seats = kRerankerFreeSeats;
};

/// predict() works through its texts this many at a time (candidate sets are the bulk of its memory).
inline constexpr size_t kPredictChunkTexts = 16384;

/// Everything a prediction needs; pointers may be null / empty for missing stages.
class FusedPredictor {
 public:
  /// scorers: one per slot (null: absent), owned by the caller; lexical (may be null) featurises every batch for
  /// the graph seeds and the scorers that read TF-IDF rows. label_embeddings and label_index give the seeds.
  FusedPredictor(const Encoder& encoder, const std::vector<float>& label_embeddings, const AnnIndex& label_index,
                 std::array<const Scorer*, kScorerCount> scorers, const LexicalScorer* lexical,
                 PredictorConfig config);
  /// Puts a scorer into a slot (null: none); it takes part in shortlists and fusion from the next call on. Not
  /// while predictions run; the scorer must outlive this.
  void set_scorer(size_t slot, const Scorer* scorer);
  /// Candidates and their scores for each text; scorers whose weight is 0 add no shortlist. Each shortlist holds
  /// max(search.shortlist, min_shortlist) labels (search.shortlist 0: the constructor's).
  CandidateSet candidates(const TextCorpus& texts, const FusionWeights& weights, const PredictorConfig& search,
                          size_t min_shortlist = 0) const;
  /// The same with the constructor's search settings.
  CandidateSet candidates(const TextCorpus& texts, const FusionWeights& weights, size_t min_shortlist = 0) const {
    return candidates(texts, weights, config_, min_shortlist);
  }
  /// Top-k labels by fused score (ties by lower label id), as a texts x labels score matrix. With a re-ranker set,
  /// the top `window` of the linear fusion are reordered by the re-ranker's score (which becomes their score);
  /// candidates below the window follow in linear order, with scores below the window's. With own_text_first,
  /// repeats of the text's own words lead, scored above every other candidate.
  SparseMatrix rank(const CandidateSet& candidates, const FusionWeights& weights, size_t k,
                    Reranking reranking) const;
  /// The same with the re-ranker set by set_reranker.
  SparseMatrix rank(const CandidateSet& candidates, const FusionWeights& weights, size_t k) const {
    return rank(candidates, weights, k, reranking_);
  }
  /// The re-ranker rank() and predict() use unless given one (null or empty: none). It must outlive this.
  void set_reranker(const RankBooster* reranker, size_t window) { reranking_ = {reranker, window}; }
  /// Takes note of labels appended to the label arrays (live addition; the scorers are told by their owner).
  void labels_appended(size_t label_count);
  /// Number of labels.
  size_t label_count() const { return label_count_; }
  /// The settings in use (shortlist resolved).
  const PredictorConfig& config() const { return config_; }
  /// candidates + rank, in chunks of kPredictChunkTexts texts.
  SparseMatrix predict(const TextCorpus& texts, const FusionWeights& weights, size_t k, const PredictorConfig& search,
                       Reranking reranking) const;
  /// The same with the constructor's search settings and the re-ranker set by set_reranker.
  SparseMatrix predict(const TextCorpus& texts, const FusionWeights& weights, size_t k) const {
    return predict(texts, weights, k, config_, reranking_);
  }

 private:
  const Encoder& encoder_;
  const std::vector<float>& label_embeddings_;
  const AnnIndex& label_index_;
  std::array<const Scorer*, kScorerCount> scorers_;
  const LexicalScorer* lexical_;
  PredictorConfig config_;
  size_t label_count_;
  Reranking reranking_;
};

}  // namespace ngame
