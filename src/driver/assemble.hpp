#pragma once
/// \file assemble.hpp
/// \brief Writes a final archive from work files or shard archives: the one way a finished archive
/// comes into being (the end of a run, the end of a shard, `revest merge`).
///
/// The final archive is written to DEST.tmp beside DEST -- /meta and /data copied from the first
/// source, the rows of every task copied from the source that computed it into chunked, compressed
/// datasets, summaries, complete=1, a SHA-256 of every dataset and attribute (checksums.hpp) -- then
/// fsync'd and renamed over DEST in one step. Until that rename, DEST is untouched (a work file stays resumable); after
/// it, DEST is complete. A kill at any moment leaves one or the other, never a half-written result.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "driver/archive.hpp"

namespace revest::driver {

/// Summary tables of analysis `index` from its stored replications.
using Summarizer = std::function<std::vector<Table>(std::size_t index, ReplicationReader& reader)>;

struct AssembleOptions {
  ShardSpec shard;       ///< the shard DEST is (count 1: a whole run)
  Summarizer summarize;  ///< empty: no summaries (a shard archive)
  RunInfo info;          ///< the process writing DEST (mpi size, hosts of the last segment)
  std::string end_time;
  double wall_seconds = 0, cpu_seconds = 0;  ///< of the last run segment
  std::vector<double> analysis_wall,
      analysis_cpu;    ///< per analysis, of the last segment (or empty)
  bool merge = false;  ///< sources are shards: every task must come from exactly one
  /// What is kept and how to finish if writing DEST fails (appended to the error), e.g. "Every
  /// task is done and kept in the work file W: `revest run JOB --resume` writes the final archive".
  std::string resume_hint;
  /// What to free when the disk is full (appended before resume_hint), e.g. "Free space on DIR
  /// (writing the final archive reserves 1.2 GB; ...)".
  std::string space_hint;
  /// Bytes of disk reserved for DEST.tmp before anything is written (final_reservation), so that
  /// HDF5 never meets a full disk; 0: none (--ignore-free-space). If they cannot be reserved,
  /// nothing is written and the error says "disk full".
  std::uint64_t reserve_bytes = 0;
};

/// Rank 0 only (serial HDF5). `sources` are work files or complete archives of the same job; each
/// task's rows come from the source whose status says it ran (for a merge, exactly one must).
/// Throws revest::Error (DEST untouched, DEST.tmp removed) on any inconsistency or failure: "disk
/// full: ..." naming the directory when the disk fills up, with options.resume_hint. Returns the
/// archive digest (checksums.hpp).
std::string assemble_archive(const std::vector<std::filesystem::path>& sources,
                             const std::filesystem::path& dest,
                             const std::vector<AnalysisLayout>& layouts,
                             const AssembleOptions& options);

/// Rows [r0, r1) of the dataset at `path` (dimensions `dims`, rows along the first) into buf.
void read_rows(hid_t file, const std::string& path, const std::vector<hsize_t>& dims, hsize_t r0,
               hsize_t r1, double* buf);

}  // namespace revest::driver
