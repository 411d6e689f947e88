#include "encoder/encoder.h"

#include <numeric>

namespace ngame {

void Encoder::embed_all(const EncoderInput& input, float* out) const {
  std::vector<uint32_t> rows;
  for (size_t start = 0; start < input.size(); start += kEmbedBlockRows) {
    const size_t n = std::min(kEmbedBlockRows, input.size() - start);
    rows.resize(n);
    std::iota(rows.begin(), rows.end(), static_cast<uint32_t>(start));
    embed(input, rows, out + start * dim());
  }
}

}  // namespace ngame
