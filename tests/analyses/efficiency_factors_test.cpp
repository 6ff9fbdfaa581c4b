// The job analysis efficiency_factors (src/analyses/efficiency_factors.hpp): options and their
// errors, the scores of the source analysis, the tables against the library with the job's
// streams (Simar-Wilson Algorithms 1 and 2, Tobit, fractional, OLS), the known environment effect
// of a generated design, and a panel column of scores.
#include "analyses/efficiency_factors.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <iostream>

#include "analyses/analysis_spec.hpp"
#include "core/error.hpp"
#include "core/memory_replications.hpp"
#include "spatial_test_support.hpp"
#include "synth/dea_design.hpp"
#include "test_support.hpp"

namespace revest::analyses {
namespace {

const char* kOpts =
    "scores_from = \"eff\"\n"
    "score_variable = \"\"\n"
    "stage = 1\n"
    "environment = []\n"
    "models = [\"tobit\", \"fractional_logit\", \"fractional_probit\", \"ols\", \"sw1\", \"sw2\"]\n"
    "censoring = \"upper\"\n"
    "censor_tolerance = 1e-9\n"
    "cluster = \"county\"\n"
    "per_year = true\n"
    "pooled = true\n"
    "year_effects = true\n"
    "l1 = 12\n"
    "l2 = 60\n"
    "replications_per_task = 25\n"
    "confidence = 0.95\n"
    "efficient_tolerance = 1e-7\n";

io::AnalysisConfig config(const std::string& text) {
  io::AnalysisConfig c = test::analysis_config("efficiency_factors", text);
  c.name = "ef";
  return c;
}
EfficiencyFactorsOptions options(const std::string& text) {
  return EfficiencyFactorsOptions::from(io::OptionView(config(text)));
}

using test::table;
const std::vector<double>& dcol(const Table& t, const std::string& name) {
  return test::column<double>(t, name);
}
const std::vector<std::string>& scol(const Table& t, const std::string& name) {
  return test::column<std::string>(t, name);
}
/// Row of (sample, model, term) in `estimates`.
std::size_t row_of(const Table& t, const std::string& sample, const std::string& model,
                   const std::string& term) {
  for (std::size_t r = 0; r < scol(t, "sample").size(); ++r)
    if (scol(t, "sample")[r] == sample && scol(t, "model")[r] == model &&
        scol(t, "term")[r] == term)
      return r;
  ADD_FAILURE() << "no row " << sample << " " << model << " " << term;
  return 0;
}

TEST(EfficiencyFactorsAnalysisTest, OptionErrorsNameTheOption) {
  const EfficiencyFactorsOptions o = options(kOpts);
  EXPECT_EQ(o.models.size(), 6u);
  EXPECT_EQ(o.stage, 1);
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"stage", "2"},
           {"models", "[\"probit\"]"},
           {"models", "[\"ols\", \"ols\"]"},
           {"models", "[]"},
           {"score_variable", "\"score\""},  // both sources
           {"scores_from", "\"\""},          // neither
           {"cluster", "\"state\""},
           {"l1", "0"}}) {
    const std::string e = test::error_of([&] { options(test::with_option(kOpts, key, value)); });
    EXPECT_NE(e.find(key), std::string::npos) << key << " = " << value << ": " << e;
  }
  // A panel column of scores cannot feed the Simar-Wilson models (they re-run the DEA).
  const std::string sv = test::with_option(test::with_option(kOpts, "scores_from", "\"\""),
                                           "score_variable", "\"score\"");
  EXPECT_NE(test::error_of([&] { options(sv); }).find("sw1 and sw2"), std::string::npos);
  EXPECT_NO_THROW(options(test::with_option(sv, "models", "[\"tobit\", \"ols\"]")));
  // scores_from must name a three_stage_dea analysis of the job.
  io::Job job;
  job.seed = 5;
  job.analyses.push_back(config(kOpts));
  EXPECT_NE(test::error_of([&] { parse_analyses(job); }).find("no analysis named 'eff'"),
            std::string::npos);
  io::AnalysisConfig other = test::analysis_config(
      "panel_threshold",
      "outcome = \"y\"\nregime_dependent = [\"x\"]\ncontrols = []\ntime_effects = true\n"
      "threshold_variable = \"q\"\nmax_thresholds = 1\nrefine = true\ngrid = 100\n"
      "trim = [0.05]\nreplications = 0\nbootstrap = \"residual\"\nconfidence = 0.95\n"
      "replications_per_task = 10\n");
  other.name = "eff";
  job.analyses.push_back(other);
  const std::string e = test::error_of([&] { parse_analyses(job); });
  EXPECT_NE(e.find("scores_from"), std::string::npos) << e;
  EXPECT_NE(e.find("panel_threshold"), std::string::npos) << e;
}

