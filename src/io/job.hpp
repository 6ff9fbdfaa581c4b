#pragma once
/// \file job.hpp
/// \brief TOML job files: parsing, validation against config/defaults.toml, effective config.
///
/// A job file names the run, its seed (required, never from the clock), the output archive, the
/// data sources and a list of [[analysis]] tables. config/defaults.toml is the schema: every key a
/// job may set appears there with its default value and type; an unknown key or a value of the
/// wrong type is an error naming the job file and line. Relative paths in a job are resolved
/// against the directory of the job file. The effective configuration (every default filled in)
/// is a TOML text written into every archive. Rank 0 alone parses a job: what crosses the ranks is
/// the Job's typed fields (Job::serialize, Boost.Serialization) and each analysis's typed options
/// (analyses/analysis_spec.hpp), never TOML text.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include "io/geography.hpp"

namespace revest::io {

/// "FILE:LINE:COL" of a TOML node (or "FILE" if it has no source position).
std::string where(const toml::node& node);

namespace detail {
/// A path through Boost.Serialization, as its string (POSIX paths are byte strings).
template <class Ar>
void serialize_path(Ar& ar, std::filesystem::path& p) {
  std::string s = p.string();
  ar& s;
  if constexpr (Ar::is_loading::value) p = s;
}
}  // namespace detail

enum class Schedule { kStatic, kDynamic };
const char* to_string(Schedule s);

struct AnalysisConfig {
  std::string kind;     ///< e.g. "entropy_index"
  std::string name;     ///< unique within the job; default = kind
  toml::table options;  ///< effective options (job values over defaults)
  /// Source position ("FILE:LINE:COL") of each option as written in the job file (or the
  /// defaults file), for error messages. Empty when rebuilt from the effective configuration.
  std::map<std::string, std::string> where;
  bool operator==(const AnalysisConfig&) const = default;
};

/// [slurm]: how `revest submit` asks SLURM for resources. Not part of the results: changing it
/// never stops a resume (it is left out of the fingerprint).
struct SlurmOptions {
  int nodes = 0;   ///< 0 = let SLURM decide
  int ntasks = 2;  ///< MPI ranks (srun tasks)
  int cpus_per_task = 1;
  std::string time = "01:00:00";  ///< time limit of each job (and of each array task)
  std::string mem_per_cpu;        ///< e.g. "2G"; empty = the cluster's default
  std::string partition;          ///< empty = the cluster's default
  std::string account;            ///< empty = the user's default
  std::string qos;                ///< empty = the default
  int signal_seconds = 300;       ///< SIGUSR1 this long before the time limit (checkpoint, requeue)
  bool requeue = true;            ///< requeue the job after that signal so it resumes
  int max_requeues = 20;          ///< give up after this many requeues without finishing
  int shards = 1;                 ///< array tasks (each a slice of every analysis) + a merge job
  std::vector<std::string> extra;  ///< further sbatch options, e.g. ["--constraint=skylake"]
  bool operator==(const SlurmOptions&) const = default;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar& nodes& ntasks& cpus_per_task& time& mem_per_cpu& partition& account& qos& signal_seconds&
        requeue& max_requeues& shards& extra;
  }
};

struct Job {
  std::string file;  ///< path of the job file as given ("" if from text)
  std::string text;  ///< the job file's text, verbatim
  std::string name;
  std::string description;  ///< free text, copied into the archive
  std::uint64_t seed = 0;
  std::filesystem::path output;  ///< resolved archive path
  // [data]
  /// The units: a directory with counties.csv (and queen.csv, rook.csv), a unit-list CSV file, or
  /// a polygon file (io/geography.hpp).
  std::filesystem::path geography;
  /// A polygon file's id field, name field and snapping tolerance in metres ([data]
  /// geography_id, geography_name, geography_snap_m).
  std::string geography_id, geography_name;
  double geography_snap_m = 0.0;
  /// [data] unmatched_units: a panel row of a unit that is not in the geography, or a unit of the
  /// geography without a row for every year: an error (false, default) or dropped (true; the
  /// geography then has only the units with a complete panel, and the drops are reported).
  bool drop_unmatched = false;
  /// [data] unbalanced: a unit with rows for some of the job's years only is an error ("error",
  /// false, default) or kept with its other years missing ("allow", true): the analyses that
  /// allow it use the units observed in each year (three_stage_dea), the others refuse the panel
  /// naming the first missing unit-year.
  bool allow_unbalanced = false;
  std::filesystem::path panel;       ///< panel CSV
  std::filesystem::path indicators;  ///< indicator system TOML
  std::filesystem::path projects;    ///< real-option projects CSV (read if a job values them)
  int first_year = 2011, last_year = 2022;
  // [runtime]
  Schedule schedule = Schedule::kStatic;
  double progress_seconds = 10.0;    ///< interval of plain progress lines (non-terminal)
  std::size_t chunk_tasks = 0;       ///< tasks per round of collective writes (0 = automatic)
  double checkpoint_seconds = 10.0;  ///< seconds between checkpoints (0 = every round)
  /// Estimate the archive's size and refuse to start (and to write the final archive) when the
  /// free space is clearly too small; reserve the work file's rows when it is created. Not part of
  /// the fingerprint (it changes no result).
  bool check_free_space = true;
  SlurmOptions slurm;
  std::vector<AnalysisConfig> analyses;

