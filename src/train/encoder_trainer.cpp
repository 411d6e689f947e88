#include "train/encoder_trainer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "core/dense_math.h"
#include "core/error.h"
#include "core/progress_bar.h"
#include "core/splitmix.h"
#include "core/topk_search.h"
#include "train/cosine_scores.h"
#include "train/shared_embedding.h"

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

// The rows of input that have labels in rows, embedded into their places of bank.
void embed_own_rows(const Encoder& encoder, const EncoderInput& input, const SparseMatrix& rows, float* bank) {
  std::vector<uint32_t> own;
  for (uint64_t r = 0; r < rows.rows; ++r) {
    if (rows.row_size(r) > 0) own.push_back(static_cast<uint32_t>(r));
  }
  const size_t d = encoder.dim();
  std::vector<float> block;
  for (size_t start = 0; start < own.size(); start += kEmbedBlockRows) {
    const std::span<const uint32_t> part(own.data() + start, std::min(kEmbedBlockRows, own.size() - start));
    block.resize(part.size() * d);
    encoder.embed(input, part, block.data());
    for (size_t i = 0; i < part.size(); ++i) std::copy_n(block.data() + i * d, d, bank + static_cast<size_t>(part[i]) * d);
  }
}

// The distinct labels of a batch's columns (in order of first appearance) and each column's place among them:
// documents of one cluster share labels (on WordNet half the columns repeat another once clusters are large), so
// each distinct label is embedded and back-propagated once and its columns share the vector.
struct DistinctLabels {
  std::vector<uint32_t> labels;
  std::vector<uint32_t> slot;  // of each column
};

DistinctLabels distinct_labels(const std::vector<uint32_t>& columns) {
  DistinctLabels out;
  out.slot.resize(columns.size());
  std::unordered_map<uint32_t, uint32_t> place;
  place.reserve(columns.size());
  for (size_t j = 0; j < columns.size(); ++j) {
    const auto [it, added] = place.try_emplace(columns[j], static_cast<uint32_t>(out.labels.size()));
    if (added) out.labels.push_back(columns[j]);
    out.slot[j] = it->second;
  }
  return out;
}

// Each column's row of distinct (one row per distinct label) copied into out (columns x d).
void expand_columns(const DistinctLabels& distinct, const float* rows, size_t d, float* out) {
  for (size_t j = 0; j < distinct.slot.size(); ++j) {
    std::copy_n(rows + static_cast<size_t>(distinct.slot[j]) * d, d, out + j * d);
  }
}

// The columns' gradients (columns x d) summed per distinct label, in column order, into out (distinct x d).
void sum_columns(const DistinctLabels& distinct, const float* grad_columns, size_t d, std::vector<float>& out) {
  out.assign(distinct.labels.size() * d, 0.0f);
  for (size_t j = 0; j < distinct.slot.size(); ++j) {
    float* to = out.data() + static_cast<size_t>(distinct.slot[j]) * d;
    const float* from = grad_columns + j * d;
    for (size_t c = 0; c < d; ++c) to[c] += from[c];
  }
}

}  // namespace

