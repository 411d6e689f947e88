#pragma once
// Embeddings of a corpus computed by the ranks of a group together: each rank embeds its share, all receive all.
#include <vector>

#include "core/communicator.h"
#include "encoder/encoder.h"

namespace ngame {

/// Every row of input embedded into out (input.size() x dim), the work dealt among the group's ranks in blocks of
/// kEmbedBlockRows rows (the blocks Encoder::embed_all uses, so the floats are embed_all's); a null group or a
/// group of one embeds alone. Rows are not normalised.
void embed_all_shared(const Encoder& encoder, const EncoderInput& input, float* out, Communicator* group);

}  // namespace ngame
