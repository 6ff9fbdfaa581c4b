#include "did/callaway_santanna.hpp"

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "core/stats.hpp"

namespace revest::did {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// The 2 x 2 estimate with covariates (dr, reg or ipw: callaway_santanna.hpp) on units `u` (the
/// first `n_treated` treated) with outcome changes dy and covariate rows X (intercept first).
/// Returns false if the propensity score or the outcome model cannot be fitted; else sets att and
/// f (psi scale: variance = sum of squares) at the units' positions.
bool with_covariates(CovariateMethod method, const std::vector<std::size_t>& u,
                     std::size_t n_treated, const Eigen::VectorXd& dy, const Eigen::MatrixXd& X,
                     double& att, Eigen::VectorXd& f) {
  const Eigen::Index n = X.rows(), q = X.cols();
  const auto nd = static_cast<double>(n);
  const bool use_ps = method != CovariateMethod::kOutcomeRegression;
  const bool use_or = method != CovariateMethod::kIpw;
  Eigen::VectorXd D = Eigen::VectorXd::Zero(n);
  D.head(static_cast<Eigen::Index>(n_treated)).setOnes();
  // Logit by Newton-Raphson.
  Eigen::VectorXd beta = Eigen::VectorXd::Zero(q), p(n);
  Eigen::MatrixXd H(q, q);
  bool converged = !use_ps;
  for (int it = 0; it < 100 && !converged; ++it) {
    p = (1.0 / (1.0 + (-(X * beta).array()).exp())).matrix();
    const Eigen::VectorXd w = (p.array() * (1 - p.array())).matrix();
    H = X.transpose() * w.asDiagonal() * X;
    const Eigen::LDLT<Eigen::MatrixXd> L(H);
    if (L.info() != Eigen::Success || !L.isPositive()) return false;
    const Eigen::VectorXd step = L.solve(X.transpose() * (D - p));
    beta += step;
    converged = step.cwiseAbs().maxCoeff() < 1e-12 * (1 + beta.cwiseAbs().maxCoeff());
  }
  if (!converged) return false;
  Eigen::VectorXd ps = Eigen::VectorXd::Zero(n);
  Eigen::MatrixXd ps_hess = Eigen::MatrixXd::Zero(q, q);
  if (use_ps) {
    p = (1.0 / (1.0 + (-(X * beta).array()).exp())).matrix();
    const Eigen::VectorXd w_fit = (p.array() * (1 - p.array())).matrix();
    ps_hess = nd * (X.transpose() * w_fit.asDiagonal() * X).inverse();
    ps = p.cwiseMin(1 - 1e-6);
  }
  // Outcome model on the comparison units.
  Eigen::VectorXd m = Eigen::VectorXd::Zero(n);
  Eigen::MatrixXd ols_inv = Eigen::MatrixXd::Zero(q, q);
  if (use_or) {
    const Eigen::MatrixXd Xc = X.bottomRows(n - static_cast<Eigen::Index>(n_treated));
    const Eigen::VectorXd dyc = dy.tail(n - static_cast<Eigen::Index>(n_treated));
    const Eigen::LDLT<Eigen::MatrixXd> Lc(Xc.transpose() * Xc);
    if (Lc.info() != Eigen::Success || !Lc.isPositive()) return false;
    m = X * Lc.solve(Xc.transpose() * dyc);
    ols_inv = (Xc.transpose() * Xc / nd).inverse();
  }
  const Eigen::VectorXd e = dy - m;  // the outcome model's residual (ipw: dY itself)
  // Weights: treated D; comparison p (1 - D) / (1 - p) (dr, ipw, trimmed), or D for reg, whose
  // comparison term is the treated units' mean prediction.
  Eigen::VectorXd wt(n), wc(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double trim = !use_ps || D[i] > 0 || ps[i] < 0.995 ? 1.0 : 0.0;
    wt[i] = trim * D[i];
    wc[i] = use_ps ? trim * ps[i] * (1 - D[i]) / (1 - ps[i]) : D[i];
  }
  const double mwt = wt.mean(), mwc = wc.mean();
  if (!(mwt > 0) || !(mwc > 0)) return false;
  // Influence functions (DRDID's, n scale), then psi = IF / n.
  Eigen::VectorXd M1 = Eigen::VectorXd::Zero(q), M2 = M1, M3 = M1;
  if (method == CovariateMethod::kOutcomeRegression) {
    const double eta_t = (wt.array() * dy.array()).mean() / mwt;
    const double eta_c = (wc.array() * m.array()).mean() / mwc;
    att = eta_t - eta_c;
    for (Eigen::Index i = 0; i < n; ++i) M1 += wc[i] * X.row(i).transpose() / nd;
    for (Eigen::Index i = 0; i < n; ++i) {
      const Eigen::RowVectorXd ols = (1 - D[i]) * e[i] * X.row(i) * ols_inv;
      const double inf_t = (wt[i] * dy[i] - wt[i] * eta_t) / mwt;
      const double inf_c = (wc[i] * m[i] - wc[i] * eta_c + ols.dot(M1)) / mwc;
      f[static_cast<Eigen::Index>(u[static_cast<std::size_t>(i)])] = (inf_t - inf_c) / nd;
    }
    return true;
  }
  const double eta_t = (wt.array() * e.array()).mean() / mwt;
  const double eta_c = (wc.array() * e.array()).mean() / mwc;
  att = eta_t - eta_c;
  for (Eigen::Index i = 0; i < n; ++i) {
    M1 += wt[i] * X.row(i).transpose() / nd;
    M2 += wc[i] * (e[i] - eta_c) * X.row(i).transpose() / nd;
    M3 += wc[i] * X.row(i).transpose() / nd;
  }
  for (Eigen::Index i = 0; i < n; ++i) {
    const Eigen::RowVectorXd psr = (D[i] - ps[i]) * X.row(i) * ps_hess;
    double inf_t = wt[i] * e[i] - wt[i] * eta_t;
    double inf_c = wc[i] * e[i] - wc[i] * eta_c + psr.dot(M2);
    if (use_or) {  // dr: the outcome model's estimation enters both parts
      const Eigen::RowVectorXd ols = (1 - D[i]) * e[i] * X.row(i) * ols_inv;
      inf_t -= ols.dot(M1);
      inf_c -= ols.dot(M3);
    }
    f[static_cast<Eigen::Index>(u[static_cast<std::size_t>(i)])] = (inf_t / mwt - inf_c / mwc) / nd;
  }
  return true;
}

/// sqrt of the column's sum of squares: the standard error of an influence function.
double se_of(const Eigen::VectorXd& psi) { return std::sqrt(psi.squaredNorm()); }

}  // namespace

