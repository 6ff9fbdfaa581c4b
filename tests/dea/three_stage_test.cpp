#include "dea/three_stage.hpp"

#include <gtest/gtest.h>

#include <boost/random/normal_distribution.hpp>
#include <cmath>
#include <span>

#include "core/error.hpp"
#include "core/memory_replications.hpp"
#include "core/rng.hpp"
#include "synth/dea_design.hpp"

using namespace revest;
using namespace revest::dea;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

constexpr std::size_t kN = 150;

// Known truth: synth::make_dea_design (two inputs, one output, an environment z1 that raises
// input use, a placebo z2, managerial efficiency exp(-u)), 150 counties, 2021-2022.
using Fixture = synth::DeaDesignData;
Fixture make_fixture() { return synth::make_dea_design(synth::DeaDesign{}); }

ThreeStageOptions small_options() {
  ThreeStageOptions o;
  o.replications = 20;
  return o;
}

double corr(const std::vector<double>& a, const std::vector<double>& b) {
  const auto n = static_cast<double>(a.size());
  double ma = 0, mb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

}  // namespace

TEST(ThreeStageDea, PointEstimates) {
  const Fixture f = make_fixture();
  const ThreeStageDeaAnalysis a("eff", f.geo, f.panel, f.system, small_options());
  ASSERT_EQ(a.years().size(), 2u);
  EXPECT_EQ(a.inputs(), (std::vector<std::string>{"x1", "x2"}));
  std::vector<double> th1, th3, truth;
  for (std::size_t t = 0; t < 2; ++t) {
    const ThreeStageYear& Y = a.years()[t];
    // Stage 1 is the plain VRS DEA of the observed data.
    DeaOptions o;
    const DeaResult d = solve_dea(Y.x, Y.y, o);
    for (std::size_t i = 0; i < kN; ++i) {
      EXPECT_NEAR(Y.stage1.farrell[i], d.farrell[i], 1e-12);
      EXPECT_GT(Y.stage3.farrell[i], 0.0);
      EXPECT_LE(Y.stage3.farrell[i], 1.0 + 1e-9);
      EXPECT_LE(Y.stage1.farrell[i], 1.0 + 1e-9);
      EXPECT_LE(Y.stage1_other[i], Y.stage1.farrell[i] + 1e-9);  // CRS <= VRS
      th1.push_back(Y.stage1.farrell[i]);
      th3.push_back(Y.stage3.farrell[i]);
      truth.push_back(f.eff_true[i * 2 + t]);
    }
    // Adjusted inputs never fall below the observed ones; slacks are non-negative.
    EXPECT_TRUE(((Y.x_adj - Y.x).array() >= -1e-12).all());
    EXPECT_TRUE((Y.slack1.array() >= -1e-9).all());
    for (std::size_t k = 0; k < 2; ++k) {
      const std::string& st = Y.sfa_status[k];
      EXPECT_TRUE(st == "converged" || st == "boundary_gamma_0" || st == "boundary_gamma_1" ||
                  st == "no_variation" || st == "no_convergence")
          << st;
      if (st != "no_variation") {
        EXPECT_TRUE(Y.sfa[k].beta.allFinite());
      }
    }
    EXPECT_GT(Y.h1, 0.0);
    EXPECT_TRUE(Y.truncreg.converged) << Y.truncreg.message;
  }
  // Known truth: both stages track the managerial efficiency.
  EXPECT_GT(corr(th1, truth), 0.7);
  EXPECT_GT(corr(th3, truth), 0.7);
}

