#include "train/encoder_trainer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/dense_math.h"
#include "core/error.h"
#include "core/progress_bar.h"
#include "core/topk_search.h"
#include "train/cosine_scores.h"

namespace ngame {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// ann mode: for each training row, the nearest labels that are not its positives.
std::vector<uint32_t> mine_hard_negatives(const Encoder& encoder, const EncoderInput& docs, const EncoderInput& labels,
                                          const SparseMatrix& sorted_labels, uint32_t candidates) {
  const size_t d = encoder.dim();
  std::vector<float> doc_emb(docs.size() * d), label_emb(labels.size() * d);
  encoder.embed_all(docs, doc_emb.data());
  encoder.embed_all(labels, label_emb.data());
  normalize_rows(doc_emb.data(), docs.size(), d);
  normalize_rows(label_emb.data(), labels.size(), d);
  const size_t k = std::min<size_t>(labels.size(), candidates + 16);
  std::vector<uint32_t> ids;
  std::vector<float> scores;
  exact_topk(doc_emb.data(), docs.size(), label_emb.data(), labels.size(), d, k, ids, scores);
  std::vector<uint32_t> out(docs.size() * candidates, UINT32_MAX);
  for (size_t i = 0; i < docs.size(); ++i) {
    auto pos = sorted_labels.row_indices(i);
    size_t taken = 0;
    for (size_t r = 0; r < k && taken < candidates; ++r) {
      const uint32_t l = ids[i * k + r];
      if (l == UINT32_MAX || std::binary_search(pos.begin(), pos.end(), l)) continue;
      out[i * candidates + taken++] = l;
    }
  }
  return out;
}

}  // namespace

void EncoderTrainConfig::validate() const {
  NGAME_CHECK(epochs >= 1, "epochs must be >= 1");
  batching.validate();
  loss.validate();
}

float linear_schedule(uint64_t step, uint64_t warmup, uint64_t total) {
  if (warmup > 0 && step < warmup) return static_cast<float>(step + 1) / static_cast<float>(warmup);
  if (total <= warmup) return 1.0f;
  const double remaining = static_cast<double>(total - std::min(step, total)) / static_cast<double>(total - warmup);
  return static_cast<float>(std::max(0.0, remaining));
}

std::vector<EpochStats> train_encoder(Encoder& encoder, const EncoderInput& docs, const SparseMatrix& doc_labels,
                                      const EncoderInput& labels, const EncoderTrainConfig& config,
                                      const EpochCallback& on_epoch) {
  config.validate();
  NGAME_CHECK(docs.size() == doc_labels.rows, "one label row per training document");
  NGAME_CHECK(labels.size() == doc_labels.cols, "one label text per label column");
  const size_t d = encoder.dim();
  const SparseMatrix positives = with_sorted_rows(doc_labels);  // binary-searchable rows
  BatchSampler sampler(doc_labels, config.batching, config.seed);

  uint64_t trainable = 0;
  for (uint64_t r = 0; r < doc_labels.rows; ++r) trainable += doc_labels.row_size(r) > 0;
  const uint64_t steps_per_epoch = (trainable + config.batching.batch_size - 1) / config.batching.batch_size;
  const uint64_t total_steps = steps_per_epoch * config.epochs;

  // Memory bank: each document's embedding from its latest forward pass (NGAME clusters on these, at no cost).
  std::vector<float> memory_bank(docs.size() * d, 0.0f);
  bool bank_filled = false;

  std::vector<EpochStats> history;
  const auto start = Clock::now();
  uint64_t step = 0;
  for (uint32_t epoch = 0; epoch < config.epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    EpochStats stats;
    stats.epoch = epoch;
    if (sampler.needs_refresh(epoch)) {
      const auto t = Clock::now();
      if (config.batching.mode == BatchingMode::kAnn) {
        sampler.set_hard_negatives(
            mine_hard_negatives(encoder, docs, labels, positives, config.batching.ann_candidates));
      } else {
        if (!bank_filled) encoder.embed_all(docs, memory_bank.data());
        const uint32_t clusters = sampler.recluster(epoch, memory_bank.data(), static_cast<uint32_t>(d));
        spdlog::debug("epoch {}: {} clusters in {:.2f} s", epoch + 1, clusters, seconds_since(t));
      }
      stats.clustering_seconds = seconds_since(t);
    } else if (sampler.grow_clusters(epoch)) {
      spdlog::debug("epoch {}: merged sibling clusters", epoch + 1);
    }
    stats.cluster_size = sampler.average_cluster_size();
    const std::vector<Batch> batches = sampler.epoch_batches(epoch);
    const auto train_start = Clock::now();
    double loss_sum = 0;
    uint64_t docs_seen = 0;
    ProgressBar progress("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(config.epochs), trainable);
    std::vector<float> doc_emb, label_emb, grad_docs, grad_labels, grad_scores;
    std::vector<uint32_t> columns, positive_col;
    for (const Batch& batch : batches) {
      const size_t b = batch.docs.size();
      columns.assign(batch.positives.begin(), batch.positives.end());
      columns.insert(columns.end(), batch.extra_labels.begin(), batch.extra_labels.end());
      const size_t m = columns.size();
      doc_emb.resize(b * d);
      label_emb.resize(m * d);
      auto doc_act = encoder.forward(docs, batch.docs, doc_emb.data());
      auto label_act = encoder.forward(labels, columns, label_emb.data());
      for (size_t i = 0; i < b; ++i) std::copy_n(doc_emb.data() + i * d, d, memory_bank.data() + static_cast<size_t>(batch.docs[i]) * d);

      CosineScores cs = cosine_scores(doc_emb.data(), b, label_emb.data(), m, d);
      // A column is masked for row i when its label is any positive of document i (in-batch false negatives).
      const std::vector<uint8_t> is_positive = positive_mask(positives, batch.docs, columns);
      positive_col.resize(b);
      for (size_t i = 0; i < b; ++i) positive_col[i] = static_cast<uint32_t>(i);
      grad_scores.resize(b * m);
      const double loss = triplet_loss(cs.scores.data(), b, m, positive_col.data(), is_positive, config.loss,
                                       grad_scores.data());
      if (!std::isfinite(loss)) {
        throw RuntimeError("training diverged: loss is " + std::to_string(loss) + " at epoch " +
                           std::to_string(epoch + 1) + ", step " + std::to_string(step + 1));
      }
      grad_docs.resize(b * d);
      grad_labels.resize(m * d);
      cosine_scores_backward(cs, grad_scores.data(), grad_docs.data(), grad_labels.data());
      encoder.backward(*doc_act, grad_docs.data());
      encoder.backward(*label_act, grad_labels.data());
      encoder.step(linear_schedule(step, config.warmup_steps, total_steps));
      ++step;
      loss_sum += loss;
      docs_seen += b;
      progress.add(b);
    }
    progress.finish();
    bank_filled = true;
    stats.loss = batches.empty() ? 0.0 : loss_sum / static_cast<double>(batches.size());
    stats.docs_per_second = static_cast<double>(docs_seen) / std::max(1e-9, seconds_since(train_start));
    stats.seconds = seconds_since(epoch_start);
    stats.elapsed_seconds = seconds_since(start);
    history.push_back(stats);
    if (on_epoch) on_epoch(stats);
  }
  return history;
}

}  // namespace ngame
