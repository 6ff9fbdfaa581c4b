#include "dea/three_stage.hpp"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <limits>
#include <span>
#include <sstream>

#include "core/error.hpp"
#include "core/replication_summary.hpp"
#include "core/stats.hpp"
#include "optim/minimize.hpp"

namespace revest::dea {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Whether the total slack s of an input whose value is x is zero (slack_tolerance).
bool zero_slack(double s, double x, const ThreeStageOptions& o) {
  return s <= o.slack_tolerance * x;
}

/// Stage-2 dependent variables: slacks >= 0 (0 for units whose LP failed, and exactly 0 for a zero
/// slack, see zero_slack), as ratios if asked.
Eigen::MatrixXd usable_slacks(const Eigen::MatrixXd& slack, const std::vector<StatusCode>& status,
                              const Eigen::MatrixXd& x, const ThreeStageOptions& o) {
  Eigen::MatrixXd S = slack.cwiseMax(0.0);
  for (Eigen::Index i = 0; i < S.rows(); ++i)
    for (Eigen::Index k = 0; k < S.cols(); ++k)
      if (zero_slack(S(i, k), x(i, k), o)) S(i, k) = 0.0;
  for (std::size_t i = 0; i < status.size(); ++i)
    if (status[i] != StatusCode::kOk) S.row(static_cast<Eigen::Index>(i)).setZero();
  if (o.slack_scale == SlackScale::kRatio)
    S = S.cwiseQuotient(x);  // share of the input that is slack
  return S;
}

std::vector<Stage2Input> fit_stage2(const Eigen::MatrixXd& S, const Eigen::MatrixXd& Z,
                                    const std::vector<std::string>& znames,
                                    const std::vector<std::string>& inputs, const std::string& ctx,
                                    const ThreeStageOptions& o) {
  const auto m = static_cast<std::size_t>(S.cols());
  sfa::SfaOptions so;
  so.frontier = sfa::Frontier::kCost;
  so.distribution = o.sfa_distribution;
  std::vector<Stage2Input> st(m);
  for (std::size_t k = 0; k < m; ++k) {
    const auto kk = static_cast<Eigen::Index>(k);
    // Units entering the fit: all, or (zero_slacks = "exclude") those with positive slack.
    // usable_slacks has set every slack classified as zero (zero_slack, slack_tolerance) to
    // exactly 0, so "positive" here is that classification, not LP rounding.
    std::vector<Eigen::Index> rows;
    for (Eigen::Index i = 0; i < S.rows(); ++i)
      if (o.zero_slacks == ZeroSlacks::kInclude || S(i, kk) != 0.0) rows.push_back(i);
    Eigen::VectorXd Sf(static_cast<Eigen::Index>(rows.size()));
    Eigen::MatrixXd Zf(Sf.size(), Z.cols());
    for (std::size_t r = 0; r < rows.size(); ++r) {
      Sf[static_cast<Eigen::Index>(r)] = S(rows[r], kk);
      Zf.row(static_cast<Eigen::Index>(r)) = Z.row(rows[r]);
    }
    st[k].units = static_cast<int>(rows.size());
    if (Sf.size() < Z.cols() + 4 ||
        Sf.maxCoeff() - Sf.minCoeff() <= 1e-12 * Sf.cwiseAbs().maxCoeff())
      continue;  // not fitted: "no_variation"
    const std::string input = k < inputs.size() ? inputs[k] : "input " + std::to_string(k + 1);
    st[k].fit = sfa::fit_sfa(Sf, Zf, so, znames, ctx + ", input '" + input + "'");
    st[k].fitted = true;
  }
  return st;
}

/// Per unit and input: the fitted environment term z'b and the JLMS noise v (zero for an input
/// that is not adjusted).
struct Stage2Terms {
  Eigen::MatrixXd zb, v;  ///< n x m
  /// 2 x m: the least favourable environment (max z'b) and the unluckiest noise (max v).
  Eigen::MatrixXd worst() const {
    Eigen::MatrixXd w(2, zb.cols());
    w.row(0) = zb.colwise().maxCoeff();
    w.row(1) = v.colwise().maxCoeff();
    return w;
  }
};

Stage2Terms stage2_terms(const std::vector<Stage2Input>& st, const Eigen::MatrixXd& S,
                         const Eigen::MatrixXd& Z) {
  sfa::SfaOptions so;
  so.frontier = sfa::Frontier::kCost;
  Stage2Terms t{Eigen::MatrixXd::Zero(S.rows(), S.cols()),
                Eigen::MatrixXd::Zero(S.rows(), S.cols())};
  for (std::size_t k = 0; k < st.size(); ++k) {
    if (!st[k].fitted) continue;  // zero terms: the input is not adjusted
    const auto kk = static_cast<Eigen::Index>(k);
    sfa::SfaResult f = st[k].fit;
    sfa::unit_estimates(f, S.col(kk), Z, so);  // every unit, with its own JLMS noise
    t.zb.col(kk) = Z * f.beta;
    t.v.col(kk) = f.noise;
  }
  return t;
}

/// x adjusted to `worst`: x + [max z'b - z'b] + [max v - v] (proportionally for "ratio").
Eigen::MatrixXd adjust_inputs(const Stage2Terms& t, const Eigen::MatrixXd& x,
                              const Eigen::MatrixXd& worst, const ThreeStageOptions& o) {
  Eigen::MatrixXd x_adj = x;
  for (Eigen::Index k = 0; k < x.cols(); ++k) {
    const Eigen::ArrayXd add =
        (worst(0, k) - t.zb.col(k).array()) + (worst(1, k) - t.v.col(k).array());
    if (o.slack_scale == SlackScale::kRatio)
      x_adj.col(k) = (x.col(k).array() * (1.0 + add)).matrix();
    else
      x_adj.col(k) = (x.col(k).array() + add).matrix();
  }
  return x_adj;
}

DeaOptions dea_options(const ThreeStageOptions& o, Returns returns, bool slacks) {
  DeaOptions d;
  d.returns = returns;
  d.orientation = o.orientation;
  d.slacks = slacks;
  d.efficient_tolerance = o.efficient_tolerance;
  d.slack_tolerance = o.slack_tolerance;
  return d;
}

}  // namespace

