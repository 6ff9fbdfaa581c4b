#pragma once
/// \file analysis.hpp
/// \brief The contract between an analysis (an estimator with replications) and the runtime.
///
/// An analysis describes its work as N independent tasks (bootstrap or Monte Carlo replications).
/// The MPI runtime in src/driver decides which rank runs which task; the analysis never knows. Task
/// r draws only from Rng(seed, analysis name, r) and writes one fixed-shape row into each of its
/// replication datasets, so results are identical for any number of ranks and after a resume.
/// An analysis may have two phases (phase_boundary, prepare): the first phase's tasks all finish
/// before any of the second's, which may use their results; streams and rows stay per task.
/// After all tasks ran, summarize() turns the stored replications (read back in column blocks, so
/// memory stays bounded) into summary tables: point estimates, standard errors, intervals.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/rng.hpp"

namespace revest {

/// Outcome of one task. Codes are stored in the archive's per-analysis `status` dataset.
enum class TaskStatus : std::int32_t {
  kNotRun = -1,           ///< not computed yet (fill value of the status dataset)
  kOk = 0,                ///< converged / computed
  kNoConvergence = 1,     ///< an iterative method did not converge
  kNumericalFailure = 2,  ///< NaN, singular matrix, degenerate resample, ...
  kInfeasible = 3,        ///< an optimisation problem had no solution
};
const char* to_string(TaskStatus s);

struct TaskOutcome {
  TaskStatus status = TaskStatus::kOk;
  std::string message;  ///< empty when kOk
};

/// One replication dataset: each task writes one row of `shape` doubles. In the archive it is
/// stored as [num_tasks x shape...], chunked along tasks and compressed.
struct ReplicationSpec {
  std::string name;
  std::vector<std::size_t> shape;
  std::string description;
  std::string units = {};  ///< of every value, when they share one (see Column::units); else ""
  std::size_t row_size() const {
    std::size_t n = 1;
    for (auto d : shape) n *= d;
    return n;
  }
};

/// A column of a summary table. Every column has a description (the archive test checks it);
/// `units` is written as the dataset's `units` attribute where the values have a unit: "1" for
/// dimensionless quantities (scores, shares, probabilities, test statistics), "10k yuan" for money
/// as in the data, "year", "km", ... Empty when there is no meaningful unit (codes, labels,
/// counts, estimates whose unit depends on the row, such as regression coefficients).
struct Column {
  std::string name;
  std::variant<std::vector<double>, std::vector<std::int64_t>, std::vector<std::string>> data;
  std::string description;
  std::string units = {};
  std::size_t size() const;
};

/// A summary table: equal-length columns, stored as one HDF5 group with one 1-D dataset per column
/// (reads directly as a data frame from h5py / R hdf5r) and exported as one CSV file.
struct Table {
  std::string name;
  std::string description;
  std::vector<Column> columns;
  void check() const;  ///< all columns of equal length (internal invariant)
};

/// Read access to the stored replications of one analysis.
class ReplicationReader {
 public:
  virtual ~ReplicationReader() = default;
  virtual std::size_t num_tasks() const = 0;
  /// Status of every task (kOk for the successful ones).
  virtual std::vector<TaskStatus> status() = 0;
  /// Elements [col_begin, col_end) of the flattened rows of replication dataset `dataset`, for all
  /// tasks: result is row-major [num_tasks x (col_end - col_begin)]. Rows of failed tasks are NaN.
  virtual std::vector<double> read_columns(std::size_t dataset, std::size_t col_begin,
                                           std::size_t col_end) = 0;
};

/// Interface of an analysis with replications.
class Analysis {
 public:
  virtual ~Analysis() = default;
  /// Analysis kind as written in job files (e.g. "entropy_index").
  virtual std::string kind() const = 0;
  /// Name of this instance within the job (unique; also its stream id and archive group).
  virtual std::string name() const = 0;
  /// Number of independent tasks (replications).
  virtual std::size_t num_tasks() const = 0;
  /// Shapes of the rows every task writes.
  virtual std::vector<ReplicationSpec> replication_specs() const = 0;
  /// Runs task `task`, drawing from `rng` only, writing rows into `out` (one span per spec, of
  /// spec.row_size() elements, pre-filled with NaN). Must be safe to call concurrently for
  /// different tasks. Numerical trouble is returned as a status, not thrown.
  virtual TaskOutcome run_task(std::size_t task, Rng& rng,
                               std::span<const std::span<double>> out) const = 0;
  /// Point estimates and summaries of the replications. Never relies on prepare() having been
  /// called in this process (a resumed run may find every task done).
  virtual std::vector<Table> summarize(ReplicationReader& reader) const = 0;

  /// Two phases (default: one). Tasks [0, phase_boundary()) are the first phase; the tasks after
  /// them may use the first phase's results (e.g. Simar-Wilson Algorithm 2's L2 replications use
  /// the bias correction from all L1 replications). Before a process runs any task of the second
  /// phase, every first-phase task is finished and stored, and prepare() is called with a reader
  /// of them (every rank computes the same state from the same rows). 0: one phase, no prepare().
  virtual std::size_t phase_boundary() const { return 0; }
  /// Builds the state the second phase's tasks need from the stored rows of the first phase's
  /// tasks (the reader's rows of later tasks are not to be used). Deterministic; throws
  /// revest::Error on bad rows.
  virtual void prepare(ReplicationReader& first_phase) { (void)first_phase; }
};

}  // namespace revest