const char* to_string(ComparisonGroup c) {
  return c == ComparisonGroup::kNotYetTreated ? "not_yet_treated" : "never_treated";
}
ComparisonGroup comparison_group_from_string(const std::string& s) {
  if (s == "never_treated") return ComparisonGroup::kNeverTreated;
  if (s == "not_yet_treated") return ComparisonGroup::kNotYetTreated;
  REVEST_FAIL("unknown comparison group '" << s << "' (never_treated or not_yet_treated)");
}
const char* to_string(CovariateMethod m) {
  return m == CovariateMethod::kOutcomeRegression ? "reg"
         : m == CovariateMethod::kIpw             ? "ipw"
                                                  : "dr";
}
CovariateMethod covariate_method_from_string(const std::string& s) {
  if (s == "dr") return CovariateMethod::kDoublyRobust;
  if (s == "reg") return CovariateMethod::kOutcomeRegression;
  if (s == "ipw") return CovariateMethod::kIpw;
  REVEST_FAIL("unknown covariate method '" << s << "' (dr, reg or ipw)");
}
const char* to_string(BasePeriod b) {
  return b == BasePeriod::kUniversal ? "universal" : "varying";
}
BasePeriod base_period_from_string(const std::string& s) {
  if (s == "varying") return BasePeriod::kVarying;
  if (s == "universal") return BasePeriod::kUniversal;
  REVEST_FAIL("unknown base period '" << s << "' (varying or universal)");
}

