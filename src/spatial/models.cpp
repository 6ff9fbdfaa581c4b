#include "spatial/models.hpp"

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/tools/minima.hpp>
#include <boost/math/tools/toms748_solve.hpp>
#include <boost/random/normal_distribution.hpp>
#include <cmath>
#include <functional>
#include <numbers>
#include <sstream>

#include "core/error.hpp"
#include "core/stats.hpp"

namespace revest::spatial {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kLn2PiPlus1 = std::log(2 * std::numbers::pi) + 1.0;

struct NumericalFailure {
  std::string what;
};

double chi2_p(double stat, double df) {
  if (!std::isfinite(stat) || stat < 0) return kNaN;
  return boost::math::cdf(boost::math::complement(boost::math::chi_squared(df), stat));
}

/// Least squares by column-pivoting QR; a rank-deficient design is a NumericalFailure naming
/// the columns involved.
struct Ls {
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr;
  explicit Ls(const Eigen::MatrixXd& X, const std::vector<std::string>& names) : qr(X) {
    if (qr.rank() < X.cols()) {
      std::string cols;
      for (Eigen::Index j = qr.rank(); j < X.cols(); ++j) {
        const auto c = static_cast<std::size_t>(qr.colsPermutation().indices()[j]);
        cols += (cols.empty() ? "" : ", ") + (c < names.size() ? names[c] : std::to_string(c));
      }
      throw NumericalFailure{"the design matrix is rank deficient (collinear: " + cols + ")"};
    }
  }
  Eigen::VectorXd solve(const Eigen::VectorXd& b) const { return qr.solve(b); }
};

/// Brent minimisation of f on the open interval (lo, hi).
template <class F>
std::pair<double, double> brent(F f, double lo, double hi) {
  const double eps = 1e-9 * (hi - lo);
  std::uintmax_t iters = 200;
  // 26 bits: about sqrt(machine epsilon), the precision function values can resolve near a
  // maximum (more only makes Brent wander in rounding noise); polish() refines when it can.
  auto r = boost::math::tools::brent_find_minima(f, lo + eps, hi - eps, 26, iters);
  return {r.first, r.second};
}

/// Polishes the maximiser x0 of a concentrated log-likelihood to full precision by a root of its
/// analytic derivative (TOMS 748); Brent on function values alone stops at ~sqrt(eps). Keeps x0
/// when the derivative does not change sign near it.
template <class D>
double polish(D deriv, double x0, double lo, double hi, bool exact_derivative) {
  // Without eigenvalues the derivative's tr(B) is itself a central difference of the
  // log-determinant (two factorisations per call): Brent's estimate is kept.
  if (!exact_derivative) return x0;
  const double span = hi - lo;
  const double g0 = deriv(x0);
  if (!std::isfinite(g0) || g0 == 0.0) return x0;
  for (double delta = 1e-7 * span; delta < 1e-2 * span; delta *= 8) {
    const double a = std::max(lo + 1e-9 * span, x0 - delta),
                 b = std::min(hi - 1e-9 * span, x0 + delta);
    const double ga = deriv(a), gb = deriv(b);
    if (!(std::isfinite(ga) && std::isfinite(gb))) return x0;
    if ((ga > 0) != (gb > 0)) {
      std::uintmax_t it = 100;
      const auto r = boost::math::tools::toms748_solve(
          deriv, a, b, ga, gb, boost::math::tools::eps_tolerance<double>(52), it);
      return 0.5 * (r.first + r.second);
    }
  }
  return x0;
}

/// (I - rho W)^-1, dense. When W = D^-1 S with S symmetric, I - rho W = D^-1/2 (I - rho S~) D^1/2
/// with S~ = D^-1/2 S D^-1/2 symmetric positive definite inside the rho interval: a Cholesky
/// inverse (about 30 % faster than an LU inverse at n = 512), scaled back.
Eigen::MatrixXd dense_inverse_of_a(const Weights& w, double rho) {
  if (w.symmetric_similar) {
    Eigen::MatrixXd a = -rho * Eigen::MatrixXd(w.symmetric_form());
    a.diagonal().array() += 1.0;
    const Eigen::LLT<Eigen::MatrixXd> llt(a);
    if (llt.info() == Eigen::Success) {
      Eigen::MatrixXd inv = llt.solve(Eigen::MatrixXd::Identity(a.rows(), a.cols()));
      const Eigen::ArrayXd d = w.row_sums.array().sqrt();
      inv = (d.inverse().matrix().asDiagonal() * inv) * d.matrix().asDiagonal();
      return inv;
    }
  }
  Eigen::MatrixXd a = -rho * Eigen::MatrixXd(w.W);
  a.diagonal().array() += 1.0;
  return a.partialPivLu().inverse();
}

/// Inverse of a symmetric information matrix; NumericalFailure if it is not positive definite.
Eigen::MatrixXd invert_information(const Eigen::MatrixXd& info) {
  Eigen::LDLT<Eigen::MatrixXd> ldlt(info);
  if (ldlt.info() != Eigen::Success || !ldlt.isPositive() || (ldlt.vectorD().array() <= 0).any())
    throw NumericalFailure{"the information matrix is not positive definite"};
  Eigen::MatrixXd v = ldlt.solve(Eigen::MatrixXd::Identity(info.rows(), info.cols()));
  if (!v.allFinite()) throw NumericalFailure{"the information matrix is singular"};
  return v;
}

struct Design {
  Eigen::MatrixXd X;  // with Durbin lags when asked
  std::vector<std::string> names;
  std::vector<int> base_of;  // for each column: index of the original regressor (-1 constant)
  std::vector<bool> is_lag;
};

Design make_design(Model model, const Eigen::MatrixXd& X, const std::vector<std::string>& names,
                   bool constant,
                   const std::function<Eigen::VectorXd(const Eigen::VectorXd&)>& wprod) {
  Design d;
  const Eigen::Index k = X.cols();
  std::vector<Eigen::Index> lagged;
  for (Eigen::Index j = 0; j < k; ++j) {
    d.names.push_back(names[static_cast<std::size_t>(j)]);
    d.base_of.push_back(constant && j == 0 ? -1 : static_cast<int>(j));
    d.is_lag.push_back(false);
    if (is_durbin(model) && !(constant && j == 0)) lagged.push_back(j);
  }
  d.X.resize(X.rows(), k + static_cast<Eigen::Index>(lagged.size()));
  d.X.leftCols(k) = X;
  for (std::size_t m = 0; m < lagged.size(); ++m) {
    d.X.col(k + static_cast<Eigen::Index>(m)) = wprod(Eigen::VectorXd(X.col(lagged[m])));
    d.names.push_back("lag." + names[static_cast<std::size_t>(lagged[m])]);
    d.base_of.push_back(static_cast<int>(lagged[m]));
    d.is_lag.push_back(true);
  }
  return d;
}

double concentrated_ll(double sse, double n) {
  return -0.5 * n * (kLn2PiPlus1 + std::log(sse / n));
}

/// Scalar impact functions of rho: m1 = tr(A^-1)/n, m2 = tr(W A^-1)/n, tau0 = 1'A^-1 1 / n,
/// tau1 = 1'A^-1 W 1 / n.
struct ImpactScalars {
  double m1, m2, tau0, tau1;
};

class ImpactCalculator {
 public:
  ImpactCalculator(const Weights& w, const LogDet& ld, int order) : w_(w), ld_(ld), order_(order) {}
  /// Sets the series length for draws with |rho| lambda_max up to r: the tail r^M below 1e-10
  /// (at least `order`, at most 5,000 terms).
  void prepare_series(double r) const {
    int m = order_;
    if (r > 0 && r < 1) m = std::max(m, static_cast<int>(std::ceil(std::log(1e-10) / std::log(r))));
    if (r >= 1) m = 5000;
    m = std::min(m, 5000);
    if (!ld_.has_eigenvalues()) t_ = ld_.traces(m + 1);
    if (!w_.row_standardised) q_ = ld_.row_sum_powers(m + 1);
  }
  /// exact: without eigenvalues, m2 = tr(B) / n from the log-determinant's derivative and
  /// m1 = 1 + rho m2 (A^-1 = I + rho W A^-1), instead of the trace series (used for the draws).
  ImpactScalars operator()(double rho, bool exact = false) const {
    ImpactScalars s{};
    if (!ld_.has_eigenvalues() && exact) {
      s.m2 = ld_.trace_b(rho) / static_cast<double>(ld_.size());
      s.m1 = 1.0 + rho * s.m2;
    } else if (ld_.has_eigenvalues()) {
      std::complex<double> a = 0, b = 0;
      double ar = 0, br = 0;
      for (const auto& l : ld_.eigenvalues()) {
        if (l.imag() == 0.0) {  // real arithmetic for the common symmetric-similar case
          const double inv = 1.0 / (1.0 - rho * l.real());
          ar += inv;
          br += l.real() * inv;
          continue;
        }
        const auto inv = 1.0 / (1.0 - rho * l);
        a += inv;
        b += l * inv;
      }
      const double n = static_cast<double>(ld_.size());
      s.m1 = (a.real() + ar) / n;
      s.m2 = (b.real() + br) / n;
    } else {
      if (t_.empty()) prepare_series(0.0);  // Monte Carlo traces, once
      double p = 1;
      s.m1 = s.m2 = 0;
      for (std::size_t j = 0; j + 1 < t_.size(); ++j, p *= rho) {
        s.m1 += p * t_[j];
        s.m2 += p * t_[j + 1];
      }
    }
    if (w_.row_standardised) {
      s.tau0 = s.tau1 = 1.0 / (1.0 - rho);
    } else if (exact) {
      // tau0 = 1'v / n with v = (I - rho W)^-1 1 by the fixed point v = 1 + rho W v (rate
      // |rho| lambda_max < 1); tau1 = (tau0 - 1) / rho since A^-1 = I + rho A^-1 W.
      const auto n = static_cast<Eigen::Index>(w_.size());
      Eigen::VectorXd v = Eigen::VectorXd::Ones(n), next;
      for (int it = 0; it < 1000000; ++it) {
        next = Eigen::VectorXd::Ones(n) + rho * (w_.W * v);
        const double change = (next - v).lpNorm<Eigen::Infinity>();
        v.swap(next);
        if (change <= 1e-15 * v.lpNorm<Eigen::Infinity>()) break;
      }
      s.tau0 = v.mean();
      s.tau1 = rho != 0.0 ? (s.tau0 - 1.0) / rho : (w_.W * Eigen::VectorXd::Ones(n)).mean();
    } else {
      if (q_.empty()) prepare_series(0.0);
      double p = 1;
      s.tau0 = s.tau1 = 0;
      for (std::size_t j = 0; j + 1 < q_.size(); ++j, p *= rho) {
        s.tau0 += p * q_[j];
        s.tau1 += p * q_[j + 1];
      }
    }
    return s;
  }
  double mean_row_sum() const {
    return w_.row_standardised
               ? 1.0
               : (w_.W * Eigen::VectorXd::Ones(static_cast<Eigen::Index>(w_.size()))).mean();
  }

