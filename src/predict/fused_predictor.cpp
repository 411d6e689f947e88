#include "predict/fused_predictor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "core/dense_math.h"
#include "core/error.h"
#include "predict/graph_seeds.h"
#include "predict/label_ranker.h"
#include "predict/rank_features.h"

namespace ngame {

FusedPredictor::FusedPredictor(const Encoder& encoder, const std::vector<float>& label_embeddings,
                               const AnnIndex& label_index, const std::vector<float>* classifiers,
                               const AnnIndex* classifier_index, const MemoryScorer* memory,
                               const LexicalScorer* lexical, PredictorConfig config, std::vector<float> label_prior)
    : encoder_(encoder), label_embeddings_(label_embeddings), label_index_(label_index), classifiers_(classifiers),
      classifier_index_(classifier_index), memory_(memory), lexical_(lexical), config_(config),
      label_count_(label_embeddings.size() / encoder.dim()), label_prior_(std::move(label_prior)) {
  NGAME_CHECK(label_prior_.empty() || label_prior_.size() == label_count_, "one prior per label");
  if (classifiers_ && classifiers_->empty()) classifiers_ = nullptr;
  if (config_.shortlist == 0) config_.shortlist = kDefaultShortlist;
  NGAME_CHECK(!classifiers_ || classifiers_->size() == label_embeddings.size(), "one classifier per label");
}

CandidateSet FusedPredictor::candidates(const TextCorpus& texts, const FusionWeights& weights,
                                        const PredictorConfig& search, size_t min_shortlist) const {
  const size_t n = texts.size(), d = encoder_.dim();
  const std::vector<float> q = embed_texts(encoder_, texts);
  const uint32_t shortlist = search.shortlist > 0 ? search.shortlist : config_.shortlist;
  const size_t s = std::min<size_t>(std::max<size_t>(shortlist, min_shortlist), label_count_);
  const bool use_clf = classifiers_ && classifier_index_ && weights.weight[kClassifierScorer] != 0;
  const bool use_mem = memory_ && weights.weight[kMemoryScorer] != 0;
  const bool use_lex = lexical_ && weights.weight[kLexicalScorer] != 0;
  FeatureRows tfidf;  // featurised once: the lexical shortlist, the graph seeds and every candidate's lexical score
  if (lexical_) tfidf = lexical_->vectors(texts);
  // A graph's greedy walk from its entry point loses most of a text's nearest labels when they lie in several
  // regions (1M labels: recall@10 0.63); labels sharing a word with the text are starting points in those regions.
  std::vector<std::vector<uint32_t>> seeds;
  if (lexical_ && search.graph_seeds > 0 && label_index_.is_graph()) {
    seeds = lexical_graph_seeds(*lexical_, tfidf, q.data(), label_embeddings_, d, {.count = search.graph_seeds});
  }
  Neighbors by_embedding = label_index_.search_from(q.data(), n, s, seeds, search.ef_search);
  Neighbors by_classifier;
  if (use_clf) by_classifier = classifier_index_->search(q.data(), n, s, search.ef_search);
  std::vector<std::vector<std::pair<uint32_t, float>>> votes, lexical;
  // Seeding the memory graph with the label seeds' documents raised its recall@10 at 1M labels from 0.78 to 0.90;
  // off by default (README: Scale).
  if (use_mem) {
    const bool seeded = search.memory_seeds && !seeds.empty();
    votes = memory_->score(q.data(), n, seeded ? memory_->document_seeds(seeds) : std::vector<std::vector<uint32_t>>{},
                           search.memory_ef_search);
  }
  if (use_lex) lexical = lexical_->shortlist(tfidf, s);

  std::vector<std::vector<uint32_t>> rows(n);
  std::vector<std::vector<std::array<float, kScorerCount>>> row_scores(n);
#pragma omp parallel for schedule(dynamic, 64)
  for (size_t i = 0; i < n; ++i) {
    std::vector<uint32_t>& cand = rows[i];
    for (size_t r = 0; r < s; ++r) {
      if (by_embedding.ids[i * s + r] != UINT32_MAX) cand.push_back(by_embedding.ids[i * s + r]);
      if (use_clf && by_classifier.ids[i * s + r] != UINT32_MAX) cand.push_back(by_classifier.ids[i * s + r]);
    }
    if (use_mem) {
      for (auto [l, v] : votes[i]) cand.push_back(l);
    }
    if (use_lex) {
      for (auto [l, v] : lexical[i]) cand.push_back(l);
    }
    std::sort(cand.begin(), cand.end());
    cand.erase(std::unique(cand.begin(), cand.end()), cand.end());
    const float* qi = q.data() + i * d;
    auto& sc = row_scores[i];
    sc.resize(cand.size());
    for (size_t c = 0; c < cand.size(); ++c) {
      const uint32_t l = cand[c];
      sc[c][kEmbeddingScorer] = dot(qi, label_embeddings_.data() + static_cast<size_t>(l) * d, d);
      sc[c][kClassifierScorer] = classifiers_ ? dot(qi, classifiers_->data() + static_cast<size_t>(l) * d, d) : 0.0f;
      sc[c][kMemoryScorer] = 0.0f;
      if (use_mem) {
        auto it = std::lower_bound(votes[i].begin(), votes[i].end(), std::make_pair(l, -1e30f));
        if (it != votes[i].end() && it->first == l) sc[c][kMemoryScorer] = it->second;
      }
      sc[c][kLexicalScorer] = lexical_ ? lexical_->score(tfidf, i, l) : 0.0f;
      sc[c][kPriorScorer] = label_prior_.empty() ? 0.0f : label_prior_[l];
    }
  }
  CandidateSet out;
  for (size_t i = 0; i < n; ++i) {
    out.labels.insert(out.labels.end(), rows[i].begin(), rows[i].end());
    out.scores.insert(out.scores.end(), row_scores[i].begin(), row_scores[i].end());
    out.offsets.push_back(out.labels.size());
  }
  return out;
}

SparseMatrix FusedPredictor::rank(const CandidateSet& cands, const FusionWeights& weights, size_t k,
                                  Reranking reranking) const {
  const RankBooster* reranker = reranking.reranker && !reranking.reranker->empty() ? reranking.reranker : nullptr;
  const size_t window = reranking.window;
  SparseMatrix out;
  out.cols = label_count_;
  const size_t n = cands.size();
  RankRows features;
  std::vector<uint64_t> positions;
  if (reranker) features = rank_features(cands, weights, window, positions);
  const size_t keep = reranker ? std::max(k, window) : k;
  std::vector<std::vector<std::pair<float, uint32_t>>> top(n);
#pragma omp parallel for schedule(dynamic, 256)
  for (size_t i = 0; i < n; ++i) {
    auto& row = top[i];
    for (uint64_t c = cands.offsets[i]; c < cands.offsets[i + 1]; ++c) {
      float f = 0;
      for (size_t s = 0; s < kScorerCount; ++s) f += weights.weight[s] * cands.scores[c][s];
      row.emplace_back(f, cands.labels[c]);
    }
    const size_t take = std::min(keep, row.size());
    auto better = [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); };
    std::partial_sort(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(take), row.end(), better);
    row.resize(take);
    if (reranker) {
      // The feature rows of query i are its linear top `window`, in the same order as row's head.
      const uint64_t a = features.groups[i], b = features.groups[i + 1];
      float lowest = 0;
      for (uint64_t r = a; r < b; ++r) {
        row[r - a].first = reranker->score(features.values.data() + r * features.width);
        lowest = r == a ? row[0].first : std::min(lowest, row[r - a].first);
      }
      std::stable_sort(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(b - a),
                       [](const auto& x, const auto& y) { return x.first > y.first; });
      for (size_t p = b - a; p < row.size(); ++p) row[p].first = lowest - 1.0f - 1e-3f * static_cast<float>(p - (b - a));
      row.resize(std::min(k, row.size()));
    }
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
  // Every text is ranked on its own, so chunks give the same rows; the candidate sets of 500K texts at a time took
  // about 3 GB at 1M labels.
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
  NGAME_CHECK(!classifiers_ || classifiers_->size() == label_embeddings_.size(), "one classifier per label");
  label_count_ = label_count;
  if (!label_prior_.empty()) label_prior_.resize(label_count, 0.0f);
}

std::vector<float> label_prior_from_counts(const std::vector<uint64_t>& counts) {
  uint64_t max_count = 0;
  for (uint64_t c : counts) max_count = std::max(max_count, c);
  std::vector<float> prior(counts.size(), 0.0f);
  if (max_count == 0) return prior;
  const double scale = std::log1p(static_cast<double>(max_count));
  for (size_t l = 0; l < counts.size(); ++l) prior[l] = static_cast<float>(std::log1p(static_cast<double>(counts[l])) / scale);
  return prior;
}

}  // namespace ngame
