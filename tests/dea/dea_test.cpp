#include "dea/dea.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "synth/dea_design.hpp"

using namespace revest::dea;
using Eigen::MatrixXd;

namespace {
MatrixXd col(std::initializer_list<double> v) {
  MatrixXd m(static_cast<Eigen::Index>(v.size()), 1);
  Eigen::Index i = 0;
  for (double x : v) m(i++, 0) = x;
  return m;
}
DeaOptions opts(Returns r, Orientation o, bool slacks = true) {
  DeaOptions d;
  d.returns = r;
  d.orientation = o;
  d.slacks = slacks;
  return d;
}
}  // namespace

// Coelli (1996), "A Guide to DEAP Version 2.1", CEPA Working Paper 96/08, example EG1
// (eg1-dta.txt: 5 firms, output y, inputs x1 x2), input-oriented CRS, printed to 3 decimals:
//   TE = 0.500 1.000 0.833 0.714 1.000; input slacks: firm 1 input 2 = 0.500, all others 0;
//   peers (weights): 1: 2 (0.500); 3: 5 (0.500), 2 (1.000); 4: 5 (0.286), 2 (0.214);
//   input targets of firm 4: 2.143 1.429.
// The same five firms are the worked CRS example of the textbook Coelli, Rao, O'Donnell &
// Battese (2005), "An Introduction to Efficiency and Productivity Analysis", 2nd ed., ch. 6,
// which prints this DEAP output.
// Tolerance 5e-4 = half a unit in the printed last digit.
TEST(Dea, CoelliDeapEg1CrsInput) {
  MatrixXd y = col({1, 2, 3, 1, 2});
  MatrixXd x(5, 2);
  x << 2, 5, 2, 4, 6, 6, 3, 2, 6, 2;
  const auto r = solve_dea(x, y, opts(Returns::kCrs, Orientation::kInput));
  const double te[] = {0.500, 1.000, 0.833, 0.714, 1.000};
  for (int k = 0; k < 5; ++k) {
    EXPECT_EQ(r.unit_status[static_cast<std::size_t>(k)], revest::StatusCode::kOk);
    EXPECT_NEAR(r.efficiency[static_cast<std::size_t>(k)], te[k], 5e-4) << "firm " << k + 1;
  }
  EXPECT_NEAR(r.input_slacks(0, 1), 0.500, 5e-4);
  EXPECT_NEAR(r.input_slacks(0, 0), 0.0, 5e-4);
  for (int k = 1; k < 5; ++k)
    EXPECT_NEAR(r.input_slacks.row(k).sum(), 0.0, 5e-4) << "firm " << k + 1;
  EXPECT_NEAR(r.output_slacks.sum(), 0.0, 5e-4);
  auto weight = [&](int firm, int peer) {
    for (auto [j, w] : r.peers[static_cast<std::size_t>(firm - 1)])
      if (j == peer - 1) return w;
    return 0.0;
  };
  EXPECT_NEAR(weight(1, 2), 0.500, 5e-4);
  EXPECT_NEAR(weight(3, 5), 0.500, 5e-4);
  EXPECT_NEAR(weight(3, 2), 1.000, 5e-4);
  EXPECT_NEAR(weight(4, 5), 0.286, 5e-4);
  EXPECT_NEAR(weight(4, 2), 0.214, 5e-4);
  EXPECT_EQ(r.peers[3].size(), 2u);
  EXPECT_NEAR(r.input_targets(3, 0), 2.143, 5e-4);
  EXPECT_NEAR(r.input_targets(3, 1), 1.429, 5e-4);
}

