// Simar-Wilson (2007) Algorithm 2 (src/factors/simar_wilson.hpp): the L1 replication against the
// pseudo-sample's DEA by Clp, the split into replications, and recovery of the paper's design's
// coefficients.
#include "factors/simar_wilson.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "synth/sw2007_design.hpp"

namespace revest::factors {
namespace {

// SW2007's design with one input and one output (synth/sw2007_design.hpp): delta_i = 0.5 + 0.5
// z_i + e_i, e_i ~ N(0, 1) left-truncated, z_i ~ N(2, 2^2), x = y^1.25 delta.
using Design = synth::Sw2007Design;
Design design(Eigen::Index n, std::uint32_t seed) {
  return synth::sw2007_design(n, Rng(seed, "sw2007_design", 0));
}

TEST(SimarWilson2, L1ReplicationIsTheDeaOfThePseudoSample) {
  const Design d = design(60, 1);
  SwAlgorithm2Options o;
  const SwAlgorithm2 s(d.x, d.y, d.z, o);
  ASSERT_TRUE(s.first_fit().ok()) << s.first_fit().status.to_string();
  const Rng streams = RngKey(5, "sw2").stream(0);
  const Eigen::VectorXd got = s.l1_replication(3, streams);
  // The same pseudo-sample by hand, solved by Clp.
  Rng rng = streams.for_replication(3, 1);
  Eigen::MatrixXd xs = d.x;
  Eigen::MatrixXd zc(60, 2);
  zc.col(0).setOnes();
  zc.col(1) = d.z.col(0);
  for (Eigen::Index i = 0; i < 60; ++i) {
    const double ds =
        dea::draw_sw2007_delta(zc.row(i).dot(s.first_fit().beta), s.first_fit().sigma, rng);
    xs(i, 0) = d.x(i, 0) * ds / s.delta()[i];
  }
  dea::DeaOptions clp;
  clp.slacks = false;
  clp.super_efficiency = true;
  const dea::DeaResult r = dea::solve_dea(d.x, d.y, xs, d.y, clp);
  for (Eigen::Index i = 0; i < 60; ++i)
    EXPECT_NEAR(got[i], 1.0 / r.farrell[static_cast<std::size_t>(i)], 1e-8) << i;
}

// The one-call function equals the steps run replication by replication from other streams of
// the key (a job's tasks), and recovers the design's coefficients (0.5, 0.5) and sigma (1).
TEST(SimarWilson2, StepsByReplicationAndRecovery) {
  const Design d = design(400, 2);
  SwAlgorithm2Options o;
  o.l1 = 40;
  o.l2 = 300;
  const RngKey key(11, "sw2");
  const SwAlgorithm2Result all = sw_algorithm2(d.x, d.y, d.z, o, key);
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  SwAlgorithm2 s(d.x, d.y, d.z, o);
  Eigen::MatrixXd l1(40, 400);
  for (std::size_t b = 0; b < 40; ++b)
    l1.row(static_cast<Eigen::Index>(b)) =
        s.l1_replication(b, key.stream(static_cast<std::uint32_t>(b))).transpose();
  s.bias_correct(l1);
  Eigen::MatrixXd l2(300, 3);
  for (std::size_t b = 0; b < 300; ++b)
    l2.row(static_cast<Eigen::Index>(b)) =
        s.l2_replication(b, key.stream(static_cast<std::uint32_t>(b + 1))).transpose();
  const SwAlgorithm2Result split = sw_algorithm2_summary(s, l2);
  EXPECT_EQ(split.fit.beta, all.fit.beta);
  EXPECT_EQ(split.lower, all.lower);
  EXPECT_EQ(split.upper, all.upper);
  std::cout << "beta^^ " << all.fit.beta.transpose() << ", sigma^^ " << all.fit.sigma
            << "; 95% intervals " << all.lower.transpose() << " / " << all.upper.transpose()
            << "\n";
  // Bias correction moves the scores up (DEA overstates efficiency: delta^ <= delta).
  EXPECT_GT(all.delta_bias_corrected.mean(), all.delta.mean());
  EXPECT_NEAR(all.fit.beta[1], 0.5, 0.15);
  EXPECT_NEAR(all.fit.sigma, 1.0, 0.3);
  EXPECT_LT(all.lower[1], all.fit.beta[1]);
  EXPECT_GT(all.upper[1], all.fit.beta[1]);
}

// Two frontiers (groups): step 1 and the L1 pseudo-samples evaluate every unit against its own
// group only, so each group's scores and L1 draws equal that group's DEA alone (the pseudo-inputs
// x*_i depend only on the unit's own draw and the pooled first fit, which both runs share when the
// pooled fit is handed to the one-group run through the same data: checked here by the scores
// and by the L1 draw against a Clp DEA of the group's pseudo-sample).
TEST(SimarWilson2, FrontierGroupsEvaluateWithinTheirGroup) {
  const Design a = design(50, 21), b = design(40, 22);
  Eigen::MatrixXd x(90, 1), y(90, 1), z(90, 1);
  x << a.x, b.x * 1.7;  // group 1 has a different (worse) frontier
  y << a.y, b.y;
  z << a.z, b.z;
  std::vector<int> group(90, 0);
  std::fill(group.begin() + 50, group.end(), 1);
  const SwAlgorithm2 s(x, y, z, {}, group);
  const SwAlgorithm2 sa(a.x, a.y, a.z, {}), sb(b.x * 1.7, b.y, b.z, {});
  for (Eigen::Index i = 0; i < 50; ++i) EXPECT_NEAR(s.delta()[i], sa.delta()[i], 1e-10) << i;
  for (Eigen::Index i = 0; i < 40; ++i) EXPECT_NEAR(s.delta()[50 + i], sb.delta()[i], 1e-10) << i;
  // One frontier for all: group 1's units are far from efficient against group 0's.
  const SwAlgorithm2 one(x, y, z, {});
  EXPECT_GT(one.delta().tail(40).mean(), s.delta().tail(40).mean() + 0.3);
  ASSERT_TRUE(s.first_fit().ok());
  const Rng streams = RngKey(9, "sw2-groups").stream(0);
  const Eigen::VectorXd got = s.l1_replication(4, streams);
  Rng rng = streams.for_replication(4, 1);
  Eigen::MatrixXd xs = x;
  for (Eigen::Index i = 0; i < 90; ++i) {
    const double zb = s.first_fit().beta[0] + s.first_fit().beta[1] * z(i, 0);
    xs(i, 0) = x(i, 0) * dea::draw_sw2007_delta(zb, s.first_fit().sigma, rng) / s.delta()[i];
  }
  dea::DeaOptions clp;
  clp.slacks = false;
  clp.super_efficiency = true;
  const dea::DeaResult r1 =
      dea::solve_dea(x.bottomRows(40), y.bottomRows(40), xs.bottomRows(40), y.bottomRows(40), clp);
  for (Eigen::Index i = 0; i < 40; ++i)
    EXPECT_NEAR(got[50 + i], 1.0 / r1.farrell[static_cast<std::size_t>(i)], 1e-8) << i;
  EXPECT_THROW(SwAlgorithm2(x, y, z, {}, std::vector<int>(89, 0)), Error);
  group[89] = 2;  // a group of one unit
  EXPECT_THROW(SwAlgorithm2(x, y, z, {}, group), Error);
}

// Algorithm 1: the one-call function equals the replications run one by one (a job's split), its
// replications use the first fit's units, and the intervals cover the design's values.
TEST(SimarWilson1, StepsByReplicationAndRecovery) {
  const Design d = design(400, 7);
  SwAlgorithm2Options o;
  o.l2 = 300;
  const RngKey key(13, "sw1");
  const SwAlgorithm2Result all = sw_algorithm1(d.x, d.y, d.z, o, key);
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  const SwAlgorithm2 s(d.x, d.y, d.z, o);
  EXPECT_EQ(all.fit.beta, s.first_fit().beta);
  EXPECT_EQ(all.delta_bias_corrected.size(), 0);
  EXPECT_LT(s.first_units().size(), 400u);  // efficient units are not regressed
  Eigen::MatrixXd draws(300, 3);
  for (std::size_t b = 0; b < 300; ++b)
    draws.row(static_cast<Eigen::Index>(b)) =
        s.alg1_replication(b, key.stream(static_cast<std::uint32_t>(b % 7))).transpose();
  const SwAlgorithm2Result split = sw_algorithm1_summary(s, draws);
  EXPECT_EQ(split.lower, all.lower);
  EXPECT_EQ(split.upper, all.upper);
  EXPECT_EQ(all.l2_used, 300u);
  EXPECT_NEAR(all.fit.beta[1], 0.5, 0.15);
  EXPECT_LT(all.lower[1], all.fit.beta[1]);
  EXPECT_GT(all.upper[1], all.fit.beta[1]);
  // Algorithm 1 and Algorithm 2 draw from different parts of the replication streams.
  EXPECT_NE(s.alg1_replication(0, key.stream(0))[1], s.first_fit().beta[1]);
}

TEST(SimarWilson2, ClearErrors) {
  Design d = design(20, 3);
  d.x(4, 0) = -1;
  EXPECT_THROW(SwAlgorithm2(d.x, d.y, d.z, {}), Error);
  d = design(20, 3);
  EXPECT_THROW(SwAlgorithm2(d.x, d.y, d.z.topRows(10), {}), Error);
}

}  // namespace
}  // namespace revest::factors
