// The job analysis panel_threshold (src/analyses/panel_threshold.hpp): options, the summaries
// against the library with the job's key, the task split, and the bundled panel's threshold.
#include "analyses/panel_threshold.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "core/memory_replications.hpp"
#include "spatial_test_support.hpp"
#include "test_support.hpp"

namespace revest::analyses {
namespace {

const char* kThr =
    "outcome = \"industry_va\"\n"
    "regime_dependent = [\"dig_index\"]\n"
    "controls = [\"urbanisation\", \"road_density\", \"pilot\"]\n"
    "time_effects = true\n"
    "threshold_variable = \"dig_index\"\n"
    "max_thresholds = 2\n"
    "refine = true\n"
    "grid = 400\n"
    "trim = [0.01, 0.05]\n"
    "replications = 30\n"
    "bootstrap = \"residual\"\n"
    "confidence = 0.95\n"
    "replications_per_task = 7\n";

PanelThresholdOptions options(const std::string& text) {
  return PanelThresholdOptions::from(
      io::OptionView(test::analysis_config("panel_threshold", text)));
}

using test::table;
const std::vector<double>& dcol(const Table& t, const std::string& name) {
  return test::column<double>(t, name);
}

TEST(PanelThresholdAnalysisTest, OptionErrorsNameTheOption) {
  const PanelThresholdOptions o = options(kThr);
  EXPECT_EQ(o.method.trim, (std::vector<double>{0.01, 0.05}));
  EXPECT_EQ(o.panel_variables().size(), 5u);
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"trim", "[0.6]"},
                                                        {"trim", "[\"a\"]"},
                                                        {"max_thresholds", "0"},
                                                        {"bootstrap", "\"pairs\""},
                                                        {"regime_dependent", "[]"}}) {
    const std::string e = test::error_of([&] { options(test::with_option(kThr, key, value)); });
    EXPECT_NE(e.find(key), std::string::npos) << key << " = " << value << ": " << e;
  }
}

// The job's tables equal the library's panel_threshold with the job's key (seed, analysis
// name): the estimates, F statistics, bootstrap p-values and critical values; the split into
// tasks changes nothing; the bundled panel's threshold (truth.toml: threshold_gamma = 0.5,
// slopes 0.4 and 0.9) is found, and a second one is not significant. (With a coarse grid, 100
// points, the true threshold falls between two grid values and a "second threshold" next to the
// first picks up the county-years between them: the grid must be fine where the threshold is.)
TEST(PanelThresholdAnalysisTest, SummariesEqualTheLibraryAndTheTruth) {
  const PanelThresholdOptions o = options(kThr);
  const PanelThresholdAnalysis a("sp", test::southwest(), test::generated_panel(), o);
  EXPECT_EQ(a.num_tasks(), 5u);  // 30 in tasks of 7
  MemoryReplications rep = run_serial(a, 3);
  const auto tables = a.summarize(rep);
  const threshold::ThresholdResult lib = threshold::panel_threshold(
      threshold_data(test::generated_panel(), test::southwest(), o, "test"), o.method,
      RngKey(3, "sp"));
  const Table& tests = table(tables, "tests");
  for (std::size_t m = 0; m < 2; ++m) {
    EXPECT_EQ(dcol(tests, "F")[m], lib.tests[m].F);
    EXPECT_EQ(dcol(tests, "p_bootstrap")[m], lib.tests[m].pvalue);
    EXPECT_EQ(dcol(tests, "crit95")[m], lib.tests[m].crit95);
  }
  const Table& th = table(tables, "thresholds");
  EXPECT_EQ(dcol(th, "estimate")[0], lib.models[1].thresholds[0]);
  EXPECT_NEAR(dcol(th, "estimate")[0], 0.5, 0.01);
  EXPECT_LT(dcol(tests, "p_bootstrap")[0], 0.05);
  EXPECT_GT(dcol(tests, "p_bootstrap")[1], 0.05);
  const threshold::ThresholdModel& m1 = lib.models[1];
  EXPECT_NEAR(m1.slopes[0].estimate, 0.4, 4 * m1.slopes[0].se_cluster);
  EXPECT_NEAR(m1.slopes[1].estimate, 0.9, 4 * m1.slopes[1].se_cluster);
  // Another split into tasks: identical tables.
  const PanelThresholdAnalysis b("sp", test::southwest(), test::generated_panel(),
                                 options(test::with_option(kThr, "replications_per_task", "30")));
  MemoryReplications rep_b = run_serial(b, 3);
  const auto tables_b = b.summarize(rep_b);
  EXPECT_EQ(dcol(table(tables_b, "tests"), "p_bootstrap"), dcol(tests, "p_bootstrap"));
  EXPECT_EQ(dcol(table(tables_b, "tests"), "crit99"), dcol(tests, "crit99"));
}

}  // namespace
}  // namespace revest::analyses
