#include "encoder/bow_encoder.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/binary_io.h"
#include "core/communicator.h"
#include "core/dense_math.h"
#include "core/error.h"
#include "text/word_vectors.h"

namespace ngame {

namespace {

class BowInput final : public EncoderInput {
 public:
  explicit BowInput(FeatureRows rows) : rows_(std::move(rows)) {}
  size_t size() const override { return rows_.size(); }
  const FeatureRows& rows() const { return rows_; }

 private:
  FeatureRows rows_;
};

struct BowActivations final : EncoderActivations {
  const BowInput* input = nullptr;
  std::vector<uint32_t> rows;
  std::vector<float> h;  // pooled, n x dim
  std::vector<float> a;  // pre-activation of the block, n x hidden
};

const BowInput& as_bow(const EncoderInput& input) {
  const auto* bow = dynamic_cast<const BowInput*>(&input);
  NGAME_CHECK(bow != nullptr, "input was not prepared by a BowEncoder");
  return *bow;
}

void fill_normal(std::vector<float>& v, size_t begin, size_t end, float stddev, std::mt19937_64& rng) {
  std::normal_distribution<float> dist(0.0f, stddev);
  for (size_t i = begin; i < end; ++i) v[i] = dist(rng);
}

}  // namespace

void BowEncoderConfig::validate() const {
  NGAME_CHECK(dim >= 1 && dim <= 4096, "dim must be in [1, 4096]");
  NGAME_CHECK(hidden <= 16384, "hidden must be <= 16384");
  NGAME_CHECK(embedding_lr > 0 && dense_lr > 0, "learning rates must be positive");
  NGAME_CHECK(weight_decay >= 0, "weight decay must be >= 0");
}

BowEncoder::BowEncoder(Featurizer featurizer, BowEncoderConfig config, uint64_t seed)
    : featurizer_(std::move(featurizer)), config_(config) {
  config_.validate();
  const size_t d = config_.dim, h = config_.hidden, v = featurizer_.feature_count();
  std::mt19937_64 rng(seed);
  embeddings_.assign(v * d, 0.0f);
  fill_normal(embeddings_, 0, static_cast<size_t>(featurizer_.unigram_count()) * d, 1.0f / std::sqrt(float(d)), rng);
  w1_.assign(d * h, 0.0f);
  fill_normal(w1_, 0, w1_.size(), std::sqrt(2.0f / float(d)), rng);
  b1_.assign(h, 0.0f);
  w2_.assign(h * d, 0.0f);
  // A small output layer: the block starts close to the identity, so training starts from the plain mean.
  if (h > 0) fill_normal(w2_, 0, w2_.size(), 0.1f / std::sqrt(float(h)), rng);
  b2_.assign(h > 0 ? d : 0, 0.0f);
  gw1_.assign(w1_.size(), 0.0f);
  gb1_.assign(b1_.size(), 0.0f);
  gw2_.assign(w2_.size(), 0.0f);
  gb2_.assign(b2_.size(), 0.0f);
}

std::unique_ptr<EncoderInput> BowEncoder::prepare(const TextCorpus& texts) const {
  return std::make_unique<BowInput>(featurizer_.featurize_all(texts));
}

void BowEncoder::pool(const EncoderInput& input, std::span<const uint32_t> rows, float* h) const {
  const FeatureRows& f = as_bow(input).rows();
  const size_t d = config_.dim;
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < rows.size(); ++i) {
    NGAME_ASSERT(rows[i] < f.size());
    float* out = h + i * d;
    std::fill(out, out + d, 0.0f);
    for (uint64_t p = f.offsets[rows[i]]; p < f.offsets[rows[i] + 1]; ++p) {
      add_scaled_to(out, f.weights[p], embeddings_.data() + static_cast<size_t>(f.ids[p]) * d, d);
    }
  }
}

void BowEncoder::block_forward(const float* h, size_t n, float* a, float* out) const {
  const size_t d = config_.dim, hd = config_.hidden;
  std::memcpy(out, h, n * d * sizeof(float));
  if (hd == 0) return;
  // a = h W1 + b1; out = h + relu(a) W2 + b2.
  for (size_t i = 0; i < n; ++i) std::memcpy(a + i * hd, b1_.data(), hd * sizeof(float));
  gemm(false, false, n, hd, d, 1.0f, h, d, w1_.data(), hd, 1.0f, a, hd);
  std::vector<float> r(n * hd);
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n * hd; ++i) r[i] = a[i] > 0 ? a[i] : 0.0f;
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < d; ++j) out[i * d + j] += b2_[j];
  }
  gemm(false, false, n, d, hd, 1.0f, r.data(), hd, w2_.data(), d, 1.0f, out, d);
}

