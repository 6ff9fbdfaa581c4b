#include "dea/three_stage.hpp"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>

#include "core/error.hpp"
#include "core/replication_summary.hpp"
#include "core/stats.hpp"
#include "dea/radial.hpp"
#include "optim/minimize.hpp"

namespace revest::dea {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const char* default_use(const std::string& which) {
  if (which == "inputs") return "dea_input";
  if (which == "outputs") return "dea_output";
  return "environment";
}

Returns other_returns(Returns r) { return r == Returns::kVrs ? Returns::kCrs : Returns::kVrs; }

void write(std::span<double> out, std::size_t offset, const std::vector<double>& v) {
  std::copy(v.begin(), v.end(), out.begin() + static_cast<std::ptrdiff_t>(offset));
}

std::string peers_string(const std::vector<std::pair<int, double>>& peers,
                         const std::vector<std::int64_t>& adcode) {
  std::ostringstream os;
  os.precision(6);
  for (std::size_t k = 0; k < peers.size(); ++k)
    os << (k ? ";" : "") << adcode[static_cast<std::size_t>(peers[k].first)] << ":" << peers[k].second;
  return os.str();
}

}  // namespace

// ---- options ----

ThreeStageOptions ThreeStageOptions::from(const io::OptionView& view) {
  ThreeStageOptions o;
  o.inputs = view.get_strings("inputs");
  o.outputs = view.get_strings("outputs");
  o.environment = view.get_strings("environment");
  o.returns = view.get_choice("returns", {"vrs", "crs"});
  o.sfa_distribution = view.get_choice("sfa_distribution", {"half_normal", "truncated_normal"});
  o.zero_slacks = view.get_choice("zero_slacks", {"exclude", "include"});
  o.slack_scale = view.get_choice("slack_scale", {"level", "ratio"});
  o.bootstrap = view.get_choice("bootstrap", {"scores", "three_stage"});
  const std::int64_t reps = view.get_int("replications");
  REVEST_REQUIRE(reps >= 1 && reps <= (std::int64_t{1} << 32),
                 view.where("replications") << ": must be in [1, 2^32], got " << reps);
  o.replications = static_cast<std::size_t>(reps);
  o.confidence = view.get_double("confidence");
  REVEST_REQUIRE(o.confidence > 0 && o.confidence < 1,
                 view.where("confidence") << ": " << o.confidence << " is not in (0, 1)");
  o.bandwidth = view.get_double("bandwidth");
  REVEST_REQUIRE(std::isfinite(o.bandwidth) && o.bandwidth >= 0,
                 view.where("bandwidth") << ": must be >= 0 (0 = rule of thumb), got " << o.bandwidth);
  o.bandwidth_rule = view.get_choice("bandwidth_rule", {"silverman", "benchmarking"});
  o.efficient_tolerance = view.get_double("efficient_tolerance");
  REVEST_REQUIRE(o.efficient_tolerance >= 0 && o.efficient_tolerance < 1e-3,
                 view.where("efficient_tolerance") << ": must be in [0, 1e-3), got "
                                                   << o.efficient_tolerance);
  o.slack_tolerance = view.get_double("slack_tolerance");
  REVEST_REQUIRE(o.slack_tolerance >= 0 && o.slack_tolerance < 1e-2,
                 view.where("slack_tolerance") << ": must be in [0, 1e-2), got " << o.slack_tolerance);
  o.truncated_regression = view.get_bool("truncated_regression");
  return o;
}

std::vector<std::string> ThreeStageOptions::resolved(const std::string& which,
                                                     const io::IndicatorSystem& s) const {
  const std::vector<std::string>& given =
      which == "inputs" ? inputs : which == "outputs" ? outputs : environment;
  if (!given.empty()) return given;
  return s.used_by(default_use(which));
}

// ---- truncated regression ----

