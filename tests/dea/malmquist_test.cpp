// The Malmquist productivity index (src/dea/malmquist.hpp): closed forms, identities, and the
// cross-period LPs it is made of.
#include "dea/malmquist.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/stats.hpp"
#include "dea/dea_test_support.hpp"
#include "dea/sw_bootstrap.hpp"
#include "test_support.hpp"

namespace revest::dea {
namespace {

// One input, one output, CRS: the efficiency of data b against frontier a is p_b / F_a, where
// p = y / x and F_a the highest productivity of period a. Hence tfpch = p_1 / p_0 (the unit's own
// productivity growth, whatever the frontiers), techch = F_1 / F_0 and effch = (p_1 / F_1) /
// (p_0 / F_0), in both orientations (Fare et al. 1994, section 2).
TEST(Malmquist, OneInputOneOutputClosedForms) {
  Eigen::MatrixXd x0(4, 1), y0(4, 1), x1(4, 1), y1(4, 1);
  x0 << 2, 4, 6, 5;
  y0 << 1, 3, 4, 2;  // F_0 = 0.75 (unit 1)
  x1 << 2, 4, 5, 5;
  y1 << 1.5, 3, 5, 2.5;  // F_1 = 1.0 (unit 2)
  for (Orientation o : {Orientation::kInput, Orientation::kOutput}) {
    MalmquistOptions opt;
    opt.orientation = o;
    const MalmquistResult r = malmquist(x0, y0, x1, y1, opt);
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    for (int i = 0; i < 4; ++i) {
      const auto k = static_cast<std::size_t>(i);
      const double p0 = y0(i, 0) / x0(i, 0), p1 = y1(i, 0) / x1(i, 0);
      // Exact up to the LP tolerance (1e-9, as dea_test's closed forms).
      EXPECT_NEAR(r.tfpch[k], p1 / p0, 1e-9) << i;
      EXPECT_NEAR(r.techch[k], 1.0 / 0.75, 1e-9) << i;
      EXPECT_NEAR(r.effch[k], (p1 / 1.0) / (p0 / 0.75), 1e-9) << i;
      EXPECT_NEAR(r.e01[k], p1 / 0.75, 1e-9) << i;  // above 1 for unit 2: a cross-period score
      EXPECT_NEAR(r.tfpch[k], r.effch[k] * r.techch[k], 1e-12);
      EXPECT_NEAR(r.effch[k], r.pech[k] * r.sech[k], 1e-12);
    }
  }
}

// Several inputs and outputs: the identities hold, the indices are the cross-period LPs of
// solve_dea, and a unit that only scales its inputs and outputs by the same factor under an
// unchanged frontier (all others identical) has tfpch = 1.
TEST(Malmquist, IdentitiesAndCrossPeriodScores) {
  Rng rng(9, "malmquist", 0);
  const int n = 40;
  Eigen::MatrixXd x0(n, 2), y0(n, 2);
  for (int i = 0; i < n; ++i) {
    x0(i, 0) = 1 + 9 * rng.uniform01();
    x0(i, 1) = 1 + 9 * rng.uniform01();
    y0(i, 0) = std::pow(x0(i, 0), 0.5) * (0.5 + 0.5 * rng.uniform01());
    y0(i, 1) = std::pow(x0(i, 1), 0.3) * (0.5 + 0.5 * rng.uniform01());
  }
  Eigen::MatrixXd x1 = x0 * 0.9, y1 = y0 * 1.05;  // 1.05 / 0.9 more productive (CRS)
  const MalmquistResult r = malmquist(x0, y0, x1, y1);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  DeaOptions crs;
  crs.returns = Returns::kCrs;
  crs.slacks = false;
  const DeaResult d01 = solve_dea(x1, y1, x0, y0, crs);
  for (int i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    EXPECT_NEAR(r.e01[k], d01.farrell[k], 1e-9);  // RadialSolver against Clp (radial_test)
    EXPECT_NEAR(r.tfpch[k], r.effch[k] * r.techch[k], 1e-12);
    // Every unit moved by the same radial factor: no catching up, frontier shift 1.05 / 0.9.
    EXPECT_NEAR(r.effch[k], 1.0, 1e-9);
    EXPECT_NEAR(r.tfpch[k], 1.05 / 0.9, 1e-9);
    EXPECT_NEAR(r.techch[k], 1.05 / 0.9, 1e-9);
  }
  EXPECT_NE(r.brief_report().find("Malmquist index (input, CRS) of 40 units"), std::string::npos);
  Eigen::MatrixXd bad = x1;
  bad.conservativeResize(n - 1, 2);
  EXPECT_THROW(malmquist(x0, y0, bad, y1), Error);
}

// ---- bootstrap (Simar & Wilson 1999) ----

// The pairs' draws: in (0, 1], NaN for a unit without both scores, the same for the same stream,
// and the correlation of a unit's two scores carried into the pseudo-scores (the reason for the
// bivariate kernel): strongly correlated scores give strongly correlated draws, independent
// scores uncorrelated ones.
TEST(MalmquistBootstrap, PseudoPairsKeepTheCorrelationOverTime) {
  EXPECT_DOUBLE_EQ(malmquist_bandwidth(100), std::pow(4.0 / 500.0, 1.0 / 6.0));
  Rng data(5, "pairs", 0);
  const std::size_t n = 400;
  std::vector<double> a(n), same(n), indep(n);
  for (std::size_t i = 0; i < n; ++i) {
    a[i] = i % 5 == 0 ? 1.0 : 0.3 + 0.7 * data.uniform01();  // a fifth efficient
    same[i] = std::min(1.0, a[i] * (0.97 + 0.06 * data.uniform01()));
    indep[i] = i % 5 == 1 ? 1.0 : 0.3 + 0.7 * data.uniform01();
  }
  a[7] = std::nan("");
  const double h = malmquist_bandwidth(n - 1);
  std::vector<double> d0, d1, i0, i1;
  for (std::uint32_t b = 0; b < 20; ++b) {
    Rng r1(5, "pairs", b + 1), r2(5, "pairs", b + 1), r3(5, "pairs", b + 100);
    const PseudoPairs p = draw_pseudo_pairs(a, same, h, r1);
    const PseudoPairs q = draw_pseudo_pairs(a, same, h, r2);
    const PseudoPairs u = draw_pseudo_pairs(a, indep, h, r3);
    EXPECT_TRUE(std::isnan(p.theta0[7]) && std::isnan(p.theta1[7]));
    for (std::size_t i = 0; i < n; ++i) {
      if (i == 7) continue;
      ASSERT_EQ(p.theta0[i], q.theta0[i]);
      ASSERT_EQ(p.theta1[i], q.theta1[i]);
      for (double v : {p.theta0[i], p.theta1[i], u.theta0[i], u.theta1[i]}) {
        ASSERT_GT(v, 0.0);
        ASSERT_LE(v, 1.0);
      }
      d0.push_back(p.theta0[i]);
      d1.push_back(p.theta1[i]);
      i0.push_back(u.theta0[i]);
      i1.push_back(u.theta1[i]);
    }
  }
  a.erase(a.begin() + 7);
  same.erase(same.begin() + 7);
  indep.erase(indep.begin() + 7);
  // The data's correlation is about 0.99; smoothing with h = 0.34 and the reflection lower it a
  // little. The "independent" scores are correlated about -0.1 through their atoms at 1 (a unit
  // efficient in one period is an average one in the other): the draws keep that, and create no
  // correlation of their own. (A kernel that drew the two periods' scores independently would
  // give about 0 for `same` and fail the first check.)
  EXPECT_GT(test::corr(a, same), 0.98);
  EXPECT_GT(test::corr(d0, d1), 0.8);
  EXPECT_LT(test::corr(a, indep), -0.05);
  EXPECT_NEAR(test::corr(i0, i1), test::corr(a, indep), 0.05);  // 7,980 pairs from 399
}

// Random data of n units over two periods with two inputs and one output.
struct TwoPeriods {
  Eigen::MatrixXd x0, y0, x1, y1;
};
TwoPeriods random_periods(int n, std::uint32_t seed) {
  Rng rng(seed, "periods", 0);
  TwoPeriods d{Eigen::MatrixXd(n, 2), Eigen::MatrixXd(n, 1), Eigen::MatrixXd(n, 2),
               Eigen::MatrixXd(n, 1)};
  for (int i = 0; i < n; ++i) {
    d.x0(i, 0) = 1 + 9 * rng.uniform01();
    d.x0(i, 1) = 1 + 9 * rng.uniform01();
    d.y0(i, 0) = std::sqrt(d.x0(i, 0) * d.x0(i, 1)) * (0.4 + 0.6 * rng.uniform01());
    d.x1(i, 0) = d.x0(i, 0) * (0.8 + 0.4 * rng.uniform01());
    d.x1(i, 1) = d.x0(i, 1) * (0.8 + 0.4 * rng.uniform01());
    d.y1(i, 0) = std::sqrt(d.x1(i, 0) * d.x1(i, 1)) * (0.5 + 0.6 * rng.uniform01());
  }
  return d;
}

// The replication's LPs (RadialSolver with Clp as the fallback) equal Clp's: own-period
// (twin) and cross-period evaluations against a pseudo-sample, where cross-period scores exceed 1.
TEST(MalmquistBootstrap, ScoresAgainstReferenceEqualClp) {
  const TwoPeriods d = random_periods(60, 3);
  const MalmquistResult point = malmquist(d.x0, d.y0, d.x1, d.y1);
  Rng rng(3, "pseudo", 0);
  const PseudoPairs p = draw_pseudo_pairs(point.e00, point.e11, malmquist_bandwidth(60), rng);
  const Eigen::MatrixXd xs0 = rescale_rows(d.x0, point.e00, p.theta0);
  DeaOptions crs;
  crs.returns = Returns::kCrs;
  crs.slacks = false;
  crs.efficient_tolerance = 0;
  const DeaResult own = solve_dea(d.x0, d.y0, xs0, d.y0, crs);
  const DeaResult cross = solve_dea(d.x1, d.y1, xs0, d.y0, crs);
  const auto s_own = scores_against_reference(d.x0, d.y0, xs0, d.y0, Returns::kCrs, true);
  const auto s_cross = scores_against_reference(d.x1, d.y1, xs0, d.y0, Returns::kCrs, false);
  int above = 0;
  for (std::size_t i = 0; i < 60; ++i) {
    EXPECT_NEAR(s_own[i], own.farrell[i], 1e-9) << i;  // radial_test's tolerance against Clp
    EXPECT_NEAR(s_cross[i], cross.farrell[i], 1e-9) << i;
    above += s_own[i] > 1.0 + 1e-6;  // observed units beyond their pseudo-frontier
  }
  EXPECT_GT(above, 0);
  EXPECT_THROW(
      scores_against_reference(d.x0, d.y0, xs0.topRows(59), d.y0.topRows(59), Returns::kCrs, true),
      Error);
}

// The library loop draws replication b from key.stream(b).for_replication(b, part), as the job's
// task b does for a pair of years: the same values; the identity tfpch = effch x techch holds in
// every replication; a different part gives different draws.
TEST(MalmquistBootstrap, LibraryLoopEqualsTheTaskFunction) {
  const TwoPeriods d = random_periods(30, 4);
  MalmquistBootstrapOptions opt;
  const RngKey key(11, "malmquist");
  const MalmquistBootstrapResult r = malmquist_bootstrap(d.x0, d.y0, d.x1, d.y1, opt, key, 6, 2);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_DOUBLE_EQ(r.bandwidth, malmquist_bandwidth(30));
  for (std::uint32_t b = 0; b < 6; ++b) {
    Rng rng = key.stream(b).for_replication(b, 2);
    const MalmquistDraw m =
        malmquist_replication(d.x0, d.y0, d.x1, d.y1, r.point, r.bandwidth, rng);
    for (std::size_t i = 0; i < 30; ++i) {
      const auto bb = static_cast<Eigen::Index>(b), ii = static_cast<Eigen::Index>(i);
      EXPECT_EQ(r.tfpch(bb, ii), m.tfpch[i]);
      EXPECT_EQ(r.effch(bb, ii), m.effch[i]);
      EXPECT_EQ(r.techch(bb, ii), m.techch[i]);
      EXPECT_NEAR(m.tfpch[i], m.effch[i] * m.techch[i], 1e-12);
    }
  }
  const MalmquistBootstrapResult other =
      malmquist_bootstrap(d.x0, d.y0, d.x1, d.y1, opt, key, 6, 3);
  EXPECT_NE(other.tfpch(0, 0), r.tfpch(0, 0));
  EXPECT_EQ(r.tfpch_summary.replicates[0], 6u);
  EXPECT_NE(r.brief_report().find("Simar-Wilson (1999) bootstrap: 6 replications"),
            std::string::npos);
  opt.confidence = 1.5;
  EXPECT_THROW(malmquist_bootstrap(d.x0, d.y0, d.x1, d.y1, opt, key, 6), Error);
}

// Coverage on a data-generating process with known truth (one input, one output, CRS): period-t
// frontier y = F_t x with F_0 = 1, F_1 = 1.25, and input efficiencies theta_t = exp(-u) (no
// unit exactly efficient: with an atom at 1 the frontiers, and so techch and effch, would be
// estimated without error), persistent over time. The true technical change of every unit is F_1 / F_0 =
// 1.25 and its true efficiency change theta_1 / theta_0 (Fare et al. 1994 with the true
// frontiers). Over M Monte Carlo samples, the share of 95% intervals that contain the truth.
TEST(MalmquistBootstrap, CoverageWithKnownFrontiers) {
  const int n = 60, M = 100;
  const std::size_t B = 199;
  int cover_tech = 0, cover_eff = 0, total_eff = 0;
  for (int mc = 0; mc < M; ++mc) {
    Rng rng(2024, "malmquist_coverage", static_cast<std::uint32_t>(mc));
    Eigen::MatrixXd x0(n, 1), y0(n, 1), x1(n, 1), y1(n, 1);
    std::vector<double> t0(n), t1(n);
    for (int i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      const double u = -std::log(rng.uniform01()) * 0.3;  // exponential inefficiency
      t0[k] = std::exp(-u);
      t1[k] = std::min(1.0, t0[k] * std::exp(0.1 * (rng.uniform01() - 0.5)));
      x0(i, 0) = 1 + 9 * rng.uniform01();
      x1(i, 0) = x0(i, 0) * (0.9 + 0.2 * rng.uniform01());
      y0(i, 0) = 1.0 * t0[k] * x0(i, 0);
      y1(i, 0) = 1.25 * t1[k] * x1(i, 0);
    }
    const MalmquistBootstrapResult r =
        malmquist_bootstrap(x0, y0, x1, y1, {}, RngKey(7, "malmquist_coverage_boot"), B,
                            static_cast<std::uint32_t>(mc));
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    // techch is the same for every unit (F^_1 / F^_0): one interval per sample.
    cover_tech += r.techch_summary.lower[0] <= 1.25 && 1.25 <= r.techch_summary.upper[0];
    for (int i = 0; i < n; i += 6) {
      const auto k = static_cast<std::size_t>(i);
      const double truth = t1[k] / t0[k];
      cover_eff += r.effch_summary.lower[k] <= truth && truth <= r.effch_summary.upper[k];
      ++total_eff;
    }
  }
  std::cout << "coverage of 95% intervals over " << M << " samples: techch " << cover_tech
            << ", effch " << cover_eff << " / " << total_eff << "\n";
  EXPECT_GE(cover_tech, 80);
  EXPECT_GE(cover_eff, 8 * total_eff / 10);
}

// A panel's sequence solves each period's own DEAs once and gives the pairwise indices' values,
// bit for bit; mismatched periods are an error naming them.
TEST(Malmquist, SequenceEqualsPairwise) {
  const TwoPeriods a = random_periods(25, 8), b = random_periods(25, 9);
  const std::vector<Eigen::MatrixXd> x{a.x0, a.x1, b.x1}, y{a.y0, a.y1, b.y1};
  const std::vector<MalmquistResult> seq = malmquist_sequence(x, y);
  ASSERT_EQ(seq.size(), 2u);
  for (std::size_t t = 1; t < 3; ++t) {
    const MalmquistResult p = malmquist(x[t - 1], y[t - 1], x[t], y[t]);
    EXPECT_EQ(seq[t - 1].tfpch, p.tfpch);
    EXPECT_EQ(seq[t - 1].pech, p.pech);
    EXPECT_EQ(seq[t - 1].e10, p.e10);
  }
  std::vector<Eigen::MatrixXd> bad = x;
  bad[2].conservativeResize(24, Eigen::NoChange);  // (not bad[2] = bad[2].topRows: aliasing)
  try {
    malmquist_sequence(bad, y);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("periods 1 and 2 need the same units"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(malmquist_sequence({a.x0}, {a.y0}), Error);
  // Bad data is an error naming the unit by its label, as solve_dea's.
  std::vector<Eigen::MatrixXd> neg = x;
  neg[1](4, 1) = -2.0;
  std::vector<std::vector<std::string>> labels(2, std::vector<std::string>(25, "unit"));
  labels[0][4] = "county X (4), years 0-1";
  EXPECT_NE(test::error_of([&] {
              malmquist_sequence(neg, y, {}, labels);
            }).find("county X (4), years 0-1: input 2 is -2"),
            std::string::npos);
  // VRS scores: the input ones by RadialSolver equal Clp's; the output ones are Clp's.
  for (Orientation o : {Orientation::kInput, Orientation::kOutput}) {
    MalmquistOptions mo;
    mo.orientation = o;
    const MalmquistResult r = malmquist(a.x0, a.y0, a.x1, a.y1, mo);
    DeaOptions vrs;
    vrs.orientation = o;
    vrs.slacks = false;
    const DeaResult d = solve_dea(a.x1, a.y1, vrs);
    for (std::size_t i = 0; i < 25; ++i) EXPECT_NEAR(r.v11[i], d.efficiency[i], 1e-9) << i;
  }
}

}  // namespace
}  // namespace revest::dea