// One input, one output: closed forms. Points (x, y) = (2,1), (4,3), (6,4), (5,2).
// CRS: theta_o = (y_o/x_o) / max_j (y_j/x_j), max = 0.75 at (4,3); output phi = 1/theta.
// VRS frontier through (2,1), (4,3), (6,4): unit (5,2) input theta = 3/5 (x = 3 at y = 2),
// output phi = 3.5/2 (y = 3.5 at x = 5). NIRS (scaling down allowed, sum lambda <= 1) equals
// CRS below the most productive scale size (4,3), i.e. for y <= 3: (2,1) -> 2/3 via 1/3 (4,3),
// (5,2) -> 8/15 via 2/3 (4,3); and VRS above it: (6,4) -> 1 where CRS gives 8/9. NDRS (scaling
// up allowed, sum lambda >= 1) is the mirror: VRS below the most productive scale size ((2,1) -> 1,
// (5,2) -> 3/5) and CRS above it ((6,4) -> 8/9 via 4/3 (4,3)).
// Exact up to LP tolerance (1e-9).
TEST(Dea, OneInputOneOutputClosedForms) {
  MatrixXd x = col({2, 4, 6, 5}), y = col({1, 3, 4, 2});
  const auto crs_in = solve_dea(x, y, opts(Returns::kCrs, Orientation::kInput));
  const auto crs_out = solve_dea(x, y, opts(Returns::kCrs, Orientation::kOutput));
  for (int k = 0; k < 4; ++k) {
    const double expect = (y(k, 0) / x(k, 0)) / 0.75;
    EXPECT_NEAR(crs_in.farrell[static_cast<std::size_t>(k)], expect, 1e-9);
    EXPECT_NEAR(crs_out.farrell[static_cast<std::size_t>(k)], 1.0 / expect,
                1e-9);  // reciprocity under CRS
    EXPECT_NEAR(crs_out.efficiency[static_cast<std::size_t>(k)], expect, 1e-9);
  }
  const auto vrs_in = solve_dea(x, y, opts(Returns::kVrs, Orientation::kInput));
  const auto vrs_out = solve_dea(x, y, opts(Returns::kVrs, Orientation::kOutput));
  EXPECT_NEAR(vrs_in.farrell[3], 0.6, 1e-9);
  EXPECT_NEAR(vrs_out.farrell[3], 1.75, 1e-9);
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(vrs_in.farrell[static_cast<std::size_t>(k)], 1.0, 1e-9);
  // Scale efficiency = CRS / VRS <= 1.
  for (int k = 0; k < 4; ++k)
    EXPECT_LE(
        crs_in.farrell[static_cast<std::size_t>(k)] / vrs_in.farrell[static_cast<std::size_t>(k)],
        1.0 + 1e-12);
  const auto nirs = solve_dea(x, y, opts(Returns::kNirs, Orientation::kInput));
  EXPECT_NEAR(nirs.farrell[3], crs_in.farrell[3], 1e-9);
  EXPECT_NEAR(nirs.farrell[0], 2.0 / 3.0, 1e-9);
  EXPECT_NEAR(nirs.farrell[2], 1.0, 1e-9);
  EXPECT_NEAR(crs_in.farrell[2], 8.0 / 9.0, 1e-9);
  for (int k = 0; k < 4; ++k) {
    EXPECT_LE(crs_in.farrell[static_cast<std::size_t>(k)],
              nirs.farrell[static_cast<std::size_t>(k)] + 1e-9);
    EXPECT_LE(nirs.farrell[static_cast<std::size_t>(k)],
              vrs_in.farrell[static_cast<std::size_t>(k)] + 1e-9);
  }
  const auto ndrs = solve_dea(x, y, opts(Returns::kNdrs, Orientation::kInput));
  EXPECT_NEAR(ndrs.farrell[0], 1.0, 1e-9);
  EXPECT_NEAR(ndrs.farrell[1], 1.0, 1e-9);
  EXPECT_NEAR(ndrs.farrell[2], 8.0 / 9.0, 1e-9);
  EXPECT_NEAR(ndrs.farrell[3], 0.6, 1e-9);
  // Output orientation, unit (6,4): NDRS can scale (4,3) up to x = 6: y = 4.5, phi = 9/8.
  const auto ndrs_out = solve_dea(x, y, opts(Returns::kNdrs, Orientation::kOutput));
  EXPECT_NEAR(ndrs_out.farrell[2], 9.0 / 8.0, 1e-9);
}