  /// How to read a polygon geography (geography_id, geography_name, geography_snap_m).
  PolygonOptions polygons() const { return {geography_id, geography_name, geography_snap_m}; }
  /// The effective configuration as TOML text (defaults filled in, paths resolved).
  std::string effective_toml() const;
  /// The effective configuration without file locations (output and data paths), without
  /// [slurm] (resources, not results) and [runtime] check_free_space: what must be
  /// equal for a run to be resumed or recognised, wherever the files live and whatever the working
  /// directory. The contents of the data files are compared separately, by SHA-256.
  std::string fingerprint_toml() const;

  bool operator==(const Job&) const = default;
  /// Every field but `analyses`: the analyses' options are TOML (with source positions for
  /// messages), needed only where the job was parsed, which alone writes the archive
  /// (effective_toml, fingerprint_toml). They cross the ranks as typed options instead
  /// (analyses::AnalysisSpec). A Job read back has no analyses.
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    if constexpr (Ar::is_loading::value) analyses.clear();
    ar& file& text& name& description& seed;
    detail::serialize_path(ar, output);
    detail::serialize_path(ar, geography);
    ar& geography_id& geography_name& geography_snap_m& drop_unmatched& allow_unbalanced;
    detail::serialize_path(ar, panel);
    detail::serialize_path(ar, indicators);
    detail::serialize_path(ar, projects);
    ar& first_year& last_year& schedule& progress_seconds& chunk_tasks& checkpoint_seconds&
        check_free_space& slurm;
  }
};

/// Parses and validates `job_path` against the defaults file. Throws revest::Error naming file
/// and line on any problem.
Job load_job(const std::filesystem::path& job_path, const std::filesystem::path& defaults_path);

/// Rebuilds a Job from its effective TOML (an archive's /meta/effective_config: rerun, verify,
/// merge); no file is read.
Job job_from_effective(const std::string& effective_toml, const std::string& job_text);

/// Typed access to an analysis's effective options, with errors naming the source line.
class OptionView {
 public:
  OptionView(const AnalysisConfig& cfg) : cfg_(cfg) {}
  std::string get_string(const std::string& key) const;
  std::int64_t get_int(const std::string& key) const;
  double get_double(const std::string& key) const;  ///< accepts integers too
  bool get_bool(const std::string& key) const;
  std::vector<std::string> get_strings(const std::string& key) const;
  std::vector<double> get_doubles(const std::string& key) const;  ///< integers accepted too
  /// A string that must be one of `allowed`.
  std::string get_choice(const std::string& key, const std::vector<std::string>& allowed) const;
  /// The same turned into its enum by `parse` (e.g. dea::returns_from_string).
  template <class Parse>
  auto get_choice(const std::string& key, const std::vector<std::string>& allowed,
                  Parse parse) const {
    return parse(get_choice(key, allowed));
  }
  /// Location prefix for a message about `key` ("FILE:LINE:COL: analysis 'NAME' option 'KEY'").
  std::string where(const std::string& key) const;
  /// Whether the job file itself sets `key` (not the defaults file). False when the job was
  /// rebuilt from an effective configuration, which keeps no source positions.
  bool given(const std::string& key) const;

 private:
  const toml::node& node(const std::string& key) const;
  const AnalysisConfig& cfg_;
};

}  // namespace revest::io
