#include "train/shared_embedding.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "core/error.h"

namespace ngame {

void embed_all_shared(const Encoder& encoder, const EncoderInput& input, float* out, Communicator* group) {
  if (group == nullptr || group->size() == 1) {
    encoder.embed_all(input, out);
    return;
  }
  const size_t d = encoder.dim(), n = input.size();
  const auto ranks = static_cast<size_t>(group->size()), rank = static_cast<size_t>(group->rank());
  const size_t blocks = (n + kEmbedBlockRows - 1) / kEmbedBlockRows;
  std::vector<uint32_t> rows;
  std::vector<float> mine;
  // Round r: rank j embeds block r * ranks + j; every rank then copies every block of the round.
  for (size_t first = 0; first < blocks; first += ranks) {
    const size_t block = first + rank;
    mine.clear();
    if (block < blocks) {
      const size_t begin = block * kEmbedBlockRows, end = std::min(n, begin + kEmbedBlockRows);
      rows.resize(end - begin);
      std::iota(rows.begin(), rows.end(), static_cast<uint32_t>(begin));
      mine.resize(rows.size() * d);
      encoder.embed(input, rows, mine.data());
    }
    const std::vector<std::string_view> all =
        group->all_gather(std::string_view(reinterpret_cast<const char*>(mine.data()), mine.size() * sizeof(float)));
    for (size_t j = 0; j < ranks && first + j < blocks; ++j) {
      const size_t begin = (first + j) * kEmbedBlockRows, end = std::min(n, begin + kEmbedBlockRows);
      NGAME_CHECK(all[j].size() == (end - begin) * d * sizeof(float), "embed_all_shared: a rank sent a short block");
      std::memcpy(out + begin * d, all[j].data(), all[j].size());
    }
  }
}

}  // namespace ngame