// Phase 2 finds a non-radial slack: unit C = (1, 3) is radially efficient against A = (1, 2)
// (theta = 1) but uses one unit too much of input 2.
TEST(Dea, SecondPhaseSlacks) {
  MatrixXd x(3, 2), y = col({1, 1, 1});
  x << 1, 2, 2, 1, 1, 3;
  const auto r = solve_dea(x, y, opts(Returns::kVrs, Orientation::kInput));
  EXPECT_NEAR(r.farrell[2], 1.0, 1e-9);
  EXPECT_NEAR(r.input_slacks(2, 1), 1.0, 1e-9);
  EXPECT_NEAR(r.input_targets(2, 1), 2.0, 1e-9);
  const auto no_slack = solve_dea(x, y, opts(Returns::kVrs, Orientation::kInput, false));
  EXPECT_EQ(no_slack.input_slacks(2, 1), 0.0);
  EXPECT_EQ(no_slack.lps_solved, 3u);
  EXPECT_EQ(r.lps_solved, 6u);
}

// Andersen-Petersen super-efficiency: efficient units score > 1 (input), inefficient ones keep
// their score; with VRS an extreme unit can be infeasible, which is a status, not an error.
TEST(Dea, SuperEfficiencyAndInfeasibleStatus) {
  MatrixXd x = col({2, 4, 6, 5}), y = col({1, 3, 4, 2});
  auto o = opts(Returns::kCrs, Orientation::kInput);
  o.super_efficiency = true;
  const auto crs = solve_dea(x, y, o);
  // (4,3) without itself: best ratio is 4/6 -> theta = 0.75 / (2/3) = 1.125.
  EXPECT_NEAR(crs.farrell[1], 1.125, 1e-9);
  EXPECT_NEAR(crs.farrell[3], 0.4 / 0.75, 1e-9);
  o.returns = Returns::kVrs;
  o.orientation = Orientation::kOutput;
  const auto vrs = solve_dea(x, y, o);
  // (6,4) without itself: the largest output of a convex combination of (2,1), (4,3), (5,2)
  // with x <= 6 is 3 -> phi = 3/4 (feasible, < 1: super-efficient in output terms).
  EXPECT_EQ(vrs.unit_status[2], revest::StatusCode::kOk);
  EXPECT_NEAR(vrs.farrell[2], 0.75, 1e-9);
  // (2,1) has the smallest input: no convex combination of the others uses x <= 2 -> infeasible.
  EXPECT_EQ(vrs.unit_status[0], revest::StatusCode::kInfeasible);
  EXPECT_TRUE(std::isnan(vrs.farrell[0]));
  // The other units are still solved after the infeasible one.
  EXPECT_EQ(vrs.unit_status[1], revest::StatusCode::kOk);
  EXPECT_EQ(vrs.unit_status[3], revest::StatusCode::kOk);
}

