#include "threshold/panel_threshold.hpp"

#include <algorithm>
#include <boost/random/uniform_int_distribution.hpp>
#include <cmath>
#include <iterator>
#include <limits>
#include <map>
#include <numeric>
#include <sstream>

#include "core/error.hpp"
#include "core/stats.hpp"

namespace revest::threshold {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// OLS of y on X (full column rank assumed, checked): coefficients and residuals.
std::pair<Eigen::VectorXd, Eigen::VectorXd> ols(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                                const char* who) {
  if (X.cols() == 0) return {Eigen::VectorXd(), y};
  const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(X);
  REVEST_REQUIRE(qr.rank() == X.cols(),
                 "panel threshold ("
                     << who << "): the within-transformed regressors are collinear (" << X.cols()
                     << " columns, rank " << qr.rank()
                     << "): a regressor constant within units, or a regime with "
                        "too few observations");
  const Eigen::VectorXd b = qr.solve(y);
  return {b, y - X * b};
}

}  // namespace

const char* to_string(BootstrapKind b) { return b == BootstrapKind::kWild ? "wild" : "residual"; }

BootstrapKind bootstrap_kind_from_string(const std::string& s) {
  if (s == "residual") return BootstrapKind::kResidual;
  if (s == "wild") return BootstrapKind::kWild;
  REVEST_FAIL("unknown threshold bootstrap '" << s << "' (residual or wild)");
}

void ThresholdOptions::validate() const {
  REVEST_REQUIRE(max_thresholds >= 1,
                 "panel threshold options: max_thresholds must be >= 1, got " << max_thresholds);
  REVEST_REQUIRE(grid >= 10, "panel threshold options: grid must be >= 10, got " << grid);
  REVEST_REQUIRE(!trim.empty(), "panel threshold options: trim needs at least one share");
  for (double t : trim)
    REVEST_REQUIRE(t > 0 && t < 0.5,
                   "panel threshold options: every trim share must be in (0, 0.5), got " << t);
  REVEST_REQUIRE(confidence > 0 && confidence < 1,
                 "panel threshold options: confidence must be in (0, 1), got " << confidence);
}

double ThresholdProblem::trim(int m) const {
  const auto j = static_cast<std::size_t>(std::max(m, 1) - 1);
  return j < opt_.trim.size() ? opt_.trim[j] : opt_.trim.back();
}

ThresholdProblem::ThresholdProblem(ThresholdData data, ThresholdOptions options)
    : d_(std::move(data)), opt_(std::move(options)) {
  opt_.validate();
  const Eigen::Index n = d_.y.size();
  REVEST_REQUIRE(d_.x.rows() == n && d_.q.size() == n &&
                     static_cast<Eigen::Index>(d_.unit.size()) == n &&
                     (d_.z.rows() == n || d_.z.cols() == 0),
                 "panel threshold: " << n << " outcomes, " << d_.x.rows() << " rows of x, "
                                     << d_.z.rows() << " of z, " << d_.q.size() << " values of q, "
                                     << d_.unit.size() << " unit ids");
  if (d_.z.cols() == 0) d_.z.resize(n, 0);
  REVEST_REQUIRE(d_.x.cols() >= 1, "panel threshold: no regime-dependent regressor");
  for (Eigen::Index r = 0; r < n; ++r) {
    REVEST_REQUIRE(std::isfinite(d_.y[r]) && std::isfinite(d_.q[r]) && d_.x.row(r).allFinite() &&
                       d_.z.row(r).allFinite(),
                   "panel threshold: observation " << r << " has a missing or non-finite value");
    REVEST_REQUIRE(d_.unit[static_cast<std::size_t>(r)] >= 0,
                   "panel threshold: observation " << r << " has a negative unit id");
  }
  units_ = static_cast<std::size_t>(*std::max_element(d_.unit.begin(), d_.unit.end())) + 1;
  count_.assign(units_, 0);
  rows_of_.assign(units_, {});
  for (Eigen::Index r = 0; r < n; ++r) {
    const auto u = static_cast<std::size_t>(d_.unit[static_cast<std::size_t>(r)]);
    ++count_[u];
    rows_of_[u].push_back(static_cast<std::size_t>(r));
  }
  for (std::size_t u = 0; u < units_; ++u)
    REVEST_REQUIRE(count_[u] > 0, "panel threshold: unit " << u
                                                           << " has no observation (ids must "
                                                              "be 0 .. N-1)");
  const auto params =
      static_cast<std::size_t>(d_.x.cols() * (opt_.max_thresholds + 1) + d_.z.cols());
  REVEST_REQUIRE(static_cast<std::size_t>(n) > units_ + params,
                 "panel threshold: " << n << " observations of " << units_ << " units for "
                                     << params << " slopes of the largest model");
  order_.resize(static_cast<std::size_t>(n));
  std::iota(order_.begin(), order_.end(), std::size_t{0});
  std::stable_sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) {
    return d_.q[static_cast<Eigen::Index>(a)] < d_.q[static_cast<Eigen::Index>(b)];
  });
  sorted_q_.reserve(order_.size());
  for (std::size_t r : order_) sorted_q_.push_back(d_.q[static_cast<Eigen::Index>(r)]);
  std::vector<double> u;
  std::unique_copy(sorted_q_.begin(), sorted_q_.end(), std::back_inserter(u));
  REVEST_REQUIRE(u.size() >= 2, "panel threshold: the threshold variable takes one value only");
  distinct_ = std::move(u);
  std::map<std::size_t, std::vector<std::size_t>> by_count;
  for (std::size_t i = 0; i < units_; ++i) by_count[count_[i]].push_back(i);
  strata_.assign(units_, {});
  for (auto& [c, members] : by_count)
    for (std::size_t i : members) strata_[i] = members;
}

