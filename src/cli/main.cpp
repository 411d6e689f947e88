// The ngame command-line program: a thin layer over the library (see cli/cli_common.h).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "cli/cli_common.h"
#include "core/blas_kernels.h"
#ifdef NGAME_WITH_MPI
#include <iostream>

#include "dist/mpi_communicator.h"
#endif

int main(int argc, char** argv) {
  // OpenBLAS chose its kernels when it loaded: if it fell back to its generic ones on a CPU that has AVX2 or
  // AVX-512, start again with the right ones named (once: the variable is then set). Matrix products dominate
  // prediction and training (bench/results/2026-12-03-profile-wordnet.md).
  const std::string kernels = ngame::better_blas_kernels();
  if (!kernels.empty() && ::setenv("OPENBLAS_CORETYPE", kernels.c_str(), 1) == 0) {
    ::execv("/proc/self/exe", argv);  // returns only on failure: carry on with the generic kernels
  }
#ifdef NGAME_WITH_MPI
  if (ngame::launched_by_mpirun()) {
    ngame::MpiCommunicator group(&argc, &argv);
    if (group.size() > 1 && argc > 1 && !ngame::runs_across_processes(argv[1])) {
      if (group.rank() == 0) {
        std::cerr << "ngame: error: only train and predict run across mpirun's processes; run `ngame " << argv[1]
                  << "` as one process\n";
      }
      return 2;
    }
    ngame::set_process_group(&group);
    const int status = ngame::run_cli(argc, argv);
    ngame::set_process_group(nullptr);
    // A rank that failed has printed its error; the others may be waiting for it in an exchange: end them all.
    if (status != 0 && group.size() > 1) group.abort(status);
    return status;
  }
#else
  // Started by mpirun with several ranks, a build without MPI would run as many independent trainings into one folder.
  if (const char* ranks = std::getenv("OMPI_COMM_WORLD_SIZE"); ranks != nullptr && std::atoi(ranks) > 1) {
    if (const char* rank = std::getenv("OMPI_COMM_WORLD_RANK"); rank == nullptr || std::atoi(rank) == 0) {
      std::fputs("ngame: error: this ngame was built without MPI (libopenmpi-dev): run it as one process\n", stderr);
    }
    return 2;
  }
#endif
  return ngame::run_cli(argc, argv);
}
