#include "data/xc_json_convert.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/error.h"
#include "core/line_reader.h"
#include "data/sparse_matrix.h"
#include "data/text_corpus.h"
#include "data/utf8.h"

namespace ngame {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string find_source(const std::string& dir, const std::string& stem, bool required) {
  for (const char* ext : {".json.gz", ".json"}) {
    fs::path p = fs::path(dir) / (stem + ext);
    if (fs::exists(p)) return p.string();
  }
  if (required) throw InputError((fs::path(dir) / (stem + ".json.gz")).string(), 0, "not found");
  return {};
}

std::string string_field(const json& obj, const char* key, const std::string& path, uint64_t line, bool required) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) throw InputError(path, line, std::string("missing field '") + key + "'");
    return {};
  }
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  throw InputError(path, line, std::string("field '") + key + "' must be a string");
}

std::string clean_text(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  size_t a = text.find_first_not_of(' ');
  if (a == std::string::npos) return {};
  size_t b = text.find_last_not_of(' ');
  return text.substr(a, b - a + 1);
}

struct RawSplit {
  std::vector<std::string> texts, ids;
  SparseMatrix labels;
};

RawSplit read_raw(const std::string& path, TextFields fields, bool with_targets, uint64_t label_count) {
  RawSplit split;
  split.labels.cols = label_count;
  LineReader reader(path);
  std::string_view line;
  std::vector<uint32_t> ids;
  std::vector<float> vals;
  while (reader.next(line)) {
    const uint64_t n = reader.line_number();
    if (line.find_first_not_of(" \t") == std::string_view::npos) throw InputError(path, n, "empty line");
    json obj = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
    if (obj.is_discarded() || !obj.is_object()) throw InputError(path, n, "not a JSON object");
    std::string uid = string_field(obj, "uid", path, n, true);
    std::string text = string_field(obj, "title", path, n, true);
    if (fields == TextFields::kTitleAndContent) {
      text.push_back(' ');
      text.append(string_field(obj, "content", path, n, false));
    }
    text = clean_text(std::move(text));
    if (text.empty()) throw InputError(path, n, "empty text for uid '" + uid + "'");
    if (find_invalid_utf8(text) != std::string::npos) throw InputError(path, n, "invalid UTF-8 in text");
    split.texts.push_back(std::move(text));
    split.ids.push_back(clean_text(uid));
    if (!with_targets) continue;
    auto ind = obj.find("target_ind");
    if (ind == obj.end() || !ind->is_array()) throw InputError(path, n, "missing array field 'target_ind'");
    auto rel = obj.find("target_rel");
    if (rel != obj.end() && (!rel->is_array() || rel->size() != ind->size())) {
      throw InputError(path, n, "'target_rel' must be an array as long as 'target_ind'");
    }
    ids.clear();
    vals.clear();
    for (size_t j = 0; j < ind->size(); ++j) {
      const json& v = (*ind)[j];
      if (!v.is_number_integer() || v.get<int64_t>() < 0) {
        throw InputError(path, n, "target_ind holds a value that is not a non-negative integer");
      }
      auto id = v.get<uint64_t>();
      if (id >= label_count) {
        throw InputError(path, n,
                         "label id " + std::to_string(id) + " out of range (" + std::to_string(label_count) +
                             " labels in lbl.json)");
      }
      if (std::find(ids.begin(), ids.end(), id) != ids.end()) {
        throw InputError(path, n, "duplicate label id " + std::to_string(id));
      }
      float value = 1.0f;
      if (rel != obj.end()) {
        if (!(*rel)[j].is_number()) throw InputError(path, n, "target_rel holds a non-number");
        value = (*rel)[j].get<float>();
      }
      ids.push_back(static_cast<uint32_t>(id));
      vals.push_back(value);
    }
    // Sort each row by label id, the layout of the XC Repository files.
    std::vector<size_t> order(ids.size());
    for (size_t j = 0; j < order.size(); ++j) order[j] = j;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ids[a] < ids[b]; });
    std::vector<uint32_t> sorted_ids;
    std::vector<float> sorted_vals;
    for (size_t j : order) {
      sorted_ids.push_back(ids[j]);
      sorted_vals.push_back(vals[j]);
    }
    split.labels.append_row(sorted_ids, sorted_vals);
  }
  return split;
}

}  // namespace

XcJsonConvertSummary convert_xc_json(const XcJsonConvertConfig& config) {
  if (!fs::is_directory(config.source_dir)) throw InputError(config.source_dir, 0, "no such directory");
  const std::string lbl = find_source(config.source_dir, "lbl", true);
  const std::string trn = find_source(config.source_dir, "trn", true);
  const std::string tst = find_source(config.source_dir, "tst", false);
  RawSplit labels = read_raw(lbl, config.fields, false, 0);
  const uint64_t label_count = labels.texts.size();
  RawSplit train = read_raw(trn, config.fields, true, label_count);
  RawSplit test;
  if (!tst.empty()) test = read_raw(tst, config.fields, true, label_count);

  fs::create_directories(config.output_dir);
  const fs::path out(config.output_dir);
  write_text_file((out / "Y.txt").string(), labels.texts);
  write_text_file((out / "Y.ids.txt").string(), labels.ids);
  write_text_file((out / "trn_X.txt").string(), train.texts);
  write_text_file((out / "trn_X.ids.txt").string(), train.ids);
  write_sparse_matrix((out / "trn_X_Y.txt").string(), train.labels);
  if (!tst.empty()) {
    write_text_file((out / "tst_X.txt").string(), test.texts);
    write_text_file((out / "tst_X.ids.txt").string(), test.ids);
    write_sparse_matrix((out / "tst_X_Y.txt").string(), test.labels);
  }
  return {train.labels.rows, tst.empty() ? 0 : test.labels.rows, label_count};
}

}  // namespace ngame
