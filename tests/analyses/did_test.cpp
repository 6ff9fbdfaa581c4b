// The job analysis did (src/analyses/did.hpp): options and panel errors, the bootstrap tasks, the
// summaries against direct library calls, the task split, and the estimators on the bundled
// generated panel against its truth.
#include "analyses/did.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "core/memory_replications.hpp"
#include "spatial_test_support.hpp"
#include "test_support.hpp"

namespace revest::analyses {
namespace {

const char* kDid =
    "outcome = \"industry_va\"\n"
    "timing = \"pilot_year\"\n"
    "covariates = []\n"
    "estimators = [\"twfe\", \"event_study\", \"bacon\", \"cs\", \"sun_abraham\", \"two_stage\", "
    "\"spillover\"]\n"
    "comparison = \"never_treated\"\n"
    "base_period = \"varying\"\n"
    "anticipation = 0\n"
    "balance_e = -1\n"
    "method = \"dr\"\n"
    "leads = 4\n"
    "lags = 4\n"
    "cluster = \"prefecture\"\n"
    "multiplier_replications = 199\n"
    "wild_replications = 399\n"
    "wild_type = \"wcr\"\n"
    "wild_weights = \"webb\"\n"
    "wild_pvalue = \"symmetric\"\n"
    "confidence = 0.95\n"
    "weights = [\"queen\"]\n"
    "replications_per_task = 50\n";

DidOptions options(const std::string& text) {
  return DidOptions::from(io::OptionView(test::analysis_config("did", text)));
}

using test::error_of;
using test::table;

double value(const Table& t, const std::string& key_col, const std::string& key,
             const std::string& col) {
  const auto& k = test::column<std::string>(t, key_col);
  const auto& v = test::column<double>(t, col);
  for (std::size_t i = 0; i < k.size(); ++i)
    if (k[i] == key) return v[i];
  throw std::runtime_error("no row " + key + " in " + t.name);
}

TEST(DidAnalysisTest, OptionErrorsNameTheOption) {
  EXPECT_EQ(options(kDid).estimators.size(), 7u);
  EXPECT_EQ(options(kDid).cluster, ClusterLevel::kPrefecture);
  EXPECT_NE(error_of([] {
              options(test::with_option(kDid, "estimators", "[\"twfe\", \"csa\"]"));
            }).find("unknown DID estimator 'csa'"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              options(test::with_option(kDid, "estimators", "[\"cs\", \"cs\"]"));
            }).find("listed twice"),
            std::string::npos);
  EXPECT_NE(
      error_of([] { options(test::with_option(kDid, "cluster", "\"city\"")); }).find("cluster"),
      std::string::npos);
  EXPECT_NE(error_of([] {
              options(test::with_option(kDid, "multiplier_replications", "1"));
            }).find("multiplier_replications"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              options(test::with_option(kDid, "comparison", "\"later\""));
            }).find("comparison"),
            std::string::npos);
}

// A unit whose timing changes, or is not a year, is named with its code and the years.
TEST(DidAnalysisTest, PanelErrorsNameTheCounty) {
  io::Panel p = test::generated_panel();
  const std::size_t T = p.num_years(), v = p.variable_index("pilot_year");
  p.values[v][5 * T + 3] = 2019.0;
  if (p.values[v][5 * T] == 2019.0) p.values[v][5 * T + 3] = 2020.0;
  const std::string e = error_of([&] { DidAnalysis("sp", test::southwest(), p, options(kDid)); });
  EXPECT_NE(e.find("county " + std::to_string(test::southwest().counties[5].adcode_ref)),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("must not change"), std::string::npos) << e;
  p.values[v][5 * T + 3] = p.values[v][5 * T];
  for (std::size_t t = 0; t < T; ++t) p.values[v][7 * T + t] = 2019.5;
  EXPECT_NE(
      error_of([&] { DidAnalysis("sp", test::southwest(), p, options(kDid)); }).find("an integer"),
      std::string::npos);
}

