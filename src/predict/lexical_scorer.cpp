#include "predict/lexical_scorer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "predict/posting_scores.h"

namespace ngame {

LexicalScorer::LexicalScorer(const Featurizer& featurizer, const TextCorpus& label_texts)
    : featurizer_(featurizer), postings_(featurizer.feature_count()) {
  label_word_ids_ = [this](const std::string& word, uint32_t& id) {
    const auto it = label_words_.find(word);
    if (it == label_words_.end()) return false;
    id = it->second;
    return true;
  };
  add_labels(label_texts);
}

void LexicalScorer::add_labels(const TextCorpus& label_texts) {
  std::vector<std::string> words;
  for (size_t l = 0; l < label_texts.size(); ++l) featurizer_.unknown_words(label_texts[l], words);
  for (std::string& word : words) {
    const auto next = static_cast<uint32_t>(featurizer_.feature_count() + label_words_.size());
    NGAME_CHECK(next != UINT32_MAX, "too many words in label texts");
    if (label_words_.try_emplace(std::move(word), next).second) postings_.emplace_back();
  }
  FeatureRows rows = featurizer_.featurize_all(label_texts, &label_word_ids_);
  l2_normalise_rows(rows);
  const auto base = static_cast<uint32_t>(labels_.size());
  labels_.append(rows);
  for (size_t r = 0; r < rows.size(); ++r) {
    for (uint64_t p = rows.offsets[r]; p < rows.offsets[r + 1]; ++p) {
      postings_[rows.ids[p]].emplace_back(base + static_cast<uint32_t>(r), rows.weights[p]);
    }
  }
}

FeatureRows LexicalScorer::vectors(const TextCorpus& texts) const {
  FeatureRows rows = featurizer_.featurize_all(texts, &label_word_ids_);
  // Texts none of whose words the model was trained on: only their words and word pairs shared with label texts
  // find labels (the fusion ranks them by this scorer alone). Said once per batch.
  size_t unknown = 0, example = 0;
  // Up to 40 bytes of a text for the log, cut before a UTF-8 continuation byte.
  auto first_words = [](std::string_view text) {
    size_t n = std::min<size_t>(text.size(), 40);
    while (n < text.size() && n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    return std::string(text.substr(0, n)) + (n < text.size() ? "..." : "");
  };
  for (size_t r = 0; r < rows.size(); ++r) {
    if (!knows_words(rows, r) && unknown++ == 0) example = r;
  }
  if (unknown > 0) {
    spdlog::warn("{} of {} texts have no word the model was trained on (the first: '{}'); they are ranked by the "
                 "words and word pairs they share with label texts alone",
                 unknown, texts.size(), first_words(texts[example]));
  }
  l2_normalise_rows(rows);
  return rows;
}

bool LexicalScorer::holds_label_words(const FeatureRows& queries) const {
  // Feature ids are sorted within a row and the label words' come last.
  const uint32_t own = featurizer_.feature_count();
  for (size_t q = 0; q < queries.size(); ++q) {
    if (queries.offsets[q] < queries.offsets[q + 1] && queries.ids[queries.offsets[q + 1] - 1] >= own) return true;
  }
  return false;
}

FeatureRows LexicalScorer::vocabulary_rows(const FeatureRows& queries) const {
  const uint32_t own = featurizer_.feature_count();
  FeatureRows out;
  for (size_t q = 0; q < queries.size(); ++q) {
    const uint64_t a = queries.offsets[q], b = queries.offsets[q + 1];
    uint64_t end = a;
    while (end < b && queries.ids[end] < own) ++end;  // ids are sorted: the label words come last
    out.ids.insert(out.ids.end(), queries.ids.begin() + static_cast<std::ptrdiff_t>(a),
                   queries.ids.begin() + static_cast<std::ptrdiff_t>(end));
    out.weights.insert(out.weights.end(), queries.weights.begin() + static_cast<std::ptrdiff_t>(a),
                       queries.weights.begin() + static_cast<std::ptrdiff_t>(end));
    if (end < b) {
      double norm = 0;
      for (uint64_t p = a; p < end; ++p) norm += static_cast<double>(queries.weights[p]) * queries.weights[p];
      const auto scale = static_cast<float>(norm > 0 ? 1.0 / std::sqrt(norm) : 0.0);
      for (size_t p = out.weights.size() - (end - a); p < out.weights.size(); ++p) out.weights[p] *= scale;
    }
    out.offsets.push_back(out.ids.size());
  }
  return out;
}

bool LexicalScorer::knows_words(const FeatureRows& queries, size_t q) const {
  // Feature ids are sorted and the vocabulary's words come first.
  return queries.offsets[q] < queries.offsets[q + 1] && queries.ids[queries.offsets[q]] < featurizer_.unigram_count();
}

float LexicalScorer::score(const FeatureRows& queries, size_t q, uint32_t label) const {
  // Both rows have sorted feature ids: a merge.
  uint64_t a = queries.offsets[q], a_end = queries.offsets[q + 1];
  uint64_t b = labels_.offsets[label], b_end = labels_.offsets[label + 1];
  float s = 0;
  while (a < a_end && b < b_end) {
    if (queries.ids[a] == labels_.ids[b]) {
      s += queries.weights[a++] * labels_.weights[b++];
    } else if (queries.ids[a] < labels_.ids[b]) {
      ++a;
    } else {
      ++b;
    }
  }
  return s;
}

void LexicalScorer::score_all(const FeatureRows& queries, size_t q, std::span<const uint32_t> labels, float* out,
                              size_t stride) const {
  const uint64_t a = queries.offsets[q], a_end = queries.offsets[q + 1];
  auto posting_of = [&](uint32_t f) { return f < postings_.size() ? Posting(postings_[f]) : Posting(); };
  uint64_t by_merge = 0;
  for (uint32_t l : labels) by_merge += (a_end - a) + (labels_.offsets[l + 1] - labels_.offsets[l]);
  if (labels.empty() || posting_walk_cost(queries.ids.data() + a, a_end - a, labels.size(), posting_of) >= by_merge) {
    for (size_t c = 0; c < labels.size(); ++c) out[c * stride] = score(queries, q, labels[c]);
    return;
  }
  std::vector<float> sum(labels.size(), 0.0f);
  add_posting_products(queries.ids.data() + a, queries.weights.data() + a, a_end - a, posting_of, labels, sum.data());
  for (size_t c = 0; c < labels.size(); ++c) out[c * stride] = sum[c];
}

// Words such as "of" or "a" sit in thousands of label texts and carry little TF-IDF weight: walking their postings
// would be most of the lexical shortlist's cost while adding candidates that a rarer word of the same text, or another
// scorer, finds anyway; they still count in every candidate's score (bench_predict_parts times the lexical shortlist).
size_t LexicalScorer::posting_cap() const { return std::max(kMinPostingCap, size() / 50); }

std::vector<std::vector<std::pair<uint32_t, float>>> LexicalScorer::shortlist(const FeatureRows& q, size_t k) const {
  std::vector<std::vector<std::pair<uint32_t, float>>> out(q.size());
  const size_t cap = posting_cap();
#pragma omp parallel
  {
    std::vector<float> acc(size(), 0.0f);
    std::vector<uint32_t> touched;
    std::vector<std::pair<uint32_t, float>> row;  // scratch: common words touch most labels
#pragma omp for schedule(dynamic, 64)
    for (size_t i = 0; i < q.size(); ++i) {
      touched.clear();
      for (uint64_t p = q.offsets[i]; p < q.offsets[i + 1]; ++p) {
        if (postings_[q.ids[p]].size() > cap) continue;
        for (auto [label, w] : postings_[q.ids[p]]) {
          if (acc[label] == 0.0f) touched.push_back(label);
          acc[label] += q.weights[p] * w;
        }
      }
      row.clear();
      for (uint32_t l : touched) {
        row.emplace_back(l, acc[l]);
        acc[l] = 0.0f;
      }
      const size_t take = std::min(k, row.size());
      std::partial_sort(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(take), row.end(),
                        [](const auto& x, const auto& y) { return x.second > y.second || (x.second == y.second && x.first < y.first); });
      out[i].assign(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(take));  // exactly k kept, not the scratch
    }
  }
  return out;
}

std::vector<uint32_t> LexicalScorer::labels_of_features(std::vector<uint32_t> features, size_t max_labels) const {
  const size_t cap = posting_cap();
  std::erase_if(features, [&](uint32_t f) { return postings_[f].size() > cap; });
  std::sort(features.begin(), features.end(),
            [&](uint32_t a, uint32_t b) { return std::pair(postings_[a].size(), a) < std::pair(postings_[b].size(), b); });
  std::vector<uint32_t> out;
  for (uint32_t f : features) {
    if (out.size() + postings_[f].size() > max_labels) break;
    for (auto [label, w] : postings_[f]) out.push_back(label);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<uint32_t> LexicalScorer::reach(const FeatureRows& q, size_t row, size_t max_labels) const {
  return labels_of_features({q.ids.begin() + static_cast<std::ptrdiff_t>(q.offsets[row]),
                             q.ids.begin() + static_cast<std::ptrdiff_t>(q.offsets[row + 1])},
                            max_labels);
}

std::vector<uint32_t> LexicalScorer::reach_of_labels(const std::vector<uint32_t>& labels, size_t max_labels) const {
  std::vector<uint32_t> features;
  for (uint32_t l : labels) {
    if (l >= size()) continue;
    features.insert(features.end(), labels_.ids.begin() + static_cast<std::ptrdiff_t>(labels_.offsets[l]),
                    labels_.ids.begin() + static_cast<std::ptrdiff_t>(labels_.offsets[l + 1]));
  }
  std::sort(features.begin(), features.end());
  features.erase(std::unique(features.begin(), features.end()), features.end());
  return labels_of_features(std::move(features), max_labels);
}

namespace {

class LexicalBatch final : public ScoredBatch {
 public:
  LexicalBatch(const LexicalScorer& scorer, const FeatureRows& tfidf,
               std::vector<std::vector<std::pair<uint32_t, float>>> lists)
      : scorer_(scorer), tfidf_(tfidf), lists_(std::move(lists)) {}
  void shortlist(size_t i, std::vector<uint32_t>& out) const override {
    if (lists_.empty()) return;
    for (auto [label, score] : lists_[i]) out.push_back(label);
  }
  float score(size_t i, uint32_t label) const override { return scorer_.score(tfidf_, i, label); }
  void score_all(size_t i, std::span<const uint32_t> labels, float* out, size_t stride) const override {
    scorer_.score_all(tfidf_, i, labels, out, stride);
  }

 private:
  const LexicalScorer& scorer_;
  const FeatureRows& tfidf_;
  std::vector<std::vector<std::pair<uint32_t, float>>> lists_;  // empty: not wanted
};

}  // namespace

std::unique_ptr<ScoredBatch> LexicalScorer::score_batch(const QueryBatch& batch, size_t shortlist_length, bool wanted,
                                                        const PredictorConfig& search) const {
  NGAME_CHECK(batch.lexical != nullptr, "the lexical scorer needs the batch's lexical rows");
  const FeatureRows& rows = *batch.lexical;
  if (wanted) return std::make_unique<LexicalBatch>(*this, rows, shortlist(rows, shortlist_length));
  // Unwanted by the fusion, the shortlist is still what finds labels for a text without a vocabulary word.
  FeatureRows unknown_only;
  std::vector<size_t> picked;
  for (size_t q = 0; search.unknown_word_shortlist && q < rows.size(); ++q) {
    if (knows_words(rows, q)) continue;
    picked.push_back(q);
    unknown_only.append_row(rows, q);
  }
  if (picked.empty()) return std::make_unique<LexicalBatch>(*this, rows, std::vector<std::vector<std::pair<uint32_t, float>>>{});
  auto found = shortlist(unknown_only, shortlist_length);
  std::vector<std::vector<std::pair<uint32_t, float>>> lists(rows.size());
  for (size_t i = 0; i < picked.size(); ++i) lists[picked[i]] = std::move(found[i]);
  return std::make_unique<LexicalBatch>(*this, rows, std::move(lists));
}

}  // namespace ngame
