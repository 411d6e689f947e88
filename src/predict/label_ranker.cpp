#include "predict/label_ranker.h"

#include <nlohmann/json.hpp>
#include <ostream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/dense_math.h"
#include "core/topk_search.h"

namespace ngame {

std::vector<float> embed_texts(const Encoder& encoder, const TextCorpus& texts) {
  auto input = encoder.prepare(texts);
  std::vector<float> emb(texts.size() * encoder.dim());
  encoder.embed_all(*input, emb.data());
  normalize_rows(emb.data(), texts.size(), encoder.dim());
  return emb;
}

SparseMatrix rank_labels(const float* queries, size_t query_count, const float* label_embeddings,
                         size_t label_count, size_t dim, size_t k) {
  std::vector<uint32_t> ids;
  std::vector<float> scores;
  exact_topk(queries, query_count, label_embeddings, label_count, dim, k, ids, scores);
  SparseMatrix out;
  out.cols = label_count;
  out.indices.reserve(query_count * k);
  out.values.reserve(query_count * k);
  std::vector<uint32_t> row_ids;
  std::vector<float> row_scores;
  for (size_t i = 0; i < query_count; ++i) {
    row_ids.clear();
    row_scores.clear();
    for (size_t r = 0; r < k; ++r) {
      if (ids[i * k + r] == UINT32_MAX) break;
      row_ids.push_back(ids[i * k + r]);
      row_scores.push_back(scores[i * k + r]);
    }
    out.append_row(row_ids, row_scores);
  }
  return out;
}

SparseMatrix rank_with_encoder(const Encoder& encoder, const EncoderInput& queries, const EncoderInput& labels,
                               size_t k) {
  const size_t d = encoder.dim();
  std::vector<float> q(queries.size() * d), l(labels.size() * d);
  encoder.embed_all(queries, q.data());
  encoder.embed_all(labels, l.data());
  normalize_rows(q.data(), queries.size(), d);
  normalize_rows(l.data(), labels.size(), d);
  return rank_labels(q.data(), queries.size(), l.data(), labels.size(), d, k);
}

namespace {

// One JSON line a row, to `write`.
template <typename Write>
void emit_predictions_jsonl(const SparseMatrix& predictions, const TextCorpus& label_texts, Write&& write) {
  for (uint64_t r = 0; r < predictions.rows; ++r) {
    nlohmann::json labels = nlohmann::json::array();
    auto ids = predictions.row_indices(r);
    auto scores = predictions.row_values(r);
    for (size_t j = 0; j < ids.size(); ++j) {
      labels.push_back({{"id", ids[j]}, {"label", std::string(label_texts[ids[j]])}, {"score", scores[j]}});
    }
    write(nlohmann::json({{"row", r}, {"labels", labels}}).dump() + "\n");
  }
}

}  // namespace

void write_predictions_jsonl(const std::string& path, const SparseMatrix& predictions, const TextCorpus& label_texts) {
  AtomicFileWriter out(path);
  emit_predictions_jsonl(predictions, label_texts, [&](const std::string& line) { out.write(line); });
  out.commit();
}

void write_predictions_jsonl(std::ostream& out, const SparseMatrix& predictions, const TextCorpus& label_texts) {
  emit_predictions_jsonl(predictions, label_texts,
                         [&](const std::string& line) { out.write(line.data(), static_cast<std::streamsize>(line.size())); });
  out.flush();
  if (!out) throw RuntimeError("writing the predictions failed (standard output closed?)");
}

}  // namespace ngame
