#pragma once
/// \file archive_layout.hpp
/// \brief The archive's layout (archive.hpp): its format constants, what it holds of an analysis
/// (AnalysisLayout), the dataset property lists of the work file and of the final archive, and
/// the creation of a new work file.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/analysis.hpp"
#include "driver/archive_inputs.hpp"
#include "driver/archive_shards.hpp"
#include "driver/h5.hpp"
#include "io/job.hpp"

namespace revest::driver {

/// 1: datasets checksummed; 2: attributes too (sha256_attributes, checksums.hpp).
inline constexpr std::int64_t kArchiveFormatVersion = 2;
inline constexpr std::size_t kMessageLength = 160;  ///< bytes kept of a task's status message

/// What the archive needs to know of an analysis to lay out its datasets.
struct AnalysisLayout {
  std::string name, kind, options_toml;
  std::size_t num_tasks = 0;
  /// Analysis::phase_boundary(): a two-phase analysis (0 < boundary < num_tasks) is not split
  /// between shards: shard 0 computes all its tasks (shard_tasks(layout, shard)).
  std::size_t phase_boundary = 0;
  bool two_phase() const { return phase_boundary > 0 && phase_boundary < num_tasks; }
  std::vector<ReplicationSpec> specs;
  /// Rows (tasks) per chunk, the same for every replication dataset of the analysis so that
  /// rounds and rank blocks can follow chunk boundaries: chunks of the widest row are ~1 MiB, and
  /// hold at most 1/64 of the tasks. Depends only on the shapes and the number of tasks, never on
  /// the MPI size.
  std::size_t chunk_rows() const;
};

/// Facts about this run written into /meta.
struct RunInfo {
  int mpi_size = 1;
  std::vector<std::string> hosts;
  std::string start_time;  ///< ISO 8601 UTC
  std::string mpi_version;
};

/// Rank 0 only. Creates a new work file with /meta (input files embedded), /data and the
/// preallocated datasets the tasks write.
void archive_create(const std::filesystem::path& path, const io::Job& job, const Inputs& inputs,
                    const std::vector<InputFile>& files, const std::vector<AnalysisLayout>& layouts,
                    const RunInfo& info, ShardSpec shard = {});

/// Creates the group of one analysis with its datasets: `work` = contiguous, allocated now (the
/// work file); else chunked along tasks and compressed (the final archive).
void create_analysis_datasets(hid_t file, const AnalysisLayout& a, bool work);

/// Dataset creation properties of the final archive: chunked (`rank` dimensions of `chunk`),
/// shuffled and compressed, no time stamps.
h5::Handle dcpl_chunked(int rank, const hsize_t* chunk);
/// Dataset creation properties of a work file's datasets, filled with `*fill` of `fill_type`
/// (or never filled when `fill` is null).
h5::Handle dcpl_work(hid_t fill_type, const void* fill);
/// The type of a task's status message: kMessageLength bytes, NUL-padded.
h5::Handle message_type();

/// Current time, ISO 8601 UTC (for /meta only: never used as a seed).
std::string now_iso8601();

}  // namespace revest::driver
