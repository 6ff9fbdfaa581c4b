// The Malmquist productivity index (src/dea/malmquist.hpp): closed forms, identities, and the
// cross-period LPs it is made of.
#include "dea/malmquist.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "core/rng.hpp"

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
    EXPECT_EQ(r.e01[k], d01.farrell[k]);
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

}  // namespace
}  // namespace revest::dea
