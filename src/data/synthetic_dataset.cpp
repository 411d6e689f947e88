#include "data/synthetic_dataset.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/splitmix.h"

namespace ngame {

namespace fs = std::filesystem;

void SyntheticDatasetConfig::validate() const {
  if (output_dir.empty()) throw UsageError("data synth needs -o DIR");
  if (docs == 0 || labels == 0) throw UsageError("docs and labels must be positive");
  if (labels >= (1ull << 31)) throw UsageError("labels must be below 2^31");
  if (!(labels_per_doc >= 1.0) || labels_per_doc > 1000) throw UsageError("labels per doc must be in [1, 1000]");
  if (words_per_doc < 2 || words_per_doc > 1000) throw UsageError("words per doc must be in [2, 1000]");
  if (!(zipf >= 0.0) || zipf > 3) throw UsageError("zipf must be in [0, 3]");
  if (!(unseen_labels >= 0.0) || unseen_labels > 0.5) throw UsageError("unseen labels must be in [0, 0.5]");
  if (!(noise >= 0.0) || noise > 1) throw UsageError("noise must be in [0, 1]");
}

namespace {

// splitmix64: a small, fast, portable generator (the output must not depend on the standard library).
struct Rng {
  uint64_t state;
  uint64_t next() {
    const uint64_t z = splitmix64(state);
    state += kSplitmixIncrement;
    return z;
  }
  uint64_t below(uint64_t n) { return next() % n; }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Poisson-like count with the given mean, at least `low` (a geometric tail keeps it cheap).
  uint64_t count(double mean, uint64_t low) {
    const double extra = std::max(0.0, mean - static_cast<double>(low));
    const double p = 1.0 / (1.0 + extra);
    uint64_t k = low;
    while (uniform() > p && k < 10 * static_cast<uint64_t>(mean + 1)) ++k;
    return k;
  }
};

// Draws indices with probability proportional to weights (cumulative table, binary search).
class Sampler {
 public:
  explicit Sampler(const std::vector<double>& weights) : cumulative_(weights.size()) {
    double sum = 0;
    for (size_t i = 0; i < weights.size(); ++i) cumulative_[i] = sum += weights[i];
  }
  bool empty() const { return cumulative_.empty() || cumulative_.back() <= 0; }
  uint64_t draw(Rng& rng) const {
    const double x = rng.uniform() * cumulative_.back();
    return static_cast<uint64_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), x) - cumulative_.begin());
  }

 private:
  std::vector<double> cumulative_;
};

// Word i as pronounceable syllables ("kavo", "mitelu"): distinct for distinct i.
std::string word(uint64_t i) {
  static const char* consonants = "bdfgklmnprstvz";
  static const char* vowels = "aeiou";
  std::string w;
  do {
    w += consonants[i % 14];
    i /= 14;
    w += vowels[i % 5];
    i /= 5;
  } while (i > 0);
  return w.size() < 4 ? w + "n" + w : w;  // at least two syllables' worth of letters
}

}  // namespace