TEST(ThreeStageDea, ReplicationsAreReproducibleAndFinite) {
  const Fixture f = make_fixture();
  const ThreeStageDeaAnalysis a("eff", f.geo, f.panel, f.system, small_options());
  const auto specs = a.replication_specs();
  ASSERT_EQ(specs.size(), 2u);
  auto run = [&](std::size_t task) {
    std::vector<std::vector<double>> rows;
    for (const auto& s : specs) rows.emplace_back(s.row_size(), std::nan(""));
    std::vector<std::span<double>> spans(rows.begin(), rows.end());
    Rng rng(5, a.name(), static_cast<std::uint32_t>(task));
    const TaskOutcome o = a.run_task(task, rng, spans);
    EXPECT_EQ(o.status, TaskStatus::kOk) << o.message;
    return rows;
  };
  const auto r0 = run(0), r0b = run(0), r1 = run(1);
  EXPECT_EQ(r0, r0b);
  EXPECT_NE(r0[0], r1[0]);
  double mean_shift = 0;
  for (std::size_t t = 0; t < 2; ++t)
    for (std::size_t i = 0; i < kN; ++i) {
      const double b1 = r0[0][(t * 2) * kN + i];
      ASSERT_TRUE(std::isfinite(b1));
      EXPECT_GT(b1, 0.0);
      mean_shift += (b1 - a.years()[t].stage1.farrell[i]) / (2.0 * kN);
    }
  // The pseudo frontier lies outside the DEA frontier: bootstrap scores exceed the estimates on
  // average (DEA's upward bias; Simar & Wilson 1998).
  EXPECT_GT(mean_shift, 0.0);
}

// Bandwidth rule by hand: theta = {0.5, 1}; reflected R = {0.5, 1.5, 1, 1}: sd = sqrt(0.5 / 3) =
// 0.408248; the IQR over the inefficient units' reflected scores R_m = {0.5, 1.5} (type 7) = 1.25 -
// 0.75 = 0.5 -> 0.5 / 1.34 = 0.373134 < sd; h = 0.9 * 0.373134 * 2^(-1/5) = 0.292349. (Before
// issue 16 the IQR ran over R, atom included: 0.25, and h = 0.146184.)
TEST(ThreeStageDea, BandwidthRuleByHand) {
  EXPECT_NEAR(ThreeStageDeaAnalysis::bandwidth_rule({0.5, 1.0}), 0.9 * (0.5 / 1.34) * std::pow(2.0, -0.2), 1e-12);
  EXPECT_NEAR(ThreeStageDeaAnalysis::bandwidth_rule({0.5, 1.0}), 0.29234906976362374, 1e-12);
  // Every unit efficient: nothing to smooth.
  EXPECT_EQ(ThreeStageDeaAnalysis::bandwidth_rule({1.0, 1.0, 1.0 - 1e-12}), 0.0);
}

// Issue 16: with half or more of the units efficient (and returned as 1 - 1e-12 by the LP), the
// IQR of the reflected scores was about 1e-12 and so was h: no smoothing at all. The rule must
// give the same bandwidth whether the efficient scores are 1 or 1 - 1e-12, and a real one.
TEST(ThreeStageDea, BandwidthSurvivesMostUnitsEfficient) {
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
  const double h = ThreeStageDeaAnalysis::bandwidth_rule(exact);
  EXPECT_NEAR(ThreeStageDeaAnalysis::bandwidth_rule(rounded), h, 1e-12);
  // The sd of the reflected scores is 0.175387 (below IQR(R_m) / 1.34 = 0.369), so h = 0.9 x
  // 0.175387 x 100^(-1/5) = 0.062841 (NumPy, ddof = 1).
  EXPECT_NEAR(h, 0.06284058201171334, 1e-12);
}

