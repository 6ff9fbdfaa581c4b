// The digital investment project as numbers (src/realopt/investment.hpp): the graph of embedded
// options, the process, mode matching.
#include "realopt/investment.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "core/error.hpp"
#include "test_support.hpp"

using namespace revest::realopt;
using revest::test::error_of;

TEST(Investment, OptionsSelectTheProjectGraph) {
  ProjectDesign o;
  o.stage = o.expand = o.abandon = false;  // defer only
  const Project d = make_project(o, 100, 10);
  EXPECT_EQ(d.states.size(), 2u);
  // Single exercise: the one action leads from idle to a state with no actions.
  ASSERT_EQ(d.actions.size(), 1u);
  EXPECT_EQ(d.actions[0].from, 0);
  EXPECT_EQ(d.actions[0].to, 1);
  o = {};
  o.defer = false;  // stage, expand, abandon: enter at t = 0 only
  const Project all = make_project(o, 100, 10);
  EXPECT_EQ(all.states.size(), 5u);  // idle, pilot, invested, expanded, abandoned
  EXPECT_EQ(all.actions[0].name, "pilot");
  EXPECT_EQ(all.actions[0].last_time, 0.0);
  EXPECT_NO_THROW(all.validate("test"));
}

// The default design: five states and the six actions with their costs in units of I.
TEST(Investment, DefaultProjectHasEveryOption) {
  const ProjectDesign o;
  EXPECT_NO_THROW(o.validate());
  const Project p = make_project(o, 200, 8);
  ASSERT_EQ(p.states.size(), 5u);
  EXPECT_EQ(p.basis_scale, 200.0);
  std::vector<std::string> names;
  for (const auto& a : p.actions) names.push_back(a.name);
  EXPECT_EQ(names, (std::vector<std::string>{"pilot", "scale_up", "abandon_pilot", "expand",
                                             "abandon", "abandon_expanded"}));
  EXPECT_DOUBLE_EQ(p.actions[0].cost, 0.15 * 200);
  EXPECT_EQ(p.actions[0].last_time, 8.0);  // deferrable to the horizon
  EXPECT_DOUBLE_EQ(p.actions[2].cost, -0.5 * 0.1 * 200);
  EXPECT_DOUBLE_EQ(p.actions[5].cost, -0.5 * 1.3 * 200);
  EXPECT_NO_THROW(p.validate("default"));
}

TEST(Investment, DesignAndProcessOptionsValidate) {
  ProjectDesign d;
  d.expand_scale = 1.0;
  EXPECT_NE(error_of([&] { d.validate(); }).find("expand_scale"), std::string::npos);
  d = {};
  d.pilot_scale = 1.0;
  EXPECT_NE(error_of([&] { d.validate(); }).find("pilot_scale"), std::string::npos);
  d = {};
  d.scaleup_cost = -0.1;
  EXPECT_NE(error_of([&] { d.validate(); }).find("scaleup_cost"), std::string::npos);

  ProcessOptions p;
  EXPECT_NO_THROW(p.validate());
  p.kind = ProcessKind::kMeanReverting;
  p.mean_reversion_speed = 0;
  EXPECT_NE(error_of([&] { p.validate(); }).find("mean_reversion_speed"), std::string::npos);
  p = {};
  p.kind = ProcessKind::kJumpDiffusion;
  p.jump_sd = -1;
  EXPECT_NE(error_of([&] { p.validate(); }).find("jump_sd"), std::string::npos);
  p.kind = ProcessKind::kGbm;  // the jump parameters do not matter for GBM
  EXPECT_NO_THROW(p.validate());

  for (ProcessKind k :
       {ProcessKind::kGbm, ProcessKind::kMeanReverting, ProcessKind::kJumpDiffusion})
    EXPECT_EQ(process_kind_from_string(to_string(k)), k);
  EXPECT_NE(error_of([] { process_kind_from_string("ou"); }).find("unknown process 'ou'"),
            std::string::npos);
}

// Risk-neutral drift r - delta, real-world premium mu - (r - delta), long-run level a multiple of
// V0, the kind's parameters passed through.
TEST(Investment, ProcessFromTheProjectsNumbers) {
  ProcessOptions o;
  o.kind = ProcessKind::kMeanReverting;
  o.mean_reversion_speed = 0.5;
  o.long_run_ratio = 1.2;
  const Process p = make_process(o, 100, 0.03, 0.05, 0.25, 0.04);
  EXPECT_EQ(p.kind, ProcessKind::kMeanReverting);
  EXPECT_EQ(p.v0, 100.0);
  EXPECT_EQ(p.r, 0.03);
  EXPECT_EQ(p.delta, 0.05);
  EXPECT_EQ(p.sigma, 0.25);
  EXPECT_EQ(p.kappa, 0.5);
  EXPECT_DOUBLE_EQ(p.long_run, 120.0);
  EXPECT_DOUBLE_EQ(p.risk_premium, 0.04 - (0.03 - 0.05));
  EXPECT_NO_THROW(p.validate("test"));
}

// Mode matching: the best mode by mean value, the share of batches each mode wins, batches with a
// missing value left out of the shares (not of the means).
TEST(Investment, MatchModes) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  Eigen::MatrixXd v(5, 3);
  v << 1, 2, 3,  //
      1, 4, 3,   //
      1, 2, 5,   //
      9, 2, 3,   //
      1, kNaN, 3;
  const ModeMatching m = match_modes(v);
  EXPECT_EQ(m.batches, 4u);
  ASSERT_EQ(m.mean.size(), 3u);
  EXPECT_DOUBLE_EQ(m.mean[0], 13.0 / 5);
  EXPECT_DOUBLE_EQ(m.mean[1], 10.0 / 4);
  EXPECT_DOUBLE_EQ(m.mean[2], 17.0 / 5);
  EXPECT_EQ(m.best, 2u);
  EXPECT_EQ(m.share_best, (std::vector<double>{0.25, 0.25, 0.5}));
  // Ties go to the first mode; no complete batch gives NaN shares.
  Eigen::MatrixXd t(1, 2);
  t << 2, 2;
  EXPECT_EQ(match_modes(t).best, 0u);
  t << kNaN, 2;
  const ModeMatching n = match_modes(t);
  EXPECT_EQ(n.best, 1u);
  EXPECT_EQ(n.batches, 0u);
  EXPECT_TRUE(std::isnan(n.share_best[0]) && std::isnan(n.share_best[1]));
}
