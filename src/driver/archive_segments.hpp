#pragma once
/// \file archive_segments.hpp
/// \brief The run-segment log of a work file (archive.hpp): one line per run, resume or requeue
/// (start, ranks, hosts, SLURM job, how it stopped), written as raw data into a preallocated
/// dataset, never as metadata, so that writing it cannot corrupt the file. The final archive keeps
/// the lines as the attribute /meta run_segments.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "driver/archive_layout.hpp"
#include "driver/h5.hpp"

namespace revest::driver {

inline constexpr hsize_t kSegmentSlots = 256;       ///< run segments a work file can log
inline constexpr std::size_t kSegmentLength = 512;  ///< bytes per segment line

/// Creates the empty log /meta/segments of a new work file (`meta`: its /meta group).
void create_segment_log(hid_t meta);

/// Writes line `slot` of the log (cut to kSegmentLength - 1 bytes).
void write_segment(hid_t file, hsize_t slot, const std::string& text);

/// The line of this run: start time, MPI size, SLURM job and restart, hosts.
std::string segment_text(const RunInfo& info);

/// Rank 0 only, on a work file: the run-segment log (one line per run or resume; written as raw
/// data, never as metadata). `segment_note` replaces the text of the last segment.
std::vector<std::string> archive_segments(hid_t file);
void archive_segment_note(const std::filesystem::path& path, const std::string& text);

}  // namespace revest::driver
