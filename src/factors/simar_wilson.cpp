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
                           SwAlgorithm2Options o)
    : x_(std::move(x)), y_(std::move(y)), o_(o) {
  o_.validate();
  dea::check_dea_data(x_, y_, "Simar-Wilson Algorithm 2");
  const Eigen::Index n = x_.rows();
  REVEST_REQUIRE(z.rows() == n, "Simar-Wilson Algorithm 2: "
                                    << z.rows() << " rows of environment for " << n << " units");
  REVEST_REQUIRE(z.allFinite(), "Simar-Wilson Algorithm 2: a non-finite environment value");
  z_.resize(n, z.cols() + 1);
  z_.col(0).setOnes();
  z_.rightCols(z.cols()) = z;
  dea::DeaOptions d;
  d.returns = o_.returns;
  d.slacks = false;
  const dea::DeaResult r = dea::solve_dea(x_, y_, d);
  delta_.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) delta_[i] = 1.0 / r.farrell[static_cast<std::size_t>(i)];
  std::vector<Eigen::Index> rows;
  for (Eigen::Index i = 0; i < n; ++i)
    if (std::isfinite(delta_[i]) && delta_[i] > 1 + o_.efficient_tolerance) rows.push_back(i);
  Eigen::VectorXd d1(static_cast<Eigen::Index>(rows.size()));
  Eigen::MatrixXd z1(static_cast<Eigen::Index>(rows.size()), z_.cols());
  for (std::size_t k = 0; k < rows.size(); ++k) {
    d1[static_cast<Eigen::Index>(k)] = delta_[rows[k]];
    z1.row(static_cast<Eigen::Index>(k)) = z_.row(rows[k]);
  }
  first_ = dea::fit_truncated_regression(d1, z1);
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
  dea::RadialSolver solver(xs, y_, o_.returns);
  std::vector<int> fallback;
  for (Eigen::Index i = 0; i < n; ++i) {
    const Eigen::VectorXd xi = x_.row(i).transpose(), yi = y_.row(i).transpose();
    const dea::RadialSolver::Solution s = solver.solve(xi, yi, static_cast<int>(i));
    if (s.ok)
      out[i] = 1.0 / s.theta;
    else
      fallback.push_back(static_cast<int>(i));
  }
  if (!fallback.empty()) {
    Eigen::MatrixXd xe(static_cast<Eigen::Index>(fallback.size()), x_.cols()),
        ye(static_cast<Eigen::Index>(fallback.size()), y_.cols());
    for (std::size_t k = 0; k < fallback.size(); ++k) {
      xe.row(static_cast<Eigen::Index>(k)) = x_.row(fallback[k]);
      ye.row(static_cast<Eigen::Index>(k)) = y_.row(fallback[k]);
    }
    dea::DeaOptions d;
    d.returns = o_.returns;
    d.slacks = false;
    d.super_efficiency = true;  // an observed unit may lie outside the pseudo-frontier
    const dea::DeaResult r = dea::solve_dea(xe, ye, xs, y_, d);
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
  Eigen::VectorXd d(static_cast<Eigen::Index>(used_.size()));
  Eigen::MatrixXd z(static_cast<Eigen::Index>(used_.size()), z_.cols());
  for (std::size_t k = 0; k < used_.size(); ++k) {
    d[static_cast<Eigen::Index>(k)] = delta_bc_[used_[k]];
    z.row(static_cast<Eigen::Index>(k)) = z_.row(used_[k]);
  }
  second_ = dea::fit_truncated_regression(d, z);
}

Eigen::VectorXd SwAlgorithm2::l2_replication(std::size_t b, const Rng& streams) const {
  const auto P = static_cast<Eigen::Index>(parameters());
  Eigen::VectorXd out = Eigen::VectorXd::Constant(P, kNaN);
  if (!second_.ok()) return out;
  Rng rng = streams.for_replication(static_cast<std::uint32_t>(b), 2);
  const auto m = static_cast<Eigen::Index>(used_.size());
  Eigen::VectorXd d(m);
  Eigen::MatrixXd z(m, z_.cols());
  for (Eigen::Index k = 0; k < m; ++k) {
    z.row(k) = z_.row(used_[static_cast<std::size_t>(k)]);
    d[k] = dea::draw_sw2007_delta(z.row(k).dot(second_.beta), second_.sigma, rng);
  }
  Eigen::VectorXd start(P);
  start.head(P - 1) = second_.beta;
  start[P - 1] = second_.sigma;
  const dea::TruncatedRegression f = dea::fit_truncated_regression(d, z, 1.0, false, &start);
  if (f.ok()) {
    out.head(P - 1) = f.beta;
    out[P - 1] = f.sigma;
  }
  return out;
}

SwAlgorithm2Result sw_algorithm2_summary(const SwAlgorithm2& state, const Eigen::MatrixXd& l2) {
  SwAlgorithm2Result r;
  r.delta = state.delta();
  r.delta_bias_corrected = state.delta_bias_corrected();
  r.fit = state.fit();
  const auto P = static_cast<Eigen::Index>(state.parameters());
  r.boot_mean = r.boot_sd = r.lower = r.upper = Eigen::VectorXd::Constant(P, kNaN);
  if (!r.fit.ok()) {
    r.status = r.fit.status;
    return r;
  }
  std::vector<Eigen::Index> rows;
  for (Eigen::Index b = 0; b < l2.rows(); ++b)
    if (l2.row(b).allFinite()) rows.push_back(b);
  r.l2_used = rows.size();
  if (rows.size() < 2) return r;
  const double alpha = 1 - state.options().confidence;
  for (Eigen::Index j = 0; j < P; ++j) {
    std::vector<double> v;
    v.reserve(rows.size());
    for (Eigen::Index b : rows) v.push_back(l2(b, j));
    const stats::MeanSd ms = stats::mean_sd(v);
    r.boot_mean[j] = ms.mean;
    r.boot_sd[j] = ms.sd;
    r.lower[j] = stats::quantile_type1(v, alpha / 2);
    r.upper[j] = stats::quantile_type1(v, 1 - alpha / 2);
  }
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

}  // namespace revest::factors
