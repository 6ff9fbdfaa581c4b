#include "did/twfe.hpp"

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "core/error.hpp"

namespace revest::did {

void TwfeOptions::validate() const {
  REVEST_REQUIRE(leads >= 1 && lags >= 0,
                 "TWFE options: the event-study window needs leads >= 1 "
                 "(the reference period is e = -1) and lags >= 0, got "
                     << leads << " and " << lags);
}

TwfeDesign within_design(const StaggeredPanel& panel,
                         const std::vector<Eigen::MatrixXd>& covariates,
                         const std::vector<int>& cluster, const std::vector<std::string>& terms,
                         const std::vector<int>& event_time, const RegressorFill& fill,
                         const ObservationFilter& keep) {
  const Eigen::Index N = panel.y.rows(), T = panel.y.cols();
  require_shape(panel, "TWFE");
  REVEST_REQUIRE(cluster.empty() || static_cast<Eigen::Index>(cluster.size()) == N,
                 "TWFE: " << cluster.size() << " cluster ids for " << N << " units");
  REVEST_REQUIRE(terms.size() == event_time.size(),
                 "TWFE: " << terms.size() << " terms and " << event_time.size() << " event times");
  for (const auto& c : covariates)
    REVEST_REQUIRE(c.rows() == N && c.cols() == T, "TWFE: a covariate is " << c.rows() << " x "
                                                                           << c.cols() << ", not "
                                                                           << N << " x " << T);
  // Observations: finite outcome and covariates, and kept by the filter.
  std::vector<std::pair<Eigen::Index, Eigen::Index>> obs;
  for (Eigen::Index i = 0; i < N; ++i)
    for (Eigen::Index t = 0; t < T; ++t) {
      bool ok = std::isfinite(panel.y(i, t)) && (!keep || keep(i, t));
      for (const auto& c : covariates) ok = ok && std::isfinite(c(i, t));
      if (ok) obs.emplace_back(i, t);
    }
  const auto n = static_cast<Eigen::Index>(obs.size());
  TwfeDesign d;
  d.terms = terms;
  d.event_time = event_time;
  const auto kd = static_cast<Eigen::Index>(d.terms.size());
  for (std::size_t c = 0; c < covariates.size(); ++c) {
    d.terms.push_back("covariate " + std::to_string(c + 1));
    d.event_time.push_back(0);
  }
  Eigen::MatrixXd Z(n, static_cast<Eigen::Index>(d.terms.size()) + 1);  // last column: y
  Z.setZero();
  for (Eigen::Index r = 0; r < n; ++r) {
    const auto [i, t] = obs[static_cast<std::size_t>(r)];
    Eigen::RowVectorXd row = Eigen::RowVectorXd::Zero(kd);
    fill(i, t, row);
    Z.row(r).head(kd) = row;
    for (std::size_t c = 0; c < covariates.size(); ++c)
      Z(r, kd + static_cast<Eigen::Index>(c)) = covariates[c](i, t);
    Z(r, Z.cols() - 1) = panel.y(i, t);
  }
  // Within transformation by alternating projections.
  std::vector<double> nu(static_cast<std::size_t>(N), 0), nt(static_cast<std::size_t>(T), 0);
  for (const auto& [i, t] : obs) {
    ++nu[static_cast<std::size_t>(i)];
    ++nt[static_cast<std::size_t>(t)];
  }
  const double scale = std::max(1.0, Z.cwiseAbs().maxCoeff());
  for (d.sweeps = 1; d.sweeps <= 10000; ++d.sweeps) {
    Eigen::MatrixXd mu = Eigen::MatrixXd::Zero(N, Z.cols()),
                    mt = Eigen::MatrixXd::Zero(T, Z.cols());
    for (Eigen::Index r = 0; r < n; ++r) mu.row(obs[static_cast<std::size_t>(r)].first) += Z.row(r);
    for (Eigen::Index i = 0; i < N; ++i)
      if (nu[static_cast<std::size_t>(i)] > 0) mu.row(i) /= nu[static_cast<std::size_t>(i)];
    for (Eigen::Index r = 0; r < n; ++r) Z.row(r) -= mu.row(obs[static_cast<std::size_t>(r)].first);
    for (Eigen::Index r = 0; r < n; ++r)
      mt.row(obs[static_cast<std::size_t>(r)].second) += Z.row(r);
    for (Eigen::Index t = 0; t < T; ++t)
      if (nt[static_cast<std::size_t>(t)] > 0) mt.row(t) /= nt[static_cast<std::size_t>(t)];
    for (Eigen::Index r = 0; r < n; ++r)
      Z.row(r) -= mt.row(obs[static_cast<std::size_t>(r)].second);
    // Converged when the unit means left by the period step are zero (to rounding).
    double left = 0;
    Eigen::MatrixXd check = Eigen::MatrixXd::Zero(N, Z.cols());
    for (Eigen::Index r = 0; r < n; ++r)
      check.row(obs[static_cast<std::size_t>(r)].first) += Z.row(r);
    for (Eigen::Index i = 0; i < N; ++i)
      if (nu[static_cast<std::size_t>(i)] > 0)
        left = std::max(left, check.row(i).cwiseAbs().maxCoeff() / nu[static_cast<std::size_t>(i)]);
    if (left <= 1e-13 * scale) break;
  }
  REVEST_REQUIRE(d.sweeps <= 10000, "TWFE: the within transformation did not converge");
  d.X = Z.leftCols(Z.cols() - 1);
  d.y = Z.col(Z.cols() - 1);
  for (const auto& [i, t] : obs)
    d.cluster.push_back(cluster.empty() ? static_cast<int>(i)
                                        : cluster[static_cast<std::size_t>(i)]);
  // Cluster ids as 0 .. G-1 in order of first appearance of the sorted ids.
  std::set<int> ids(d.cluster.begin(), d.cluster.end());
  std::vector<int> sorted(ids.begin(), ids.end());
  for (int& c : d.cluster)
    c = static_cast<int>(std::lower_bound(sorted.begin(), sorted.end(), c) - sorted.begin());
  std::set<Eigen::Index> periods_seen;
  for (const auto& o : obs) periods_seen.insert(o.second);
  d.absorbed = periods_seen.empty() ? 0 : periods_seen.size() - 1;
  return d;
}

TwfeDesign twfe_design(const StaggeredPanel& panel, bool event_study,
                       const std::vector<Eigen::MatrixXd>& covariates,
                       const std::vector<int>& cluster, const TwfeOptions& options) {
  options.validate();
  std::vector<std::string> terms;
  std::vector<int> es;
  if (event_study) {
    // Event times of the window that some observed unit-period has (binned at the ends); an
    // empty one would be a zero column (fixest drops it too).
    std::set<int> seen;
    for (Eigen::Index i = 0; i < panel.y.rows(); ++i) {
      const int g = panel.first_treat[static_cast<std::size_t>(i)];
      if (g == 0) continue;
      for (Eigen::Index t = 0; t < panel.y.cols(); ++t)
        if (std::isfinite(panel.y(i, t)))
          seen.insert(std::clamp(panel.periods[static_cast<std::size_t>(t)] - g, -options.leads,
                                 options.lags));
    }
    for (int e = -options.leads; e <= options.lags; ++e)
      if (e != -1 && seen.count(e)) es.push_back(e);
    for (int e : es) terms.push_back("event_time " + std::to_string(e));
  } else {
    terms.push_back("treated");
  }
  const std::vector<int> event_time = event_study ? es : std::vector<int>{0};
  const auto fill = [&](Eigen::Index i, Eigen::Index t, Eigen::Ref<Eigen::RowVectorXd> row) {
    const int g = panel.first_treat[static_cast<std::size_t>(i)];
    const int period = panel.periods[static_cast<std::size_t>(t)];
    if (g == 0) return;
    if (!event_study) {
      row[0] = period >= g ? 1.0 : 0.0;
      return;
    }
    const int e = std::clamp(period - g, -options.leads, options.lags);
    const auto it = std::find(es.begin(), es.end(), e);
    if (it != es.end()) row[it - es.begin()] = 1.0;
  };
  return within_design(panel, covariates, cluster, terms, event_time, fill);
}

TwfeResult fit_twfe(const TwfeDesign& d) {
  const Eigen::Index n = d.X.rows(), k = d.X.cols();
  const int G = d.cluster.empty() ? 0 : *std::max_element(d.cluster.begin(), d.cluster.end()) + 1;
  REVEST_REQUIRE(G >= 2, "TWFE: needs two clusters or more, got " << G);
  const double K = static_cast<double>(k) + static_cast<double>(d.absorbed);
  REVEST_REQUIRE(static_cast<double>(n) > K,
                 "TWFE: " << n << " observations for " << K << " parameters");
  const Eigen::MatrixXd XtX = d.X.transpose() * d.X;
  const Eigen::LDLT<Eigen::MatrixXd> Q(XtX);
  const Eigen::VectorXd D = Q.vectorD();
  REVEST_REQUIRE(Q.info() == Eigen::Success && Q.isPositive() &&
                     D.minCoeff() > 1e-12 * D.cwiseAbs().maxCoeff(),
                 "TWFE: the regressors are collinear after removing the unit and period effects "
                 "(an event time without treated observations, or a covariate the effects "
                 "absorb)");
  const Eigen::VectorXd beta = Q.solve(d.X.transpose() * d.y);
  const Eigen::VectorXd u = d.y - d.X * beta;
  Eigen::MatrixXd S = Eigen::MatrixXd::Zero(k, G);
  for (Eigen::Index r = 0; r < n; ++r)
    S.col(d.cluster[static_cast<std::size_t>(r)]) += d.X.row(r).transpose() * u[r];
  const double m = G / (G - 1.0) * static_cast<double>(n - 1) / (static_cast<double>(n) - K);
  const Eigen::MatrixXd QS = Q.solve(S);
  const Eigen::MatrixXd V = m * QS * QS.transpose();
  const boost::math::students_t tdist(G - 1.0);
  TwfeResult r;
  r.vcov = V;
  r.observations = static_cast<std::size_t>(n);
  r.clusters = static_cast<std::size_t>(G);
  r.sweeps = d.sweeps;
  for (Eigen::Index j = 0; j < k; ++j) {
    TwfeCoefficient c;
    c.term = d.terms[static_cast<std::size_t>(j)];
    c.event_time = d.event_time[static_cast<std::size_t>(j)];
    c.estimate = beta[j];
    c.se = std::sqrt(V(j, j));
    c.t = c.estimate / c.se;
    c.p = 2 * boost::math::cdf(boost::math::complement(tdist, std::abs(c.t)));
    r.coefficients.push_back(c);
  }
  return r;
}

SpilloverResult spillover_did(const StaggeredPanel& panel, const Eigen::SparseMatrix<double>& W,
                              const std::vector<Eigen::MatrixXd>& covariates,
                              const std::vector<int>& cluster) {
  const Eigen::Index N = panel.y.rows(), T = panel.y.cols();
  REVEST_REQUIRE(W.rows() == N && W.cols() == N, "spillover DID: the weights matrix is "
                                                     << W.rows() << " x " << W.cols() << " for "
                                                     << N << " units");
  require_shape(panel, "spillover DID");
  // Treatment and exposure of every unit-period.
  const Eigen::MatrixXd D = treatment_matrix(panel);
  const Eigen::MatrixXd S = W * D;
  const RegressorFill fill = [&](Eigen::Index i, Eigen::Index t,
                                 Eigen::Ref<Eigen::RowVectorXd> row) {
    row[0] = D(i, t);
    row[1] = (1 - D(i, t)) * S(i, t);
    row[2] = D(i, t) * S(i, t);
  };
  const TwfeDesign d =
      within_design(panel, covariates, cluster,
                    {"direct", "spillover_untreated", "direct_x_exposure"}, {0, 0, 0}, fill);
  SpilloverResult r;
  r.fit = fit_twfe(d);
  r.design = d;
  double sum = 0, count = 0;
  for (Eigen::Index i = 0; i < N; ++i)
    for (Eigen::Index t = 0; t < T; ++t)
      if (D(i, t) > 0 && std::isfinite(panel.y(i, t))) {
        sum += S(i, t);
        ++count;
      }
  r.mean_exposure_treated = count > 0 ? sum / count : 0.0;
  Eigen::VectorXd a = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(r.fit.coefficients.size()));
  a[0] = 1;
  a[2] = r.mean_exposure_treated;
  r.direct_at_mean_exposure =
      r.fit.coefficients[0].estimate + r.mean_exposure_treated * r.fit.coefficients[2].estimate;
  r.direct_at_mean_exposure_se = std::sqrt(a.dot(r.fit.vcov * a));
  return r;
}