void require_shape(const StaggeredPanel& panel, const std::string& who, std::size_t min_periods) {
  const auto N = static_cast<std::size_t>(panel.y.rows());
  const auto T = static_cast<std::size_t>(panel.y.cols());
  REVEST_REQUIRE(panel.periods.size() == T && panel.first_treat.size() == N && T >= min_periods,
                 who << ": " << N << " x " << T << " outcomes, " << panel.periods.size()
                     << " periods, " << panel.first_treat.size()
                     << " first-treatment periods (at least " << min_periods << " periods)");
}

Eigen::MatrixXd treatment_matrix(const StaggeredPanel& panel) {
  Eigen::MatrixXd D(panel.y.rows(), panel.y.cols());
  for (Eigen::Index i = 0; i < D.rows(); ++i)
    for (Eigen::Index t = 0; t < D.cols(); ++t) {
      const int g = panel.first_treat[static_cast<std::size_t>(i)];
      D(i, t) = g != 0 && panel.periods[static_cast<std::size_t>(t)] >= g ? 1.0 : 0.0;
    }
  return D;
}

void CsOptions::validate() const {
  REVEST_REQUIRE(anticipation >= 0,
                 "Callaway-Sant'Anna options: anticipation must be >= 0, got " << anticipation);
  REVEST_REQUIRE(
      balance_e >= -1,
      "Callaway-Sant'Anna options: balance_e must be >= 0 (or -1: off), got " << balance_e);
}

