#pragma once
// Which OpenBLAS kernels run the matrix products. OpenBLAS picks them by the CPU's model number when it loads; a
// virtual machine that reports a generic model ("Intel Xeon Processor") gets its oldest kernels (Prescott: SSE3),
// which make every product several times slower although the CPU has AVX2 or AVX-512. OPENBLAS_CORETYPE, read when
// the library loads, chooses the kernels instead.
#include <string>

namespace ngame {

/// The name of the OpenBLAS kernel set in use, e.g. "Prescott", "Haswell", "SkylakeX".
std::string blas_kernel_name();
/// When OpenBLAS runs its generic kernels on a CPU with AVX2 or AVX-512 and OPENBLAS_CORETYPE is not set: the
/// kernel set the CPU's features allow ("SkylakeX" or "Haswell"); "" otherwise.
std::string better_blas_kernels();

}  // namespace ngame