// ---- options ----

const char* to_string(ZeroSlacks z) { return z == ZeroSlacks::kInclude ? "include" : "exclude"; }
const char* to_string(SlackScale s) { return s == SlackScale::kRatio ? "ratio" : "level"; }
const char* to_string(BootstrapScope b) {
  return b == BootstrapScope::kThreeStage ? "three_stage" : "scores";
}
ZeroSlacks zero_slacks_from_string(const std::string& s) {
  if (s == "exclude") return ZeroSlacks::kExclude;
  if (s == "include") return ZeroSlacks::kInclude;
  REVEST_FAIL("unknown zero_slacks '" << s << "' (exclude or include)");
}
SlackScale slack_scale_from_string(const std::string& s) {
  if (s == "level") return SlackScale::kLevel;
  if (s == "ratio") return SlackScale::kRatio;
  REVEST_FAIL("unknown slack_scale '" << s << "' (level or ratio)");
}
BootstrapScope bootstrap_scope_from_string(const std::string& s) {
  if (s == "scores") return BootstrapScope::kScores;
  if (s == "three_stage") return BootstrapScope::kThreeStage;
  REVEST_FAIL("unknown bootstrap '" << s << "' (scores or three_stage)");
}

void ThreeStageOptions::validate() const {
  REVEST_REQUIRE(stages == 1 || stages == 3,
                 "three-stage DEA options: stages must be 1 or 3, got " << stages);
  REVEST_REQUIRE(orientation == Orientation::kInput || stages == 1,
                 "three-stage DEA options: output orientation needs stages = 1 (stage 2 explains "
                 "and adjusts the inputs: Fried et al. 2002 is input-oriented)");
  REVEST_REQUIRE(confidence > 0 && confidence < 1,
                 "three-stage DEA options: confidence must be in (0, 1), got " << confidence);
  REVEST_REQUIRE(
      std::isfinite(bandwidth) && bandwidth >= 0,
      "three-stage DEA options: bandwidth must be >= 0 (0 = the rule), got " << bandwidth);
  REVEST_REQUIRE(efficient_tolerance >= 0 && efficient_tolerance < 1e-3,
                 "three-stage DEA options: efficient_tolerance must be in [0, 1e-3), got "
                     << efficient_tolerance);
  REVEST_REQUIRE(
      slack_tolerance >= 0 && slack_tolerance < 1e-2,
      "three-stage DEA options: slack_tolerance must be in [0, 1e-2), got " << slack_tolerance);
}

