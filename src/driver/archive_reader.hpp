#pragma once
/// \file archive_reader.hpp
/// \brief Opening and reading an archive serially (archive.hpp): its state, the status and
/// messages of the tasks, the replications for the summaries; and the summaries, timings and
/// complete flag rank 0 writes at the end.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/analysis.hpp"
#include "driver/archive_layout.hpp"
#include "driver/h5.hpp"

namespace revest::driver {

/// Opens an archive serially (rank 0, or a single-process tool).
h5::Handle archive_open(const std::filesystem::path& path, bool write);

/// Is there a file at `path`, and is it a complete archive?
enum class ArchiveState { kAbsent, kIncomplete, kComplete, kNotAnArchive };
ArchiveState archive_state(const std::filesystem::path& path);

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

/// Rank 0 only: writes an analysis's summary tables and timing.
void archive_write_summary(hid_t file, const AnalysisLayout& layout,
                           const std::vector<Table>& tables, double wall_seconds,
                           double cpu_seconds);

/// Rank 0 only: end time, totals, and the complete flag. Call last.
void archive_finish(hid_t file, const std::string& end_time, double wall_seconds,
                    double cpu_seconds);

}  // namespace revest::driver
