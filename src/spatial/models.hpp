#pragma once
/// \file models.hpp
/// \brief Cross-section spatial regressions by maximum likelihood: OLS (with the LM tests), SLX,
/// SAR, SEM, SDM, SDEM and SAC, with asymptotic standard errors and LeSage-Pace impacts.
///
/// Models (W row-standardised or not; X holds the constant, if any, in its first column):
///   OLS   y = X b + e                    SLX   y = X b + W X t + e
///   SAR   y = rho W y + X b + e          SDM   y = rho W y + X b + W X t + e
///   SEM   y = X b + u, u = lambda W u + e
///   SDEM  y = X b + W X t + u, u = lambda W u + e
///   SAC   y = rho W y + X b + u, u = lambda W u + e           (e ~ N(0, sigma^2 I))
/// The Durbin terms W X leave out the constant (column 0 when `constant`; another constant
/// column makes the design collinear, reported as a numerical failure naming it). SAR/SDM/SEM/SDEM maximise the likelihood
/// concentrated in rho or lambda (Anselin 1988, ch. 6) with Brent's method
/// (boost::math::tools::brent_find_minima) on the interval where I - rho W is non-singular. SAC
/// maximises the likelihood concentrated in (rho, lambda), which can have several local maxima:
/// a grid over the admissible square (ModelOptions::sac_grid), then nested Brent searches from
/// each of the grid's local maxima; the best is reported, with how many distinct local maxima
/// there were (FitResult::local_maxima) and how far below the second one lies.
///
/// Standard errors: `expected` is the inverse of Anselin's (1988) information matrix, which
/// needs the dense n x n matrix W (I - rho W)^-1 (used up to ModelOptions::dense_max_n units, and
/// what R spatialreg reports with method = "eigen"); `observed` is the inverse of the analytic
/// Hessian of the full log-likelihood, which needs only tr(B) and tr(B^2) (for SAC, a central-
/// difference Hessian of the analytic log-likelihood). The LR test is against OLS on the same
/// design (SDM and SDEM: against SLX); Wald is (rho / se)^2 (SEM family: lambda).
///
/// Impacts (LeSage and Pace 2009, ch. 2.7): direct = average diagonal and total = average row
/// sum of S_k = (I - rho W)^-1 (b_k I + t_k W); from the eigenvalues when the log-determinant
/// has them; otherwise the point estimates use tr(W (I - rho W)^-1), the log-determinant's
/// derivative (exact up to its central difference), and the simulated draws the series
/// sum_j rho^j tr(W^j) / n truncated at `trace_order` with Monte Carlo traces.
/// Their distribution is simulated from N(theta_hat, V_hat) (`impact_draws` draws, percentile
/// intervals), the draws keyed by the caller's Rng.
///
/// Use: `spatial::FitResult f = spatial::fit(y, X, W, spatial::Model::sdm, options);` builds the
/// log-determinant and fits; fit_model takes a LogDet built once per weights matrix (a job fits
/// many models with one W) and the coefficient names. A fit that ran but gave no usable estimates
/// (collinear design, no interior maximum, singular information) says so in FitResult::status;
/// bad input (sizes, non-finite data, bad options) throws revest::Error. The job analysis
/// `spatial_models` (analyses/spatial_models.hpp) fits a grid of these, one runtime task each.
///
/// \test tests/spatial/models_test.cpp: Columbus (Anselin 1988) against the 74 documented ML
/// estimates to their printed precision; spatial::fit and its status and report on Columbus; recovery of known parameters on simulated data;
/// observed against expected information; LM tests; bad input; SAC on two bimodal likelihoods
/// (simulated, and the bundled data of issue 16) against a brute-force grid.
#include <Eigen/Dense>
#include <limits>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "core/status.hpp"
#include "spatial/logdet.hpp"
#include "spatial/weights.hpp"

