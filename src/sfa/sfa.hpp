#pragma once
/// \file sfa.hpp
/// \brief Stochastic frontier analysis by maximum likelihood (Aigner-Lovell-Schmidt 1977;
/// Stevenson 1980; parameterisation of Battese & Corra 1977 / Coelli's FRONTIER 4.1).
///
/// Model, for unit i with regressors x_i (the caller includes the intercept column):
///   production frontier:  y_i = x_i'b + v_i - u_i
///   cost frontier:        y_i = x_i'b + v_i + u_i    (stage 2 of three-stage DEA: slacks)
/// v_i ~ N(0, sv2); u_i >= 0 half-normal |N(0, su2)| or, as an option, truncated normal N+(mu, su2).
/// Parameters reported as FRONTIER does: b, sigma2 = su2 + sv2, gamma = su2 / sigma2 in [0, 1],
/// and mu. The log-likelihood is maximised with analytic gradients by PETSc TAO (optim::minimize)
/// in (b, ln sigma2, logit gamma, mu) on internally rescaled data; starting values come from OLS
/// and FRONTIER's grid search over gamma (0.05, ..., 0.95). Standard errors: inverse of the
/// Hessian of the log-likelihood in (b, sigma2, gamma, mu), by central differences of the
/// analytic gradient.
///
/// Boundary policy (stated, reported, never silent):
///  - "Wrong" skewness of the OLS residuals (third moment >= 0 for production, <= 0 for cost, in
///    which case the ML estimate is OLS with gamma = 0: Waldman 1982), or an optimum with
///    gamma < 1e-6: status kGammaZero; b = OLS, sigma2 = SSR / n, gamma = 0, mu = 0, u = 0
///    for every unit (all deviation is noise); standard errors of b are the OLS ML ones and those
///    of gamma and mu are NaN.
///  - gamma > 1 - 1e-6: status kGammaOne; the estimates are kept (the deterministic-frontier
///    limit: v = 0, E[u|e] = the one-sided residual); standard errors are NaN when the Hessian is
///    not positive definite.
///
/// Unit estimates: JLMS E[u_i | e_i] (Jondrow, Lovell, Materov & Schmidt 1982), Battese-Coelli
/// (1988) E[exp(-u_i) | e_i], and the noise v_i = e_i +- E[u_i | e_i] that three-stage DEA
/// removes.
///
/// \test tests/sfa/sfa_test.cpp: Coelli's FRONTIER 4.1 example EG1 (tests/sfa/data/front41) to
/// its printed precision wherever the printed digits are determined by the data (the test says
/// which are not, and why), the same data as a cost frontier (sign flip), recovery of known
/// parameters on simulated data (half-normal and truncated normal), the wrong-skew boundary,
/// analytic vs numerical gradient, bad data.
#include <Eigen/Dense>
#include <string>
#include <vector>

#include "core/status.hpp"

namespace revest::sfa {

enum class Distribution { kHalfNormal, kTruncatedNormal };
enum class Frontier { kProduction, kCost };
const char* to_string(Distribution d);
const char* to_string(Frontier f);
Distribution distribution_from_string(
    const std::string& s);  ///< "half_normal" | "truncated_normal"

struct SfaOptions {
  /// Distribution of u. Default half-normal.
  Distribution distribution = Distribution::kHalfNormal;
  /// Sign of u. Default production (y = x'b + v - u).
  Frontier frontier = Frontier::kProduction;
  /// TAO gradient tolerance on the log-likelihood of the rescaled data. Default 1e-10.
  double gradient_tolerance = 1e-10;
  /// gamma below this (or above 1 minus this) is a boundary fit. Default 1e-6.
  double boundary = 1e-6;
};

/// Which boundary of gamma a fit reached (status kBoundary), see the file comment.
enum class Boundary {
  kNone = 0,
  kGammaZero = 1,  ///< gamma = 0: OLS, no inefficiency
  kGammaOne = 2,   ///< gamma = 1: no noise
};

struct SfaResult {
  /// kOk (interior optimum; message: the optimiser's reason), kBoundary (see `boundary`; the
  /// message explains), or kNoConvergence (the optimiser's last point is kept).
  Status status;
  Boundary boundary = Boundary::kNone;
  Eigen::VectorXd beta;  ///< coefficients, in the columns' order
  Eigen::VectorXd beta_se;
  double sigma2 = 0, sigma2_se = 0;
  double gamma = 0, gamma_se = 0;
  double mu = 0, mu_se = 0;  ///< 0 (and se NaN) for half-normal
  double loglik = 0;         ///< maximised log-likelihood
  double loglik_ols = 0;     ///< OLS (gamma = 0) log-likelihood
  /// The OLS step that FRONTIER prints first (and from which the grid search starts):
  /// coefficients, their classical standard errors sqrt(diag(s2 (X'X)^-1)) and s2 = SSR / (N - k).
  Eigen::VectorXd beta_ols, beta_ols_se;
  double sigma2_ols = 0;
  double lr_statistic = 0;  ///< 2 (loglik - loglik_ols), >= 0
  /// p-value of the one-sided LR test of no inefficiency (gamma = 0, and mu = 0 for the truncated
  /// normal): mixture 1/2 chi2(0) + 1/2 chi2(1) (half-normal) or 1/2 chi2(1) + 1/2 chi2(2)
  /// (Kodde & Palm 1986; Coelli 1995).
  double lr_pvalue = 1;
  int lr_df = 1;  ///< number of restrictions (1 or 2)
  int iterations = 0;
  Eigen::VectorXd residual;  ///< e_i = y_i - x_i'b
  Eigen::VectorXd u_mean;    ///< JLMS E[u_i | e_i] >= 0
  Eigen::VectorXd te;        ///< Battese-Coelli E[exp(-u_i) | e_i] in (0, 1]
  Eigen::VectorXd noise;     ///< v_i = e_i + E[u|e] (production) or e_i - E[u|e] (cost)
  double mean_te() const { return te.size() ? te.mean() : 0.0; }
  /// "converged", "boundary_gamma_0", "boundary_gamma_1" or "no_convergence" (as in archives).
  const char* status_name() const;
  /// One paragraph: the estimates, gamma, the LR test and the status.
  std::string brief_report() const;
};

/// Fits the model. `names` label the columns of X in error messages (optional). Throws
/// revest::Error on bad data: sizes, non-finite values, fewer units than parameters + 1, a
/// constant y, X without full column rank.
SfaResult fit_sfa(const Eigen::VectorXd& y, const Eigen::MatrixXd& X, const SfaOptions& options,
                  const std::vector<std::string>& names = {}, const std::string& context = "SFA");

/// Fills the unit estimates of `fit` (residual, JLMS u_mean, te, noise) for the units (y, X),
/// which need not be the units it was fitted on (e.g. three-stage DEA fits the slacks of the units
/// with positive slack and adjusts every unit).
void unit_estimates(SfaResult& fit, const Eigen::VectorXd& y, const Eigen::MatrixXd& X,
                    const SfaOptions& options);

/// Log-likelihood of the model in the FRONTIER parameters theta = (b, sigma2, gamma[, mu]) and
/// its gradient (grad sized like theta). For tests and for callers that need the surface.
double sfa_loglik(const Eigen::VectorXd& y, const Eigen::MatrixXd& X, const SfaOptions& options,
                  const Eigen::VectorXd& theta, Eigen::VectorXd* grad);

/// ln Phi(a) and phi(a) / Phi(a), accurate far into the lower tail.
double log_norm_cdf(double a);
double mills_ratio(double a);

}  // namespace revest::sfa
