#include "batching/batch_sampler.h"

#include <algorithm>
#include <numeric>

#include "batching/balanced_kmeans.h"
#include "core/dense_math.h"
#include "core/error.h"

namespace ngame {

BatchingMode parse_batching_mode(const std::string& name) {
  if (name == "ngame") return BatchingMode::kNgame;
  if (name == "random") return BatchingMode::kRandom;
  if (name == "ann") return BatchingMode::kAnn;
  throw UsageError("unknown batching mode '" + name + "' (ngame, random or ann)");
}

std::string batching_mode_name(BatchingMode mode) {
  switch (mode) {
    case BatchingMode::kNgame:
      return "ngame";
    case BatchingMode::kRandom:
      return "random";
    case BatchingMode::kAnn:
      return "ann";
  }
  return "?";
}

void BatchingConfig::validate() const {
  NGAME_CHECK(batch_size >= 2, "batch size must be >= 2");
  NGAME_CHECK(initial_cluster_size >= 1, "initial cluster size must be >= 1");
  NGAME_CHECK(refresh_interval >= 1, "refresh interval must be >= 1");
  NGAME_CHECK(ann_candidates >= 1, "ann candidates must be >= 1");
  NGAME_CHECK(std::is_sorted(curriculum_epochs.begin(), curriculum_epochs.end()), "curriculum epochs must be sorted");
}

uint32_t BatchingConfig::cluster_size(uint32_t epoch) const {
  uint32_t size = initial_cluster_size;
  for (uint32_t e : curriculum_epochs) {
    if (epoch >= e && size < (1u << 30)) size *= 2;
  }
  return size;
}

BatchSampler::BatchSampler(const SparseMatrix& labels, BatchingConfig config, uint64_t seed)
    : labels_(labels), config_(std::move(config)), seed_(seed) {
  config_.validate();
  for (uint64_t r = 0; r < labels_.rows; ++r) {
    if (labels_.row_size(r) > 0) trainable_.push_back(static_cast<uint32_t>(r));
  }
  NGAME_CHECK(!trainable_.empty(), "no training row has a label");
}

bool BatchSampler::needs_refresh(uint32_t epoch) const {
  switch (config_.mode) {
    case BatchingMode::kRandom:
      return false;
    case BatchingMode::kAnn:
      return epoch % config_.refresh_interval == 0;
    case BatchingMode::kNgame: {
      if (config_.cluster_size(epoch) <= 1) return false;
      if (clusters_.empty()) return true;
      // Periodic refresh counted from the epoch clustering started; growth in between merges siblings.
      uint32_t first = 0;
      while (config_.cluster_size(first) <= 1) ++first;
      return (epoch - first) % config_.refresh_interval == 0;
    }
  }
  return false;
}

uint32_t BatchSampler::recluster(uint32_t epoch, const float* doc_embeddings, uint32_t dim) {
  const auto n = static_cast<uint32_t>(trainable_.size());
  std::vector<float> x(static_cast<size_t>(n) * dim);
  for (uint32_t i = 0; i < n; ++i) std::copy_n(doc_embeddings + static_cast<size_t>(trainable_[i]) * dim, dim, x.data() + static_cast<size_t>(i) * dim);
  normalize_rows(x.data(), n, dim);
  const uint32_t count = cluster_count_for_size(n, config_.cluster_size(epoch));
  auto clusters = balanced_kmeans(x.data(), n, dim, count, seed_ * 1000003ULL + epoch);
  for (auto& c : clusters) {
    for (uint32_t& member : c) member = trainable_[member];
  }
  clusters_ = std::move(clusters);
  return count;
}

bool BatchSampler::grow_clusters(uint32_t epoch) {
  if (config_.mode != BatchingMode::kNgame || clusters_.empty()) return false;
  const auto n = static_cast<uint32_t>(trainable_.size());
  const uint32_t target = cluster_count_for_size(n, config_.cluster_size(epoch));
  bool merged = false;
  while (clusters_.size() > target && clusters_.size() % 2 == 0) {
    std::vector<std::vector<uint32_t>> parents(clusters_.size() / 2);
    for (size_t c = 0; c < parents.size(); ++c) {
      parents[c] = std::move(clusters_[2 * c]);
      parents[c].insert(parents[c].end(), clusters_[2 * c + 1].begin(), clusters_[2 * c + 1].end());
    }
    clusters_ = std::move(parents);
    merged = true;
  }
  return merged;
}

void BatchSampler::set_hard_negatives(std::vector<uint32_t> candidates) {
  NGAME_CHECK(candidates.size() == labels_.rows * config_.ann_candidates, "one candidate list per training row");
  hard_negatives_ = std::move(candidates);
}

double BatchSampler::average_cluster_size() const {
  if (clusters_.empty() || config_.mode != BatchingMode::kNgame) return 1.0;
  return static_cast<double>(trainable_.size()) / static_cast<double>(clusters_.size());
}

std::vector<Batch> BatchSampler::epoch_batches(uint32_t epoch) {
  std::mt19937_64 rng(seed_ * 7919ULL + epoch);
  std::vector<uint32_t> order;
  order.reserve(trainable_.size());
  if (config_.mode == BatchingMode::kNgame && !clusters_.empty()) {
    std::vector<uint32_t> cluster_order(clusters_.size());
    std::iota(cluster_order.begin(), cluster_order.end(), 0u);
    std::shuffle(cluster_order.begin(), cluster_order.end(), rng);
    for (uint32_t c : cluster_order) order.insert(order.end(), clusters_[c].begin(), clusters_[c].end());
  } else {
    order = trainable_;
    std::shuffle(order.begin(), order.end(), rng);
  }
  std::vector<Batch> batches;
  for (size_t start = 0; start < order.size(); start += config_.batch_size) {
    Batch b;
    const size_t end = std::min(order.size(), start + config_.batch_size);
    b.docs.assign(order.begin() + static_cast<std::ptrdiff_t>(start), order.begin() + static_cast<std::ptrdiff_t>(end));
    for (uint32_t doc : b.docs) {
      auto ids = labels_.row_indices(doc);
      std::uniform_int_distribution<size_t> pick(0, ids.size() - 1);
      b.positives.push_back(ids[pick(rng)]);
      if (config_.mode == BatchingMode::kAnn && !hard_negatives_.empty()) {
        const uint32_t* cands = hard_negatives_.data() + static_cast<size_t>(doc) * config_.ann_candidates;
        std::uniform_int_distribution<uint32_t> pick_neg(0, config_.ann_candidates - 1);
        const uint32_t neg = cands[pick_neg(rng)];
        if (neg != UINT32_MAX) b.extra_labels.push_back(neg);
      }
    }
    batches.push_back(std::move(b));
  }
  return batches;
}

}  // namespace ngame
