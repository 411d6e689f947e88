#pragma once
// Ranks labels for texts by the cosine between the text's embedding and each label's embedding (M1 alone).
#include <iosfwd>
#include <string>

#include "data/sparse_matrix.h"
#include "data/text_corpus.h"
#include "encoder/encoder.h"

namespace ngame {

/// Embeds texts with the model's encoder (unit rows, texts x dim).
std::vector<float> embed_texts(const Encoder& encoder, const TextCorpus& texts);
/// Top-k labels of each query embedding (unit rows) by exact search: rows = queries, cols = label count.
SparseMatrix rank_labels(const float* queries, size_t query_count, const float* label_embeddings,
                         size_t label_count, size_t dim, size_t k);
/// Embeds prepared queries and labels with encoder and ranks: the top-k labels (by cosine) of each query.
SparseMatrix rank_with_encoder(const Encoder& encoder, const EncoderInput& queries, const EncoderInput& labels,
                               size_t k);
/// Writes predictions as JSON lines: {"row": i, "labels": [{"id", "label", "score"}...]} per text.
void write_predictions_jsonl(const std::string& path, const SparseMatrix& predictions, const TextCorpus& label_texts);
/// The same lines to a stream (standard output, say); throws RuntimeError when the stream fails.
void write_predictions_jsonl(std::ostream& out, const SparseMatrix& predictions, const TextCorpus& label_texts);

}  // namespace ngame
