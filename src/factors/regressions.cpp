#include "factors/regressions.hpp"

#include <algorithm>
#include <array>
#include <boost/math/special_functions/erf.hpp>
#include <cmath>
#include <functional>
#include <limits>
#include <numbers>
#include <sstream>

#include "core/error.hpp"
#include "optim/minimize.hpp"

namespace revest::factors {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kLogSqrt2Pi = 0.5 * std::log(2 * std::numbers::pi);

double norm_cdf(double z) { return 0.5 * boost::math::erfc(-z / std::numbers::sqrt2); }
double norm_pdf(double z) { return std::exp(-0.5 * z * z - kLogSqrt2Pi); }
// log Phi(c) and the inverse Mills ratio phi(c) / Phi(c), stable in the lower tail.
std::pair<double, double> log_cdf_and_mills(double c) {
  if (c < -30) {
    // Phi(c) ~ phi(c) / (-c) (1 - 1/c^2 + 3/c^4): its log and ratio from the asymptotic series.
    const double c2 = c * c, series = 1 - 1 / c2 + 3 / (c2 * c2);
    return {-0.5 * c2 - kLogSqrt2Pi - std::log(-c) + std::log(series), -c / series};
  }
  const double P = norm_cdf(c);
  return {std::log(P), norm_pdf(c) / P};
}

void check_data(const Eigen::VectorXd& y, const Eigen::MatrixXd& X,
                const std::vector<std::string>& names, const std::vector<int>& cluster,
                const char* who) {
  REVEST_REQUIRE(X.rows() == y.size() && X.cols() >= 1 &&
                     (names.empty() || static_cast<Eigen::Index>(names.size()) == X.cols()) &&
                     (cluster.empty() || static_cast<Eigen::Index>(cluster.size()) == y.size()),
                 who << ": " << y.size() << " scores, " << X.rows() << " x " << X.cols()
                     << " regressors, " << names.size() << " names, " << cluster.size()
                     << " cluster ids");
  for (Eigen::Index i = 0; i < y.size(); ++i)
    REVEST_REQUIRE(std::isfinite(y[i]) && X.row(i).allFinite(),
                   who << ": observation " << i << " has a missing or non-finite value");
  for (int c : cluster) REVEST_REQUIRE(c >= 0, who << ": a negative cluster id " << c);
  const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(X);
  REVEST_REQUIRE(qr.rank() == X.cols(), who << ": the regressors are collinear (rank " << qr.rank()
                                            << " of " << X.cols() << ")");
  REVEST_REQUIRE(y.size() > X.cols(),
                 who << ": " << y.size() << " observations for " << X.cols() << " regressors");
}

std::string term(const std::vector<std::string>& names, Eigen::Index j) {
  if (static_cast<std::size_t>(j) < names.size()) return names[static_cast<std::size_t>(j)];
  std::ostringstream os;
  os << 'x' << j + 1;
  return os.str();
}

// Sum of per-observation scores within clusters (each observation its own without clusters).
Eigen::MatrixXd meat(const Eigen::MatrixXd& scores, const std::vector<int>& cluster,
                     std::size_t* clusters) {
  if (cluster.empty()) {
    *clusters = static_cast<std::size_t>(scores.rows());
    return scores.transpose() * scores;
  }
  const int G = *std::max_element(cluster.begin(), cluster.end()) + 1;
  Eigen::MatrixXd S = Eigen::MatrixXd::Zero(G, scores.cols());
  for (Eigen::Index i = 0; i < scores.rows(); ++i)
    S.row(cluster[static_cast<std::size_t>(i)]) += scores.row(i);
  *clusters = static_cast<std::size_t>(G);
  return S.transpose() * S;
}

// Delta-method standard errors of g(theta) (m values) under covariance V.
Eigen::VectorXd delta_se(const std::function<Eigen::VectorXd(const Eigen::VectorXd&)>& g,
                         const Eigen::VectorXd& theta, const Eigen::MatrixXd& V) {
  const Eigen::VectorXd g0 = g(theta);
  Eigen::MatrixXd J(g0.size(), theta.size());
  for (Eigen::Index j = 0; j < theta.size(); ++j) {
    const double h = 1e-6 * std::max(1.0, std::abs(theta[j]));
    Eigen::VectorXd tp = theta, tm = theta;
    tp[j] += h;
    tm[j] -= h;
    J.col(j) = (g(tp) - g(tm)) / (2 * h);
  }
  return (J * V * J.transpose()).diagonal().cwiseSqrt();
}

// Tobit per-observation log-likelihood and its gradient in (b, tau = log s); kind: 0 interior,
// 1 censored at U, -1 censored at L.
double tobit_obs(double y, const Eigen::Ref<const Eigen::RowVectorXd>& x, const Eigen::VectorXd& b,
                 double tau, int kind, double L, double U, Eigen::Ref<Eigen::VectorXd> grad) {
  const double s = std::exp(tau), xb = x.dot(b);
  const Eigen::Index k = b.size();
  if (kind == 0) {
    const double r = (y - xb) / s;
    grad.head(k) = (r / s) * x.transpose();
    grad[k] = r * r - 1;
    return -0.5 * r * r - kLogSqrt2Pi - tau;
  }
  const double c = kind > 0 ? (xb - U) / s : (L - xb) / s;
  const auto [lp, lambda] = log_cdf_and_mills(c);
  grad.head(k) = (kind > 0 ? lambda / s : -lambda / s) * x.transpose();
  grad[k] = -lambda * c;
  return lp;
}

}  // namespace