 private:
  const Weights& w_;
  const LogDet& ld_;
  int order_;
  mutable std::vector<double> q_, t_;
};

}  // namespace

const char* to_string(Model m) {
  switch (m) {
    case Model::kOls:
      return "ols";
    case Model::kSlx:
      return "slx";
    case Model::kSar:
      return "sar";
    case Model::kSem:
      return "sem";
    case Model::kSdm:
      return "sdm";
    case Model::kSdem:
      return "sdem";
    case Model::kSac:
      return "sac";
  }
  return "?";
}

Model model_from_string(const std::string& s) {
  for (auto m :
       {Model::kOls, Model::kSlx, Model::kSar, Model::kSem, Model::kSdm, Model::kSdem, Model::kSac})
    if (s == to_string(m)) return m;
  REVEST_FAIL("unknown spatial model '" << s << "' (ols, slx, sar, sem, sdm, sdem, sac)");
}

bool has_rho(Model m) { return m == Model::kSar || m == Model::kSdm || m == Model::kSac; }
bool has_lambda(Model m) { return m == Model::kSem || m == Model::kSdem || m == Model::kSac; }
bool is_durbin(Model m) { return m == Model::kSlx || m == Model::kSdm || m == Model::kSdem; }

const char* to_string(Information i) {
  switch (i) {
    case Information::kAuto:
      return "auto";
    case Information::kExpected:
      return "expected";
    case Information::kObserved:
      return "observed";
  }
  return "?";
}

Information information_from_string(const std::string& s) {
  for (auto i : {Information::kAuto, Information::kExpected, Information::kObserved})
    if (s == to_string(i)) return i;
  REVEST_FAIL("unknown information '" << s << "' (auto, expected, observed)");
}

void ModelOptions::validate() const {
  REVEST_REQUIRE(information == Information::kAuto || information == Information::kExpected ||
                     information == Information::kObserved,
                 "spatial model: information must be auto, expected or observed");
  REVEST_REQUIRE(impact_draws >= 0,
                 "spatial model: impact_draws must be >= 0, got " << impact_draws);
  REVEST_REQUIRE(confidence > 0 && confidence < 1,
                 "spatial model: confidence must be in (0, 1), got " << confidence);
  REVEST_REQUIRE(trace_order >= 1, "spatial model: trace_order must be >= 1, got " << trace_order);
  REVEST_REQUIRE(sac_grid >= 5 && sac_grid <= 1001,
                 "spatial model: sac_grid must be in [5, 1001], got " << sac_grid);
  logdet.validate();
}

