#pragma once
// Adding labels to a trained model without retraining: each new label is embedded by the model's encoder and its
// embedding doubles as its classifier (zero-shot), then it enters the shortlist indices.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "data/text_corpus.h"
#include "model/model_store.h"

namespace ngame {

/// The longest label text, in bytes (the label log's records hold no longer ones).
inline constexpr size_t kMaxLabelTextBytes = size_t{1} << 20;

/// Checks label texts for addition: non-empty, at most kMaxLabelTextBytes, valid UTF-8, one line each; throws
/// InputError naming `source` and the 1-based position of the first bad text.
void validate_label_texts(const TextCorpus& texts, const std::string& source);
/// Unit embeddings of label texts by the model's encoder (texts x dim); touches nothing in the model.
std::vector<float> embed_new_labels(const ModelParts& model, const TextCorpus& texts);
/// Appends labels with their embeddings (from embed_new_labels) to every label-side array of the model (texts,
/// embeddings, classifiers, memory label columns), but not to the indices. Returns the first new id.
uint32_t append_label_rows(ModelParts& model, const TextCorpus& texts, const std::vector<float>& embeddings);
/// Inserts labels [first, first + n) of the model into its label and classifier indices.
void index_new_labels(ModelParts& model, uint32_t first, size_t n);
/// Makes room for `extra` more labels in every label-side array and index, so that adding them moves no memory.
void reserve_label_room(ModelParts& model, size_t extra);
/// Labels that can be added before reserve_label_room is needed again.
size_t label_room(const ModelParts& model);
/// Both steps at once (offline use): returns the first new id.
uint32_t add_labels(ModelParts& model, const TextCorpus& texts);

}  // namespace ngame