CsResult callaway_santanna(const StaggeredPanel& panel, const CsOptions& options) {
  options.validate();
  const auto N = static_cast<std::size_t>(panel.y.rows());
  const auto T = static_cast<std::size_t>(panel.y.cols());
  require_shape(panel, "Callaway-Sant'Anna", 2);
  for (const auto& x : panel.covariates)
    REVEST_REQUIRE(
        static_cast<std::size_t>(x.rows()) == N && static_cast<std::size_t>(x.cols()) == T,
        "Callaway-Sant'Anna: a covariate is " << x.rows() << " x " << x.cols() << ", not " << N
                                              << " x " << T);
  for (std::size_t t = 1; t < T; ++t)
    REVEST_REQUIRE(panel.periods[t] > panel.periods[t - 1],
                   "Callaway-Sant'Anna: periods must be ascending (" << panel.periods[t - 1] << ", "
                                                                     << panel.periods[t] << ")");
  const int first = panel.periods.front(), last = panel.periods.back();
  auto name = [&](std::size_t i) {
    return i < panel.unit_names.size() ? panel.unit_names[i] : "unit " + std::to_string(i);
  };
  // Effective groups: 0 never (or after the last period), -1 dropped (treated in the first period).
  std::vector<int> G(N);
  CsResult r;
  r.options = options;
  r.units = N;
  std::set<int> groups;
  for (std::size_t i = 0; i < N; ++i) {
    const int g = panel.first_treat[i];
    if (g == 0 || g > last) {
      G[i] = 0;
    } else if (g <= first) {
      G[i] = -1;
      ++r.dropped_first_period;
    } else {
      REVEST_REQUIRE(std::binary_search(panel.periods.begin(), panel.periods.end(), g),
                     "Callaway-Sant'Anna: " << name(i) << " is first treated in " << g
                                            << ", which is not a period of the data");
      G[i] = g;
      groups.insert(g);
    }
  }
  const std::size_t kept = N - r.dropped_first_period;
  std::size_t never = 0;
  for (int g : G) never += g == 0;
  REVEST_REQUIRE(options.comparison == ComparisonGroup::kNotYetTreated || never > 0,
                 "Callaway-Sant'Anna: no never-treated unit for the never-treated comparison "
                 "group (use not_yet_treated)");
  REVEST_REQUIRE(!groups.empty(),
                 "Callaway-Sant'Anna: no unit is first treated after the first "
                 "period: there is no group-time effect to estimate");
  std::map<int, double> pg;  // P(G = g): share of the kept units
  for (int g : G)
    if (g > 0) pg[g] += 1.0 / static_cast<double>(kept);

  // ---- ATT(g, t) ----
  std::vector<Eigen::VectorXd> psi;
  std::size_t failed = 0;
  for (int g : groups) {
    // pret: the last period p with p + anticipation < g.
    std::ptrdiff_t pret = -1;
    for (std::size_t k = 0; k < T; ++k)
      if (panel.periods[k] + options.anticipation < g) pret = static_cast<std::ptrdiff_t>(k);
    if (pret < 0) continue;  // no untreated base period under this anticipation
    const std::size_t t0 = options.base == BasePeriod::kVarying ? 1 : 0;
    for (std::size_t t = t0; t < T; ++t) {
      AttCell c;
      c.group = g;
      c.period = panel.periods[t];
      c.post = c.period >= g;
      std::size_t b =
          options.base == BasePeriod::kVarying && !c.post ? t - 1 : static_cast<std::size_t>(pret);
      c.base = panel.periods[b];
      Eigen::VectorXd f = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(N));
      if (b == t) {  // the universal base period itself: the reference, 0 by construction
        r.cells.push_back(c);
        psi.push_back(f);
        continue;
      }
      const int horizon = panel.periods[std::max(t, b)] + options.anticipation;
      double sg = 0, sc = 0;
      std::vector<std::size_t> tr, co;
      for (std::size_t i = 0; i < N; ++i) {
        const bool treated = G[i] == g;
        const bool control = G[i] == 0 || (options.comparison == ComparisonGroup::kNotYetTreated &&
                                           G[i] > 0 && G[i] > horizon && G[i] != g);
        if (!treated && !control) continue;
        const double dy = panel.y(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(t)) -
                          panel.y(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(b));
        if (!std::isfinite(dy)) continue;  // not observed in both periods
        bool x_ok = true;
        for (const auto& x : panel.covariates)
          x_ok =
              x_ok && std::isfinite(x(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(b)));
        if (!x_ok) continue;
        (treated ? tr : co).push_back(i);
        (treated ? sg : sc) += dy;
      }
      c.treated = tr.size();
      c.controls = co.size();
      if (tr.empty() || co.empty()) {
        c.att = c.se = kNaN;
        ++failed;
        r.cells.push_back(c);
        psi.push_back(Eigen::VectorXd::Constant(static_cast<Eigen::Index>(N), kNaN));
        continue;
      }
      auto dy_of = [&](std::size_t i) {
        return panel.y(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(t)) -
               panel.y(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(b));
      };
      if (!panel.covariates.empty()) {
        // With the covariates' base-period values, by options.method.
        std::vector<std::size_t> u = tr;
        u.insert(u.end(), co.begin(), co.end());
        const auto nu = static_cast<Eigen::Index>(u.size());
        Eigen::MatrixXd X(nu, static_cast<Eigen::Index>(panel.covariates.size()) + 1);
        Eigen::VectorXd dy(nu);
        for (Eigen::Index k = 0; k < nu; ++k) {
          const auto i = static_cast<Eigen::Index>(u[static_cast<std::size_t>(k)]);
          X(k, 0) = 1;
          for (std::size_t j = 0; j < panel.covariates.size(); ++j)
            X(k, static_cast<Eigen::Index>(j) + 1) =
                panel.covariates[j](i, static_cast<Eigen::Index>(b));
          dy[k] = dy_of(u[static_cast<std::size_t>(k)]);
        }
        if (!with_covariates(options.method, u, tr.size(), dy, X, c.att, f)) {
          c.att = c.se = kNaN;
          ++failed;
          r.cells.push_back(c);
          psi.push_back(Eigen::VectorXd::Constant(static_cast<Eigen::Index>(N), kNaN));
          continue;
        }
        c.se = se_of(f);
        r.cells.push_back(c);
        psi.push_back(f);
        continue;
      }
      const double mg = sg / static_cast<double>(tr.size()),
                   mc = sc / static_cast<double>(co.size());
      c.att = mg - mc;
      for (std::size_t i : tr)
        f[static_cast<Eigen::Index>(i)] = (dy_of(i) - mg) / static_cast<double>(tr.size());
      for (std::size_t i : co)
        f[static_cast<Eigen::Index>(i)] = -(dy_of(i) - mc) / static_cast<double>(co.size());
      c.se = se_of(f);
      r.cells.push_back(c);
      psi.push_back(f);
    }
  }
  const auto K = static_cast<Eigen::Index>(r.cells.size());
  r.influence.resize(static_cast<Eigen::Index>(N), K);
  for (Eigen::Index k = 0; k < K; ++k) r.influence.col(k) = psi[static_cast<std::size_t>(k)];
  if (failed > 0)
    r.status = Status::Make(StatusCode::kNumericalFailure,
                            std::to_string(failed) +
                                " group-time cell(s) without treated or comparison units observed "
                                "in both periods, or whose doubly robust fit failed (NaN)");

  // ---- aggregations ----
  // The aggregate of items (group g_k, effect a_k, influence f_k) with weights P(G = g_k) / sum:
  // value and influence function, including the weights' own (R did's wif, divided by n to the
  // psi scale).
  struct Item {
    int group;
    double att;
    Eigen::VectorXd f;
  };
  auto weighted = [&](const std::vector<Item>& items, double& att, Eigen::VectorXd& f) {
    double S = 0;
    for (const Item& it : items) S += pg[it.group];
    att = 0;
    f = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(N));
    Eigen::VectorXd sum_dev = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(N));
    for (const Item& it : items) {
      const double w = pg[it.group] / S;
      att += w * it.att;
      f += w * it.f;
      for (std::size_t i = 0; i < N; ++i)
        if (G[i] >= 0)
          sum_dev[static_cast<Eigen::Index>(i)] += (G[i] == it.group ? 1.0 : 0.0) - pg[it.group];
    }
    for (const Item& it : items) {
      const double p = pg[it.group];
      for (std::size_t i = 0; i < N; ++i) {
        if (G[i] < 0) continue;
        const double wif = ((G[i] == it.group ? 1.0 : 0.0) - p) / S -
                           sum_dev[static_cast<Eigen::Index>(i)] * p / (S * S);
        f[static_cast<Eigen::Index>(i)] += wif / static_cast<double>(kept) * it.att;
      }
    }
  };
  auto cells_where = [&](auto pred) {
    std::vector<Item> items;
    for (std::size_t k = 0; k < r.cells.size(); ++k)
      if (pred(r.cells[k]))
        items.push_back(
            {r.cells[k].group, r.cells[k].att, r.influence.col(static_cast<Eigen::Index>(k))});
    return items;
  };
  auto finish = [&](CsAggregate& a, const std::vector<Eigen::VectorXd>& fs,
                    const std::vector<std::size_t>& overall_of, const Eigen::VectorXd* overall_f) {
    a.influence.resize(static_cast<Eigen::Index>(N), static_cast<Eigen::Index>(fs.size() + 1));
    for (std::size_t k = 0; k < fs.size(); ++k) {
      a.influence.col(static_cast<Eigen::Index>(k)) = fs[k];
      a.se.push_back(se_of(fs[k]));
    }
    Eigen::VectorXd fo = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(N));
    if (overall_f) {
      fo = *overall_f;
    } else {
      a.overall_att = 0;
      for (std::size_t k : overall_of) {
        a.overall_att += a.att[k] / static_cast<double>(overall_of.size());
        fo += fs[k] / static_cast<double>(overall_of.size());
      }
    }
    a.overall_se = se_of(fo);
    a.influence.col(static_cast<Eigen::Index>(fs.size())) = fo;
  };
  {  // simple: the post-treatment cells
    Eigen::VectorXd f;
    weighted(cells_where([](const AttCell& c) { return c.post; }), r.simple.overall_att, f);
    finish(r.simple, {}, {}, &f);
  }
  {  // group: theta(g) = mean of g's post-treatment cells; overall weighted by P(G = g)
    std::vector<Eigen::VectorXd> fs;
    std::vector<Item> per_group;
    for (int g : groups) {
      const std::vector<Item> items =
          cells_where([g](const AttCell& c) { return c.group == g && c.post; });
      if (items.empty()) continue;
      Item m{g, 0.0, Eigen::VectorXd::Zero(static_cast<Eigen::Index>(N))};
      for (const Item& it : items) {
        m.att += it.att / static_cast<double>(items.size());
        m.f += it.f / static_cast<double>(items.size());
      }
      r.group.key.push_back(g);
      r.group.att.push_back(m.att);
      fs.push_back(m.f);
      per_group.push_back(std::move(m));
    }
    Eigen::VectorXd fo;
    weighted(per_group, r.group.overall_att, fo);
    finish(r.group, fs, {}, &fo);
  }
  {  // dynamic: event time e = t - g; overall = mean over e >= 0
    auto included = [&](const AttCell& c) {
      return options.balance_e < 0 ||
             (last - c.group >= options.balance_e && c.period - c.group <= options.balance_e);
    };
    std::set<int> es;
    for (const AttCell& c : r.cells)
      if (included(c)) es.insert(c.period - c.group);
    std::vector<Eigen::VectorXd> fs;
    std::vector<std::size_t> post;
    for (int e : es) {
      double att = 0;
      Eigen::VectorXd f;
      weighted(
          cells_where([&](const AttCell& c) { return included(c) && c.period - c.group == e; }),
          att, f);
      if (e >= 0) post.push_back(r.dynamic.key.size());
      r.dynamic.key.push_back(e);
      r.dynamic.att.push_back(att);
      fs.push_back(f);
    }
    finish(r.dynamic, fs, post, nullptr);
  }
  {  // calendar: the post-treatment cells of each period; overall = mean over periods
    std::vector<Eigen::VectorXd> fs;
    std::vector<std::size_t> all;
    for (std::size_t t = 0; t < T; ++t) {
      const int p = panel.periods[t];
      const std::vector<Item> items =
          cells_where([p](const AttCell& c) { return c.post && c.period == p; });
      if (items.empty()) continue;
      double att = 0;
      Eigen::VectorXd f;
      weighted(items, att, f);
      all.push_back(r.calendar.key.size());
      r.calendar.key.push_back(p);
      r.calendar.att.push_back(att);
      fs.push_back(f);
    }
    finish(r.calendar, fs, all, nullptr);
  }
  return r;
}

