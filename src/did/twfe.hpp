#pragma once
/// \file twfe.hpp
/// \brief Two-way fixed-effects (TWFE) difference-in-differences and its event study, with
/// cluster-robust (CRV1) standard errors.
///
/// y_it = a_i + l_t + beta D_it + x_it'gamma + e_it, D_it = 1{unit i treated by period t}
/// (first treatment g_i != 0, t >= g_i), on every observed unit-period (unbalanced panels
/// allowed). The event study replaces D_it by dummies of event time e = t - g_i for e = -leads ..
/// lags, e != -1 (the reference period), the end points binned (e < -leads counts as -leads,
/// e > lags as lags; R fixest's and Stata eventdd's convention); never-treated units have none.
/// Fixed effects are removed by the within transformation, computed by alternating projections
/// (demeaning by unit, then by period, until no value moves by more than 1e-13 of the largest:
/// exact in one sweep for a balanced panel; Guimaraes and Portugal 2010), so the coefficients are
/// those of the dummy-variable regression (Frisch-Waugh-Lovell).
/// CRV1: V = m (X'X)^-1 (sum_g X_g'u_g u_g'X_g) (X'X)^-1 on the transformed data, m = G / (G - 1)
/// (N - 1) / (N - K), K = regressors + T - 1 (the period effects less the one redundant with the
/// unit effects; unit effects are nested in clusters of units and not counted: Stata reghdfe's
/// convention; R fixest counts all T period effects, so its s.e. is revest's times
/// sqrt((N - K) / (N - K - 1)), shown on mpdta in the test); p-values from t(G - 1). The wild cluster bootstrap of any coefficient is did::WildProblem on the same
/// transformed data (twfe_design gives it).
///
/// TWFE is biased when effects differ across cohorts or grow with time since adoption (Goodman-
/// Bacon 2021): callaway_santanna.hpp is the heterogeneity-robust alternative.
///
/// \test tests/did/twfe_test.cpp: coefficients against the dummy-variable regression, CRV1
/// against the sandwich on it, the event study's binning, unbalanced panels; Sun-Abraham equal to
/// Callaway-Sant'Anna with the universal base period on a balanced panel (saturated regression),
/// and the last-treated cohort as control.
#include <Eigen/Dense>
#include <Eigen/Sparse>
#include <functional>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "did/callaway_santanna.hpp"