std::string FitResult::brief_report() const {
  std::ostringstream os;
  os.precision(6);
  os << to_string(model) << " of " << n << " observations";
  if (model == Model::kOls || model == Model::kSlx)
    os << " by least squares: ";
  else
    os << " by maximum likelihood (log-determinant " << logdet_method << ", " << information
       << " information): ";
  if (!status.usable()) {
    os << "no estimates; status " << status.to_string() << ".";
    return os.str();
  }
  auto estimate = [&](const std::string& name, double v, double se) {
    os << name << " " << v << " (se " << se << ")";
  };
  if (has_rho(model)) {
    estimate("rho", rho, rho_se);
    os << ", ";
  }
  if (has_lambda(model)) {
    estimate("lambda", lambda, lambda_se);
    os << ", ";
  }
  for (Eigen::Index j = 0; j < coef.size(); ++j) {
    estimate(static_cast<std::size_t>(j) < names.size() ? names[static_cast<std::size_t>(j)] : "?",
             coef[j], se[j]);
    os << (j + 1 < coef.size() ? ", " : "; ");
  }
  os << "sigma^2 (ML) " << sigma2_ml << ", log-likelihood " << loglik << ", AIC " << aic;
  if (std::isfinite(lr))
    os << ", LR against " << (is_durbin(model) ? "SLX" : "OLS") << " " << lr << " (p " << lr_p
       << ")";
  if (model == Model::kSac && local_maxima > 1)
    os << ", " << local_maxima << " local maxima (the next " << second_mode_gap << " lower)";
  if (impacts.names.size() > 0) {
    os << "; total impacts";
    for (std::size_t m = 0; m < impacts.names.size(); ++m) {
      const auto r = static_cast<Eigen::Index>(m);
      os << (m ? ", " : " ") << impacts.names[m] << " " << impacts.total[r];
      if (impacts.draws > 0)
        os << " [" << impacts.lower(r, 2) << ", " << impacts.upper(r, 2) << "]";
    }
    if (impacts.draws > 0) os << " (" << impacts.draws << " draws)";
  }
  os << "; status " << status.to_string() << ".";
  return os.str();
}

