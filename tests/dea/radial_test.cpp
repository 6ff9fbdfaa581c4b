#include "dea/radial.hpp"

#include <gtest/gtest.h>

#include <boost/random/normal_distribution.hpp>
#include <cmath>

#include "core/rng.hpp"
#include "dea/dea.hpp"

using namespace revest::dea;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

// Random Cobb-Douglas-like data with inefficiency: n units, m inputs, s outputs.
void make_data(std::uint32_t seed, int n, int m, int s, MatrixXd& x, MatrixXd& y) {
  revest::Rng rng(seed, "radial-test", 0);
  boost::random::normal_distribution<double> nd;
  x.resize(n, m);
  y.resize(n, s);
  for (int j = 0; j < n; ++j) {
    double q = 0;
    for (int i = 0; i < m; ++i) {
      x(j, i) = std::exp(0.8 * nd(rng)) * std::pow(10.0, i);  // mixed units
      q += std::log(x(j, i)) / m;
    }
    const double u = 0.3 * std::abs(nd(rng));
    for (int r = 0; r < s; ++r) y(j, r) = std::exp(0.8 * q - u + 0.3 * nd(rng)) * (r + 1);
  }
}

// Every unit of (x, y) against (xr, yr) with the specialised solver and with Clp (phase 1).
void expect_equal_to_clp(const MatrixXd& x, const MatrixXd& y, const MatrixXd& xr,
                         const MatrixXd& yr, Returns ret, const std::vector<int>& start,
                         std::size_t* fallbacks = nullptr) {
  DeaOptions o;
  o.returns = ret;
  o.slacks = false;
  const DeaResult clp = solve_dea(x, y, xr, yr, o);
  RadialSolver rs(xr, yr, ret);
  for (Eigen::Index k = 0; k < x.rows(); ++k) {
    const auto sol = rs.solve(x.row(k).transpose(), y.row(k).transpose(),
                              start.empty() ? -1 : start[static_cast<std::size_t>(k)]);
    if (clp.unit_status[static_cast<std::size_t>(k)] != revest::StatusCode::kOk) {
      EXPECT_FALSE(sol.ok) << "unit " << k;  // no feasible start either
      continue;
    }
    if (!sol.ok) {
      if (fallbacks) ++*fallbacks;
      continue;
    }
    // Tolerance 1e-9 relative: both solvers stop at optimality tolerances of about 1e-9.
    EXPECT_NEAR(sol.theta, clp.farrell[static_cast<std::size_t>(k)],
                1e-9 * std::max(1.0, clp.farrell[static_cast<std::size_t>(k)]))
        << to_string(ret) << " unit " << k;
  }
}

}  // namespace

TEST(RadialSolver, EqualsClpOnRandomData) {
  for (Returns ret : {Returns::kCrs, Returns::kVrs, Returns::kNirs, Returns::kNdrs}) {
    for (std::uint32_t seed = 1; seed <= 6; ++seed) {
      MatrixXd x, y;
      make_data(seed, 40 + 30 * static_cast<int>(seed), 1 + seed % 5, 1 + seed % 3, x, y);
      std::size_t fb = 0;
      expect_equal_to_clp(x, y, x, y, ret, {}, &fb);
      EXPECT_EQ(fb, 0u) << to_string(ret) << " seed " << seed;
    }
  }
}

// Degenerate data: duplicated units, units on one ray (CRS ties), equal outputs, one input.
TEST(RadialSolver, EqualsClpOnDegenerateData) {
  MatrixXd x, y;
  make_data(99, 60, 3, 2, x, y);
  for (int j = 0; j < 20; ++j) {
    x.row(20 + j) = x.row(j);  // duplicates
    y.row(20 + j) = y.row(j);
  }
  for (int j = 40; j < 50; ++j) {
    x.row(j) = 2.0 * x.row(0);  // on the ray of unit 0
    y.row(j) = 2.0 * y.row(0);
  }
  for (int j = 50; j < 60; ++j) y.row(j) = y.row(1);  // equal outputs
  for (Returns ret : {Returns::kCrs, Returns::kVrs, Returns::kNirs, Returns::kNdrs}) {
    std::size_t fb = 0;
    expect_equal_to_clp(x, y, x, y, ret, {}, &fb);
    EXPECT_EQ(fb, 0u);
  }
  MatrixXd x1 = x.leftCols(1), y1 = y.leftCols(1);
  for (Returns ret : {Returns::kCrs, Returns::kVrs, Returns::kNirs, Returns::kNdrs})
    expect_equal_to_clp(x1, y1, x1, y1, ret, {});
}

