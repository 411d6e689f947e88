#include "model/sparse_classifiers.h"

#include <algorithm>
#include <cmath>
#include <span>

#include "core/binary_io.h"

namespace ngame {

SparseText::SparseText(const uint32_t* text_ids, const float* text_weights, size_t text_size)
    : ids(text_ids), weights(text_weights), size(text_size) {
  for (size_t t = 0; t < size; ++t) filter[(ids[t] >> 6) & 63] |= uint64_t{1} << (ids[t] & 63);
}

float SparseClassifiers::margin(const SparseText& text, uint32_t l) const {
  if (!has(l)) return 0.0f;
  const uint32_t* begin = ids.data() + offsets[l];
  const uint32_t* end = ids.data() + offsets[l + 1];
  const uint32_t* text_end = text.ids + text.size;
  float s = bias[l];
  // Both paths add the matching products in increasing feature id order, so they give the same float.
  if (static_cast<size_t>(end - begin) <= kScanPerTextFeature * text.size) {
    // A label's weights are read in order and tested against the text's filter; the rare hits are looked up in the
    // text's few features.
    const uint32_t* from = text.ids;
    for (const uint32_t* at = begin; at != end; ++at) {
      if (!text.may_hold(*at)) continue;
      from = std::lower_bound(from, text_end, *at);
      if (from == text_end) break;
      if (*from == *at) s += text.weights[from - text.ids] * weights[static_cast<size_t>(at - ids.data())];
    }
    return s;
  }
  // A label with many more weights than the text has features: each text feature is looked up by binary search,
  // starting where the previous one ended (both are sorted).
  const uint32_t* at = begin;
  for (size_t t = 0; t < text.size && at != end; ++t) {
    at = std::lower_bound(at, end, text.ids[t]);
    if (at != end && *at == text.ids[t]) s += text.weights[t] * weights[static_cast<size_t>(at - ids.data())];
  }
  return s;
}

void SparseClassifiers::append(const std::vector<uint32_t>& label_ids, const std::vector<float>& label_weights,
                               float label_bias, bool label_trained) {
  ids.insert(ids.end(), label_ids.begin(), label_ids.end());
  weights.insert(weights.end(), label_weights.begin(), label_weights.end());
  offsets.push_back(ids.size());
  bias.push_back(label_bias);
  trained.push_back(label_trained ? 1 : 0);
}

SparseClassifiers SparseClassifiers::without(const std::vector<uint32_t>& sorted_labels) const {
  SparseClassifiers out;
  out.feature_count = feature_count;
  std::vector<uint32_t> label_ids;
  std::vector<float> label_weights;
  for (uint32_t l = 0; l < label_count(); ++l) {
    label_ids.clear();
    label_weights.clear();
    const bool dropped = std::binary_search(sorted_labels.begin(), sorted_labels.end(), l);
    if (!dropped) {
      label_ids.assign(ids.begin() + static_cast<std::ptrdiff_t>(offsets[l]),
                       ids.begin() + static_cast<std::ptrdiff_t>(offsets[l + 1]));
      label_weights.assign(weights.begin() + static_cast<std::ptrdiff_t>(offsets[l]),
                           weights.begin() + static_cast<std::ptrdiff_t>(offsets[l + 1]));
    }
    out.append(label_ids, label_weights, dropped ? 0.0f : bias[l], !dropped && trained[l]);
  }
  return out;
}

std::string SparseClassifiers::save(size_t labels) const {
  // Padding copies the per-label arrays only; ids and weights are written as they are.
  const size_t pad = labels > label_count() ? labels - label_count() : 0;
  std::vector<uint64_t> all_offsets(offsets);
  all_offsets.insert(all_offsets.end(), pad, offsets.back());
  std::vector<float> all_bias(bias);
  all_bias.insert(all_bias.end(), pad, 0.0f);
  std::vector<uint8_t> all_trained(trained);
  all_trained.insert(all_trained.end(), pad, 0);
  PayloadWriter w;
  w.u32(feature_count);
  w.vec(std::span<const uint64_t>(all_offsets));
  w.vec(std::span<const uint32_t>(ids));
  w.vec(std::span<const float>(weights));
  w.vec(std::span<const float>(all_bias));
  w.vec(std::span<const uint8_t>(all_trained));
  return std::move(w.bytes());
}

SparseClassifiers SparseClassifiers::load(std::string_view payload, const std::string& context, size_t labels,
                                          uint32_t features) {
  PayloadReader r(payload, context);
  SparseClassifiers c;
  c.feature_count = r.u32();
  c.offsets = r.vec<uint64_t>();
  c.ids = r.vec<uint32_t>();
  c.weights = r.vec<float>();
  c.bias = r.vec<float>();
  c.trained = r.vec<uint8_t>();
  if (!r.done()) r.fail("trailing bytes after the sparse classifiers");
  if (c.feature_count != features) r.fail("feature count does not match the encoder's featurizer");
  if (c.bias.size() != labels || c.trained.size() != labels || c.offsets.size() != labels + 1) {
    r.fail("sparse classifiers cover " + std::to_string(c.bias.size()) + " labels, the model has " +
           std::to_string(labels));
  }
  if (c.offsets.front() != 0 || c.offsets.back() != c.ids.size() || c.weights.size() != c.ids.size()) {
    r.fail("sparse classifier offsets are inconsistent");
  }
  if (!std::is_sorted(c.offsets.begin(), c.offsets.end())) r.fail("sparse classifier offsets decrease");
  for (size_t l = 0; l < labels; ++l) {
    if (c.trained[l] > 1 || !std::isfinite(c.bias[l])) r.fail("bad bias or flag of label " + std::to_string(l));
    for (uint64_t p = c.offsets[l]; p < c.offsets[l + 1]; ++p) {
      if (c.ids[p] >= features || (p > c.offsets[l] && c.ids[p] <= c.ids[p - 1]) || !std::isfinite(c.weights[p])) {
        r.fail("bad weight of label " + std::to_string(l) + " (ids must be sorted, below " + std::to_string(features) +
               ", values finite)");
      }
    }
  }
  return c;
}

}  // namespace ngame
