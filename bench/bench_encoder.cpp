// Encoder throughput: training documents per second through a full M1 step (forward of B documents and B labels,
// cosine scores, loss, backward, optimiser step), and the same step's time as a ratio to one plain sgemm of the
// batch's dense shape (2B x dim) x (dim x hidden), measured in the same run on the same machine.
// Usage: bench_encoder DATASET_DIR [--threads N] [--batch B] [--dim D] [--steps S]
#include <chrono>
#include <cstdio>
#include <numeric>
#include <random>
#include <string>

#include "core/dense_math.h"
#include "core/runtime.h"
#include "data/dataset.h"
#include "encoder/bow_encoder.h"
#include "train/cosine_scores.h"
#include "train/triplet_loss.h"

int main(int argc, char** argv) {
  using namespace ngame;
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_encoder DATASET_DIR [--threads N] [--batch B] [--dim D] [--steps S]\n");
    return 2;
  }
  int threads = 0;
  uint32_t batch = 1024, dim = 256, steps = 30;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const auto v = static_cast<uint32_t>(std::stoul(argv[i + 1]));
    if (a == "--threads") threads = static_cast<int>(v);
    if (a == "--batch") batch = v;
    if (a == "--dim") dim = v;
    if (a == "--steps") steps = v;
  }
  set_thread_count(threads);
  Dataset data = load_dataset(argv[1]);
  Featurizer f(FeaturizerConfig{});
  f.fit({&data.train.texts, &data.label_texts});
  BowEncoder encoder(std::move(f), {.dim = dim, .hidden = dim}, 1);
  auto docs = encoder.prepare(data.train.texts);
  auto labels = encoder.prepare(data.label_texts);
  std::mt19937 rng(1);
  std::vector<uint32_t> doc_rows(batch), label_rows(batch), pos(batch);
  std::vector<uint8_t> mask(static_cast<size_t>(batch) * batch, 0);
  for (uint32_t i = 0; i < batch; ++i) {
    pos[i] = i;
    mask[static_cast<size_t>(i) * batch + i] = 1;
  }
  std::vector<float> de(batch * dim), le(batch * dim), gd(batch * dim), gl(batch * dim), gs(batch * batch);
  auto one_step = [&]() {
    for (uint32_t i = 0; i < batch; ++i) {
      doc_rows[i] = static_cast<uint32_t>(rng() % docs->size());
      label_rows[i] = static_cast<uint32_t>(rng() % labels->size());
    }
    auto da = encoder.forward(*docs, doc_rows, de.data());
    auto la = encoder.forward(*labels, label_rows, le.data());
    CosineScores cs = cosine_scores(de.data(), batch, le.data(), batch, dim);
    triplet_loss(cs.scores.data(), batch, batch, pos.data(), mask, TripletLossConfig{}, gs.data());
    cosine_scores_backward(cs, gs.data(), gd.data(), gl.data());
    encoder.backward(*da, gd.data());
    encoder.backward(*la, gl.data());
    encoder.step(1.0f);
  };
  one_step();  // warm-up
  auto t0 = std::chrono::steady_clock::now();
  for (uint32_t s = 0; s < steps; ++s) one_step();
  const double step_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / steps;

  std::vector<float> a(2 * batch * dim, 0.5f), b(dim * dim, 0.25f), c(2 * batch * dim);
  gemm(false, false, 2 * batch, dim, dim, 1.0f, a.data(), dim, b.data(), dim, 0.0f, c.data(), dim);
  const uint32_t reps = 200;
  t0 = std::chrono::steady_clock::now();
  for (uint32_t r = 0; r < reps; ++r) {
    gemm(false, false, 2 * batch, dim, dim, 1.0f, a.data(), dim, b.data(), dim, 0.0f, c.data(), dim);
  }
  const double gemm_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
  const double gflops = 2.0 * 2 * batch * dim * dim / gemm_s / 1e9;
  std::printf("{\"bench\":\"encoder_step\",\"threads\":%d,\"batch\":%u,\"dim\":%u,\"step_ms\":%.2f,\"docs_per_s\":%.0f,"
              "\"sgemm_ms\":%.3f,\"sgemm_gflops\":%.1f,\"step_over_sgemm\":%.1f}\n",
              thread_count(), batch, dim, 1e3 * step_s, batch / step_s, 1e3 * gemm_s, gflops, step_s / gemm_s);
  return 0;
}
