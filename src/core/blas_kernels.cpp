#include "core/blas_kernels.h"

#include <cblas.h>

#include <cctype>
#include <cstdlib>

namespace ngame {

std::string blas_kernel_name() {
  const char* name = openblas_get_corename();
  return name ? name : "";
}

std::string better_blas_kernels() {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return "";
  std::string name = blas_kernel_name();
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (name != "prescott" && name != "core2" && name != "nehalem" && name != "katmai" && name != "generic") return "";
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl")) {
    return "SkylakeX";
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  return "";
}

}  // namespace ngame