const char* to_string(Censoring c) { return c == Censoring::kBoth ? "both" : "upper"; }
Censoring censoring_from_string(const std::string& s) {
  if (s == "upper") return Censoring::kUpper;
  if (s == "both") return Censoring::kBoth;
  REVEST_FAIL("unknown Tobit censoring '" << s << "' (upper: at 1; both: at 0 and 1)");
}
const char* to_string(Link l) { return l == Link::kProbit ? "probit" : "logit"; }
Link link_from_string(const std::string& s) {
  if (s == "logit") return Link::kLogit;
  if (s == "probit") return Link::kProbit;
  REVEST_FAIL("unknown fractional link '" << s << "' (logit or probit)");
}

void TobitOptions::validate() const {
  REVEST_REQUIRE(censor_tolerance >= 0 && censor_tolerance < 0.1,
                 "Tobit options: censor_tolerance must be in [0, 0.1), got " << censor_tolerance);
}

double tobit_loglik(const Eigen::VectorXd& y, const Eigen::MatrixXd& X, const Eigen::VectorXd& b,
                    double s, const TobitOptions& o) {
  const double U = 1, L = 0;
  double ll = 0;
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    const double xb = X.row(i).dot(b);
    if (y[i] >= U - o.censor_tolerance)
      ll += std::log(1 - norm_cdf((U - xb) / s));
    else if (o.censoring == Censoring::kBoth && y[i] <= L + o.censor_tolerance)
      ll += std::log(norm_cdf((L - xb) / s));
    else
      ll += std::log(norm_pdf((y[i] - xb) / s) / s);
  }
  return ll;
}

double fractional_loglik(const Eigen::VectorXd& y, const Eigen::MatrixXd& X,
                         const Eigen::VectorXd& b, Link link) {
  double ll = 0;
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    const double z = X.row(i).dot(b);
    const double G = link == Link::kLogit ? 1 / (1 + std::exp(-z)) : norm_cdf(z);
    ll += y[i] * std::log(G) + (1 - y[i]) * std::log(1 - G);
  }
  return ll;
}