void BowEncoder::embed(const EncoderInput& input, std::span<const uint32_t> rows, float* out) const {
  std::vector<float> h(rows.size() * config_.dim), a(rows.size() * config_.hidden);
  pool(input, rows, h.data());
  block_forward(h.data(), rows.size(), a.data(), out);
}

std::unique_ptr<EncoderActivations> BowEncoder::forward(const EncoderInput& input, std::span<const uint32_t> rows,
                                                        float* out) {
  auto act = std::make_unique<BowActivations>();
  act->input = &as_bow(input);
  act->rows.assign(rows.begin(), rows.end());
  act->h.resize(rows.size() * config_.dim);
  act->a.resize(rows.size() * config_.hidden);
  pool(input, rows, act->h.data());
  block_forward(act->h.data(), rows.size(), act->a.data(), out);
  return act;
}

void BowEncoder::backward(const EncoderActivations& activations, const float* grad_out) {
  const auto* act = dynamic_cast<const BowActivations*>(&activations);
  NGAME_CHECK(act != nullptr, "activations do not come from a BowEncoder");
  const size_t n = act->rows.size(), d = config_.dim, hd = config_.hidden;
  std::vector<float> dh(grad_out, grad_out + n * d);  // the residual path
  if (hd > 0) {
    std::vector<float> r(n * hd), da(n * hd);
    for (size_t i = 0; i < n * hd; ++i) r[i] = act->a[i] > 0 ? act->a[i] : 0.0f;
    gemm(true, false, hd, d, n, 1.0f, r.data(), hd, grad_out, d, 1.0f, gw2_.data(), d);  // dW2 += R^T dY
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < d; ++j) gb2_[j] += grad_out[i * d + j];
    }
    gemm(false, true, n, hd, d, 1.0f, grad_out, d, w2_.data(), d, 0.0f, da.data(), hd);  // dR = dY W2^T
    for (size_t i = 0; i < n * hd; ++i) {
      if (act->a[i] <= 0) da[i] = 0.0f;
    }
    gemm(true, false, d, hd, n, 1.0f, act->h.data(), d, da.data(), hd, 1.0f, gw1_.data(), hd);  // dW1 += H^T dA
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < hd; ++j) gb1_[j] += da[i * hd + j];
    }
    gemm(false, true, n, d, hd, 1.0f, da.data(), hd, w1_.data(), hd, 1.0f, dh.data(), d);  // dH += dA W1^T
  }
  // Embedding rows: remembered as (feature, weight, dH row) and summed per feature in step().
  const FeatureRows& f = act->input->rows();
  const auto buffer = static_cast<uint32_t>(pending_dh_.size());
  pending_dh_.push_back(std::move(dh));
  for (size_t i = 0; i < n; ++i) {
    for (uint64_t p = f.offsets[act->rows[i]]; p < f.offsets[act->rows[i] + 1]; ++p) {
      pending_.push_back({f.ids[p], f.weights[p], buffer, static_cast<uint32_t>(i)});
    }
  }
}

