#include "dea/sw_bootstrap.hpp"

#include <algorithm>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <cmath>
#include <limits>
#include <sstream>

#include "core/error.hpp"
#include "core/stats.hpp"
#include "dea/radial.hpp"

namespace revest::dea {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

const char* to_string(BandwidthRule r) {
  return r == BandwidthRule::kBenchmarking ? "benchmarking" : "silverman";
}

BandwidthRule bandwidth_rule_from_string(const std::string& s) {
  if (s == "silverman") return BandwidthRule::kSilverman;
  if (s == "benchmarking") return BandwidthRule::kBenchmarking;
  REVEST_FAIL("unknown bandwidth rule '" << s << "' (silverman or benchmarking)");
}

void SwOptions::validate() const {
  REVEST_REQUIRE(
      std::isfinite(bandwidth) && bandwidth >= 0,
      "SW98 bootstrap options: bandwidth must be >= 0 (0 = the rule), got " << bandwidth);
  REVEST_REQUIRE(efficient_tolerance >= 0 && efficient_tolerance < 1e-3,
                 "SW98 bootstrap options: efficient_tolerance must be in [0, 1e-3), got "
                     << efficient_tolerance);
  REVEST_REQUIRE(confidence > 0 && confidence < 1,
                 "SW98 bootstrap options: confidence must be in (0, 1), got " << confidence);
}

double bandwidth_silverman(const std::vector<double>& theta, double efficient_tolerance) {
  std::vector<double> refl, refl_ineff;
  refl.reserve(2 * theta.size());
  for (double t : theta) {
    refl.push_back(t);
    refl.push_back(2.0 - t);
    if (t < 1.0 - efficient_tolerance) {
      refl_ineff.push_back(t);
      refl_ineff.push_back(2.0 - t);
    }
  }
  // Every unit efficient: the reflected set is a point mass at 1; there is nothing to smooth.
  if (refl_ineff.empty()) return 0.0;
  double spread = stats::mean_sd(refl).sd;
  // The IQR over the inefficient units only: the atom of efficient units at 1 would make it 0.
  const double iqr = stats::quantile(refl_ineff, 0.75) - stats::quantile(refl_ineff, 0.25);
  if (iqr > 0) spread = std::min(spread, iqr / 1.34);
  return 0.9 * spread * std::pow(static_cast<double>(theta.size()), -0.2);
}

double bandwidth_benchmarking(const std::vector<double>& theta) {
  // dea.boot.R (Benchmarking, svn revision 229): the inefficient scores (1 / theta > 1 + 1e-6)
  // reflected at 1 on the Farrell scale, Silverman's spread with 1.349, and the factor
  // sd(1 / theta) / sd(reflected) (m2 / n)^(1/5) of Daraio & Simar (2007, eq. 3.26).
  std::vector<double> dist, neff;
  for (double t : theta) {
    dist.push_back(1.0 / t);
    if (1.0 / t > 1.0 + 1e-6) neff.push_back(t);
  }
  if (neff.empty()) return 0.0;  // dea.boot stops here ("the range of efficiencies is degenerate")
  const std::size_t m = neff.size();
  for (std::size_t i = 0; i < m; ++i) neff.push_back(2.0 - neff[i]);
  const double sd_neff = stats::mean_sd(neff).sd;
  const double adjust =
      stats::mean_sd(dist).sd / sd_neff *
      std::pow(static_cast<double>(neff.size()) / static_cast<double>(dist.size()), 0.2);
  double spread = sd_neff;
  const double iqr = (stats::quantile(neff, 0.75) - stats::quantile(neff, 0.25)) / 1.349;
  if (iqr > 1e-6 && iqr < spread) spread = iqr;
  return adjust * 0.9 * spread * std::pow(static_cast<double>(neff.size()), -0.2);
}

double bandwidth(const std::vector<double>& theta, const SwOptions& options) {
  if (options.bandwidth > 0) return options.bandwidth;
  std::vector<double> f;
  for (double a : theta)
    if (std::isfinite(a)) f.push_back(a);
  return options.bandwidth_rule == BandwidthRule::kBenchmarking
             ? bandwidth_benchmarking(f)
             : bandwidth_silverman(f, options.efficient_tolerance);
}

std::vector<double> draw_pseudo_scores(const std::vector<double>& theta, double h, Rng& rng,
                                       bool shephard) {
  // Units whose LP failed (NaN) are not drawn from; they get NaN (and keep their inputs).
  // The draw runs on v = theta (Farrell, in (0, 1]) or v = 1 / theta (Shephard, >= 1), reflected
  // at 1 either way.
  std::vector<double> fin;
  for (double t : theta)
    if (std::isfinite(t)) fin.push_back(shephard ? 1.0 / t : t);
  const std::size_t n = theta.size(), nf = fin.size();
  std::vector<double> out(n, kNaN);
  if (nf == 0) return out;
  // Variance of the 2 nf reflected values (their mean is 1 by symmetry): divisor 2 nf, or
  // 2 nf - 1 as R's var() in dea.boot.
  double vr = 0;
  for (double t : fin) vr += 2.0 * (t - 1.0) * (t - 1.0);
  vr /= shephard ? static_cast<double>(2 * nf - 1) : static_cast<double>(2 * nf);
  boost::random::uniform_int_distribution<std::size_t> pick(0, 2 * nf - 1);
  boost::random::normal_distribution<double> nd;
  std::vector<double> beta(n);
  double bbar = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(theta[i])) continue;
    const std::size_t j = pick(rng);
    beta[i] = j < nf ? fin[j] : 2.0 - fin[j - nf];
    bbar += beta[i] / static_cast<double>(nf);
  }
  const double corr = vr > 0 ? 1.0 / std::sqrt(1.0 + h * h / vr) : 1.0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(theta[i])) continue;
    if (shephard) {
      // dea.sample: D* = t if t >= 1, else 2 - t (>= 1 always); theta* = 1 / D* in (0, 1].
      const double t = bbar + (beta[i] + h * nd(rng) - bbar) * corr;
      out[i] = 1.0 / (t < 1.0 ? 2.0 - t : t);
      continue;
    }
    // A draw beyond the reflection (t* > 2 or <= 0, theta* <= 0) is redrawn: theta* in (0, 1].
    for (int attempt = 0; attempt < 1000; ++attempt) {
      const double t = bbar + (beta[i] + h * nd(rng) - bbar) * corr;
      const double r = t <= 1.0 ? t : 2.0 - t;
      if (r > 0.0) {
        out[i] = r;
        break;
      }
    }
  }
  return out;
}