namespace {

/// The root mean square of each column of X (1 for a column of zeros): the maximisations run on
/// X D^-1 (columns of unit size), so that regressors in very different units (GDP per capita in
/// yuan beside shares) do not make the problem ill-conditioned for the optimiser; estimates and
/// their standard errors are then divided by D (the log-likelihood, sigma and the shares are the
/// same in both parametrisations).
Eigen::VectorXd column_scale(const Eigen::MatrixXd& X) {
  Eigen::VectorXd d(X.cols());
  for (Eigen::Index j = 0; j < X.cols(); ++j) {
    const double rms = X.col(j).norm() / std::sqrt(static_cast<double>(X.rows()));
    d[j] = rms > 0 && std::isfinite(rms) ? rms : 1.0;
  }
  return d;
}

RegressionResult unscale(RegressionResult r, const Eigen::VectorXd& d) {
  for (auto* list : {&r.coefficients, &r.partial_effects})
    for (std::size_t j = 0; j < list->size() && j < static_cast<std::size_t>(d.size()); ++j) {
      Coefficient& c = (*list)[j];
      const double dj = d[static_cast<Eigen::Index>(j)];
      c.estimate /= dj;
      c.se /= dj;
      c.se_robust /= dj;
    }
  return r;
}

RegressionResult tobit_scaled(const Eigen::VectorXd& y, const Eigen::MatrixXd& X,
                              const std::vector<std::string>& names, const TobitOptions& options,
                              const std::vector<int>& cluster);
RegressionResult fractional_scaled(const Eigen::VectorXd& y, const Eigen::MatrixXd& X,
                                   const std::vector<std::string>& names, Link link,
                                   const std::vector<int>& cluster);

}  // namespace

RegressionResult tobit(const Eigen::VectorXd& y, const Eigen::MatrixXd& X,
                       const std::vector<std::string>& names, const TobitOptions& options,
                       const std::vector<int>& cluster) {
  options.validate();
  check_data(y, X, names, cluster, "Tobit");
  const Eigen::VectorXd d = column_scale(X);
  return unscale(tobit_scaled(y, X * d.cwiseInverse().asDiagonal(), names, options, cluster), d);
}

RegressionResult fractional(const Eigen::VectorXd& y, const Eigen::MatrixXd& X,
                            const std::vector<std::string>& names, Link link,
                            const std::vector<int>& cluster) {
  check_data(y, X, names, cluster, "fractional regression");
  const Eigen::VectorXd d = column_scale(X);
  return unscale(fractional_scaled(y, X * d.cwiseInverse().asDiagonal(), names, link, cluster), d);
}

