#include "sfa/sfa.hpp"

#include <boost/math/distributions/chi_squared.hpp>
#include <cmath>
#include <limits>
#include <numbers>
#include <span>
#include <sstream>

#include "core/error.hpp"
#include "core/stats.hpp"
#include "optim/minimize.hpp"

namespace revest::sfa {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kLog2Pi = std::log(2.0 * std::numbers::pi);

// Production-form data: y_p = sgn y, X_p = sgn X, so that e_p = v - u for both frontiers.
double sign_of(Frontier f) { return f == Frontier::kProduction ? 1.0 : -1.0; }

struct Surface {
  const Eigen::VectorXd& y;  // production form
  const Eigen::MatrixXd& X;  // production form
  bool truncated;
  // Log-likelihood at theta = (b, S, gamma[, mu]) and its gradient (if grad != nullptr).
  double operator()(const Eigen::VectorXd& theta, Eigen::VectorXd* grad) const {
    const Eigen::Index k = X.cols();
    const Eigen::VectorXd b = theta.head(k);
    const double S = theta[k], g = theta[k + 1], mu = truncated ? theta[k + 2] : 0.0;
    if (!(S > 0.0) || !(g > 0.0 && g < 1.0)) {
      if (grad) grad->setZero(theta.size());
      return -std::numeric_limits<double>::infinity();
    }
    const double sigma = std::sqrt(S), sstar = std::sqrt(S * g * (1.0 - g));
    const double b0 = truncated ? mu / std::sqrt(S * g) : 0.0;
    const double lb0 = truncated ? log_norm_cdf(b0) : std::log(0.5);
    const double mb0 = truncated ? mills_ratio(b0) : 0.0;
    const Eigen::VectorXd e = y - X * b;
    const auto N = static_cast<double>(y.size());
    double ll = -0.5 * N * (kLog2Pi + std::log(S)) - N * lb0;
    Eigen::VectorXd db = Eigen::VectorXd::Zero(k);
    double dS = 0, dg = 0, dmu = 0;
    for (Eigen::Index i = 0; i < y.size(); ++i) {
      const double r = (e[i] + mu) / sigma;
      const double a = (mu * (1.0 - g) - g * e[i]) / sstar;
      ll += -0.5 * r * r + log_norm_cdf(a);
      if (grad) {
        const double ma = mills_ratio(a);
        db += (r / sigma + ma * g / sstar) * X.row(i).transpose();
        dS += (-1.0 + r * r - ma * a + mb0 * b0) / (2.0 * S);
        dg += ma * ((-mu - e[i]) / sstar - a * (1.0 - 2.0 * g) / (2.0 * g * (1.0 - g))) +
              mb0 * b0 / (2.0 * g);
        dmu += -r / sigma + ma * (1.0 - g) / sstar - mb0 / std::sqrt(S * g);
      }
    }
    if (grad) {
      grad->resize(theta.size());
      grad->head(k) = db;
      (*grad)[k] = dS;
      (*grad)[k + 1] = dg;
      if (truncated) (*grad)[k + 2] = dmu;
    }
    return ll;
  }
};

double logistic(double t) { return 1.0 / (1.0 + std::exp(-t)); }

// Sample standard deviation (n - 1) of a contiguous column.
double sample_sd(const Eigen::Ref<const Eigen::VectorXd>& v) {
  return stats::mean_sd(std::span<const double>(v.data(), static_cast<std::size_t>(v.size()))).sd;
}

// The optimiser works in phi = (b, ln S, logit gamma[, mu]), where S > 0 and 0 < gamma < 1 hold
// by construction; b has k entries.
Eigen::VectorXd theta_from_phi(const Eigen::VectorXd& phi, Eigen::Index k) {
  Eigen::VectorXd th = phi;
  th[k] = std::exp(phi[k]);
  th[k + 1] = logistic(phi[k + 1]);
  return th;
}
Eigen::VectorXd phi_from_theta(const Eigen::VectorXd& th, Eigen::Index k) {
  Eigen::VectorXd phi = th;
  phi[k] = std::log(th[k]);
  phi[k + 1] = std::log(th[k + 1] / (1.0 - th[k + 1]));
  return phi;
}
// -log-likelihood in phi and its gradient (chain rule); +inf outside the surface's domain.
optim::Objective negloglik_phi(const Surface& surface, Eigen::Index k) {
  return [surface, k](const Eigen::VectorXd& phi, Eigen::VectorXd& g) {
    const Eigen::VectorXd th = theta_from_phi(phi, k);
    Eigen::VectorXd gt;
    const double ll = surface(th, &gt);
    if (!std::isfinite(ll)) return std::numeric_limits<double>::infinity();
    g = -gt;
    g[k] *= th[k];
    g[k + 1] *= th[k + 1] * (1.0 - th[k + 1]);
    return -ll;
  };
}

}  // namespace