Eigen::MatrixXd rescale_rows(Eigen::MatrixXd m, const std::vector<double>& num,
                             const std::vector<double>& den) {
  for (std::size_t i = 0; i < num.size(); ++i) {
    const double ratio = std::isfinite(num[i]) && std::isfinite(den[i]) ? num[i] / den[i] : 1.0;
    m.row(static_cast<Eigen::Index>(i)) *= ratio;
  }
  return m;
}

Eigen::MatrixXd pseudo_inputs(const Eigen::MatrixXd& x, const std::vector<double>& theta, double h,
                              Rng& rng, BandwidthRule rule) {
  return rescale_rows(x, theta,
                      draw_pseudo_scores(theta, h, rng, rule == BandwidthRule::kBenchmarking));
}

Eigen::MatrixXd pseudo_outputs(const Eigen::MatrixXd& y, const std::vector<double>& delta, double h,
                               Rng& rng, BandwidthRule rule) {
  return rescale_rows(y, draw_pseudo_scores(delta, h, rng, rule == BandwidthRule::kBenchmarking),
                      delta);
}

std::vector<double> output_scores_against(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                                          const Eigen::MatrixXd& ys, Returns returns) {
  DeaOptions o;
  o.returns = returns;
  o.orientation = Orientation::kOutput;
  o.slacks = false;
  o.efficient_tolerance = 0;  // replicate scores are not classified
  const DeaResult r = solve_dea(x, y, x, ys, o);
  std::vector<double> out(r.efficiency.size(), kNaN);
  for (std::size_t i = 0; i < out.size(); ++i)
    if (r.unit_status[i] == StatusCode::kOk) out[i] = r.efficiency[i];
  return out;
}