SunAbrahamResult sun_abraham(const StaggeredPanel& panel, const std::vector<int>& cluster) {
  const Eigen::Index N = panel.y.rows(), T = panel.y.cols();
  require_shape(panel, "Sun-Abraham", 2);
  const int first = panel.periods.front(), last = panel.periods.back();
  // Cohorts treated within the data after the first period; the control cohort.
  std::set<int> cohorts;
  bool never = false;
  for (Eigen::Index i = 0; i < N; ++i) {
    if (!panel.y.row(i).array().isFinite().any()) continue;  // a unit without observations
    const int g = panel.first_treat[static_cast<std::size_t>(i)];
    if (g == 0 || g > last) {
      never = true;
    } else if (g > first) {
      cohorts.insert(g);
    }
  }
  SunAbrahamResult r;
  REVEST_REQUIRE(!cohorts.empty(), "Sun-Abraham: no unit is first treated after the first period");
  if (!never) {
    REVEST_REQUIRE(cohorts.size() >= 2,
                   "Sun-Abraham: one cohort and no never-treated unit: no "
                   "control cohort");
    r.control_cohort = *cohorts.rbegin();
    cohorts.erase(r.control_cohort);
  }
  auto cohort_of = [&](Eigen::Index i) {  // the unit's cohort, 0 control, -1 left out
    const int g = panel.first_treat[static_cast<std::size_t>(i)];
    if (g == 0 || g > last || g == r.control_cohort) return 0;
    return g > first ? g : -1;
  };
  const ObservationFilter keep = [&](Eigen::Index i, Eigen::Index t) {
    if (cohort_of(i) < 0) return false;
    return r.control_cohort == 0 || panel.periods[static_cast<std::size_t>(t)] < r.control_cohort;
  };
  // Interactions: every cohort x relative period observed in the sample, except e = -1.
  std::vector<std::string> terms;
  std::vector<int> ev;
  std::map<std::pair<int, int>, Eigen::Index> column;
  std::map<std::pair<int, int>, double> count;  // observations of cohort g at e
  for (Eigen::Index i = 0; i < N; ++i)
    for (Eigen::Index t = 0; t < T; ++t) {
      const int g = cohort_of(i);
      if (g <= 0 || !keep(i, t) || !std::isfinite(panel.y(i, t))) continue;
      const int e = panel.periods[static_cast<std::size_t>(t)] - g;
      if (e == -1) continue;
      count[{g, e}] += 1;
    }
  for (const auto& [ge, c] : count) {
    column[ge] = static_cast<Eigen::Index>(terms.size());
    terms.push_back("cohort " + std::to_string(ge.first) + ", event_time " +
                    std::to_string(ge.second));
    ev.push_back(ge.second);
    r.cohort_of.push_back(ge.first);
    r.event_of.push_back(ge.second);
  }
  const RegressorFill fill = [&](Eigen::Index i, Eigen::Index t,
                                 Eigen::Ref<Eigen::RowVectorXd> row) {
    const int g = cohort_of(i);
    if (g <= 0) return;
    const auto it = column.find({g, panel.periods[static_cast<std::size_t>(t)] - g});
    if (it != column.end()) row[it->second] = 1.0;
  };
  r.design = within_design(panel, {}, cluster, terms, ev, fill, keep);
  r.interacted = fit_twfe(r.design);
  // Interaction-weighted estimates.
  std::set<int> es(ev.begin(), ev.end());
  r.weights.setZero(static_cast<Eigen::Index>(terms.size()), static_cast<Eigen::Index>(es.size()));
  for (int e : es) {
    Eigen::VectorXd w = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(terms.size()));
    double total = 0;
    for (const auto& [ge, c] : count)
      if (ge.second == e) total += c;
    for (const auto& [ge, c] : count)
      if (ge.second == e) w[column[ge]] = c / total;
    double est = 0;
    for (Eigen::Index k = 0; k < w.size(); ++k)
      est += w[k] * r.interacted.coefficients[static_cast<std::size_t>(k)].estimate;
    r.weights.col(static_cast<Eigen::Index>(r.event_time.size())) = w;
    r.event_time.push_back(e);
    r.estimate.push_back(est);
    r.se.push_back(std::sqrt(w.dot(r.interacted.vcov * w)));
  }
  return r;
}

std::string TwfeResult::brief_report() const {
  std::ostringstream os;
  os << "TWFE on " << observations << " observations, " << clusters << " clusters (CRV1, t(G-1)):";
  for (const auto& c : coefficients)
    os << " " << c.term << " " << c.estimate << " (" << c.se << ")";
  os << ".";
  return os.str();
}

}  // namespace revest::did
