#pragma once
/// \file two_stage.hpp
/// \brief The two-stage (imputation) difference-in-differences estimator with spatial
/// spillovers: heterogeneity-robust direct effects ATT(g, t) and the spillover on untreated
/// neighbours, estimated jointly.
///
/// Stage 1 (Gardner 2021, "Two-stage differences in differences", arXiv:2207.05943; Borusyak,
/// Jaravel and Spiess 2024, "Revisiting event-study designs", Review of Economic Studies; with
/// the spillover term of Butts 2021, "Difference-in-differences estimation with spatial
/// spillovers", arXiv:2105.03737, section 4): on the untreated unit-periods (D_it = 0) only,
///   y_it = a_i + l_t + b_S S_it + x_it'g + e_it,   S_it = (W D_t)_i,
/// the exposure of unit i to treated units in period t (W row-standardised: the share of its
/// neighbours treated), by OLS with the unit effects absorbed (demeaning within each unit's
/// untreated periods) and explicit period dummies (the first period the reference).
/// Stage 2: the untreated outcome of a treated unit-period is imputed as a_i + l_t + x_it'g (no
/// spillover term: the direct effect is measured against "untreated and unexposed"), and
///   tau_it = y_it - a_i - l_t - x_it'g,
/// averaged into ATT(g, t) (cohort g, period t >= g), event-time effects (e = t - g >= 0, every
/// treated unit-period of that event time weighted equally) and the overall ATT (every treated
/// unit-period weighted equally). The spillover on an untreated unit at full exposure is b_S;
/// the average spillover on the exposed untreated unit-periods is b_S mean(S | D = 0, S > tol).
/// Heterogeneous effects across cohorts and event times do not bias the estimates (no treated
/// unit is ever a control), unlike TWFE and the TWFE spillover regression (twfe.hpp).
/// With `spillover` off it is the plain imputation estimator.
///
/// Every estimate is linear in y: theta_k = sum_it v_k,it y_it, with v = the target's weights on
/// treated unit-periods and, on untreated ones, -W_ik / n_i0 - x~_is' M^-1 q_k (M = X~'X~ of
/// stage 1, q_k the target's weighted sum of demeaned regressors). Influence function of unit
/// i: psi_ik = sum_t v_k,it e_it, with e the stage-1 residuals on untreated unit-periods and
/// tau_it - ATT(g, t) on treated ones (Borusyak, Jaravel and Spiess's conservative variance);
/// standard errors sqrt(sum_c (sum_{i in c} psi_ik)^2) over clusters c (units by default).
/// Units treated in every observed period have no untreated period and are left out (counted).
///
/// \test tests/did/two_stage_test.cpp: without spillovers equal to the dummy-variable
/// imputation by hand; recovers cohort- and time-varying effects and a spillover where TWFE and
/// the TWFE spillover regression are biased; influence functions against the linear weights
/// computed by finite differences; standard errors' coverage in a Monte Carlo.
#include <Eigen/Dense>
#include <Eigen/SparseCore>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "did/callaway_santanna.hpp"

namespace revest::did {

struct TwoStageOptions {
  /// Include the exposure S = W D in stage 1 (needs W). Default true.
  bool spillover = true;
  /// Exposure above this counts as exposed (for the average spillover). Default 1e-9.
  double exposure_tol = 1e-9;
  /// Throws revest::Error naming the field that is out of range.
  void validate() const;
};

struct TwoStageResult {
  Status status;
  std::vector<AttCell> cells;  ///< direct ATT(g, t), post-treatment cells (t >= g)
  /// Event-time effects e >= 0 (key: e) and the overall ATT (every treated unit-period).
  CsAggregate dynamic;
  /// b_S: the spillover on an untreated unit at full exposure, its standard error (NaN without
  /// spillover), and the average spillover on the exposed untreated unit-periods.
  double spillover = 0, spillover_se = 0;
  double average_spillover = 0, average_spillover_se = 0;
  double mean_exposure_untreated = 0;  ///< mean S over the exposed untreated unit-periods
  std::size_t exposed_untreated = 0;   ///< how many untreated unit-periods are exposed
  /// N x K influence functions (rows: units), columns in this order: cells, event times,
  /// overall, spillover, average spillover (the last two NaN without spillover).
  Eigen::MatrixXd influence;
  std::vector<std::string> columns;  ///< K names ("ATT(2016,2018)", "e=2", "overall", ...)
  std::size_t stage1_observations = 0, treated_observations = 0;
  std::size_t units_without_untreated_period = 0;  ///< left out
  TwoStageOptions options;
  std::string brief_report() const;
};

/// `W`: N x N spatial weights (row-standardised for shares; required when options.spillover).
/// `cluster`: a cluster id per unit in [0, G) (empty: every unit its own cluster) for the
/// standard errors. Throws revest::Error on bad data (sizes, no untreated unit-period in a
/// period, a singular stage-1 design, naming the cause).
TwoStageResult two_stage_did(const StaggeredPanel& panel, const Eigen::SparseMatrix<double>* W,
                             const TwoStageOptions& options = {},
                             const std::vector<int>& cluster = {});

}  // namespace revest::did
