#include "data/dataset_stats.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace ngame {

namespace {

CountSummary summarize(std::vector<uint64_t> counts) {
  CountSummary s;
  if (counts.empty()) return s;
  std::sort(counts.begin(), counts.end());
  double sum = 0;
  for (uint64_t c : counts) sum += static_cast<double>(c);
  s.mean = sum / static_cast<double>(counts.size());
  s.min = counts.front();
  s.max = counts.back();
  s.median = counts[counts.size() / 2];
  s.p90 = counts[std::min(counts.size() - 1, counts.size() * 9 / 10)];
  return s;
}

uint64_t count_words(std::string_view text) {
  uint64_t words = 0;
  bool in_word = false;
  for (char c : text) {
    bool space = c == ' ' || c == '\t';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

std::vector<uint64_t> word_counts(const TextCorpus& texts) {
  std::vector<uint64_t> counts(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) counts[i] = count_words(texts[i]);
  return counts;
}

SplitStats split_stats(const DatasetSplit& split) {
  SplitStats s;
  s.rows = split.labels.rows;
  s.nnz = split.labels.nnz();
  s.filter_pairs = split.filter.pairs.size();
  std::vector<uint64_t> per_row(split.labels.rows);
  for (uint64_t r = 0; r < split.labels.rows; ++r) {
    per_row[r] = split.labels.row_size(r);
    if (per_row[r] == 0) ++s.rows_without_labels;
  }
  s.labels_per_row = summarize(std::move(per_row));
  s.words_per_text = summarize(word_counts(split.texts));
  return s;
}

std::string format_summary(const CountSummary& s) {
  return fmt::format("mean {:8.2f}  min {:6}  median {:6}  p90 {:6}  max {:7}", s.mean, s.min, s.median, s.p90,
                     s.max);
}

}  // namespace

DatasetStats compute_dataset_stats(const Dataset& data) {
  DatasetStats s;
  s.labels = data.label_count();
  s.train = split_stats(data.train);
  std::vector<uint64_t> train_counts = data.train.labels.column_counts();
  for (uint64_t c : train_counts) s.labels_without_train_rows += c == 0;
  if (data.test) {
    s.has_test = true;
    s.test = split_stats(*data.test);
    std::vector<uint64_t> test_counts = data.test->labels.column_counts();
    for (size_t l = 0; l < test_counts.size(); ++l) s.labels_only_in_test += test_counts[l] > 0 && train_counts[l] == 0;
    for (uint64_t r = 0; r < data.test->labels.rows; ++r) {
      for (uint32_t l : data.test->labels.row_indices(r)) {
        if (train_counts[l] == 0) {
          ++s.test_rows_with_unseen_label;
          break;
        }
      }
    }
  }
  s.rows_per_label = summarize(std::move(train_counts));
  s.words_per_label_text = summarize(word_counts(data.label_texts));
  return s;
}

std::string format_dataset_stats(const DatasetStats& s) {
  std::string out;
  out += fmt::format("labels                 {}\n", s.labels);
  out += fmt::format("train rows             {}  ({} label pairs, {} rows without labels, {} filter pairs)\n",
                     s.train.rows, s.train.nnz, s.train.rows_without_labels, s.train.filter_pairs);
  if (s.has_test) {
    out += fmt::format("test rows              {}  ({} label pairs, {} rows without labels, {} filter pairs)\n",
                       s.test.rows, s.test.nnz, s.test.rows_without_labels, s.test.filter_pairs);
  }
  out += fmt::format("labels per train row   {}\n", format_summary(s.train.labels_per_row));
  if (s.has_test) out += fmt::format("labels per test row    {}\n", format_summary(s.test.labels_per_row));
  out += fmt::format("train rows per label   {}\n", format_summary(s.rows_per_label));
  out += fmt::format("labels without train rows  {}\n", s.labels_without_train_rows);
  if (s.has_test) {
    out += fmt::format("labels seen only in test   {}  ({} test rows hold one)\n", s.labels_only_in_test,
                       s.test_rows_with_unseen_label);
  }
  out += fmt::format("words per train text   {}\n", format_summary(s.train.words_per_text));
  if (s.has_test) out += fmt::format("words per test text    {}\n", format_summary(s.test.words_per_text));
  out += fmt::format("words per label text   {}\n", format_summary(s.words_per_label_text));
  return out;
}

}  // namespace ngame
