#include "factors/simar_wilson.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/stats.hpp"
#include "dea/radial.hpp"

namespace revest::factors {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

void SwAlgorithm2Options::validate() const {
  REVEST_REQUIRE(l1 >= 1, "Simar-Wilson Algorithm 2: l1 must be >= 1");
  REVEST_REQUIRE(confidence > 0 && confidence < 1,
                 "Simar-Wilson Algorithm 2: confidence must be in (0, 1), got " << confidence);
  REVEST_REQUIRE(efficient_tolerance >= 0 && efficient_tolerance < 0.01,
                 "Simar-Wilson Algorithm 2: efficient_tolerance must be in [0, 0.01)");
}

SwAlgorithm2::SwAlgorithm2(Eigen::MatrixXd x, Eigen::MatrixXd y, const Eigen::MatrixXd& z,
                           SwAlgorithm2Options o, std::vector<int> frontier)
    : x_(std::move(x)), y_(std::move(y)), o_(o) {
  o_.validate();
  dea::check_dea_data(x_, y_, "Simar-Wilson Algorithm 2");
  const Eigen::Index n = x_.rows();
  REVEST_REQUIRE(z.rows() == n, "Simar-Wilson Algorithm 2: "
                                    << z.rows() << " rows of environment for " << n << " units");
  REVEST_REQUIRE(z.allFinite(), "Simar-Wilson Algorithm 2: a non-finite environment value");
  if (frontier.empty()) frontier.assign(static_cast<std::size_t>(n), 0);
  REVEST_REQUIRE(
      frontier.size() == static_cast<std::size_t>(n),
      "Simar-Wilson Algorithm 2: " << frontier.size() << " frontier groups for " << n << " units");
  for (Eigen::Index i = 0; i < n; ++i) {
    const int g = frontier[static_cast<std::size_t>(i)];
    REVEST_REQUIRE(g >= 0 && g < n, "Simar-Wilson Algorithm 2: frontier group "
                                        << g << " of unit " << i << " is not in [0, n)");
    if (static_cast<std::size_t>(g) >= groups_.size())
      groups_.resize(static_cast<std::size_t>(g) + 1);
    groups_[static_cast<std::size_t>(g)].push_back(static_cast<int>(i));
  }
  std::erase_if(groups_, [](const std::vector<int>& u) { return u.empty(); });
  for (const auto& u : groups_)
    REVEST_REQUIRE(u.size() >= 2, "Simar-Wilson Algorithm 2: a frontier group of "
                                      << u.size() << " unit (unit " << u[0]
                                      << "): every group needs at least 2 units");
  z_.resize(n, z.cols() + 1);
  z_.col(0).setOnes();
  z_.rightCols(z.cols()) = z;
  dea::DeaOptions d;
  d.returns = o_.returns;
  d.slacks = false;
  delta_.resize(n);
  for (const auto& u : groups_) {
    const dea::DeaResult r = dea::solve_dea(x_(u, Eigen::all), y_(u, Eigen::all), d);
    for (std::size_t k = 0; k < u.size(); ++k) delta_[u[k]] = 1.0 / r.farrell[k];
  }
  for (Eigen::Index i = 0; i < n; ++i)
    if (std::isfinite(delta_[i]) && delta_[i] > 1 + o_.efficient_tolerance)
      first_used_.push_back(static_cast<int>(i));
  first_ = dea::fit_truncated_regression(delta_(first_used_), z_(first_used_, Eigen::all));
}

Eigen::VectorXd SwAlgorithm2::l1_replication(std::size_t b, const Rng& streams) const {
  const Eigen::Index n = x_.rows();
  Eigen::VectorXd out = Eigen::VectorXd::Constant(n, kNaN);
  if (!first_.ok()) return out;
  Rng rng = streams.for_replication(static_cast<std::uint32_t>(b), 1);
  Eigen::MatrixXd xs(n, x_.cols());
  for (Eigen::Index i = 0; i < n; ++i) {
    const double ds = dea::draw_sw2007_delta(z_.row(i).dot(first_.beta), first_.sigma, rng);
    xs.row(i) = x_.row(i) * (ds / delta_[i]);
  }
  for (const auto& u : groups_) {
    const Eigen::MatrixXd xg = xs(u, Eigen::all), yg = y_(u, Eigen::all);
    dea::RadialSolver solver(xg, yg, o_.returns);
    std::vector<int> fallback;
    for (std::size_t k = 0; k < u.size(); ++k) {
      const int i = u[k];
      const Eigen::VectorXd xi = x_.row(i).transpose(), yi = y_.row(i).transpose();
      // The unit's own pseudo-observation has its outputs: a valid start of the search.
      const dea::RadialSolver::Solution s = solver.solve(xi, yi, static_cast<int>(k));
      if (s.ok)
        out[i] = 1.0 / s.theta;
      else
        fallback.push_back(i);
    }
    if (fallback.empty()) continue;
    dea::DeaOptions d;
    d.returns = o_.returns;
    d.slacks = false;
    d.super_efficiency = true;  // an observed unit may lie outside the pseudo-frontier
    const dea::DeaResult r =
        dea::solve_dea(x_(fallback, Eigen::all), y_(fallback, Eigen::all), xg, yg, d);
    for (std::size_t k = 0; k < fallback.size(); ++k)
      if (r.unit_status[k] == StatusCode::kOk) out[fallback[k]] = 1.0 / r.farrell[k];
  }
  return out;
}

void SwAlgorithm2::bias_correct(const Eigen::MatrixXd& l1_draws) {
  const Eigen::Index n = x_.rows();
  REVEST_REQUIRE(l1_draws.cols() == n,
                 "Simar-Wilson Algorithm 2: L1 draws of " << l1_draws.cols() << " units for " << n);
  delta_bc_ = Eigen::VectorXd::Constant(n, kNaN);
  for (Eigen::Index i = 0; i < n; ++i) {
    double sum = 0;
    int count = 0;
    for (Eigen::Index b = 0; b < l1_draws.rows(); ++b)
      if (std::isfinite(l1_draws(b, i))) {
        sum += l1_draws(b, i);
        ++count;
      }
    if (count > 0) delta_bc_[i] = 2 * delta_[i] - sum / count;
  }
  used_.clear();
  for (Eigen::Index i = 0; i < n; ++i)
    if (std::isfinite(delta_bc_[i]) && delta_bc_[i] > 1) used_.push_back(static_cast<int>(i));
  second_ = dea::fit_truncated_regression(delta_bc_(used_), z_(used_, Eigen::all));
}

namespace {

/// delta* = z_i b + e_i (e_i left-truncated at 1 - z_i b) for `units`, re-fitted from (b, s):
/// (b*, s*), NaN when the fit failed. From streams.for_replication(b, part).
Eigen::VectorXd parametric_replication(const Eigen::MatrixXd& z_all, const std::vector<int>& units,
                                       const dea::TruncatedRegression& fit, std::size_t b,
                                       const Rng& streams, std::uint32_t part) {
  const auto P = z_all.cols() + 1;
  Eigen::VectorXd out = Eigen::VectorXd::Constant(P, kNaN);
  if (!fit.ok()) return out;
  Rng rng = streams.for_replication(static_cast<std::uint32_t>(b), part);
  const Eigen::MatrixXd z = z_all(units, Eigen::all);
  Eigen::VectorXd d(z.rows());
  for (Eigen::Index k = 0; k < z.rows(); ++k)
    d[k] = dea::draw_sw2007_delta(z.row(k).dot(fit.beta), fit.sigma, rng);
  Eigen::VectorXd start(P);
  start.head(P - 1) = fit.beta;
  start[P - 1] = fit.sigma;
  const dea::TruncatedRegression f = dea::fit_truncated_regression(d, z, 1.0, false, &start);
  if (f.ok()) {
    out.head(P - 1) = f.beta;
    out[P - 1] = f.sigma;
  }
  return out;
}

/// Bootstrap mean, sd and percentile interval of each parameter (rows with NaN left out).
SwAlgorithm2Result percentile_summary(const dea::TruncatedRegression& fit,
                                      const Eigen::MatrixXd& draws, Eigen::Index P,
                                      double confidence) {
  SwAlgorithm2Result r;
  r.fit = fit;
  r.boot_mean = r.boot_sd = r.lower = r.upper = Eigen::VectorXd::Constant(P, kNaN);
  if (!fit.ok()) {
    r.status = fit.status;
    return r;
  }
  std::vector<Eigen::Index> rows;
  for (Eigen::Index b = 0; b < draws.rows(); ++b)
    if (draws.row(b).allFinite()) rows.push_back(b);
  r.l2_used = rows.size();
  if (rows.size() < 2) return r;
  const double alpha = 1 - confidence;
  for (Eigen::Index j = 0; j < P; ++j) {
    std::vector<double> v;
    v.reserve(rows.size());
    for (Eigen::Index b : rows) v.push_back(draws(b, j));
    const stats::MeanSd ms = stats::mean_sd(v);
    r.boot_mean[j] = ms.mean;
    r.boot_sd[j] = ms.sd;
    r.lower[j] = stats::quantile_type1(v, alpha / 2);
    r.upper[j] = stats::quantile_type1(v, 1 - alpha / 2);
  }
  return r;
}

}  // namespace

Eigen::VectorXd SwAlgorithm2::l2_replication(std::size_t b, const Rng& streams) const {
  return parametric_replication(z_, used_, second_, b, streams, 2);
}

Eigen::VectorXd SwAlgorithm2::alg1_replication(std::size_t b, const Rng& streams) const {
  return parametric_replication(z_, first_used_, first_, b, streams, 3);
}

SwAlgorithm2Result sw_algorithm2_summary(const SwAlgorithm2& state, const Eigen::MatrixXd& l2) {
  SwAlgorithm2Result r = percentile_summary(
      state.fit(), l2, static_cast<Eigen::Index>(state.parameters()), state.options().confidence);
  r.delta = state.delta();
  r.delta_bias_corrected = state.delta_bias_corrected();
  return r;
}

SwAlgorithm2Result sw_algorithm1_summary(const SwAlgorithm2& state, const Eigen::MatrixXd& draws) {
  SwAlgorithm2Result r =
      percentile_summary(state.first_fit(), draws, static_cast<Eigen::Index>(state.parameters()),
                         state.options().confidence);
  r.delta = state.delta();
  return r;
}

SwAlgorithm2Result sw_algorithm2(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                                 const Eigen::MatrixXd& z, const SwAlgorithm2Options& options,
                                 const RngKey& key) {
  SwAlgorithm2 s(x, y, z, options);
  const Rng streams = key.stream(0);
  Eigen::MatrixXd l1(static_cast<Eigen::Index>(options.l1), static_cast<Eigen::Index>(s.units()));
  for (std::size_t b = 0; b < options.l1; ++b)
    l1.row(static_cast<Eigen::Index>(b)) = s.l1_replication(b, streams).transpose();
  s.bias_correct(l1);
  Eigen::MatrixXd l2(static_cast<Eigen::Index>(options.l2),
                     static_cast<Eigen::Index>(s.parameters()));
  for (std::size_t b = 0; b < options.l2; ++b)
    l2.row(static_cast<Eigen::Index>(b)) = s.l2_replication(b, streams).transpose();
  return sw_algorithm2_summary(s, l2);
}

SwAlgorithm2Result sw_algorithm1(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                                 const Eigen::MatrixXd& z, const SwAlgorithm2Options& options,
                                 const RngKey& key) {
  const SwAlgorithm2 s(x, y, z, options);
  const Rng streams = key.stream(0);
  Eigen::MatrixXd draws(static_cast<Eigen::Index>(options.l2),
                        static_cast<Eigen::Index>(s.parameters()));
  for (std::size_t b = 0; b < options.l2; ++b)
    draws.row(static_cast<Eigen::Index>(b)) = s.alg1_replication(b, streams).transpose();
  return sw_algorithm1_summary(s, draws);
}

}  // namespace revest::factors