// Evaluated set different from the reference set (as in the bootstrap): a unit outside the
// reference frontier scores above 1 (input orientation), and the result equals solving each
// unit alone (no dependence on the warm start from previous units).
TEST(Dea, SeparateReferenceSetAndWarmStartIndependence) {
  revest::Rng rng(3, "dea", 0);
  const int n = 60, m = 3, s = 2;
  MatrixXd x(n, m), y(n, s);
  for (int i = 0; i < n; ++i) {
    for (int c = 0; c < m; ++c) x(i, c) = 1 + 9 * rng.uniform01();
    for (int c = 0; c < s; ++c) y(i, c) = 1 + 9 * rng.uniform01();
  }
  MatrixXd xe(2, m), ye(2, s);
  xe << 0.5, 0.5, 0.5, 20, 20, 20;
  ye << 10, 10, 1, 1;
  for (auto ret : {Returns::kCrs, Returns::kVrs, Returns::kNirs, Returns::kNdrs})
    for (auto ori : {Orientation::kInput, Orientation::kOutput}) {
      const auto o = opts(ret, ori);
      const auto all = solve_dea(x, y, o);
      for (int k = 0; k < n; k += 7) {
        const auto one = solve_dea(x.row(k), y.row(k), x, y, o, {k});
        EXPECT_NEAR(one.farrell[0], all.farrell[static_cast<std::size_t>(k)], 1e-8);
        if (ori == Orientation::kInput)
          EXPECT_LE(all.farrell[static_cast<std::size_t>(k)], 1 + 1e-9);
        else
          EXPECT_GE(all.farrell[static_cast<std::size_t>(k)], 1 - 1e-9);
      }
      const auto ext = solve_dea(xe, ye, x, y, o);
      if (ori == Orientation::kInput) {
        if (ext.unit_status[0] == revest::StatusCode::kOk) {
          EXPECT_GT(ext.farrell[0], 1.0);  // beyond the frontier
        }
        EXPECT_LT(ext.farrell[1], 1.0);
      }
    }
}