SwOptions ThreeStageOptions::sw() const {
  SwOptions s;
  s.returns = returns;
  s.bandwidth = bandwidth;
  s.bandwidth_rule = bandwidth_rule;
  s.efficient_tolerance = efficient_tolerance;
  s.confidence = confidence;
  return s;
}

// ---- truncated regression ----

double draw_sw2007_delta(double zb, double sigma, Rng& rng) {
  const boost::math::normal_distribution<double> stdn;
  // e >= 1 - z'b: e / s = -Phi^-1(u Phi(-a)), a = (1 - z'b) / s, u in (0, 1].
  const double a = (1.0 - zb) / sigma;
  const double tail = boost::math::cdf(stdn, -a);
  const double u = 1.0 - rng.uniform01();
  const double e = tail > 0 ? -boost::math::quantile(stdn, std::max(u * tail, 1e-300)) : a;
  return zb + sigma * std::max(e, a);
}

TruncatedRegression fit_truncated_regression(const Eigen::VectorXd& y, const Eigen::MatrixXd& X,
                                             double lower, bool standard_errors,
                                             const Eigen::VectorXd* start) {
  const Eigen::Index n = y.size(), k = X.cols();
  TruncatedRegression r;
  REVEST_REQUIRE(X.rows() == n,
                 "truncated regression: " << n << " values, " << X.rows() << " rows");
  if (n < k + 2) {
    r.status = Status::Make(StatusCode::kNumericalFailure,
                            "too few units (" + std::to_string(n) + ") above the truncation point");
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
    r.status = Status::Make(StatusCode::kNumericalFailure,
                            "the regressors are collinear on the truncated sample");
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
  auto mr = optim::minimize(f, phi, mo);
  if (!mr.converged) {
    // More-Thuente's line search can fail at the first step from a start far from the optimum
    // (many regressors, e.g. a pooled panel's year dummies); a backtracking search from the same
    // start then reaches it. Fits that converge the first time are unchanged.
    optim::MinimizeOptions mb = mo;
    mb.backtracking = true;
    auto again = optim::minimize(f, phi, mb);
    if (again.converged || again.value < mr.value) mr = std::move(again);
  }
  r.status = Status::Make(mr.converged ? StatusCode::kOk : StatusCode::kNoConvergence, mr.reason);
  r.beta = mr.x.head(k).cwiseQuotient(sx);
  r.sigma = std::exp(mr.x[k]);
  r.loglik = -mr.value - 0.5 * double(n) * std::log(2.0 * 3.14159265358979323846);
  r.beta_se = Eigen::VectorXd::Constant(k, kNaN);
  r.sigma_se = kNaN;
  if (standard_errors && r.ok()) {
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

namespace {

/// SW2007 Algorithm 1, step 2: the truncated regression of 1 / theta of the inefficient units on
/// (1, z) (R.z1).
void fit_sw2007(ThreeStageResult& R, const ThreeStageOptions& options) {
  std::vector<double> d;
  for (std::size_t i = 0; i < R.stage1.farrell.size(); ++i) {
    const double th = R.stage1.efficiency[i];
    // Inefficient units: efficient ones are exactly 1 (efficient_tolerance, DeaOptions).
    if (std::isfinite(th) && th < 1.0 - options.efficient_tolerance) {
      R.truncreg_units.push_back(static_cast<int>(i));
      d.push_back(1.0 / th);
    }
  }
  Eigen::MatrixXd Zt(static_cast<Eigen::Index>(d.size()), R.z1.cols());
  for (std::size_t r = 0; r < d.size(); ++r)
    Zt.row(static_cast<Eigen::Index>(r)) = R.z1.row(R.truncreg_units[r]);
  R.truncreg = fit_truncated_regression(
      Eigen::Map<Eigen::VectorXd>(d.data(), static_cast<Eigen::Index>(d.size())), Zt);
}

}  // namespace

// ---- point estimates ----

ThreeStageResult three_stage(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                             const Eigen::MatrixXd& z, const ThreeStageOptions& options,
                             const ThreeStageNames& names) {
  options.validate();
  const std::string& ctx = names.context;
  const auto n = static_cast<std::size_t>(x.rows());
  const std::size_t m = static_cast<std::size_t>(x.cols()), s = static_cast<std::size_t>(y.cols()),
                    p = static_cast<std::size_t>(z.cols());
  REVEST_REQUIRE(y.rows() == x.rows() && z.rows() == x.rows(),
                 ctx << ": " << x.rows() << " rows of inputs, " << y.rows() << " of outputs and "
                     << z.rows() << " of environment variables");
  REVEST_REQUIRE(m >= 1 && s >= 1, ctx << ": needs at least one input and one output");
  const bool three = options.stages == 3;
  REVEST_REQUIRE(p >= 1 || !three,
                 ctx << ": three stages need at least one environment variable (stage 2 explains "
                        "the slacks by it); with none, stages = 1 runs the DEA and its bootstrap "
                        "only");
  REVEST_REQUIRE(n >= m + s + p + 2, ctx << ": " << n << " units are too few for " << m
                                         << " inputs, " << s << " outputs and " << p
                                         << " environment variables");
  for (Eigen::Index i = 0; i < z.rows(); ++i)
    for (Eigen::Index j = 0; j < z.cols(); ++j)
      REVEST_REQUIRE(std::isfinite(z(i, j)),
                     ctx << ": environment variable "
                         << (static_cast<std::size_t>(j) < names.environment.size()
                                 ? "'" + names.environment[static_cast<std::size_t>(j)] + "'"
                                 : std::to_string(j + 1))
                         << " is " << z(i, j) << " for "
                         << (static_cast<std::size_t>(i) < names.units.size()
                                 ? names.units[static_cast<std::size_t>(i)]
                                 : "unit " + std::to_string(i)));
  ThreeStageResult R;
  R.options = options;
  R.names = names;
  R.x = x;
  R.y = y;
  R.z = z;
  Eigen::MatrixXd Z(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(p + 1));
  Z.col(0).setOnes();
  Z.rightCols(static_cast<Eigen::Index>(p)) = z;
  R.z1 = Z;
  const DeaOptions main_opts = dea_options(options, options.returns, true);
  // The radial CRS, VRS and NIRS scores (the main model's own where it is one of them).
  auto radial = [&](const Eigen::MatrixXd& xx, const DeaResult& main, std::vector<double>& crs,
                    std::vector<double>& vrs, std::vector<double>& nirs) {
    auto score = [&](Returns r) {
      return r == options.returns
                 ? main.efficiency
                 : solve_dea(xx, y, dea_options(options, r, false), names.units).efficiency;
    };
    crs = score(Returns::kCrs);
    vrs = score(Returns::kVrs);
    nirs = score(Returns::kNirs);
  };
  // Stage 1.
  R.stage1 = solve_dea(x, y, main_opts, names.units);
  radial(x, R.stage1, R.stage1_crs, R.stage1_vrs, R.stage1_nirs);
  R.slack1 = x - R.stage1.input_targets;
  R.status = R.stage1.status;
  const SwOptions sw = options.sw();
  R.h1 = bandwidth(R.stage1.efficiency, sw);
  if (!three) {
    R.x_adj = x;
    if (options.truncated_regression && p >= 1) fit_sw2007(R, options);
    return R;
  }
  // Stage 2.
  std::vector<std::string> znames{"(intercept)"};
  for (std::size_t j = 0; j < p; ++j)
    znames.push_back(j < names.environment.size() ? names.environment[j]
                                                  : "z" + std::to_string(j + 1));
  R.dep = usable_slacks(R.slack1, R.stage1.unit_status, x, options);
  R.stage2 =
      fit_stage2(R.dep, Z, znames, names.inputs,
                 ctx + ", stage 2" + (names.period.empty() ? "" : ", " + names.period), options);
  for (std::size_t k = 0; k < m; ++k)
    for (std::size_t i = 0; i < n; ++i) {
      const auto ii = static_cast<Eigen::Index>(i), kk = static_cast<Eigen::Index>(k);
      if (R.stage1.unit_status[i] == StatusCode::kOk &&
          zero_slack(R.slack1(ii, kk), x(ii, kk), options))
        ++R.stage2[k].zero_slack_units;
    }
  const Stage2Terms terms = stage2_terms(R.stage2, R.dep, Z);
  R.x_adj = adjust_inputs(terms, x, terms.worst(), options);
  // Stage 3.
  R.stage3 = solve_dea(R.x_adj, y, main_opts, names.units);
  radial(R.x_adj, R.stage3, R.stage3_crs, R.stage3_vrs, R.stage3_nirs);
  R.slack3 = R.x_adj - R.stage3.input_targets;
  R.h3 = bandwidth(R.stage3.farrell, sw);
  if (options.truncated_regression) fit_sw2007(R, options);
  return R;
}

const char* returns_to_scale(double crs, double vrs, double nirs, double tolerance) {
  if (!std::isfinite(crs) || !std::isfinite(vrs) || !std::isfinite(nirs)) return "";
  auto same = [&](double a, double b) { return std::abs(a - b) <= tolerance * std::abs(b); };
  if (same(crs, vrs)) return "crs";
  return same(nirs, vrs) ? "drs" : "irs";
}

std::string ThreeStageResult::brief_report() const {
  std::ostringstream os;
  auto stage = [&](const char* label, const DeaResult& d) {
    double sum = 0;
    std::size_t k = 0, eff = 0;
    for (std::size_t i = 0; i < d.efficiency.size(); ++i)
      if (d.unit_status[i] == StatusCode::kOk) {
        sum += d.efficiency[i];
        eff += d.efficiency[i] == 1.0;
        ++k;
      }
    os << label << ": mean " << to_string(options.returns) << " efficiency "
       << (k ? sum / static_cast<double>(k) : kNaN) << ", " << eff << " efficient; ";
  };
  const bool three = options.stages == 3;
  os << (three ? "Three-stage DEA of " : "DEA (stage 1 only) of ") << x.rows() << " units ("
     << x.cols() << " inputs, " << y.cols() << " outputs, " << z.cols()
     << " environment variables). ";
  stage("Stage 1", stage1);
  if (!three) {
    os << "bandwidth " << h1 << " ("
       << (options.bandwidth > 0 ? "fixed" : to_string(options.bandwidth_rule)) << ")";
  }
  if (three) {
    os << "stage 2 (" << to_string(options.slack_scale) << "): ";
    for (std::size_t k = 0; k < stage2.size(); ++k)
      os << (k ? ", " : "")
         << (k < names.inputs.size() ? names.inputs[k] : "input " + std::to_string(k + 1)) << " "
         << stage2[k].status_name() << " (" << stage2[k].units << " units, "
         << stage2[k].zero_slack_units << " with zero slack)";
  }
  if (three) {
    os << "; ";
    stage("stage 3", stage3);
    os << "bandwidths " << h1 << " / " << h3 << " ("
       << (options.bandwidth > 0 ? "fixed" : to_string(options.bandwidth_rule)) << ")";
  }
  if (options.truncated_regression && z.cols() > 0)
    os << "; SW2007 truncated regression on " << truncreg_units.size()
       << " units: " << truncreg.status.to_string();
  os << "; status " << status.to_string() << ".";
  return os.str();
}

// ---- bootstrap ----

ThreeStageReplication three_stage_replication(const ThreeStageResult& P, Rng& rng) {
  const ThreeStageOptions& o = P.options;
  const std::size_t p = static_cast<std::size_t>(P.z.cols());
  ThreeStageReplication out;
  if (o.orientation == Orientation::kOutput) {
    // Output orientation (stages = 1 only): pseudo-outputs, Clp scores.
    const Eigen::MatrixXd ys1 =
        pseudo_outputs(P.y, P.stage1.efficiency, P.h1, rng, o.bandwidth_rule);
    out.stage1 = output_scores_against(P.x, P.y, ys1, o.returns);
  } else {
    const Eigen::MatrixXd xs1 = pseudo_inputs(P.x, P.stage1.farrell, P.h1, rng, o.bandwidth_rule);
    out.stage1 = scores_against(P.x, P.y, xs1, P.stage1, o.returns);
    if (o.stages == 1) {
      // Stage 1 only: no stage-3 scores.
    } else if (o.bootstrap == BootstrapScope::kScores) {
      const Eigen::MatrixXd xs3 =
          pseudo_inputs(P.x_adj, P.stage3.farrell, P.h3, rng, o.bandwidth_rule);
      out.stage3 = scores_against(P.x_adj, P.y, xs3, P.stage3, o.returns);
    } else {
      // The whole procedure on the stage-1 pseudo-sample: its DEA with slacks, the SFA of its
      // slacks, its adjusted inputs; the observed units are adjusted with the replication's
      // stage-2 estimates (to the pseudo-sample's least favourable environment and noise) and
      // scored against the adjusted pseudo-sample.
      const DeaResult ds = solve_dea(xs1, P.y, dea_options(o, o.returns, true));
      const Eigen::MatrixXd Ss = usable_slacks(xs1 - ds.input_targets, ds.unit_status, xs1, o);
      std::vector<Stage2Input> st;
      try {
        st = fit_stage2(
            Ss, P.z1, {}, P.names.inputs,
            "replication stage 2" + (P.names.period.empty() ? "" : ", " + P.names.period), o);
      } catch (const Error& e) {
        out.status = Status::Make(StatusCode::kNumericalFailure, e.what());
        return out;
      }
      // Worst environment and noise over the pseudo-sample and the observed units, so that no
      // adjustment is negative.
      const Stage2Terms ts = stage2_terms(st, Ss, P.z1), to = stage2_terms(st, P.dep, P.z1);
      const Eigen::MatrixXd worst = ts.worst().cwiseMax(to.worst());
      const Eigen::MatrixXd xs3 = adjust_inputs(ts, xs1, worst, o);
      const Eigen::MatrixXd xo3 = adjust_inputs(to, P.x, worst, o);
      out.stage3 = scores_against(xo3, P.y, xs3, P.stage3, o.returns);
    }
  }
  out.truncreg = Eigen::VectorXd::Constant(static_cast<Eigen::Index>(p + 2), kNaN);
  if (o.truncated_regression && P.truncreg.ok()) {
    const auto& tr = P.truncreg;
    const auto mu = static_cast<Eigen::Index>(P.truncreg_units.size());
    Eigen::MatrixXd Zt(mu, static_cast<Eigen::Index>(p + 1));
    Eigen::VectorXd d(mu);
    for (Eigen::Index r = 0; r < mu; ++r) {
      const auto i = static_cast<Eigen::Index>(P.truncreg_units[static_cast<std::size_t>(r)]);
      Zt(r, 0) = 1.0;
      Zt.row(r).tail(static_cast<Eigen::Index>(p)) = P.z.row(i);
      d[r] = draw_sw2007_delta(Zt.row(r).dot(tr.beta), tr.sigma, rng);
    }
    Eigen::VectorXd start(static_cast<Eigen::Index>(p + 2));
    start.head(static_cast<Eigen::Index>(p + 1)) = tr.beta;
    start[static_cast<Eigen::Index>(p + 1)] = tr.sigma;
    const TruncatedRegression b = fit_truncated_regression(d, Zt, 1.0, false, &start);
    if (b.ok()) {
      out.truncreg.head(static_cast<Eigen::Index>(p + 1)) = b.beta;
      out.truncreg[static_cast<Eigen::Index>(p + 1)] = b.sigma;
    }
  }
  return out;
}

ThreeStageBootstrap three_stage_bootstrap(const ThreeStageResult& point, const RngKey& key,
                                          std::size_t replications) {
  REVEST_REQUIRE(replications >= 1, "three-stage DEA bootstrap: needs at least one replication");
  ThreeStageBootstrap B;
  const auto n = static_cast<Eigen::Index>(point.x.rows());
  const auto q = static_cast<Eigen::Index>(point.z.cols() + 2);
  const auto R = static_cast<Eigen::Index>(replications);
  Eigen::MatrixXd d1 = Eigen::MatrixXd::Constant(R, n, kNaN), d3 = d1;
  Eigen::MatrixXd dt = Eigen::MatrixXd::Constant(R, q, kNaN);
  for (std::size_t b = 0; b < replications; ++b) {
    Rng rng = key.stream(static_cast<std::uint32_t>(b));
    ThreeStageReplication r = three_stage_replication(point, rng);
    const auto bb = static_cast<Eigen::Index>(b);
    if (r.status.ok()) {  // a failed replication counts as NaN everywhere (as a failed job task)
      d1.row(bb) = Eigen::Map<const Eigen::RowVectorXd>(r.stage1.data(), n);
      if (!r.stage3.empty()) d3.row(bb) = Eigen::Map<const Eigen::RowVectorXd>(r.stage3.data(), n);
      dt.row(bb) = r.truncreg.transpose();
    } else if (B.status.ok()) {
      B.status = Status::Make(StatusCode::kNumericalFailure,
                              "replication " + std::to_string(b) + ": " + r.status.message);
    }
    B.replications.push_back(std::move(r));
  }
  const double conf = point.options.confidence;
  B.stage1 = summarize_sw(point.stage1.efficiency, d1, conf);
  if (point.options.stages == 3) B.stage3 = summarize_sw(point.stage3.farrell, d3, conf);
  B.truncreg_mean = B.truncreg_sd = B.truncreg_lower = B.truncreg_upper =
      Eigen::VectorXd::Constant(q, kNaN);
  std::vector<double> finite;
  for (Eigen::Index j = 0; j < q; ++j) {
    finite.clear();
    for (Eigen::Index b = 0; b < R; ++b)
      if (!std::isnan(dt(b, j))) finite.push_back(dt(b, j));
    if (finite.empty()) continue;
    std::sort(finite.begin(), finite.end());
    const stats::MeanSd ms = stats::mean_sd(finite);
    B.truncreg_mean[j] = ms.mean;
    B.truncreg_sd[j] = ms.sd;
    B.truncreg_lower[j] = stats::quantile(finite, (1 - conf) / 2);
    B.truncreg_upper[j] = stats::quantile(finite, (1 + conf) / 2);
  }
  return B;
}

}  // namespace revest::dea
