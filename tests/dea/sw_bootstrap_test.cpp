#include "dea/sw_bootstrap.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "dea/dea_test_support.hpp"
#include "synth/dea_design.hpp"

using namespace revest;
using namespace revest::dea;

// Bandwidth rule by hand: theta = {0.5, 1}; reflected R = {0.5, 1.5, 1, 1}: sd = sqrt(0.5 / 3) =
// 0.408248; the IQR over the inefficient units' reflected scores R_m = {0.5, 1.5} (type 7) = 1.25 -
// 0.75 = 0.5 -> 0.5 / 1.34 = 0.373134 < sd; h = 0.9 * 0.373134 * 2^(-1/5) = 0.292349. (Before
// issue 16 the IQR ran over R, atom included: 0.25, and h = 0.146184.)
TEST(SwBootstrap, BandwidthRuleByHand) {
  EXPECT_NEAR(bandwidth_silverman({0.5, 1.0}), 0.9 * (0.5 / 1.34) * std::pow(2.0, -0.2), 1e-12);
  EXPECT_NEAR(bandwidth_silverman({0.5, 1.0}), 0.29234906976362374, 1e-12);
  // Every unit efficient: nothing to smooth.
  EXPECT_EQ(bandwidth_silverman({1.0, 1.0, 1.0 - 1e-12}), 0.0);
}

// Issue 16: with half or more of the units efficient (and returned as 1 - 1e-12 by the LP), the
// IQR of the reflected scores was about 1e-12 and so was h: no smoothing at all. The rule must
// give the same bandwidth whether the efficient scores are 1 or 1 - 1e-12, and a real one.
TEST(SwBootstrap, BandwidthSurvivesMostUnitsEfficient) {
  std::vector<double> exact, rounded;
  for (int i = 0; i < 60; ++i) {
    exact.push_back(1.0);
    rounded.push_back(i % 2 ? 1.0 - 1e-12 : 1.0 + 2e-16);
  }
  for (int i = 0; i < 40; ++i) {
    const double t = 0.55 + 0.4 * i / 39.0;
    exact.push_back(t);
    rounded.push_back(t);
  }
  const double h = bandwidth_silverman(exact);
  EXPECT_NEAR(bandwidth_silverman(rounded), h, 1e-12);
  // The sd of the reflected scores is 0.175387 (below IQR(R_m) / 1.34 = 0.369), so h = 0.9 x
  // 0.175387 x 100^(-1/5) = 0.062841 (NumPy, ddof = 1).
  EXPECT_NEAR(h, 0.06284058201171334, 1e-12);
}

// R Benchmarking's dea.boot rule (dea.boot.R, svn 229), by hand with theta = {0.5, 0.8, 1, 1}:
// dist = 1 / theta = {2, 1.25, 1, 1}, sd(dist) = 0.473242; inefficient scores {0.5, 0.8}
// reflected: neff = {0.5, 0.8, 1.5, 1.2}, sd(neff) = 0.439697, IQR (type 7) = 1.275 - 0.725 =
// 0.55, / 1.349 = 0.407709 (used: above 1e-6 and below sd); adjust = sd(dist) / sd(neff) (4/4)^(1/5);
// h = adjust 0.9 0.407709 4^(-1/5) = 0.299303 (also evaluated in NumPy with ddof = 1).
TEST(SwBootstrap, BandwidthBenchmarkingByHand) {
  const double adjust = 0.4732423621500228 / 0.439696865275764;
  EXPECT_NEAR(bandwidth_benchmarking({0.5, 0.8, 1.0, 1.0}),
              adjust * 0.9 * (0.55 / 1.349) * std::pow(4.0, -0.2), 1e-12);
  EXPECT_NEAR(bandwidth_benchmarking({0.5, 0.8, 1.0, 1.0}), 0.2993032929610774, 1e-12);
  EXPECT_EQ(bandwidth_benchmarking({1.0, 1.0}), 0.0);
}

// dea.boot's draw on the Shephard scale: theta* in (0, 1], reproducible, and smoothing moves the
// draws off the observed values.
TEST(SwBootstrap, ShephardDrawsAreReflectedAndReproducible) {
  std::vector<double> th;
  for (int i = 0; i < 500; ++i) th.push_back(i % 2 ? 1.0 : 0.4 + 0.6 * (i % 50) / 49.0);
  Rng a(1, "sw", 3), b(1, "sw", 3);
  const auto s1 = draw_pseudo_scores(th, 0.05, a, true);
  const auto s2 = draw_pseudo_scores(th, 0.05, b, true);
  EXPECT_EQ(s1, s2);
  int ones = 0;
  for (double v : s1) {
    EXPECT_GT(v, 0.0);
    EXPECT_LE(v, 1.0);
    ones += v == 1.0;
  }
  EXPECT_EQ(ones, 0);
}

