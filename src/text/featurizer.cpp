#include "text/featurizer.h"

#include <algorithm>
#include <cmath>

#include "core/binary_io.h"
#include "core/error.h"
#include "text/tokenizer.h"

namespace ngame {

namespace {

// FNV-1a 64-bit: stable across platforms and releases (saved models depend on it).
uint64_t fnv1a(std::string_view s, uint64_t h = 1469598103934665603ULL) {
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

void FeaturizerConfig::validate() const {
  NGAME_CHECK(min_count >= 1, "min_count must be >= 1");
  NGAME_CHECK(max_vocabulary >= 1, "max_vocabulary must be >= 1");
  NGAME_CHECK(char_ngram_min >= 1 && char_ngram_min <= char_ngram_max, "need 1 <= char_ngram_min <= char_ngram_max");
  NGAME_CHECK(max_tokens >= 1, "max_tokens must be >= 1");
  // Feature ids are 32-bit, and words outside the vocabulary take ids after feature_count().
  if (uint64_t{max_vocabulary} + bigram_buckets + char_ngram_buckets > (uint64_t{1} << 31)) {
    throw UsageError("featurizer: vocabulary + bigram buckets + character n-gram buckets exceed 2^31 feature ids");
  }
}

Featurizer::Featurizer(FeaturizerConfig config) : config_(config) { config_.validate(); }

uint32_t Featurizer::feature_count() const {
  return unigram_count() + config_.bigram_buckets + config_.char_ngram_buckets;
}

void Featurizer::collect(std::string_view text, std::vector<std::string>& tokens, std::vector<uint32_t>& ids,
                         const ExtraWordIds* extra) const {
  tokens.clear();
  ids.clear();
  tokenize(text, tokens, config_.max_tokens);
  const uint32_t unigrams = unigram_count();
  for (const std::string& t : tokens) {
    auto it = word_ids_.find(t);
    uint32_t id = 0;
    if (it != word_ids_.end()) {
      ids.push_back(it->second);
    } else if (extra && (*extra)(t, id)) {
      NGAME_CHECK(id >= feature_count(), "an extra word's feature id lies among the featurizer's own");
      ids.push_back(id);
    }
  }
  if (config_.bigram_buckets > 0) {
    for (size_t i = 1; i < tokens.size(); ++i) {
      uint64_t h = fnv1a(tokens[i], fnv1a(" ", fnv1a(tokens[i - 1])));
      ids.push_back(unigrams + static_cast<uint32_t>(h % config_.bigram_buckets));
    }
  }
  if (config_.char_ngram_buckets > 0) {
    const uint32_t base = unigrams + config_.bigram_buckets;
    std::string padded;
    for (const std::string& t : tokens) {
      padded = "<" + t + ">";
      for (uint32_t n = config_.char_ngram_min; n <= config_.char_ngram_max; ++n) {
        for (size_t s = 0; s + n <= padded.size(); ++s) {
          // n-grams are over bytes; a split UTF-8 sequence still hashes consistently.
          ids.push_back(base + static_cast<uint32_t>(fnv1a(std::string_view(padded).substr(s, n)) %
                                                     config_.char_ngram_buckets));
        }
      }
    }
  }
}

void Featurizer::fit(const std::vector<const TextCorpus*>& corpora) {
  // Unigram document frequencies.
  std::unordered_map<std::string, uint32_t> df;
  std::vector<std::string> tokens;
  uint64_t texts = 0;
  for (const TextCorpus* corpus : corpora) {
    for (size_t i = 0; i < corpus->size(); ++i) {
      tokens.clear();
      tokenize((*corpus)[i], tokens, config_.max_tokens);
      std::sort(tokens.begin(), tokens.end());
      tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
      for (std::string& t : tokens) ++df[t];
      ++texts;
    }
  }
  std::vector<std::pair<uint32_t, std::string>> kept;
  for (auto& [word, count] : df) {
    if (count >= config_.min_count) kept.emplace_back(count, word);
  }
  // Most frequent first, ties by the word itself: the vocabulary does not depend on hash-map order.
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  });
  if (kept.size() > config_.max_vocabulary) kept.resize(config_.max_vocabulary);
  words_.clear();
  word_ids_.clear();
  for (auto& [count, word] : kept) {
    word_ids_.emplace(word, static_cast<uint32_t>(words_.size()));
    words_.push_back(word);
  }
  // IDF over every feature id (unigrams, bigram and character buckets).
  std::vector<uint32_t> feature_df(feature_count(), 0);
  std::vector<uint32_t> ids;
  for (const TextCorpus* corpus : corpora) {
    for (size_t i = 0; i < corpus->size(); ++i) {
      collect((*corpus)[i], tokens, ids);
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      for (uint32_t id : ids) ++feature_df[id];
    }
  }
  idf_.resize(feature_count());
  const double n = static_cast<double>(texts);
  for (size_t f = 0; f < idf_.size(); ++f) {
    idf_[f] = static_cast<float>(std::log((1.0 + n) / (1.0 + feature_df[f])) + 1.0);
  }
  set_max_unigram_idf();
}

void Featurizer::featurize(std::string_view text, FeatureRows& rows, const ExtraWordIds* extra) const {
  thread_local std::vector<std::string> tokens;
  thread_local std::vector<uint32_t> ids;
  collect(text, tokens, ids, extra);
  std::sort(ids.begin(), ids.end());
  double total = 0;
  size_t start = rows.ids.size();
  const uint32_t own = feature_count();
  for (size_t i = 0; i < ids.size();) {
    size_t j = i;
    while (j < ids.size() && ids[j] == ids[i]) ++j;
    const float w = (ids[i] < own ? idf_[ids[i]] : max_unigram_idf_) * static_cast<float>(j - i);
    rows.ids.push_back(ids[i]);
    rows.weights.push_back(w);
    total += w;
    i = j;
  }
  if (total > 0) {
    for (size_t k = start; k < rows.weights.size(); ++k) rows.weights[k] = static_cast<float>(rows.weights[k] / total);
  }
  rows.offsets.push_back(rows.ids.size());
}

void Featurizer::unknown_words(std::string_view text, std::vector<std::string>& out) const {
  thread_local std::vector<std::string> tokens;
  tokens.clear();
  tokenize(text, tokens, config_.max_tokens);
  for (std::string& t : tokens) {
    if (!word_ids_.contains(t)) out.push_back(std::move(t));
  }
}

void Featurizer::set_max_unigram_idf() {
  max_unigram_idf_ = 1.0f;
  for (uint32_t w = 0; w < unigram_count(); ++w) max_unigram_idf_ = std::max(max_unigram_idf_, idf_[w]);
}

FeatureRows Featurizer::featurize_all(const TextCorpus& texts, const ExtraWordIds* extra) const {
  const size_t n = texts.size();
  constexpr size_t kChunk = 4096;
  const size_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<FeatureRows> parts(chunks);
#pragma omp parallel for schedule(dynamic, 1)
  for (size_t c = 0; c < chunks; ++c) {
    for (size_t i = c * kChunk; i < std::min(n, (c + 1) * kChunk); ++i) featurize(texts[i], parts[c], extra);
  }
  FeatureRows all;
  for (const FeatureRows& p : parts) all.append(p);
  return all;
}

std::string Featurizer::save() const {
  PayloadWriter w;
  w.u32(config_.min_count);
  w.u32(config_.max_vocabulary);
  w.u32(config_.bigram_buckets);
  w.u32(config_.char_ngram_buckets);
  w.u32(config_.char_ngram_min);
  w.u32(config_.char_ngram_max);
  w.u32(config_.max_tokens);
  w.u64(words_.size());
  for (const std::string& word : words_) w.str(word);
  w.vec(std::span<const float>(idf_));
  return std::move(w.bytes());
}

Featurizer Featurizer::load(std::string_view payload, const std::string& context) {
  PayloadReader r(payload, context);
  FeaturizerConfig c;
  c.min_count = r.u32();
  c.max_vocabulary = r.u32();
  c.bigram_buckets = r.u32();
  c.char_ngram_buckets = r.u32();
  c.char_ngram_min = r.u32();
  c.char_ngram_max = r.u32();
  c.max_tokens = r.u32();
  Featurizer f;
  f.config_ = c;
  const uint64_t words = r.u64();
  if (words > payload.size()) r.fail("vocabulary size exceeds the section");
  f.words_.reserve(words);
  for (uint64_t i = 0; i < words; ++i) {
    f.words_.push_back(r.str());
    f.word_ids_.emplace(f.words_.back(), static_cast<uint32_t>(i));
  }
  f.idf_ = r.vec<float>();
  if (f.idf_.size() != f.feature_count()) r.fail("IDF table size does not match the vocabulary");
  if (!r.done()) r.fail("trailing bytes in the featurizer section");
  f.set_max_unigram_idf();
  return f;
}

void FeatureRows::append_row(const FeatureRows& other, size_t i) {
  const auto a = static_cast<std::ptrdiff_t>(other.offsets[i]), b = static_cast<std::ptrdiff_t>(other.offsets[i + 1]);
  ids.insert(ids.end(), other.ids.begin() + a, other.ids.begin() + b);
  weights.insert(weights.end(), other.weights.begin() + a, other.weights.begin() + b);
  offsets.push_back(ids.size());
}

void FeatureRows::append(const FeatureRows& other) {
  const uint64_t base = ids.size();
  ids.insert(ids.end(), other.ids.begin(), other.ids.end());
  weights.insert(weights.end(), other.weights.begin(), other.weights.end());
  for (size_t r = 1; r < other.offsets.size(); ++r) offsets.push_back(base + other.offsets[r]);
}

void l2_normalise_rows(FeatureRows& rows) {
  for (size_t r = 0; r < rows.size(); ++r) {
    double s = 0;
    for (uint64_t p = rows.offsets[r]; p < rows.offsets[r + 1]; ++p) s += double(rows.weights[p]) * rows.weights[p];
    if (s <= 0) continue;
    const auto inv = static_cast<float>(1.0 / std::sqrt(s));
    for (uint64_t p = rows.offsets[r]; p < rows.offsets[r + 1]; ++p) rows.weights[p] *= inv;
  }
}

}  // namespace ngame
