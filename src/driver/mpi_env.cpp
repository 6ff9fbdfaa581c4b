#include "driver/mpi_env.hpp"

#include <cstdlib>

#include "optim/minimize.hpp"

#include <algorithm>
#include <climits>

#include "core/error.hpp"

namespace revest::driver {

MpiEnv::MpiEnv(int* argc, char*** argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    // Open MPI 4.1.4 (Debian 12): opening a file with MPI-IO whose path is longer than about 240
    // characters overflows a buffer in the ompio "lockedfile" shared-file-pointer component and
    // aborts every rank (tests/slurm/slurm_cluster.sh hit it with a deep archive path). revest never
    // uses shared file pointers; the component is excluded unless the user chose sharedfp himself.
    setenv("OMPI_MCA_sharedfp", "^lockedfile", /*overwrite=*/0);
    MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided_);
    finalize_ = true;
  } else {
    MPI_Query_thread(&provided_);
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiEnv::~MpiEnv() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalize_ && !finalized) {
    optim::finalize();  // PETSc (TAO) before MPI
    MPI_Finalize();
  }
}

int comm_rank(MPI_Comm comm) {
  int r = 0;
  MPI_Comm_rank(comm, &r);
  return r;
}
int comm_size(MPI_Comm comm) {
  int s = 1;
  MPI_Comm_size(comm, &s);
  return s;
}

void broadcast(std::string& data, int root, MPI_Comm comm) {
  unsigned long long n = data.size();
  MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, root, comm);
  data.resize(n);
  // Chunk to stay below INT_MAX elements per call.
  const unsigned long long step = 1ull << 30;
  for (unsigned long long off = 0; off < n; off += step) {
    const int len = static_cast<int>(std::min(step, n - off));
    MPI_Bcast(data.data() + off, len, MPI_CHAR, root, comm);
  }
}

void collective_try(const std::function<void()>& fn, MPI_Comm comm) {
  std::string message;
  int failed = 0;
  try {
    fn();
  } catch (const std::exception& e) {
    message = e.what();
    failed = 1;
  }
  const int rank = comm_rank(comm);
  int first_failed = failed ? rank : INT_MAX;
  int lowest = INT_MAX;
  MPI_Allreduce(&first_failed, &lowest, 1, MPI_INT, MPI_MIN, comm);
  if (lowest == INT_MAX) return;
  broadcast(message, lowest, comm);
  throw CollectiveError(message);
}

std::vector<std::string> gather_hosts(MPI_Comm comm) {
  char name[MPI_MAX_PROCESSOR_NAME] = {0};
  int len = 0;
  MPI_Get_processor_name(name, &len);
  const int size = comm_size(comm);
  std::vector<char> all(static_cast<std::size_t>(size) * MPI_MAX_PROCESSOR_NAME, 0);
  MPI_Allgather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all.data(), MPI_MAX_PROCESSOR_NAME,
                MPI_CHAR, comm);
  std::vector<std::string> hosts;
  hosts.reserve(static_cast<std::size_t>(size));
  for (int r = 0; r < size; ++r)
    hosts.emplace_back(all.data() + static_cast<std::size_t>(r) * MPI_MAX_PROCESSOR_NAME);
  return hosts;
}

std::string mpi_library_version() {
  char v[MPI_MAX_LIBRARY_VERSION_STRING] = {0};
  int len = 0;
  MPI_Get_library_version(v, &len);
  std::string s(v, static_cast<std::size_t>(len));
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace revest::driver
