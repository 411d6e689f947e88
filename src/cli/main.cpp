// The ngame command-line program: a thin layer over the library (see cli/cli_common.h).
#include <unistd.h>

#include <cstdlib>

#include "cli/cli_common.h"
#include "core/blas_kernels.h"

int main(int argc, char** argv) {
  // OpenBLAS chose its kernels when it loaded: if it fell back to its generic ones on a CPU that has AVX2 or
  // AVX-512, start again with the right ones named (once: the variable is then set). Matrix products dominate
  // prediction and training (bench/results/2026-12-03-profile-wordnet.md).
  const std::string kernels = ngame::better_blas_kernels();
  if (!kernels.empty() && ::setenv("OPENBLAS_CORETYPE", kernels.c_str(), 1) == 0) {
    ::execv("/proc/self/exe", argv);  // returns only on failure: carry on with the generic kernels
  }
  return ngame::run_cli(argc, argv);
}
