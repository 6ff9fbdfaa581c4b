#pragma once
/// \file simar_wilson.hpp
/// \brief Simar and Wilson (2007, "Estimation and inference in two-stage, semi-parametric models
/// of production processes", Journal of Econometrics 136(1):31-64) Algorithms 1 and 2: the
/// parametric bootstrap of the truncated regression of DEA efficiency on environmental variables
/// (Algorithm 1), and the double bootstrap with bias-corrected scores (Algorithm 2).
///
/// Input orientation, delta_i = 1 / theta_i >= 1 (the Farrell input measure's reciprocal, as in
/// dea::three_stage), environment Z (n x p; a constant is added).
///  1. theta_i by DEA of (x, y) (returns to scale as given), delta_i = 1 / theta_i.
///  2. Truncated-normal ML (dea::fit_truncated_regression, truncation at 1) of delta_i on (1, z_i)
///     over the units with delta_i > 1 + efficient_tolerance: b, s.
///  3. L1 replications (bias correction): for every unit, delta*_i = z_i b + e_i with e_i ~ N(0,
///     s^2) left-truncated at 1 - z_i b (dea::draw_sw2007_delta); pseudo-inputs x*_i = x_i
///     delta*_i / delta_i (the unit projected onto the estimated frontier, then made inefficient
///     by delta*_i), outputs unchanged; every observed unit (x_i, y_i) evaluated against the
///     pseudo-sample (x*, y): delta^*_ib = 1 / theta^*_ib (dea::RadialSolver, with Clp as the
///     fallback).
///  4. Bias-corrected scores delta^^_i = 2 delta_i - mean_b delta^*_ib.
///  5. Truncated regression of delta^^_i on (1, z_i) over the units with delta^^_i > 1: b^^, s^^.
///  6. L2 replications: delta**_i = z_i b^^ + e_i (e_i left-truncated at 1 - z_i b^^) for the
///     units of step 5, and the truncated regression of delta** on z: (b**, s**).
///  7. Percentile intervals of (b^^, s^^) from the L2 replications.
/// Replication b of step 3 draws from streams.for_replication(b, 1), of step 6 from
/// streams.for_replication(b, 2): a job splits both loops into tasks (l1_replication,
/// l2_replication) and gets what sw_algorithm2 gets.
///
/// Algorithm 1 is steps 1, 2, 6 and 7 without the bias correction: the L2 replications draw
/// delta* from the first fit (b, s) for the units of step 2 and re-fit (alg1_replication, from
/// streams.for_replication(b, 3)); sw_algorithm1_summary gives the percentile intervals.
///
/// Several frontiers (`frontier`, a group per unit, e.g. the year of a pooled panel of yearly
/// DEAs): every unit is evaluated against the units of its own group only, in step 1 and in the
/// pseudo-samples of step 3; the regressions (steps 2, 5, 6) pool all groups.
///
/// \test tests/factors/simar_wilson_test.cpp: the steps against direct computations (the pseudo-
/// sample's DEA by Clp, the bias correction), the job split, and coverage in a small Monte Carlo
/// of the paper's design (the full design is a benchmark).
#include <Eigen/Dense>
#include <vector>

#include "core/rng.hpp"
#include "core/status.hpp"
#include "dea/dea.hpp"
#include "dea/three_stage.hpp"