TEST(SwBootstrap, PseudoScoresAreReflectedAndReproducible) {
  std::vector<double> th;
  for (int i = 0; i < 500; ++i) th.push_back(0.5 + 0.5 * (i % 50) / 49.0);
  Rng a(1, "sw", 3), b(1, "sw", 3);
  const auto s1 = draw_pseudo_scores(th, 0.05, a);
  const auto s2 = draw_pseudo_scores(th, 0.05, b);
  EXPECT_EQ(s1, s2);
  for (double v : s1) EXPECT_LE(v, 1.0);
}

// Issue 16: with 60 % of the units efficient the bandwidth collapsed to ~1e-12, so a third of the
// replicate scores equalled theta and the upper interval bound was theta for 98 of 100 units.
// Data: synth::make_dea_design with efficient_share 0.6, no environment, no noise, n = 100; the
// library's whole bootstrap (simar_wilson_bootstrap), B = 200.
TEST(SwBootstrap, MostUnitsEfficientIntervalsAreNotDegenerate) {
  const synth::DeaDesign d = test::mostly_efficient_design();
  const auto data = synth::dea_design_year(synth::make_dea_design(d), 0);
  const SwBootstrapResult b =
      simar_wilson_bootstrap(data.x, data.y, SwOptions{}, RngKey(7, "eff"), 200);
  ASSERT_TRUE(b.status.ok()) << b.status.to_string();
  int efficient = 0, hi_at_theta = 0;
  for (std::size_t i = 0; i < 100; ++i) {
    efficient += b.point.farrell[i] == 1.0;
    hi_at_theta += std::abs(b.summary.upper[i] - b.point.farrell[i]) < 1e-9;
    EXPECT_EQ(b.summary.replicates[i], 200u);
  }
  EXPECT_GE(efficient, 55);
  EXPECT_LE(hi_at_theta, 5);
  EXPECT_GT(b.bandwidth, 0.01);
  EXPECT_EQ(b.bandwidth, bandwidth(b.point.farrell, SwOptions{}));
  EXPECT_NE(b.brief_report().find("200 replications"), std::string::npos) << b.brief_report();
}

// The library loop is the task function in a loop: replication r of simar_wilson_bootstrap is
// sw_replication with the stream key.stream(r), and the summaries follow the file comment.
TEST(SwBootstrap, LoopEqualsTaskFunctionAndSummaries) {
  synth::DeaDesign d;
  d.n = 60;
  d.years = {2021};
  const auto data = synth::dea_design_year(synth::make_dea_design(d), 0);
  SwOptions o;
  o.confidence = 0.9;
  const RngKey key(11, "sw");
  const SwBootstrapResult b = simar_wilson_bootstrap(data.x, data.y, o, key, 30);
  ASSERT_EQ(b.replicates.rows(), 30);
  for (std::uint32_t r : {0u, 17u, 29u}) {
    Rng rng = key.stream(r);
    const auto s = sw_replication(data.x, data.y, b.point, b.bandwidth, o, rng);
    for (std::size_t i = 0; i < 60; ++i)
      EXPECT_EQ(s[i], b.replicates(r, static_cast<Eigen::Index>(i)));
  }
  // Unit 3 by hand: bias = mean - theta, interval [2 theta - q95, 2 theta - q05] (type 7).
  std::vector<double> v(b.replicates.col(3).data(), b.replicates.col(3).data() + 30);
  std::sort(v.begin(), v.end());
  double mean = 0;
  for (double x : v) mean += x / 30.0;
  const double th = b.point.farrell[3];
  auto q = [&](double p) {
    const double h = 29 * p;
    const auto lo = static_cast<std::size_t>(std::floor(h));
    return v[lo] + (h - static_cast<double>(lo)) * (v[std::min<std::size_t>(lo + 1, 29)] - v[lo]);
  };
  EXPECT_NEAR(b.summary.bias[3], mean - th, 1e-12);
  EXPECT_NEAR(b.summary.lower[3], 2 * th - q(0.95), 1e-12);
  EXPECT_NEAR(b.summary.upper[3], 2 * th - q(0.05), 1e-12);
  // Bad options are errors naming the field.
  o.confidence = 1.5;
  try {
    (void)simar_wilson_bootstrap(data.x, data.y, o, key, 3);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("confidence"), std::string::npos) << e.what();
  }
}