namespace revest::spatial {

/// The models above. The lower-case names are aliases (spatial::Model::sdm is Model::kSdm), so
/// that a call reads like the model's name.
enum class Model {
  kOls,
  kSlx,
  kSar,
  kSem,
  kSdm,
  kSdem,
  kSac,
  ols = kOls,
  slx = kSlx,
  sar = kSar,
  sem = kSem,
  sdm = kSdm,
  sdem = kSdem,
  sac = kSac
};
const char* to_string(Model m);  ///< "ols", "slx", "sar", ...
Model model_from_string(const std::string& s);
bool has_rho(Model m);
bool has_lambda(Model m);
bool is_durbin(Model m);

/// The information matrix of the standard errors (file comment).
enum class Information { kAuto, kExpected, kObserved };
const char* to_string(Information i);  ///< "auto", "expected", "observed"
Information information_from_string(const std::string& s);

struct ModelOptions {
  /// kAuto (default): kExpected up to dense_max_n units, kObserved above.
  Information information = Information::kAuto;
  /// Largest n for dense n x n work (expected information). Default 2000.
  std::size_t dense_max_n = 2000;
  /// Draws of the simulated impact distribution (0 = point estimates only). Default 1000.
  int impact_draws = 1000;
  /// Level of the simulated impact intervals. Default 0.95.
  double confidence = 0.95;
  /// Least series length of the simulated impacts when there are no eigenvalues (or W is not
  /// row-standardised): more terms are taken when |rho| lambda_max is close to 1, so that the
  /// tail is below 1e-10 (at most 5,000). Default 100.
  int trace_order = 100;
  /// SAC: points per axis of the grid of the concentrated log-likelihood over the admissible
  /// square (lo, hi)^2 whose local maxima are refined (models.cpp, fit_sac). The spacing is
  /// (hi - lo) / (sac_grid + 1), about 0.065 for a row-standardised W with lo = -1.7: modes
  /// closer than a few spacings may be seen as one. In [5, 1001]. Default 41.
  int sac_grid = 41;
  /// The log-determinant fit() builds (LogDetOptions: method kAuto, eigenvalues up to 2000 units,
  /// sparse above). fit_model and fit_panel_model take a LogDet built by the caller instead.
  LogDetOptions logdet;