const char* to_string(Distribution d) {
  return d == Distribution::kHalfNormal ? "half_normal" : "truncated_normal";
}
const char* to_string(Frontier f) { return f == Frontier::kProduction ? "production" : "cost"; }
Distribution distribution_from_string(const std::string& s) {
  if (s == "half_normal") return Distribution::kHalfNormal;
  if (s == "truncated_normal") return Distribution::kTruncatedNormal;
  REVEST_FAIL("unknown SFA distribution '" << s
                                           << "' (expected \"half_normal\" or "
                                              "\"truncated_normal\")");
}

const char* SfaResult::status_name() const {
  if (boundary == Boundary::kGammaZero) return "boundary_gamma_0";
  if (boundary == Boundary::kGammaOne) return "boundary_gamma_1";
  return status.code == StatusCode::kNoConvergence ? "no_convergence" : "converged";
}

std::string SfaResult::brief_report() const {
  std::ostringstream os;
  os << "SFA (" << beta.size() << " coefficients): sigma2 " << sigma2 << ", gamma " << gamma
     << ", log-likelihood " << loglik << " (OLS " << loglik_ols << "), LR test of gamma = 0 "
     << lr_statistic << " (p " << lr_pvalue << "), mean efficiency " << mean_te() << "; "
     << status_name() << (status.message.empty() ? "" : ": " + status.message) << ".";
  return os.str();
}

double log_norm_cdf(double a) {
  if (a > -35.0) return std::log(0.5 * std::erfc(-a / std::numbers::sqrt2));
  const double a2 = a * a;
  return -0.5 * a2 - std::log(-a) - 0.5 * kLog2Pi +
         std::log1p(-1.0 / a2 + 3.0 / (a2 * a2) - 15.0 / (a2 * a2 * a2));
}

double mills_ratio(double a) {
  if (a > -35.0) {
    const double phi = std::exp(-0.5 * a * a) / std::sqrt(2.0 * std::numbers::pi);
    return phi / (0.5 * std::erfc(-a / std::numbers::sqrt2));
  }
  const double a2 = a * a;
  return -a / (1.0 - 1.0 / a2 + 3.0 / (a2 * a2) - 15.0 / (a2 * a2 * a2));
}

double sfa_loglik(const Eigen::VectorXd& y, const Eigen::MatrixXd& X, const SfaOptions& options,
                  const Eigen::VectorXd& theta, Eigen::VectorXd* grad) {
  const bool truncated = options.distribution == Distribution::kTruncatedNormal;
  REVEST_REQUIRE(
      theta.size() == X.cols() + (truncated ? 3 : 2),
      "sfa_loglik: theta has " << theta.size() << " entries for " << X.cols() << " regressors");
  const double sg = sign_of(options.frontier);
  const Eigen::VectorXd yp = sg * y;
  const Eigen::MatrixXd Xp = sg * X;
  Surface s{yp, Xp, truncated};
  const double ll = s(theta, grad);
  // d/db of the production-form likelihood is w.r.t. the same b (X_p b = sg X b): no change.
  return ll;
}

