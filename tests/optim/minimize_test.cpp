#include "optim/minimize.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/error.hpp"

using Eigen::VectorXd;
using revest::optim::minimize;

// Rosenbrock: minimum 0 at (1, 1) (closed form).
TEST(Minimize, Rosenbrock) {
  auto f = [](const VectorXd& x, VectorXd& g) {
    const double a = 1 - x[0], b = x[1] - x[0] * x[0];
    g[0] = -2 * a - 400 * x[0] * b;
    g[1] = 200 * b;
    return a * a + 100 * b * b;
  };
  revest::optim::MinimizeOptions o;
  o.gradient_tolerance = 1e-12;
  const auto r = minimize(f, VectorXd::Constant(2, -1.2), o);
  EXPECT_TRUE(r.converged) << r.reason;
  EXPECT_NEAR(r.x[0], 1.0, 1e-8);
  EXPECT_NEAR(r.x[1], 1.0, 1e-8);
  EXPECT_LT(r.value, 1e-15);
}

// Quadratic (x - 3)^2 + (y + 1)^2 with x <= 2, y >= 0: minimum at the corner (2, 0).
TEST(Minimize, BoundsAreEnforced) {
  auto f = [](const VectorXd& x, VectorXd& g) {
    g[0] = 2 * (x[0] - 3);
    g[1] = 2 * (x[1] + 1);
    return (x[0] - 3) * (x[0] - 3) + (x[1] + 1) * (x[1] + 1);
  };
  const double inf = std::numeric_limits<double>::infinity();
  VectorXd lo(2), hi(2);
  lo << -inf, 0.0;
  hi << 2.0, inf;
  const auto r = minimize(f, VectorXd::Zero(2) + VectorXd::Constant(2, 0.5), {}, lo, hi);
  EXPECT_TRUE(r.converged) << r.reason;
  EXPECT_NEAR(r.x[0], 2.0, 1e-8);
  EXPECT_NEAR(r.x[1], 0.0, 1e-8);
}

// A function undefined for x <= 0 (returns +inf there): the line search must step back.
TEST(Minimize, NonFiniteValuesAreOutsideTheDomain) {
  auto f = [](const VectorXd& x, VectorXd& g) {
    if (x[0] <= 0) return std::numeric_limits<double>::infinity();
    g[0] = 1.0 - 1.0 / x[0];
    return x[0] - std::log(x[0]);  // minimum at 1
  };
  revest::optim::MinimizeOptions o;
  o.backtracking = true;
  const auto r = minimize(f, VectorXd::Constant(1, 8.0), o);
  EXPECT_TRUE(r.converged) << r.reason;
  EXPECT_NEAR(r.x[0], 1.0, 1e-7);
}

TEST(Minimize, ExceptionsFromTheObjectivePropagate) {
  auto f = [](const VectorXd&, VectorXd&) -> double { REVEST_FAIL("boom in objective"); };
  EXPECT_THROW(minimize(f, VectorXd::Zero(1)), revest::Error);
  EXPECT_THROW(minimize(f, VectorXd::Constant(1, std::nan(""))), revest::Error);
}

// Hessian of f = x0^2 x1 + 3 x1^3: [[2 x1, 2 x0], [2 x0, 18 x1]].
TEST(Minimize, HessianFromGradient) {
  auto f = [](const VectorXd& x, VectorXd& g) {
    g[0] = 2 * x[0] * x[1];
    g[1] = x[0] * x[0] + 9 * x[1] * x[1];
    return x[0] * x[0] * x[1] + 3 * x[1] * x[1] * x[1];
  };
  VectorXd x(2);
  x << 1.5, -0.5;
  const Eigen::MatrixXd H = revest::optim::hessian_from_gradient(f, x);
  EXPECT_NEAR(H(0, 0), -1.0, 1e-8);
  EXPECT_NEAR(H(0, 1), 3.0, 1e-8);
  EXPECT_NEAR(H(1, 0), 3.0, 1e-8);
  EXPECT_NEAR(H(1, 1), -9.0, 1e-8);
}