// The scores are the source analysis's; the Simar-Wilson tables equal the library's one-call
// functions with the job's streams RngKey(seed, "<name>/<sample>") (so the split of the L1
// replications into runtime tasks changes nothing); the Tobit, fractional and OLS tables equal the
// library's regressions on the same data; and the generated design's environment effect is found:
// synth::make_dea_design inflates the inputs by exp(0.3 z1) and exp(0.2 z1) (z1 in [0, 1]), so
// theta falls with z1 (delta = 1 / theta rises) and z2 is a placebo.
TEST(EfficiencyFactorsAnalysisTest, TablesEqualTheLibraryAndTheTruth) {
  synth::DeaDesign design;
  design.n = 150;
  const synth::DeaDesignData data = synth::make_dea_design(design);
  EfficiencyFactorsOptions o = options(kOpts);
  o.seed = 5;
  o.source = ThreeStageDeaOptions{};
  EfficiencyFactorsAnalysis a("ef", data.geo, data.panel, data.system, o);
  EXPECT_EQ(a.num_tasks(), 15u);  // 12 L1 replications, then 60 L2 replications in tasks of 25
  EXPECT_EQ(a.phase_boundary(), 12u);
  ASSERT_EQ(a.samples().size(), 3u);  // 2021, 2022, pooled
  MemoryReplications rep(a);
  {
    // An L2 task needs the bias correction of every L1 replication: prepare() first.
    EfficiencyFactorsAnalysis fresh("ef", data.geo, data.panel, data.system, o);
    EXPECT_THROW(rep.run(fresh, 5, 13), Error);
  }
  for (std::size_t b = 12; b-- > 0;) rep.run(a, 5, b);  // any order within a phase
  a.prepare(rep);
  for (std::size_t b = 15; b-- > 12;) rep.run(a, 5, b);
  const auto tables = a.summarize(rep);
  {
    // The summary does not rely on prepare() in this process (a resumed run may find every task
    // done): another instance summarises the same rows to the same tables.
    const EfficiencyFactorsAnalysis other("ef", data.geo, data.panel, data.system, o);
    const auto again = other.summarize(rep);
    const auto& e1 = dcol(table(tables, "estimates"), "upper");
    const auto& e2 = dcol(table(again, "estimates"), "upper");
    ASSERT_EQ(e1.size(), e2.size());
    for (std::size_t r = 0; r < e1.size(); ++r)
      EXPECT_TRUE(e1[r] == e2[r] || (std::isnan(e1[r]) && std::isnan(e2[r]))) << r;
  }
  const Table& est = table(tables, "estimates");
  const Table& scores = table(tables, "scores");
  const ThreeStageDeaAnalysis src("eff", data.geo, data.panel, data.system, *o.source);
  for (std::size_t t = 0; t < 2; ++t) {
    const synth::DeaDesignYear y = synth::dea_design_year(data, t);
    const std::string label = std::to_string(design.years[t]);
    // Scores: the source's stage-1 scores (table rows are year-major).
    for (std::size_t i = 0; i < design.n; ++i)
      EXPECT_EQ(dcol(scores, "theta")[t * design.n + i], src.years()[t].r.stage1.farrell[i]);
    factors::SwAlgorithm2Options so;
    so.l1 = 12;
    so.l2 = 60;  // the job's split into tasks of 25 changes nothing
    so.efficient_tolerance = 1e-7;
    const RngKey key(5, "ef/" + label);
    const factors::SwAlgorithm2Result s2 = factors::sw_algorithm2(y.x, y.y, y.z, so, key);
    const factors::SwAlgorithm2Result s1 = factors::sw_algorithm1(y.x, y.y, y.z, so, key);
    const char* terms[] = {"(intercept)", "z1", "z2", "sigma"};
    for (Eigen::Index j = 0; j < 4; ++j) {
      const std::size_t r2 = row_of(est, label, "sw2", terms[j]);
      const std::size_t r1 = row_of(est, label, "sw1", terms[j]);
      EXPECT_EQ(dcol(est, "estimate")[r2], j < 3 ? s2.fit.beta[j] : s2.fit.sigma) << terms[j];
      EXPECT_EQ(dcol(est, "lower")[r2], s2.lower[j]) << terms[j];
      EXPECT_EQ(dcol(est, "upper")[r2], s2.upper[j]) << terms[j];
      EXPECT_EQ(dcol(est, "estimate")[r1], j < 3 ? s1.fit.beta[j] : s1.fit.sigma) << terms[j];
      EXPECT_EQ(dcol(est, "upper")[r1], s1.upper[j]) << terms[j];
    }
    for (std::size_t i = 0; i < design.n; ++i)
      EXPECT_EQ(dcol(scores, "delta_bc_year")[t * design.n + i],
                s2.delta_bias_corrected[static_cast<Eigen::Index>(i)]);
    // Tobit and the fractional probit of the year: the library on (theta, [1 z]), robust errors.
    Eigen::VectorXd theta(static_cast<Eigen::Index>(design.n));
    for (std::size_t i = 0; i < design.n; ++i)
      theta[static_cast<Eigen::Index>(i)] = src.years()[t].r.stage1.farrell[i];
    Eigen::MatrixXd X(y.z.rows(), 3);
    X.col(0).setOnes();
    X.rightCols(2) = y.z;
    const factors::RegressionResult tob = factors::tobit(theta, X, {"(intercept)", "z1", "z2"});
    const factors::RegressionResult fp =
        factors::fractional(theta, X, {"(intercept)", "z1", "z2"}, factors::Link::kProbit);
    for (std::size_t j = 0; j < 3; ++j) {
      const std::size_t rt = row_of(est, label, "tobit", terms[j]);
      EXPECT_EQ(dcol(est, "estimate")[rt], tob.coefficients[j].estimate);
      EXPECT_EQ(dcol(est, "se_robust")[rt], tob.coefficients[j].se_robust);
      const std::size_t rp = row_of(est, label, "fractional_probit", terms[j]);
      EXPECT_EQ(dcol(est, "se_robust")[rp], fp.coefficients[j].se_robust);
    }
  }
  // Truth, pooled (300 county-years, county clusters): z1 lowers theta in every model on theta
  // and raises delta in both Simar-Wilson models, each interval excluding 0; the placebo z2's
  // estimate is small beside z1's (within 0.35 of it in absolute value).
  for (const std::string m :
       {"tobit", "fractional_logit", "fractional_probit", "ols", "sw1", "sw2"}) {
    const std::size_t r = row_of(est, "pooled", m, "z1"), r2 = row_of(est, "pooled", m, "z2");
    const bool on_delta = m == "sw1" || m == "sw2";
    const double sign = on_delta ? 1.0 : -1.0;
    EXPECT_GT(sign * dcol(est, "estimate")[r], 0) << m;
    EXPECT_GT(sign * dcol(est, "lower")[r] * (on_delta ? 1 : 0) +
                  sign * dcol(est, "upper")[r] * (on_delta ? 0 : 1),
              0)
        << m << ": the interval excludes 0";
    EXPECT_LT(std::abs(dcol(est, "estimate")[r2]), 0.35 * std::abs(dcol(est, "estimate")[r])) << m;
  }
  const Table& fits = table(tables, "fits");
  for (const auto& s : scol(fits, "status")) EXPECT_EQ(s, "ok");
  // The year dummy of the pooled models is there.
  row_of(est, "pooled", "ols", "year 2022");
}

