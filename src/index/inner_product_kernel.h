#pragma once
// Inner-product distance kernels (1 - <a, b>) for the HNSW graphs, in hnswlib's distance-function signature, over
// float vectors or their 8-bit encoding.
#include <cstddef>
#include <vector>

namespace ngame {

/// hnswlib's distance signature: (vector a, vector b, pointer to the size_t dimension).
using InnerProductDistanceFn = float (*)(const void* a, const void* b, const void* dim_ptr);

/// 1 - <a, b> over *dim_ptr floats, portable kernel (reference for the AVX2 one).
float inner_product_distance_portable(const void* a, const void* b, const void* dim_ptr);
/// The fastest kernel this CPU runs: AVX2+FMA where present, else the portable one.
InnerProductDistanceFn fastest_inner_product_distance();

/// Bytes of a vector of dim floats in the 8-bit graph encoding: a float scale, then dim signed bytes, zero-padded to
/// a multiple of 4 (hnswlib reads the 4-byte link counts that follow each vector in its node records).
inline size_t int8_vector_bytes(size_t dim) { return sizeof(float) + (dim + 3) / 4 * 4; }
/// The largest |x| of dim floats, values that are not finite left out: 127 times an 8-bit encoding's scale.
float int8_largest(const float* x, size_t dim);
/// x times inverse (127 / the largest |x|) rounded to a byte value in [-127, 127]; a value that is not finite is 0.
int int8_value(float x, float inverse);
/// Writes x (dim floats) in the 8-bit encoding to out (int8_vector_bytes(dim) bytes): each value rounded to a
/// multiple of max|x| / 127, so a unit vector's inner products move by about 1e-3 (test_ann_index measures it).
void encode_int8_vector(const float* x, size_t dim, void* out);
/// 1 - <a, b> of two 8-bit encoded vectors of *dim_ptr values, portable kernel (reference for the AVX2 one).
float int8_inner_product_distance_portable(const void* a, const void* b, const void* dim_ptr);
/// Every 8-bit kernel this CPU runs, fastest first: AVX-512 VNNI, AVX2, portable (all give the same exact sum).
std::vector<InnerProductDistanceFn> runnable_int8_inner_product_distances();
/// The fastest 8-bit kernel this CPU runs: the first of runnable_int8_inner_product_distances().
InnerProductDistanceFn fastest_int8_inner_product_distance();

}  // namespace ngame
