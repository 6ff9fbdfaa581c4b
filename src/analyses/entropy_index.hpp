#pragma once
/// \file entropy_index.hpp
/// \brief The job analysis `entropy_index`: the entropy-weight TOPSIS evaluation index of county
/// digital-economy development (index/entropy_topsis.hpp), with a bootstrap over counties.
///
/// An adapter: the job's options (TOML) become index::EntropyTopsisOptions; the panel's
/// indicators become index::IndexData (the raw matrix, N*T x K, row i*T + t = county i in year t,
/// with the directions of the indicator system); the point estimate is index::entropy_topsis;
/// task r runs index::entropy_topsis_replication on the task's stream (a degenerate resample is
/// TaskStatus::kNumericalFailure, which summaries ignore); summarize() turns the stored
/// replications into the tables `weights` and `scores`. The method and the bootstrap design are
/// in index/entropy_topsis.hpp.
///
/// Replication datasets (row-major per task): "weights" {T, K}, "scores" {T, N}, "ranks" {T, N}.
/// Summary tables:
///  - "weights": year, indicator, weight (full-sample point estimate), boot_mean, se, ci_lo, ci_hi
///    (T*K rows, year-major);
///  - "scores": adcode (2022 code), name (2022 name), province (English), year, score (point
///    estimate), se, ci_lo, ci_hi, rank (point estimate), rank_lo, rank_hi (percentile interval of
///    the bootstrap ranks; rank_lo is the better end) (N*T rows, county-major).
///
/// \test tests/analyses/entropy_index_test.cpp: the options, the full-sample pipeline against the
/// numeric functions, reproducibility and task-order invariance of the replications, interval
/// coverage of the point estimate, degenerate resamples, summary tables, input validation, the
/// job's summaries against the library bootstrap.
#include <Eigen/Dense>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/analysis.hpp"
#include "core/replication_summary.hpp"
#include "index/entropy_topsis.hpp"
#include "io/geography.hpp"
#include "io/indicators.hpp"
#include "io/job.hpp"
#include "io/panel.hpp"

namespace revest::analyses {

/// Options of an entropy_index analysis (job-file keys of the same names).
struct EntropyIndexOptions {
  /// Panel variables to use, in this order. Default: empty = every indicator whose `uses`
  /// contains "index", in indicator-file order. At least 2 are needed.
  std::vector<std::string> indicators;
  /// Number of bootstrap replications over counties (tasks), in [1, 2^32]. Default 2000.
  std::size_t replications = 2000;
  /// The method's options: weight_scope (default per_year), confidence (0.95), shift (0).
  index::EntropyTopsisOptions method;

  /// Throws revest::Error naming the option that is wrong ("indicators: ...", "replications: ...",
  /// and the method's own).
  /// \test entropy_index_test.cpp: EntropyIndexOptions.DefaultsAreValid, .InvalidValuesAreExplained
  void validate() const;
  /// Reads "indicators", "weight_scope", "replications", "confidence", "shift". Throws
  /// revest::Error naming the job file and line on a wrong type or an invalid value.
  /// \test entropy_index_test.cpp: EntropyIndexOptions.FromOptionView
  static EntropyIndexOptions from(const io::OptionView& view);
  bool operator==(const EntropyIndexOptions&) const = default;
  /// The indicators to combine: `indicators` if given, else every indicator of `system` whose
  /// `uses` contains "index" (in file order). May be empty; callers check the count they need.
  std::vector<std::string> resolved_indicators(const io::IndicatorSystem& system) const;
};

/// The entropy-weight TOPSIS index as a revest Analysis (kind "entropy_index"): one task per
/// bootstrap replication over counties.
///
/// The constructor copies what it needs from the inputs (they need not outlive the analysis),
/// validates them and computes the full-sample point estimate. run_task is const and uses no
/// shared mutable state, so tasks may run concurrently.
class EntropyIndexAnalysis : public Analysis {
 public:
  /// Throws revest::Error if the options are invalid, an indicator is unknown to the indicator
  /// system or missing from the panel, fewer than 2 indicators are selected, an indicator is
  /// constant over the whole panel, the panel and geography disagree, or N < 2.
  EntropyIndexAnalysis(std::string name, const io::Geography& geo, const io::Panel& panel,
                       const io::IndicatorSystem& indicators, EntropyIndexOptions options);

  std::string kind() const override { return "entropy_index"; }
  std::string name() const override { return name_; }
  std::size_t num_tasks() const override { return options_.replications; }
  std::vector<ReplicationSpec> replication_specs() const override;
  TaskOutcome run_task(std::size_t task, Rng& rng,
                       std::span<const std::span<double>> out) const override;
  std::vector<Table> summarize(ReplicationReader& reader) const override;

  const EntropyIndexOptions& options() const { return options_; }
  /// The indicators used, in column order, and their directions.
  const std::vector<std::string>& indicators() const { return data_.indicators; }
  const std::vector<int>& directions() const { return data_.direction; }
  const std::vector<int>& years() const { return data_.years; }
  std::size_t num_counties() const { return data_.units; }
  /// The library's data: raw matrix (N*T x K, county-major rows), directions, names.
  const index::IndexData& data() const { return data_; }
  const Eigen::MatrixXd& raw() const { return data_.raw; }
  /// Full-sample point estimate.
  const index::EntropyIndexResult& point_estimate() const { return point_; }

 private:
  std::string name_;
  EntropyIndexOptions options_;
  index::IndexData data_;
  std::size_t N_ = 0, T_ = 0;
  std::vector<std::int64_t> adcode_;
  std::vector<std::string> county_name_, province_;
  index::EntropyIndexResult point_;
};

}  // namespace revest::analyses