namespace {

/// How W enters a fit. Cross-section: products with W, ln|I - rho W|, n observations. Panel
/// (N units x T periods stacked period by period, demeaned for the fixed effects by the projector
/// Q): products Q (I_T x W) v, t_eff [ln|I - rho W| - drop_unit_root ln(1 - rho)] and n_eff
/// effective observations (Lee and Yu 2010: t_eff = T - 1 with unit effects, the eigenvalue 1 of
/// a row-standardised W dropped with time effects, n_eff = N* T*).
struct Ctx {
  const Weights& w;
  const LogDet& ld;
  std::size_t N = 0, T = 1;
  bool unit_fe = false, time_fe = false;
  double t_eff = 1.0;
  bool drop_unit_root = false;
  double n_eff = 0;
  bool cross_section() const { return T == 1 && !unit_fe && !time_fe; }
  /// Demeaning projector Q for the fixed effects (in place).
  void demean(Eigen::Ref<Eigen::VectorXd> v) const {
    const auto n = static_cast<Eigen::Index>(N);
    if (time_fe)
      for (std::size_t t = 0; t < T; ++t)
        v.segment(static_cast<Eigen::Index>(t) * n, n).array() -=
            v.segment(static_cast<Eigen::Index>(t) * n, n).mean();
    if (unit_fe) {
      Eigen::VectorXd m = Eigen::VectorXd::Zero(n);
      for (std::size_t t = 0; t < T; ++t) m += v.segment(static_cast<Eigen::Index>(t) * n, n);
      m /= static_cast<double>(T);
      for (std::size_t t = 0; t < T; ++t) v.segment(static_cast<Eigen::Index>(t) * n, n) -= m;
    }
  }
  /// (I_T x W) v, without demeaning.
  Eigen::VectorXd raw_W(const Eigen::VectorXd& v) const {
    if (T == 1) return w.W * v;
    const auto n = static_cast<Eigen::Index>(N);
    Eigen::VectorXd out(v.size());
    for (std::size_t t = 0; t < T; ++t)
      out.segment(static_cast<Eigen::Index>(t) * n, n) =
          w.W * v.segment(static_cast<Eigen::Index>(t) * n, n);
    return out;
  }
  Eigen::VectorXd W(const Eigen::VectorXd& v) const {
    Eigen::VectorXd out = raw_W(v);
    demean(out);
    return out;
  }
  Eigen::MatrixXd W(const Eigen::MatrixXd& m) const {
    Eigen::MatrixXd out(m.rows(), m.cols());
    for (Eigen::Index j = 0; j < m.cols(); ++j) out.col(j) = W(Eigen::VectorXd(m.col(j)));
    return out;
  }
  double logdet(double rho) const {
    return t_eff * (ld(rho) - (drop_unit_root ? std::log(1.0 - rho) : 0.0));
  }
  double trace_b(double rho) const {
    return t_eff * (ld.trace_b(rho) - (drop_unit_root ? 1.0 / (1.0 - rho) : 0.0));
  }
  double trace_b2(double rho) const {
    return t_eff * (ld.trace_b2(rho) - (drop_unit_root ? 1.0 / ((1.0 - rho) * (1.0 - rho)) : 0.0));
  }
};

/// tr(W'W + W W) = sum over the links of w_ij (w_ij + w_ji) (Anselin 1988's T of the LM tests).
double trace_wtw_plus_ww(const SpMat& W) {
  const SpMat wt = SpMat(W.transpose());
  double t = 0;
  for (int i = 0; i < W.outerSize(); ++i)
    for (SpMat::InnerIterator it(W, i); it; ++it)
      t += it.value() * (it.value() + wt.coeff(i, static_cast<int>(it.col())));
  return t;
}

void ols_part(FitResult& f, const Eigen::VectorXd& y, const Design& d, const Ctx& c,
              bool lm_tests) {
  const double n = c.n_eff;
  const Ls ls(d.X, d.names);
  const Eigen::VectorXd b = ls.solve(y);
  const Eigen::VectorXd e = y - d.X * b;
  const double sse = e.squaredNorm();
  f.loglik_ols = concentrated_ll(sse, n);
  if (!lm_tests) return;
  const auto k = static_cast<double>(d.X.cols());
  f.coef = b;
  // n = effective observations (panels: net of the fixed effects).
  f.sigma2_ml = sse / n;
  f.sigma2_unbiased = sse / (n - k);
  const Eigen::MatrixXd xtx = d.X.transpose() * d.X;
  f.vcov = f.sigma2_unbiased * xtx.ldlt().solve(Eigen::MatrixXd::Identity(xtx.rows(), xtx.cols()));
  f.se = f.vcov.diagonal().array().sqrt();
  f.loglik = f.loglik_ols;
  f.residuals = e;
  f.parameters = d.X.cols() + 1;
  // LM tests (s^2 = e'e / n).
  const double s2 = sse / n;
  const Eigen::VectorXd we = c.W(e), wy = c.W(y);
  // tr(W'W + W W); panels: T times it (Anselin, Le Gallo and Jayet 2008; Elhorst 2014).
  const double T = c.t_eff * trace_wtw_plus_ww(c.w.W);
  const Eigen::VectorXd wxb = c.W(Eigen::VectorXd(d.X * b));
  const Eigen::VectorXd mwxb = wxb - d.X * ls.solve(wxb);
  const double nJ = (wxb.dot(mwxb) + T * s2) / s2;
  const double ewe = e.dot(we) / s2, ewy = e.dot(wy) / s2;
  f.lm.lm_error = ewe * ewe / T;
  f.lm.lm_lag = ewy * ewy / nJ;
  f.lm.rlm_error = std::pow(ewe - T / nJ * ewy, 2) / (T * (1 - T / nJ));
  f.lm.rlm_lag = std::pow(ewy - ewe, 2) / (nJ - T);
  f.lm.sarma = f.lm.rlm_error + f.lm.lm_lag;
  f.lm.p_error = chi2_p(f.lm.lm_error, 1);
  f.lm.p_lag = chi2_p(f.lm.lm_lag, 1);
  f.lm.p_rerror = chi2_p(f.lm.rlm_error, 1);
  f.lm.p_rlag = chi2_p(f.lm.rlm_lag, 1);
  f.lm.p_sarma = chi2_p(f.lm.sarma, 2);
}

/// SAR / SDM.
void fit_lag(FitResult& f, const Eigen::VectorXd& y, const Design& d, const Ctx& c, bool expected) {
  const double n = c.n_eff;
  const Eigen::VectorXd wy = c.W(y);
  const Ls ls(d.X, d.names);
  const Eigen::VectorXd b0 = ls.solve(y), bl = ls.solve(wy);
  const Eigen::VectorXd e0 = y - d.X * b0, el = wy - d.X * bl;
  const double a = e0.squaredNorm(), bb = e0.dot(el), cc = el.squaredNorm();
  auto negll = [&](double rho) {
    const double sse = a - 2 * rho * bb + rho * rho * cc;
    return -(concentrated_ll(sse, n) + c.logdet(rho));
  };
  const auto [lo, hi] = c.ld.interval();
  const double rho = polish(
      [&](double r) { return n * (bb - r * cc) / (a - 2 * r * bb + r * r * cc) - c.trace_b(r); },
      brent(negll, lo, hi).first, lo, hi, c.ld.has_eigenvalues());
  const double span = hi - lo;
  if (rho - lo < 1e-6 * span || hi - rho < 1e-6 * span)
    throw NumericalFailure{"rho at the boundary of its interval (no interior maximum)"};
  f.rho = rho;
  f.loglik = -negll(rho);
  f.coef = b0 - rho * bl;
  f.residuals = e0 - rho * el;
  f.sigma2_ml = f.residuals.squaredNorm() / n;
  const double s2 = f.sigma2_ml;
  const Eigen::Index k = d.X.cols();
  // Information matrix over (b, rho, sigma^2).
  Eigen::MatrixXd info = Eigen::MatrixXd::Zero(k + 2, k + 2);
  info.topLeftCorner(k, k) = d.X.transpose() * d.X / s2;
  info(k + 1, k + 1) = n / (2 * s2 * s2);
  Eigen::MatrixXd B;
  if (expected) {
    const Eigen::MatrixXd ainv = dense_inverse_of_a(c.w, rho);
    B = c.w.W * ainv;
    const Eigen::VectorXd bxb = B * (d.X * f.coef);
    info.block(0, k, k, 1) = d.X.transpose() * bxb / s2;
    info(k, k) = c.ld.trace_b2(rho) + B.squaredNorm() + bxb.squaredNorm() / s2;
    info(k, k + 1) = c.ld.trace_b(rho) / s2;
  } else {
    info.block(0, k, k, 1) = d.X.transpose() * wy / s2;
    info(k, k) = c.trace_b2(rho) + wy.squaredNorm() / s2;
    info(k, k + 1) = wy.dot(f.residuals) / (s2 * s2);
    info.block(0, k + 1, k, 1) = d.X.transpose() * f.residuals / (s2 * s2);
  }
  info = info.selfadjointView<Eigen::Upper>();
  const Eigen::MatrixXd v = invert_information(info);
  f.vcov = v.topLeftCorner(k + 1, k + 1);
  f.se = v.diagonal().head(k).array().sqrt();
  f.rho_se = std::sqrt(v(k, k));
  if (expected) {
    // LM test of residual autocorrelation after the lag model (Anselin 1988, p. 106):
    // (e'We / s2)^2 / (T22 - T21A^2 var(rho)), T22 = tr(WW + W'W), T21A = tr((WW + W'W) A^-1).
    const double t22 = trace_wtw_plus_ww(c.w.W);
    double t21a = 0;
    for (int i = 0; i < c.w.W.outerSize(); ++i)
      for (SpMat::InnerIterator it(c.w.W, i); it; ++it) {
        const auto j = static_cast<Eigen::Index>(it.col());
        t21a += it.value() * (B(j, i) + B(i, j));
      }
    const double ewe = f.residuals.dot(c.W(f.residuals)) / s2;
    f.lm_residual = ewe * ewe / (t22 - t21a * t21a * v(k, k));
    f.lm_residual_p = chi2_p(f.lm_residual, 1);
  }
}

/// SEM / SDEM.
void fit_error(FitResult& f, const Eigen::VectorXd& y, const Design& d, const Ctx& c,
               bool expected) {
  const double n = c.n_eff;
  const Eigen::VectorXd wy = c.W(y);
  const Eigen::MatrixXd wx = c.W(d.X);
  (void)Ls(d.X, d.names);
  auto sse_at = [&](double lam, Eigen::VectorXd* beta) {
    const Eigen::MatrixXd xt = d.X - lam * wx;
    const Eigen::VectorXd yt = y - lam * wy;
    Eigen::HouseholderQR<Eigen::MatrixXd> qr(xt);
    const Eigen::VectorXd b = qr.solve(yt);
    if (beta) *beta = b;
    return (yt - xt * b).squaredNorm();
  };
  auto negll = [&](double lam) {
    return -(concentrated_ll(sse_at(lam, nullptr), n) + c.logdet(lam));
  };
  // d/dlambda of the concentrated log-likelihood: n e'Wu / e'e - tr(B) (envelope theorem).
  auto deriv = [&](double lam) {
    Eigen::VectorXd b;
    const double sse = sse_at(lam, &b);
    const Eigen::VectorXd u = y - d.X * b, wu = c.W(u);
    return n * (u - lam * wu).dot(wu) / sse - c.trace_b(lam);
  };
  const auto [lo, hi] = c.ld.interval();
  const double lam = polish(deriv, brent(negll, lo, hi).first, lo, hi, c.ld.has_eigenvalues());
  const double span = hi - lo;
  if (lam - lo < 1e-6 * span || hi - lam < 1e-6 * span)
    throw NumericalFailure{"lambda at the boundary of its interval (no interior maximum)"};
  f.lambda = lam;
  f.loglik = -negll(lam);
  Eigen::VectorXd beta;
  const double sse = sse_at(lam, &beta);
  f.coef = beta;
  f.sigma2_ml = sse / n;
  const double s2 = f.sigma2_ml;
  const Eigen::VectorXd u = y - d.X * beta;
  f.residuals = u - lam * (c.W(u));  // the innovations e
  const Eigen::Index k = d.X.cols();
  const Eigen::MatrixXd xt = d.X - lam * wx;
  Eigen::MatrixXd info = Eigen::MatrixXd::Zero(k + 2, k + 2);
  info.topLeftCorner(k, k) = xt.transpose() * xt / s2;
  info(k + 1, k + 1) = n / (2 * s2 * s2);
  if (expected) {
    const Eigen::MatrixXd B = c.w.W * dense_inverse_of_a(c.w, lam);
    info(k, k) = c.ld.trace_b2(lam) + B.squaredNorm();
    info(k, k + 1) = c.ld.trace_b(lam) / s2;
  } else {
    const Eigen::VectorXd wu = c.W(u);
    const Eigen::VectorXd& e = f.residuals;
    info.block(0, k, k, 1) = (wx.transpose() * e + xt.transpose() * wu) / s2;
    info(k, k) = c.trace_b2(lam) + wu.squaredNorm() / s2;
    info(k, k + 1) = e.dot(wu) / (s2 * s2);
    info.block(0, k + 1, k, 1) = xt.transpose() * e / (s2 * s2);
  }
  info = info.selfadjointView<Eigen::Upper>();
  const Eigen::MatrixXd v = invert_information(info);
  f.vcov = v.topLeftCorner(k + 1, k + 1);
  f.se = v.diagonal().head(k).array().sqrt();
  f.lambda_se = std::sqrt(v(k, k));
}

/// SAC (general spatial model, Anselin 1988 ch. 6; Kelejian and Prucha's SARAR by ML).
///
/// The log-likelihood concentrated in (rho, lambda) can have several local maxima (with weak
/// regressors it is nearly symmetric in the two: (I - rho W) and (I - lambda W) commute), and
/// nested one-dimensional searches over the whole interval can settle on a lower one. So:
///  1. evaluate it on a grid of `grid` x `grid` interior points of the admissible square
///     (lo, hi)^2 (nodes lo + (hi - lo)(i + 1) / (grid + 1); one QR and one log-determinant per
///     node value);
///  2. take the grid's local maxima (cells not below any of their 8 neighbours; a tie goes to
///     the cell that comes first, so a flat patch gives one), at most kSacCandidates of them, best
///     first;
///  3. refine each by nested Brent searches (outer lambda, inner rho) inside the box of its
///     neighbouring nodes, then to full precision on the analytic derivatives (polish()); a
///     maximiser on the edge of its box (the maximum lies beyond, e.g. along a ridge) centres a
///     box twice as wide on it and repeats, until the box is the whole square;
///  4. report the best; refined maxima closer than kSacSameMode in both rho and lambda are one.
constexpr int kSacCandidates = 8;
constexpr double kSacSameMode = 1e-3;

void fit_sac(FitResult& f, const Eigen::VectorXd& y, const Design& d, const Ctx& c, bool expected,
             int grid) {
  const double n = c.n_eff;
  const Eigen::VectorXd wy = c.W(y), wwy = c.W(wy);
  const Eigen::MatrixXd wx = c.W(d.X);
  (void)Ls(d.X, d.names);
  auto sse_at = [&](double rho, double lam, Eigen::VectorXd* beta) {
    const Eigen::MatrixXd xt = d.X - lam * wx;
    const Eigen::VectorXd yt = y - rho * wy - lam * wy + rho * lam * wwy;
    Eigen::HouseholderQR<Eigen::MatrixXd> qr(xt);
    const Eigen::VectorXd b = qr.solve(yt);
    if (beta) *beta = b;
    return (yt - xt * b).squaredNorm();
  };
  // For a given lambda the residual is linear in rho: e(rho) = ra - rho rb, with ra and rb the
  // residuals of (I - lambda W) y and (I - lambda W) W y on (I - lambda W) X.
  struct Slice {
    Eigen::VectorXd ra, rb;
  };
  auto slice = [&](double lam) {
    const Eigen::MatrixXd xt = d.X - lam * wx;
    Eigen::HouseholderQR<Eigen::MatrixXd> qr(xt);
    Slice s;
    s.ra = y - lam * wy;
    s.rb = wy - lam * wwy;
    s.ra -= xt * qr.solve(s.ra);
    s.rb -= xt * qr.solve(s.rb);
    return s;
  };
  auto slice_ll = [&](const Slice& s, double rho) {  // without ln|I - lambda W|
    return concentrated_ll((s.ra - rho * s.rb).squaredNorm(), n) + c.logdet(rho);
  };
  // Not a structured binding: the lambdas below capture lo and hi (clang 14 refuses that).
  const double lo = c.ld.interval().first, hi = c.ld.interval().second;
  const double span = hi - lo;
  const bool exact = c.ld.has_eigenvalues();
  // Derivatives of the log-likelihood concentrated in (rho, lambda), by the envelope theorem:
  // with u = A y - X b and e = B u, d/dlambda = n e'W u / e'e - tr(W B^-1) and
  // d/drho = n e'B W y / e'e - tr(W A^-1).
  auto grad = [&](double rho, double lam, bool wrt_rho) {
    Eigen::VectorXd b;
    const double sse = sse_at(rho, lam, &b);
    const Eigen::VectorXd u = y - rho * wy - d.X * b, wu = c.W(u);
    const Eigen::VectorXd e = u - lam * wu;
    if (wrt_rho) return n * e.dot(wy - lam * wwy) / sse - c.trace_b(rho);
    return n * e.dot(wu) / sse - c.trace_b(lam);
  };

  // 1. The grid.
  std::vector<double> node(static_cast<std::size_t>(grid)), node_ld(node.size());
  for (std::size_t i = 0; i < node.size(); ++i) {
    node[i] = lo + span * static_cast<double>(i + 1) / (grid + 1);
    node_ld[i] = c.logdet(node[i]);
  }
  Eigen::MatrixXd L(grid, grid);  // L(i, j): rho = node[i], lambda = node[j]
  for (int j = 0; j < grid; ++j) {
    const Slice s = slice(node[static_cast<std::size_t>(j)]);
    for (int i = 0; i < grid; ++i) {
      const double v =
          concentrated_ll((s.ra - node[static_cast<std::size_t>(i)] * s.rb).squaredNorm(), n) +
          node_ld[static_cast<std::size_t>(i)] + node_ld[static_cast<std::size_t>(j)];
      L(i, j) = std::isnan(v) ? -std::numeric_limits<double>::infinity() : v;
    }
  }
  // 2. Its local maxima.
  struct Cell {
    double value;
    int i, j;
  };
  std::vector<Cell> cells;
  for (int i = 0; i < grid; ++i)
    for (int j = 0; j < grid; ++j) {
      if (!std::isfinite(L(i, j))) continue;
      bool top = true;
      for (int a = std::max(0, i - 1); a <= std::min(grid - 1, i + 1) && top; ++a)
        for (int b = std::max(0, j - 1); b <= std::min(grid - 1, j + 1) && top; ++b) {
          if (a == i && b == j) continue;
          const bool earlier = a < i || (a == i && b < j);
          top = earlier ? L(i, j) > L(a, b) : L(i, j) >= L(a, b);
        }
      if (top) cells.push_back({L(i, j), i, j});
    }
  if (cells.empty())
    throw NumericalFailure{
        "the concentrated log-likelihood is not finite on the (rho, lambda) grid"};
  std::sort(cells.begin(), cells.end(),
            [](const Cell& p, const Cell& q) { return p.value > q.value; });
  if (cells.size() > static_cast<std::size_t>(kSacCandidates)) cells.resize(kSacCandidates);

  // 3. Refinement of each, first in the box of its neighbouring nodes.
  const double h = span / (grid + 1);  // node spacing
  struct Mode {
    double rho, lambda, loglik;
    bool interior;
  };
  auto refine = [&](double r0, double l0) {
    Mode m{r0, l0, -std::numeric_limits<double>::infinity(), false};
    for (double half = h;; half *= 2) {
      const double ra = std::max(lo, m.rho - half), rb = std::min(hi, m.rho + half);
      const double la = std::max(lo, m.lambda - half), lb = std::min(hi, m.lambda + half);
      // Profile in lambda: the maximum over rho in [ra, rb] for this lambda.
      auto profile = [&](double lam, double* rho_out) {
        const Slice s = slice(lam);
        auto negll = [&](double r) { return -slice_ll(s, r); };
        auto deriv = [&](double r) {
          const Eigen::VectorXd e = s.ra - r * s.rb;
          return n * e.dot(s.rb) / e.squaredNorm() - c.trace_b(r);
        };
        const double r = polish(deriv, brent(negll, ra, rb).first, ra, rb, exact);
        if (rho_out) *rho_out = r;
        return negll(r) - c.logdet(lam);
      };
      auto outer_grad = [&](double lam) {
        double r = 0;
        profile(lam, &r);
        return grad(r, lam, false);
      };
      const double lam =
          polish(outer_grad, brent([&](double l) { return profile(l, nullptr); }, la, lb).first, la,
                 lb, exact);
      double rho = 0;
      m.loglik = -profile(lam, &rho);
      m.rho = rho;
      m.lambda = lam;
      // On an edge of the box that is not an end of the interval, the maximum lies beyond it;
      // with exact derivatives, both must also vanish (to 1e-6 n: polish() leaves them below
      // 1e-9 n at a maximum).
      if (ra == lo && rb == hi && la == lo && lb == hi) break;
      const double edge = 1e-3 * h;
      auto near = [&](double x, double a, double b) {
        return (x - a < edge && a > lo) || (b - x < edge && b < hi);
      };
      const bool stationary = !exact || (std::abs(grad(rho, lam, true)) <= 1e-6 * n &&
                                         std::abs(grad(rho, lam, false)) <= 1e-6 * n);
      if (!near(rho, ra, rb) && !near(lam, la, lb) && stationary) break;
    }
    m.interior = std::min({m.rho - lo, hi - m.rho, m.lambda - lo, hi - m.lambda}) >= 1e-6 * span;
    return m;
  };
  std::vector<Mode> modes;
  for (const Cell& cell : cells) {
    const Mode m =
        refine(node[static_cast<std::size_t>(cell.i)], node[static_cast<std::size_t>(cell.j)]);
    if (std::isfinite(m.loglik)) modes.push_back(m);
  }
  if (modes.empty()) throw NumericalFailure{"no finite maximum of the concentrated log-likelihood"};
  std::sort(modes.begin(), modes.end(),
            [](const Mode& p, const Mode& q) { return p.loglik > q.loglik; });
  if (!modes.front().interior)
    throw NumericalFailure{"rho or lambda at the boundary of its interval (no interior maximum)"};
  // 4. Distinct interior maxima, best first.
  std::vector<Mode> distinct;
  for (const Mode& m : modes) {
    if (!m.interior) continue;
    const bool seen = std::any_of(distinct.begin(), distinct.end(), [&](const Mode& q) {
      return std::abs(q.rho - m.rho) <= kSacSameMode &&
             std::abs(q.lambda - m.lambda) <= kSacSameMode;
    });
    if (!seen) distinct.push_back(m);
  }
  const double rho = distinct.front().rho, lam = distinct.front().lambda;
  f.rho = rho;
  f.lambda = lam;
  f.loglik = distinct.front().loglik;
  f.local_maxima = static_cast<int>(distinct.size());
  if (distinct.size() > 1) {
    f.second_mode_gap = distinct[0].loglik - distinct[1].loglik;
    f.second_mode_rho = distinct[1].rho;
    f.second_mode_lambda = distinct[1].lambda;
  }
  Eigen::VectorXd beta;
  const double sse = sse_at(rho, lam, &beta);
  f.coef = beta;
  f.sigma2_ml = sse / n;
  const double s2 = f.sigma2_ml;
  const Eigen::Index k = d.X.cols();
  const Eigen::VectorXd u = y - rho * wy - d.X * beta;
  f.residuals = u - lam * (c.W(u));
  // Parameter order: b (k), rho, lambda, sigma^2.
  Eigen::MatrixXd info = Eigen::MatrixXd::Zero(k + 3, k + 3);
  if (expected) {
    const Eigen::MatrixXd wd = Eigen::MatrixXd(c.w.W);
    const Eigen::MatrixXd ainv = dense_inverse_of_a(c.w, rho), binv = dense_inverse_of_a(c.w, lam);
    const Eigen::MatrixXd WA = wd * ainv, WB = wd * binv;
    Eigen::MatrixXd Bm = -lam * wd;
    Bm.diagonal().array() += 1.0;
    const Eigen::MatrixXd bwabi = Bm * WA * binv;
    const Eigen::MatrixXd bx = Bm * d.X;
    const Eigen::VectorXd bwaxb = Bm * (WA * (d.X * beta));
    info.topLeftCorner(k, k) = bx.transpose() * bx / s2;
    info.block(0, k, k, 1) = bx.transpose() * bwaxb / s2;
    info(k, k) = (WA.array() * WA.transpose().array()).sum() + bwabi.squaredNorm() +
                 bwaxb.squaredNorm() / s2;
    info(k + 1, k + 1) = (WB.array() * WB.transpose().array()).sum() + WB.squaredNorm();
    info(k, k + 1) = (WB.array() * bwabi.array()).sum() + (wd * WA * binv).trace();
    info(k, k + 2) = WA.trace() / s2;
    info(k + 1, k + 2) = WB.trace() / s2;
    info(k + 2, k + 2) = n / (2 * s2 * s2);
    info = info.selfadjointView<Eigen::Upper>();
  } else {
    // Central-difference Hessian of the full log-likelihood.
    auto ll = [&](const Eigen::VectorXd& th) {
      const Eigen::VectorXd b = th.head(k);
      const double r = th[k], l = th[k + 1], sg = th[k + 2];
      if (!(sg > 0) || r <= lo || r >= hi || l <= lo || l >= hi) return kNaN;
      const Eigen::VectorXd uu = y - r * wy - d.X * b;
      const Eigen::VectorXd ee = uu - l * (c.W(uu));
      return -0.5 * n * std::log(2 * std::numbers::pi * sg) + c.logdet(r) + c.logdet(l) -
             ee.squaredNorm() / (2 * sg);
    };
    Eigen::VectorXd th(k + 3);
    th << beta, rho, lam, s2;
    const Eigen::Index p = th.size();
    Eigen::VectorXd h(p);
    for (Eigen::Index i = 0; i < p; ++i) h[i] = 1e-4 * std::max(1.0, std::abs(th[i]));
    h[k] = h[k + 1] = 1e-4;
    h[k + 2] = 1e-4 * s2;
    for (Eigen::Index i = 0; i < p; ++i)
      for (Eigen::Index j = i; j < p; ++j) {
        auto at = [&](double si, double sj) {
          Eigen::VectorXd t = th;
          t[i] += si * h[i];
          t[j] += sj * h[j];
          return ll(t);
        };
        const double v = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * h[i] * h[j]);
        info(i, j) = info(j, i) = -v;
      }
    if (!info.allFinite()) throw NumericalFailure{"numerical Hessian left the parameter space"};
  }
  const Eigen::MatrixXd v = invert_information(info);
  f.vcov = v.topLeftCorner(k + 2, k + 2);
  f.se = v.diagonal().head(k).array().sqrt();
  f.rho_se = std::sqrt(v(k, k));
  f.lambda_se = std::sqrt(v(k + 1, k + 1));
}

