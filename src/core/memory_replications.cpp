#include "core/memory_replications.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace revest {

MemoryReplications::MemoryReplications(std::vector<ReplicationSpec> specs, std::size_t num_tasks)
    : specs_(std::move(specs)),
      num_tasks_(num_tasks),
      status_(num_tasks, TaskStatus::kNotRun),
      messages_(num_tasks) {
  data_.reserve(specs_.size());
  for (const auto& s : specs_)
    data_.emplace_back(num_tasks_ * s.row_size(), std::numeric_limits<double>::quiet_NaN());
}

MemoryReplications::MemoryReplications(const Analysis& analysis)
    : MemoryReplications(analysis.replication_specs(), analysis.num_tasks()) {}

std::vector<double> MemoryReplications::read_columns(std::size_t dataset, std::size_t col_begin,
                                                     std::size_t col_end) {
  REVEST_REQUIRE(dataset < specs_.size(),
                 "read_columns: no dataset " << dataset << " (have " << specs_.size() << ")");
  const std::size_t w = specs_[dataset].row_size();
  REVEST_REQUIRE(col_begin <= col_end && col_end <= w,
                 "read_columns: columns [" << col_begin << ", " << col_end << ") of dataset '"
                                           << specs_[dataset].name << "' with rows of " << w);
  const std::size_t n = col_end - col_begin;
  ++read_calls_;
  max_block_columns_ = std::max(max_block_columns_, n);
  std::vector<double> out(num_tasks_ * n);
  const std::vector<double>& d = data_[dataset];
  for (std::size_t r = 0; r < num_tasks_; ++r)
    std::copy_n(d.begin() + static_cast<std::ptrdiff_t>(r * w + col_begin), n,
                out.begin() + static_cast<std::ptrdiff_t>(r * n));
  return out;
}

std::span<double> MemoryReplications::row(std::size_t dataset, std::size_t task) {
  REVEST_REQUIRE(dataset < specs_.size() && task < num_tasks_, "MemoryReplications::row: dataset "
                                                                   << dataset << ", task " << task
                                                                   << " out of range");
  const std::size_t w = specs_[dataset].row_size();
  return std::span<double>(data_[dataset].data() + task * w, w);
}

std::span<const double> MemoryReplications::row(std::size_t dataset, std::size_t task) const {
  return const_cast<MemoryReplications*>(this)->row(dataset, task);
}

const std::vector<double>& MemoryReplications::data(std::size_t dataset) const {
  REVEST_REQUIRE(dataset < specs_.size(), "MemoryReplications::data: no dataset " << dataset);
  return data_[dataset];
}

void MemoryReplications::set_status(std::size_t task, TaskStatus status, std::string message) {
  REVEST_REQUIRE(task < num_tasks_,
                 "MemoryReplications::set_status: task " << task << " out of range");
  status_[task] = status;
  messages_[task] = std::move(message);
}

void MemoryReplications::run(const Analysis& analysis, std::uint64_t seed, std::size_t task) {
  REVEST_REQUIRE(task < num_tasks_,
                 "MemoryReplications::run: task " << task << " of " << num_tasks_);
  REVEST_REQUIRE(task <= std::numeric_limits<std::uint32_t>::max(),
                 "MemoryReplications::run: task index " << task << " exceeds the 32-bit stream id");
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  std::vector<std::span<double>> rows;
  rows.reserve(specs_.size());
  for (std::size_t d = 0; d < specs_.size(); ++d) {
    rows.push_back(row(d, task));
    std::fill(rows.back().begin(), rows.back().end(), kNaN);
  }
  Rng rng(seed, analysis.name(), static_cast<std::uint32_t>(task));
  TaskOutcome outcome = analysis.run_task(task, rng, std::span<const std::span<double>>(rows));
  if (outcome.status != TaskStatus::kOk)
    for (auto& r : rows) std::fill(r.begin(), r.end(), kNaN);
  set_status(task, outcome.status, std::move(outcome.message));
}

MemoryReplications run_serial(const Analysis& analysis, std::uint64_t seed) {
  REVEST_REQUIRE(analysis.phase_boundary() == 0,
                 "run_serial: analysis '" << analysis.name()
                                          << "' has two phases: pass it as non-const (prepare())");
  MemoryReplications m(analysis);
  for (std::size_t t = 0; t < analysis.num_tasks(); ++t) m.run(analysis, seed, t);
  return m;
}

MemoryReplications run_serial(Analysis& analysis, std::uint64_t seed) {
  MemoryReplications m(analysis);
  const std::size_t boundary = std::min(analysis.phase_boundary(), analysis.num_tasks());
  for (std::size_t t = 0; t < boundary; ++t) m.run(analysis, seed, t);
  if (boundary > 0 && boundary < analysis.num_tasks()) analysis.prepare(m);
  for (std::size_t t = boundary; t < analysis.num_tasks(); ++t) m.run(analysis, seed, t);
  return m;
}

}  // namespace revest