// Simar-Wilson pseudo-samples: observed units against x* = x theta / theta*, same outputs; the
// start vertex is the unit's own pseudo-observation.
TEST(RadialSolver, EqualsClpOnPseudoSamples) {
  MatrixXd x, y;
  make_data(7, 300, 4, 2, x, y);
  DeaOptions o;
  o.slacks = false;
  const DeaResult d = solve_dea(x, y, o);
  revest::Rng rng(3, "radial-test", 1);
  std::vector<int> start(300);
  for (int j = 0; j < 300; ++j) start[static_cast<std::size_t>(j)] = j;
  for (int rep = 0; rep < 5; ++rep) {
    MatrixXd xs = x;
    for (int j = 0; j < 300; ++j) {
      const double ts = 1.0 - 0.3 * rng.uniform01();
      xs.row(j) *= d.farrell[static_cast<std::size_t>(j)] / ts;
    }
    std::size_t fb = 0;
    expect_equal_to_clp(x, y, xs, y, Returns::kVrs, start, &fb);
    EXPECT_EQ(fb, 0u);
  }
  // The dominated-unit reduction is exercised: most pseudo-observations are inefficient.
  MatrixXd xs = x;
  for (int j = 0; j < 300; ++j)
    xs.row(j) *= d.farrell[static_cast<std::size_t>(j)] / (1.0 - 0.3 * rng.uniform01());
  RadialSolver rs(xs, y, Returns::kVrs);
  for (int k = 0; k < 300; ++k)
    ASSERT_TRUE(rs.solve(x.row(k).transpose(), y.row(k).transpose(), k).ok);
  EXPECT_GT(rs.dominated(), 100u);
}

// Each unit against its own sample, starting from itself (the dominated-unit reduction applies to
// every LP), on degenerate data: duplicates and units on one ray must not be dropped wrongly.
TEST(RadialSolver, SelfEvaluationWithDominatedUnitsLeftOut) {
  MatrixXd x, y;
  make_data(11, 120, 3, 2, x, y);
  for (int j = 0; j < 20; ++j) {
    x.row(20 + j) = x.row(j);
    y.row(20 + j) = y.row(j);
  }
  for (int j = 40; j < 50; ++j) {
    x.row(j) = (1.0 + 0.1 * j) * x.row(0);
    y.row(j) = (1.0 + 0.1 * j) * y.row(0);
  }
  std::vector<int> start(120);
  for (int j = 0; j < 120; ++j) start[static_cast<std::size_t>(j)] = j;
  for (Returns ret : {Returns::kCrs, Returns::kVrs, Returns::kNirs, Returns::kNdrs}) {
    std::size_t fb = 0;
    expect_equal_to_clp(x, y, x, y, ret, start, &fb);
    EXPECT_EQ(fb, 0u) << to_string(ret);
  }
}

// No start vertex (an output above every reference unit, VRS): not ok, so the caller uses Clp
// (which reports the LP infeasible).
TEST(RadialSolver, NoStartVertexIsNotOk) {
  MatrixXd x(3, 1), y(3, 1);
  x << 1, 2, 3;
  y << 1, 2, 3;
  RadialSolver rs(x, y, Returns::kVrs);
  VectorXd xo(1), yo(1);
  xo << 2;
  yo << 5;
  EXPECT_FALSE(rs.solve(xo, yo).ok);
  EXPECT_FALSE(rs.solve(xo, yo, 0).ok);  // unit 0 does not cover y_o
  yo << 1.5;
  const auto s = rs.solve(xo, yo);
  ASSERT_TRUE(s.ok);
  EXPECT_NEAR(s.theta, 0.75, 1e-12);  // VRS: 0.5 (1 + 2) / 2 = 1.5 at y = 1.5
}