Eigen::MatrixXd ThresholdProblem::demean(const Eigen::MatrixXd& a) const {
  Eigen::MatrixXd mean = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(units_), a.cols());
  for (Eigen::Index r = 0; r < a.rows(); ++r)
    mean.row(d_.unit[static_cast<std::size_t>(r)]) += a.row(r);
  for (std::size_t u = 0; u < units_; ++u)
    mean.row(static_cast<Eigen::Index>(u)) /= static_cast<double>(count_[u]);
  Eigen::MatrixXd out = a;
  for (Eigen::Index r = 0; r < a.rows(); ++r)
    out.row(r) -= mean.row(d_.unit[static_cast<std::size_t>(r)]);
  return out;
}

Eigen::MatrixXd ThresholdProblem::fixed_design(const std::vector<double>& fixed) const {
  const Eigen::Index n = d_.y.size(), k = d_.x.cols();
  Eigen::MatrixXd F(n, k * static_cast<Eigen::Index>(fixed.size() + 1) + d_.z.cols());
  F.leftCols(k) = d_.x;
  for (std::size_t j = 0; j < fixed.size(); ++j)
    for (Eigen::Index r = 0; r < n; ++r)
      F.block(r, k * static_cast<Eigen::Index>(j + 1), 1, k) =
          d_.q[r] <= fixed[j] ? Eigen::RowVectorXd(d_.x.row(r)) : Eigen::RowVectorXd::Zero(k);
  F.rightCols(d_.z.cols()) = d_.z;
  return demean(F);
}

double ThresholdProblem::ssr(const Eigen::VectorXd& y, const std::vector<double>& fixed) const {
  return ols(fixed_design(fixed), demean(y), "fit").second.squaredNorm();
}

std::pair<Eigen::VectorXd, Eigen::VectorXd> ThresholdProblem::fit(
    const Eigen::VectorXd& y, const std::vector<double>& fixed) const {
  const Eigen::VectorXd e = ols(fixed_design(fixed), demean(y), "fit").second;
  return {y - e, e};
}

std::vector<double> ThresholdProblem::grid(double trim) const {
  const std::size_t m = distinct_.size();
  const auto lo = static_cast<std::size_t>(std::floor(static_cast<double>(m) * trim));
  const auto hi = static_cast<std::size_t>(std::floor(static_cast<double>(m) * (1 - trim)));
  std::vector<double> mid(distinct_.begin() + static_cast<std::ptrdiff_t>(lo),
                          distinct_.begin() + static_cast<std::ptrdiff_t>(std::max(hi, lo)));
  if (mid.size() <= opt_.grid) return mid;
  std::vector<double> g;
  for (std::size_t j = 1; j <= opt_.grid; ++j) {
    const double v = mid[j * mid.size() / (opt_.grid + 1)];
    if (g.empty() || v != g.back()) g.push_back(v);
  }
  return g;
}