TruncatedRegression fit_truncated_regression(const Eigen::VectorXd& y, const Eigen::MatrixXd& X,
                                             double lower, bool standard_errors,
                                             const Eigen::VectorXd* start) {
  const Eigen::Index n = y.size(), k = X.cols();
  TruncatedRegression r;
  REVEST_REQUIRE(X.rows() == n, "truncated regression: " << n << " values, " << X.rows() << " rows");
  if (n < k + 2) {
    r.message = "too few units (" + std::to_string(n) + ") above the truncation point";
    return r;
  }
  // Rescale the regressors (constant columns keep scale 1).
  Eigen::VectorXd sx(k);
  for (Eigen::Index j = 0; j < k; ++j) {
    const double sd =
        stats::mean_sd(std::span<const double>(X.col(j).data(), static_cast<std::size_t>(n))).sd;
    sx[j] = sd > 0 ? sd : 1.0;
  }
  const Eigen::MatrixXd Xs = X * sx.cwiseInverse().asDiagonal();
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(Xs);
  if (qr.rank() < k) {
    r.message = "the regressors are collinear on the truncated sample";
    return r;
  }
  Eigen::VectorXd b0 = qr.solve(y);
  const double s0 = std::sqrt(std::max(1e-12, (y - Xs * b0).squaredNorm() / double(n)));
  // phi = (b, ln s); negative log-likelihood.
  const optim::Objective f = [&](const Eigen::VectorXd& phi, Eigen::VectorXd& g) {
    const Eigen::VectorXd b = phi.head(k);
    const double s = std::exp(phi[k]);
    const Eigen::VectorXd xb = Xs * b;
    double ll = 0, dls = 0;
    Eigen::VectorXd db = Eigen::VectorXd::Zero(k);
    for (Eigen::Index i = 0; i < n; ++i) {
      const double rr = (y[i] - xb[i]) / s, c = (xb[i] - lower) / s;
      const double mc = sfa::mills_ratio(c);
      ll += -std::log(s) - 0.5 * rr * rr - sfa::log_norm_cdf(c);
      db += ((rr - mc) / s) * Xs.row(i).transpose();
      dls += -1.0 + rr * rr + mc * c;
    }
    g.head(k) = -db;
    g[k] = -dls;
    return -ll;
  };
  Eigen::VectorXd phi(k + 1);
  phi.head(k) = b0;
  phi[k] = std::log(s0);
  if (start && start->size() == k + 1 && start->allFinite() && (*start)[k] > 0) {
    phi.head(k) = start->head(k).cwiseProduct(sx);  // scaled coefficients
    phi[k] = std::log((*start)[k]);
  }
  optim::MinimizeOptions mo;
  mo.gradient_tolerance = 1e-8;
  mo.acceptable_gradient = 1e-5 * double(n);
  const auto mr = optim::minimize(f, phi, mo);
  r.converged = mr.converged;
  r.message = mr.reason;
  r.beta = mr.x.head(k).cwiseQuotient(sx);
  r.sigma = std::exp(mr.x[k]);
  r.loglik = -mr.value - 0.5 * double(n) * std::log(2.0 * 3.14159265358979323846);
  r.beta_se = Eigen::VectorXd::Constant(k, kNaN);
  r.sigma_se = kNaN;
  if (standard_errors && r.converged) {
    const Eigen::MatrixXd H = optim::hessian_from_gradient(f, mr.x, 1e-5);
    Eigen::LLT<Eigen::MatrixXd> llt(H);
    if (llt.info() == Eigen::Success) {
      const Eigen::MatrixXd cov = llt.solve(Eigen::MatrixXd::Identity(k + 1, k + 1));
      for (Eigen::Index j = 0; j < k; ++j) r.beta_se[j] = std::sqrt(cov(j, j)) / sx[j];
      r.sigma_se = std::sqrt(cov(k, k)) * r.sigma;  // delta method from ln s
    }
  }
  return r;
}

// ---- SW98 pieces ----