SfaResult fit_sfa(const Eigen::VectorXd& y, const Eigen::MatrixXd& X, const SfaOptions& options,
                  const std::vector<std::string>& names, const std::string& context) {
  const Eigen::Index N = y.size(), k = X.cols();
  const bool truncated = options.distribution == Distribution::kTruncatedNormal;
  const Eigen::Index p = k + (truncated ? 3 : 2);
  auto col = [&](Eigen::Index j) {
    return static_cast<std::size_t>(j) < names.size()
               ? "'" + names[static_cast<std::size_t>(j)] + "'"
               : "column " + std::to_string(j);
  };
  REVEST_REQUIRE(X.rows() == N, context << ": y has " << N << " rows, X has " << X.rows());
  REVEST_REQUIRE(k >= 1, context << ": no regressors");
  REVEST_REQUIRE(N >= p + 1, context << ": " << N << " observations for " << p
                                     << " parameters; need at least " << p + 1);
  for (Eigen::Index i = 0; i < N; ++i) {
    REVEST_REQUIRE(std::isfinite(y[i]),
                   context << ": dependent variable is not finite at row " << i);
    for (Eigen::Index j = 0; j < k; ++j)
      REVEST_REQUIRE(std::isfinite(X(i, j)),
                     context << ": regressor " << col(j) << " is not finite at row " << i);
  }
  REVEST_REQUIRE(options.boundary > 0 && options.boundary < 0.5,
                 context << ": boundary " << options.boundary << " not in (0, 0.5)");

  // Rescale: y~ = y_p / s_y, X~_j = X_p,j / s_j (s_j = 1 for constant columns).
  const double sg = sign_of(options.frontier);
  const double sy = sample_sd(y);
  REVEST_REQUIRE(sy > 0.0, context << ": the dependent variable is constant (every value is "
                                   << y[0] << "); there is nothing to fit");
  Eigen::VectorXd sx(k);
  for (Eigen::Index j = 0; j < k; ++j) {
    const double s = sample_sd(X.col(j));
    sx[j] = s > 0.0 ? s : 1.0;
  }
  const Eigen::VectorXd ys = sg * y / sy;
  const Eigen::MatrixXd Xs = sg * X * sx.cwiseInverse().asDiagonal();

  // OLS.
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(Xs);
  REVEST_REQUIRE(qr.rank() == k, context << ": the regressors are collinear (rank " << qr.rank()
                                         << " < " << k << " columns)");
  const Eigen::VectorXd b_ols = qr.solve(ys);
  const Eigen::VectorXd e_ols = ys - Xs * b_ols;
  const double ssr = e_ols.squaredNorm();
  const double dN = static_cast<double>(N);
  const double ll_ols_s = -0.5 * dN * (kLog2Pi + std::log(ssr / dN) + 1.0);
  const double e_mean = e_ols.mean();
  const double m3 = (e_ols.array() - e_mean).cube().mean();

  SfaResult res;
  res.lr_df = truncated ? 2 : 1;
  Eigen::VectorXd theta_s(p);  // scaled natural parameters at the end
  Eigen::Index intercept = -1;
  for (Eigen::Index j = 0; j < k && intercept < 0; ++j)
    if ((Xs.col(j).array() == Xs(0, j)).all() && Xs(0, j) != 0.0) intercept = j;

  auto ols_boundary = [&](const std::string& why) {
    res.status = Status::Make(StatusCode::kBoundary, why);
    res.boundary = Boundary::kGammaZero;
    theta_s.head(k) = b_ols;
    theta_s[k] = ssr / dN;
    theta_s[k + 1] = 0.0;
    if (truncated) theta_s[k + 2] = 0.0;
  };

  Surface surf{ys, Xs, truncated};
  if (m3 >= 0.0) {
    ols_boundary("the OLS residuals have the wrong skewness for a " +
                 std::string(to_string(options.frontier)) + " frontier (third moment " +
                 std::to_string(sg * m3 * sy * sy * sy) +
                 "), so the ML estimate is OLS with gamma = 0 (Waldman 1982)");
  } else {
    // FRONTIER's grid search over gamma for the starting point (half-normal).
    const double s2 = ssr / static_cast<double>(N - k);
    Eigen::VectorXd best;
    double best_ll = -std::numeric_limits<double>::infinity();
    for (int gi = 1; gi <= 19; ++gi) {
      const double g = 0.05 * gi;
      Eigen::VectorXd th(p);
      th.head(k) = b_ols;
      const double S = s2 / (1.0 - 2.0 * g / std::numbers::pi);
      if (intercept >= 0)
        th[intercept] += std::sqrt(2.0 * g * S / std::numbers::pi) / Xs(0, intercept);
      th[k] = S;
      th[k + 1] = g;
      if (truncated) th[k + 2] = 0.0;
      const double ll = surf(th, nullptr);
      if (ll > best_ll) {
        best_ll = ll;
        best = th;
      }
    }
    // Minimise -ll in phi (the half-normal first; its optimum starts the truncated normal).
    optim::MinimizeOptions mo;
    mo.gradient_tolerance = options.gradient_tolerance;
    mo.acceptable_gradient = 1e-6 * dN;
    optim::MinimizeResult mr = optim::minimize(negloglik_phi(Surface{ys, Xs, false}, k),
                                               phi_from_theta(best.head(k + 2), k), mo);
    res.iterations = mr.iterations;
    if (truncated) {
      Eigen::VectorXd phi2(k + 3);
      phi2.head(k + 2) = mr.x;
      phi2[k + 2] = 0.0;
      mr = optim::minimize(negloglik_phi(Surface{ys, Xs, true}, k), phi2, mo);
      res.iterations += mr.iterations;
    }
    theta_s = theta_from_phi(mr.x, k);
    res.status.message = "TAO: " + mr.reason;
    const double g = theta_s[k + 1];
    if (g < options.boundary) {
      ols_boundary("the likelihood is maximised at gamma -> 0 (gamma = " + std::to_string(g) +
                   "): no inefficiency is identified; OLS with gamma = 0 is used");
    } else if (g > 1.0 - options.boundary) {
      res.status.code = StatusCode::kBoundary;
      res.boundary = Boundary::kGammaOne;
      res.status.message =
          "the likelihood is maximised at gamma -> 1 (1 - gamma = " + std::to_string(1.0 - g) +
          "): no noise is identified; " + res.status.message;
    } else if (!mr.converged) {
      res.status.code = StatusCode::kNoConvergence;
    }
  }

  // Back to the original units.
  Eigen::VectorXd D(p);
  for (Eigen::Index j = 0; j < k; ++j) D[j] = sy / sx[j];
  D[k] = sy * sy;
  D[k + 1] = 1.0;
  if (truncated) D[k + 2] = sy;
  const Eigen::VectorXd theta = D.cwiseProduct(theta_s);
  res.beta = theta.head(k);
  res.sigma2 = theta[k];
  res.gamma = theta[k + 1];
  res.mu = truncated ? theta[k + 2] : 0.0;
  res.loglik_ols = ll_ols_s - dN * std::log(sy);
  const Eigen::VectorXd xtx_inv = (Xs.transpose() * Xs).inverse().diagonal();  // scaled X
  {
    const double s2_ols = ssr / static_cast<double>(N - k);
    const Eigen::VectorXd v = xtx_inv * s2_ols;
    res.beta_ols = b_ols.cwiseProduct(D.head(k));
    res.beta_ols_se = v.cwiseSqrt().cwiseProduct(D.head(k));
    res.sigma2_ols = s2_ols * sy * sy;
  }

  // Standard errors.
  Eigen::VectorXd se = Eigen::VectorXd::Constant(p, kNaN);
  if (res.boundary == Boundary::kGammaZero) {
    res.loglik = res.loglik_ols;
    const Eigen::VectorXd v = xtx_inv * (ssr / dN);
    for (Eigen::Index j = 0; j < k; ++j) se[j] = std::sqrt(v[j]) * D[j];
    se[k] = std::sqrt(2.0 / dN) * theta[k];
  } else {
    res.loglik = surf(theta_s, nullptr) - dN * std::log(sy);
    // Hessian in the optimiser's parameters (b, ln S, logit gamma[, mu]), which no finite-
    // difference step can push out of the domain, then the delta method back to (b, S, gamma, mu).
    const Eigen::MatrixXd H =
        optim::hessian_from_gradient(negloglik_phi(surf, k), phi_from_theta(theta_s, k), 1e-5);
    Eigen::LLT<Eigen::MatrixXd> llt(H);
    if (llt.info() == Eigen::Success && H.allFinite()) {
      Eigen::VectorXd J = Eigen::VectorXd::Ones(p);
      J[k] = theta_s[k];
      J[k + 1] = theta_s[k + 1] * (1.0 - theta_s[k + 1]);
      const Eigen::MatrixXd cov = llt.solve(Eigen::MatrixXd::Identity(p, p));
      for (Eigen::Index j = 0; j < p; ++j) se[j] = std::sqrt(cov(j, j)) * J[j] * D[j];
    } else if (res.status.message.find("Hessian") == std::string::npos) {
      res.status.message += "; the Hessian is not positive definite: standard errors are NaN";
    }
  }
  res.beta_se = se.head(k);
  res.sigma2_se = se[k];
  res.gamma_se = se[k + 1];
  res.mu_se = truncated ? se[k + 2] : kNaN;
  res.lr_statistic = std::max(0.0, 2.0 * (res.loglik - res.loglik_ols));
  if (res.lr_statistic <= 0.0) {
    res.lr_pvalue = 1.0;
  } else {
    using boost::math::cdf;
    using boost::math::chi_squared;
    using boost::math::complement;
    const double p1 = cdf(complement(chi_squared(1.0), res.lr_statistic));
    res.lr_pvalue =
        truncated ? 0.5 * p1 + 0.5 * cdf(complement(chi_squared(2.0), res.lr_statistic)) : 0.5 * p1;
  }

  unit_estimates(res, y, X, options);
  return res;
}