// One data-parallel step's forward and backward on this rank's batch, with every rank's label columns as the
// in-batch negatives (declared in the header): the label embeddings of all ranks' batches are gathered, each rank scores its own rows
// against all of them (the loss one process computes on the union of the batches, row for row), and the gradients
// of each label column go back to the rank that embedded it. Returns this rank's mean row loss (0 without rows);
// the parameters' gradients are left in the encoder for step().
double shared_batch_backward(Encoder& encoder, const EncoderInput& docs, const EncoderInput& labels,
                             const SparseMatrix& positives, const Batch& batch, const TripletLossConfig& loss_config,
                             float* memory_bank, Communicator& group) {
  const size_t d = encoder.dim();
  const size_t b = batch.docs.size();
  std::vector<uint32_t> columns(batch.positives.begin(), batch.positives.end());
  columns.insert(columns.end(), batch.extra_labels.begin(), batch.extra_labels.end());
  const size_t m = columns.size();
  std::vector<float> doc_emb(b * d), label_emb(m * d);
  const DistinctLabels distinct = distinct_labels(columns);
  std::unique_ptr<EncoderActivations> doc_act, label_act;
  if (b > 0) {
    doc_act = encoder.forward(docs, batch.docs, doc_emb.data());
    for (size_t i = 0; i < b; ++i) {
      if (memory_bank) std::copy_n(doc_emb.data() + i * d, d, memory_bank + static_cast<size_t>(batch.docs[i]) * d);
    }
  }
  if (m > 0) {
    std::vector<float> distinct_emb(distinct.labels.size() * d);
    label_act = encoder.forward(labels, distinct.labels, distinct_emb.data());
    expand_columns(distinct, distinct_emb.data(), d, label_emb.data());
  }
  // Every rank's rows count and columns: u64 rows, u64 m, m u32 label ids, m x d floats.
  constexpr size_t kHeader = 2 * sizeof(uint64_t);
  std::string payload(kHeader + m * sizeof(uint32_t) + m * d * sizeof(float), '\0');
  const uint64_t header[2] = {b, m};
  std::memcpy(payload.data(), header, kHeader);
  std::memcpy(payload.data() + kHeader, columns.data(), m * sizeof(uint32_t));
  std::memcpy(payload.data() + kHeader + m * sizeof(uint32_t), label_emb.data(), m * d * sizeof(float));
  std::vector<uint32_t> all_columns;
  std::vector<float> all_emb;
  std::vector<size_t> first_column;  // of each rank
  uint64_t all_rows = 0;
  for (const std::string_view part : group.all_gather(payload)) {
    uint64_t h[2] = {0, 0};
    if (part.size() >= kHeader) std::memcpy(h, part.data(), kHeader);
    const uint64_t n = h[1];
    if (part.size() < kHeader || n > part.size() / sizeof(uint32_t) ||
        part.size() != kHeader + n * (sizeof(uint32_t) + d * sizeof(float))) {
      throw RuntimeError("label columns of rank " + std::to_string(first_column.size()) + ": malformed payload");
    }
    all_rows += h[0];
    first_column.push_back(all_columns.size());
    all_columns.resize(all_columns.size() + n);
    std::memcpy(all_columns.data() + first_column.back(), part.data() + kHeader, n * sizeof(uint32_t));
    all_emb.resize(all_columns.size() * d);
    std::memcpy(all_emb.data() + first_column.back() * d, part.data() + kHeader + n * sizeof(uint32_t),
                n * d * sizeof(float));
  }
  const size_t total = all_columns.size();
  const size_t own = first_column[static_cast<size_t>(group.rank())];
  double loss = 0;
  std::vector<float> grad_all;  // d(loss of this rank's rows) / d(every column), total x d
  if (b > 0) {
    for (uint32_t l : all_columns) {
      if (l >= labels.size()) throw RuntimeError("label columns: label id out of range");
    }
    CosineScores cs = cosine_scores(doc_emb.data(), b, all_emb.data(), total, d);
    const std::vector<uint8_t> is_positive = positive_mask(positives, batch.docs, all_columns);
    std::vector<uint32_t> positive_col(b);
    for (size_t i = 0; i < b; ++i) positive_col[i] = static_cast<uint32_t>(own + i);
    std::vector<float> grad_scores(b * total);
    loss = triplet_loss(cs.scores.data(), b, total, positive_col.data(), is_positive, loss_config, grad_scores.data());
    // The loss is a mean over this rank's rows; weighted by its share of all ranks' rows, the ranks' gradients add
    // up to the gradient of the mean over the union (as one process's batch of all the rows).
    const float share = static_cast<float>(static_cast<double>(b) / static_cast<double>(all_rows));
    for (float& g : grad_scores) g *= share;
    std::vector<float> grad_docs(b * d);
    grad_all.resize(total * d);
    cosine_scores_backward(cs, grad_scores.data(), grad_docs.data(), grad_all.data());
    encoder.backward(*doc_act, grad_docs.data());
  }
  // Each column's gradient summed over the ranks (a rank without rows adds zeros) reaches only the rank that
  // embedded it: a reduce-scatter, so a rank receives its own columns from each other rank, not every column.
  if (grad_all.empty()) grad_all.assign(total * d, 0.0f);
  std::vector<size_t> counts(first_column.size());
  for (size_t r = 0; r < counts.size(); ++r) {
    counts[r] = ((r + 1 < first_column.size() ? first_column[r + 1] : total) - first_column[r]) * d;
  }
  const std::vector<float> grad_labels = group.reduce_scatter_sum(grad_all, counts);
  if (m > 0) {
    std::vector<float> grad_distinct;
    sum_columns(distinct, grad_labels.data(), d, grad_distinct);
    encoder.backward(*label_act, grad_distinct.data());
  }
  return loss;
}