Eigen::MatrixXd multiplier_draws(const Eigen::MatrixXd& psi, std::size_t begin, std::size_t end,
                                 const Rng& streams, std::uint32_t part) {
  REVEST_REQUIRE(begin <= end, "multiplier bootstrap: replications [" << begin << ", " << end
                                                                      << ") are not a range");
  const Eigen::Index N = psi.rows(), K = psi.cols(), B = static_cast<Eigen::Index>(end - begin);
  std::vector<Eigen::Index> cols;  // columns with a finite influence function
  for (Eigen::Index k = 0; k < K; ++k)
    if (psi.col(k).allFinite()) cols.push_back(k);
  Eigen::MatrixXd P(N, static_cast<Eigen::Index>(cols.size()));
  for (std::size_t c = 0; c < cols.size(); ++c)
    P.col(static_cast<Eigen::Index>(c)) = psi.col(cols[c]);
  // Mammen's two-point weights (mean 0, variance 1, third moment 1).
  const double lo = -(std::sqrt(5.0) - 1) / 2, hi = (std::sqrt(5.0) + 1) / 2;
  const double p_lo = (std::sqrt(5.0) + 1) / (2 * std::sqrt(5.0));
  Eigen::MatrixXd Dc(B, P.cols());
  // Blocks of replications whose weights (block x N) stay near 16 M doubles (128 MB).
  const Eigen::Index kBlock =
      std::clamp<Eigen::Index>((Eigen::Index{1} << 24) / std::max<Eigen::Index>(N, 1), 1, 256);
  Eigen::MatrixXd V(std::min(kBlock, std::max<Eigen::Index>(B, 1)), N);
  for (Eigen::Index b0 = 0; b0 < B; b0 += kBlock) {
    const Eigen::Index nb = std::min(kBlock, B - b0);
    for (Eigen::Index b = 0; b < nb; ++b) {
      const auto rep = static_cast<std::uint32_t>(begin + static_cast<std::size_t>(b0 + b));
      Rng rng = streams.for_replication(rep, part);
      for (Eigen::Index i = 0; i < N; ++i) V(b, i) = rng.uniform01() < p_lo ? lo : hi;
    }
    Dc.middleRows(b0, nb).noalias() = V.topRows(nb) * P;
  }
  Eigen::MatrixXd D = Eigen::MatrixXd::Constant(B, K, kNaN);
  for (std::size_t c = 0; c < cols.size(); ++c)
    D.col(cols[c]) = Dc.col(static_cast<Eigen::Index>(c));
  return D;
}