// The tables equal direct library calls: estimates and analytic standard errors exactly; the
// multiplier bootstrap's standard error and band equal did::multiplier_bootstrap on the job's
// clustered influence functions with the job's key (part 1), up to the product's rounding; the wild
// bootstrap's p-value and interval equal WildProblem's with did::wild_draws from the job's key
// (part 2).
TEST(DidAnalysisTest, SummariesEqualTheLibrary) {
  const DidOptions o = options(kDid);
  const DidAnalysis a("sp", test::southwest(), test::generated_panel(), o);
  EXPECT_EQ(a.num_tasks(), 8u);  // max(199, 399 wild draws) in tasks of 50
  MemoryReplications rep = run_serial(a, 3);
  const auto tables = a.summarize(rep);
  const Table& overall = table(tables, "overall");
  const did::StaggeredPanel panel =
      staggered_panel(test::generated_panel(), test::southwest(), o, "test");
  const std::vector<int> cl = cluster_ids(test::southwest(), ClusterLevel::kPrefecture);
  const did::CsResult cs = did::callaway_santanna(panel, o.cs);
  EXPECT_EQ(value(overall, "estimator", "cs", "estimate"), cs.simple.overall_att);
  // Multiplier: the cs simple family.
  const RngKey key(3, "sp");
  for (const auto& f : a.families())
    if (f.estimator == "cs" && f.what == "simple") {
      const did::MultiplierResult m = did::multiplier_bootstrap(
          a.cluster_influence().middleCols(f.begin, f.size), 199, key, 0.95, 1);
      EXPECT_NEAR(value(overall, "estimator", "cs", "se_bootstrap"), m.se[0], 1e-12 * m.se[0]);
      EXPECT_NEAR(value(overall, "estimator", "cs", "se"),
                  a.cluster_influence().col(f.begin).norm(), 1e-15);
    }
  // Wild: the TWFE coefficient.
  const did::TwfeDesign d = did::twfe_design(panel, false, {}, cl);
  const did::TwfeResult fit = did::fit_twfe(d);
  EXPECT_EQ(value(overall, "estimator", "twfe", "estimate"), fit.coefficients[0].estimate);
  did::WildBootstrapOptions w = o.wild;
  w.absorbed = d.absorbed;
  const did::WildProblem p(d.X, d.y, d.cluster, Eigen::VectorXd::Unit(1, 0), w);
  const did::WildDraws draws = did::wild_draws(p.clusters(), w, key, 2);
  EXPECT_EQ(a.wild_draws(), 399u);
  EXPECT_EQ(value(overall, "estimator", "twfe", "p_wild"), p.pvalue(draws.v, 0.0));
  const auto [lo, hi] = p.interval(draws.v);
  EXPECT_NEAR(value(overall, "estimator", "twfe", "wild_lower"), lo, 1e-9);
  EXPECT_NEAR(value(overall, "estimator", "twfe", "wild_upper"), hi, 1e-9);
  // Every table a paper needs is there.
  for (const char* name : {"overall", "att_gt", "aggregations", "event_study", "coefficients",
                           "bacon", "spillovers", "pretest", "bootstrap_layout", "weights"})
    EXPECT_NO_THROW(table(tables, name)) << name;
}

// Replications draw from their own streams: the split into tasks changes nothing (the multiplier
// draws up to the rounding of the product's blocking); another seed changes the bootstrap.
TEST(DidAnalysisTest, TaskSplitDoesNotChangeTheResults) {
  auto run = [](const std::string& per_task, std::uint64_t seed) {
    const DidOptions o = options(test::with_option(kDid, "replications_per_task", per_task));
    const DidAnalysis a("sp", test::southwest(), test::generated_panel(), o);
    MemoryReplications rep = run_serial(a, seed);
    return a.summarize(rep);
  };
  const auto x = run("50", 3), y = run("17", 3), z = run("50", 4);
  ASSERT_EQ(x.size(), y.size());
  bool seed_matters = false;
  for (std::size_t t = 0; t < x.size(); ++t)
    for (std::size_t c = 0; c < x[t].columns.size(); ++c) {
      const Column& cx = x[t].columns[c];
      if (const auto* dx = std::get_if<std::vector<double>>(&cx.data)) {
        const auto& dy = std::get<std::vector<double>>(y[t].columns[c].data);
        const auto& dz = std::get<std::vector<double>>(z[t].columns[c].data);
        for (std::size_t i = 0; i < dx->size(); ++i) {
          if (std::isnan((*dx)[i])) {
            EXPECT_TRUE(std::isnan(dy[i])) << x[t].name << "." << cx.name;
            continue;
          }
          EXPECT_NEAR((*dx)[i], dy[i], 1e-10 * std::max(1.0, std::abs(dy[i])))
              << x[t].name << "." << cx.name << " row " << i;
          seed_matters |= (*dx)[i] != dz[i];
        }
      } else {
        EXPECT_EQ(cx.data, y[t].columns[c].data) << x[t].name << "." << cx.name;
      }
    }
  EXPECT_TRUE(seed_matters);
}

// On the bundled generated panel (effects by cohort, growing with time, spilling over to queen
// neighbours; truth in data/synthetic/truth.toml): TWFE is far below the true mean effect on the
// pilot county-years; the two-stage estimator with the queen spillover covers it, and finds a
// positive spillover.
TEST(DidAnalysisTest, BundledPanelTwfeBiasedSpilloverEstimatorCoversTheTruth) {
  const synth::SyntheticData data = synth::generate(test::southwest(), synth::GenerateOptions{});
  const double truth = data.parameter("did_att_overall");
  const DidAnalysis a("sp", test::southwest(), data.panel,
                      options(test::with_option(kDid, "wild_replications", "0")));
  MemoryReplications rep = run_serial(a, 3);
  const auto tables = a.summarize(rep);
  const Table& overall = table(tables, "overall");
  EXPECT_LT(value(overall, "estimator", "twfe", "upper"), truth);
  EXPECT_LT(value(overall, "estimator", "spillover queen two_stage", "lower"), truth);
  EXPECT_GT(value(overall, "estimator", "spillover queen two_stage", "upper"), truth);
}

}  // namespace
}  // namespace revest::analyses
