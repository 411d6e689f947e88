#pragma once
// Inner-product distance kernels (1 - <a, b>) for the HNSW graphs, in hnswlib's distance-function signature.
#include <cstddef>

namespace ngame {

/// hnswlib's distance signature: (vector a, vector b, pointer to the size_t dimension).
using InnerProductDistanceFn = float (*)(const void* a, const void* b, const void* dim_ptr);

/// 1 - <a, b> over *dim_ptr floats, portable kernel (reference for the AVX2 one).
float inner_product_distance_portable(const void* a, const void* b, const void* dim_ptr);
/// The fastest kernel this CPU runs: AVX2+FMA where present, else the portable one.
InnerProductDistanceFn fastest_inner_product_distance();

}  // namespace ngame