namespace {

/// Clp's radial input score of row i of (x, y) against (xs, ys); NaN if the LP fails.
double clp_score(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, Eigen::Index i,
                 const Eigen::MatrixXd& xs, const Eigen::MatrixXd& ys, Returns returns) {
  DeaOptions o;
  o.returns = returns;
  o.slacks = false;
  o.efficient_tolerance = 0;  // replicate scores are not classified (as the RadialSolver's)
  try {
    const DeaResult r = solve_dea(x.row(i), y.row(i), xs, ys, o);
    if (r.unit_status[0] == StatusCode::kOk) return r.farrell[0];
  } catch (const Error&) {
    // Bad data for Clp (cannot happen for validated inputs): the score stays NaN.
  }
  return kNaN;
}

}  // namespace

std::vector<double> scores_against(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                                   const Eigen::MatrixXd& xs, const DeaResult& point,
                                   Returns returns) {
  const auto n = static_cast<std::size_t>(x.rows());
  RadialSolver solver(xs, y, returns);
  const Eigen::MatrixXd xT = x.transpose(), yT = y.transpose();
  std::vector<double> out(n, kNaN);
  std::vector<int> hint;
  for (std::size_t i = 0; i < n; ++i) {
    const auto ii = static_cast<Eigen::Index>(i);
    hint.clear();
    for (const auto& p : point.peers[i]) hint.push_back(p.first);
    const auto sol = solver.solve(xT.col(ii), yT.col(ii), static_cast<int>(i), hint);
    out[i] = sol.ok ? sol.theta : clp_score(x, y, ii, xs, y, returns);
  }
  return out;
}

std::vector<double> scores_against_reference(const Eigen::MatrixXd& x_eval,
                                             const Eigen::MatrixXd& y_eval,
                                             const Eigen::MatrixXd& x_ref,
                                             const Eigen::MatrixXd& y_ref, Returns returns,
                                             bool twins) {
  REVEST_REQUIRE(x_eval.rows() == y_eval.rows() && x_ref.rows() == y_ref.rows() &&
                     x_eval.cols() == x_ref.cols() && y_eval.cols() == y_ref.cols() &&
                     (!twins || x_eval.rows() == x_ref.rows()),
                 "scores_against_reference: mismatched data ("
                     << x_eval.rows() << " x " << x_eval.cols() << " / " << y_eval.cols()
                     << " evaluated, " << x_ref.rows() << " x " << x_ref.cols() << " / "
                     << y_ref.cols() << " reference)");
  const auto n = static_cast<std::size_t>(x_eval.rows());
  RadialSolver solver(x_ref, y_ref, returns);
  const Eigen::MatrixXd xT = x_eval.transpose(), yT = y_eval.transpose();
  std::vector<double> out(n, kNaN);
  for (std::size_t i = 0; i < n; ++i) {
    const auto ii = static_cast<Eigen::Index>(i);
    const auto sol = solver.solve(xT.col(ii), yT.col(ii), twins ? static_cast<int>(i) : -1);
    out[i] = sol.ok ? sol.theta : clp_score(x_eval, y_eval, ii, x_ref, y_ref, returns);
  }
  return out;
}

std::vector<double> sw_replication(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                                   const DeaResult& point, double h, const SwOptions& options,
                                   Rng& rng) {
  const Eigen::MatrixXd xs = pseudo_inputs(x, point.farrell, h, rng, options.bandwidth_rule);
  return scores_against(x, y, xs, point, options.returns);
}

