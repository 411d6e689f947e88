#include "dist/mpi_communicator.h"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <limits>
#include <thread>

#include "core/error.h"

namespace ngame {

namespace {

// Waits for a non-blocking collective: polls, then sleeps between polls, so that a rank waiting for a slower one
// (rank 0 alone fitting the fusion, say) leaves the core to the ranks that work (mpirun oversubscribes a 2-core
// machine with 4 ranks; a blocking MPI call would spin).
void wait(MPI_Request& request) {
  int done = 0;
  for (int polls = 0; !done; ++polls) {
    if (MPI_Test(&request, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) throw RuntimeError("MPI_Test failed");
    if (done) break;
    if (polls > 200) std::this_thread::sleep_for(std::chrono::microseconds(polls > 20000 ? 2000 : 50));
  }
}

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

}  // namespace

bool launched_by_mpirun() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMIX_RANK") != nullptr;
}

MpiCommunicator::MpiCommunicator(int* argc, char*** argv) {
  // Only the main thread calls MPI; OpenMP's threads never do.
  int provided = 0;
  if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    throw RuntimeError("MPI_Init_thread failed");
  }
  // Errors come back as codes (turned into exceptions), so that a failing call ends in MPI_Abort with a message.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  local_size_ = std::max(1, env_int("OMPI_COMM_WORLD_LOCAL_SIZE", 1));
}

MpiCommunicator::~MpiCommunicator() { MPI_Finalize(); }

void MpiCommunicator::abort(int status) {
  MPI_Abort(MPI_COMM_WORLD, status);
  std::_Exit(status);  // MPI_Abort does not return; this keeps the compiler's [[noreturn]] promise
}

std::vector<std::string_view> MpiCommunicator::exchange(std::string_view mine) {
  NGAME_CHECK(mine.size() <= static_cast<size_t>(std::numeric_limits<int>::max()),
              "a collective payload over 2 GiB (" + std::to_string(mine.size()) + " bytes)");
  std::vector<int> sizes(size_);
  int own = static_cast<int>(mine.size());
  MPI_Request request;
  if (MPI_Iallgather(&own, 1, MPI_INT, sizes.data(), 1, MPI_INT, MPI_COMM_WORLD, &request) != MPI_SUCCESS) {
    throw RuntimeError("MPI_Iallgather failed");
  }
  const auto arrival = std::chrono::steady_clock::now();
  wait(request);
  waited_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - arrival).count();
  std::vector<int> offsets(size_);
  int64_t total = 0;
  for (int r = 0; r < size_; ++r) {
    offsets[r] = static_cast<int>(total);
    total += sizes[r];
  }
  NGAME_CHECK(total <= std::numeric_limits<int>::max(), "a collective over 2 GiB in all");
  char* all = receive_buffer(static_cast<size_t>(total));
  // Every rank has arrived (the sizes are known): the bytes move with a blocking call, which drives the transfer
  // at full speed (a non-blocking one progresses only while polled).
  if (MPI_Allgatherv(mine.data(), own, MPI_BYTE, all, sizes.data(), offsets.data(), MPI_BYTE,
                     MPI_COMM_WORLD) != MPI_SUCCESS) {
    throw RuntimeError("MPI_Allgatherv failed");
  }
  std::vector<std::string_view> out(size_);
  for (int r = 0; r < size_; ++r) out[r] = std::string_view(all + offsets[r], static_cast<size_t>(sizes[r]));
  return out;
}

char* MpiCommunicator::receive_buffer(size_t bytes) {
  if (bytes > received_capacity_ || !received_) {
    received_capacity_ = std::max<size_t>({bytes, received_capacity_ + received_capacity_ / 2, size_t{1}});
    received_.reset(new char[received_capacity_]);
  }
  return received_.get();
}

std::vector<std::string_view> MpiCommunicator::collect(std::string_view mine, int root) {
  NGAME_CHECK(mine.size() <= static_cast<size_t>(std::numeric_limits<int>::max()),
              "a gathered payload over 2 GiB (" + std::to_string(mine.size()) + " bytes)");
  const int own = static_cast<int>(mine.size());
  std::vector<int> sizes(rank_ == root ? size_ : 0);
  MPI_Request request;
  if (MPI_Igather(&own, 1, MPI_INT, sizes.data(), 1, MPI_INT, root, MPI_COMM_WORLD, &request) != MPI_SUCCESS) {
    throw RuntimeError("MPI_Igather failed");
  }
  const auto arrival = std::chrono::steady_clock::now();
  wait(request);
  waited_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - arrival).count();
  std::vector<int> offsets(sizes.size());
  int64_t total = 0;
  for (size_t r = 0; r < sizes.size(); ++r) {
    offsets[r] = static_cast<int>(total);
    total += sizes[r];
    NGAME_CHECK(total <= std::numeric_limits<int>::max(), "a gather over 2 GiB in all");
  }
  char* all = rank_ == root ? receive_buffer(static_cast<size_t>(total)) : nullptr;
  if (MPI_Gatherv(mine.data(), own, MPI_BYTE, all, sizes.data(), offsets.data(), MPI_BYTE, root, MPI_COMM_WORLD) !=
      MPI_SUCCESS) {
    throw RuntimeError("MPI_Gatherv failed");
  }
  std::vector<std::string_view> out(sizes.size());
  for (size_t r = 0; r < sizes.size(); ++r) out[r] = std::string_view(all + offsets[r], static_cast<size_t>(sizes[r]));
  return out;
}

std::vector<float> MpiCommunicator::sum_scatter(std::span<const float> values, const std::vector<size_t>& counts) {
  std::vector<int> receive_counts(counts.size());
  for (size_t r = 0; r < counts.size(); ++r) {
    NGAME_CHECK(counts[r] <= static_cast<size_t>(std::numeric_limits<int>::max()), "a reduce-scatter part over 2^31 floats");
    receive_counts[r] = static_cast<int>(counts[r]);
  }
  // Arrival first (sleeping while others are late), then the blocking call that moves the floats at full speed.
  const auto arrival = std::chrono::steady_clock::now();
  wait_for_all();
  waited_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - arrival).count();
  std::vector<float> part(counts[static_cast<size_t>(rank_)]);
  // MPI adds each element once, on the rank whose part holds it.
  if (MPI_Reduce_scatter(values.data(), part.data(), receive_counts.data(), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD) !=
      MPI_SUCCESS) {
    throw RuntimeError("MPI_Reduce_scatter failed");
  }
  return part;
}

void MpiCommunicator::wait_for_all() {
  MPI_Request request;
  if (MPI_Ibarrier(MPI_COMM_WORLD, &request) != MPI_SUCCESS) throw RuntimeError("MPI_Ibarrier failed");
  wait(request);
}

}  // namespace ngame