// R Benchmarking's dea.boot rule (dea.boot.R, svn 229), by hand with theta = {0.5, 0.8, 1, 1}:
// dist = 1 / theta = {2, 1.25, 1, 1}, sd(dist) = 0.473242; inefficient scores {0.5, 0.8}
// reflected: neff = {0.5, 0.8, 1.5, 1.2}, sd(neff) = 0.439697, IQR (type 7) = 1.275 - 0.725 =
// 0.55, / 1.349 = 0.407709 (used: above 1e-6 and below sd); adjust = sd(dist) / sd(neff) (4/4)^(1/5);
// h = adjust 0.9 0.407709 4^(-1/5) = 0.299303 (also evaluated in NumPy with ddof = 1).
TEST(ThreeStageDea, BandwidthBenchmarkingByHand) {
  const double adjust = 0.4732423621500228 / 0.439696865275764;
  EXPECT_NEAR(ThreeStageDeaAnalysis::bandwidth_benchmarking({0.5, 0.8, 1.0, 1.0}),
              adjust * 0.9 * (0.55 / 1.349) * std::pow(4.0, -0.2), 1e-12);
  EXPECT_NEAR(ThreeStageDeaAnalysis::bandwidth_benchmarking({0.5, 0.8, 1.0, 1.0}), 0.2993032929610774, 1e-12);
  EXPECT_EQ(ThreeStageDeaAnalysis::bandwidth_benchmarking({1.0, 1.0}), 0.0);
}

// dea.boot's draw on the Shephard scale: theta* in (0, 1], reproducible, and smoothing moves the
// draws off the observed values.
TEST(ThreeStageDea, ShephardDrawsAreReflectedAndReproducible) {
  std::vector<double> th;
  for (int i = 0; i < 500; ++i) th.push_back(i % 2 ? 1.0 : 0.4 + 0.6 * (i % 50) / 49.0);
  Rng a(1, "sw", 3), b(1, "sw", 3);
  const auto s1 = ThreeStageDeaAnalysis::draw_pseudo_scores(th, 0.05, a, true);
  const auto s2 = ThreeStageDeaAnalysis::draw_pseudo_scores(th, 0.05, b, true);
  EXPECT_EQ(s1, s2);
  int ones = 0;
  for (double v : s1) {
    EXPECT_GT(v, 0.0);
    EXPECT_LE(v, 1.0);
    ones += v == 1.0;
  }
  EXPECT_EQ(ones, 0);
}

TEST(ThreeStageDea, PseudoScoresAreReflectedAndReproducible) {
  std::vector<double> th;
  for (int i = 0; i < 500; ++i) th.push_back(0.5 + 0.5 * (i % 50) / 49.0);
  Rng a(1, "sw", 3), b(1, "sw", 3);
  const auto s1 = ThreeStageDeaAnalysis::draw_pseudo_scores(th, 0.05, a);
  const auto s2 = ThreeStageDeaAnalysis::draw_pseudo_scores(th, 0.05, b);
  EXPECT_EQ(s1, s2);
  for (double v : s1) EXPECT_LE(v, 1.0);
}

// Known truth: y = 1.5 + 0.5 z + e, e ~ N(0, 0.4^2), observed only when y >= 1; n = 3000 draws
// kept. Tolerance 4 asymptotic standard errors.
TEST(TruncatedRegression, RecoversKnownParameters) {
  Rng rng(9, "truncreg", 0);
  boost::random::normal_distribution<double> nd;
  std::vector<double> yv, zv;
  while (yv.size() < 3000) {
    const double z = 2.0 * rng.uniform01() - 1.0, y = 1.5 + 0.5 * z + 0.4 * nd(rng);
    if (y >= 1.0) {
      yv.push_back(y);
      zv.push_back(z);
    }
  }
  const auto n = static_cast<Eigen::Index>(yv.size());
  MatrixXd X(n, 2);
  VectorXd y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    X(i, 0) = 1;
    X(i, 1) = zv[static_cast<std::size_t>(i)];
    y[i] = yv[static_cast<std::size_t>(i)];
  }
  const auto r = fit_truncated_regression(y, X);
  ASSERT_TRUE(r.converged) << r.message;
  EXPECT_NEAR(r.beta[0], 1.5, 4 * r.beta_se[0]);
  EXPECT_NEAR(r.beta[1], 0.5, 4 * r.beta_se[1]);
  EXPECT_NEAR(r.sigma, 0.4, 4 * r.sigma_se);
  // OLS on the truncated sample is biased towards zero; the ML slope is not.
  const VectorXd ols = X.colPivHouseholderQr().solve(y);
  EXPECT_LT(ols[1], r.beta[1]);
}