// A panel column of scores (here the design's true efficiencies exp(-u), which do not depend on
// the environment): the regressions on theta run, the Simar-Wilson ones cannot, and no task has
// replications to run.
TEST(EfficiencyFactorsAnalysisTest, PanelColumnOfScores) {
  synth::DeaDesignData data = synth::make_dea_design(synth::DeaDesign{});
  data.panel.variables.push_back("score");
  data.panel.values.push_back(data.eff_true);
  EfficiencyFactorsOptions o =
      options(test::with_option(test::with_option(test::with_option(kOpts, "scores_from", "\"\""),
                                                  "score_variable", "\"score\""),
                                "models", "[\"tobit\", \"fractional_logit\", \"ols\"]"));
  const EfficiencyFactorsAnalysis a("ef", data.geo, data.panel, data.system, o);
  EXPECT_EQ(a.num_tasks(), 1u);
  MemoryReplications rep(a);
  rep.run(a, 1, 0);
  const auto tables = a.summarize(rep);
  const Table& est = table(tables, "estimates");
  const std::size_t r = row_of(est, "pooled", "ols", "z1");
  EXPECT_LT(dcol(est, "lower")[r], 0);  // no effect: the interval covers 0
  EXPECT_GT(dcol(est, "upper")[r], 0);
  // A score outside (0, 1] is an error naming the county and year.
  data.panel.values.back()[3] = 1.5;
  const std::string e = test::error_of(
      [&] { EfficiencyFactorsAnalysis("ef", data.geo, data.panel, data.system, o); });
  EXPECT_NE(e.find("score = 1.5"), std::string::npos) << e;
  EXPECT_NE(e.find("year"), std::string::npos) << e;
}

}  // namespace
}  // namespace revest::analyses