SparseMatrix shard_of_rows(const SparseMatrix& labels, const Communicator& group) {
  SparseMatrix out;
  out.cols = labels.cols;
  uint64_t labelled = 0;
  for (uint64_t r = 0; r < labels.rows; ++r) {
    if (labels.row_size(r) > 0 && owns_row(labelled++, group.rank(), group.size())) {
      out.append_row(labels.row_indices(r), labels.row_values(r));
    } else {
      out.append_row({}, {});
    }
  }
  if (labelled < static_cast<uint64_t>(group.size())) {
    throw UsageError(std::to_string(labelled) + " labelled training rows cannot be shared by " +
                     std::to_string(group.size()) + " ranks");
  }
  return out;
}

uint32_t share_of_batch(uint32_t batch_size, const Communicator& group) {
  const auto ranks = static_cast<uint32_t>(group.size());
  if (batch_size < 2 * ranks) {
    throw UsageError("batch size " + std::to_string(batch_size) + " across " + std::to_string(ranks) +
                     " ranks: each rank needs at least 2 rows a step (batch size >= " + std::to_string(2 * ranks) + ")");
  }
  return (batch_size + ranks - 1) / ranks;
}

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
                                      const EpochCallback& on_epoch, Communicator* group) {
  config.validate();
  NGAME_CHECK(docs.size() == doc_labels.rows, "one label row per training document");
  NGAME_CHECK(labels.size() == doc_labels.cols, "one label text per label column");
  const size_t d = encoder.dim();
  const SparseMatrix positives = with_sorted_rows(doc_labels);  // binary-searchable rows
  const bool shared = group != nullptr && group->size() > 1;
  SparseMatrix shard;
  if (shared) shard = shard_of_rows(doc_labels, *group);
  const SparseMatrix& own_rows = shared ? shard : doc_labels;
  // A step trains on batch_size rows across the group: each rank takes batch_size / ranks of its shard, so that
  // steps an epoch and the schedule are one process's. Each rank shuffles its shard with its own stream; one
  // process keeps the seed as given.
  BatchingConfig batching = config.batching;
  if (shared) batching.batch_size = share_of_batch(batching.batch_size, *group);
  BatchSampler sampler(own_rows, batching,
                       shared ? splitmix64(config.seed + static_cast<uint64_t>(group->rank())) : config.seed);
  struct GroupScope {  // the encoder sums gradients over the group for this run only
    Encoder& encoder;
    GroupScope(Encoder& e, Communicator* g) : encoder(e) { encoder.set_gradient_group(g); }
    ~GroupScope() { encoder.set_gradient_group(nullptr); }
  } scope(encoder, shared ? group : nullptr);

  uint64_t trainable = 0;
  for (uint64_t r = 0; r < own_rows.rows; ++r) trainable += own_rows.row_size(r) > 0;
  // Every rank steps as often as the rank with the most rows (the schedule needs one total).
  const uint64_t most_rows = shared ? all_max(*group, trainable) : trainable;
  const uint64_t steps_per_epoch = (most_rows + batching.batch_size - 1) / batching.batch_size;
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
        if (!bank_filled) {
          if (shared) {
            embed_own_rows(encoder, docs, own_rows, memory_bank.data());  // a rank clusters its own rows only
          } else {
            encoder.embed_all(docs, memory_bank.data());
          }
        }
        const uint32_t clusters = sampler.recluster(epoch, memory_bank.data(), static_cast<uint32_t>(d));
        spdlog::debug("epoch {}: {} clusters in {:.2f} s", epoch + 1, clusters, seconds_since(t));
      }
      stats.clustering_seconds = seconds_since(t);
    } else if (sampler.grow_clusters(epoch)) {
      spdlog::debug("epoch {}: merged sibling clusters", epoch + 1);
    }
    stats.cluster_size = sampler.average_cluster_size();
    const std::vector<Batch> batches = sampler.epoch_batches(epoch);
    const CommunicationStats traffic_before = shared ? group->stats() : CommunicationStats{};
    // A rank whose shard has fewer batches this epoch takes part in the last steps with no gradient of its own.
    const uint64_t rounds = shared ? all_max(*group, batches.size()) : batches.size();
    const auto train_start = Clock::now();
    double loss_sum = 0;
    uint64_t docs_seen = 0;
    ProgressBar progress("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(config.epochs), trainable);
    std::vector<float> doc_emb, label_emb, distinct_emb, grad_docs, grad_labels, grad_distinct, grad_scores;
    std::vector<uint32_t> columns, positive_col;
    for (uint64_t round = 0; round < rounds; ++round) {
      if (shared) {
        // A rank whose shard has no batch left this round still takes part in the exchanges, with nothing.
        static const Batch kNoBatch;
        const double loss =
            shared_batch_backward(encoder, docs, labels, positives, round < batches.size() ? batches[round] : kNoBatch,
                                  config.loss, memory_bank.data(), *group);
        if (!std::isfinite(loss)) {
          throw RuntimeError("training diverged: loss is " + std::to_string(loss) + " at epoch " +
                             std::to_string(epoch + 1) + ", step " + std::to_string(step + 1));
        }
        encoder.step(linear_schedule(step, config.warmup_steps, total_steps));
        ++step;
        if (round < batches.size()) {
          loss_sum += loss;
          docs_seen += batches[round].docs.size();
          progress.add(batches[round].docs.size());
        }
        continue;
      }
      const Batch& batch = batches[round];
      const size_t b = batch.docs.size();
      columns.assign(batch.positives.begin(), batch.positives.end());
      columns.insert(columns.end(), batch.extra_labels.begin(), batch.extra_labels.end());
      const size_t m = columns.size();
      doc_emb.resize(b * d);
      label_emb.resize(m * d);
      auto doc_act = encoder.forward(docs, batch.docs, doc_emb.data());
      const DistinctLabels distinct = distinct_labels(columns);
      distinct_emb.resize(distinct.labels.size() * d);
      auto label_act = encoder.forward(labels, distinct.labels, distinct_emb.data());
      expand_columns(distinct, distinct_emb.data(), d, label_emb.data());
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
      sum_columns(distinct, grad_labels.data(), d, grad_distinct);
      encoder.backward(*label_act, grad_distinct.data());
      encoder.step(linear_schedule(step, config.warmup_steps, total_steps));
      ++step;
      loss_sum += loss;
      docs_seen += b;
      progress.add(b);
    }
    progress.finish();
    bank_filled = true;
    stats.steps = rounds;
    if (shared) {
      // The mean batch loss over every rank's batches (the same figure on every rank).
      const double all_batches = all_sum(*group, static_cast<double>(batches.size()));
      const double all_loss = all_sum(*group, loss_sum);
      stats.loss = all_batches > 0 ? all_loss / all_batches : 0.0;
      const CommunicationStats& now = group->stats();
      stats.bytes_sent = now.bytes_sent - traffic_before.bytes_sent;
      stats.bytes_received = now.bytes_received - traffic_before.bytes_received;
      stats.communication_seconds = now.seconds - traffic_before.seconds;
      stats.wait_seconds = now.wait_seconds - traffic_before.wait_seconds;
    } else {
      stats.loss = batches.empty() ? 0.0 : loss_sum / static_cast<double>(batches.size());
    }
    stats.docs_per_second = static_cast<double>(docs_seen) / std::max(1e-9, seconds_since(train_start));
    stats.seconds = seconds_since(epoch_start);
    stats.elapsed_seconds = seconds_since(start);
    history.push_back(stats);
    if (on_epoch) on_epoch(stats);
  }
  return history;
}

}  // namespace ngame