void BowEncoder::step(float lr_scale) {
  if (step_count_ == 0) {
    // Optimiser moments are allocated on the first step, so inference-only encoders do not pay for them.
    embedding_adam_ = AdamState(embeddings_.size());
    w1_adam_ = AdamState(w1_.size());
    b1_adam_ = AdamState(b1_.size());
    w2_adam_ = AdamState(w2_.size());
    b2_adam_ = AdamState(b2_.size());
  }
  ++step_count_;
  const size_t d = config_.dim;
  Communicator* group = gradient_group_ != nullptr && gradient_group_->size() > 1 ? gradient_group_ : nullptr;
  if (group) sum_dense_gradients(*group);
  AdamConfig dense{.lr = config_.dense_lr, .weight_decay = config_.weight_decay};
  AdamConfig sparse{.lr = config_.embedding_lr};
  // Dense parameters: AdamW.
  const std::pair<std::vector<float>*, std::pair<std::vector<float>*, AdamState*>> dense_params[] = {
      {&w1_, {&gw1_, &w1_adam_}}, {&b1_, {&gb1_, &b1_adam_}}, {&w2_, {&gw2_, &w2_adam_}}, {&b2_, {&gb2_, &b2_adam_}}};
  for (const auto& [param, grad_state] : dense_params) {
    auto [grad, state] = grad_state;
    adamw_update(param->data(), grad->data(), *state, 0, param->size(), dense, lr_scale, step_count_);
    std::fill(grad->begin(), grad->end(), 0.0f);
  }
  // Embedding rows: group contributions by feature, sum, then lazy Adam on each touched row (in parallel: every
  // group owns its row).
  std::sort(pending_.begin(), pending_.end(), [](const PendingRow& a, const PendingRow& b) {
    return a.feature < b.feature || (a.feature == b.feature && (a.buffer < b.buffer || (a.buffer == b.buffer && a.row < b.row)));
  });
  std::vector<size_t> group_starts;
  for (size_t i = 0; i < pending_.size(); ++i) {
    if (i == 0 || pending_[i].feature != pending_[i - 1].feature) group_starts.push_back(i);
  }
  group_starts.push_back(pending_.size());
  const size_t groups = group_starts.size() - 1;
  const AdamStepSizes sizes = sparse_adam_step_sizes(sparse, lr_scale, step_count_);
  if (group) {
    step_shared_rows(*group, group_starts, sparse, sizes);
    return;
  }
#pragma omp parallel
  {
    std::vector<float> grad(d);
#pragma omp for schedule(dynamic, 64)
    for (size_t g = 0; g < groups; ++g) {
      std::fill(grad.begin(), grad.end(), 0.0f);
      for (size_t p = group_starts[g]; p < group_starts[g + 1]; ++p) {
        const PendingRow& c = pending_[p];
        const float* dh = pending_dh_[c.buffer].data() + static_cast<size_t>(c.row) * d;
        add_scaled_to(grad.data(), c.weight, dh, d);
      }
      const size_t offset = static_cast<size_t>(pending_[group_starts[g]].feature) * d;
      adam_update(embeddings_.data() + offset, grad.data(), embedding_adam_, offset, d, sparse, sizes);
    }
  }
  pending_.clear();
  pending_dh_.clear();
}

void BowEncoder::sum_dense_gradients(Communicator& group) {
  std::vector<float> all;
  all.reserve(gw1_.size() + gb1_.size() + gw2_.size() + gb2_.size());
  for (const auto* g : {&gw1_, &gb1_, &gw2_, &gb2_}) all.insert(all.end(), g->begin(), g->end());
  all_sum_in_place(group, all);
  size_t at = 0;
  for (auto* g : {&gw1_, &gb1_, &gw2_, &gb2_}) {
    std::copy_n(all.begin() + static_cast<std::ptrdiff_t>(at), g->size(), g->begin());
    at += g->size();
  }
}