GridSearch ThresholdProblem::search(const Eigen::VectorXd& y, const std::vector<double>& fixed,
                                    double trim) const {
  if (naive_) return search_naive(y, fixed, trim);
  const Eigen::Index n = d_.y.size(), k = d_.x.cols();
  const Eigen::VectorXd yt = demean(y);
  const Eigen::MatrixXd F = fixed_design(fixed);
  const Eigen::Index f = F.cols(), s = f + k;
  const Eigen::MatrixXd FtF = F.transpose() * F;
  const Eigen::VectorXd Fty = F.transpose() * yt;
  const double yty = yt.squaredNorm();
  auto upto = [&](double v) {  // observations with q <= v
    return static_cast<std::size_t>(std::upper_bound(sorted_q_.begin(), sorted_q_.end(), v) -
                                    sorted_q_.begin());
  };
  std::vector<double> fx = fixed;
  std::sort(fx.begin(), fx.end());
  const auto min_count = static_cast<std::size_t>(std::ceil(trim * static_cast<double>(n)));
  Eigen::MatrixXd Sxx = Eigen::MatrixXd::Zero(k, k), Q = Eigen::MatrixXd::Zero(k, k);
  Eigen::MatrixXd SxF = Eigen::MatrixXd::Zero(k, f);
  Eigen::VectorXd Sxy = Eigen::VectorXd::Zero(k);
  Eigen::MatrixXd su = Eigen::MatrixXd::Zero(k, static_cast<Eigen::Index>(units_));
  Eigen::MatrixXd A(s, s);
  Eigen::VectorXd rhs(s);
  A.topLeftCorner(f, f) = FtF;
  rhs.head(f) = Fty;
  GridSearch g;
  std::size_t p = 0;
  for (double gamma : grid(trim)) {
    while (p < order_.size() && sorted_q_[p] <= gamma) {
      const auto r = static_cast<Eigen::Index>(order_[p]);
      const auto i = static_cast<Eigen::Index>(d_.unit[order_[p]]);
      const double Ti = static_cast<double>(count_[static_cast<std::size_t>(i)]);
      const Eigen::VectorXd xr = d_.x.row(r).transpose();
      Sxx.noalias() += xr * xr.transpose();
      SxF.noalias() += xr * F.row(r);
      Sxy += xr * yt[r];
      Q.noalias() -= su.col(i) * su.col(i).transpose() / Ti;
      su.col(i) += xr;
      Q.noalias() += su.col(i) * su.col(i).transpose() / Ti;
      ++p;
    }
    // Admissible: both parts of the regime that gamma splits hold min_count observations.
    const auto hi_it = std::lower_bound(fx.begin(), fx.end(), gamma);
    const double lo = hi_it == fx.begin() ? -kInf : *(hi_it - 1);
    const double hi = hi_it == fx.end() ? kInf : *hi_it;
    const std::size_t below = upto(gamma) - (lo == -kInf ? 0 : upto(lo));
    const std::size_t above = (hi == kInf ? static_cast<std::size_t>(n) : upto(hi)) - upto(gamma);
    if (below < min_count || above < min_count || below == 0 || above == 0) continue;
    A.bottomLeftCorner(k, f) = SxF;
    A.topRightCorner(f, k) = SxF.transpose();
    A.bottomRightCorner(k, k) = Sxx - Q;
    rhs.tail(k) = Sxy;
    const Eigen::LDLT<Eigen::MatrixXd> L(A);
    const double fit = rhs.dot(L.solve(rhs));
    g.gamma.push_back(gamma);
    g.ssr.push_back(std::max(yty - fit, 0.0));
  }
  REVEST_REQUIRE(!g.gamma.empty(), "panel threshold: no admissible grid value (trimming "
                                       << trim << " with thresholds already at " << fx.size()
                                       << " values leaves no regime to split)");
  g.best = static_cast<std::size_t>(std::min_element(g.ssr.begin(), g.ssr.end()) - g.ssr.begin());
  return g;
}

