#include "did/two_stage.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include "core/error.hpp"

namespace revest::did {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

void TwoStageOptions::validate() const {
  REVEST_REQUIRE(
      std::isfinite(exposure_tol) && exposure_tol >= 0,
      "two-stage DID options: exposure_tol must be finite and >= 0, got " << exposure_tol);
}

TwoStageResult two_stage_did(const StaggeredPanel& panel, const Eigen::SparseMatrix<double>* W,
                             const TwoStageOptions& options, const std::vector<int>& cluster) {
  options.validate();
  require_shape(panel, "two-stage DID", 2);
  const Eigen::Index N = panel.y.rows(), T = panel.y.cols();
  const auto n_units = static_cast<std::size_t>(N);
  REVEST_REQUIRE(cluster.empty() || cluster.size() == n_units,
                 "two-stage DID: " << cluster.size() << " cluster ids for " << N << " units");
  for (const auto& x : panel.covariates)
    REVEST_REQUIRE(x.rows() == N && x.cols() == T, "two-stage DID: a covariate is "
                                                       << x.rows() << " x " << x.cols() << " for "
                                                       << N << " x " << T << " outcomes");
  REVEST_REQUIRE(!options.spillover || W != nullptr,
                 "two-stage DID: spillovers need a spatial weights matrix");
  if (W != nullptr)
    REVEST_REQUIRE(W->rows() == N && W->cols() == N, "two-stage DID: the weights matrix is "
                                                         << W->rows() << " x " << W->cols()
                                                         << " for " << N << " units");
  const Eigen::MatrixXd D = treatment_matrix(panel);
  const Eigen::MatrixXd S = options.spillover ? Eigen::MatrixXd(*W * D) : Eigen::MatrixXd();
  auto valid = [&](Eigen::Index i, Eigen::Index t) {
    if (!std::isfinite(panel.y(i, t))) return false;
    for (const auto& x : panel.covariates)
      if (!std::isfinite(x(i, t))) return false;
    return true;
  };
  // Untreated unit-periods per unit and per period.
  std::vector<std::size_t> n0(n_units, 0), per_period(static_cast<std::size_t>(T), 0);
  for (Eigen::Index i = 0; i < N; ++i)
    for (Eigen::Index t = 0; t < T; ++t)
      if (D(i, t) == 0 && valid(i, t)) {
        ++n0[static_cast<std::size_t>(i)];
        ++per_period[static_cast<std::size_t>(t)];
      }
  // Period dummies: every period with an untreated unit-period except the first such one.
  std::vector<Eigen::Index> dummy(static_cast<std::size_t>(T), -1);
  Eigen::Index p = 0;
  bool reference = false;
  std::vector<int> unidentified;
  for (Eigen::Index t = 0; t < T; ++t) {
    if (per_period[static_cast<std::size_t>(t)] == 0) {
      unidentified.push_back(panel.periods[static_cast<std::size_t>(t)]);
    } else if (reference) {
      dummy[static_cast<std::size_t>(t)] = p++;
    } else {
      reference = true;
    }
  }
  REVEST_REQUIRE(reference, "two-stage DID: no untreated unit-period");
  const Eigen::Index c_spill = options.spillover ? p++ : -1;
  const Eigen::Index c_cov = p;
  p += static_cast<Eigen::Index>(panel.covariates.size());
  // Regressors of unit-period (i, t); the exposure only for untreated ones (a treated unit-
  // period's untreated outcome is imputed for "untreated and unexposed").
  auto fill = [&](Eigen::Index i, Eigen::Index t, Eigen::Ref<Eigen::VectorXd> x) {
    x.setZero();
    if (dummy[static_cast<std::size_t>(t)] >= 0) x[dummy[static_cast<std::size_t>(t)]] = 1;
    if (c_spill >= 0 && D(i, t) == 0) x[c_spill] = S(i, t);
    for (std::size_t k = 0; k < panel.covariates.size(); ++k)
      x[c_cov + static_cast<Eigen::Index>(k)] = panel.covariates[k](i, t);
  };
  // Unit means over the untreated unit-periods.
  Eigen::MatrixXd xbar = Eigen::MatrixXd::Zero(p, N);
  Eigen::VectorXd ybar = Eigen::VectorXd::Zero(N);
  Eigen::VectorXd x(p);
  for (Eigen::Index i = 0; i < N; ++i)
    for (Eigen::Index t = 0; t < T; ++t)
      if (D(i, t) == 0 && valid(i, t)) {
        fill(i, t, x);
        xbar.col(i) += x;
        ybar[i] += panel.y(i, t);
      }
  for (Eigen::Index i = 0; i < N; ++i)
    if (n0[static_cast<std::size_t>(i)] > 0) {
      xbar.col(i) /= static_cast<double>(n0[static_cast<std::size_t>(i)]);
      ybar[i] /= static_cast<double>(n0[static_cast<std::size_t>(i)]);
    }
  // Stage 1: demeaned rows of the untreated unit-periods.
  struct Obs {
    Eigen::Index i, t;
  };
  std::vector<Obs> untreated, treated;
  TwoStageResult r;
  r.options = options;
  for (Eigen::Index i = 0; i < N; ++i) {
    bool any_treated = false;
    for (Eigen::Index t = 0; t < T; ++t) {
      if (!valid(i, t)) continue;
      if (D(i, t) == 0) {
        untreated.push_back({i, t});
      } else if (n0[static_cast<std::size_t>(i)] > 0 &&
                 per_period[static_cast<std::size_t>(t)] > 0) {
        treated.push_back({i, t});
      } else {
        any_treated = true;
      }
    }
    if (any_treated && n0[static_cast<std::size_t>(i)] == 0) ++r.units_without_untreated_period;
  }
  const auto n_0 = static_cast<Eigen::Index>(untreated.size());
  const auto n_1 = static_cast<Eigen::Index>(treated.size());
  REVEST_REQUIRE(n_1 > 0,
                 "two-stage DID: no treated unit-period with an untreated period of "
                 "its unit to compare with");
  Eigen::MatrixXd X0(n_0, p);
  Eigen::VectorXd y0(n_0);
  for (Eigen::Index r0 = 0; r0 < n_0; ++r0) {
    const auto [i, t] = untreated[static_cast<std::size_t>(r0)];
    fill(i, t, x);
    X0.row(r0) = (x - xbar.col(i)).transpose();
    y0[r0] = panel.y(i, t) - ybar[i];
  }
  REVEST_REQUIRE(n_0 > p + static_cast<Eigen::Index>(std::count_if(
                               n0.begin(), n0.end(), [](std::size_t c) { return c > 0; })),
                 "two-stage DID: " << n_0 << " untreated unit-periods for " << p
                                   << " regressors and the unit effects");
  const Eigen::MatrixXd M = X0.transpose() * X0;
  const Eigen::LDLT<Eigen::MatrixXd> Q(M);
  const Eigen::VectorXd dg = Q.vectorD();
  REVEST_REQUIRE(
      p == 0 || (Q.info() == Eigen::Success && dg.minCoeff() > 1e-10 * dg.cwiseAbs().maxCoeff()),
      "two-stage DID: the stage-1 regression on the untreated unit-periods is "
      "singular (a covariate or the exposure without variation within units)");
  const Eigen::VectorXd phi =
      p == 0 ? Eigen::VectorXd() : Eigen::VectorXd(Q.solve(X0.transpose() * y0));
  const Eigen::VectorXd e0 = y0 - X0 * phi;
  // Stage 2: imputed effects of the treated unit-periods.
  Eigen::MatrixXd X1(n_1, p);
  Eigen::VectorXd tau(n_1);
  std::map<std::pair<int, int>, std::vector<Eigen::Index>> cell_rows;  // (g, t) -> rows
  std::map<int, std::vector<Eigen::Index>> event_rows;                 // e -> rows
  for (Eigen::Index r1 = 0; r1 < n_1; ++r1) {
    const auto [i, t] = treated[static_cast<std::size_t>(r1)];
    fill(i, t, x);
    X1.row(r1) = (x - xbar.col(i)).transpose();
    tau[r1] = panel.y(i, t) - ybar[i] - X1.row(r1).dot(phi);
    const int g = panel.first_treat[static_cast<std::size_t>(i)];
    const int period = panel.periods[static_cast<std::size_t>(t)];
    cell_rows[{g, period}].push_back(r1);
    event_rows[period - g].push_back(r1);
  }
  // Targets: cells, event times, overall; weights of the treated rows.
  const auto n_cells = static_cast<Eigen::Index>(cell_rows.size());
  const auto n_events = static_cast<Eigen::Index>(event_rows.size());
  const Eigen::Index Kd = n_cells + n_events + 1, K = Kd + 2;
  Eigen::MatrixXd Wt = Eigen::MatrixXd::Zero(n_1, Kd);
  Eigen::VectorXd resid1(n_1);  // tau - ATT(g, t)
  Eigen::VectorXd theta(K);
  Eigen::Index k = 0;
  for (const auto& [gt, rows] : cell_rows) {
    double m = 0;
    for (Eigen::Index row : rows) m += tau[row];
    m /= static_cast<double>(rows.size());
    for (Eigen::Index row : rows) {
      Wt(row, k) = 1.0 / static_cast<double>(rows.size());
      resid1[row] = tau[row] - m;
    }
    theta[k] = m;
    AttCell c;
    c.group = gt.first;
    c.period = gt.second;
    c.att = m;
    c.treated = rows.size();
    for (std::size_t t = 0; t < panel.periods.size(); ++t)
      if (panel.periods[t] == gt.second) c.controls = per_period[t];
    c.post = true;
    r.cells.push_back(c);
    r.columns.push_back("ATT(" + std::to_string(gt.first) + "," + std::to_string(gt.second) + ")");
    ++k;
  }
  for (const auto& [e, rows] : event_rows) {
    for (Eigen::Index row : rows) Wt(row, k) = 1.0 / static_cast<double>(rows.size());
    theta[k] = Wt.col(k).dot(tau);
    r.dynamic.key.push_back(e);
    r.columns.push_back("e=" + std::to_string(e));
    ++k;
  }
  Wt.col(k).setConstant(1.0 / static_cast<double>(n_1));
  theta[k] = tau.mean();
  r.columns.emplace_back("overall");
  r.columns.emplace_back("spillover");
  r.columns.emplace_back("average_spillover");
  // Weights of the untreated rows: -W_ik / n_i0 - x~' M^-1 q_k.
  const Eigen::MatrixXd H =
      p == 0 ? Eigen::MatrixXd(0, Kd) : Eigen::MatrixXd(Q.solve(X1.transpose() * Wt));
  Eigen::MatrixXd WU = Eigen::MatrixXd::Zero(N, Kd);
  for (Eigen::Index r1 = 0; r1 < n_1; ++r1)
    WU.row(treated[static_cast<std::size_t>(r1)].i) += Wt.row(r1);
  Eigen::MatrixXd psi = Eigen::MatrixXd::Zero(N, K);
  for (Eigen::Index r1 = 0; r1 < n_1; ++r1)
    psi.row(treated[static_cast<std::size_t>(r1)].i).head(Kd) += Wt.row(r1) * resid1[r1];
  const Eigen::MatrixXd V0 = p == 0 ? Eigen::MatrixXd::Zero(n_0, Kd) : Eigen::MatrixXd(X0 * H);
  for (Eigen::Index r0 = 0; r0 < n_0; ++r0) {
    const Eigen::Index i = untreated[static_cast<std::size_t>(r0)].i;
    const double ni = static_cast<double>(n0[static_cast<std::size_t>(i)]);
    psi.row(i).head(Kd) -= (WU.row(i) / ni + V0.row(r0)) * e0[r0];
  }
  // The spillover: b_S = e_S' M^-1 X0' y0, weights X0 M^-1 e_S on the untreated rows.
  if (c_spill >= 0) {
    Eigen::VectorXd es = Eigen::VectorXd::Zero(p);
    es[c_spill] = 1;
    const Eigen::VectorXd v = X0 * Q.solve(es);
    for (Eigen::Index r0 = 0; r0 < n_0; ++r0)
      psi(untreated[static_cast<std::size_t>(r0)].i, Kd) += v[r0] * e0[r0];
    double sum = 0;
    for (const auto& [i, t] : untreated)
      if (S(i, t) > options.exposure_tol) {
        sum += S(i, t);
        ++r.exposed_untreated;
      }
    r.mean_exposure_untreated =
        r.exposed_untreated ? sum / static_cast<double>(r.exposed_untreated) : kNaN;
    theta[Kd] = phi[c_spill];
    theta[Kd + 1] = phi[c_spill] * r.mean_exposure_untreated;
    psi.col(Kd + 1) = psi.col(Kd) * r.mean_exposure_untreated;
  } else {
    theta[Kd] = theta[Kd + 1] = kNaN;
    psi.col(Kd).setConstant(kNaN);
    psi.col(Kd + 1).setConstant(kNaN);
    r.mean_exposure_untreated = kNaN;
  }
  // Standard errors over clusters.
  Eigen::VectorXd se(K);
  {
    int G = 0;
    for (int c : cluster) {
      REVEST_REQUIRE(c >= 0, "two-stage DID: a negative cluster id " << c);
      G = std::max(G, c + 1);
    }
    Eigen::MatrixXd pc = cluster.empty() ? psi : Eigen::MatrixXd::Zero(G, K);
    if (!cluster.empty())
      for (Eigen::Index i = 0; i < N; ++i)
        pc.row(cluster[static_cast<std::size_t>(i)]) += psi.row(i);
    se = pc.colwise().squaredNorm().cwiseSqrt().transpose();
  }
  for (Eigen::Index c = 0; c < n_cells; ++c) r.cells[static_cast<std::size_t>(c)].se = se[c];
  for (Eigen::Index e = 0; e < n_events; ++e) {
    r.dynamic.att.push_back(theta[n_cells + e]);
    r.dynamic.se.push_back(se[n_cells + e]);
  }
  r.dynamic.overall_att = theta[Kd - 1];
  r.dynamic.overall_se = se[Kd - 1];
  r.dynamic.influence = psi.middleCols(n_cells, n_events + 1);
  r.spillover = theta[Kd];
  r.spillover_se = se[Kd];
  r.average_spillover = theta[Kd + 1];
  r.average_spillover_se = se[Kd + 1];
  r.influence = std::move(psi);
  r.stage1_observations = static_cast<std::size_t>(n_0);
  r.treated_observations = static_cast<std::size_t>(n_1);
  if (!unidentified.empty()) {
    std::ostringstream os;
    os << "no untreated unit-period in period(s)";
    for (int t : unidentified) os << ' ' << t;
    os << ": their treated unit-periods cannot be imputed and are left out";
    r.status = Status::Make(StatusCode::kOk, os.str());
  }
  return r;
}

std::string TwoStageResult::brief_report() const {
  std::ostringstream os;
  os << "Two-stage DID" << (options.spillover ? " with spillovers" : "") << ": "
     << treated_observations << " treated unit-periods imputed from " << stage1_observations
     << " untreated ones; overall ATT " << dynamic.overall_att << " (s.e. " << dynamic.overall_se
     << ")";
  if (options.spillover)
    os << "; spillover at full exposure " << spillover << " (s.e. " << spillover_se
       << "), average over " << exposed_untreated << " exposed untreated unit-periods "
       << average_spillover << " (s.e. " << average_spillover_se << ")";
  if (units_without_untreated_period > 0)
    os << "; " << units_without_untreated_period << " units without an untreated period left out";
  os << '.';
  return os.str();
}

}  // namespace revest::did