// The solver's inner loops are compiled for each row count and, on x86-64, once more for AVX2
// (chosen at run time). Results must not depend on the node a rank runs on, so both copies must
// give the same bits: checked for every row count 1..16 on random data (pricing a block of
// columns, the pivot update of the inverse, and the Gauss-Jordan inverse, which must also invert).
TEST(RadialSolver, KernelCopiesAgreeBitForBit) {
  revest::Rng rng(5, "radial-kernels", 0);
  boost::random::normal_distribution<double> nd;
#if defined(__x86_64__) && defined(__GNUC__)
  if (!__builtin_cpu_supports("avx2")) GTEST_SKIP() << "no AVX2 on this CPU: one copy only";
  // The run-time choice really picks the second copy.
  EXPECT_NE(RadialSolver::kernels(7, false).price, RadialSolver::kernels(7, true).price);
#else
  GTEST_SKIP() << "one copy only on this architecture";
#endif
  for (int R = 1; R <= RadialSolver::kMaxRows; ++R) {
    const auto plain = RadialSolver::kernels(R, false), best = RadialSolver::kernels(R, true);
    const Eigen::Index w = 37, ld = 41;
    std::vector<double> A(static_cast<std::size_t>(ld * R)), pi(static_cast<std::size_t>(R));
    for (auto& v : A) v = nd(rng);
    for (auto& v : pi) v = nd(rng);
    std::vector<double> d1(static_cast<std::size_t>(w)), d2(d1.size());
    plain.price(A.data(), ld, w, pi.data(), d1.data());
    best.price(A.data(), ld, w, pi.data(), d2.data());
    for (Eigen::Index t = 0; t < w; ++t) {
      double ref = A[static_cast<std::size_t>(t)] * pi[0];
      for (int i = 1; i < R; ++i)
        ref += A[static_cast<std::size_t>(t + i * ld)] * pi[static_cast<std::size_t>(i)];
      EXPECT_EQ(d1[static_cast<std::size_t>(t)], ref) << "R " << R << " t " << t;  // column order
      EXPECT_EQ(d1[static_cast<std::size_t>(t)], d2[static_cast<std::size_t>(t)])
          << "R " << R << " t " << t;
    }
    // Well conditioned, with its rows reversed so that partial pivoting has to swap rows.
    MatrixXd M = (MatrixXd::Random(R, R) + 3.0 * MatrixXd::Identity(R, R)).colwise().reverse();
    MatrixXd M1 = M, M2 = M, X1(R, R), X2(R, R);
    ASSERT_TRUE(plain.invert(M1.data(), X1.data(), 1e-14));
    ASSERT_TRUE(best.invert(M2.data(), X2.data(), 1e-14));
    EXPECT_TRUE(X1 == X2) << "R " << R;
    EXPECT_LT((M * X1 - MatrixXd::Identity(R, R)).lpNorm<Eigen::Infinity>(), 1e-12) << "R " << R;
    MatrixXd S = MatrixXd::Zero(R, R);  // singular: refused
    MatrixXd XS(R, R);
    EXPECT_FALSE(plain.invert(S.data(), XS.data(), 1e-14));
    VectorXd alpha = VectorXd::Random(R);
    const int p_out = R / 2;
    alpha[p_out] = 1.5;
    MatrixXd B1 = X1, B2 = X1;
    plain.pivot(B1.data(), R, alpha.data(), p_out);
    best.pivot(B2.data(), R, alpha.data(), p_out);
    EXPECT_TRUE(B1 == B2) << "R " << R;
    // The update is the eta-matrix product E B with E = I except column p_out (-alpha / alpha_p,
    // 1 / alpha_p at p_out).
    MatrixXd E = MatrixXd::Identity(R, R);
    E.col(p_out) = -alpha / alpha[p_out];
    E(p_out, p_out) = 1.0 / alpha[p_out];
    EXPECT_LT((B1 - E * X1).lpNorm<Eigen::Infinity>(), 1e-12) << "R " << R;
  }
}
