#pragma once
/// \file mpi_env.hpp
/// \brief MPI start-up/shut-down guard and rank-collective helpers (driver only).
#include <mpi.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace revest::driver {

/// RAII guard: MPI_Init_thread in the constructor, MPI_Finalize in the destructor.
class MpiEnv {
 public:
  MpiEnv(int* argc, char*** argv);
  ~MpiEnv();
  MpiEnv(const MpiEnv&) = delete;
  MpiEnv& operator=(const MpiEnv&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }
  bool threads() const { return provided_ >= MPI_THREAD_MULTIPLE; }

 private:
  int rank_ = 0, size_ = 1, provided_ = 0;
  bool finalize_ = false;
};

int comm_rank(MPI_Comm comm = MPI_COMM_WORLD);
int comm_size(MPI_Comm comm = MPI_COMM_WORLD);

/// Broadcasts a byte string from `root`.
void broadcast(std::string& data, int root = 0, MPI_Comm comm = MPI_COMM_WORLD);

/// An error that every rank of a communicator has agreed on (thrown by collective_try on all
/// ranks): the ranks are in step and can end normally. Any other error escaping a collective run
/// means ranks may have diverged, and the driver ends the job with MPI_Abort.
class CollectiveError : public Error {
 public:
  using Error::Error;
};

/// Runs `fn` on every rank; if it throws on any rank, every rank throws CollectiveError with the
/// message of the lowest failing rank. Use around non-collective work that precedes a collective
/// step, so that an error on one rank cannot leave the others waiting.
void collective_try(const std::function<void()>& fn, MPI_Comm comm = MPI_COMM_WORLD);

/// Names of the hosts of all ranks (gathered on every rank), in rank order.
std::vector<std::string> gather_hosts(MPI_Comm comm = MPI_COMM_WORLD);

/// MPI library version string.
std::string mpi_library_version();

}  // namespace revest::driver
