#include "data/wordnet_dataset.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "core/line_reader.h"
#include "data/filter_pairs.h"
#include "data/md5.h"
#include "data/sparse_matrix.h"
#include "data/text_corpus.h"
#include "data/utf8.h"

namespace ngame {

namespace fs = std::filesystem;

namespace {

struct Synset {
  std::string text;                  // "lemma, lemma: gloss"
  std::vector<std::string> parents;  // offsets of @ and @i pointers to nouns, in file order
};

std::vector<std::string_view> split_spaces(std::string_view s) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < s.size()) {
    while (pos < s.size() && s[pos] == ' ') ++pos;
    if (pos == s.size()) break;
    size_t end = s.find(' ', pos);
    if (end == std::string_view::npos) end = s.size();
    out.push_back(s.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

std::string_view strip(std::string_view s) {
  const char* ws = " \t";
  size_t a = s.find_first_not_of(ws);
  if (a == std::string_view::npos) return {};
  size_t b = s.find_last_not_of(ws);
  return s.substr(a, b - a + 1);
}

std::string render_word(std::string_view word) {
  // Adjective markers such as "(p)" only occur in data.adj, but the format allows them anywhere.
  if (!word.empty() && word.back() == ')') {
    size_t open = word.rfind('(');
    if (open != std::string_view::npos) word = word.substr(0, open);
  }
  std::string out(word);
  std::replace(out.begin(), out.end(), '_', ' ');
  return out;
}

uint64_t parse_number(const std::string& path, uint64_t line_no, std::string_view token, int base,
                      const char* what) {
  uint64_t value = 0;
  if (token.empty()) throw InputError(path, line_no, std::string("missing ") + what);
  for (char c : token) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      throw InputError(path, line_no, std::string("bad ") + what + " '" + std::string(token) + "'");
    }
    value = value * static_cast<uint64_t>(base) + static_cast<uint64_t>(digit);
  }
  return value;
}

std::map<std::string, Synset> read_noun_synsets(const std::string& path) {
  LineReader reader(path);
  std::map<std::string, Synset> synsets;
  std::string_view line;
  while (reader.next(line)) {
    const uint64_t line_no = reader.line_number();
    if (line.starts_with("  ")) continue;  // license header
    if (line.empty()) continue;
    size_t bar = line.find(" | ");
    if (bar == std::string_view::npos) throw InputError(path, line_no, "synset line without ' | ' gloss");
    std::vector<std::string_view> f = split_spaces(line.substr(0, bar));
    if (f.size() < 4) throw InputError(path, line_no, "synset line too short");
    Synset synset;
    const std::string offset(f[0]);
    size_t pos = 3;
    const uint64_t word_count = parse_number(path, line_no, f[pos++], 16, "word count");
    if (pos + 2 * word_count >= f.size()) throw InputError(path, line_no, "truncated word list");
    std::vector<std::string> words;
    for (uint64_t w = 0; w < word_count; ++w) {
      std::string word = render_word(f[pos]);
      pos += 2;
      if (std::find(words.begin(), words.end(), word) == words.end()) words.push_back(std::move(word));
    }
    const uint64_t pointer_count = parse_number(path, line_no, f[pos++], 10, "pointer count");
    if (pos + 4 * pointer_count > f.size()) throw InputError(path, line_no, "truncated pointer list");
    for (uint64_t p = 0; p < pointer_count; ++p) {
      std::string_view symbol = f[pos], target = f[pos + 1], target_pos = f[pos + 2];
      pos += 4;
      if ((symbol == "@" || symbol == "@i") && target_pos == "n") synset.parents.emplace_back(target);
    }
    for (size_t w = 0; w < words.size(); ++w) {
      if (w) synset.text += ", ";
      synset.text += words[w];
    }
    synset.text += ": ";
    synset.text += strip(line.substr(bar + 3));
    std::replace(synset.text.begin(), synset.text.end(), '\t', ' ');
    if (size_t bad = find_invalid_utf8(synset.text); bad != std::string::npos) {
      throw InputError(path, line_no, "invalid UTF-8 in synset text");
    }
    if (!synsets.emplace(offset, std::move(synset)).second) {
      throw InputError(path, line_no, "duplicate synset offset " + offset);
    }
  }
  return synsets;
}

}  // namespace