TEST(ThreeStageDea, BadDataNamesCountyAndYear) {
  Fixture f = make_fixture();
  f.panel.values[1][7 * 2 + 1] = 0.0;  // x2 of County 7 in 2022
  try {
    ThreeStageDeaAnalysis a("eff", f.geo, f.panel, f.system, small_options());
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("County 7"), std::string::npos) << m;
    EXPECT_NE(m.find("2022"), std::string::npos) << m;
    EXPECT_NE(m.find("x2"), std::string::npos) << m;
  }
  f = make_fixture();
  f.system.indicators.pop_back();
  f.system.indicators.pop_back();  // no environment
  EXPECT_THROW(ThreeStageDeaAnalysis("eff", f.geo, f.panel, f.system, small_options()), Error);
}

// bootstrap = "three_stage": the first year's stage-1 draws are the same as with "scores" (same
// stream, drawn first; later years differ because "scores" also draws a stage-3 pseudo-sample);
// stage 3 re-runs DEA and SFA on the pseudo-sample, so its rows differ; all finite.
TEST(ThreeStageDea, WholeProcedureBootstrap) {
  const Fixture f = make_fixture();
  ThreeStageOptions o = small_options();
  o.truncated_regression = false;
  const ThreeStageDeaAnalysis plain("eff", f.geo, f.panel, f.system, o);
  o.bootstrap = "three_stage";
  const ThreeStageDeaAnalysis whole("eff", f.geo, f.panel, f.system, o);
  auto run = [&](const ThreeStageDeaAnalysis& a) {
    std::vector<double> row(a.replication_specs()[0].row_size(), std::nan(""));
    std::vector<std::span<double>> spans{std::span<double>(row)};
    Rng rng(5, a.name(), 3);
    const TaskOutcome out = a.run_task(3, rng, spans);
    EXPECT_EQ(out.status, TaskStatus::kOk) << out.message;
    return row;
  };
  const auto p = run(plain), w = run(whole), w2 = run(whole);
  EXPECT_EQ(w, w2);
  std::size_t differ = 0;
  for (std::size_t t = 0; t < 2; ++t)
    for (std::size_t i = 0; i < kN; ++i) {
      if (t == 0) {
        EXPECT_EQ(p[i], w[i]);  // stage 1 of the first year
      }
      const double s3 = w[(t * 2 + 1) * kN + i];
      ASSERT_TRUE(std::isfinite(s3));
      EXPECT_GT(s3, 0.0);
      differ += s3 != p[(t * 2 + 1) * kN + i];
    }
  EXPECT_GT(differ, kN);
}

namespace {
double mae(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += std::abs(a[i] - b[i]) / static_cast<double>(a.size());
  return s;
}
}  // namespace