void compute_impacts(FitResult& f, const Design& d, const Weights& w, const LogDet& ld,
                     const ModelOptions& opt, Rng* rng) {
  // Regressors with an effect: every non-constant original column.
  std::vector<int> bases;
  for (std::size_t j = 0; j < d.names.size(); ++j)
    if (!d.is_lag[j] && d.base_of[j] >= 0) bases.push_back(static_cast<int>(j));
  const auto kk = static_cast<Eigen::Index>(bases.size());
  if (kk == 0) return;
  Impacts& im = f.impacts;
  for (int b : bases) im.names.push_back(d.names[static_cast<std::size_t>(b)]);
  std::vector<int> lag_of(bases.size(), -1);
  for (std::size_t m = 0; m < bases.size(); ++m)
    for (std::size_t j = 0; j < d.names.size(); ++j)
      if (d.is_lag[j] && d.base_of[j] == d.base_of[static_cast<std::size_t>(bases[m])])
        lag_of[m] = static_cast<int>(j);
  const bool lagged_y = has_rho(f.model);
  const ImpactCalculator calc(w, ld, opt.trace_order);
  auto evaluate = [&](const Eigen::VectorXd& coef, double rho, Eigen::VectorXd& dir,
                      Eigen::VectorXd& tot, bool exact) {
    dir.resize(kk);
    tot.resize(kk);
    const ImpactScalars s =
        lagged_y ? calc(rho, exact) : ImpactScalars{1.0, 0.0, 1.0, calc.mean_row_sum()};
    for (Eigen::Index m = 0; m < kk; ++m) {
      const double beta = coef[bases[static_cast<std::size_t>(m)]];
      const double theta = lag_of[static_cast<std::size_t>(m)] >= 0
                               ? coef[lag_of[static_cast<std::size_t>(m)]]
                               : 0.0;
      dir[m] = beta * s.m1 + theta * s.m2;
      tot[m] = beta * s.tau0 + theta * s.tau1;
    }
  };
  evaluate(f.coef, f.rho, im.direct, im.total, true);
  im.indirect = im.total - im.direct;
  if (opt.impact_draws <= 0 || rng == nullptr) return;
  // Simulated distribution: draws of (coef, rho) from N(estimate, vcov).
  const Eigen::Index kc = f.coef.size();
  const Eigen::Index p = kc + (lagged_y ? 1 : 0);
  Eigen::VectorXd mean(p);
  mean.head(kc) = f.coef;
  if (lagged_y) mean[kc] = f.rho;
  const Eigen::MatrixXd cov = f.vcov.topLeftCorner(p, p);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(cov);
  const Eigen::MatrixXd root =
      es.eigenvectors() * es.eigenvalues().cwiseMax(0.0).cwiseSqrt().asDiagonal();
  boost::random::normal_distribution<double> normal;
  const int R = opt.impact_draws;
  std::vector<std::vector<double>> draws(static_cast<std::size_t>(3 * kk), std::vector<double>(R));
  const auto [lo, hi] = ld.interval();
  if (lagged_y) calc.prepare_series(std::min(1.0, (std::abs(f.rho) + 4 * f.rho_se) / hi));
  Eigen::VectorXd z(p), dir, tot;
  for (int r = 0; r < R; ++r) {
    Eigen::VectorXd th;
    for (int attempt = 0;; ++attempt) {
      for (Eigen::Index i = 0; i < p; ++i) z[i] = normal(*rng);
      th = mean + root * z;
      if (!lagged_y || (th[kc] > lo && th[kc] < hi) || attempt > 100) break;
    }
    evaluate(th.head(kc), lagged_y ? th[kc] : 0.0, dir, tot, false);
    for (Eigen::Index m = 0; m < kk; ++m) {
      draws[static_cast<std::size_t>(m)][r] = dir[m];
      draws[static_cast<std::size_t>(kk + m)][r] = tot[m] - dir[m];
      draws[static_cast<std::size_t>(2 * kk + m)][r] = tot[m];
    }
  }
  im.draws = R;
  im.sd.resize(kk, 3);
  im.lower.resize(kk, 3);
  im.upper.resize(kk, 3);
  const double alpha = 1 - opt.confidence;
  for (Eigen::Index c = 0; c < 3; ++c)
    for (Eigen::Index m = 0; m < kk; ++m) {
      const auto& v = draws[static_cast<std::size_t>(c * kk + m)];
      im.sd(m, c) = stats::mean_sd(v).sd;
      im.lower(m, c) = stats::quantile(v, alpha / 2);
      im.upper(m, c) = stats::quantile(v, 1 - alpha / 2);
    }
}

}  // namespace

