#pragma once
/// \file entropy_index.hpp
/// \brief Entropy-weight TOPSIS evaluation index of county digital-economy development, with a
/// bootstrap over counties.
///
/// Method (point estimate, from the full panel of N counties x T years and K indicators):
///  1. Raw matrix R: the panel values of the chosen indicators for every county-year, rows in
///     county-major order (row i*T + t is county i in year t), one column per indicator.
///  2. Pooled min-max standardisation (minmax_standardize): min and max of each indicator over all
///     county-years, so that years are on one scale; cost indicators are reversed, so that after
///     this step larger is better for every column and every value is in [0, 1].
///  3. Entropy weights (entropy_weights_from_standardized with the `shift` option):
///     weight_scope = "per_year": one weight vector per year from that year's N rows;
///     weight_scope = "pooled":   one weight vector from all N*T rows, used for every year.
///  4. TOPSIS closeness of every county-year with that year's weights and the ideals fixed at the
///     pooled ideals, best = 1 and worst = 0 for every standardised indicator (i.e. w_j and 0 on the
///     weighted scale), so that scores are comparable across years.
///  5. Ranks within each year: revest::stats::rank_descending (1 = highest score).
///
/// Bootstrap design (one task = one replication): draw N county indices with replacement. The
/// min/max bounds of step 2 and the entropy weights of step 3 are computed from the resampled
/// counties only (all their years; a county drawn twice counts twice). Those bounds (with the
/// standardised values clipped to [0, 1]) and weights are then applied to EVERY original county,
/// so every replication yields weights (T x K), scores (T x N) and ranks (T x N) for all N
/// counties. The spread of a county's score over replications thus measures how much its score
/// depends on which counties make up the comparison set (through the bounds and the weights), not
/// sampling noise in its own data. A resample in which an indicator is constant, or in which the
/// entropy weights are undefined, is reported as TaskStatus::kNumericalFailure; summaries ignore
/// it. Percentile intervals (type-7 quantiles) at level `confidence` summarise the replications.
///
/// \test tests/index/entropy_index_test.cpp: full-sample pipeline against the numeric functions,
/// reproducibility and task-order invariance of the replications, interval coverage of the point
/// estimate, degenerate resamples, summary tables, input validation.
#include <Eigen/Dense>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/analysis.hpp"
#include "core/replication_summary.hpp"
#include "io/geography.hpp"
#include "io/indicators.hpp"
#include "io/job.hpp"
#include "io/panel.hpp"

namespace revest::index {

/// Options of an entropy_index analysis (job-file keys of the same names).
struct EntropyIndexOptions {
  /// Panel variables to use, in this order. Default: empty = every indicator whose `uses`
  /// contains "index", in indicator-file order. At least 2 are needed.
  std::vector<std::string> indicators;
  /// "per_year" (default): entropy weights computed separately for each year;
  /// "pooled": one set of weights from all county-years.
  std::string weight_scope = "per_year";
  /// Number of bootstrap replications over counties (tasks). Default 2000; at least 1.
  std::size_t replications = 2000;
  /// Level of the percentile intervals, in (0, 1). Default 0.95.
  double confidence = 0.95;
  /// Translation added to the standardised values before the entropy proportions are formed,
  /// >= 0. Default 0.0 (the plain method; 0 ln 0 = 0).
  double shift = 0.0;