namespace revest::factors {

struct SwAlgorithm2Options {
  dea::Returns returns = dea::Returns::kVrs;  ///< DEA returns to scale. Default VRS.
  std::size_t l1 = 100;                       ///< bias-correction replications. Default 100.
  std::size_t l2 = 2000;                      ///< regression replications. Default 2,000.
  double confidence = 0.95;                   ///< percentile interval level. Default 0.95.
  double efficient_tolerance = 1e-9;          ///< delta <= 1 + this: efficient (not regressed)
  void validate() const;
};

/// The state of Algorithms 1 and 2 between their steps.
class SwAlgorithm2 {
 public:
  /// Steps 1 and 2. `frontier`: empty (one frontier) or a group id >= 0 per unit (each group's
  /// DEA separately; every group needs at least 2 units). Throws revest::Error on bad data
  /// (dea::check_dea_data; Z sizes; non-finite Z; bad groups). A failed first truncated regression
  /// is reported by first_fit().status.
  SwAlgorithm2(Eigen::MatrixXd x, Eigen::MatrixXd y, const Eigen::MatrixXd& z,
               SwAlgorithm2Options o, std::vector<int> frontier = {});
  const Eigen::VectorXd& delta() const { return delta_; }
  const dea::TruncatedRegression& first_fit() const { return first_; }
  /// Step 3, replication b: delta^*_ib for every unit (NaN where a DEA failed).
  Eigen::VectorXd l1_replication(std::size_t b, const Rng& streams) const;
  /// Steps 4 and 5 from the L1 replications (L1 x n; rows with NaN entries skip those units).
  void bias_correct(const Eigen::MatrixXd& l1_draws);
  const Eigen::VectorXd& delta_bias_corrected() const { return delta_bc_; }
  const dea::TruncatedRegression& fit() const { return second_; }
  /// Step 6, replication b: (b**, s**) (p + 2 values; NaN when the regression failed).
  Eigen::VectorXd l2_replication(std::size_t b, const Rng& streams) const;
  /// Algorithm 1, replication b: delta* from the first fit for the units of step 2 (those with
  /// delta > 1 + efficient_tolerance), re-fitted: (b*, s*) (p + 2 values; NaN on failure).
  Eigen::VectorXd alg1_replication(std::size_t b, const Rng& streams) const;
  /// Units of the first regression (delta > 1 + efficient_tolerance) and of the second
  /// (bias-corrected delta > 1; empty before bias_correct).
  const std::vector<int>& first_units() const { return first_used_; }
  const std::vector<int>& second_units() const { return used_; }
  std::size_t units() const { return static_cast<std::size_t>(x_.rows()); }
  /// Constant, environment variables, sigma.
  std::size_t parameters() const { return static_cast<std::size_t>(z_.cols() + 1); }
  const SwAlgorithm2Options& options() const { return o_; }

 private:
  Eigen::MatrixXd x_, y_, z_;  // z_ with the constant
  SwAlgorithm2Options o_;
  std::vector<std::vector<int>> groups_;  // the units of each frontier
  Eigen::VectorXd delta_, delta_bc_;
  dea::TruncatedRegression first_, second_;
  std::vector<int> first_used_, used_;  // units of the first and the second regression
};

struct SwAlgorithm2Result {
  Status status;
  Eigen::VectorXd delta, delta_bias_corrected;  ///< n
  dea::TruncatedRegression fit;                 ///< b^^, s^^ (step 5)
  /// Per parameter (constant, z..., sigma): bootstrap mean, sd and percentile interval.
  Eigen::VectorXd boot_mean, boot_sd, lower, upper;
  std::size_t l2_used = 0;
};
/// Steps 6-7 from the L2 replications (L2 x (p + 2); rows with NaN are left out).
SwAlgorithm2Result sw_algorithm2_summary(const SwAlgorithm2& state, const Eigen::MatrixXd& l2);
/// Algorithm 1's intervals from its replications (alg1_replication rows): `fit` is the first fit,
/// delta_bias_corrected is empty.
SwAlgorithm2Result sw_algorithm1_summary(const SwAlgorithm2& state, const Eigen::MatrixXd& draws);
/// Everything in one call, replications from `key` as the header says.
SwAlgorithm2Result sw_algorithm2(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                                 const Eigen::MatrixXd& z, const SwAlgorithm2Options& options,
                                 const RngKey& key);
/// Algorithm 1 in one call: steps 1, 2 and options.l2 replications from `key`.
SwAlgorithm2Result sw_algorithm1(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                                 const Eigen::MatrixXd& z, const SwAlgorithm2Options& options,
                                 const RngKey& key);

}  // namespace revest::factors
