#pragma once
/// \file archive_shards.hpp
/// \brief Which tasks a run computes and which file it writes (archive.hpp): the shards of a
/// sharded run, their archives' paths, and the work file of a --force run.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "driver/h5.hpp"

namespace revest::driver {

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
struct AnalysisLayout;
/// The tasks of an analysis that shard `s` computes: shard_tasks(num_tasks, s), except for a
/// two-phase analysis (its second phase needs every task of its first): shard 0 computes all of
/// its tasks and the other shards none, so that the merge finds each task in one shard.
std::vector<std::size_t> shard_tasks(const AnalysisLayout& layout, ShardSpec s);
/// Where shard s of a run whose final archive is `output` writes: results/x.h5 ->
/// results/x.shard-1-of-3.h5.
std::filesystem::path shard_path(const std::filesystem::path& output, ShardSpec s);
/// The work file of a --force run over an existing archive (or file) `output`: OUTPUT.new. What is
/// at `output` stays there until the new final archive is renamed over it.
std::filesystem::path replacement_path(const std::filesystem::path& output);
/// Parses "k/K" (0 <= k < K); throws revest::Error naming the text otherwise.
ShardSpec parse_shard(const std::string& text);

/// The shard an archive belongs to (count 1 for an ordinary archive).
ShardSpec archive_shard(hid_t f);

}  // namespace revest::driver
