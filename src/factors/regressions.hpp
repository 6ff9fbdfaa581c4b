#pragma once
/// \file regressions.hpp
/// \brief Regressions of efficiency scores on their influencing factors: the two-limit Tobit
/// (censored at 1, or at 0 and 1), the fractional response quasi-likelihood (Papke and Wooldridge
/// 1996, logit or probit link) and OLS, with conventional, robust and cluster-robust standard
/// errors and average partial effects. (The Simar-Wilson (2007) truncated regression is
/// dea::fit_truncated_regression, Algorithm 1 inside dea::three_stage.)
///
/// Data: scores y (n), regressors X (n x k, the caller includes the constant), optional cluster
/// ids (n, in [0, G)). Every estimator is a function of (y, X, options) to a result with the
/// common status.
///  - Tobit: y* = X b + e, e ~ N(0, s^2), y = min(max(y*, L), U) with L = -inf or 0 (`censoring`
///    kUpper: censored at U = 1; kBoth: at 0 and 1). An observation counts as censored when it is
///    within `censor_tolerance` (default 1e-9) of a limit: DEA scores of 1 computed in floating
///    point are censored, never "> 0.0"-classified. ML by optim::minimize on (b, log s) with the
///    analytic gradient; standard errors from the inverse of the Hessian (central differences of
///    the analytic gradient); the robust ones from the sandwich with the per-observation scores
///    (summed within clusters when given). Partial effects: on the latent mean (b) and on E[y | x]
///    averaged over the sample: APE_j = b_j mean(Phi(u_i) - Phi(l_i)), u_i = (U - x_i b) / s, l_i =
///    (L - x_i b) / s (McDonald and Moffitt 1980), delta-method standard errors.
///  - Fractional: maximise sum y_i log G(x_i b) + (1 - y_i) log(1 - G(x_i b)) (Bernoulli quasi-
///    likelihood; y in [0, 1], no censoring needed), G the logistic or normal cdf; robust
///    (sandwich) standard errors, cluster-robust when clusters are given (the quasi-likelihood's
///    information-matrix standard errors are not valid: they are not reported). APE_j = b_j
///    mean(g(x_i b)) with delta-method standard errors.
///  - OLS with HC1 or (with clusters) CRV1 standard errors.
///
/// \test tests/factors/regressions_test.cpp: each estimator recovers known coefficients on
/// generated data; the Tobit and fractional log-likelihoods at the estimate are maxima (gradient
/// zero, every perturbation lowers them), computed independently from their definitions; the
/// average partial effects equal the numerical derivative of the sample-mean prediction; errors.
#include <Eigen/Dense>
#include <string>
#include <vector>

#include "core/status.hpp"

namespace revest::factors {

enum class Censoring { kUpper, kBoth };
const char* to_string(Censoring c);                     ///< "upper" | "both"
Censoring censoring_from_string(const std::string& s);  ///< throws revest::Error
enum class Link { kLogit, kProbit };
const char* to_string(Link l);                // "logit" | "probit"
Link link_from_string(const std::string& s);  ///< throws revest::Error

/// A coefficient (or partial effect) with its standard errors.
struct Coefficient {
  std::string term;
  double estimate = 0, se = 0, se_robust = 0;  ///< se: model-based (NaN where not valid)
};

struct RegressionResult {
  Status status;
  std::string model;  ///< "tobit", "fractional_logit", ...
  std::vector<Coefficient> coefficients;
  std::vector<Coefficient> partial_effects;  ///< average partial effects on E[y | x]
  double sigma = 0;                          ///< Tobit: s; OLS: residual s.d.; else NaN
  double log_likelihood = 0;                 ///< Tobit and fractional (quasi-); OLS: NaN
  std::size_t observations = 0, censored_lower = 0, censored_upper = 0, clusters = 0;
  std::string brief_report() const;
};

struct TobitOptions {
  Censoring censoring = Censoring::kUpper;  ///< default: censored at 1 only
  double censor_tolerance = 1e-9;           ///< within this of a limit counts as censored
  void validate() const;
  bool operator==(const TobitOptions&) const = default;
};

/// Throws revest::Error on bad data (sizes, non-finite values, scores outside the limits by
/// more than the tolerance, collinear X, no uncensored observation).
RegressionResult tobit(const Eigen::VectorXd& y, const Eigen::MatrixXd& X,
                       const std::vector<std::string>& names, const TobitOptions& options = {},
                       const std::vector<int>& cluster = {});
RegressionResult fractional(const Eigen::VectorXd& y, const Eigen::MatrixXd& X,
                            const std::vector<std::string>& names, Link link = Link::kLogit,
                            const std::vector<int>& cluster = {});
RegressionResult ols(const Eigen::VectorXd& y, const Eigen::MatrixXd& X,
                     const std::vector<std::string>& names, const std::vector<int>& cluster = {});

/// The Tobit log-likelihood at (b, s), computed from its definition (for tests and users who
/// profile it).
double tobit_loglik(const Eigen::VectorXd& y, const Eigen::MatrixXd& X, const Eigen::VectorXd& b,
                    double s, const TobitOptions& options = {});
/// The fractional quasi-log-likelihood at b.
double fractional_loglik(const Eigen::VectorXd& y, const Eigen::MatrixXd& X,
                         const Eigen::VectorXd& b, Link link);

}  // namespace revest::factors