WordnetDatasetSummary build_wordnet_dataset(const WordnetDatasetConfig& config) {
  NGAME_CHECK(config.levels >= 1, "levels must be >= 1");
  NGAME_CHECK(config.test_modulus >= 1, "test modulus must be >= 1");
  const std::string data_path = (fs::path(config.wordnet_dir) / "data.noun").string();
  if (!fs::exists(data_path)) {
    throw InputError(data_path, 0, "not found (install Debian's wordnet-base, or give the folder that holds data.noun)");
  }
  const std::map<std::string, Synset> synsets = read_noun_synsets(data_path);

  // Labels of each document: parents, then their parents, ... in discovery order without repeats.
  std::map<std::string, std::vector<std::string>> doc_labels;  // ordered by offset string
  for (const auto& [offset, synset] : synsets) {
    if (synset.parents.empty()) continue;
    std::vector<std::string> labels;
    std::vector<std::string> frontier = {offset};
    for (int level = 0; level < config.levels; ++level) {
      std::vector<std::string> next;
      for (const std::string& node : frontier) {
        auto it = synsets.find(node);
        if (it == synsets.end()) throw InputError(data_path, 0, "pointer to unknown synset " + node);
        for (const std::string& parent : it->second.parents) {
          if (std::find(labels.begin(), labels.end(), parent) != labels.end()) continue;
          labels.push_back(parent);
          next.push_back(parent);
        }
      }
      frontier = std::move(next);
    }
    doc_labels.emplace(offset, std::move(labels));
  }

  std::map<std::string, uint32_t> label_ids;  // sorted offset strings -> id
  for (const auto& [offset, labels] : doc_labels) {
    for (const std::string& l : labels) label_ids.emplace(l, 0);
  }
  uint32_t next_id = 0;
  for (auto& [offset, id] : label_ids) id = next_id++;

  fs::create_directories(config.output_dir);
  const fs::path out(config.output_dir);
  std::vector<std::string> label_texts, label_offsets;
  for (const auto& [offset, id] : label_ids) {
    label_texts.push_back(synsets.at(offset).text);
    label_offsets.push_back(offset);
  }
  write_text_file((out / "Y.txt").string(), label_texts);
  write_text_file((out / "Y.ids.txt").string(), label_offsets);

  WordnetDatasetSummary summary;
  summary.labels = label_ids.size();
  for (const char* prefix : {"trn", "tst"}) {
    const bool is_test = std::string_view(prefix) == "tst";
    std::vector<std::string> texts, ids;
    SparseMatrix matrix;
    matrix.cols = label_ids.size();
    std::vector<std::pair<uint64_t, uint32_t>> filter;
    std::vector<uint32_t> row_ids;
    for (const auto& [offset, labels] : doc_labels) {
      if ((md5_mod(offset, config.test_modulus) == 0) != is_test) continue;
      row_ids.clear();
      for (const std::string& l : labels) row_ids.push_back(label_ids.at(l));
      std::sort(row_ids.begin(), row_ids.end());
      std::vector<float> ones(row_ids.size(), 1.0f);
      if (auto self = label_ids.find(offset); self != label_ids.end()) filter.emplace_back(matrix.rows, self->second);
      matrix.append_row(row_ids, ones);
      texts.push_back(synsets.at(offset).text);
      ids.push_back(offset);
    }
    const std::string p(prefix);
    write_text_file((out / (p + "_X.txt")).string(), texts);
    write_text_file((out / (p + "_X.ids.txt")).string(), ids);
    write_sparse_matrix((out / (p + "_X_Y.txt")).string(), matrix);
    write_filter_pairs((out / (is_test ? "filter_labels_test.txt" : "filter_labels_train.txt")).string(), filter);
    (is_test ? summary.test_rows : summary.train_rows) = matrix.rows;
  }
  return summary;
}

}  // namespace ngame