namespace revest::analyses {
namespace {

// The bundled generated panel (512 counties x 12 years; data/README.md section 5, truth.toml):
// observed inputs are inflated by exp(u + g_k + v_k) with the environmental excess g_k = shift +
// sum_j delta_kj z_j, so the radial input efficiency is exp(-u - sum_k alpha_k g_k / A), A = 0.95,
// and its semi-elasticity in z_j is s_j = -sum_k alpha_k delta_kj / A:
//   dig_infra 0.003579, dig_literacy 0.002553, fiscal_support 0.006158, terrain -0.000579 per unit,
//   gdp_pc 0 (a placebo).
// The stage-1 scores of the pooled panel (each year's own frontier, year dummies):
//  - terrain (the strongest effect): every model has the truth's sign (negative on theta, positive
//    on delta = 1 / theta for the Simar-Wilson models) and an interval excluding 0;
//  - fiscal_support: every model has the truth's sign (measured: the intervals of OLS, sw1 and
//    sw2 exclude 0, Tobit's and the fractional logit's just reach it);
//  - dig_infra is not checked: it trends over the years with the digital index, so beside the
//    year dummies it is weakly identified (every interval holds 0);
//  - OLS's terrain effect is attenuated against mean(theta) x s_terrain (measured 0.46 of it: DEA
//    scores are relative to an estimated frontier whose units share the environment): between
//    0.25 and 1 of it.
TEST(EfficiencyFactorsAnalysisTest, KnownEnvironmentEffectsOfTheBundledPanel) {
  const io::IndicatorSystem ind =
      io::load_indicators(std::filesystem::path(REVEST_SOURCE_DIR) / "config" / "indicators.toml");
  EfficiencyFactorsOptions o = options(test::with_option(
      test::with_option(test::with_option(kOpts, "per_year", "false"), "models",
                        "[\"tobit\", \"fractional_logit\", \"ols\", \"sw1\", \"sw2\"]"),
      "l1", "3"));
  o.l2 = 60;
  o.replications_per_task = 60;
  o.seed = 9;
  ThreeStageDeaOptions src;
  src.method.stages = 1;
  o.source = src;
  EfficiencyFactorsAnalysis a("ef", test::southwest(), test::generated_panel(), ind, o);
  MemoryReplications rep = run_serial(a, 9);
  const auto tables = a.summarize(rep);
  const Table& est = table(tables, "estimates");
  const Table& ape = table(tables, "partial_effects");
  double mean_theta = 0;
  for (double t : dcol(table(tables, "scores"), "theta")) mean_theta += t;
  mean_theta /= static_cast<double>(dcol(table(tables, "scores"), "theta").size());
  for (const std::string m : {"tobit", "fractional_logit", "ols", "sw1", "sw2"}) {
    const double sign = (m == "sw1" || m == "sw2") ? -1.0 : 1.0;  // on delta: opposite
    for (const auto& [term, truth] : std::vector<std::pair<std::string, double>>{
             {"fiscal_support", 0.006158}, {"terrain", -0.000579}}) {
      const std::size_t r = row_of(est, "pooled", m, term);
      const double e = dcol(est, "estimate")[r], lo = dcol(est, "lower")[r],
                   hi = dcol(est, "upper")[r];
      std::cout << m << " " << term << " " << e << " [" << lo << ", " << hi << "]\n";
      EXPECT_GT(sign * truth * e, 0) << m << " " << term;
      if (term == "terrain") {
        EXPECT_TRUE(lo > 0 || hi < 0) << m << " " << term << ": the interval excludes 0";
      }
    }
  }
  for (std::size_t r = 0; r < scol(ape, "term").size(); ++r)
    if (scol(ape, "model")[r] == "ols" && scol(ape, "term")[r] == "terrain") {
      const double want = mean_theta * -0.000579;
      std::cout << "OLS terrain APE " << dcol(ape, "ape")[r] << ", mean(theta) x s " << want
                << "\n";
      EXPECT_GT(dcol(ape, "ape")[r] / want, 0.25);
      EXPECT_LT(dcol(ape, "ape")[r] / want, 1.0);
    }
  for (const auto& s : scol(table(tables, "fits"), "status")) EXPECT_EQ(s, "ok");
}

}  // namespace
}  // namespace revest::analyses