MultiplierResult multiplier_summary(const Eigen::MatrixXd& D, double confidence) {
  REVEST_REQUIRE(D.rows() >= 2, "multiplier bootstrap: needs two replications or more");
  REVEST_REQUIRE(confidence > 0 && confidence < 1,
                 "multiplier bootstrap: confidence must be in (0, 1), got " << confidence);
  const Eigen::Index B = D.rows(), K = D.cols();
  constexpr double kIqrNormal = 1.3489795003921634;  // z_0.75 - z_0.25
  MultiplierResult r;
  r.replications = static_cast<std::size_t>(B);
  r.se = Eigen::VectorXd::Constant(K, kNaN);
  std::vector<Eigen::Index> cols;
  for (Eigen::Index k = 0; k < K; ++k) {
    if (!D.col(k).allFinite()) continue;
    const auto col = D.col(k);
    const std::vector<double> v(col.data(), col.data() + B);
    r.se[k] = (stats::quantile_type1(v, 0.75) - stats::quantile_type1(v, 0.25)) / kIqrNormal;
    cols.push_back(k);
  }
  std::vector<double> sup(static_cast<std::size_t>(B), 0.0);
  for (Eigen::Index b = 0; b < B; ++b)
    for (const Eigen::Index k : cols)
      if (r.se[k] > 0)
        sup[static_cast<std::size_t>(b)] =
            std::max(sup[static_cast<std::size_t>(b)], std::abs(D(b, k)) / r.se[k]);
  r.crit = cols.empty() ? kNaN : stats::quantile_type1(sup, confidence);
  return r;
}

