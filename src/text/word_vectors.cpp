#include "text/word_vectors.h"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/binary_io.h"
#include "core/error.h"

namespace ngame {

const float* WordVectors::find(std::string_view word) const {
  auto it = index_.find(std::string(word));
  return it == index_.end() ? nullptr : values_.data() + static_cast<size_t>(it->second) * dim_;
}

void WordVectors::add(std::string word, const std::vector<float>& vector) {
  if (words_.empty() && dim_ == 0) dim_ = vector.size();
  NGAME_CHECK(vector.size() == dim_ && dim_ > 0, "word vectors must all have the same, non-zero size");
  if (index_.count(word)) return;
  index_.emplace(word, static_cast<uint32_t>(words_.size()));
  words_.push_back(std::move(word));
  values_.insert(values_.end(), vector.begin(), vector.end());
}

void WordVectors::save(const std::string& path) const {
  PayloadWriter w;
  w.u64(dim_);
  w.u64(words_.size());
  for (const std::string& word : words_) w.str(word);
  w.vec(std::span<const float>(values_));
  write_container(path, {{"WVEC", std::move(w.bytes())}});
}

WordVectors WordVectors::load(const std::string& path) {
  auto sections = read_container(path);
  if (!sections.has("WVEC")) throw InputError(path, 0, "not a word-vector file (no WVEC section)");
  PayloadReader r(sections.at("WVEC"), path);
  WordVectors v;
  v.dim_ = r.u64();
  const uint64_t n = r.u64();
  if (n > sections.at("WVEC").size()) r.fail("word count exceeds the section");
  for (uint64_t i = 0; i < n; ++i) {
    v.index_.emplace(r.str(), static_cast<uint32_t>(i));
  }
  v.words_.resize(n);
  for (auto& [word, id] : v.index_) v.words_[id] = word;
  v.values_ = r.vec<float>();
  if (v.dim_ == 0 || v.values_.size() != n * v.dim_ || !r.done()) r.fail("vector table has the wrong size");
  return v;
}

namespace {

// SAX handler: inside the top-level "vectors" object, each key is a word and its array holds D values followed
// by the norm and an index (the last two are dropped).
class WinkHandler : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit WinkHandler(WordVectors& out) : out_(out) {}
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t v) override { return number(static_cast<double>(v)); }
  bool number_unsigned(number_unsigned_t v) override { return number(static_cast<double>(v)); }
  bool number_float(number_float_t v, const string_t&) override { return number(v); }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    ++depth_;
    return true;
  }
  bool end_object() override {
    if (depth_ == 2) in_vectors_ = false;
    --depth_;
    return true;
  }
  bool key(string_t& k) override {
    if (depth_ == 1) in_vectors_ = k == "vectors";
    if (depth_ == 2 && in_vectors_) word_ = k;
    return true;
  }
  bool start_array(std::size_t) override {
    ++depth_;
    if (depth_ == 3 && in_vectors_) values_.clear();
    return true;
  }
  bool end_array() override {
    if (depth_ == 3 && in_vectors_) {
      if (values_.size() < 3) throw InputError(path_, 0, "vector of '" + word_ + "' is too short");
      values_.resize(values_.size() - 2);  // drop norm and index
      out_.add(word_, values_);
    }
    --depth_;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) override {
    throw InputError(path_, 0, "invalid JSON at byte " + std::to_string(position) + ": " + ex.what());
  }
  std::string path_;

 private:
  bool number(double v) {
    if (depth_ == 3 && in_vectors_) values_.push_back(static_cast<float>(v));
    return true;
  }
  WordVectors& out_;
  int depth_ = 0;
  bool in_vectors_ = false;
  std::string word_;
  std::vector<float> values_;
};

}  // namespace

WordVectors WordVectors::import_wink_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "cannot open");
  WordVectors v;
  WinkHandler handler(v);
  handler.path_ = path;
  nlohmann::json::sax_parse(in, &handler);
  if (v.size() == 0) throw InputError(path, 0, "no \"vectors\" object found (not a wink embeddings file?)");
  return v;
}

}  // namespace ngame
