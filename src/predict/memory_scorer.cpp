#include "predict/memory_scorer.h"

#include <algorithm>
#include <cmath>

#include "core/best_first.h"
#include "core/dense_math.h"
#include "core/error.h"

namespace ngame {

MemoryScorer::MemoryScorer(const SparseMatrix& doc_labels, const AnnIndex& index, MemoryScorerConfig config,
                           const std::vector<float>* doc_vectors)
    : labels_(doc_labels), index_(index), config_(config), vectors_(doc_vectors) {
  NGAME_CHECK(index_.size() == labels_.rows, "memory index size does not match its documents");
  NGAME_CHECK(!vectors_ || vectors_->size() == labels_.rows * index_.dim(), "memory vectors do not match its documents");
}

std::vector<std::vector<uint32_t>> MemoryScorer::document_seeds(const std::vector<std::vector<uint32_t>>& label_lists,
                                                                size_t labels) const {
  std::call_once(seed_index_built_, [this] { build_seed_index(); });
  std::vector<std::vector<uint32_t>> out(label_lists.size());
  for (size_t q = 0; q < label_lists.size(); ++q) {
    for (size_t r = 0; r < std::min(labels, label_lists[q].size()); ++r) {
      const uint32_t l = label_lists[q][r];
      if (l >= labels_.cols) continue;  // a label added after training has no documents
      out[q].insert(out[q].end(), seed_documents_.begin() + static_cast<std::ptrdiff_t>(seed_offsets_[l]),
                    seed_documents_.begin() + static_cast<std::ptrdiff_t>(seed_offsets_[l + 1]));
    }
  }
  return out;
}

void MemoryScorer::build_seed_index() const {
  std::vector<uint64_t> count(labels_.cols + 1, 0);
  for (uint32_t l : labels_.indices) count[l + 1] = std::min<uint64_t>(count[l + 1] + 1, kSeedDocumentsPerLabel);
  for (size_t l = 0; l < labels_.cols; ++l) count[l + 1] += count[l];
  seed_offsets_ = count;
  seed_documents_.resize(count.back());
  std::vector<uint64_t> next(count.begin(), count.end() - 1);
  for (uint64_t doc = 0; doc < labels_.rows; ++doc) {
    for (uint32_t l : labels_.row_indices(doc)) {
      if (next[l] < seed_offsets_[l + 1]) seed_documents_[next[l]++] = static_cast<uint32_t>(doc);
    }
  }
}

std::vector<std::vector<std::pair<uint32_t, float>>> MemoryScorer::score(
    const float* queries, size_t nq, const std::vector<std::vector<uint32_t>>& seeds, uint32_t ef) const {
  std::vector<std::vector<std::pair<uint32_t, float>>> out(nq);
  if (labels_.rows == 0) return out;
  const size_t k = std::min<size_t>(config_.neighbors, labels_.rows);
  Neighbors nb = index_.search_from(queries, nq, k, seeds, ef);
  const size_t d = index_.dim();
#pragma omp parallel for schedule(static)
  for (size_t q = 0; q < nq; ++q) {
    if (vectors_ && index_.is_graph()) {
      // The softmax's temperature magnifies score errors 20-fold: the documents found are scored exactly, best first.
      std::vector<std::pair<float, uint32_t>> found;
      for (size_t r = 0; r < k && nb.ids[q * k + r] != UINT32_MAX; ++r) {
        const uint32_t doc = nb.ids[q * k + r];
        found.emplace_back(dot(queries + q * d, vectors_->data() + static_cast<size_t>(doc) * d, d), doc);
      }
      std::sort(found.begin(), found.end(), BestFirst{});
      for (size_t r = 0; r < found.size(); ++r) {
        nb.scores[q * k + r] = found[r].first;
        nb.ids[q * k + r] = found[r].second;
      }
    }
    const float best = nb.scores[q * k];
    double total = 0;
    std::vector<std::pair<uint32_t, float>>& votes = out[q];
    for (size_t r = 0; r < k; ++r) {
      const uint32_t doc = nb.ids[q * k + r];
      if (doc == UINT32_MAX) break;
      const auto w = static_cast<float>(std::exp((nb.scores[q * k + r] - best) / config_.temperature));
      total += w;
      for (uint32_t l : labels_.row_indices(doc)) votes.emplace_back(l, w);
    }
    std::sort(votes.begin(), votes.end());
    size_t kept = 0;
    for (size_t i = 0; i < votes.size(); ++i) {
      if (kept > 0 && votes[kept - 1].first == votes[i].first) {
        votes[kept - 1].second += votes[i].second;
      } else {
        votes[kept++] = votes[i];
      }
    }
    votes.resize(kept);
    for (auto& v : votes) v.second = static_cast<float>(v.second / total);
  }
  return out;
}

namespace {

class MemoryVotes final : public ScoredBatch {
 public:
  explicit MemoryVotes(std::vector<std::vector<std::pair<uint32_t, float>>> votes) : votes_(std::move(votes)) {}
  void shortlist(size_t i, std::vector<uint32_t>& out) const override {
    if (votes_.empty()) return;
    for (auto [label, vote] : votes_[i]) out.push_back(label);
  }
  float score(size_t i, uint32_t label) const override {
    if (votes_.empty()) return 0.0f;
    auto it = std::lower_bound(votes_[i].begin(), votes_[i].end(), std::make_pair(label, -1e30f));
    return it != votes_[i].end() && it->first == label ? it->second : 0.0f;
  }

 private:
  std::vector<std::vector<std::pair<uint32_t, float>>> votes_;  // per text, sorted by label; empty: not wanted
};

}  // namespace

std::unique_ptr<ScoredBatch> MemoryScorer::score_batch(const QueryBatch& batch, size_t, bool wanted,
                                                       const PredictorConfig& search) const {
  if (!wanted) return std::make_unique<MemoryVotes>(std::vector<std::vector<std::pair<uint32_t, float>>>{});
  // Seeding the memory graph with the label seeds' documents raises its recall at 1M labels but not test P@1, so it
  // is off by default (bench_index_recall's memory_seeded; docs/scale.md).
  const bool seeded = search.memory_seeds && !batch.label_seeds.empty();
  return std::make_unique<MemoryVotes>(score(batch.embeddings.data(), batch.size,
                                             seeded ? document_seeds(batch.label_seeds)
                                                    : std::vector<std::vector<uint32_t>>{},
                                             search.memory_ef_search));
}

}  // namespace ngame