void unit_estimates(SfaResult& fit, const Eigen::VectorXd& y, const Eigen::MatrixXd& X,
                    const SfaOptions& options) {
  // Production-form residual e_p = sg * e.
  REVEST_REQUIRE(X.rows() == y.size() && X.cols() == fit.beta.size(),
                 "SFA unit estimates: " << y.size() << " values, X " << X.rows() << " x "
                                        << X.cols() << ", " << fit.beta.size() << " coefficients");
  const double sg = sign_of(options.frontier);
  const Eigen::Index N = y.size();
  fit.residual = y - X * fit.beta;
  fit.u_mean.resize(N);
  fit.te.resize(N);
  fit.noise.resize(N);
  if (fit.boundary == Boundary::kGammaZero) {
    fit.u_mean.setZero();
    fit.te.setOnes();
    fit.noise = fit.residual;
  } else {
    const double S = fit.sigma2, g = fit.gamma, mu = fit.mu;
    const double sstar = std::sqrt(S * g * (1.0 - g));
    for (Eigen::Index i = 0; i < N; ++i) {
      const double ep = sg * fit.residual[i];
      const double mstar = mu * (1.0 - g) - g * ep;
      double eu, te;
      if (sstar > 0.0) {
        const double a = mstar / sstar;
        eu = mstar + sstar * mills_ratio(a);
        te = std::exp(-mstar + 0.5 * sstar * sstar + log_norm_cdf(a - sstar) - log_norm_cdf(a));
      } else {
        eu = std::max(mstar, 0.0);
        te = std::exp(-eu);
      }
      fit.u_mean[i] = std::max(eu, 0.0);
      fit.te[i] = te;
      // e_p = v - u  =>  v = e_p + u;  in the caller's sign: v = e + sg u... e = sg e_p.
      fit.noise[i] = sg * (ep + fit.u_mean[i]);
    }
  }
}

}  // namespace revest::sfa
