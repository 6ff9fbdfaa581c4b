#pragma once
/// \file entropy_topsis.hpp
/// \brief The entropy-weight TOPSIS evaluation index as a library: min-max standardisation,
/// Shannon entropy weights and TOPSIS relative closeness on dense matrices, and the index of N
/// units x T periods (entropy_topsis) with its bootstrap over units (entropy_topsis_replication,
/// bootstrap).
///
/// Pure functions on dense matrices (rows = alternatives, e.g. county-years; columns = criteria,
/// i.e. indicators). They check their arguments with REVEST_REQUIRE (revest::Error) and know
/// nothing about panels, job files or the runtime; the job analysis `entropy_index`
/// (analyses/entropy_index.hpp) builds the matrices from the panel and runs the replications as
/// tasks.
///
/// References:
/// - Entropy weights: Shannon, C. E. (1948), A mathematical theory of communication, Bell System
///   Technical Journal 27; the entropy weight method as presented in Hwang & Yoon (1981, below)
///   and Zeleny, M. (1982), Multiple Criteria Decision Making, McGraw-Hill.
/// - TOPSIS: Hwang, C.-L. & Yoon, K. (1981), Multiple Attribute Decision Making: Methods and
///   Applications, Springer, Lecture Notes in Economics and Mathematical Systems 186.
///
/// \test tests/index/entropy_topsis_test.cpp reproduces the published test vectors of
/// tests/index/data/index_methods.md (Python package `mcdm`) and checks the invariances;
/// tests/index/entropy_index_test.cpp the index of a panel-shaped matrix, its replications and the
/// bootstrap loop; tests/analyses/entropy_index_test.cpp the job analysis.
#include <Eigen/Dense>
#include <cstddef>
#include <string>
#include <vector>

#include "core/replication_summary.hpp"
#include "core/rng.hpp"
#include "core/status.hpp"