// The embedding rows of a data-parallel step: each rank sums its own contributions per touched feature, the ranks
// exchange those rows (ids and rows: traffic grows with the rows the batches touch, never with the vocabulary),
// and every rank adds them in rank order and applies the same lazy Adam update to the same rows.
// Payload: u64 n, n u32 feature ids, n x dim float rows (a multiple of 4 bytes, so every rank's rows stay aligned
// in the gathered buffer).
void BowEncoder::step_shared_rows(Communicator& group, const std::vector<size_t>& group_starts,
                                  const AdamConfig& sparse, const AdamStepSizes& sizes) {
  const size_t d = config_.dim;
  const uint64_t groups = group_starts.size() - 1;
  const size_t ids_at = sizeof(uint64_t), rows_at = ids_at + groups * sizeof(uint32_t);
  exchange_payload_.resize(rows_at + groups * d * sizeof(float));
  char* payload = exchange_payload_.data();
  std::memcpy(payload, &groups, sizeof(groups));
  auto* own_rows = reinterpret_cast<float*>(payload + rows_at);
#pragma omp parallel for schedule(dynamic, 64)
  for (size_t g = 0; g < groups; ++g) {
    std::memcpy(payload + ids_at + g * sizeof(uint32_t), &pending_[group_starts[g]].feature, sizeof(uint32_t));
    float* grad = own_rows + g * d;
    std::fill(grad, grad + d, 0.0f);
    for (size_t p = group_starts[g]; p < group_starts[g + 1]; ++p) {
      const PendingRow& c = pending_[p];
      add_scaled_to(grad, c.weight, pending_dh_[c.buffer].data() + static_cast<size_t>(c.row) * d, d);
    }
  }
  pending_.clear();
  pending_dh_.clear();
  const std::vector<std::string_view> all = group.all_gather(exchange_payload_);
  // (feature, rank, row) of every rank's rows, sorted by feature with the ranks in order.
  struct Entry {
    uint32_t feature;
    uint32_t rank;
    uint32_t row;
  };
  std::vector<Entry> entries;
  std::vector<const float*> rank_rows(all.size());
  for (size_t r = 0; r < all.size(); ++r) {
    const std::string_view bytes = all[r];
    uint64_t n = 0;
    if (bytes.size() >= sizeof(n)) std::memcpy(&n, bytes.data(), sizeof(n));
    const size_t at = sizeof(n) + std::min<uint64_t>(n, bytes.size()) * sizeof(uint32_t);
    if (bytes.size() < sizeof(n) || n > bytes.size() / sizeof(uint32_t) || bytes.size() != at + n * d * sizeof(float) ||
        reinterpret_cast<uintptr_t>(bytes.data() + at) % alignof(float) != 0) {
      throw RuntimeError("gradient rows of rank " + std::to_string(r) + ": malformed exchange payload");
    }
    rank_rows[r] = reinterpret_cast<const float*>(bytes.data() + at);
    for (uint64_t i = 0; i < n; ++i) {
      uint32_t feature;
      std::memcpy(&feature, bytes.data() + sizeof(n) + i * sizeof(uint32_t), sizeof(feature));
      if (feature >= featurizer_.feature_count()) {
        throw RuntimeError("gradient rows of rank " + std::to_string(r) + ": feature id out of range");
      }
      entries.push_back({feature, static_cast<uint32_t>(r), static_cast<uint32_t>(i)});
    }
  }
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.feature < b.feature; });
  std::vector<size_t> starts;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i == 0 || entries[i].feature != entries[i - 1].feature) starts.push_back(i);
  }
  starts.push_back(entries.size());
  const size_t merged = starts.size() - 1;
#pragma omp parallel
  {
    std::vector<float> grad(d);
#pragma omp for schedule(dynamic, 64)
    for (size_t g = 0; g < merged; ++g) {
      std::fill(grad.begin(), grad.end(), 0.0f);
      for (size_t e = starts[g]; e < starts[g + 1]; ++e) {
        const float* row = rank_rows[entries[e].rank] + static_cast<size_t>(entries[e].row) * d;
        for (size_t j = 0; j < d; ++j) grad[j] += row[j];
      }
      const size_t offset = static_cast<size_t>(entries[starts[g]].feature) * d;
      adam_update(embeddings_.data() + offset, grad.data(), embedding_adam_, offset, d, sparse, sizes);
    }
  }
}

void BowEncoder::release_training_state() {
  embedding_adam_ = AdamState();
  w1_adam_ = AdamState();
  b1_adam_ = AdamState();
  w2_adam_ = AdamState();
  b2_adam_ = AdamState();
  pending_ = {};
  pending_dh_ = {};
  exchange_payload_ = {};
  step_count_ = 0;  // a later step() allocates fresh moments
}

std::vector<std::pair<float*, size_t>> BowEncoder::dense_parameters() {
  return {{w1_.data(), w1_.size()}, {b1_.data(), b1_.size()}, {w2_.data(), w2_.size()}, {b2_.data(), b2_.size()}};
}

std::vector<std::vector<float>> BowEncoder::dense_gradients() const { return {gw1_, gb1_, gw2_, gb2_}; }

std::vector<float> BowEncoder::embedding_gradient_dense() const {
  const size_t d = config_.dim;
  std::vector<float> g(embeddings_.size(), 0.0f);
  for (const PendingRow& c : pending_) {
    const float* dh = pending_dh_[c.buffer].data() + static_cast<size_t>(c.row) * d;
    for (size_t j = 0; j < d; ++j) g[static_cast<size_t>(c.feature) * d + j] += c.weight * dh[j];
  }
  return g;
}

