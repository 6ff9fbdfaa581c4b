#pragma once
/// \file slurm.hpp
/// \brief `revest submit`: batch scripts from the templates in slurm/, submitted with sbatch.
///
/// The scripts are written into DIR = <archive directory>/<job name>.slurm/ (run.sbatch,
/// merge.sbatch, and the SLURM logs). Every value that comes from a user (paths, the job file)
/// enters a script only as a single-quoted shell word, and sbatch is started without a shell (an
/// argument vector), so spaces, quotes, `$( )` or `;` in a name break nothing and run nothing.
/// #SBATCH lines carry only validated values (see [slurm] in config/defaults.toml).
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace revest::driver {

/// One shell word: 'text' with every ' written as '\''.
std::string shell_quote(const std::string& text);

/// A SLURM job name from any text: characters outside [A-Za-z0-9._-] become '_'.
std::string slurm_job_name(const std::string& text);

/// Replaces every @KEY@ of `templ` by its value; an unknown @KEY@ is an error naming the template.
std::string render_template(const std::string& templ,
                            const std::vector<std::pair<std::string, std::string>>& values,
                            const std::string& template_name);

/// Seconds of an sbatch --time value ("M", "M:S", "H:M:S", "D-H", "D-H:M", "D-H:M:S"); throws
/// revest::Error on anything else.
std::int64_t slurm_time_seconds(const std::string& time);

struct SubmitOptions {
  std::filesystem::path job;
  std::filesystem::path defaults;
  std::optional<std::filesystem::path> output;  ///< overrides the job's output
  std::filesystem::path templates;              ///< directory of run.sbatch.in and merge.sbatch.in
  std::filesystem::path revest;                 ///< the executable the scripts run
  std::filesystem::path script_dir;             ///< empty: <output dir>/<name>.slurm
  // Overrides of the job's [slurm] table: -1 / empty = the job's value.
  int nodes = -1, ntasks = -1, cpus_per_task = -1, shards = -1, signal_seconds = -1,
      max_requeues = -1;
  std::string time, mem_per_cpu, partition, account, qos;
  bool no_requeue = false;
  bool dry_run = false;  ///< write the scripts and print the sbatch commands; submit nothing
  std::string sbatch = "sbatch";
};

struct SubmitResult {
  std::filesystem::path run_script, merge_script;
  std::string run_job_id, merge_job_id;  ///< empty when not submitted (dry run, nothing to do)
  std::string diagnose_job_id;           ///< the merge run only if a shard failed (afternotok)
  std::vector<int> shards;               ///< the array indices submitted (sharded runs)
  bool nothing_to_do = false;            ///< the archive is already complete
};

/// Validates the job and its data, writes the batch script(s) and, unless dry_run, submits them.
/// Sharded: only the shards that are not complete yet are submitted as the array, then the merge
/// job with --dependency=afterok on the array. Throws revest::Error on any problem (sbatch's own
/// message included).
SubmitResult submit(const SubmitOptions& options, std::ostream& out);

}  // namespace revest::driver
