#pragma once
/// \file archive_parallel.hpp
/// \brief The work file opened by every rank with MPI-IO (archive.hpp): collective writes of the
/// replication rows, and checkpoints that mark tasks done.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "driver/archive_layout.hpp"
#include "driver/h5.hpp"
#include "driver/mpi_env.hpp"

namespace revest::driver {

/// Collective (all ranks): the archive opened with MPI-IO for writing replication rows.
class ParallelArchive {
 public:
  ParallelArchive(const std::filesystem::path& path, MPI_Comm comm);
  ~ParallelArchive();
  /// Collective. Writes this rank's replication rows: `tasks` sorted ascending; rows[s] holds
  /// tasks.size() * specs[s].row_size() doubles in task order. A rank with no tasks passes empty
  /// vectors and still takes part.
  void write_rows(const AnalysisLayout& layout, const std::vector<std::size_t>& tasks,
                  const std::vector<std::vector<double>>& rows);
  /// Collective. Marks tasks done: flushes the rows written so far, writes status and messages
  /// of `tasks` (sorted), flushes again. A resume trusts exactly the tasks marked here.
  void checkpoint(const AnalysisLayout& layout, const std::vector<std::size_t>& tasks,
                  const std::vector<std::int32_t>& status,
                  const std::vector<std::string>& messages);
  void close();
  /// For a divergent error on this rank only: drop the file without the collective close (the
  /// job is about to be aborted; closing would wait for ranks that never come).
  void abandon();

 private:
  /// Runs a write; a failure on a full disk becomes "disk full: ..." naming the directory.
  void guarded(const std::function<void()>& write, const std::string& what, std::uint64_t bytes);
  std::filesystem::path path_;
  h5::Handle file_;
  h5::Handle dxpl_;
};

}  // namespace revest::driver
