#include "data/dataset.h"

#include <filesystem>

#include "core/error.h"

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

}  // namespace ngame
