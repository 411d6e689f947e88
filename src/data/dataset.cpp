#include "data/dataset.h"

#include <filesystem>

#include "core/error.h"
#include "data/utf8.h"

namespace ngame {

namespace fs = std::filesystem;

DatasetSplit load_dataset_split(const std::string& dir, const std::string& prefix, uint64_t label_count,
                                bool latin1) {
  DatasetSplit split;
  const std::string x_path = (fs::path(dir) / (prefix + "_X.txt")).string();
  const std::string y_path = (fs::path(dir) / (prefix + "_X_Y.txt")).string();
  split.texts = read_text_file(x_path, TextReadOptions{.latin1 = latin1, .allow_empty = false});
  split.labels = read_sparse_matrix(y_path);
  if (split.labels.rows != split.texts.size()) {
    throw InputError(y_path, 1,
                     "header says " + std::to_string(split.labels.rows) + " rows but " + x_path + " has " +
                         std::to_string(split.texts.size()) + " lines");
  }
  if (split.labels.cols != label_count) {
    throw InputError(y_path, 1,
                     "header says " + std::to_string(split.labels.cols) + " labels but Y.txt has " +
                         std::to_string(label_count) + " lines");
  }
  const std::string filter_name = prefix == "trn" ? "filter_labels_train.txt" : "filter_labels_test.txt";
  const fs::path filter_path = fs::path(dir) / filter_name;
  if (fs::exists(filter_path)) {
    split.filter = read_filter_pairs(filter_path.string(), split.labels.rows, label_count);
  } else {
    split.filter.source = filter_path.string();
  }
  return split;
}

Dataset load_dataset(const std::string& dir, const DatasetLoadOptions& options) {
  if (!fs::is_directory(dir)) throw InputError(dir, 0, "not a dataset folder (no such directory)");
  Dataset data;
  data.dir = dir;
  data.label_texts = read_text_file((fs::path(dir) / "Y.txt").string(),
                                    TextReadOptions{.latin1 = options.latin1, .allow_empty = false});
  data.train = load_dataset_split(dir, "trn", data.label_count(), options.latin1);
  bool has_test = fs::exists(fs::path(dir) / "tst_X.txt") || fs::exists(fs::path(dir) / "tst_X_Y.txt");
  if (has_test || options.require_test) {
    data.test = load_dataset_split(dir, "tst", data.label_count(), options.latin1);
  }
  return data;
}

namespace {

TextCorpus checked_texts(const std::vector<std::string>& texts, const std::string& field) {
  TextCorpus out;
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string where = field + "[" + std::to_string(i) + "]";
    const std::string& t = texts[i];
    if (t.find_first_not_of(" \t") == std::string::npos) throw InputError(where, 0, "empty text");
    if (const size_t bad = find_invalid_utf8(t); bad != std::string::npos) {
      throw InputError(where, 0, "not valid UTF-8 (byte " + std::to_string(bad) + ")");
    }
    if (t.find_first_of("\r\n") != std::string::npos) throw InputError(where, 0, "contains a line break");
    out.push_back(t);
  }
  return out;
}

}  // namespace

void check_sparse_matrix(const SparseMatrix& m, uint64_t rows, uint64_t cols, const std::string& field) {
  auto shape = [](uint64_t r, uint64_t c) { return std::to_string(r) + " x " + std::to_string(c); };
  if (m.rows != rows || m.cols != cols) {
    throw InputError(field, 0, "shape " + shape(m.rows, m.cols) + ", expected " + shape(rows, cols));
  }
  if (m.indptr.size() != m.rows + 1 || m.indptr.front() != 0 || m.indptr.back() != m.indices.size() ||
      m.values.size() != m.indices.size()) {
    throw InputError(field, 0, "inconsistent sparse rows (offsets, ids and values do not agree)");
  }
  for (uint64_t r = 0; r < m.rows; ++r) {
    if (m.indptr[r] > m.indptr[r + 1]) throw InputError(field, 0, "row offsets decrease at row " + std::to_string(r));
    for (uint32_t id : m.row_indices(r)) {
      if (id >= cols) {
        throw InputError(field, 0, "row " + std::to_string(r) + ": label " + std::to_string(id) + " out of range (" +
                                       std::to_string(cols) + " labels)");
      }
    }
  }
}

Dataset make_dataset(const std::vector<std::string>& texts, const SparseMatrix& labels,
                     const std::vector<std::string>& label_texts, const std::vector<std::string>& test_texts,
                     const SparseMatrix* test_labels) {
  Dataset data;
  if (label_texts.empty()) throw InputError("label_texts", 0, "no labels");
  if (texts.empty()) throw InputError("texts", 0, "no training texts");
  data.label_texts = checked_texts(label_texts, "label_texts");
  data.train.texts = checked_texts(texts, "texts");
  check_sparse_matrix(labels, texts.size(), label_texts.size(), "labels");
  data.train.labels = labels;
  if (test_labels) {
    DatasetSplit test;
    test.texts = checked_texts(test_texts, "test_texts");
    check_sparse_matrix(*test_labels, test_texts.size(), label_texts.size(), "test_labels");
    test.labels = *test_labels;
    data.test = std::move(test);
  } else if (!test_texts.empty()) {
    throw InputError("test_labels", 0, "test texts were given without their labels");
  }
  return data;
}

}  // namespace ngame