TEST(Dea, BadDataNamesTheUnit) {
  MatrixXd x = col({2, 4, 6, 5}), y = col({1, 3, 4, 2});
  const std::vector<std::string> labels = {"county 510104, year 2015", "b",
                                           "county 520102, year 2011", "d"};
  auto msg = [&](MatrixXd xx, MatrixXd yy) {
    try {
      solve_dea(xx, yy, DeaOptions{}, labels);
    } catch (const revest::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  MatrixXd xb = x;
  xb(0, 0) = -1;
  EXPECT_NE(msg(xb, y).find("county 510104, year 2015: input 1 is -1"), std::string::npos)
      << msg(xb, y);
  MatrixXd yb = y;
  yb(2, 0) = 0;
  EXPECT_NE(msg(x, yb).find("county 520102, year 2011: output 1 is 0"), std::string::npos);
  yb(2, 0) = std::nan("");
  EXPECT_NE(msg(x, yb).find("county 520102, year 2011: output 1 is nan"), std::string::npos);
  MatrixXd x3(2, 2), y3(2, 1);
  x3 << 1, 2, 3, 4;
  y3 << 1, 2;
  EXPECT_NE(msg(x3, y3).find("need at least inputs + outputs"), std::string::npos);
}

TEST(Dea, EnumStrings) {
  EXPECT_EQ(returns_from_string(to_string(Returns::kNirs)), Returns::kNirs);
  EXPECT_EQ(returns_from_string(to_string(Returns::kNdrs)), Returns::kNdrs);
  EXPECT_EQ(orientation_from_string(to_string(Orientation::kOutput)), Orientation::kOutput);
  EXPECT_THROW(returns_from_string("drs"), revest::Error);
}

// Coelli (1996), "A Guide to DEAP Version 2.1", example EG2 (eg2-dta.txt: 5 firms, one output y
// = 1 2 3 4 5, one input x = 2 4 3 5 6), input orientation with CRS and VRS, printed to 3
// decimals: crste 0.500 0.500 1.000 0.800 0.833; vrste 1.000 0.625 1.000 0.900 1.000;
// scale 0.500 0.800 1.000 0.889 0.833. (By hand: the CRS frontier is the ray of firm 3,
// y/x = 1; the VRS frontier joins (2, 1), (3, 3), (6, 5), e.g. firm 4 at y = 4 needs x = 4.5.)
// Tolerance 5e-4 = half a unit in the printed last digit.
TEST(Dea, CoelliDeapEg2VrsAndScale) {
  MatrixXd y = col({1, 2, 3, 4, 5}), x = col({2, 4, 3, 5, 6});
  const auto crs = solve_dea(x, y, opts(Returns::kCrs, Orientation::kInput));
  const auto vrs = solve_dea(x, y, opts(Returns::kVrs, Orientation::kInput));
  const double te_crs[] = {0.500, 0.500, 1.000, 0.800, 0.833};
  const double te_vrs[] = {1.000, 0.625, 1.000, 0.900, 1.000};
  const double scale[] = {0.500, 0.800, 1.000, 0.889, 0.833};
  for (int i = 0; i < 5; ++i) {
    EXPECT_NEAR(crs.efficiency[static_cast<std::size_t>(i)], te_crs[i], 5e-4) << "firm " << i + 1;
    EXPECT_NEAR(vrs.efficiency[static_cast<std::size_t>(i)], te_vrs[i], 5e-4) << "firm " << i + 1;
    EXPECT_NEAR(
        crs.efficiency[static_cast<std::size_t>(i)] / vrs.efficiency[static_cast<std::size_t>(i)],
        scale[i], 5e-4)
        << "firm " << i + 1;
  }
}

// Issue 16: the simplex returns efficient units as 1 - 1e-12 or 1 + 2e-16 and zero slacks as
// 1e-9 ... 2e-8, so "efficient" and "zero slack" depended on rounding. Data with 60 % of the
// units exactly on a strictly concave frontier (synth::make_dea_design, efficient_share 0.6,
// no environment or noise): each of those is VRS-efficient. Every score must be exactly 1 or
// clearly below it, and every slack exactly 0 or clearly positive.
TEST(Dea, EfficientScoresAreExactlyOneAndZeroSlacksExactlyZero) {
  revest::synth::DeaDesign d;
  d.n = 300;
  d.years = {2021};
  d.env_scale = 0;
  d.noise_sd = 0;
  d.efficient_share = 0.6;
  const auto data = revest::synth::make_dea_design(d);
  MatrixXd x(300, 2), y(300, 1);
  for (Eigen::Index i = 0; i < 300; ++i) {
    x(i, 0) = data.panel.values[0][static_cast<std::size_t>(i)];
    x(i, 1) = data.panel.values[1][static_cast<std::size_t>(i)];
    y(i, 0) = data.panel.values[2][static_cast<std::size_t>(i)];
  }
  const DeaResult r = solve_dea(x, y, DeaOptions{});
  int on_frontier = 0, efficient = 0;
  for (std::size_t i = 0; i < 300; ++i) {
    const auto ii = static_cast<Eigen::Index>(i);
    if (data.eff_true[i] == 1.0) {
      ++on_frontier;
      EXPECT_EQ(r.farrell[i], 1.0) << "unit " << i;  // exactly, not 1 - 1e-12
    }
    efficient += r.farrell[i] == 1.0;
    EXPECT_TRUE(r.farrell[i] == 1.0 || r.farrell[i] < 1.0 - 1e-7) << r.farrell[i];
    for (Eigen::Index k = 0; k < 2; ++k) {
      const double s = r.input_slacks(ii, k);
      EXPECT_TRUE(s == 0.0 || s > 1e-6 * x(ii, k)) << "unit " << i << " input " << k << ": " << s;
    }
    const double so = r.output_slacks(ii, 0);
    EXPECT_TRUE(so == 0.0 || so > 1e-6 * y(ii, 0)) << so;
  }
  EXPECT_GE(on_frontier, 150);
  EXPECT_GE(efficient, on_frontier);
  // With the tolerances off, the same LPs give scores and slacks that are neither (what revest
  // reported before): the test above is not vacuous.
  DeaOptions raw;
  raw.efficient_tolerance = 0;
  raw.slack_tolerance = 0;
  const DeaResult q = solve_dea(x, y, raw);
  int rounded = 0;
  for (std::size_t i = 0; i < 300; ++i) {
    rounded += q.farrell[i] != 1.0 && q.farrell[i] > 1.0 - 1e-7;
    for (Eigen::Index k = 0; k < 2; ++k) {
      const double s = q.input_slacks(static_cast<Eigen::Index>(i), k);
      rounded += s > 0.0 && s <= 1e-6 * x(static_cast<Eigen::Index>(i), k);
    }
  }
  EXPECT_GT(rounded, 0);
}
