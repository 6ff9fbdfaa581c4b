#pragma once
/// \file archive.hpp
/// \brief The HDF5 archive of a run: layout, creation, checkpoints, resume, summaries.
///
/// One file per run. While the tasks run it is a *work file*: the same path and groups, complete=0,
/// and every dataset the tasks write (replications, status, status_message, the run-segment log) is
/// contiguous and allocated when the file is created, so the task phase writes raw data only and
/// never HDF5 metadata: a SIGKILL at any instant (one rank or all, mid-write) cannot corrupt the file
/// structure, and the status written after the rows' flush says exactly which rows are complete.
/// At the end the final archive is written beside it (assemble.hpp: chunked and compressed, a
/// SHA-256 on every dataset and attribute, summaries, complete=1) and renamed over it in one step.
///   /                     attrs format="revest-archive", format_version, complete (0 until the end),
///                         shard_index, shard_count (0, 1 unless a shard of a sharded run)
///   /meta                 job file text, effective configuration, seed, build and library
///                         versions, SHA-256 of every input file, MPI size, hosts, times;
///                         files/ROLE: every input file embedded whole (job, defaults, indicators,
///                         counties, queen, rook, panel[, projects]) so the archive alone re-runs
///   /data                 the inputs as used (counties, queen, rook, panel, indicators, and
///                         projects when a real_options analysis runs)
///   /analyses/NAME        attrs kind, options, num_tasks, wall_seconds, cpu_seconds
///     replications/SPEC   [num_tasks x shape...] doubles, chunked along tasks, shuffle+deflate
///     status              [num_tasks] int32 (TaskStatus; -1 = not run yet)
///     status_message      [num_tasks] fixed-length strings (empty when ok)
///     summary/TABLE/COL   summary tables, one 1-D dataset per column
/// Replication rows are written collectively by all ranks (parallel HDF5, MPI-IO); everything
/// else is written by rank 0 alone while no other rank has the file open. Object time tracking is
/// off, so datasets depend only on (job, data, seed).
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include "core/analysis.hpp"
#include "driver/h5.hpp"
#include "driver/mpi_env.hpp"
#include "io/geography.hpp"
#include "io/indicators.hpp"
#include "io/job.hpp"
#include "io/panel.hpp"
#include "io/projects.hpp"

namespace revest::driver {

/// 1: datasets checksummed; 2: attributes too (sha256_attributes, checksums.hpp).
inline constexpr std::int64_t kArchiveFormatVersion = 2;
inline constexpr std::size_t kMessageLength = 160;  ///< bytes kept of a task's status message

/// Everything an analysis reads, loaded once by rank 0 and broadcast.
struct Inputs {
  io::Geography geo;
  io::Panel panel;
  io::IndicatorSystem indicators;
  io::Projects projects;  ///< empty unless an analysis values real options
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & geo & panel & indicators & projects;
  }
};

struct InputFile {
  std::string role;  ///< job, defaults, indicators, counties, queen, rook, panel, projects
  std::string path;
  std::string sha256;
  std::string read_from;  ///< where the bytes are now, if not at `path` (a re-run's scratch copy)
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & role & path & sha256 & read_from;
  }
};

/// Which slice of every analysis's tasks a run computes: shard `index` of `count` (0-based; the
/// SLURM array index). count = 1 is an ordinary run.
struct ShardSpec {
  int index = 0;
  int count = 1;
  bool sharded() const { return count > 1; }
  /// "k/K", as on the command line.
  std::string str() const { return std::to_string(index) + "/" + std::to_string(count); }
};
/// The tasks of shard `s` out of n: [floor(n k / K), floor(n (k+1) / K)).
std::vector<std::size_t> shard_tasks(std::size_t n, ShardSpec s);
/// Where shard s of a run whose final archive is `output` writes: results/x.h5 ->
/// results/x.shard-1-of-3.h5.
std::filesystem::path shard_path(const std::filesystem::path& output, ShardSpec s);
/// The work file of a --force run over an existing archive (or file) `output`: OUTPUT.new. What is
/// at `output` stays there until the new final archive is renamed over it.
std::filesystem::path replacement_path(const std::filesystem::path& output);
/// Parses "k/K" (0 <= k < K); throws revest::Error naming the text otherwise.
ShardSpec parse_shard(const std::string& text);