GridSearch ThresholdProblem::search_naive(const Eigen::VectorXd& y,
                                          const std::vector<double>& fixed, double trim) const {
  const Eigen::Index n = d_.y.size(), k = d_.x.cols();
  const Eigen::VectorXd yt = demean(y);
  const Eigen::MatrixXd F = fixed_design(fixed);
  std::vector<double> fx = fixed;
  std::sort(fx.begin(), fx.end());
  const auto min_count = static_cast<std::size_t>(std::ceil(trim * static_cast<double>(n)));
  GridSearch g;
  for (double gamma : grid(trim)) {
    const auto hi_it = std::lower_bound(fx.begin(), fx.end(), gamma);
    const double lo = hi_it == fx.begin() ? -kInf : *(hi_it - 1);
    const double hi = hi_it == fx.end() ? kInf : *hi_it;
    std::size_t below = 0, above = 0;
    for (Eigen::Index r = 0; r < n; ++r) {
      below += d_.q[r] > lo && d_.q[r] <= gamma;
      above += d_.q[r] > gamma && d_.q[r] <= hi;
    }
    if (below < min_count || above < min_count || below == 0 || above == 0) continue;
    Eigen::MatrixXd M(n, k);
    for (Eigen::Index r = 0; r < n; ++r)
      M.row(r) = d_.q[r] <= gamma ? Eigen::RowVectorXd(d_.x.row(r)) : Eigen::RowVectorXd::Zero(k);
    Eigen::MatrixXd X(n, F.cols() + k);
    X << F, demean(M);
    g.gamma.push_back(gamma);
    g.ssr.push_back(ols(X, yt, "grid point").second.squaredNorm());
  }
  REVEST_REQUIRE(!g.gamma.empty(), "panel threshold: no admissible grid value");
  g.best = static_cast<std::size_t>(std::min_element(g.ssr.begin(), g.ssr.end()) - g.ssr.begin());
  return g;
}

std::pair<std::vector<double>, double> ThresholdProblem::estimate(const Eigen::VectorXd& y, int m,
                                                                  bool refine) const {
  std::vector<double> found;  // in order of discovery: found[j] used trim(j + 1)
  for (int j = 1; j <= m; ++j) {
    const GridSearch g = search(y, found, trim(j));
    found.push_back(g.gamma[g.best]);
    if (refine && j >= 2)
      for (int e = 0; e + 1 < j; ++e) {
        std::vector<double> others = found;
        others.erase(others.begin() + e);
        const GridSearch h = search(y, others, trim(e + 1));
        found[static_cast<std::size_t>(e)] = h.gamma[h.best];
      }
  }
  std::vector<double> sorted = found;
  std::sort(sorted.begin(), sorted.end());
  return {sorted, ssr(y, sorted)};
}

double ThresholdProblem::bootstrap_F(int m, const Eigen::VectorXd& fitted,
                                     const Eigen::VectorXd& residuals, Rng& rng) const {
  const Eigen::Index n = d_.y.size();
  Eigen::VectorXd ystar = fitted;
  for (std::size_t i = 0; i < units_; ++i) {
    if (opt_.bootstrap == BootstrapKind::kWild) {
      const double v = (rng() >> 31) != 0 ? 1.0 : -1.0;
      for (std::size_t r : rows_of_[i])
        ystar[static_cast<Eigen::Index>(r)] += v * residuals[static_cast<Eigen::Index>(r)];
    } else {
      const auto& s = strata_[i];
      boost::random::uniform_int_distribution<std::size_t> pick(0, s.size() - 1);
      const std::size_t j = s[pick(rng)];
      for (std::size_t t = 0; t < rows_of_[i].size(); ++t)
        ystar[static_cast<Eigen::Index>(rows_of_[i][t])] +=
            residuals[static_cast<Eigen::Index>(rows_of_[j][t])];
    }
  }
  std::vector<double> null;
  double s0 = 0;
  if (m == 1) {
    s0 = ssr(ystar, {});
  } else {
    std::tie(null, s0) = estimate(ystar, m - 1, false);
  }
  const GridSearch g = search(ystar, null, trim(m));
  const double s1 = g.ssr[g.best];
  return (s0 - s1) / (s1 / static_cast<double>(n - static_cast<Eigen::Index>(units_)));
}

