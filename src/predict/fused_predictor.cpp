#include "predict/fused_predictor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/best_first.h"
#include "core/dense_math.h"
#include "core/error.h"
#include "predict/graph_seeds.h"
#include "predict/label_ranker.h"
#include "predict/rank_features.h"

namespace ngame {

FusedPredictor::FusedPredictor(const Encoder& encoder, const std::vector<float>& label_embeddings,
                               const AnnIndex& label_index, std::array<const Scorer*, kScorerCount> scorers,
                               const LexicalScorer* lexical, PredictorConfig config)
    : encoder_(encoder), label_embeddings_(label_embeddings), label_index_(label_index), scorers_(scorers),
      lexical_(lexical), config_(config), label_count_(label_embeddings.size() / encoder.dim()) {
  if (config_.shortlist == 0) config_.shortlist = kDefaultShortlist;
}

void FusedPredictor::set_scorer(size_t slot, const Scorer* scorer) {
  NGAME_CHECK(slot < kScorerCount, "no scorer slot " + std::to_string(slot));
  scorers_[slot] = scorer;
}

CandidateSet FusedPredictor::candidates(const TextCorpus& texts, const FusionWeights& weights,
                                        const PredictorConfig& search, size_t min_shortlist) const {
  const size_t n = texts.size(), d = encoder_.dim();
  QueryBatch batch;
  batch.size = n;
  batch.dim = static_cast<uint32_t>(d);
  batch.embeddings = embed_texts(encoder_, texts);
  const uint32_t shortlist = search.shortlist > 0 ? search.shortlist : config_.shortlist;
  const size_t s = std::min<size_t>(std::max<size_t>(shortlist, min_shortlist), label_count_);
  // Featurised once: the lexical shortlist, the graph seeds and every candidate's lexical score read the rows with
  // the label words; the sparse classifiers the featurizer's own rows, as they were trained.
  FeatureRows tfidf, vocabulary;
  if (lexical_) {
    tfidf = lexical_->vectors(texts);
    batch.lexical = &tfidf;
    batch.tfidf = &tfidf;
    if (lexical_->holds_label_words(tfidf)) {  // rare: most batches need no second copy
      vocabulary = lexical_->vocabulary_rows(tfidf);
      batch.tfidf = &vocabulary;
    }
  }
  // A graph's greedy walk from its entry point loses most of a text's nearest labels when they lie in several
  // regions (bench_index_recall compares both walks); labels sharing a word with the text start walks in those regions.
  if (lexical_ && search.graph_seeds > 0 && label_index_.is_graph()) {
    batch.label_seeds = lexical_graph_seeds(*lexical_, tfidf, batch.embeddings.data(), label_embeddings_, d,
                                            {.count = search.graph_seeds});
  }
  std::array<std::unique_ptr<ScoredBatch>, kScorerCount> scored;
  for (size_t k = 0; k < kScorerCount; ++k) {
    if (scorers_[k]) scored[k] = scorers_[k]->score_batch(batch, s, weights.uses(k), search);
  }
  std::vector<std::vector<uint32_t>> rows(n);
  std::vector<std::vector<std::array<float, kScorerCount>>> row_scores(n);
#pragma omp parallel for schedule(dynamic, 64)
  for (size_t i = 0; i < n; ++i) {
    std::vector<uint32_t>& cand = rows[i];
    for (const auto& b : scored) {
      if (b) b->shortlist(i, cand);
    }
    std::sort(cand.begin(), cand.end());
    cand.erase(std::unique(cand.begin(), cand.end()), cand.end());
    auto& sc = row_scores[i];
    sc.assign(cand.size(), {});
    if (cand.empty()) continue;
    // One row of scores per candidate, rows back to back: a scorer's column is every kScorerCount-th float.
    static_assert(sizeof(std::array<float, kScorerCount>) == kScorerCount * sizeof(float));
    for (size_t k = 0; k < kScorerCount; ++k) {
      if (scored[k]) scored[k]->score_all(i, cand, sc.data()->data() + k, kScorerCount);
    }
  }
  CandidateSet out;
  if (lexical_) {
    out.words_unknown.resize(n);
    for (size_t i = 0; i < n; ++i) out.words_unknown[i] = !lexical_->knows_words(tfidf, i);
  }
  size_t total = 0;  // reserved at once: the arrays take about 100 MB for WordNet's test split
  for (const auto& r : rows) total += r.size();
  out.labels.reserve(total);
  out.scores.reserve(total);
  out.offsets.reserve(n + 1);
  for (size_t i = 0; i < n; ++i) {
    out.labels.insert(out.labels.end(), rows[i].begin(), rows[i].end());
    out.scores.insert(out.scores.end(), row_scores[i].begin(), row_scores[i].end());
    out.offsets.push_back(out.labels.size());
  }
  return out;
}

namespace {

// Moves the candidates of query i whose label text the query repeats (lexical term >= kOwnTextCosine) to the front
// of row (ranked, best first), in linear order among themselves, scored above the row's best. Such a label may sit
// below the cut to `keep`: all of query i's candidates are looked at. A user who sends a label's own text (a label
// just added, a catalogue entry typed in full) asks for that label; no validation row can teach a learned fusion
// that, because the fit's filter removes a row's own label (bench/results/2026-12-03-labels-without-training-rows.md).
void move_own_text_first(const CandidateSet& cands, size_t i, const FusionWeights& weights,
                         std::vector<std::pair<float, uint32_t>>& row) {
  std::vector<std::pair<float, uint32_t>> own;
  for (uint64_t c = cands.offsets[i]; c < cands.offsets[i + 1]; ++c) {
    if (cands.scores[c][kLexicalScorer] >= kOwnTextCosine) own.emplace_back(weights.blend(cands.scores[c]), cands.labels[c]);
  }
  if (own.empty()) return;
  std::sort(own.begin(), own.end(), BestFirst{});
  std::erase_if(row, [&](const auto& entry) {
    return std::any_of(own.begin(), own.end(), [&](const auto& o) { return o.second == entry.second; });
  });
  const float top = row.empty() ? 0.0f : row.front().first;
  for (size_t j = 0; j < own.size(); ++j) own[j].first = top + 1.0f + 1e-3f * static_cast<float>(own.size() - j);
  row.insert(row.begin(), own.begin(), own.end());
}

// Up to this many best candidates of a query are kept by insertion as they are blended, rather than sorted from all.
constexpr size_t kInsertionTopK = 32;

}  // namespace

SparseMatrix FusedPredictor::rank(const CandidateSet& cands, const FusionWeights& weights, size_t k,
                                  Reranking reranking) const {
  const RankBooster* reranker = reranking.reranker && !reranking.reranker->empty() ? reranking.reranker : nullptr;
  const size_t window = reranking.window;
  SparseMatrix out;
  out.cols = label_count_;
  const size_t n = cands.size();
  RankRows features;
  std::vector<uint64_t> positions;
  if (reranker) features = rank_features(cands, weights, window, positions, rank_feature_terms(reranker->width()));
  const size_t keep = reranker ? std::max(k, window) : k;
  std::vector<std::vector<std::pair<float, uint32_t>>> top(n);
#pragma omp parallel for schedule(dynamic, 256)
  for (size_t i = 0; i < n; ++i) {
    auto& row = top[i];
    const bool lexical_alone = reranking.words_unknown_lexical && i < cands.words_unknown.size() && cands.words_unknown[i];
    const uint64_t first = cands.offsets[i], last = cands.offsets[i + 1];
    const size_t take = std::min<size_t>(keep, last - first);
    const BestFirst better;
    const bool by_insertion = !lexical_alone && take <= kInsertionTopK;
    if (by_insertion) {
      // The best `take` kept in order as the candidates stream by: the same rows as sorting them all (the order is
      // total: a query's candidates are distinct labels; a NaN blend, which finite weights and terms do not give,
      // has no defined place either way), without holding them (the fusion's fit ranks the validation rows a few
      // thousand times).
      row.reserve(take);
      for (uint64_t c = first; c < last; ++c) {
        const std::pair<float, uint32_t> entry(weights.blend(cands.scores[c]), cands.labels[c]);
        if (row.size() == take) {
          if (take == 0 || !better(entry, row.back())) continue;
          row.pop_back();
        }
        row.insert(std::upper_bound(row.begin(), row.end(), entry, better), entry);
      }
    } else {
      row.reserve(last - first);
      for (uint64_t c = first; c < last; ++c) row.emplace_back(weights.blend(cands.scores[c]), cands.labels[c]);
    }
    if (lexical_alone) {
      // By the lexical term, then (candidates sharing nothing with the text: term 0) by the blend.
      std::vector<std::pair<float, size_t>> order(row.size());
      for (size_t c = 0; c < row.size(); ++c) order[c] = {cands.scores[cands.offsets[i] + c][kLexicalScorer], c};
      std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(take), order.end(),
                        [&](const auto& x, const auto& y) {
                          if (x.first != y.first) return x.first > y.first;
                          if (row[x.second].first != row[y.second].first) return row[x.second].first > row[y.second].first;
                          return row[x.second].second < row[y.second].second;
                        });
      std::vector<std::pair<float, uint32_t>> ranked(take);
      for (size_t j = 0; j < take; ++j) ranked[j] = {order[j].first, row[order[j].second].second};
      row = std::move(ranked);
    } else if (!by_insertion) {
      std::partial_sort(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(take), row.end(), better);
      row.resize(take);
    }
    if (reranker && !lexical_alone) {
      // The feature rows of query i are its linear top `window`, in the same order as row's head.
      const uint64_t a = features.groups[i], b = features.groups[i + 1];
      std::vector<float> reranked(b - a);
      reranker->score_rows(features.values.data() + a * features.width, b - a, reranked.data());
      float lowest = 0;
      for (uint64_t r = a; r < b; ++r) {
        row[r - a].first = reranked[r - a];
        lowest = r == a ? row[0].first : std::min(lowest, row[r - a].first);
      }
      const size_t n_window = b - a;
      if (weights.unseen && reranking.free_seats < n_window) {
        // The re-ranker's validation rows hold few relevant candidates without training rows (labels that play
        // unseen ones), and it ranks them below where the blend's own weights for them put them (docs/design.md,
        // Fusion, step 3; bench/results/2026-12-03-labels-without-training-rows.md).
        // Seats 0..free-1: the re-ranker's best of the whole window (ties: linear order). The rest keep their
        // linear order, except that the candidates with training rows among them are reordered by the re-ranker in
        // the places they hold: one without training rows keeps its place among the rest, and moves down only for a
        // candidate taken into a free seat from below it.
        // row[0..n_window) holds re-ranker scores in linear order.
        std::vector<uint32_t> by_score(n_window);
        std::iota(by_score.begin(), by_score.end(), 0u);
        std::stable_sort(by_score.begin(), by_score.end(), [&](uint32_t x, uint32_t y) { return row[x].first > row[y].first; });
        const size_t free_seats = reranking.free_seats;
        std::vector<uint8_t> picked(n_window, 0);
        std::vector<std::pair<float, uint32_t>> seated;
        seated.reserve(n_window);
        for (size_t f = 0; f < free_seats; ++f) {
          picked[by_score[f]] = 1;
          seated.push_back(row[by_score[f]]);
        }
        std::vector<size_t> places;                        // seats of the rest that hold a candidate with rows
        std::vector<std::pair<float, uint32_t>> movers;
        for (size_t p = 0; p < n_window; ++p) {
          if (picked[p]) continue;
          if (features.values[(a + p) * features.width + kPriorScorer] != 0.0f) {
            places.push_back(seated.size());
            movers.push_back(row[p]);
          }
          seated.push_back(row[p]);
        }
        std::stable_sort(movers.begin(), movers.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
        for (size_t j = 0; j < places.size(); ++j) seated[places[j]] = movers[j];
        std::copy(seated.begin(), seated.end(), row.begin());
        // Scores follow the seats: a kept seat's score is raised just above the next seat's where it fell below.
        for (size_t p = n_window - 1; p-- > 0;) row[p].first = std::max(row[p].first, row[p + 1].first + 1e-3f);
        lowest = row[n_window - 1].first;
      } else {
        std::stable_sort(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(n_window),
                         [](const auto& x, const auto& y) { return x.first > y.first; });
      }
      for (size_t p = b - a; p < row.size(); ++p) row[p].first = lowest - 1.0f - 1e-3f * static_cast<float>(p - (b - a));
    }
    if (reranking.own_text_first) move_own_text_first(cands, i, weights, row);
    row.resize(std::min(k, row.size()));
  }
  std::vector<uint32_t> ids;
  std::vector<float> vals;
  for (size_t i = 0; i < n; ++i) {
    ids.clear();
    vals.clear();
    for (auto [f, l] : top[i]) {
      ids.push_back(l);
      vals.push_back(f);
    }
    out.append_row(ids, vals);
  }
  return out;
}

SparseMatrix FusedPredictor::predict(const TextCorpus& texts, const FusionWeights& weights, size_t k,
                                     const PredictorConfig& search, Reranking reranking) const {
  const bool reranked = reranking.reranker && !reranking.reranker->empty();
  const size_t min_shortlist = std::max(k, reranked ? reranking.window : 0);
  if (texts.size() <= kPredictChunkTexts) {
    return rank(candidates(texts, weights, search, min_shortlist), weights, k, reranking);
  }
  // Every text is ranked on its own, so chunks give the same rows; the candidate sets of a whole test split at once
  // take gigabytes at 1M labels (bench/scale.sh records the peak RSS).
  SparseMatrix out;
  out.cols = label_count_;
  for (size_t begin = 0; begin < texts.size(); begin += kPredictChunkTexts) {
    const size_t end = std::min(texts.size(), begin + kPredictChunkTexts);
    TextCorpus chunk;
    for (size_t i = begin; i < end; ++i) chunk.push_back(texts[i]);
    const SparseMatrix part = rank(candidates(chunk, weights, search, min_shortlist), weights, k, reranking);
    for (uint64_t r = 0; r < part.rows; ++r) out.append_row(part.row_indices(r), part.row_values(r));
  }
  return out;
}

void FusedPredictor::labels_appended(size_t label_count) {
  NGAME_CHECK(label_count >= label_count_ && label_embeddings_.size() == label_count * encoder_.dim(),
              "labels can only be appended");
  label_count_ = label_count;
}

}  // namespace ngame
