// CRV1 inference and the wild cluster bootstrap (src/did/wild_bootstrap.hpp): the sandwich
// formula, the fast algorithm against refitting every bootstrap sample, exact enumeration, the
// size of the tests with six clusters, and test inversion.
#include "did/wild_bootstrap.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "test_support.hpp"

namespace revest::did {
namespace {

double normal(Rng& rng) {
  const double u1 = rng.uniform01(), u2 = rng.uniform01();
  return std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

// y = 1 + 0.5 x1 + beta2 x2 + cluster effect + noise; clusters of unequal size; x1 has a cluster
// component (the case where clustering matters).
struct Data {
  Eigen::MatrixXd X;
  Eigen::VectorXd y;
  std::vector<int> cluster;
};
Data make_data(int G, int base_size, double beta2, std::uint32_t seed) {
  Rng rng(seed, "wild_data", 0);
  std::vector<int> cl;
  for (int g = 0; g < G; ++g)
    for (int k = 0; k < base_size + 7 * g; ++k) cl.push_back(g);
  const auto n = static_cast<Eigen::Index>(cl.size());
  Data d{Eigen::MatrixXd(n, 3), Eigen::VectorXd(n), cl};
  std::vector<double> ce(static_cast<std::size_t>(G)), cx(ce.size());
  for (auto& e : ce) e = normal(rng);
  for (auto& e : cx) e = normal(rng);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto g = static_cast<std::size_t>(cl[static_cast<std::size_t>(i)]);
    d.X(i, 0) = 1;
    d.X(i, 1) = cx[g] + normal(rng);
    d.X(i, 2) = cx[g] * 0.5 + normal(rng);
    d.y[i] = 1 + 0.5 * d.X(i, 1) + beta2 * d.X(i, 2) + ce[g] +
             normal(rng) * (1 + 0.5 * static_cast<double>(g % 2));
  }
  return d;
}

Eigen::VectorXd unit(Eigen::Index k, Eigen::Index j) {
  Eigen::VectorXd a = Eigen::VectorXd::Zero(k);
  a[j] = 1;
  return a;
}

// The CRV1 standard error of a'beta by the textbook sandwich (X'X)^-1 (sum_g X_g'u_g u_g'X_g)
// (X'X)^-1 with the small-sample factor G/(G-1) (N-1)/(N-K) (Cameron and Miller 2015, eq. 12).
double sandwich_se(const Data& d, const Eigen::VectorXd& a, std::size_t absorbed = 0) {
  const Eigen::MatrixXd Q = (d.X.transpose() * d.X).inverse();
  const Eigen::VectorXd b = Q * d.X.transpose() * d.y, u = d.y - d.X * b;
  const int G = *std::max_element(d.cluster.begin(), d.cluster.end()) + 1;
  Eigen::MatrixXd meat = Eigen::MatrixXd::Zero(d.X.cols(), d.X.cols());
  for (int g = 0; g < G; ++g) {
    Eigen::VectorXd s = Eigen::VectorXd::Zero(d.X.cols());
    for (Eigen::Index i = 0; i < d.X.rows(); ++i)
      if (d.cluster[static_cast<std::size_t>(i)] == g) s += d.X.row(i).transpose() * u[i];
    meat += s * s.transpose();
  }
  const double n = static_cast<double>(d.X.rows());
  const double K = static_cast<double>(d.X.cols() + static_cast<Eigen::Index>(absorbed));
  const double m = G / (G - 1.0) * (n - 1) / (n - K);
  return std::sqrt(m * a.dot(Q * meat * Q * a));
}

TEST(WildBootstrap, Crv1EqualsTheSandwichFormula) {
  const Data d = make_data(10, 15, 0.2, 1);
  for (std::size_t absorbed : {std::size_t{0}, std::size_t{4}}) {
    WildBootstrapOptions o;
    o.absorbed = absorbed;
    for (Eigen::Index j = 0; j < 3; ++j) {
      const WildProblem p(d.X, d.y, d.cluster, unit(3, j), o);
      EXPECT_NEAR(p.se(), sandwich_se(d, unit(3, j), absorbed), 1e-12 * p.se());
    }
    const Eigen::Vector3d a(0, 1, -1);  // beta1 - beta2
    const WildProblem p(d.X, d.y, d.cluster, a, o);
    EXPECT_NEAR(p.se(), sandwich_se(d, a, absorbed), 1e-12 * p.se());
  }
}

// The bootstrap t of a draw v by brute force: build y* = X beta.. + u.. v_g, refit, CRV1.
double refit_t(const Data& d, const Eigen::VectorXd& a, double r, const Eigen::VectorXd& v,
               WildType type) {
  const Eigen::MatrixXd Q = (d.X.transpose() * d.X).inverse();
  const Eigen::VectorXd bh = Q * d.X.transpose() * d.y;
  Eigen::VectorXd b0 = bh;
  if (type == WildType::kRestricted) b0 = bh - Q * a * (a.dot(bh) - r) / a.dot(Q * a);
  const Eigen::VectorXd u0 = d.y - d.X * b0;
  Data s = d;
  for (Eigen::Index i = 0; i < d.X.rows(); ++i)
    s.y[i] = d.X.row(i).dot(b0) + u0[i] * v[d.cluster[static_cast<std::size_t>(i)]];
  const Eigen::VectorXd bs = Q * d.X.transpose() * s.y;
  return (a.dot(bs) - a.dot(b0)) / sandwich_se(s, a);
}

// The fast algorithm (cluster-level sums, t* in closed form in r) equals refitting each sample.
TEST(WildBootstrap, FastAlgorithmEqualsRefitting) {
  const Data d = make_data(8, 12, 0.0, 2);
  Rng rng(3, "draws", 0);
  Eigen::MatrixXd v(5, 8);
  for (Eigen::Index b = 0; b < 5; ++b)
    v.row(b) = wild_weight_vector(8, b % 2 ? WildWeights::kWebb : WildWeights::kMammen, rng);
  for (WildType type : {WildType::kRestricted, WildType::kUnrestricted}) {
    WildBootstrapOptions o;
    o.type = type;
    const Eigen::VectorXd a = unit(3, 2);
    const WildProblem p(d.X, d.y, d.cluster, a, o);
    for (double r : {0.0, 0.3, -1.0}) {
      const Eigen::VectorXd t = p.t_draws(v, r);
      for (Eigen::Index b = 0; b < 5; ++b)
        EXPECT_NEAR(t[b], refit_t(d, a, r, v.row(b).transpose(), type),
                    1e-9 * std::max(1.0, std::abs(t[b])))
            << to_string(type) << " r " << r << " draw " << b;
    }
  }
}

// Three clusters, Rademacher weights: 2^3 = 8 distinct draws, enumerated whatever B >= 8 and the
// seed; the p-value is the share of the 8 refitted |t*| at least |t| (by hand below).
TEST(WildBootstrap, EnumerationIsExactAndSeedFree) {
  const Data d = make_data(3, 10, 0.0, 4);
  const Eigen::VectorXd a = unit(3, 1);
  WildBootstrapOptions o;
  o.replications = 999;
  const WildBootstrapResult r1 = wild_cluster_bootstrap(d.X, d.y, d.cluster, a, 0.5, o, {1, "x"});
  const WildBootstrapResult r2 = wild_cluster_bootstrap(d.X, d.y, d.cluster, a, 0.5, o, {2, "y"});
  EXPECT_TRUE(r1.enumerated);
  EXPECT_EQ(r1.draws, 8u);
  EXPECT_EQ(r1.p_bootstrap, r2.p_bootstrap);
  int count = 0;
  for (int e = 0; e < 8; ++e) {
    Eigen::VectorXd v(3);
    for (int g = 0; g < 3; ++g) v[g] = (e >> g) & 1 ? 1.0 : -1.0;
    count += std::abs(refit_t(d, a, 0.5, v, WildType::kRestricted)) >= std::abs(r1.t) * (1 - 1e-10);
  }
  EXPECT_DOUBLE_EQ(r1.p_bootstrap, count / 8.0);
  // Webb weights: 6^3 = 216 distinct draws, enumerated with B = 999, random with B = 199.
  o.weights = WildWeights::kWebb;
  EXPECT_EQ(wild_draws(3, o, {1, "x"}).v.rows(), 216);
  o.replications = 199;
  const WildDraws w = wild_draws(3, o, {1, "x"});
  EXPECT_FALSE(w.enumerated);
  EXPECT_EQ(w.v.rows(), 199);
  // Row by row from any stream of the key (a job's tasks), the same draws.
  const WildDrawPlan plan = wild_draw_plan(3, o);
  EXPECT_EQ(plan.draws, 199u);
  EXPECT_FALSE(plan.enumerated);
  const RngKey key(1, "x");
  for (std::size_t b = 0; b < 199; b += 37)
    EXPECT_EQ(wild_draw(3, o, plan, b, key.stream(static_cast<std::uint32_t>(b % 5))),
              w.v.row(static_cast<Eigen::Index>(b)).transpose());
  EXPECT_THROW(wild_draw(3, o, plan, 199, key.stream(0)), Error);
}

// The per-draw sums of any split of the draws, stacked, give the p-value and interval of all.
TEST(WildBootstrap, DrawSumsOfASplitStack) {
  const Data d = make_data(12, 3, 0.0, 5);
  WildBootstrapOptions o;
  o.replications = 999;
  const Eigen::VectorXd a = unit(3, 2);
  const WildProblem p(d.X, d.y, d.cluster, a, o);
  const WildDraws w = wild_draws(12, o, {9, "split"});
  const WildProblem::DrawSums s1 = p.sums(w.v.topRows(400)), s2 = p.sums(w.v.bottomRows(599));
  WildProblem::DrawSums s;
  for (auto [to, x, y] : {std::tuple{&s.n0, &s1.n0, &s2.n0}, std::tuple{&s.n1, &s1.n1, &s2.n1},
                          std::tuple{&s.a0, &s1.a0, &s2.a0}, std::tuple{&s.a1, &s1.a1, &s2.a1},
                          std::tuple{&s.a2, &s1.a2, &s2.a2}}) {
    to->resize(999);
    *to << *x, *y;
  }
  EXPECT_EQ(p.pvalue_from(s, 0.1), p.pvalue(w.v, 0.1));
  EXPECT_EQ(p.interval_from(s), p.interval(w.v));
  EXPECT_EQ(p.t_from(s, 0.0), p.t_draws(w.v, 0.0));
}

// Size with six clusters of unequal size (Monte Carlo, 400 samples under H0: beta2 = 0): WCR with
// Webb weights rejects at 5 % within Monte Carlo error (sd 0.011), while CRV1 with normal critical
// values over-rejects (its t has about G - 1 = 5 degrees of freedom: 0.107 in theory).
TEST(WildBootstrap, SizeWithSixClusters) {
  const int M = 400;
  int wcr = 0, crv_normal = 0, crv_t = 0;
  WildBootstrapOptions o;
  o.weights = WildWeights::kWebb;
  o.replications = 399;
  for (int mc = 0; mc < M; ++mc) {
    const Data d = make_data(6, 20, 0.0, 100 + static_cast<std::uint32_t>(mc));
    const WildBootstrapResult r = wild_cluster_bootstrap(d.X, d.y, d.cluster, unit(3, 2), 0.0, o,
                                                         {static_cast<std::uint64_t>(mc), "size"});
    wcr += r.p_bootstrap <= 0.05;
    crv_t += r.p_analytic <= 0.05;
    crv_normal += std::abs(r.t) >= 1.959963984540054;
  }
  std::cout << "rejections at 5% over " << M << " samples: WCR " << wcr << ", CRV1 t(G-1) " << crv_t
            << ", CRV1 normal " << crv_normal << "\n";
  EXPECT_GE(wcr, 8);   // 0.02
  EXPECT_LE(wcr, 32);  // 0.08
  EXPECT_GE(crv_normal, 32);
}

// Test inversion: the interval's ends are where the p-value crosses 1 - confidence; WCU's
// interval is the estimate -+ the bootstrap quantile of |t*| times the standard error.
TEST(WildBootstrap, IntervalByTestInversion) {
  const Data d = make_data(12, 10, 0.4, 5);
  for (WildType type : {WildType::kRestricted, WildType::kUnrestricted}) {
    WildBootstrapOptions o;
    o.type = type;
    o.replications = 999;
    const Eigen::VectorXd a = unit(3, 2);
    const WildProblem p(d.X, d.y, d.cluster, a, o);
    const WildDraws w = wild_draws(12, o, {9, "ci"});
    const auto [lo, hi] = p.interval(w.v);
    EXPECT_LT(lo, p.estimate());
    EXPECT_GT(hi, p.estimate());
    const double eps = 1e-4 * p.se();
    EXPECT_GT(p.pvalue(w.v, lo + eps), 0.05) << to_string(type);
    EXPECT_LE(p.pvalue(w.v, lo - eps), 0.05) << to_string(type);
    EXPECT_GT(p.pvalue(w.v, hi - eps), 0.05) << to_string(type);
    EXPECT_LE(p.pvalue(w.v, hi + eps), 0.05) << to_string(type);
  }
  WildBootstrapOptions o;
  o.replications = 2;
  EXPECT_NE(wild_cluster_bootstrap(d.X, d.y, d.cluster, unit(3, 2), 0, o, {1, "x"})
                .brief_report()
                .find("Wild cluster bootstrap (wcr, rademacher, 2 random draws, 12 clusters)"),
            std::string::npos);
}

TEST(WildBootstrap, BadInputIsAnError) {
  Data d = make_data(4, 5, 0.0, 6);
  WildBootstrapOptions o;
  Data collinear = d;
  collinear.X.col(2) = 2 * collinear.X.col(1);
  EXPECT_NE(test::error_of([&] {
              WildProblem(collinear.X, d.y, d.cluster, unit(3, 1), o);
            }).find("X'X is singular"),
            std::string::npos);
  std::vector<int> one(d.cluster.size(), 0);
  EXPECT_NE(test::error_of([&] {
              WildProblem(d.X, d.y, one, unit(3, 1), o);
            }).find("needs two clusters or more"),
            std::string::npos);
  std::vector<int> gap = d.cluster;
  for (int& c : gap) c = c == 1 ? 2 : c;
  EXPECT_NE(test::error_of([&] {
              WildProblem(d.X, d.y, gap, unit(3, 1), o);
            }).find("cluster 1 has no row"),
            std::string::npos);
  o.confidence = 1;
  EXPECT_THROW(WildProblem(d.X, d.y, d.cluster, unit(3, 1), o), Error);
}

}  // namespace
}  // namespace revest::did
