#pragma once
/// \file archive_resume.hpp
/// \brief Resuming an interrupted archive (archive.hpp): is it the same run (configuration
/// fingerprint, input files' SHA-256, shard), and which tasks are left.
#include <cstddef>
#include <filesystem>
#include <vector>

#include "driver/archive_inputs.hpp"
#include "driver/archive_layout.hpp"
#include "driver/archive_shards.hpp"
#include "io/job.hpp"

namespace revest::driver {

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

}  // namespace revest::driver