ThresholdModel ThresholdProblem::model(const std::vector<double>& fixed) const {
  std::vector<double> th = fixed;
  std::sort(th.begin(), th.end());
  const Eigen::Index n = d_.y.size(), k = d_.x.cols(), pz = d_.z.cols();
  const auto R = static_cast<Eigen::Index>(th.size() + 1);
  ThresholdModel md;
  md.thresholds = th;
  md.regime_counts.assign(static_cast<std::size_t>(R), 0);
  Eigen::MatrixXd D = Eigen::MatrixXd::Zero(n, k * R + pz);
  for (Eigen::Index r = 0; r < n; ++r) {
    const auto reg = static_cast<Eigen::Index>(std::lower_bound(th.begin(), th.end(), d_.q[r]) -
                                               th.begin());  // q <= th[reg]
    ++md.regime_counts[static_cast<std::size_t>(reg)];
    D.block(r, k * reg, 1, k) = d_.x.row(r);
  }
  D.rightCols(pz) = d_.z;
  const Eigen::MatrixXd Dt = demean(D);
  const Eigen::VectorXd yt = demean(d_.y);
  const auto [b, e] = ols(Dt, yt, "slopes");
  md.ssr = e.squaredNorm();
  const double dof = static_cast<double>(n) - static_cast<double>(units_);
  md.sigma2 = md.ssr / dof;
  const Eigen::Index p = Dt.cols();
  const Eigen::MatrixXd XtXi = (Dt.transpose() * Dt).ldlt().solve(Eigen::MatrixXd::Identity(p, p));
  const double s2 = md.ssr / (dof - static_cast<double>(p));
  Eigen::MatrixXd meat = Eigen::MatrixXd::Zero(p, p);
  for (std::size_t i = 0; i < units_; ++i) {
    Eigen::VectorXd sc = Eigen::VectorXd::Zero(p);
    for (std::size_t r : rows_of_[i])
      sc += Dt.row(static_cast<Eigen::Index>(r)).transpose() * e[static_cast<Eigen::Index>(r)];
    meat.noalias() += sc * sc.transpose();
  }
  const double G = static_cast<double>(units_);
  const double c = G / (G - 1) * (static_cast<double>(n) - 1) /
                   (static_cast<double>(n) - static_cast<double>(p));
  const Eigen::MatrixXd Vc = c * XtXi * meat * XtXi;
  // Names built with a stream (GCC 12's -Wrestrict misfires on chained string concatenation).
  auto x_name = [&](Eigen::Index j) {
    std::ostringstream os;
    if (static_cast<std::size_t>(j) < d_.x_names.size())
      os << d_.x_names[static_cast<std::size_t>(j)];
    else
      os << 'x' << j + 1;
    return os.str();
  };
  for (Eigen::Index reg = 0; reg < R; ++reg)
    for (Eigen::Index j = 0; j < k; ++j) {
      Slope sl;
      std::ostringstream term;
      term << x_name(j) << " (regime " << reg << ": ";
      if (reg == 0)
        term << "-inf";
      else
        term << th[static_cast<std::size_t>(reg - 1)];
      term << " < q <= ";
      if (reg == R - 1)
        term << "inf";
      else
        term << th[static_cast<std::size_t>(reg)];
      term << ')';
      sl.term = term.str();
      sl.regime = static_cast<int>(reg);
      const Eigen::Index col = k * reg + j;
      sl.estimate = b[col];
      sl.se = std::sqrt(s2 * XtXi(col, col));
      sl.se_cluster = std::sqrt(Vc(col, col));
      md.slopes.push_back(sl);
    }
  for (Eigen::Index j = 0; j < pz; ++j) {
    Slope sl;
    std::ostringstream term;
    if (static_cast<std::size_t>(j) < d_.z_names.size())
      term << d_.z_names[static_cast<std::size_t>(j)];
    else
      term << 'z' << j + 1;
    sl.term = term.str();
    const Eigen::Index col = k * R + j;
    sl.estimate = b[col];
    sl.se = std::sqrt(s2 * XtXi(col, col));
    sl.se_cluster = std::sqrt(Vc(col, col));
    md.slopes.push_back(sl);
  }
  return md;
}

