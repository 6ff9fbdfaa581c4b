#pragma once
/// \file runtime.hpp
/// \brief Runs a job across MPI ranks: rank 0 reads and broadcasts the inputs, tasks are split
/// across ranks in rounds, each round is written collectively to the archive and checkpointed,
/// rank 0 summarises and marks the archive complete.
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyses/analysis_spec.hpp"
#include "core/analysis.hpp"
#include "driver/archive.hpp"
#include "io/job.hpp"

namespace revest::driver {

struct RunOptions {
  bool resume = false;  ///< continue an interrupted archive (only missing tasks are computed)
  ShardSpec shard;      ///< compute only this slice of every analysis (output: a shard archive)
  /// Take the job, the configuration and every input file from this archive instead of the job
  /// path (revest rerun): the run needs nothing else.
  std::optional<std::filesystem::path> from_archive;
  /// Polled between tasks on every rank: a non-zero value (a signal number) asks the run to stop
  /// early. The ranks then agree at the end of the round, checkpoint what is done and return
  /// RunResult::stopped_by. Default: never.
  std::function<int()> stop_requested;
  /// Replace an existing archive (or file): the new run works in replacement_path(output) and the
  /// file at the output stays until the new archive is renamed over it.
  bool force = false;
  std::optional<std::filesystem::path> output;  ///< overrides the job's output path
  /// Skip the free-space checks and reservations (--ignore-free-space; the job's [runtime]
  /// check_free_space = false does the same).
  bool ignore_free_space = false;
  std::filesystem::path defaults;  ///< config/defaults.toml
  bool progress = true;
  /// Builds analyses from their typed options (default: the registry, make_analysis). Tests
  /// substitute analyses that fail or throw on chosen tasks.
  std::function<std::unique_ptr<Analysis>(const analyses::AnalysisSpec&, const Inputs&)> factory;
  /// Test hook: called on every rank after each checkpoint with (analysis, tasks done).
  std::function<void(const std::string&, std::size_t)> after_round;
  /// Test hook: called on every rank after a round's rows are written, before they are checkpointed.
  std::function<void(const std::string&, std::size_t)> after_write;
};

/// How a run ended (when run_job returns rather than throws).
struct RunResult {
  int stopped_by = 0;            ///< the signal that stopped it early (0: it finished)
  std::size_t tasks_done = 0;    ///< tasks computed by this run segment
  std::size_t tasks_left = 0;    ///< tasks still to compute (0 when finished)
  std::filesystem::path output;  ///< the archive written (a shard's own path when sharded)
  std::string digest;            ///< its archive digest (checksums.hpp), on rank 0 once complete
};

/// Rank 0 only: loads and validates the job and its data (no MPI). Throws revest::Error.
/// The job is parsed once, here: each analysis's options become typed options (`specs`). With
/// `build_analyses`, every analysis is also built (which validates its options against the data)
/// and kept; run_job skips this because it builds them on every rank itself, collectively, before
/// anything is written.
struct LoadedJob {
  io::Job job;
  std::vector<analyses::AnalysisSpec> specs;  ///< the typed options of job.analyses, in order
  Inputs inputs;
  std::vector<InputFile> files;
  std::vector<std::unique_ptr<Analysis>> analyses;  ///< empty unless build_analyses
  /// A re-run: where the weights files are now (the archive's copies, in role order), read instead
  /// of the paths the specs name.
  std::vector<std::filesystem::path> weights_read_from;
};
LoadedJob load_and_validate(const std::filesystem::path& job_path,
                            const std::filesystem::path& defaults,
                            const std::optional<std::filesystem::path>& output = std::nullopt,
                            bool build_analyses = true);

/// Rank 0 only: the job and its data as embedded in an archive (/meta/files). The files are
/// written into `scratch` (which must exist) and loaded from there exactly as `revest run` loads
/// them; their SHA-256 must equal the recorded ones. The output defaults to `archive` itself.
LoadedJob load_from_archive(const std::filesystem::path& archive,
                            const std::filesystem::path& scratch,
                            const std::optional<std::filesystem::path>& output = std::nullopt,
                            bool build_analyses = true);

/// The job's input files by role: job, defaults, indicators, counties (the geography's table of
/// units: a folder's counties.csv or a unit-list file), queen and rook (when the folder has them),
/// panel,
/// projects when `with_projects`, and weights_1, weights_2, ... for `weights_files` (the files of
/// the analyses' weights specs, analyses::weights_files_of; a relative one is resolved against the
/// job file's directory): what a run checksums and embeds, and what no output may replace.
std::vector<std::pair<std::string, std::filesystem::path>> job_input_paths(
    const io::Job& job, const std::filesystem::path& job_file,
    const std::filesystem::path& defaults, bool with_projects,
    const std::vector<std::string>& weights_files = {});

/// The role of the weights file k (0-based) among a job's inputs: "weights_<k+1>".
std::string weights_role(std::size_t k);

/// Throws revest::Error naming the input if writing the archive `output` (or its work file
/// OUTPUT.new, temporary file OUTPUT.tmp or lock OUTPUT.lock) would overwrite one of the job's input
/// files (`path`, or `read_from` for a re-run): the job file, the defaults, the data. --force does
/// not override this. load_and_validate and load_from_archive call it.
void check_output_not_input(const std::filesystem::path& output,
                            const std::vector<InputFile>& files);

/// The free-space check before a run (and `revest validate`), rank 0: throws revest::Error, naming
/// the directory, the free space and the estimate, when the free space is clearly too small for
/// `now` bytes written uncompressed (the work file) and a final archive of `size.final` bytes
/// uncompressed (required_free_bytes); returns a warning (else "") when it may not hold the final
/// archive's reservation (final_reservation).
std::string check_free_space(const std::filesystem::path& output, std::uint64_t now,
                             const ArchiveSize& size);

/// The layout of every analysis of a loaded job (what the archive holds): the analyses' names,
/// kinds, tasks and datasets. Their options as the archive records them (options_toml) come from
/// the job's TOML, which only the process that parsed the job has (rank 0, which alone writes the
/// archive's attributes): a job received from rank 0 has no analyses' TOML, and leaves them empty.
std::vector<AnalysisLayout> layouts_of(const io::Job& job,
                                       const std::vector<std::unique_ptr<Analysis>>& analyses);

/// A private scratch directory, removed with everything in it when this goes out of scope.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// Collective: runs the job. Returns normally on success. On an error that the ranks agreed on
/// (bad input, a task that threw, ...) it throws CollectiveError on every rank with the same
/// message. Any other exception means this rank failed alone while others may wait in a collective
/// call: the caller must end the job with MPI_Abort (main does; tests/driver/divergent_error.sh).
RunResult run_job(const std::filesystem::path& job_path, const RunOptions& options, MPI_Comm comm);

/// Installs a handler of SIGSEGV and SIGBUS that prints, before the default report, one line
/// naming this rank and host and what it was doing (which analysis and task), with the advice for
/// memory exhaustion (a library that cannot allocate may crash instead of throwing). Call after
/// MPI_Init (Open MPI installs its own handler, which this one then calls).
void install_fatal_signal_report();

/// This rank's share of a round under the static schedule: a contiguous block made of whole
/// units of `unit` consecutive tasks (the archive's chunk height), so that no compressed chunk is
/// written by two ranks. Exposed for tests.
std::vector<std::size_t> static_block(const std::vector<std::size_t>& round_tasks, int rank,
                                      int size, std::size_t unit = 1);

/// Automatic round size: ~2 % of the tasks and at least 4 per rank, rounded up to whole chunks
/// for every rank (a multiple of unit * size), at most all tasks.
std::size_t auto_round_size(std::size_t num_tasks, int size, std::size_t unit = 1);

}  // namespace revest::driver
