#pragma once
// The processes that train or predict together (ranks 0 .. size-1). One process is a group of one; mpirun's
// processes are a group through dist/mpi_communicator.h. Stages above core exchange bytes through this interface
// only, so nothing below the command line links MPI.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ngame {

/// What this rank's collectives cost so far.
struct CommunicationStats {
  uint64_t calls = 0;           ///< collective calls
  uint64_t bytes_sent = 0;      ///< bytes this rank contributed (its payloads, not what the transport relayed)
  uint64_t bytes_received = 0;  ///< bytes of the other ranks' payloads this rank received
  double seconds = 0;           ///< wall time inside collectives, waiting for slower ranks included
  double wait_seconds = 0;      ///< the part of it spent waiting for the other ranks to arrive
};

/// A group of processes. Every rank calls each collective in the same order.
class Communicator {
 public:
  virtual ~Communicator() = default;
  /// This process's rank, 0-based.
  virtual int rank() const = 0;
  /// Number of processes.
  virtual int size() const = 0;
  /// Number of processes of the group on this machine (this one included).
  virtual int local_size() const { return 1; }
  /// Every rank's bytes, indexed by rank, on every rank. The views point into a buffer of the communicator (this
  /// rank's own view may point at `mine`) and stay valid until its next collective.
  std::vector<std::string_view> all_gather(std::string_view mine);
  /// Every rank's bytes, indexed by rank, on rank `root` only (the others get an empty vector); views as all_gather's.
  std::vector<std::string_view> gather(std::string_view mine, int root);
  /// The element-wise sum over the ranks of `values` (the same length on every rank), of which this rank gets only
  /// its part: counts[r] elements for rank r, the parts in rank order (counts add up to values.size()). Each rank
  /// then receives about its part from each other rank, not the whole array (an all-gather's N - 1 arrays).
  std::vector<float> reduce_scatter_sum(std::span<const float> values, const std::vector<size_t>& counts);
  /// Returns when every rank has called it; waiting ranks sleep rather than spin.
  void barrier();
  /// The traffic so far.
  const CommunicationStats& stats() const { return stats_; }

 protected:
  /// The transport's all-gather (sizes first, then the bytes), with all_gather's lifetime rule.
  virtual std::vector<std::string_view> exchange(std::string_view mine) = 0;
  /// The transport's gather to one rank, with gather's lifetime rule.
  virtual std::vector<std::string_view> collect(std::string_view mine, int root) = 0;
  /// The transport's barrier.
  virtual void wait_for_all() = 0;
  /// The transport's reduce-scatter (arguments checked); by default an all-gather of the arrays, each rank adding
  /// its part in rank order.
  virtual std::vector<float> sum_scatter(std::span<const float> values, const std::vector<size_t>& counts);
  /// What a transport adds to wait_seconds for the collective under way.
  double waited_ = 0;

 private:
  CommunicationStats stats_;
};

/// The group of one process: collectives return the caller's own bytes.
class SoloCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }

 protected:
  std::vector<std::string_view> exchange(std::string_view mine) override { return {mine}; }
  std::vector<std::string_view> collect(std::string_view mine, int) override { return {mine}; }
  void wait_for_all() override {}
};

/// The largest of every rank's value.
uint64_t all_max(Communicator& group, uint64_t value);
/// The sum of every rank's value, added in rank order (the same bits on every rank).
double all_sum(Communicator& group, double value);
/// Element-wise sum of every rank's array (same length everywhere): a reduce-scatter of even parts, then an
/// all-gather of the parts, so that each sum is added once, on one rank, and every rank holds the same floats.
void all_sum_in_place(Communicator& group, std::vector<float>& values);
/// Whether rank `rank` of `size` owns `row` when rows are dealt round-robin (a shard that mixes the whole file).
inline bool owns_row(uint64_t row, int rank, int size) { return static_cast<int>(row % static_cast<uint64_t>(size)) == rank; }
/// The contiguous share [begin, end) of n items that rank `rank` of `size` takes.
std::pair<uint64_t, uint64_t> contiguous_share(uint64_t n, int rank, int size);

}  // namespace ngame
