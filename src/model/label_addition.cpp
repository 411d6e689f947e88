#include "model/label_addition.h"

#include <algorithm>

#include "core/dense_math.h"
#include "core/error.h"
#include "data/utf8.h"
#include "encoder/bow_encoder.h"

namespace ngame {

void validate_label_texts(const TextCorpus& texts, const std::string& source) {
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string_view t = texts[i];
    if (t.empty()) throw InputError(source, i + 1, "empty label text");
    if (t.size() > kMaxLabelTextBytes) {
      throw InputError(source, i + 1, "label text of " + std::to_string(t.size()) + " bytes is longer than the " +
                                          std::to_string(kMaxLabelTextBytes) + " a label may have");
    }
    if (const size_t bad = find_invalid_utf8(t); bad != std::string_view::npos) {
      throw InputError(source, i + 1, "label text is not valid UTF-8 (byte " + std::to_string(bad) + ")");
    }
    if (t.find_first_of("\r\n") != std::string_view::npos) {
      throw InputError(source, i + 1, "label text contains a line break");
    }
  }
}

std::vector<float> embed_new_labels(const ModelParts& model, const TextCorpus& texts) {
  const uint32_t d = model.encoder->dim();
  std::vector<float> emb(texts.size() * d);
  if (texts.size() == 0) return emb;
  model.encoder->embed_all(*model.encoder->prepare(texts), emb.data());
  normalize_rows(emb.data(), texts.size(), d);
  // A text without a vocabulary word (nor, where the featurizer has them, a character n-gram) embeds as the encoder's
  // output for no learnt feature, a vector near every text's: such a label entered the top 10 of unrelated texts
  // (the API test's "second added label"). It gets the zero vector, cosine 0 with every text; its words still find
  // it through the lexical scorer. (Its hashed word pairs are no evidence: their buckets were learnt from other
  // pairs, if at all.)
  if (const auto* bow = dynamic_cast<const BowEncoder*>(model.encoder.get())) {
    const Featurizer& f = bow->featurizer();
    const uint64_t first_char_ngram = uint64_t{f.unigram_count()} + f.config().bigram_buckets;
    const FeatureRows rows = f.featurize_all(texts);
    for (size_t i = 0; i < texts.size(); ++i) {
      bool learnt = false;
      for (uint64_t k = rows.offsets[i]; k < rows.offsets[i + 1] && !learnt; ++k) {
        learnt = rows.ids[k] < f.unigram_count() || (rows.ids[k] >= first_char_ngram && rows.ids[k] < f.feature_count());
      }
      if (!learnt) std::fill_n(emb.begin() + static_cast<std::ptrdiff_t>(i * d), d, 0.0f);
    }
  }
  return emb;
}

uint32_t append_label_rows(ModelParts& model, const TextCorpus& texts, const std::vector<float>& embeddings) {
  const uint32_t d = model.encoder->dim();
  NGAME_CHECK(embeddings.size() == texts.size() * d, "one embedding per new label");
  NGAME_CHECK(model.label_count() + texts.size() < UINT32_MAX, "label ids are 32-bit");
  const auto first = static_cast<uint32_t>(model.label_count());
  for (size_t i = 0; i < texts.size(); ++i) model.label_texts.push_back(texts[i]);
  model.label_embeddings.insert(model.label_embeddings.end(), embeddings.begin(), embeddings.end());
  // Zero-shot: a label without training rows scores by its text embedding, as labels unseen in training do.
  if (!model.classifiers.empty()) model.classifiers.insert(model.classifiers.end(), embeddings.begin(), embeddings.end());
  if (model.memory_labels.rows > 0 || model.memory_labels.cols > 0) model.memory_labels.cols = model.label_count();
  return first;
}

void index_new_labels(ModelParts& model, uint32_t first, size_t n) {
  const uint32_t d = model.encoder->dim();
  NGAME_CHECK(model.label_index && model.label_index->size() == first, "label index out of step with the labels");
  model.label_index->add(model.label_embeddings.data() + static_cast<size_t>(first) * d, n);
  if (model.classifier_index) {
    NGAME_CHECK(model.classifier_index->size() == first, "classifier index out of step with the labels");
    model.classifier_index->add(model.classifiers.data() + static_cast<size_t>(first) * d, n);
  }
}

void reserve_label_room(ModelParts& model, size_t extra) {
  const size_t d = model.encoder->dim(), n = model.label_count() + extra;
  const size_t bytes = model.label_texts.byte_size();
  model.label_texts.reserve(n, bytes + (bytes / std::max<size_t>(1, model.label_count()) + 16) * extra * 2);
  model.label_embeddings.reserve(n * d);
  if (!model.classifiers.empty()) model.classifiers.reserve(n * d);
  if (model.label_index) model.label_index->reserve(n);
  if (model.classifier_index) model.classifier_index->reserve(n);
}

size_t label_room(const ModelParts& model) {
  const size_t d = model.encoder->dim();
  size_t room = model.label_embeddings.capacity() / d - model.label_count();
  if (!model.classifiers.empty()) room = std::min(room, model.classifiers.capacity() / d - model.label_count());
  return room;
}

uint32_t add_labels(ModelParts& model, const TextCorpus& texts) {
  const std::vector<float> emb = embed_new_labels(model, texts);
  const uint32_t first = append_label_rows(model, texts, emb);
  index_new_labels(model, first, texts.size());
  return first;
}

}  // namespace ngame