namespace revest::did {

struct TwfeOptions {
  /// Event-study window: e = -leads .. lags (e = -1 the reference). Defaults 4 and 4.
  int leads = 4, lags = 4;
  /// Throws revest::Error naming the field that is out of range.
  void validate() const;
  bool operator==(const TwfeOptions&) const = default;
};

/// The transformed regression: rows are the observed unit-periods.
struct TwfeDesign {
  Eigen::MatrixXd X;               ///< within-transformed regressors
  Eigen::VectorXd y;               ///< within-transformed outcome
  std::vector<int> cluster;        ///< cluster of each row
  std::vector<std::string> terms;  ///< column names
  std::vector<int> event_time;     ///< per column: e (event study), or a large sentinel
  std::size_t absorbed = 0;        ///< T - 1 (for the CRV1 factor)
  int sweeps = 0;                  ///< alternating-projection sweeps used
};

/// Regressor values of observation (unit i, period index t) before the transformation: `row` is
/// zero on entry (one entry per term).
using RegressorFill =
    std::function<void(Eigen::Index i, Eigen::Index t, Eigen::Ref<Eigen::RowVectorXd> row)>;
/// Which unit-periods enter the regression (empty: every observed one).
using ObservationFilter = std::function<bool(Eigen::Index i, Eigen::Index t)>;
/// The within-transformed design of any regressors `fill` defines (terms and their event times),
/// plus covariates, on the observed unit-periods that `keep` accepts.
TwfeDesign within_design(const StaggeredPanel& panel,
                         const std::vector<Eigen::MatrixXd>& covariates,
                         const std::vector<int>& cluster, const std::vector<std::string>& terms,
                         const std::vector<int>& event_time, const RegressorFill& fill,
                         const ObservationFilter& keep = {});

/// `event_study`: dummies of e instead of D, for the event times of the window that occur in the
/// data (an event time no observed unit-period has is left out, as R fixest does). `covariates`:
/// N x T matrices. `cluster`: a cluster id per unit in [0, G) (empty: each unit its own cluster).
/// Throws revest::Error on bad data.
TwfeDesign twfe_design(const StaggeredPanel& panel, bool event_study,
                       const std::vector<Eigen::MatrixXd>& covariates,
                       const std::vector<int>& cluster, const TwfeOptions& options = {});

struct TwfeCoefficient {
  std::string term;
  int event_time = 0;  ///< e for event-study terms, 0 otherwise
  double estimate = 0, se = 0, t = 0, p = 0;
};

struct TwfeResult {
  Status status;
  std::vector<TwfeCoefficient> coefficients;  ///< D (or the event times), then covariates
  Eigen::MatrixXd vcov;                       ///< CRV1 covariance of the coefficients
  std::size_t observations = 0, clusters = 0;
  int sweeps = 0;
  std::string brief_report() const;
};

/// OLS with CRV1 standard errors on a design (twfe_design).
TwfeResult fit_twfe(const TwfeDesign& d);

/// Difference-in-differences with spatial spillovers (Butts 2021, "Difference-in-differences
/// estimation with spatial spillovers", arXiv:2105.03737; Delgado and Florax 2015): exposure
/// S_it = (W D_t)_i, the weighted share of a unit's neighbours treated in period t (W row-
/// standardised: S in [0, 1]), enters the TWFE regression beside the direct treatment:
///   y_it = a_i + l_t + b_D D_it + b_S (1 - D_it) S_it + b_DS D_it S_it + x_it'g + e_it,
/// so the direct effect (treated and unexposed against untreated and unexposed) is b_D, the
/// spillover on untreated units at full exposure b_S, and the change of the direct effect with
/// exposure b_DS; the direct effect at the treated units' mean exposure is b_D + b_DS mean(S | D)
/// (reported with its CRV1 standard error). Omitting S biases TWFE when untreated neighbours of
/// treated units are in the control group. W: N x N (rows: units), the spatial family's matrix.
struct SpilloverResult {
  TwfeResult fit;  ///< terms: direct, spillover_untreated, direct_x_exposure, covariates
  double direct_at_mean_exposure = 0, direct_at_mean_exposure_se = 0;
  double mean_exposure_treated = 0;
  TwfeDesign design;  ///< the transformed regression (for the wild cluster bootstrap)
};
SpilloverResult spillover_did(const StaggeredPanel& panel, const Eigen::SparseMatrix<double>& W,
                              const std::vector<Eigen::MatrixXd>& covariates = {},
                              const std::vector<int>& cluster = {});

/// Sun and Abraham (2021, "Estimating dynamic treatment effects in event studies with
/// heterogeneous treatment effects", Journal of Econometrics 225(2):175-199): the interacted
/// regression y = unit + period effects + sum_{g, e != -1} delta_ge 1{G = g} 1{t - g = e}, every
/// cohort and relative period of the data (no binning), with the never-treated units as the
/// control cohort; without never-treated units, the last-treated cohort is the control and the
/// periods from its first treatment on are dropped (as Sun and Abraham's eventstudyinteract).
/// Units treated in the first period are left out. Interaction-weighted estimate of event time e:
/// nu_e = sum_g w_ge delta_ge, w_ge the cohort's share of the estimation sample's observations at
/// e; its standard error sqrt(w' V w) from the CRV1 covariance with the weights taken as fixed
/// (R fixest's sunab aggregation).
struct SunAbrahamResult {
  Status status;
  TwfeResult interacted;                 ///< the delta_ge (terms "cohort G, event_time E")
  std::vector<int> cohort_of, event_of;  ///< per interacted coefficient
  std::vector<int> event_time;           ///< e of each IW estimate, ascending
  std::vector<double> estimate, se;      ///< nu_e and its standard error
  int control_cohort = 0;                ///< 0: never treated; else the last-treated cohort
  /// Interacted coefficients x event times: column j holds the weights w_ge of event_time[j],
  /// so estimate[j] = weights.col(j)' delta (a restriction for the wild cluster bootstrap).
  Eigen::MatrixXd weights;
  TwfeDesign design;  ///< the transformed regression of the interactions
};
SunAbrahamResult sun_abraham(const StaggeredPanel& panel, const std::vector<int>& cluster = {});

}  // namespace revest::did