SyntheticDatasetSummary build_synthetic_dataset(const SyntheticDatasetConfig& c) {
  c.validate();
  const uint64_t L = c.labels;
  const uint64_t K = c.topics ? c.topics : std::max<uint64_t>(20, L / 50);
  const uint64_t V = c.vocabulary ? c.vocabulary : std::max<uint64_t>(5000, L / 2 + 4 * K);
  const uint64_t test_docs = c.test_docs ? c.test_docs : std::max<uint64_t>(1, c.docs / 4);
  constexpr uint64_t kTopicWords = 40;
  fs::create_directories(c.output_dir);
  Rng rng{c.seed * 0x2545f4914f6cdd1dULL + 17};
  // Topics: each owns kTopicWords words (from the vocabulary, overlapping), drawn with Zipf weights inside.
  std::vector<uint32_t> topic_words(K * kTopicWords);
  for (auto& w : topic_words) w = static_cast<uint32_t>(rng.below(V));
  std::vector<double> in_topic(kTopicWords);
  for (uint64_t i = 0; i < kTopicWords; ++i) in_topic[i] = 1.0 / static_cast<double>(i + 1);
  const Sampler topic_word(in_topic);
  std::vector<double> global(V);
  for (uint64_t i = 0; i < V; ++i) global[i] = 1.0 / std::pow(static_cast<double>(i + 1), 0.8);
  const Sampler global_word(global);
  // Labels: a topic (topic sizes are Zipf too), two or three topic words and one or two words of its own; the
  // popularity rank is a random permutation, so popular labels spread over topics.
  std::vector<double> topic_size(K);
  for (uint64_t t = 0; t < K; ++t) topic_size[t] = 1.0 / std::sqrt(static_cast<double>(t + 1));
  const Sampler topic_of_label(topic_size);
  std::vector<uint32_t> label_topic(L);
  std::vector<std::vector<uint32_t>> label_words(L);
  std::string y_txt;
  for (uint64_t l = 0; l < L; ++l) {
    const uint64_t t = topic_of_label.draw(rng);
    label_topic[l] = static_cast<uint32_t>(t);
    auto& words = label_words[l];
    const uint64_t shared = 2 + rng.below(2), own = 1 + rng.below(2);
    for (uint64_t i = 0; i < shared; ++i) words.push_back(topic_words[t * kTopicWords + topic_word.draw(rng)]);
    // Own words come from the rarer half of the vocabulary, so they tell labels of one topic apart.
    for (uint64_t i = 0; i < own; ++i) words.push_back(static_cast<uint32_t>(V / 2 + rng.below(V - V / 2)));
    for (size_t i = 0; i < words.size(); ++i) {
      if (i) y_txt += ' ';
      y_txt += word(words[i]);
    }
    y_txt += '\n';
  }
  write_file_atomically((fs::path(c.output_dir) / "Y.txt").string(), y_txt);
  std::vector<uint64_t> rank(L);
  std::iota(rank.begin(), rank.end(), 0);
  for (uint64_t i = L - 1; i > 0; --i) std::swap(rank[i], rank[rng.below(i + 1)]);
  // The last `unseen` labels by popularity never appear in training (test documents may carry them).
  const auto unseen = static_cast<uint64_t>(c.unseen_labels * static_cast<double>(L));
  std::vector<double> popularity(L), popularity_seen(L);
  for (uint64_t l = 0; l < L; ++l) {
    popularity[l] = 1.0 / std::pow(static_cast<double>(rank[l] + 1), c.zipf);
    popularity_seen[l] = rank[l] >= L - unseen ? 0.0 : popularity[l];
  }
  // Labels of each topic with their popularity, for the co-labels of a document.
  std::vector<std::vector<uint32_t>> topic_labels(K);
  for (uint64_t l = 0; l < L; ++l) topic_labels[label_topic[l]].push_back(static_cast<uint32_t>(l));
  std::vector<Sampler> topic_label_sampler, topic_label_sampler_seen;
  for (uint64_t t = 0; t < K; ++t) {
    std::vector<double> w, ws;
    for (uint32_t l : topic_labels[t]) {
      w.push_back(popularity[l]);
      ws.push_back(popularity_seen[l]);
    }
    topic_label_sampler.emplace_back(w);
    topic_label_sampler_seen.emplace_back(ws);
  }
  const Sampler any_label(popularity), any_seen_label(popularity_seen);

  SyntheticDatasetSummary summary;
  summary.labels = L;
  std::vector<uint8_t> seen(L, 0);
  auto write_split = [&](const char* prefix, uint64_t rows, bool train) {
    AtomicFileWriter x((fs::path(c.output_dir) / (std::string(prefix) + "_X.txt")).string());
    AtomicFileWriter xy((fs::path(c.output_dir) / (std::string(prefix) + "_X_Y.txt")).string());
    xy.write(std::to_string(rows) + " " + std::to_string(L) + "\n");
    std::string text, pairs;
    std::vector<uint32_t> labels, words;
    uint64_t pair_count = 0;
    for (uint64_t r = 0; r < rows; ++r) {
      // Labels: a main label by popularity, then co-labels mostly from its topic.
      const uint64_t m = rng.count(c.labels_per_doc, 1);
      labels.clear();
      const uint32_t main = static_cast<uint32_t>(train ? any_seen_label.draw(rng) : any_label.draw(rng));
      labels.push_back(main);
      const uint32_t topic = label_topic[main];
      for (uint64_t j = 1; j < m * 2 && labels.size() < m; ++j) {
        const bool same_topic = rng.uniform() < 0.7;
        const Sampler& s = same_topic ? (train ? topic_label_sampler_seen[topic] : topic_label_sampler[topic])
                                      : (train ? any_seen_label : any_label);
        if (s.empty()) continue;
        const uint32_t l = same_topic ? topic_labels[topic][s.draw(rng)] : static_cast<uint32_t>(s.draw(rng));
        if (std::find(labels.begin(), labels.end(), l) == labels.end()) labels.push_back(l);
      }
      std::sort(labels.begin(), labels.end());
      // Words: some of each label's words, topic words, and noise from the whole vocabulary.
      const uint64_t n_words = rng.count(c.words_per_doc, 3);
      words.clear();
      for (uint32_t l : labels) {
        if (words.size() >= n_words) break;
        const auto& lw = label_words[l];
        words.push_back(lw[rng.below(lw.size())]);
        if (l == main && words.size() < n_words) words.push_back(lw[rng.below(lw.size())]);
      }
      while (words.size() < n_words) {
        if (rng.uniform() < c.noise) {
          words.push_back(static_cast<uint32_t>(global_word.draw(rng)));
        } else {
          words.push_back(topic_words[topic * kTopicWords + topic_word.draw(rng)]);
        }
      }
      for (uint64_t i = words.size() - 1; i > 0; --i) std::swap(words[i], words[rng.below(i + 1)]);
      text.clear();
      for (size_t i = 0; i < words.size(); ++i) {
        if (i) text += ' ';
        text += word(words[i]);
      }
      text += '\n';
      x.write(text);
      pairs.clear();
      for (size_t i = 0; i < labels.size(); ++i) {
        if (i) pairs += ' ';
        pairs += std::to_string(labels[i]) + ":1";
        if (train) seen[labels[i]] = 1;
      }
      pairs += '\n';
      xy.write(pairs);
      pair_count += labels.size();
    }
    x.commit();
    xy.commit();
    return pair_count;
  };
  summary.train_pairs = write_split("trn", c.docs, true);
  summary.test_pairs = write_split("tst", test_docs, false);
  summary.train_rows = c.docs;
  summary.test_rows = test_docs;
  for (uint8_t s : seen) summary.labels_without_train_rows += !s;
  return summary;
}

}  // namespace ngame