namespace {

RegressionResult tobit_scaled(const Eigen::VectorXd& y, const Eigen::MatrixXd& X,
                              const std::vector<std::string>& names, const TobitOptions& options,
                              const std::vector<int>& cluster) {
  const Eigen::Index n = y.size(), k = X.cols();
  const double U = 1, L = options.censoring == Censoring::kBoth
                              ? 0.0
                              : -std::numeric_limits<double>::infinity();
  RegressionResult r;
  r.model = options.censoring == Censoring::kBoth ? "tobit_0_1" : "tobit_1";
  r.observations = static_cast<std::size_t>(n);
  std::vector<int> kind(static_cast<std::size_t>(n), 0);
  for (Eigen::Index i = 0; i < n; ++i) {
    REVEST_REQUIRE(
        y[i] <= U + options.censor_tolerance &&
            (options.censoring == Censoring::kUpper || y[i] >= -options.censor_tolerance),
        "Tobit: score " << y[i] << " of observation " << i << " is outside the limits");
    if (y[i] >= U - options.censor_tolerance) {
      kind[static_cast<std::size_t>(i)] = 1;
      ++r.censored_upper;
    } else if (options.censoring == Censoring::kBoth && y[i] <= options.censor_tolerance) {
      kind[static_cast<std::size_t>(i)] = -1;
      ++r.censored_lower;
    }
  }
  REVEST_REQUIRE(r.censored_upper + r.censored_lower < r.observations,
                 "Tobit: every score is at a limit");
  const double dn = static_cast<double>(n);
  const optim::Objective f = [&](const Eigen::VectorXd& th, Eigen::VectorXd& g) {
    g.setZero();
    Eigen::VectorXd gi(k + 1);
    double ll = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      ll +=
          tobit_obs(y[i], X.row(i), th.head(k), th[k], kind[static_cast<std::size_t>(i)], L, U, gi);
      g -= gi;
    }
    g /= dn;
    return -ll / dn;
  };
  // Start: OLS on the interior observations.
  Eigen::VectorXd th0(k + 1);
  {
    const Eigen::VectorXd b0 = X.colPivHouseholderQr().solve(y);
    th0.head(k) = b0;
    th0[k] = std::log(std::max((y - X * b0).norm() / std::sqrt(dn), 1e-6));
  }
  optim::MinimizeOptions mo;
  mo.gradient_tolerance = 1e-10;
  mo.acceptable_gradient = 1e-7;
  const optim::MinimizeResult m = optim::minimize(f, th0, mo);
  if (!m.converged)
    r.status = Status::Make(StatusCode::kNoConvergence,
                            "Tobit: the likelihood's maximisation "
                            "stopped: " +
                                m.reason);
  const Eigen::VectorXd th = m.x;
  r.log_likelihood = -m.value * dn;
  r.sigma = std::exp(th[k]);
  const Eigen::MatrixXd A = optim::hessian_from_gradient(f, th) * dn;  // -d2 ll
  const Eigen::MatrixXd Ai = A.ldlt().solve(Eigen::MatrixXd::Identity(k + 1, k + 1));
  Eigen::MatrixXd scores(n, k + 1);
  for (Eigen::Index i = 0; i < n; ++i) {
    Eigen::VectorXd gi(k + 1);
    tobit_obs(y[i], X.row(i), th.head(k), th[k], kind[static_cast<std::size_t>(i)], L, U, gi);
    scores.row(i) = gi.transpose();
  }
  const Eigen::MatrixXd Vr = Ai * meat(scores, cluster, &r.clusters) * Ai;
  for (Eigen::Index j = 0; j < k; ++j)
    r.coefficients.push_back({term(names, j), th[j], std::sqrt(Ai(j, j)), std::sqrt(Vr(j, j))});
  const auto ape = [&](const Eigen::VectorXd& t) {
    const double s = std::exp(t[k]);
    double share = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      const double xb = X.row(i).dot(t.head(k));
      share += norm_cdf((U - xb) / s) - (std::isfinite(L) ? norm_cdf((L - xb) / s) : 0.0);
    }
    return Eigen::VectorXd(t.head(k) * (share / dn));
  };
  const Eigen::VectorXd a = ape(th), se_a = delta_se(ape, th, Ai), ser_a = delta_se(ape, th, Vr);
  for (Eigen::Index j = 0; j < k; ++j)
    r.partial_effects.push_back({term(names, j), a[j], se_a[j], ser_a[j]});
  return r;
}

