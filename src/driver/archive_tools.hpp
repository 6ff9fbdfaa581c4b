#pragma once
/// \file archive_tools.hpp
/// \brief Single-process archive commands that need the job: merge shards, verify an archive.
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace revest::driver {

struct MergeOptions {
  std::filesystem::path output;              ///< the final archive
  int shards = 0;                            ///< K: shards are shard_path(output, k/K)
  std::vector<std::filesystem::path> files;  ///< explicit shard files (instead of the names)
  bool force = false;                        ///< overwrite a complete output
  bool remove_shards = false;                ///< delete the shard files after a successful merge
  bool ignore_free_space = false;            ///< write without reserving the archive's room first
};

/// Merges the K shard archives of a sharded run into the final archive: checks that every shard
/// is present, complete and of the same job and data (else an error naming each missing or
/// incomplete shard and how to re-run just those; nothing is written), then writes the archive a
/// single run would have written (identical datasets), with summaries and checksums.
void merge_shards(const MergeOptions& options, std::ostream& log);

struct VerifyOptions {
  std::size_t sample = 3;  ///< tasks re-run per analysis
  std::uint64_t seed = 1;  ///< of the sample (never from the clock)
  bool summaries = true;   ///< recompute the summary tables from the stored replications
  std::string digest;      ///< the archive digest it must have (e.g. a paper's); empty: none
};

/// Verifies an archive from itself alone: every dataset's and attribute's SHA-256 and the archive
/// digest recomputed from the contents (checksums.hpp; compared with `digest` if given), a re-run
/// of a random sample of tasks of every analysis from the job and data embedded in the archive
/// (bit for bit), and the summary tables recomputed from the stored replications (bit for bit).
/// Prints what it checks and every difference (by dataset, attribute, analysis, task, table
/// column); returns the number of problems found. A damaged archive (a deleted dataset or column)
/// is a problem found, not an error; only a file that is no revest archive throws.
std::size_t verify_archive(const std::filesystem::path& archive, const VerifyOptions& options,
                           std::ostream& out);

}  // namespace revest::driver