double ThreeStageDeaAnalysis::bandwidth_rule(const std::vector<double>& theta,
                                             double efficient_tolerance) {
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

double ThreeStageDeaAnalysis::bandwidth_benchmarking(const std::vector<double>& theta) {
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
  const double adjust = stats::mean_sd(dist).sd / sd_neff *
                        std::pow(static_cast<double>(neff.size()) / static_cast<double>(dist.size()), 0.2);
  double spread = sd_neff;
  const double iqr = (stats::quantile(neff, 0.75) - stats::quantile(neff, 0.25)) / 1.349;
  if (iqr > 1e-6 && iqr < spread) spread = iqr;
  return adjust * 0.9 * spread * std::pow(static_cast<double>(neff.size()), -0.2);
}

double ThreeStageDeaAnalysis::bandwidth_of(const std::vector<double>& theta) const {
  if (options_.bandwidth > 0) return options_.bandwidth;
  std::vector<double> f;
  for (double a : theta)
    if (std::isfinite(a)) f.push_back(a);
  return options_.bandwidth_rule == "benchmarking" ? bandwidth_benchmarking(f)
                                                   : bandwidth_rule(f, options_.efficient_tolerance);
}

std::vector<double> ThreeStageDeaAnalysis::draw_pseudo_scores(const std::vector<double>& theta,
                                                              double h, Rng& rng, bool shephard) {
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

Eigen::MatrixXd ThreeStageDeaAnalysis::pseudo_inputs(const Eigen::MatrixXd& x,
                                                     const std::vector<double>& theta, double h,
                                                     Rng& rng) const {
  const std::vector<double> ts =
      draw_pseudo_scores(theta, h, rng, options_.bandwidth_rule == "benchmarking");
  Eigen::MatrixXd xs = x;
  for (std::size_t i = 0; i < theta.size(); ++i) {
    // A unit whose LP failed in the point estimate keeps its observed inputs.
    const double ratio = std::isfinite(theta[i]) && std::isfinite(ts[i]) ? theta[i] / ts[i] : 1.0;
    xs.row(static_cast<Eigen::Index>(i)) *= ratio;
  }
  return xs;
}

std::vector<double> ThreeStageDeaAnalysis::scores_against(const Eigen::MatrixXd& x,
                                                          const Eigen::MatrixXd& y,
                                                          const Eigen::MatrixXd& xs,
                                                          const DeaResult& point) const {
  const auto n = static_cast<std::size_t>(x.rows());
  RadialSolver solver(xs, y, main_);
  const Eigen::MatrixXd xT = x.transpose(), yT = y.transpose();
  std::vector<double> out(n, kNaN);
  std::vector<int> hint;
  for (std::size_t i = 0; i < n; ++i) {
    const auto ii = static_cast<Eigen::Index>(i);
    hint.clear();
    for (const auto& p : point.peers[i]) hint.push_back(p.first);
    const auto sol = solver.solve(xT.col(ii), yT.col(ii), static_cast<int>(i), hint);
    if (sol.ok) {
      out[i] = sol.theta;
    } else {
      DeaOptions o;
      o.returns = main_;
      o.slacks = false;
      o.efficient_tolerance = 0;  // replicate scores are not classified (as the RadialSolver's)
      try {
        const DeaResult r = solve_dea(x.row(ii), y.row(ii), xs, y, o);
        if (r.status[0] == DeaStatus::kOptimal) out[i] = r.farrell[0];
      } catch (const Error&) {
        // Bad data for Clp (cannot happen for validated inputs): the score stays NaN.
      }
    }
  }
  return out;
}

// ---- stage 2 ----

Eigen::MatrixXd ThreeStageDeaAnalysis::usable_slacks(const Eigen::MatrixXd& slack,
                                                     const std::vector<DeaStatus>& status,
                                                     const Eigen::MatrixXd& x) const {
  Eigen::MatrixXd S = slack.cwiseMax(0.0);
  for (Eigen::Index i = 0; i < S.rows(); ++i)
    for (Eigen::Index k = 0; k < S.cols(); ++k)
      if (zero_slack(S(i, k), x(i, k))) S(i, k) = 0.0;
  for (std::size_t i = 0; i < status.size(); ++i)
    if (status[i] != DeaStatus::kOptimal) S.row(static_cast<Eigen::Index>(i)).setZero();
  if (options_.slack_scale == "ratio") S = S.cwiseQuotient(x);  // share of the input that is slack
  return S;
}

ThreeStageDeaAnalysis::Stage2 ThreeStageDeaAnalysis::fit_stage2(
    const Eigen::MatrixXd& S, const Eigen::MatrixXd& Z, const std::vector<std::string>& znames,
    const std::string& ctx) const {
  const auto m = static_cast<std::size_t>(S.cols());
  sfa::SfaOptions so;
  so.frontier = sfa::Frontier::kCost;
  so.distribution = sfa::distribution_from_string(options_.sfa_distribution);
  Stage2 st;
  st.fit.resize(m);
  st.status.resize(m);
  st.units.assign(m, 0);
  for (std::size_t k = 0; k < m; ++k) {
    const auto kk = static_cast<Eigen::Index>(k);
    // Units entering the fit: all, or (zero_slacks = "exclude") those with positive slack.
    // usable_slacks has set every slack classified as zero (zero_slack, slack_tolerance) to
    // exactly 0, so "positive" here is that classification, not LP rounding.
    std::vector<Eigen::Index> rows;
    for (Eigen::Index i = 0; i < S.rows(); ++i)
      if (options_.zero_slacks == "include" || S(i, kk) != 0.0) rows.push_back(i);
    Eigen::VectorXd Sf(static_cast<Eigen::Index>(rows.size()));
    Eigen::MatrixXd Zf(Sf.size(), Z.cols());
    for (std::size_t r = 0; r < rows.size(); ++r) {
      Sf[static_cast<Eigen::Index>(r)] = S(rows[r], kk);
      Zf.row(static_cast<Eigen::Index>(r)) = Z.row(rows[r]);
    }
    st.units[k] = static_cast<int>(rows.size());
    if (Sf.size() < Z.cols() + 4 ||
        Sf.maxCoeff() - Sf.minCoeff() <= 1e-12 * Sf.cwiseAbs().maxCoeff()) {
      st.status[k] = "no_variation";
      continue;
    }
    st.fit[k] = sfa::fit_sfa(Sf, Zf, so, znames, ctx + ", input '" + inputs_[k] + "'");
    st.status[k] = sfa::to_string(st.fit[k].status);
  }
  return st;
}

ThreeStageDeaAnalysis::Stage2Terms ThreeStageDeaAnalysis::stage2_terms(
    const Stage2& st, const Eigen::MatrixXd& S, const Eigen::MatrixXd& Z) const {
  sfa::SfaOptions so;
  so.frontier = sfa::Frontier::kCost;
  Stage2Terms t{Eigen::MatrixXd::Zero(S.rows(), S.cols()), Eigen::MatrixXd::Zero(S.rows(), S.cols())};
  for (std::size_t k = 0; k < st.fit.size(); ++k) {
    if (st.status[k] == "no_variation") continue;  // zero terms: the input is not adjusted
    const auto kk = static_cast<Eigen::Index>(k);
    sfa::SfaResult f = st.fit[k];
    sfa::unit_estimates(f, S.col(kk), Z, so);  // every unit, with its own JLMS noise
    t.zb.col(kk) = Z * f.beta;
    t.v.col(kk) = f.noise;
  }
  return t;
}

Eigen::MatrixXd ThreeStageDeaAnalysis::Stage2Terms::worst() const {
  Eigen::MatrixXd w(2, zb.cols());
  w.row(0) = zb.colwise().maxCoeff();
  w.row(1) = v.colwise().maxCoeff();
  return w;
}

Eigen::MatrixXd ThreeStageDeaAnalysis::adjust_inputs(const Stage2Terms& t, const Eigen::MatrixXd& x,
                                                     const Eigen::MatrixXd& worst) const {
  Eigen::MatrixXd x_adj = x;
  for (Eigen::Index k = 0; k < x.cols(); ++k) {
    const Eigen::ArrayXd add =
        (worst(0, k) - t.zb.col(k).array()) + (worst(1, k) - t.v.col(k).array());
    if (options_.slack_scale == "ratio")
      x_adj.col(k) = (x.col(k).array() * (1.0 + add)).matrix();
    else
      x_adj.col(k) = (x.col(k).array() + add).matrix();
  }
  return x_adj;
}

// ---- analysis ----

ThreeStageDeaAnalysis::ThreeStageDeaAnalysis(std::string name, const io::Geography& geo,
                                             const io::Panel& panel,
                                             const io::IndicatorSystem& indicators,
                                             ThreeStageOptions options)
    : name_(std::move(name)), options_(std::move(options)) {
  const std::string ctx = "three_stage_dea '" + name_ + "'";
  main_ = returns_from_string(options_.returns);
  inputs_ = options_.resolved("inputs", indicators);
  outputs_ = options_.resolved("outputs", indicators);
  env_ = options_.resolved("environment", indicators);
  REVEST_REQUIRE(!inputs_.empty(), ctx << ": no inputs (option 'inputs' or use \"dea_input\")");
  REVEST_REQUIRE(!outputs_.empty(), ctx << ": no outputs (option 'outputs' or use \"dea_output\")");
  REVEST_REQUIRE(!env_.empty(), ctx << ": no environment variables (option 'environment' or use "
                                       "\"environment\")");
  N_ = panel.num_counties;
  T_ = panel.num_years();
  REVEST_REQUIRE(geo.size() == N_, ctx << ": the panel has " << N_ << " counties, the geography "
                                       << geo.size());
  const std::size_t m = inputs_.size(), s = outputs_.size(), p = env_.size();
  REVEST_REQUIRE(N_ >= m + s + p + 2, ctx << ": " << N_ << " counties are too few for " << m
                                          << " inputs, " << s << " outputs and " << p
                                          << " environment variables");
  for (const auto& c : geo.counties) {
    adcode_.push_back(c.adcode_ref);
    county_name_.push_back(c.name_ref);
    province_.push_back(c.province_en);
  }
  auto fill = [&](const std::vector<std::string>& vars, std::size_t t, bool positive,
                  Eigen::MatrixXd& M) {
    M.resize(static_cast<Eigen::Index>(N_), static_cast<Eigen::Index>(vars.size()));
    for (std::size_t k = 0; k < vars.size(); ++k) {
      REVEST_REQUIRE(panel.has(vars[k]), ctx << ": variable '" << vars[k] << "' is not in the panel");
      const auto v = panel.variable_index(vars[k]);
      for (std::size_t i = 0; i < N_; ++i) {
        const double val = panel.at(v, i, t);
        REVEST_REQUIRE(std::isfinite(val) && (!positive || val > 0),
                       ctx << ": " << vars[k] << " = " << val << " for county "
                           << county_name_[i] << " (" << adcode_[i] << "), year "
                           << panel.years[t]
                           << (positive ? " (DEA inputs and outputs must be positive)" : ""));
        M(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k)) = val;
      }
    }
  };
  DeaOptions main_opts;
  main_opts.returns = main_;
  main_opts.efficient_tolerance = options_.efficient_tolerance;
  main_opts.slack_tolerance = options_.slack_tolerance;
  DeaOptions other_opts = main_opts;
  other_opts.returns = other_returns(main_);
  other_opts.slacks = false;

  years_.resize(T_);
  for (std::size_t t = 0; t < T_; ++t) {
    ThreeStageYear& Y = years_[t];
    Y.year = panel.years[t];
    fill(inputs_, t, true, Y.x);
    fill(outputs_, t, true, Y.y);
    fill(env_, t, false, Y.z);
    std::vector<std::string> labels(N_);
    for (std::size_t i = 0; i < N_; ++i)
      labels[i] = "county " + county_name_[i] + " (" + std::to_string(adcode_[i]) + "), year " +
                  std::to_string(Y.year);
    // Stage 1.
    Y.stage1 = solve_dea(Y.x, Y.y, main_opts, labels);
    Y.stage1_other = solve_dea(Y.x, Y.y, other_opts, labels).farrell;
    Y.slack1 = Y.x - Y.stage1.input_targets;
    // Stage 2.
    Eigen::MatrixXd Z(static_cast<Eigen::Index>(N_), static_cast<Eigen::Index>(p + 1));
    Z.col(0).setOnes();
    Z.rightCols(static_cast<Eigen::Index>(p)) = Y.z;
    std::vector<std::string> znames{"(intercept)"};
    znames.insert(znames.end(), env_.begin(), env_.end());
    Y.z1 = Z;
    Y.dep = usable_slacks(Y.slack1, Y.stage1.status, Y.x);
    Y.zero_slack_units.assign(m, 0);
    for (std::size_t k = 0; k < m; ++k)
      for (std::size_t i = 0; i < N_; ++i) {
        const auto ii = static_cast<Eigen::Index>(i), kk = static_cast<Eigen::Index>(k);
        if (Y.stage1.status[i] == DeaStatus::kOptimal && zero_slack(Y.slack1(ii, kk), Y.x(ii, kk)))
          ++Y.zero_slack_units[k];
      }
    Stage2 st2 = fit_stage2(Y.dep, Z, znames, ctx + ", stage 2, year " + std::to_string(Y.year));
    const Stage2Terms terms = stage2_terms(st2, Y.dep, Z);
    Y.x_adj = adjust_inputs(terms, Y.x, terms.worst());
    Y.sfa = std::move(st2.fit);
    Y.sfa_status = std::move(st2.status);
    Y.sfa_units = std::move(st2.units);
    // Stage 3.
    Y.stage3 = solve_dea(Y.x_adj, Y.y, main_opts, labels);
    Y.stage3_other = solve_dea(Y.x_adj, Y.y, other_opts, labels).farrell;
    Y.slack3 = Y.x_adj - Y.stage3.input_targets;
    // Bandwidths.
    Y.h1 = bandwidth_of(Y.stage1.farrell);
    Y.h3 = bandwidth_of(Y.stage3.farrell);
    // SW2007 Algorithm 1, step 2.
    if (options_.truncated_regression) {
      std::vector<double> d;
      for (std::size_t i = 0; i < N_; ++i) {
        const double th = Y.stage1.farrell[i];
        // Inefficient units: efficient ones are exactly 1 (efficient_tolerance, DeaOptions).
        if (std::isfinite(th) && th < 1.0 - options_.efficient_tolerance) {
          Y.truncreg_units.push_back(static_cast<int>(i));
          d.push_back(1.0 / th);
        }
      }
      Eigen::MatrixXd Zt(static_cast<Eigen::Index>(d.size()), Z.cols());
      for (std::size_t r = 0; r < d.size(); ++r)
        Zt.row(static_cast<Eigen::Index>(r)) = Z.row(Y.truncreg_units[r]);
      Y.truncreg = fit_truncated_regression(Eigen::Map<Eigen::VectorXd>(d.data(), static_cast<Eigen::Index>(d.size())), Zt);
    }
  }
}

std::vector<ReplicationSpec> ThreeStageDeaAnalysis::replication_specs() const {
  std::vector<ReplicationSpec> specs{
      {"scores", {T_, 2, N_},
       "bootstrap DEA score (" + options_.returns + ", input) of each county (last index) in "
       "stage 1 / stage 3 (middle index) and year (first index)", "1"}};
  if (options_.truncated_regression)
    specs.push_back({"truncreg", {T_, env_.size() + 2},
                     "SW2007 bootstrap estimates per year: intercept, environment coefficients, sigma"});
  return specs;
}

TaskOutcome ThreeStageDeaAnalysis::run_task(std::size_t, Rng& rng,
                                            std::span<const std::span<double>> out) const {
  const std::size_t p = env_.size();
  for (std::size_t t = 0; t < T_; ++t) {
    const ThreeStageYear& Y = years_[t];
    const Eigen::MatrixXd xs1 = pseudo_inputs(Y.x, Y.stage1.farrell, Y.h1, rng);
    write(out[0], (t * 2 + 0) * N_, scores_against(Y.x, Y.y, xs1, Y.stage1));
    if (options_.bootstrap == "scores") {
      const Eigen::MatrixXd xs3 = pseudo_inputs(Y.x_adj, Y.stage3.farrell, Y.h3, rng);
      write(out[0], (t * 2 + 1) * N_, scores_against(Y.x_adj, Y.y, xs3, Y.stage3));
    } else {
      // The whole procedure on the stage-1 pseudo-sample: its DEA with slacks, the SFA of its
      // slacks, its adjusted inputs; the observed units are adjusted with the replication's
      // stage-2 estimates (to the pseudo-sample's least favourable environment and noise) and
      // scored against the adjusted pseudo-sample.
      DeaOptions o;
      o.returns = main_;
      o.efficient_tolerance = options_.efficient_tolerance;
      o.slack_tolerance = options_.slack_tolerance;
      const DeaResult ds = solve_dea(xs1, Y.y, o);
      const Eigen::MatrixXd Ss = usable_slacks(xs1 - ds.input_targets, ds.status, xs1);
      Stage2 st;
      try {
        st = fit_stage2(Ss, Y.z1, {}, "replication stage 2, year " + std::to_string(Y.year));
      } catch (const Error& e) {
        return {TaskStatus::kNumericalFailure, e.what()};
      }
      // Worst environment and noise over the pseudo-sample and the observed units, so that no
      // adjustment is negative.
      const Stage2Terms ts = stage2_terms(st, Ss, Y.z1), to = stage2_terms(st, Y.dep, Y.z1);
      const Eigen::MatrixXd worst = ts.worst().cwiseMax(to.worst());
      const Eigen::MatrixXd xs3 = adjust_inputs(ts, xs1, worst);
      const Eigen::MatrixXd xo3 = adjust_inputs(to, Y.x, worst);
      write(out[0], (t * 2 + 1) * N_, scores_against(xo3, Y.y, xs3, Y.stage3));
    }
    if (options_.truncated_regression && Y.truncreg.converged) {
      const auto& tr = Y.truncreg;
      const auto mu = static_cast<Eigen::Index>(Y.truncreg_units.size());
      Eigen::MatrixXd Zt(mu, static_cast<Eigen::Index>(p + 1));
      Eigen::VectorXd d(mu);
      boost::math::normal_distribution<double> stdn;
      for (Eigen::Index r = 0; r < mu; ++r) {
        const auto i = static_cast<Eigen::Index>(Y.truncreg_units[static_cast<std::size_t>(r)]);
        Zt(r, 0) = 1.0;
        Zt.row(r).tail(static_cast<Eigen::Index>(p)) = Y.z.row(i);
        const double zb = Zt.row(r).dot(tr.beta);
        // e >= 1 - z'b: e / s = -Phi^-1(u Phi(-a)), a = (1 - z'b) / s, u in (0, 1].
        const double a = (1.0 - zb) / tr.sigma;
        const double tail = boost::math::cdf(stdn, -a);
        double u = 1.0 - rng.uniform01();
        double e = tail > 0 ? -boost::math::quantile(stdn, std::max(u * tail, 1e-300)) : a;
        d[r] = zb + tr.sigma * std::max(e, a);
      }
      Eigen::VectorXd start(static_cast<Eigen::Index>(p + 2));
      start.head(static_cast<Eigen::Index>(p + 1)) = tr.beta;
      start[static_cast<Eigen::Index>(p + 1)] = tr.sigma;
      const TruncatedRegression b = fit_truncated_regression(d, Zt, 1.0, false, &start);
      std::vector<double> row(p + 2, kNaN);
      if (b.converged) {
        for (std::size_t j = 0; j <= p; ++j) row[j] = b.beta[static_cast<Eigen::Index>(j)];
        row[p + 1] = b.sigma;
      }
      write(out[1], t * (p + 2), row);
    }
  }
  return {};
}

std::vector<Table> ThreeStageDeaAnalysis::summarize(ReplicationReader& reader) const {
  const std::size_t m = inputs_.size(), p = env_.size();
  const std::size_t block = summary_block_columns(reader.num_tasks());
  const double conf = options_.confidence;
  const auto sc = summarize_replication_columns(reader, 0, T_ * 2 * N_, conf, block);
  std::ostringstream lv;
  lv << conf * 100 << "%";
  const std::string level = lv.str(), main = options_.returns;
  const std::string other = main == "vrs" ? "crs" : "vrs";

  Table eff{"efficiency",
            "three-stage DEA per county and year: stage-1 and stage-3 input efficiency (" + main +
                " main model with bootstrap; " + other + "; scale = crs / vrs), SW98 bootstrap "
                "bias, bias-corrected score, variance and " + level + " intervals (SW 2000)",
            {}};
  {
    std::vector<std::int64_t> adcode, year, nboot1, nboot3;
    std::vector<std::string> name, province, status1, status3, peers1, peers3;
    std::vector<double> cols[16];
    for (std::size_t i = 0; i < N_; ++i)
      for (std::size_t t = 0; t < T_; ++t) {
        const ThreeStageYear& Y = years_[t];
        adcode.push_back(adcode_[i]);
        name.push_back(county_name_[i]);
        province.push_back(province_[i]);
        year.push_back(Y.year);
        status1.push_back(to_string(Y.stage1.status[i]));
        status3.push_back(to_string(Y.stage3.status[i]));
        peers1.push_back(peers_string(Y.stage1.peers[i], adcode_));
        peers3.push_back(peers_string(Y.stage3.peers[i], adcode_));
        const double v1 = Y.stage1.farrell[i], o1 = Y.stage1_other[i];
        const double v3 = Y.stage3.farrell[i], o3 = Y.stage3_other[i];
        const double crs1 = main == "vrs" ? o1 : v1, vrs1 = main == "vrs" ? v1 : o1;
        const double crs3 = main == "vrs" ? o3 : v3, vrs3 = main == "vrs" ? v3 : o3;
        const std::size_t f1 = (t * 2 + 0) * N_ + i, f3 = (t * 2 + 1) * N_ + i;
        const double vals[16] = {vrs1, crs1, crs1 / vrs1, sc.mean[f1] - v1, 2 * v1 - sc.mean[f1],
                                 sc.se[f1] * sc.se[f1], 2 * v1 - sc.hi[f1], 2 * v1 - sc.lo[f1],
                                 vrs3, crs3, crs3 / vrs3, sc.mean[f3] - v3, 2 * v3 - sc.mean[f3],
                                 sc.se[f3] * sc.se[f3], 2 * v3 - sc.hi[f3], 2 * v3 - sc.lo[f3]};
        for (int c = 0; c < 16; ++c) cols[c].push_back(vals[c]);
        nboot1.push_back(static_cast<std::int64_t>(sc.n[f1]));
        nboot3.push_back(static_cast<std::int64_t>(sc.n[f3]));
      }
    eff.columns = {{"adcode", adcode, "2022 official county code"},
                   {"name", name, "2022 official county name"},
                   {"province", province, "province (English)"},
                   {"year", year, "year"}};
    const char* names[16] = {"stage1_vrs", "stage1_crs", "stage1_scale", "stage1_bias",
                             "stage1_bc", "stage1_var", "stage1_ci_lo", "stage1_ci_hi",
                             "stage3_vrs", "stage3_crs", "stage3_scale", "stage3_bias",
                             "stage3_bc", "stage3_var", "stage3_ci_lo", "stage3_ci_hi"};
    for (int st = 0; st < 2; ++st) {
      const std::string S = st == 0 ? "stage 1" : "stage 3";
      const std::string B = " of the " + main + " score (SW98 bootstrap)";
      const std::string desc[8] = {S + " VRS input efficiency", S + " CRS input efficiency",
                                   S + " scale efficiency (CRS / VRS)", S + " bias" + B,
                                   S + " bias-corrected score" + B, S + " variance" + B,
                                   S + " lower end of the " + level + " interval" + B,
                                   S + " upper end of the " + level + " interval" + B};
      for (int c = 0; c < 8; ++c)
        eff.columns.push_back({names[st * 8 + c], cols[st * 8 + c], desc[c], "1"});
    }
    eff.columns.push_back({"stage1_boot_n", nboot1, "stage-1 replications with a score"});
    eff.columns.push_back({"stage3_boot_n", nboot3, "stage-3 replications with a score"});
    eff.columns.push_back({"stage1_status", status1, "stage-1 LP status (" + main + ")"});
    eff.columns.push_back({"stage3_status", status3, "stage-3 LP status (" + main + ")"});
    eff.columns.push_back({"stage1_peers", peers1, "stage-1 peers adcode:lambda (" + main + ")"});
    eff.columns.push_back({"stage3_peers", peers3, "stage-3 peers adcode:lambda (" + main + ")"});
  }

  Table slacks{"slacks", "per county, year and input: observed input, stage-1 total slack (" + main +
                             "), adjusted input (stage 2), stage-3 total slack", {}};
  {
    std::vector<std::int64_t> adcode, year;
    std::vector<std::string> input;
    std::vector<double> x, s1, xa, s3;
    for (std::size_t i = 0; i < N_; ++i)
      for (std::size_t t = 0; t < T_; ++t)
        for (std::size_t k = 0; k < m; ++k) {
          const auto ii = static_cast<Eigen::Index>(i), kk = static_cast<Eigen::Index>(k);
          const ThreeStageYear& Y = years_[t];
          adcode.push_back(adcode_[i]);
          year.push_back(Y.year);
          input.push_back(inputs_[k]);
          x.push_back(Y.x(ii, kk));
          s1.push_back(Y.slack1(ii, kk));
          xa.push_back(Y.x_adj(ii, kk));
          s3.push_back(Y.slack3(ii, kk));
        }
    slacks.columns = {{"adcode", adcode, "2022 official county code"},
                      {"year", year, "year"},
                      {"input", input, "DEA input"},
                      {"x", x, "observed input"},
                      {"slack1", s1, "stage-1 total slack (radial + non-radial)"},
                      {"x_adjusted", xa, "input adjusted for environment and noise (stage 2)"},
                      {"slack3", s3, "stage-3 total slack"}};
  }

  std::ostringstream zd;
  zd << "units with zero stage-1 total slack of this input (slack <= " << options_.slack_tolerance
     << " x input, option slack_tolerance)";
  const std::string zero_desc = zd.str();
  Table coef{"stage2_coefficients", "stage-2 SFA of each input's total slack on the environment", {}};
  Table fits{"stage2_fits", "stage-2 SFA fit per year and input (boundary policy in status)", {}};
  {
    std::vector<std::int64_t> year, fyear, nzero, nfit;
    std::vector<std::string> input, term, finput, status, message;
    std::vector<double> est, se, sig, sig_se, gam, gam_se, mu, ll, lr, lrp, meanu;
    for (std::size_t t = 0; t < T_; ++t)
      for (std::size_t k = 0; k < m; ++k) {
        const ThreeStageYear& Y = years_[t];
        const sfa::SfaResult& r = Y.sfa[k];
        const bool fitted = Y.sfa_status[k] != "no_variation";
        for (std::size_t j = 0; j <= p; ++j) {
          year.push_back(Y.year);
          input.push_back(inputs_[k]);
          term.push_back(j == 0 ? "(intercept)" : env_[j - 1]);
          est.push_back(fitted ? r.beta[static_cast<Eigen::Index>(j)] : 0.0);
          se.push_back(fitted ? r.beta_se[static_cast<Eigen::Index>(j)] : kNaN);
        }
        fyear.push_back(Y.year);
        finput.push_back(inputs_[k]);
        status.push_back(Y.sfa_status[k]);
        std::string msg = fitted ? r.message
                                 : "too few units with positive slack, or no variation: no "
                                   "adjustment of this input";
        if (Y.sfa_status[k] == "boundary_gamma_1" && options_.slack_scale == "level")
          msg += " [slack levels: when unit sizes differ by orders of magnitude the slacks' lower "
                 "envelope is near 0 at every environment and the fit ends at gamma = 1; "
                 "slack_scale = \"ratio\" models the share of the input that is slack]";
        message.push_back(msg);
        sig.push_back(fitted ? r.sigma2 : kNaN);
        sig_se.push_back(fitted ? r.sigma2_se : kNaN);
        gam.push_back(fitted ? r.gamma : kNaN);
        gam_se.push_back(fitted ? r.gamma_se : kNaN);
        mu.push_back(fitted ? r.mu : kNaN);
        ll.push_back(fitted ? r.loglik : kNaN);
        lr.push_back(fitted ? r.lr_statistic : kNaN);
        lrp.push_back(fitted ? r.lr_pvalue : kNaN);
        meanu.push_back(fitted ? r.u_mean.mean() : 0.0);
        nzero.push_back(Y.zero_slack_units[k]);
        nfit.push_back(Y.sfa_units[k]);
      }
    coef.columns = {{"year", year, "year"},
                    {"input", input, "input whose total slack is the dependent variable"},
                    {"term", term, "regressor"},
                    {"estimate", est, "ML estimate"},
                    {"se", se, "asymptotic standard error (inverse Hessian)"}};
    fits.columns = {{"year", fyear, "year"},
                    {"input", finput, "input"},
                    {"status", status, "converged | boundary_gamma_0 | boundary_gamma_1 | "
                                       "no_convergence | no_variation"},
                    {"message", message, "optimiser / boundary explanation"},
                    {"sigma2", sig, "sigma_u^2 + sigma_v^2"},
                    {"sigma2_se", sig_se, "standard error"},
                    {"gamma", gam, "sigma_u^2 / sigma^2"},
                    {"gamma_se", gam_se, "standard error"},
                    {"mu", mu, "mean of the pre-truncation normal (0 for half-normal)"},
                    {"loglik", ll, "log-likelihood"},
                    {"lr_gamma0", lr, "one-sided LR statistic of gamma = 0"},
                    {"lr_pvalue", lrp, "p-value (mixed chi-square)"},
                    {"mean_u", meanu, "mean JLMS E[u|e]"},
                    {"zero_slack_units", nzero, zero_desc},
                    {"fit_units", nfit, "units in the fit (zero_slacks = " + options_.zero_slacks +
                                            "); every unit is adjusted"}};
  }
  std::vector<Table> tables{std::move(eff), std::move(slacks), std::move(coef), std::move(fits)};

  {
    Table bw{"bandwidths",
             "SW98 kernel bandwidth of every year and stage, the rule that chose it, and the "
             "efficient units (score within efficient_tolerance of 1) it was computed with", {}};
    std::vector<std::int64_t> year, stage, n_units, n_eff;
    std::vector<std::string> rule;
    std::vector<double> h;
    const std::string rule_name =
        options_.bandwidth > 0 ? std::string("fixed") : options_.bandwidth_rule;
    for (std::size_t t = 0; t < T_; ++t)
      for (int st = 1; st <= 3; st += 2) {
        const ThreeStageYear& Y = years_[t];
        const DeaResult& d = st == 1 ? Y.stage1 : Y.stage3;
        std::int64_t fin = 0, eff1 = 0;
        for (double v : d.farrell) {
          fin += std::isfinite(v);
          eff1 += std::isfinite(v) && std::abs(v - 1.0) <= options_.efficient_tolerance;
        }
        year.push_back(Y.year);
        stage.push_back(st);
        rule.push_back(rule_name);
        h.push_back(st == 1 ? Y.h1 : Y.h3);
        n_units.push_back(fin);
        n_eff.push_back(eff1);
      }
    bw.columns = {{"year", year, "year"},
                  {"stage", stage, "DEA stage whose scores are bootstrapped (1 or 3)"},
                  {"rule", rule, "bandwidth rule: silverman | benchmarking | fixed (option bandwidth)"},
                  {"bandwidth", h, "kernel bandwidth h of the smoothed bootstrap (0: every unit "
                                   "efficient, nothing to smooth)", "1"},
                  {"units", n_units, "units with a score"},
                  {"efficient_units", n_eff, "units with score 1 (within efficient_tolerance)"}};
    tables.push_back(std::move(bw));
  }

  if (options_.truncated_regression) {
    const auto st = summarize_replication_columns(reader, 1, T_ * (p + 2), conf, block);
    Table tr{"truncated_regression",
             "Simar-Wilson (2007) Algorithm 1: truncated regression of 1 / stage-1 score on the "
             "environment, per year, with bootstrap percentile intervals", {}};
    std::vector<std::int64_t> year, nunits, nboot;
    std::vector<std::string> term, message;
    std::vector<double> est, se, bmean, bse, lo, hi;
    for (std::size_t t = 0; t < T_; ++t)
      for (std::size_t j = 0; j < p + 2; ++j) {
        const ThreeStageYear& Y = years_[t];
        const std::size_t f = t * (p + 2) + j;
        year.push_back(Y.year);
        term.push_back(j == 0 ? "(intercept)" : j <= p ? env_[j - 1] : "sigma");
        const bool ok = Y.truncreg.converged;
        est.push_back(!ok ? kNaN : j <= p ? Y.truncreg.beta[static_cast<Eigen::Index>(j)] : Y.truncreg.sigma);
        se.push_back(!ok ? kNaN : j <= p ? Y.truncreg.beta_se[static_cast<Eigen::Index>(j)] : Y.truncreg.sigma_se);
        bmean.push_back(st.mean[f]);
        bse.push_back(st.se[f]);
        lo.push_back(st.lo[f]);
        hi.push_back(st.hi[f]);
        nunits.push_back(static_cast<std::int64_t>(Y.truncreg_units.size()));
        nboot.push_back(static_cast<std::int64_t>(st.n[f]));
        message.push_back(Y.truncreg.message);
      }
    tr.columns = {{"year", year, "year"},
                  {"term", term, "regressor (or sigma)"},
                  {"estimate", est, "truncated-normal ML estimate"},
                  {"se", se, "asymptotic standard error"},
                  {"boot_mean", bmean, "bootstrap mean"},
                  {"boot_se", bse, "bootstrap standard error"},
                  {"ci_lo", lo, "lower end of the " + level + " percentile interval"},
                  {"ci_hi", hi, "upper end of the " + level + " percentile interval"},
                  {"units", nunits, "units with 1 / score > 1 (the truncated sample)"},
                  {"boot_n", nboot, "replications that converged"},
                  {"message", message, "optimiser status of the point estimate"}};
    tables.push_back(std::move(tr));
  }
  for (const auto& t : tables) t.check();
  return tables;
}

}  // namespace revest::dea