ThresholdResult threshold_estimates(const ThresholdProblem& P) {
  const ThresholdOptions& options = P.options();
  const Eigen::VectorXd& y = P.data().y;
  const double n_minus_N = static_cast<double>(y.size()) - static_cast<double>(P.units());
  const double crit = -2 * std::log(1 - std::sqrt(options.confidence));
  ThresholdResult res;
  res.options = options;
  res.observations = static_cast<std::size_t>(y.size());
  res.units = P.units();
  res.models.push_back(P.model({}));
  std::vector<double> prev;
  double s_prev = res.models[0].ssr;
  for (int m = 1; m <= options.max_thresholds; ++m) {
    auto [th, s_m] = P.estimate(y, m, options.refine);
    ThresholdModel md = P.model(th);
    const double sigma2 = s_m / n_minus_N;
    // LR intervals: each threshold with the others fixed, over its admissible grid values.
    for (std::size_t j = 0; j < th.size(); ++j) {
      std::vector<double> others = th;
      others.erase(others.begin() + static_cast<std::ptrdiff_t>(j));
      const GridSearch g = P.search(y, others, P.trim(1));
      double lo = th[j], hi = th[j];
      for (std::size_t c = 0; c < g.gamma.size(); ++c)
        if ((g.ssr[c] - s_m) / sigma2 <= crit) {
          lo = std::min(lo, g.gamma[c]);
          hi = std::max(hi, g.gamma[c]);
        }
      md.intervals.emplace_back(lo, hi);
    }
    // The LR curve that found the m-th threshold (the others at the m - 1 model's estimates):
    // Hansen's figures.
    const GridSearch g = P.search(y, prev, P.trim(m));
    for (std::size_t c = 0; c < g.gamma.size(); ++c) {
      md.lr_gamma.push_back(g.gamma[c]);
      md.lr.push_back((g.ssr[c] - g.ssr[g.best]) / sigma2);
    }
    ThresholdTest test;
    test.m = m;
    test.F = (s_prev - s_m) / sigma2;
    set_bootstrap(test, {});
    res.tests.push_back(test);
    res.models.push_back(std::move(md));
    prev = th;
    s_prev = s_m;
  }
  return res;
}

void set_bootstrap(ThresholdTest& test, const std::vector<double>& fstar) {
  test.replications = fstar.size();
  if (fstar.empty()) {
    test.pvalue = test.crit90 = test.crit95 = test.crit99 =
        std::numeric_limits<double>::quiet_NaN();
    return;
  }
  std::size_t above = 0;
  for (double f : fstar) above += f >= test.F;
  test.pvalue = static_cast<double>(above) / static_cast<double>(fstar.size());
  test.crit90 = stats::quantile_type1(fstar, 0.90);
  test.crit95 = stats::quantile_type1(fstar, 0.95);
  test.crit99 = stats::quantile_type1(fstar, 0.99);
}

ThresholdResult panel_threshold(const ThresholdData& data, const ThresholdOptions& options,
                                const RngKey& key) {
  const ThresholdProblem P(data, options);
  ThresholdResult res = threshold_estimates(P);
  if (options.replications == 0) return res;
  for (ThresholdTest& test : res.tests) {
    const auto [fitted, resid] =
        P.fit(P.data().y, res.models[static_cast<std::size_t>(test.m - 1)].thresholds);
    std::vector<double> fs;
    for (std::size_t b = 0; b < options.replications; ++b) {
      const auto rep = static_cast<std::uint32_t>(b);
      Rng rng = key.stream(rep).for_replication(rep, static_cast<std::uint32_t>(test.m));
      fs.push_back(P.bootstrap_F(test.m, fitted, resid, rng));
    }
    set_bootstrap(test, fs);
  }
  return res;
}

std::string ThresholdResult::brief_report() const {
  std::ostringstream os;
  os << "Panel threshold regression (Hansen 1999), " << observations << " observations of " << units
     << " units:";
  for (const ThresholdTest& t : tests) {
    const ThresholdModel& m = models[static_cast<std::size_t>(t.m)];
    os << " m = " << t.m << ": thresholds";
    for (std::size_t j = 0; j < m.thresholds.size(); ++j)
      os << " " << m.thresholds[j] << " [" << m.intervals[j].first << ", " << m.intervals[j].second
         << "]";
    os << ", F " << t.F << ", bootstrap p " << t.pvalue << " (" << t.replications << ");";
  }
  return os.str();
}

}  // namespace revest::threshold
