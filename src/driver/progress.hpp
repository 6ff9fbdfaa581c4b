#pragma once
/// \file progress.hpp
/// \brief Rank-0 progress display: a bar with rate and ETA on a terminal, periodic plain lines
/// otherwise (SLURM logs).
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

namespace revest::driver {

class Progress {
 public:
  /// `done` tasks were finished by an earlier run segment (resume) and do not count for the rate.
  Progress(std::string label, std::size_t total, std::size_t done, double interval_seconds,
           bool enabled, std::FILE* out = stderr);
  /// Records that `done` tasks (in total) are finished, `failed` of them with a failure status.
  void update(std::size_t done, std::size_t failed);
  void finish();
  /// Formats seconds as "1h02m", "3m05s" or "12.3s".
  static std::string format_seconds(double s);

 private:
  void print(bool final);
  std::string label_;
  std::size_t total_, start_done_, done_, failed_ = 0;
  double interval_;
  bool enabled_, tty_;
  std::FILE* out_;
  std::chrono::steady_clock::time_point t0_, last_;
};

}  // namespace revest::driver
