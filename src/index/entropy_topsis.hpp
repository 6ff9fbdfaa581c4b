#pragma once
/// \file entropy_topsis.hpp
/// \brief Numeric core of the entropy-weight TOPSIS evaluation index: min-max standardisation,
/// Shannon entropy weights and TOPSIS relative closeness.
///
/// Pure functions on dense matrices (rows = alternatives, e.g. county-years; columns = criteria,
/// i.e. indicators). They check their arguments with REVEST_REQUIRE (revest::Error) but know
/// nothing about panels, options or replications; entropy_index.hpp builds the analysis on them.
///
/// References:
/// - Entropy weights: Shannon, C. E. (1948), A mathematical theory of communication, Bell System
///   Technical Journal 27; the entropy weight method as presented in Hwang & Yoon (1981, below)
///   and Zeleny, M. (1982), Multiple Criteria Decision Making, McGraw-Hill.
/// - TOPSIS: Hwang, C.-L. & Yoon, K. (1981), Multiple Attribute Decision Making: Methods and
///   Applications, Springer, Lecture Notes in Economics and Mathematical Systems 186.
///
/// \test tests/index/entropy_topsis_test.cpp reproduces the published test vectors of
/// tests/index/data/index_methods.md (Python package `mcdm`) and checks the invariances.
#include <Eigen/Dense>
#include <vector>

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

}  // namespace revest::index
