#include "dea/three_stage.hpp"

#include <gtest/gtest.h>

#include <boost/random/normal_distribution.hpp>
#include <cmath>
#include <span>

#include "core/error.hpp"
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

// Bandwidth rule by hand: reflected {0.5, 1.5, 1, 1}: sd = sqrt(0.5 / 3) = 0.40825, IQR (type 7)
// = 1.125 - 0.875 = 0.25 -> 0.25 / 1.34 = 0.18657; h = 0.9 * 0.18657 * 2^(-1/5) = 0.146184.
TEST(ThreeStageDea, BandwidthRuleByHand) {
  EXPECT_NEAR(ThreeStageDeaAnalysis::bandwidth_rule({0.5, 1.0}), 0.9 * (0.25 / 1.34) * std::pow(2.0, -0.2), 1e-12);
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
