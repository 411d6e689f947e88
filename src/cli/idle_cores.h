#pragma once
// After the data-parallel stage of `mpirun ... ngame train`, rank 0 trains the rest alone: it takes over the cores
// of the ranks that wait on its machine (mpirun binds each of two ranks to one core by default).
#include "core/communicator.h"

namespace ngame {

/// Collective: every rank sends its host name and CPU affinity; rank 0 widens the affinity of all its threads to the
/// union of its machine's ranks' CPUs and sets its thread count to threads_per_rank x those ranks (at most the
/// CPUs). Returns rank 0's new thread count (0 on the other ranks).
int take_over_idle_local_cores(Communicator& group, int threads_per_rank);

}  // namespace ngame
