#pragma once
/// \file output_lock.hpp
/// \brief One writer per archive: an exclusive lock on ARCHIVE.lock, held by the process that
/// writes ARCHIVE (rank 0 of a run, or `revest merge`) from before it looks at the archive until
/// the final archive is in place.
///
/// Without it two `revest run` on the same output (or a `--force` and a `--resume`) both computed
/// and both wrote, and the one finishing last failed with misleading errors. The lock file records
/// its holder (host, pid, start time, SLURM job, command), and a second writer is refused with a
/// message naming it.
///
/// The lock is flock(2) on ARCHIVE.lock. The kernel releases it when the holder ends, however it
/// ends (SIGKILL, MPI_Abort), so a lock file left behind never blocks the next run or --resume.
/// On file systems without flock (flock fails with ENOSYS, EOPNOTSUPP, ENOLCK or EINVAL: NFS
/// mounted with nolock, Lustre without -o flock) the lock is the file's existence (O_EXCL); a lock
/// file left there by a process that is gone is taken over when it names this host and a pid that
/// no longer exists, or the same SLURM job (a requeued job's earlier run). Otherwise the message
/// says which file to delete once no revest runs there.
#include <filesystem>
#include <string>

namespace revest::driver {

class OutputLock {
 public:
  /// Locks `archive` (the lock file is archive + ".lock"; its directory must exist). Throws
  /// revest::Error naming the holder when another process writes the archive. `use_flock` =
  /// false forces the fallback for file systems without flock (tests).
  explicit OutputLock(const std::filesystem::path& archive, bool use_flock = true);
  /// Removes the lock file and releases the lock.
  ~OutputLock();
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

  const std::filesystem::path& path() const { return path_; }
  /// True if the lock is flock(2); false for the O_EXCL fallback.
  bool flocked() const { return flocked_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  bool flocked_ = false;
};

/// The lock file of an archive: ARCHIVE.lock.
std::filesystem::path lock_path(const std::filesystem::path& archive);

}  // namespace revest::driver