namespace {

FitResult fit_impl(Model model, const Eigen::VectorXd& y, const Design& d, const Ctx& c,
                   bool expected, const ModelOptions& opt, Rng* rng) {
  FitResult f;
  f.model = model;
  f.n = static_cast<std::size_t>(y.size());
  f.names = d.names;
  f.logdet_method = to_string(c.ld.method());
  f.information = expected ? "expected" : "observed";
  try {
    if (static_cast<double>(d.X.cols()) >= c.n_eff)
      throw NumericalFailure{std::to_string(d.X.cols()) + " coefficients for " +
                             std::to_string(c.n_eff) + " effective observations"};
    const bool ols_like = model == Model::kOls || model == Model::kSlx;
    ols_part(f, y, d, c, ols_like);
    if (ols_like) {
      f.logdet_method = "none";
      f.information = "ols";
    } else if (model == Model::kSar || model == Model::kSdm) {
      fit_lag(f, y, d, c, expected);
    } else if (model == Model::kSem || model == Model::kSdem) {
      fit_error(f, y, d, c, expected);
    } else {
      fit_sac(f, y, d, c, expected, opt.sac_grid);
    }
    const double nspatial = (has_rho(model) ? 1.0 : 0.0) + (has_lambda(model) ? 1.0 : 0.0);
    f.parameters = static_cast<std::size_t>(d.X.cols()) + static_cast<std::size_t>(nspatial) + 1;
    f.aic = -2 * f.loglik + 2 * static_cast<double>(f.parameters);
    if (!ols_like) {
      f.lr = 2 * (f.loglik - f.loglik_ols);
      f.lr_p = chi2_p(f.lr, nspatial);
      const double sp = has_rho(model) ? f.rho : f.lambda;
      const double se = has_rho(model) ? f.rho_se : f.lambda_se;
      f.wald = (sp / se) * (sp / se);
      f.wald_p = chi2_p(f.wald, 1);
    }
    if (!f.coef.allFinite() || !f.se.allFinite() || !std::isfinite(f.loglik))
      throw NumericalFailure{"non-finite estimates"};
    compute_impacts(f, d, c.w, c.ld, opt, rng);
  } catch (const NumericalFailure& e) {
    f.status =
        Status::Make(StatusCode::kNumericalFailure, std::string(to_string(model)) + ": " + e.what);
  }
  return f;
}

void check_inputs(const Eigen::VectorXd& y, const Eigen::MatrixXd& X,
                  const std::vector<std::string>& names, Eigen::Index rows,
                  const ModelOptions& opt) {
  REVEST_REQUIRE(y.size() == rows && X.rows() == rows, "spatial model: y has "
                                                           << y.size() << " and X " << X.rows()
                                                           << " rows, expected " << rows);
  REVEST_REQUIRE(static_cast<Eigen::Index>(names.size()) == X.cols(),
                 "spatial model: " << names.size() << " names for " << X.cols() << " columns");
  REVEST_REQUIRE(y.allFinite() && X.allFinite(), "spatial model: non-finite data");
  opt.validate();
}

}  // namespace

