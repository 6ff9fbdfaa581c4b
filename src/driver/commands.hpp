#pragma once
/// \file commands.hpp
/// \brief Single-process sub-commands: inspect and export an archive.
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

namespace revest::driver {

/// Prints what an archive holds: job, seed, completeness, provenance, analyses with task status
/// counts and the first `rows` rows of every summary table.
void inspect_archive(const std::filesystem::path& archive, std::ostream& out, std::size_t rows);

/// Writes every table of an archive as CSV under `dir`: data/<table>.csv, meta/inputs.csv,
/// <analysis>/<table>.csv and <analysis>/status.csv. Returns the number of files written.
std::size_t export_csv(const std::filesystem::path& archive, const std::filesystem::path& dir);

/// The defaults file to use: explicit path, else $REVEST_DEFAULTS, else ../config/defaults.toml
/// next to the job's directory, else the source tree's config/defaults.toml.
std::filesystem::path find_defaults(const std::string& explicit_path,
                                    const std::filesystem::path& job);

/// The batch script templates to use: $REVEST_TEMPLATES, else ../slurm next to the job's
/// directory, else the source tree's slurm/.
std::filesystem::path find_templates(const std::filesystem::path& job);

}  // namespace revest::driver

namespace revest::driver {
/// Compares two archives outside /meta: every dataset bit for bit, and every attribute of every
/// object (the root included) except the checksums and the timings (wall_seconds, cpu_seconds).
/// Returns one line per difference (empty = identical results).
std::vector<std::string> compare_archives(const std::filesystem::path& a,
                                          const std::filesystem::path& b);
}  // namespace revest::driver
