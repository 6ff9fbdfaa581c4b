#pragma once
/// \file memory_replications.hpp
/// \brief In-memory replication storage and a serial reference runner for an Analysis.
///
/// MemoryReplications keeps every replication dataset of one analysis as a row-major
/// [num_tasks x row_size] buffer of doubles, pre-filled with NaN, plus the status and message of
/// every task. run_serial() runs all tasks in order, task r drawing from Rng(seed, name, r) exactly
/// as the MPI runtime does, so it is the reference the runtime's archives must reproduce; tests use
/// it to exercise an analysis without MPI or HDF5.
///
/// \test tests/core/memory_replications_test.cpp (storage, column reads, failed tasks, task order)
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/analysis.hpp"

namespace revest {

class MemoryReplications : public ReplicationReader {
 public:
  /// Storage for `num_tasks` tasks writing rows of the given specs; data NaN, status kNotRun.
  MemoryReplications(std::vector<ReplicationSpec> specs, std::size_t num_tasks);
  /// Storage shaped for `analysis` (its specs and num_tasks()).
  explicit MemoryReplications(const Analysis& analysis);

  // ReplicationReader
  std::size_t num_tasks() const override { return num_tasks_; }
  std::vector<TaskStatus> status() override { return status_; }
  /// Row-major [num_tasks x (col_end - col_begin)]; throws revest::Error on a bad dataset index or
  /// column range.
  std::vector<double> read_columns(std::size_t dataset, std::size_t col_begin,
                                   std::size_t col_end) override;

  /// Runs task `task` of `analysis` with Rng(seed, analysis.name(), task): resets its rows to NaN,
  /// calls run_task, records status and message, and resets the rows to NaN again unless the task
  /// succeeded. Exceptions thrown by run_task propagate (they are errors, not task outcomes).
  void run(const Analysis& analysis, std::uint64_t seed, std::size_t task);

  /// The row of `task` in dataset `dataset` (row_size() doubles).
  std::span<double> row(std::size_t dataset, std::size_t task);
  std::span<const double> row(std::size_t dataset, std::size_t task) const;
  /// Whole dataset, row-major [num_tasks x row_size].
  const std::vector<double>& data(std::size_t dataset) const;
  const std::vector<ReplicationSpec>& specs() const { return specs_; }
  const std::vector<TaskStatus>& statuses() const { return status_; }
  const std::vector<std::string>& messages() const { return messages_; }
  void set_status(std::size_t task, TaskStatus status, std::string message);
  /// Widest column block requested through read_columns so far (to check bounded reads).
  std::size_t max_block_columns() const { return max_block_columns_; }
  /// Number of read_columns calls so far.
  std::size_t read_calls() const { return read_calls_; }

 private:
  std::vector<ReplicationSpec> specs_;
  std::size_t num_tasks_ = 0;
  std::vector<std::vector<double>> data_;
  std::vector<TaskStatus> status_;
  std::vector<std::string> messages_;
  std::size_t max_block_columns_ = 0;
  std::size_t read_calls_ = 0;
};

/// Runs every task of `analysis` in order 0, 1, ..., num_tasks()-1 with Rng(seed, name, task) into
/// memory. Results are independent of the order in which tasks run (see MemoryReplications::run).
/// An analysis with two phases (Analysis::phase_boundary) must be passed non-const: its prepare()
/// is called with the first phase's rows before the second phase runs (the const overload throws).
MemoryReplications run_serial(const Analysis& analysis, std::uint64_t seed);
MemoryReplications run_serial(Analysis& analysis, std::uint64_t seed);

}  // namespace revest
