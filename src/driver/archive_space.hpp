#pragma once
/// \file archive_space.hpp
/// \brief Disk space (archive.hpp): how much an archive takes, how much is free, and reserving it
/// before it is written, so that a disk too small fails at once and not hours later.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "driver/archive_inputs.hpp"
#include "driver/archive_layout.hpp"
#include "driver/archive_shards.hpp"

namespace revest::driver {

/// How much disk an archive takes (estimate_archive_size). Used by `validate`, before a run, before
/// the final archive is written and by `merge`.
struct ArchiveSize {
  std::uint64_t rows =
      0;  ///< replication rows the run writes into the work file (reserved at creation)
  std::uint64_t work =
      0;  ///< the work file on disk once they are written (rows, status, messages, inputs)
  std::uint64_t final = 0;  ///< the final archive's datasets uncompressed, summary tables aside
                            ///< (compressed, revest's archives take 15-100 % of it)
};
/// The estimate for the tasks of `shard` of every analysis (a shard's work file has room for every
/// task but holds, and reserves, only its own rows). `input_bytes`: the input files' total size.
ArchiveSize estimate_archive_size(const std::vector<AnalysisLayout>& layouts,
                                  std::uint64_t input_bytes, ShardSpec shard = {});
/// Total size of the input files.
std::uint64_t input_bytes(const std::vector<InputFile>& files);

/// The "clearly too small" rule: a run needs at the very least what it writes uncompressed (`now`:
/// the work file) plus an eighth of the final archive's uncompressed size, because compressed, no
/// revest analysis has needed less than 14 % of it (the ESDA's LISA counts; bootstrap scores need
/// 80-90 %, smoke job). Less free space than that is refused; less than now + final_reservation
/// is a warning.
inline std::uint64_t required_free_bytes(std::uint64_t now, std::uint64_t final) {
  return now + final / 8;
}

/// What is reserved on disk before the final archive is written (AssembleOptions::reserve_bytes):
/// its uncompressed size, plus a sixteenth and 4 MiB for the summary tables, the attributes and
/// HDF5's own structures (the smoke job's final archive takes 8.3 MB of its 15.6 MB). With that room
/// HDF5 never meets a full disk: its error paths on a full disk crashed (H5Ocopy; H5Fclose, then
/// MPI_Finalize in H5F__close_cb).
inline std::uint64_t final_reservation(std::uint64_t final) {
  return final + final / 16 + (std::uint64_t{4} << 20);
}

/// Bytes available to an unprivileged user on the file system of `path` (its nearest existing
/// ancestor directory if it does not exist yet).
std::uint64_t free_bytes(const std::filesystem::path& path);
/// The directory whose file system holds `path` (the nearest existing ancestor), for messages.
std::filesystem::path existing_directory(const std::filesystem::path& path);
/// "3.3 TB", "448 MB", "12 kB" (powers of 1000, three significant digits).
std::string format_bytes(std::uint64_t bytes);

/// Rank 0 only, on a closed work file: reserves on disk (fallocate) the replication rows of
/// `tasks` (per analysis), so that writing them later cannot fail for lack of space: a disk that
/// is too small fails here, before any task runs, and not after hours of them. Returns false if the
/// file system cannot reserve space (the rows are then allocated as they are written); throws
/// revest::Error when the disk is full.
bool archive_reserve(const std::filesystem::path& work, const std::vector<AnalysisLayout>& layouts,
                     const std::vector<std::vector<std::size_t>>& tasks);
/// Allocates `bytes` of disk for the file at `path` from its start without changing its size
/// (fallocate KEEP_SIZE): later writes within them cannot meet a full disk. Returns 0, or the errno:
/// ENOSPC / EDQUOT when the disk cannot hold them, EOPNOTSUPP when the file system cannot reserve.
int reserve_space(const std::filesystem::path& path, std::uint64_t bytes);
/// Gives back what reserve_space allocated beyond the file's end (a truncation to its own size).
void release_unused_space(const std::filesystem::path& path);
/// Bytes of a file that are not allocated on disk yet (its holes: a work file's unwritten rows).
std::uint64_t unallocated_bytes(const std::filesystem::path& path);

}  // namespace revest::driver