SwSummary summarize_sw(const std::vector<double>& theta, const Eigen::MatrixXd& draws,
                       double confidence) {
  const std::size_t n = theta.size();
  REVEST_REQUIRE(static_cast<std::size_t>(draws.cols()) == n,
                 "SW98 summary: " << draws.cols() << " columns of draws for " << n << " units");
  SwSummary s;
  for (auto* v : {&s.bias, &s.bias_corrected, &s.variance, &s.lower, &s.upper}) v->assign(n, kNaN);
  s.replicates.assign(n, 0);
  std::vector<double> finite;
  for (std::size_t i = 0; i < n; ++i) {
    // The same arithmetic as the job's summaries (core/replication_summary.cpp): finite values
    // sorted, then mean, sd and type-7 quantiles, so both give the same bits.
    finite.clear();
    for (Eigen::Index b = 0; b < draws.rows(); ++b) {
      const double v = draws(b, static_cast<Eigen::Index>(i));
      if (!std::isnan(v)) finite.push_back(v);
    }
    std::sort(finite.begin(), finite.end());
    const stats::MeanSd ms = stats::mean_sd(finite);
    const double q_lo = stats::quantile(finite, (1 - confidence) / 2);
    const double q_hi = stats::quantile(finite, (1 + confidence) / 2);
    const double t = theta[i];
    s.replicates[i] = ms.n;
    s.bias[i] = ms.mean - t;
    s.bias_corrected[i] = 2 * t - ms.mean;
    s.variance[i] = ms.sd * ms.sd;
    s.lower[i] = 2 * t - q_hi;
    s.upper[i] = 2 * t - q_lo;
  }
  return s;
}

std::string SwBootstrapResult::brief_report() const {
  std::ostringstream os;
  const std::size_t n = point.farrell.size();
  double bias = 0, width = 0;
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (std::isfinite(summary.bias[i]) && std::isfinite(summary.upper[i] - summary.lower[i])) {
      bias += summary.bias[i];
      width += summary.upper[i] - summary.lower[i];
      ++k;
    }
  os << "Simar-Wilson (1998) bootstrap of " << to_string(options.returns)
     << " input efficiency: " << n << " units, " << replicates.rows() << " replications, bandwidth "
     << bandwidth << " (" << (options.bandwidth > 0 ? "fixed" : to_string(options.bandwidth_rule))
     << "); mean bias " << (k ? bias / static_cast<double>(k) : kNaN) << ", mean width of the "
     << options.confidence * 100 << "% intervals " << (k ? width / static_cast<double>(k) : kNaN)
     << "; status " << status.to_string() << ".";
  return os.str();
}

SwBootstrapResult simar_wilson_bootstrap(const Eigen::MatrixXd& X, const Eigen::MatrixXd& Y,
                                         const SwOptions& options, const RngKey& key,
                                         std::size_t replications) {
  options.validate();
  REVEST_REQUIRE(replications >= 1, "SW98 bootstrap: needs at least one replication");
  SwBootstrapResult r;
  r.options = options;
  DeaOptions o;
  o.returns = options.returns;
  o.slacks = false;
  o.efficient_tolerance = options.efficient_tolerance;
  r.point = solve_dea(X, Y, o);
  r.bandwidth = bandwidth(r.point.farrell, options);
  const auto n = static_cast<Eigen::Index>(X.rows());
  r.replicates.resize(static_cast<Eigen::Index>(replications), n);
  for (std::size_t b = 0; b < replications; ++b) {
    Rng rng = key.stream(static_cast<std::uint32_t>(b));
    const std::vector<double> s = sw_replication(X, Y, r.point, r.bandwidth, options, rng);
    r.replicates.row(static_cast<Eigen::Index>(b)) =
        Eigen::Map<const Eigen::RowVectorXd>(s.data(), n);
  }
  r.summary = summarize_sw(r.point.farrell, r.replicates, options.confidence);
  r.status = r.point.status;
  for (std::size_t i = 0; i < static_cast<std::size_t>(n) && r.status.ok(); ++i)
    if (r.summary.replicates[i] == 0)
      r.status = Status::Make(StatusCode::kNumericalFailure,
                              "unit " + std::to_string(i) + " has no finite replication");
  return r;
}

}  // namespace revest::dea