// Issue 16: stage 2 classified a slack as zero only if it was <= 0.0, so the ~40 efficient units
// of a 512-unit data set (slacks 1e-9 ... 2e-8 from LP rounding) stayed in the fit, the SFA ran to
// gamma -> 1 with b ~ 1e-8 and stage 3 equalled stage 1. Known truth: synth::make_dea_design
// (n = 512, one year, seed 2000: z1 raises both inputs, by 0.3 and 0.2 in logs; bench/dea_stage2
// gives the figures quoted below for this data set).
TEST(ThreeStageDea, ZeroSlacksAreExcludedAndStageTwoAdjusts) {
  synth::DeaDesign d;
  d.n = 512;
  d.years = {2021};
  d.seed = 2000;
  const auto data = synth::make_dea_design(d);
  ThreeStageOptions o = small_options();
  o.truncated_regression = false;
  for (const char* scale : {"level", "ratio"}) {
    o.slack_scale = scale;
    const ThreeStageDeaAnalysis a("eff", data.geo, data.panel, data.system, o);
    const ThreeStageYear& Y = a.years()[0];
    for (Eigen::Index k = 0; k < 2; ++k) {
      const auto kk = static_cast<std::size_t>(k);
      // 37 units per input have zero slack (3-4 before the fix): each excluded, each with slack
      // within the tolerance, every other unit in the fit with a slack above it.
      EXPECT_GE(Y.zero_slack_units[kk], 30) << scale;
      EXPECT_EQ(Y.sfa_units[kk], 512 - Y.zero_slack_units[kk]);
      int zero = 0;
      for (Eigen::Index i = 0; i < 512; ++i) {
        const bool z = Y.slack1(i, k) <= 1e-6 * Y.x(i, k);
        zero += z;
        EXPECT_EQ(Y.dep(i, k) == 0.0, z) << "unit " << i;
      }
      EXPECT_EQ(zero, Y.zero_slack_units[kk]);
      ASSERT_NE(Y.sfa_status[kk], "no_variation");
      const double b = Y.sfa[kk].beta[1];  // z1 (column 0 is the intercept)
      if (std::string(scale) == "ratio") {
        // Interior fits with a clearly positive environment effect (0.14 here).
        EXPECT_EQ(Y.sfa_status[kk], "converged") << Y.sfa[kk].message;
        EXPECT_GT(b, 2 * Y.sfa[kk].beta_se[1]);
      } else {
        // In levels the fit still ends at gamma = 1 (unit sizes differ by a factor of ~50 here:
        // see the option slack_scale), but it now adjusts: b = 0.032, not 1e-8.
        EXPECT_GT(b, 0.01);
      }
    }
    // Stage 3 moves toward the managerial efficiency (MAE 0.0591 -> 0.0528 in levels, 0.0540 as
    // ratios; before the fix stage 3 equalled stage 1).
    EXPECT_LT(mae(Y.stage3.farrell, data.eff_true), mae(Y.stage1.farrell, data.eff_true) - 0.003) << scale;
  }
}

// Issue 16: with 60 % of the units efficient the bandwidth collapsed to ~1e-12, so a third of the
// replicate scores equalled theta and the upper interval bound was theta for 98 of 100 units.
// Data: synth::make_dea_design with efficient_share 0.6, no environment, no noise, n = 100.
TEST(ThreeStageDea, MostUnitsEfficientIntervalsAreNotDegenerate) {
  synth::DeaDesign d;
  d.n = 100;
  d.years = {2021};
  d.env_scale = 0;
  d.noise_sd = 0;
  d.efficient_share = 0.6;
  const auto data = synth::make_dea_design(d);
  ThreeStageOptions o;
  o.replications = 200;
  o.truncated_regression = false;
  const ThreeStageDeaAnalysis a("eff", data.geo, data.panel, data.system, o);
  MemoryReplications reps(a);
  for (std::size_t b = 0; b < o.replications; ++b) reps.run(a, 7, b);
  const auto tables = a.summarize(reps);
  auto column = [&](const std::string& table, const std::string& name) {
    for (const auto& t : tables)
      if (t.name == table)
        for (const auto& c : t.columns)
          if (c.name == name) return c.data;
    ADD_FAILURE() << table << "/" << name;
    return decltype(Column::data){};
  };
  const auto theta = std::get<std::vector<double>>(column("efficiency", "stage1_vrs"));
  const auto hi = std::get<std::vector<double>>(column("efficiency", "stage1_ci_hi"));
  int efficient = 0, hi_at_theta = 0;
  for (std::size_t i = 0; i < theta.size(); ++i) {
    efficient += theta[i] == 1.0;
    hi_at_theta += std::abs(hi[i] - theta[i]) < 1e-9;
  }
  EXPECT_GE(efficient, 55);
  EXPECT_LE(hi_at_theta, 5);
  // The bandwidths are in the archive, per year and stage.
  const auto h = std::get<std::vector<double>>(column("bandwidths", "bandwidth"));
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0], a.years()[0].h1);
  EXPECT_GT(h[0], 0.01);
}