RegressionResult fractional_scaled(const Eigen::VectorXd& y, const Eigen::MatrixXd& X,
                                   const std::vector<std::string>& names, Link link,
                                   const std::vector<int>& cluster) {
  const Eigen::Index n = y.size(), k = X.cols();
  for (Eigen::Index i = 0; i < n; ++i)
    REVEST_REQUIRE(y[i] >= 0 && y[i] <= 1, "fractional regression: score "
                                               << y[i] << " of observation " << i
                                               << " is outside [0, 1]");
  RegressionResult r;
  r.model = link == Link::kLogit ? "fractional_logit" : "fractional_probit";
  r.observations = static_cast<std::size_t>(n);
  const double dn = static_cast<double>(n);
  // G, g and the score weight (y - G) g / (G (1 - G)) at z.
  const auto link_at = [link](double z, double yi) {
    double G = 0, g = 0;
    if (link == Link::kLogit) {
      G = 1 / (1 + std::exp(-z));
      g = G * (1 - G);
    } else {
      G = norm_cdf(z);
      g = norm_pdf(z);
    }
    G = std::clamp(G, 1e-300, 1 - 1e-16);
    const double w = link == Link::kLogit ? yi - G : (yi - G) * g / (G * (1 - G));
    return std::array<double, 3>{G, g, w};
  };
  const optim::Objective f = [&](const Eigen::VectorXd& b, Eigen::VectorXd& grad) {
    grad.setZero();
    double ll = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      const auto [G, g, w] = link_at(X.row(i).dot(b), y[i]);
      ll += y[i] * std::log(G) + (1 - y[i]) * std::log(1 - G);
      grad -= w * X.row(i).transpose();
    }
    grad /= dn;
    return -ll / dn;
  };
  optim::MinimizeOptions mo;
  mo.gradient_tolerance = 1e-11;
  mo.acceptable_gradient = 1e-8;
  const optim::MinimizeResult m = optim::minimize(f, Eigen::VectorXd::Zero(k), mo);
  if (!m.converged)
    r.status = Status::Make(
        StatusCode::kNoConvergence,
        "fractional regression: the quasi-likelihood's maximisation stopped: " + m.reason);
  const Eigen::VectorXd b = m.x;
  r.log_likelihood = -m.value * dn;
  r.sigma = kNaN;
  const Eigen::MatrixXd A = optim::hessian_from_gradient(f, b) * dn;
  const Eigen::MatrixXd Ai = A.ldlt().solve(Eigen::MatrixXd::Identity(k, k));
  Eigen::MatrixXd scores(n, k);
  for (Eigen::Index i = 0; i < n; ++i) scores.row(i) = link_at(X.row(i).dot(b), y[i])[2] * X.row(i);
  const Eigen::MatrixXd Vr = Ai * meat(scores, cluster, &r.clusters) * Ai;
  for (Eigen::Index j = 0; j < k; ++j)
    r.coefficients.push_back({term(names, j), b[j], kNaN, std::sqrt(Vr(j, j))});
  const auto ape = [&](const Eigen::VectorXd& t) {
    double mean_g = 0;
    for (Eigen::Index i = 0; i < n; ++i) mean_g += link_at(X.row(i).dot(t), 0.5)[1];
    return Eigen::VectorXd(t * (mean_g / dn));
  };
  const Eigen::VectorXd a = ape(b), ser_a = delta_se(ape, b, Vr);
  for (Eigen::Index j = 0; j < k; ++j)
    r.partial_effects.push_back({term(names, j), a[j], kNaN, ser_a[j]});
  return r;
}

}  // namespace

RegressionResult ols(const Eigen::VectorXd& y, const Eigen::MatrixXd& X,
                     const std::vector<std::string>& names, const std::vector<int>& cluster) {
  check_data(y, X, names, cluster, "OLS");
  const Eigen::Index n = y.size(), k = X.cols();
  RegressionResult r;
  r.model = "ols";
  r.observations = static_cast<std::size_t>(n);
  const Eigen::VectorXd b = X.colPivHouseholderQr().solve(y);
  const Eigen::VectorXd e = y - X * b;
  const double dn = static_cast<double>(n), dk = static_cast<double>(k);
  const Eigen::MatrixXd XtXi = (X.transpose() * X).ldlt().solve(Eigen::MatrixXd::Identity(k, k));
  const double s2 = e.squaredNorm() / (dn - dk);
  r.sigma = std::sqrt(s2);
  r.log_likelihood = kNaN;
  const Eigen::MatrixXd scores = X.array().colwise() * e.array();
  const Eigen::MatrixXd M = meat(scores, cluster, &r.clusters);
  const double G = static_cast<double>(r.clusters);
  const double c = cluster.empty() ? dn / (dn - dk) : G / (G - 1) * (dn - 1) / (dn - dk);
  const Eigen::MatrixXd Vr = c * XtXi * M * XtXi;
  for (Eigen::Index j = 0; j < k; ++j) {
    r.coefficients.push_back(
        {term(names, j), b[j], std::sqrt(s2 * XtXi(j, j)), std::sqrt(Vr(j, j))});
  }
  r.partial_effects = r.coefficients;
  return r;
}

std::string RegressionResult::brief_report() const {
  std::ostringstream os;
  os << model << " on " << observations << " observations";
  if (censored_upper + censored_lower > 0)
    os << " (" << censored_upper << " at the upper limit, " << censored_lower << " at the lower)";
  os << ":";
  for (const Coefficient& c : coefficients)
    os << " " << c.term << " " << c.estimate << " (" << c.se_robust << ")";
  os << (status.message.empty() ? "" : "; " + status.message) << ".";
  return os.str();
}

}  // namespace revest::factors