/// What the archive needs to know of an analysis to lay out its datasets.
struct AnalysisLayout {
  std::string name, kind, options_toml;
  std::size_t num_tasks = 0;
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

/// Rank 0 only, on a work file: the run-segment log (one line per run or resume; written as raw
/// data, never as metadata). `segment_note` replaces the text of the last segment.
std::vector<std::string> archive_segments(hid_t file);
void archive_segment_note(const std::filesystem::path& path, const std::string& text);

/// Rank 0 only. Opens an interrupted archive for --resume: checks that it was written by the same
/// effective configuration and the same input files, records this run segment in /meta, and
/// returns, per analysis, the tasks that still have to be computed.
std::vector<std::vector<std::size_t>> archive_pending(const std::filesystem::path& path,
                                                      const io::Job& job,
                                                      const std::vector<InputFile>& files,
                                                      const std::vector<AnalysisLayout>& layouts,
                                                      const RunInfo& info, ShardSpec shard = {});

/// Rank 0 only. Throws unless the archive in `f` was written by the same configuration
/// (fingerprint: effective configuration without file locations) from data files of the same
/// content (SHA-256), for the same shard.
void archive_check_same_run(hid_t f, const std::filesystem::path& path, const io::Job& job,
                            const std::vector<InputFile>& files, ShardSpec shard = {});
/// The shard an archive belongs to (count 1 for an ordinary archive).
ShardSpec archive_shard(hid_t f);

/// How much disk an archive takes (estimate_archive_size). Used by `validate`, before a run, before
/// the final archive is written and by `merge`.
struct ArchiveSize {
  std::uint64_t rows = 0;   ///< replication rows the run writes into the work file (reserved at creation)
  std::uint64_t work = 0;   ///< the work file on disk once they are written (rows, status, messages, inputs)
  std::uint64_t final = 0;  ///< the final archive's datasets uncompressed, summary tables aside
                            ///< (compressed, revest's archives take 15-100 % of it)
};
/// The estimate for the tasks of `shard` of every analysis (a shard's work file has room for every
/// task but holds, and reserves, only its own rows). `input_bytes`: the input files' total size.
ArchiveSize estimate_archive_size(const std::vector<AnalysisLayout>& layouts, std::uint64_t input_bytes,
                                  ShardSpec shard = {});
/// Total size of the input files.
std::uint64_t input_bytes(const std::vector<InputFile>& files);

/// The "clearly too small" rule: a run needs at the very least what it writes uncompressed (`now`:
/// the work file) plus an eighth of the final archive's uncompressed size, because compressed, no
/// revest analysis has needed less than 14 % of it (the ESDA's LISA counts; bootstrap scores need
/// 80-90 %, smoke job). Less free space than that is refused; less than now + final_reservation
/// is a warning.
inline std::uint64_t required_free_bytes(std::uint64_t now, std::uint64_t final) { return now + final / 8; }

/// What is reserved on disk before the final archive is written (AssembleOptions::reserve_bytes):
/// its uncompressed size, plus a sixteenth and 4 MiB for the summary tables, the attributes and
/// HDF5's own structures (the smoke job's final archive takes 8.3 MB of its 15.6 MB). With that room
/// HDF5 never meets a full disk: its error paths on a full disk crashed (H5Ocopy; H5Fclose, then
/// MPI_Finalize in H5F__close_cb).
inline std::uint64_t final_reservation(std::uint64_t final) { return final + final / 16 + (std::uint64_t{4} << 20); }

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

/// Is there a file at `path`, and is it a complete archive?
enum class ArchiveState { kAbsent, kIncomplete, kComplete, kNotAnArchive };
ArchiveState archive_state(const std::filesystem::path& path);

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

/// The status codes of every task of analysis `name` (TaskStatus values; -1 = not run yet).
std::vector<std::int32_t> archive_read_status(hid_t file, const std::string& name);

/// The status messages of the n tasks of analysis `name`: n fields of kMessageLength bytes,
/// NUL-padded.
std::string archive_read_messages(hid_t file, const std::string& name, std::size_t n);

/// Rank 0 only: replications of one analysis read back from a serially opened archive.
class ArchiveReader : public ReplicationReader {
 public:
  ArchiveReader(hid_t file, const AnalysisLayout& layout);
  std::size_t num_tasks() const override { return layout_.num_tasks; }
  std::vector<TaskStatus> status() override;
  std::vector<double> read_columns(std::size_t dataset, std::size_t col_begin,
                                   std::size_t col_end) override;

 private:
  hid_t file_;
  const AnalysisLayout& layout_;
  std::vector<TaskStatus> status_;  ///< read once, on first use (the tasks are finished)
};

/// Creates the group of one analysis with its datasets: `work` = contiguous, allocated now (the
/// work file); else chunked along tasks and compressed (the final archive).
void create_analysis_datasets(hid_t file, const AnalysisLayout& a, bool work);

/// Rank 0 only: writes an analysis's summary tables and timing.
void archive_write_summary(hid_t file, const AnalysisLayout& layout,
                           const std::vector<Table>& tables, double wall_seconds,
                           double cpu_seconds);

/// Rank 0 only: end time, totals, and the complete flag. Call last.
void archive_finish(hid_t file, const std::string& end_time, double wall_seconds,
                    double cpu_seconds);

/// Opens an archive serially (rank 0, or a single-process tool).
h5::Handle archive_open(const std::filesystem::path& path, bool write);

/// SHA-256 of a byte string, lower-case hex.
std::string sha256_bytes(const std::string& bytes);

/// SHA-256 of a file, lower-case hex.
std::string sha256_file(const std::filesystem::path& path);

/// Current time, ISO 8601 UTC (for /meta only: never used as a seed).
std::string now_iso8601();

}  // namespace revest::driver