FitResult fit_model(Model model, const Eigen::VectorXd& y, const Eigen::MatrixXd& X,
                    const std::vector<std::string>& names, bool constant, const Weights& w,
                    const LogDet& logdet, const ModelOptions& opt, Rng* rng) {
  const auto n = static_cast<Eigen::Index>(w.size());
  check_inputs(y, X, names, n, opt);
  const Ctx c{w, logdet, w.size(), 1, false, false, 1.0, false, static_cast<double>(n)};
  const bool expected = opt.information == Information::kExpected ||
                        (opt.information == Information::kAuto && w.size() <= opt.dense_max_n);
  const Design d =
      make_design(model, X, names, constant, [&](const Eigen::VectorXd& v) { return c.raw_W(v); });
  return fit_impl(model, y, d, c, expected, opt, rng);
}

FitResult fit(const Eigen::VectorXd& y, const Eigen::MatrixXd& X, const Weights& W, Model model,
              const ModelOptions& options, Rng* rng) {
  options.validate();
  REVEST_REQUIRE(X.cols() >= 1, "spatial model: X has no columns");
  const bool constant = X.rows() > 0 && (X.col(0).array() == 1.0).all();
  std::vector<std::string> names;
  for (Eigen::Index j = 0; j < X.cols(); ++j) {
    std::string name = constant && j == 0 ? "(Intercept)" : "x";
    if (!(constant && j == 0)) name += std::to_string(j + (constant ? 0 : 1));
    names.push_back(std::move(name));
  }
  const LogDet logdet(W, options.logdet);
  return fit_model(model, y, X, names, constant, W, logdet, options, rng);
}