  /// True if the options are consistent; otherwise false with the reason in *why (if not null).
  /// \test entropy_index_test.cpp: EntropyIndexOptions.DefaultsAreValid, .InvalidValuesAreExplained
  bool is_valid(std::string* why) const;
  /// Reads "indicators", "weight_scope", "replications", "confidence", "shift". Throws
  /// revest::Error naming the job file and line on a wrong type or an invalid value.
  /// \test entropy_index_test.cpp: EntropyIndexOptions.FromOptionView
  static EntropyIndexOptions from(const io::OptionView& view);
  /// The indicators to combine: `indicators` if given, else every indicator of `system` whose
  /// `uses` contains "index" (in file order). May be empty; callers check the count they need.
  std::vector<std::string> resolved_indicators(const io::IndicatorSystem& system) const;
};

/// Output of one evaluation of the index (full sample or one bootstrap resample).
struct EntropyIndexResult {
  Eigen::MatrixXd weights;  ///< T x K entropy weights (rows equal when weight_scope = "pooled")
  Eigen::MatrixXd scores;   ///< T x N TOPSIS closeness of every county, in [0, 1]
  Eigen::MatrixXd ranks;    ///< T x N rank within the year, 1 = best
  /// Empty on success; otherwise why the (resampled) data are degenerate, and the matrices are
  /// empty.
  std::string failure;
  bool ok() const { return failure.empty(); }
};

/// Evaluates the index (steps 1-5 of the file comment) on the raw matrix `raw` (N*T x K, row
/// i*T + t = county i, year t). `direction` holds +1 (benefit) or -1 (cost) per column.
/// `county_sample` (may be null = every county once) lists the counties, with repetition, from
/// which the min/max bounds and the entropy weights are computed; scores and ranks are always
/// produced for all N counties, standardised with those bounds and clipped to [0, 1].
/// Degenerate data (a column constant over the sampled county-years, undefined weights) are
/// reported in `failure`, not thrown. Throws revest::Error on inconsistent sizes, a sample index
/// >= N, an empty sample, non-finite values or invalid options.
/// \test entropy_index_test.cpp: EntropyIndexAnalysis.PointEstimateMatchesNumericPipeline,
///       .IdentitySampleIsFullSample, .CostDirectionFlipsRanking, .UndefinedWeightsAreAFailure,
///       .DegenerateResampleIsNumericalFailure, .BadComputeArgumentsAreErrors
EntropyIndexResult compute_entropy_index(const Eigen::MatrixXd& raw, std::size_t N, std::size_t T,
                                         const std::vector<int>& direction,
                                         const EntropyIndexOptions& options,
                                         const std::vector<std::size_t>* county_sample);

// The replication summaries moved to core/replication_summary.hpp; kept visible here.
using revest::ReplicationColumnSummary;
using revest::summarize_replication_columns;
using revest::summary_block_columns;

/// The entropy-weight TOPSIS index as a revest Analysis (kind "entropy_index"): one task per
/// bootstrap replication over counties.
///
/// Replication datasets (row-major per task): "weights" {T, K}, "scores" {T, N}, "ranks" {T, N}.
/// Summary tables:
///  - "weights": year, indicator, weight (full-sample point estimate), boot_mean, se, ci_lo, ci_hi
///    (T*K rows, year-major);
///  - "scores": adcode (2022 code), name (2022 name), province (English), year, score (point
///    estimate), se, ci_lo, ci_hi, rank (point estimate), rank_lo, rank_hi (percentile interval of
///    the bootstrap ranks; rank_lo is the better end) (N*T rows, county-major).
///
/// The constructor copies what it needs from the inputs (they need not outlive the analysis),
/// validates them and computes the full-sample point estimate. run_task is const and uses no
/// shared mutable state, so tasks may run concurrently.
/// \test tests/index/entropy_index_test.cpp
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
  const std::vector<std::string>& indicators() const { return indicators_; }
  const std::vector<int>& directions() const { return direction_; }
  const std::vector<int>& years() const { return years_; }
  std::size_t num_counties() const { return N_; }
  /// Raw matrix (N*T x K, county-major rows).
  const Eigen::MatrixXd& raw() const { return raw_; }
  /// Full-sample point estimate.
  const EntropyIndexResult& point_estimate() const { return point_; }

 private:
  std::string name_;
  EntropyIndexOptions options_;
  std::vector<std::string> indicators_;
  std::vector<int> direction_;
  std::vector<int> years_;
  std::size_t N_ = 0, T_ = 0;
  std::vector<std::int64_t> adcode_;
  std::vector<std::string> county_name_, province_;
  Eigen::MatrixXd raw_;
  EntropyIndexResult point_;
};

}  // namespace revest::index
