#pragma once
// The processes that mpirun started, as a Communicator (Open MPI). Only the command line links this.
#include <memory>

#include "core/communicator.h"

namespace ngame {

/// Whether this process was started by mpirun (Open MPI's or PMIx's rank variables are set).
bool launched_by_mpirun();

/// MPI_COMM_WORLD. Initialises MPI on construction and finalises it on destruction; one per process.
class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator(int* argc, char*** argv);
  ~MpiCommunicator() override;
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_size() const override { return local_size_; }
  /// Ends every rank of the job with `status` (MPI_Abort): what a rank does when it fails and the others may be
  /// waiting for it in a collective.
  [[noreturn]] void abort(int status);

 protected:
  std::vector<std::string_view> exchange(std::string_view mine) override;
  std::vector<std::string_view> collect(std::string_view mine, int root) override;
  void wait_for_all() override;
  std::vector<float> sum_scatter(std::span<const float> values, const std::vector<size_t>& counts) override;

 private:
  // The receive buffer of the last collective, grown to at least `bytes`.
  char* receive_buffer(size_t bytes);
  int rank_ = 0, size_ = 1, local_size_ = 1;
  // The last all-gather's bytes, kept and reused (allocating tens of MB a step would fault in fresh pages each time).
  std::unique_ptr<char[]> received_;
  size_t received_capacity_ = 0;
};

}  // namespace ngame