const char* to_string(Effects e) {
  switch (e) {
    case Effects::kNone:
      return "none";
    case Effects::kUnit:
      return "unit";
    case Effects::kTime:
      return "time";
    case Effects::kTwoWay:
      return "twoway";
  }
  return "?";
}

Effects effects_from_string(const std::string& s) {
  for (auto e : {Effects::kNone, Effects::kUnit, Effects::kTime, Effects::kTwoWay})
    if (s == to_string(e)) return e;
  REVEST_FAIL("unknown fixed effects '" << s << "' (none, unit, time, twoway)");
}

FitResult fit_panel_model(Model model, const Eigen::VectorXd& y, const Eigen::MatrixXd& X,
                          const std::vector<std::string>& names, bool constant, std::size_t T,
                          Effects effects, bool bias_correction, const Weights& w,
                          const LogDet& logdet, const ModelOptions& opt, Rng* rng) {
  const std::size_t N = w.size();
  REVEST_REQUIRE(T >= 2, "spatial panel: need at least 2 periods");
  check_inputs(y, X, names, static_cast<Eigen::Index>(N * T), opt);
  const bool unit = effects == Effects::kUnit || effects == Effects::kTwoWay;
  const bool time = effects == Effects::kTime || effects == Effects::kTwoWay;
  REVEST_REQUIRE(!(constant && (unit || time)),
                 "spatial panel: a constant column cannot be combined with fixed effects");
  REVEST_REQUIRE(
      !(time && bias_correction) || w.row_standardised,
      "spatial panel: the Lee-Yu correction with time effects needs row-standardised weights");
  const double Td = static_cast<double>(T), Nd = static_cast<double>(N);
  Ctx c{w, logdet, N, T, unit, time, Td, false, Nd * Td};
  if (bias_correction) {
    c.t_eff = unit ? Td - 1 : Td;
    c.drop_unit_root = time;
    c.n_eff = (time ? Nd - 1 : Nd) * (unit ? Td - 1 : Td);
  }
  Design d =
      make_design(model, X, names, constant, [&](const Eigen::VectorXd& v) { return c.raw_W(v); });
  Eigen::VectorXd yd = y;
  c.demean(yd);
  for (Eigen::Index j = 0; j < d.X.cols(); ++j) c.demean(d.X.col(j));
  FitResult f = fit_impl(model, yd, d, c, false, opt, rng);
  return f;
}

}  // namespace revest::spatial