size_t BowEncoder::init_from_vectors(const WordVectors& vectors, uint64_t seed) {
  const size_t d = config_.dim, vd = vectors.dim();
  // Random Gaussian projection vd -> d when the sizes differ (Johnson-Lindenstrauss keeps cosines).
  std::vector<float> projection;
  if (vd != d) {
    std::mt19937_64 rng(seed ^ 0x5eedULL);
    projection.resize(vd * d);
    fill_normal(projection, 0, projection.size(), 1.0f / std::sqrt(float(d)), rng);
  }
  size_t seeded = 0;
  std::vector<float> v(vd);
  for (uint32_t id = 0; id < featurizer_.unigram_count(); ++id) {
    const float* src = vectors.find(featurizer_.word(id));
    if (src == nullptr) continue;
    float* row = embeddings_.data() + static_cast<size_t>(id) * d;
    if (vd == d) {
      std::copy(src, src + d, row);
    } else {
      gemm(false, false, 1, d, vd, 1.0f, src, vd, projection.data(), d, 0.0f, row, d);
    }
    // Unit norm, the scale of the random rows (whose norm is about 1).
    normalize_rows(row, 1, d);
    ++seeded;
  }
  return seeded;
}

Sections BowEncoder::save() const {
  nlohmann::json meta = {{"type", type()},
                         {"dim", config_.dim},
                         {"hidden", config_.hidden},
                         {"embedding_lr", config_.embedding_lr},
                         {"dense_lr", config_.dense_lr},
                         {"weight_decay", config_.weight_decay},
                         {"features", featurizer_.feature_count()}};
  PayloadWriter emb;
  emb.vec(std::span<const float>(embeddings_));
  PayloadWriter dense;
  for (const auto* p : {&w1_, &b1_, &w2_, &b2_}) dense.vec(std::span<const float>(*p));
  return {{"META", meta.dump()}, {"FEAT", featurizer_.save()}, {"EMBD", std::move(emb.bytes())},
          {"DENS", std::move(dense.bytes())}};
}

std::unique_ptr<BowEncoder> BowEncoder::load(const Container& sections,
                                             const std::string& context) {
  for (const char* tag : {"META", "FEAT", "EMBD", "DENS"}) {
    if (!sections.has(tag)) throw InputError(context, 0, std::string("missing section ") + tag);
  }
  auto meta = nlohmann::json::parse(sections.at("META"), nullptr, false);
  if (meta.is_discarded() || meta.value("type", "") != "bow") throw InputError(context, 0, "not a bow encoder");
  std::unique_ptr<BowEncoder> enc(new BowEncoder());
  enc->featurizer_ = Featurizer::load(sections.at("FEAT"), context + " (featurizer)");
  enc->config_.dim = meta.value("dim", 0u);
  enc->config_.hidden = meta.value("hidden", 0u);
  enc->config_.embedding_lr = meta.value("embedding_lr", 5e-3f);
  enc->config_.dense_lr = meta.value("dense_lr", 1e-3f);
  enc->config_.weight_decay = meta.value("weight_decay", 0.0f);
  try {
    enc->config_.validate();
  } catch (const UsageError& e) {
    throw InputError(context, 0, std::string("bad encoder settings: ") + e.what());
  }
  PayloadReader emb(sections.at("EMBD"), context + " (embeddings)");
  enc->embeddings_ = emb.vec<float>();
  const size_t d = enc->config_.dim, h = enc->config_.hidden;
  if (enc->embeddings_.size() != static_cast<size_t>(enc->featurizer_.feature_count()) * d) {
    emb.fail("embedding table does not match the featurizer");
  }
  PayloadReader dense(sections.at("DENS"), context + " (dense layers)");
  enc->w1_ = dense.vec<float>();
  enc->b1_ = dense.vec<float>();
  enc->w2_ = dense.vec<float>();
  enc->b2_ = dense.vec<float>();
  if (enc->w1_.size() != d * h || enc->b1_.size() != h || enc->w2_.size() != h * d ||
      enc->b2_.size() != (h > 0 ? d : 0) || !dense.done()) {
    dense.fail("dense layer sizes do not match dim/hidden");
  }
  enc->gw1_.assign(enc->w1_.size(), 0.0f);
  enc->gb1_.assign(enc->b1_.size(), 0.0f);
  enc->gw2_.assign(enc->w2_.size(), 0.0f);
  enc->gb2_.assign(enc->b2_.size(), 0.0f);
  return enc;
}

}  // namespace ngame