MultiplierResult multiplier_bootstrap(const Eigen::MatrixXd& psi, std::size_t replications,
                                      const RngKey& key, double confidence, std::uint32_t part) {
  REVEST_REQUIRE(replications >= 2, "multiplier bootstrap: needs two replications or more");
  return multiplier_summary(multiplier_draws(psi, 0, replications, key.stream(0), part),
                            confidence);
}

PreTest parallel_trends_pretest(const CsResult& r) {
  PreTest t;
  std::vector<Eigen::Index> pre;
  for (std::size_t k = 0; k < r.cells.size(); ++k) {
    const AttCell& c = r.cells[k];
    if (!c.post && c.base != c.period && std::isfinite(c.att))
      pre.push_back(static_cast<Eigen::Index>(k));
  }
  t.cells = pre.size();
  if (pre.empty()) {
    t.statistic = kNaN;
    return t;
  }
  Eigen::VectorXd theta(static_cast<Eigen::Index>(pre.size()));
  Eigen::MatrixXd P(r.influence.rows(), theta.size());
  for (std::size_t k = 0; k < pre.size(); ++k) {
    theta[static_cast<Eigen::Index>(k)] = r.cells[static_cast<std::size_t>(pre[k])].att;
    P.col(static_cast<Eigen::Index>(k)) = r.influence.col(pre[k]);
  }
  const Eigen::MatrixXd V = P.transpose() * P;
  const Eigen::LDLT<Eigen::MatrixXd> L(V);
  const Eigen::VectorXd d = L.vectorD();
  if (L.info() != Eigen::Success || d.minCoeff() <= 1e-12 * d.cwiseAbs().maxCoeff()) {
    t.statistic = t.pvalue = kNaN;
    t.status = Status::Make(StatusCode::kNumericalFailure,
                            "the pre-treatment cells' covariance is singular");
    return t;
  }
  t.statistic = theta.dot(L.solve(theta));
  const boost::math::chi_squared chi(static_cast<double>(pre.size()));
  t.pvalue = boost::math::cdf(boost::math::complement(chi, t.statistic));
  return t;
}

std::string CsResult::brief_report() const {
  std::ostringstream os;
  os << "Callaway-Sant'Anna ATT(g, t) (" << to_string(options.comparison) << ", "
     << to_string(options.base) << " base period, anticipation " << options.anticipation
     << "): " << cells.size() << " cells of " << units << " units; simple " << simple.overall_att
     << " (" << simple.overall_se << "), group " << group.overall_att << " (" << group.overall_se
     << "), dynamic " << dynamic.overall_att << " (" << dynamic.overall_se << "); status "
     << status.to_string() << ".";
  return os.str();
}

}  // namespace revest::did
