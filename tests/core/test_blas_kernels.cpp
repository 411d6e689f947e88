// The OpenBLAS kernel check: a name is reported, and a user's OPENBLAS_CORETYPE is never second-guessed.
#include "core/blas_kernels.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace ngame {
namespace {

TEST(BlasKernels, ANameIsReportedAndTheUsersChoiceWins) {
  EXPECT_FALSE(blas_kernel_name().empty());
  const char* before = std::getenv("OPENBLAS_CORETYPE");
  const std::string saved = before ? before : "";
  ::setenv("OPENBLAS_CORETYPE", "Prescott", 1);
  EXPECT_EQ(better_blas_kernels(), "");
  if (before) {
    ::setenv("OPENBLAS_CORETYPE", saved.c_str(), 1);
  } else {
    ::unsetenv("OPENBLAS_CORETYPE");
  }
  // Without the variable, a better set is only ever one that OpenBLAS has.
  const std::string better = better_blas_kernels();
  EXPECT_TRUE(better.empty() || better == "Haswell" || better == "SkylakeX") << better;
}

}  // namespace
}  // namespace ngame