namespace revest::index {

/// Pooled min-max standardisation of every column over all rows, oriented so that larger is
/// better:
///   benefit (direction +1): x_ij = (r_ij - min_j) / (max_j - min_j)
///   cost    (direction -1): x_ij = (max_j - r_ij) / (max_j - min_j)
/// with min_j, max_j the column's minimum and maximum over all rows. Every result is in [0, 1];
/// each column attains both 0 and 1.
/// Throws revest::Error if `direction` does not have one entry (+1 or -1) per column, if a value is
/// not finite, or if a column is constant (the message names the column index).
/// \test entropy_topsis_test.cpp: MinMax.BenefitAndCost, MinMax.ConstantColumnIsAnError,
///       MinMax.AffineTransformInvariance
Eigen::MatrixXd minmax_standardize(const Eigen::MatrixXd& raw, const std::vector<int>& direction);

/// Min-max standardisation with given per-column bounds (e.g. the bounds of a bootstrap resample,
/// applied to all rows):
///   benefit: x_ij = clip((r_ij - lo_j) / (hi_j - lo_j)),  cost: x_ij = clip((hi_j - r_ij) / (hi_j - lo_j))
/// where clip() limits to [0, 1] (rows outside the bounds are set to the nearest end).
/// Throws revest::Error on size mismatches, a non-finite value or bound, or hi_j <= lo_j.
/// \test entropy_topsis_test.cpp: MinMax.ExplicitBoundsClip, MinMax.ExplicitBoundsMatchPooled
Eigen::MatrixXd minmax_standardize(const Eigen::MatrixXd& raw, const std::vector<int>& direction,
                                   const Eigen::VectorXd& col_min, const Eigen::VectorXd& col_max);

/// Shannon entropy weights of criteria given as proportions (every column non-negative and
/// summing to 1) over m >= 2 rows:
///   e_j = -(1 / ln m) sum_i p_ij ln p_ij   (with 0 ln 0 = 0),
///   d_j = 1 - e_j (degree of diversification; clamped at 0 against rounding),
///   w_j = d_j / sum_k d_k.
/// A column whose proportions are all equal has e_j = 1 exactly, hence weight 0. If every column
/// is like that (sum_k d_k = 0) the weights are undefined and every entry of the result is NaN; the
/// caller decides whether that is an error. The weights are non-negative and sum to 1 otherwise.
/// Throws revest::Error if m < 2, an entry is negative or not finite, or a column sum differs from
/// 1 by more than 1e-6.
/// \test entropy_topsis_test.cpp: EntropyWeights.PublishedVector, EntropyWeights.SumToOneNonNegative,
///       EntropyWeights.UniformColumnGetsZeroWeight, EntropyWeights.AllUniformIsNaN
Eigen::VectorXd entropy_weights(const Eigen::MatrixXd& p);

/// Entropy weights of a standardised matrix `x` (e.g. from minmax_standardize): the proportions are
///   p_ij = (x_ij + shift) / sum_i (x_ij + shift),
/// then entropy_weights(p). `shift` >= 0 is the usual translation that keeps logarithms away from
/// zero (0 is the plain method). A column that is entirely zero after the shift carries no
/// information and is taken as uniform (weight 0; this is the limit shift -> 0+).
/// Throws revest::Error if shift < 0 or not finite, or an x_ij + shift is negative or not finite.
/// \test entropy_topsis_test.cpp: EntropyWeights.FromStandardizedMatchesProportions,
///       EntropyWeights.ZeroColumnGetsZeroWeight
Eigen::VectorXd entropy_weights_from_standardized(const Eigen::MatrixXd& x, double shift);

/// TOPSIS relative closeness (Hwang & Yoon 1981) of every row of `x`, without any normalisation
/// inside (pass an already normalised or standardised matrix):
///   v_ij = w_j x_ij,
///   A+_j = max_i v_ij for benefit criteria (direction +1), min_i v_ij for cost criteria (-1),
///   A-_j = the opposite extreme,
///   D+_i = ||v_i - A+||_2,  D-_i = ||v_i - A-||_2,  C_i = D-_i / (D+_i + D-_i)  in [0, 1].
/// C_i is NaN when D+_i + D-_i = 0 (only possible if every weighted column is constant).
/// Throws revest::Error on size mismatches, a non-finite entry, a negative weight or a direction
/// other than +1 / -1.
/// \test entropy_topsis_test.cpp: Topsis.PublishedVectorAllBenefit, Topsis.PublishedVectorBenefitCost,
///       Topsis.CostIndicatorFlipsRanking
Eigen::VectorXd topsis_closeness(const Eigen::MatrixXd& x, const Eigen::VectorXd& w,
                                 const std::vector<int>& direction);

/// TOPSIS relative closeness with fixed ideal points given on the scale of `x` (before weighting):
///   D+_i = sqrt(sum_j w_j^2 (x_ij - best_j)^2),  D-_i = sqrt(sum_j w_j^2 (x_ij - worst_j)^2),
///   C_i = D-_i / (D+_i + D-_i).
/// Used when scores must be comparable across samples: after min-max standardisation (all
/// criteria oriented as benefit) the ideals are best = 1, worst = 0 whatever the rows are.
/// C_i is NaN when D+_i + D-_i = 0. Throws revest::Error on size mismatches, non-finite entries or
/// negative weights.
/// \test entropy_topsis_test.cpp: Topsis.ExplicitIdealsMatchSampleIdeals, Topsis.ClosenessRange
Eigen::VectorXd topsis_closeness(const Eigen::MatrixXd& x, const Eigen::VectorXd& w,
                                 const Eigen::VectorXd& ideal_best,
                                 const Eigen::VectorXd& ideal_worst);

// ---- The index of N units x T periods ------------------------------------------------------
//
// Method (point estimate, from N units x T periods and K indicators):
//  1. Raw matrix R: rows in unit-major order (row i*T + t is unit i in period t), one column per
//     indicator.
//  2. Pooled min-max standardisation (minmax_standardize): min and max of each indicator over all
//     unit-periods, so that periods are on one scale; cost indicators are reversed, so that after
//     this step larger is better for every column and every value is in [0, 1].
//  3. Entropy weights (entropy_weights_from_standardized with the `shift` option):
//     WeightScope::kPerYear: one weight vector per period from that period's N rows;
//     WeightScope::kPooled:  one weight vector from all N*T rows, used for every period.
//  4. TOPSIS closeness of every unit-period with that period's weights and the ideals fixed at the
//     pooled ideals, best = 1 and worst = 0 for every standardised indicator (i.e. w_j and 0 on the
//     weighted scale), so that scores are comparable across periods.
//  5. Ranks within each period: revest::stats::rank_descending (1 = highest score).
//
// Bootstrap (one replication): draw N unit indices with replacement. The min/max bounds of step 2
// and the entropy weights of step 3 are computed from the resampled units only (all their periods;
// a unit drawn twice counts twice). Those bounds (with the standardised values clipped to [0, 1])
// and weights are then applied to EVERY original unit, so every replication yields weights
// (T x K), scores (T x N) and ranks (T x N) for all N units. The spread of a unit's score over
// replications thus measures how much its score depends on which units make up the comparison set
// (through the bounds and the weights), not sampling noise in its own data. A resample in which an
// indicator is constant, or in which the entropy weights are undefined, has status
// kNumericalFailure; summaries leave it out. Percentile intervals (type-7 quantiles) at level
// `confidence` summarise the replications.

enum class WeightScope { kPerYear, kPooled };
const char* to_string(WeightScope s);                        ///< "per_year" | "pooled"
WeightScope weight_scope_from_string(const std::string& s);  ///< throws revest::Error

struct EntropyTopsisOptions {
  /// kPerYear (default): entropy weights computed separately for each period; kPooled: one set of
  /// weights from all unit-periods.
  WeightScope weight_scope = WeightScope::kPerYear;
  /// Level of the percentile intervals, in (0, 1). Default 0.95.
  double confidence = 0.95;
  /// Translation added to the standardised values before the entropy proportions are formed,
  /// >= 0. Default 0.0 (the plain method; 0 ln 0 = 0).
  double shift = 0.0;
  /// Throws revest::Error naming the field that is out of range.
  void validate() const;
  bool operator==(const EntropyTopsisOptions&) const = default;
};

/// The data of the index: N units x T periods x K indicators.
struct IndexData {
  Eigen::MatrixXd raw;         ///< N*T x K, row i*T + t = unit i in period t; finite values
  std::size_t units = 0;       ///< N >= 1
  std::size_t periods = 0;     ///< T >= 1
  std::vector<int> direction;  ///< +1 (benefit) or -1 (cost) per column
  /// Optional names for messages: of the columns ("indicator 'NAME'") and of the periods
  /// ("year Y"); empty: "indicator column j", "year index t".
  std::vector<std::string> indicators;
  std::vector<int> years;
};

/// One evaluation of the index (full sample or one bootstrap resample).
struct EntropyIndexResult {
  /// kOk; or kNumericalFailure when the (resampled) data are degenerate (an indicator constant
  /// over the sampled units, undefined weights or closeness): the message says which, and the
  /// matrices are empty.
  Status status;
  Eigen::MatrixXd weights;  ///< T x K entropy weights (rows equal when weight_scope = kPooled)
  Eigen::MatrixXd scores;   ///< T x N TOPSIS closeness of every unit, in [0, 1]
  Eigen::MatrixXd ranks;    ///< T x N rank within the period, 1 = best
  EntropyTopsisOptions options;
  /// One paragraph: units, periods, indicators, the weighting, the weights of the last period,
  /// the mean score and the best unit of the last period, the status.
  std::string brief_report() const;
};

/// The index (steps 1-5 above) of `data`. Degenerate data are a status, not an error. Throws
/// revest::Error on inconsistent sizes, non-finite values or invalid options.
EntropyIndexResult entropy_topsis(const IndexData& data, const EntropyTopsisOptions& options);
/// The same with the bounds and the weights computed from the units `sample` (with repetition,
/// indices < N, not empty); scores and ranks are produced for all N units, standardised with those
/// bounds and clipped to [0, 1].
EntropyIndexResult entropy_topsis(const IndexData& data, const EntropyTopsisOptions& options,
                                  const std::vector<std::size_t>& sample);

/// One bootstrap replication (the task a job farms out): N units drawn with replacement from
/// `rng` (boost::random::uniform_int_distribution over 0..N-1), then entropy_topsis on that
/// sample.
EntropyIndexResult entropy_topsis_replication(const IndexData& data,
                                              const EntropyTopsisOptions& options, Rng& rng);

/// The point estimate and B replications, replication r drawn from key.stream(r) (the stream the
/// job gives task r of an analysis keyed the same, so the summaries are the job's), summarised per
/// column: weights column t*K + k, scores and ranks column t*N + i. Memory: B x T x (K + 2N)
/// doubles.
struct EntropyIndexBootstrap {
  /// kOk; kNumericalFailure when the point estimate is degenerate (no replication is run) or no
  /// replication succeeded.
  Status status;
  EntropyIndexResult point;
  std::vector<Status> replications;  ///< status of each replication
  std::size_t failed = 0;            ///< replications with a degenerate resample
  ReplicationColumnSummary weights, scores, ranks;
  /// One paragraph: the point estimate's report, the replications and the mean interval widths.
  std::string brief_report() const;
};
EntropyIndexBootstrap bootstrap(const IndexData& data, const EntropyTopsisOptions& options,
                                const RngKey& key, std::size_t replications);

}  // namespace revest::index
