#include "index/entropy_topsis.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

#include "core/error.hpp"

namespace revest::index {
namespace {

void check_direction(const std::vector<int>& direction, Eigen::Index cols, const char* fn) {
  REVEST_REQUIRE(static_cast<Eigen::Index>(direction.size()) == cols,
                 fn << ": " << direction.size() << " directions for " << cols << " columns");
  for (std::size_t j = 0; j < direction.size(); ++j)
    REVEST_REQUIRE(direction[j] == 1 || direction[j] == -1,
                   fn << ": direction of column " << j << " is " << direction[j]
                      << " (must be +1 benefit or -1 cost)");
}

void check_finite(const Eigen::MatrixXd& m, const char* fn, const char* what) {
  for (Eigen::Index j = 0; j < m.cols(); ++j)
    for (Eigen::Index i = 0; i < m.rows(); ++i)
      REVEST_REQUIRE(std::isfinite(m(i, j)), fn << ": " << what << "(" << i << ", " << j
                                                << ") is not finite (" << m(i, j) << ")");
}

void check_weights(const Eigen::VectorXd& w, Eigen::Index cols, const char* fn) {
  REVEST_REQUIRE(w.size() == cols, fn << ": " << w.size() << " weights for " << cols << " columns");
  for (Eigen::Index j = 0; j < w.size(); ++j)
    REVEST_REQUIRE(std::isfinite(w(j)) && w(j) >= 0.0,
                   fn << ": weight of column " << j << " is " << w(j)
                      << " (must be finite and non-negative)");
}

// D- / (D+ + D-) for every row, given ideal points on the weighted scale.
Eigen::VectorXd closeness_weighted(const Eigen::MatrixXd& x, const Eigen::VectorXd& w,
                                   const Eigen::VectorXd& best_v, const Eigen::VectorXd& worst_v) {
  const Eigen::Index m = x.rows(), k = x.cols();
  Eigen::VectorXd c(m);
  for (Eigen::Index i = 0; i < m; ++i) {
    double dp = 0.0, dm = 0.0;
    for (Eigen::Index j = 0; j < k; ++j) {
      const double v = w(j) * x(i, j);
      dp += (v - best_v(j)) * (v - best_v(j));
      dm += (v - worst_v(j)) * (v - worst_v(j));
    }
    dp = std::sqrt(dp);
    dm = std::sqrt(dm);
    const double s = dp + dm;
    c(i) = s > 0.0 ? dm / s : std::numeric_limits<double>::quiet_NaN();
  }
  return c;
}

}  // namespace

Eigen::MatrixXd minmax_standardize(const Eigen::MatrixXd& raw, const std::vector<int>& direction) {
  check_direction(direction, raw.cols(), "minmax_standardize");
  REVEST_REQUIRE(raw.rows() >= 1, "minmax_standardize: the matrix has no rows");
  check_finite(raw, "minmax_standardize", "value ");
  const Eigen::VectorXd lo = raw.colwise().minCoeff().transpose();
  const Eigen::VectorXd hi = raw.colwise().maxCoeff().transpose();
  for (Eigen::Index j = 0; j < raw.cols(); ++j)
    REVEST_REQUIRE(hi(j) > lo(j), "minmax_standardize: column " << j << " is constant (every value is "
                                                                << lo(j)
                                                                << "); it cannot be standardised");
  return minmax_standardize(raw, direction, lo, hi);
}

Eigen::MatrixXd minmax_standardize(const Eigen::MatrixXd& raw, const std::vector<int>& direction,
                                   const Eigen::VectorXd& col_min, const Eigen::VectorXd& col_max) {
  const Eigen::Index k = raw.cols();
  check_direction(direction, k, "minmax_standardize");
  REVEST_REQUIRE(col_min.size() == k && col_max.size() == k,
                 "minmax_standardize: " << col_min.size() << " minima and " << col_max.size()
                                        << " maxima for " << k << " columns");
  check_finite(raw, "minmax_standardize", "value ");
  for (Eigen::Index j = 0; j < k; ++j)
    REVEST_REQUIRE(std::isfinite(col_min(j)) && std::isfinite(col_max(j)) && col_max(j) > col_min(j),
                   "minmax_standardize: bounds of column " << j << " are [" << col_min(j) << ", "
                                                           << col_max(j)
                                                           << "] (need finite min < max)");
  Eigen::MatrixXd x(raw.rows(), k);
  for (Eigen::Index j = 0; j < k; ++j) {
    const double lo = col_min(j), hi = col_max(j), range = hi - lo;
    for (Eigen::Index i = 0; i < raw.rows(); ++i) {
      const double r = raw(i, j);
      const double s = direction[static_cast<std::size_t>(j)] > 0 ? (r - lo) / range : (hi - r) / range;
      x(i, j) = std::clamp(s, 0.0, 1.0);
    }
  }
  return x;
}

Eigen::VectorXd entropy_weights(const Eigen::MatrixXd& p) {
  const Eigen::Index m = p.rows(), k = p.cols();
  REVEST_REQUIRE(m >= 2, "entropy_weights: need at least 2 rows, got " << m);
  REVEST_REQUIRE(k >= 1, "entropy_weights: the matrix has no columns");
  const double inv_log_m = 1.0 / std::log(static_cast<double>(m));
  Eigen::VectorXd d(k);
  for (Eigen::Index j = 0; j < k; ++j) {
    double sum = 0.0, h = 0.0;
    double pmin = std::numeric_limits<double>::infinity(), pmax = -pmin;
    for (Eigen::Index i = 0; i < m; ++i) {
      const double q = p(i, j);
      REVEST_REQUIRE(std::isfinite(q) && q >= 0.0, "entropy_weights: proportion (" << i << ", " << j
                                                                                   << ") is " << q);
      sum += q;
      pmin = std::min(pmin, q);
      pmax = std::max(pmax, q);
      if (q > 0.0) h += q * std::log(q);  // 0 ln 0 = 0
    }
    REVEST_REQUIRE(std::abs(sum - 1.0) <= 1e-6,
                   "entropy_weights: column " << j << " sums to " << sum << ", not 1");
    // A uniform column has maximal entropy exactly; do not let rounding give it a tiny weight.
    const double e = (pmax == pmin) ? 1.0 : -h * inv_log_m;
    d(j) = std::max(0.0, 1.0 - e);
  }
  const double total = d.sum();
  if (!(total > 0.0)) return Eigen::VectorXd::Constant(k, std::numeric_limits<double>::quiet_NaN());
  return d / total;
}

Eigen::VectorXd entropy_weights_from_standardized(const Eigen::MatrixXd& x, double shift) {
  REVEST_REQUIRE(std::isfinite(shift) && shift >= 0.0,
                 "entropy_weights_from_standardized: shift is " << shift
                                                                << " (must be finite and >= 0)");
  const Eigen::Index m = x.rows(), k = x.cols();
  REVEST_REQUIRE(m >= 2, "entropy_weights_from_standardized: need at least 2 rows, got " << m);
  Eigen::MatrixXd p(m, k);
  for (Eigen::Index j = 0; j < k; ++j) {
    double sum = 0.0;
    for (Eigen::Index i = 0; i < m; ++i) {
      const double q = x(i, j) + shift;
      REVEST_REQUIRE(std::isfinite(q) && q >= 0.0, "entropy_weights_from_standardized: x("
                                                       << i << ", " << j << ") + shift = " << q
                                                       << " (must be finite and >= 0)");
      p(i, j) = q;
      sum += q;
    }
    if (sum > 0.0)
      p.col(j) /= sum;
    else
      p.col(j).setConstant(1.0 / static_cast<double>(m));  // all zero: no information
  }
  return entropy_weights(p);
}

Eigen::VectorXd topsis_closeness(const Eigen::MatrixXd& x, const Eigen::VectorXd& w,
                                 const std::vector<int>& direction) {
  const Eigen::Index k = x.cols();
  check_direction(direction, k, "topsis_closeness");
  check_weights(w, k, "topsis_closeness");
  REVEST_REQUIRE(x.rows() >= 1, "topsis_closeness: the matrix has no rows");
  check_finite(x, "topsis_closeness", "x");
  Eigen::VectorXd best(k), worst(k);
  for (Eigen::Index j = 0; j < k; ++j) {
    const double vmax = w(j) * x.col(j).maxCoeff(), vmin = w(j) * x.col(j).minCoeff();
    const bool benefit = direction[static_cast<std::size_t>(j)] > 0;
    best(j) = benefit ? vmax : vmin;
    worst(j) = benefit ? vmin : vmax;
  }
  return closeness_weighted(x, w, best, worst);
}

Eigen::VectorXd topsis_closeness(const Eigen::MatrixXd& x, const Eigen::VectorXd& w,
                                 const Eigen::VectorXd& ideal_best,
                                 const Eigen::VectorXd& ideal_worst) {
  const Eigen::Index k = x.cols();
  check_weights(w, k, "topsis_closeness");
  REVEST_REQUIRE(ideal_best.size() == k && ideal_worst.size() == k,
                 "topsis_closeness: ideal points have " << ideal_best.size() << " and "
                                                        << ideal_worst.size() << " entries for "
                                                        << k << " columns");
  check_finite(x, "topsis_closeness", "x");
  for (Eigen::Index j = 0; j < k; ++j)
    REVEST_REQUIRE(std::isfinite(ideal_best(j)) && std::isfinite(ideal_worst(j)),
                   "topsis_closeness: ideal point of column " << j << " is not finite");
  return closeness_weighted(x, w, w.cwiseProduct(ideal_best), w.cwiseProduct(ideal_worst));
}

}  // namespace revest::index
