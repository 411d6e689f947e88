#include "train/classifier_trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>

#include "core/dense_math.h"
#include "core/error.h"
#include "core/splitmix.h"
#include "core/progress_bar.h"
#include "encoder/adam.h"
#include "train/cosine_scores.h"
#include "train/encoder_trainer.h"
#include "train/triplet_loss.h"

namespace ngame {

namespace {

// Every rank's columns of a step (its rows' positives) joined into columns, on every rank; returns this rank's
// share of the step's rows (its gradient's weight).
double unite_columns(Communicator& group, size_t rows, size_t labels, std::vector<uint32_t>& columns) {
  std::string mine(sizeof(uint64_t) + columns.size() * sizeof(uint32_t), '\0');
  const uint64_t own_rows = rows;
  std::memcpy(mine.data(), &own_rows, sizeof(own_rows));
  std::memcpy(mine.data() + sizeof(own_rows), columns.data(), columns.size() * sizeof(uint32_t));
  columns.clear();
  uint64_t all_rows = 0;
  for (const std::string_view part : group.all_gather(mine)) {
    if (part.size() < sizeof(uint64_t) || (part.size() - sizeof(uint64_t)) % sizeof(uint32_t) != 0) {
      throw RuntimeError("classifier columns: malformed payload");
    }
    uint64_t r = 0;
    std::memcpy(&r, part.data(), sizeof(r));
    all_rows += r;
    const size_t n = (part.size() - sizeof(uint64_t)) / sizeof(uint32_t);
    const size_t at = columns.size();
    columns.resize(at + n);
    std::memcpy(columns.data() + at, part.data() + sizeof(uint64_t), n * sizeof(uint32_t));
  }
  for (uint32_t l : columns) {
    if (l >= labels) throw RuntimeError("classifier columns: label id out of range");
  }
  return all_rows > 0 ? static_cast<double>(rows) / static_cast<double>(all_rows) : 0.0;
}

}  // namespace

void ClassifierTrainConfig::validate() const {
  NGAME_CHECK(epochs >= 1, "classifier epochs must be >= 1");
  NGAME_CHECK(lr > 0, "classifier learning rate must be > 0");
  NGAME_CHECK(dropout >= 0 && dropout < 1, "dropout must be in [0, 1)");
  batching.validate();
  loss.validate();
}

std::vector<float> train_classifiers(const std::vector<float>& doc_embeddings, const SparseMatrix& doc_labels,
                                     const std::vector<float>& label_embeddings, uint32_t dim,
                                     const ClassifierTrainConfig& config,
                                     const std::function<void(const ClassifierEpochStats&)>& on_epoch,
                                     Communicator* group) {
  config.validate();
  const size_t d = dim, labels = doc_labels.cols;
  NGAME_CHECK(doc_embeddings.size() == doc_labels.rows * d, "one embedding per training row");
  NGAME_CHECK(label_embeddings.size() == labels * d, "one embedding per label");
  std::vector<float> w = label_embeddings;  // classifier rows start at the label embeddings
  AdamState adam(w.size());
  AdamConfig adam_config{.lr = config.lr};
  const SparseMatrix sorted = with_sorted_rows(doc_labels);
  // Several ranks: each batches its own shard (batch_size / N rows), the step's columns are the union of every
  // rank's, and the ranks' gradients of those columns are summed (weighted by their rows) before the same update.
  const bool shared = group != nullptr && group->size() > 1;
  BatchingConfig batching = config.batching;
  SparseMatrix shard;
  if (shared) {
    batching.batch_size = share_of_batch(batching.batch_size, *group);
    shard = shard_of_rows(doc_labels, *group);
  }
  const SparseMatrix& own_rows = shared ? shard : doc_labels;
  const uint64_t stream = shared ? splitmix64(static_cast<uint64_t>(group->rank()) + 1) : 0;
  BatchSampler sampler(own_rows, batching, config.seed ^ 0x4d34ULL ^ stream);
  uint64_t trainable = 0;
  for (uint64_t r = 0; r < own_rows.rows; ++r) trainable += own_rows.row_size(r) > 0;
  const uint64_t most_rows = shared ? all_max(*group, trainable) : trainable;
  const uint64_t total_steps = config.epochs * ((most_rows + batching.batch_size - 1) / batching.batch_size);
  uint64_t step = 0;
  std::mt19937_64 rng(config.seed ^ 0xd409ULL ^ stream);
  std::vector<float> x, wu, grad_x, grad_w, grad_scores, row_grad(d);
  std::vector<uint32_t> columns;
  for (uint32_t epoch = 0; epoch < config.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    if (sampler.needs_refresh(epoch)) {
      sampler.recluster(epoch, doc_embeddings.data(), dim);  // frozen embeddings: clusters of the encoder's space
    } else {
      sampler.grow_clusters(epoch);
    }
    ClassifierEpochStats stats;
    stats.epoch = epoch;
    stats.cluster_size = sampler.average_cluster_size();
    const std::vector<Batch> batches = sampler.epoch_batches(epoch);
    const uint64_t rounds = shared ? all_max(*group, batches.size()) : batches.size();
    ProgressBar progress("classifiers " + std::to_string(epoch + 1) + "/" + std::to_string(config.epochs), trainable);
    double loss_sum = 0;
    static const Batch kNoBatch;
    for (uint64_t round = 0; round < rounds; ++round) {
      const Batch& batch = round < batches.size() ? batches[round] : kNoBatch;
      const size_t b = batch.docs.size();
      // The batch's label set: the union of its documents' positives (with several ranks, of every rank's).
      columns.clear();
      for (uint32_t doc : batch.docs) {
        auto ids = sorted.row_indices(doc);
        columns.insert(columns.end(), ids.begin(), ids.end());
      }
      double share = 1.0;
      if (shared) share = unite_columns(*group, b, labels, columns);
      std::sort(columns.begin(), columns.end());
      columns.erase(std::unique(columns.begin(), columns.end()), columns.end());
      const size_t m = columns.size();
      double loss = 0;
      if (shared && b == 0) {
        grad_w.assign(m * d, 0.0f);  // no rows of its own this step: it takes part in the shared columns' update
      } else {
        x.resize(b * d);
        std::bernoulli_distribution keep(1.0 - config.dropout);
        for (size_t i = 0; i < b; ++i) {
          const float* src = doc_embeddings.data() + static_cast<size_t>(batch.docs[i]) * d;
          for (size_t j = 0; j < d; ++j) x[i * d + j] = keep(rng) ? src[j] : 0.0f;  // scale is irrelevant to cosines
        }
        wu.resize(m * d);
        for (size_t c = 0; c < m; ++c) std::copy_n(w.data() + static_cast<size_t>(columns[c]) * d, d, wu.data() + c * d);
        CosineScores cs = cosine_scores(x.data(), b, wu.data(), m, d);
        const std::vector<uint8_t> is_positive = positive_mask(sorted, batch.docs, columns);
        grad_scores.resize(b * m);
        loss = classifier_loss(cs.scores.data(), b, m, is_positive, config.loss, grad_scores.data());
        if (!std::isfinite(loss)) throw RuntimeError("classifier training diverged at epoch " + std::to_string(epoch + 1));
        grad_x.resize(b * d);
        grad_w.resize(m * d);
        cosine_scores_backward(cs, grad_scores.data(), grad_x.data(), grad_w.data());
      }
      if (shared) {
        for (float& g : grad_w) g *= static_cast<float>(share);
        all_sum_in_place(*group, grad_w);
      }
      ++step;
      const float lr_scale = linear_schedule(step - 1, config.warmup_steps, total_steps);
      const AdamStepSizes sizes = sparse_adam_step_sizes(adam_config, lr_scale, step);
#pragma omp parallel for schedule(static)
      for (size_t c = 0; c < m; ++c) {
        const size_t offset = static_cast<size_t>(columns[c]) * d;
        adam_update(w.data() + offset, grad_w.data() + c * d, adam, offset, d, adam_config, sizes);
      }
      loss_sum += loss;
      progress.add(b);
    }
    progress.finish();
    stats.loss = batches.empty() ? 0 : loss_sum / static_cast<double>(batches.size());
    if (shared) {
      const double all_batches = all_sum(*group, static_cast<double>(batches.size()));
      stats.loss = all_batches > 0 ? all_sum(*group, loss_sum) / all_batches : 0.0;
    }
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (on_epoch) on_epoch(stats);
  }
  normalize_rows(w.data(), labels, d);
  return w;
}

}  // namespace ngame