  /// Throws revest::Error naming the field that is out of range.
  void validate() const;
  bool operator==(const ModelOptions&) const = default;
};

/// LM tests on OLS residuals (Anselin 1988; Anselin, Bera, Florax and Yoon 1996).
struct LmTests {
  double lm_error = 0, lm_lag = 0, rlm_error = 0, rlm_lag = 0, sarma = 0;
  double p_error = 0, p_lag = 0, p_rerror = 0, p_rlag = 0, p_sarma = 0;
};

struct Impacts {
  std::vector<std::string> names;  ///< regressors (no constant)
  Eigen::VectorXd direct, indirect, total;
  /// Simulated: sd, lower and upper percentile bounds; columns direct, indirect, total.
  Eigen::MatrixXd sd, lower, upper;
  int draws = 0;
};

/// One fitted model.
struct FitResult {
  Model model = Model::kOls;
  /// kOk, or kNumericalFailure with the reason ("sar: the design matrix is rank deficient
  /// (collinear: x)", "sem: lambda at the boundary of its interval (no interior maximum)", "the
  /// information matrix is not positive definite", ...): the estimates are then not usable.
  Status status;
  std::size_t n = 0;
  std::vector<std::string> names;  ///< coefficients: X columns, then lag.<name> for Durbin terms
  Eigen::VectorXd coef, se;
  double rho = std::numeric_limits<double>::quiet_NaN(), rho_se = rho;
  double lambda = rho, lambda_se = rho;
  /// sigma^2 by maximum likelihood, SSE / n, for every model (OLS and SLX included): the value
  /// at which loglik is evaluated. n counts effective observations (panels: net of the fixed
  /// effects, Lee and Yu 2010).
  double sigma2_ml = 0;
  /// OLS and SLX: SSE / (n - k) with k coefficients, unbiased, what their standard errors use.
  /// NaN for the ML models (SAR, SEM, SDM, SDEM, SAC), whose standard errors use sigma2_ml.
  double sigma2_unbiased = rho;
  double loglik = 0, aic = 0;
  std::size_t parameters = 0;  ///< coefficients + spatial parameters + sigma^2
  double loglik_ols = 0;       ///< OLS on the same design (LR reference)
  double lr = rho, lr_p = rho, wald = rho, wald_p = rho;
  double lm_residual = rho, lm_residual_p = rho;  ///< SAR/SDM: LM test of residual autocorrelation
  /// SAC: distinct local maxima of the log-likelihood concentrated in (rho, lambda) found by the
  /// grid search (ModelOptions::sac_grid): 1 = one mode, 2 or more = multimodal (rho, lambda and
  /// loglik are the global maximum's). Maxima within 1e-3 of each other in both rho and lambda
  /// count as one. 0 for the other models (not searched).
  int local_maxima = 0;
  /// SAC with local_maxima >= 2: loglik minus the second-highest local maximum (> 0), and where
  /// that maximum lies. NaN otherwise.
  double second_mode_gap = rho, second_mode_rho = rho, second_mode_lambda = rho;
  LmTests lm;  ///< OLS only
  std::string logdet_method, information;
  Eigen::MatrixXd vcov;  ///< of (coef, rho and/or lambda)
  Eigen::VectorXd residuals;
  Impacts impacts;
  /// One paragraph: the model and data, rho / lambda and every coefficient with its standard
  /// error, sigma^2, log-likelihood, AIC, the LR test against OLS (or SLX), the total impacts and
  /// the status.
  std::string brief_report() const;
};

/// Fits `model` of y on X with weights W. Column 0 of X is the constant when it is all ones (named
/// "(Intercept)"; left out of the Durbin lags and the impacts); the other columns are named x1,
/// x2, ... by their index in X. The log-determinant is built with options.logdet. Impacts are
/// simulated (options.impact_draws) only with a random stream `rng`; without one, the point
/// impacts alone. Throws revest::Error on inconsistent sizes, non-finite data or bad options; a
/// numerical failure is in the result's status.
FitResult fit(const Eigen::VectorXd& y, const Eigen::MatrixXd& X, const Weights& W, Model model,
              const ModelOptions& options = {}, Rng* rng = nullptr);

/// Fits `model` with a log-determinant built by the caller (one per weights matrix, shared by
/// many fits; the task function of the job's spatial_models). `names` names the columns of X;
/// `constant` says whether column 0 is the constant (left out of Durbin lags and impacts).
/// Throws revest::Error on inconsistent sizes or non-finite data; a numerical failure (collinear
/// design, no interior optimum, singular information matrix) is in the result's status.
FitResult fit_model(Model model, const Eigen::VectorXd& y, const Eigen::MatrixXd& X,
                    const std::vector<std::string>& names, bool constant, const Weights& w,
                    const LogDet& logdet, const ModelOptions& opt, Rng* rng);

/// Fixed effects of a spatial panel.
enum class Effects { kNone, kUnit, kTime, kTwoWay };
const char* to_string(Effects e);  ///< "none", "unit", "time", "twoway"
Effects effects_from_string(const std::string& s);

/// Spatial panel models with fixed effects (Elhorst 2014, ch. 3): y and X hold N = w.size() units
/// x T periods stacked period by period (row t N + i), W acts within each period. The effects are
/// removed by demeaning; the likelihood is that of the demeaned model. With `bias_correction`
/// (Lee and Yu 2010, the transformation approach; the default in job files) the log-determinant
/// counts T - 1 periods with unit effects and drops the unit eigenvalue of a row-standardised W
/// with time effects, and sigma^2 is estimated over (N - 1 if time) x (T - 1 if unit)
/// observations: consistent for fixed T, where the direct approach's sigma^2 (and, with time
/// effects, rho) is biased. Standard errors: observed information. Impacts as for a cross-section.
FitResult fit_panel_model(Model model, const Eigen::VectorXd& y, const Eigen::MatrixXd& X,
                          const std::vector<std::string>& names, bool constant, std::size_t T,
                          Effects effects, bool bias_correction, const Weights& w,
                          const LogDet& logdet, const ModelOptions& opt, Rng* rng);

}  // namespace revest::spatial
