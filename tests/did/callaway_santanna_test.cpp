// Callaway-Sant'Anna ATT(g, t) and aggregations (src/did/callaway_santanna.hpp): the mpdta numbers
// R did publishes, the influence-function standard errors, comparison groups and base periods by
// hand, unbalanced panels and bad data.
#include "did/callaway_santanna.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <map>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "did/mpdta.hpp"
#include "test_support.hpp"

namespace revest::did {
namespace {

const AttCell& cell(const CsResult& r, int g, int t) {
  for (const AttCell& c : r.cells)
    if (c.group == g && c.period == t) return c;
  throw std::runtime_error("no cell");
}

// Published by R did 2.1.2 (README and "Getting started" vignette) for mpdta: unconditional,
// never-treated comparison, varying base period, no anticipation; 4 decimals, so the tolerance is
// half a unit of the last decimal.
constexpr double kHalfUlp4 = 0.5e-4 + 1e-12;

TEST(CallawaySantAnna, MpdtaAttGtAndAggregationsAsPublished) {
  const StaggeredPanel p = test::mpdta();
  ASSERT_EQ(p.y.rows(), 500);
  const CsResult r = callaway_santanna(p);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  ASSERT_EQ(r.cells.size(), 12u);  // 3 groups x 4 periods (2004-2007)
  const std::map<std::pair<int, int>, double> att{
      {{2004, 2004}, -0.0105}, {{2004, 2005}, -0.0704}, {{2004, 2006}, -0.1373},
      {{2004, 2007}, -0.1008}, {{2006, 2004}, 0.0065},  {{2006, 2005}, -0.0028},
      {{2006, 2006}, -0.0046}, {{2006, 2007}, -0.0412}, {{2007, 2004}, 0.0305},
      {{2007, 2005}, -0.0027}, {{2007, 2006}, -0.0311}, {{2007, 2007}, -0.0261}};
  for (const auto& [gt, v] : att) EXPECT_NEAR(cell(r, gt.first, gt.second).att, v, kHalfUlp4);
  // Event study e = -3 .. 3 and its overall (mean over e >= 0).
  const std::vector<double> dyn{0.0305, -0.0006, -0.0245, -0.0199, -0.0510, -0.1373, -0.1008};
  ASSERT_EQ(r.dynamic.key, (std::vector<int>{-3, -2, -1, 0, 1, 2, 3}));
  for (std::size_t k = 0; k < dyn.size(); ++k) EXPECT_NEAR(r.dynamic.att[k], dyn[k], kHalfUlp4);
  EXPECT_NEAR(r.dynamic.overall_att, -0.0772, kHalfUlp4);
  // Group aggregation and its overall.
  ASSERT_EQ(r.group.key, (std::vector<int>{2004, 2006, 2007}));
  EXPECT_NEAR(r.group.att[0], -0.0797, kHalfUlp4);
  EXPECT_NEAR(r.group.att[1], -0.0229, kHalfUlp4);
  EXPECT_NEAR(r.group.att[2], -0.0261, kHalfUlp4);
  EXPECT_NEAR(r.group.overall_att, -0.0310, kHalfUlp4);
  // Standard errors: R did prints multiplier-bootstrap standard errors of about 0.020 (dynamic
  // overall) and 0.012 (group overall); the analytic ones from the same influence functions must
  // be within Monte Carlo error of them.
  std::cout << "mpdta analytic s.e.: dynamic overall " << r.dynamic.overall_se << ", group overall "
            << r.group.overall_se << ", simple " << r.simple.overall_se << "\n";
  EXPECT_NEAR(r.dynamic.overall_se, 0.020, 0.003);
  EXPECT_NEAR(r.group.overall_se, 0.012, 0.002);
  // A cell's standard error: sqrt(var_g / n_g + var_C / n_C) (variances with divisor n).
  const AttCell& c = cell(r, 2004, 2006);
  double sg = 0, sg2 = 0, sc = 0, sc2 = 0, ng = 0, nc = 0;
  for (Eigen::Index i = 0; i < p.y.rows(); ++i) {
    const double dy = p.y(i, 3) - p.y(i, 0);  // 2006 - 2003 (base 2003 = g - 1)
    if (p.first_treat[static_cast<std::size_t>(i)] == 2004) {
      sg += dy, sg2 += dy * dy, ++ng;
    } else if (p.first_treat[static_cast<std::size_t>(i)] == 0) {
      sc += dy, sc2 += dy * dy, ++nc;
    }
  }
  const double vg = sg2 / ng - (sg / ng) * (sg / ng), vc = sc2 / nc - (sc / nc) * (sc / nc);
  EXPECT_NEAR(c.se, std::sqrt(vg / ng + vc / nc), 1e-12);
  EXPECT_EQ(c.treated, 20u);
  EXPECT_EQ(c.controls, 309u);
  EXPECT_EQ(c.base, 2003);
  EXPECT_NE(r.brief_report().find("12 cells of 500 units"), std::string::npos);
  // Wald pre-test of parallel trends over the 5 pre-treatment cells.
  const PreTest pt = parallel_trends_pretest(r);
  EXPECT_EQ(pt.cells, 5u);
  std::cout << "mpdta pre-test: W = " << pt.statistic << ", p = " << pt.pvalue << "\n";
  // R did's README (summary of att_gt on mpdta) prints "P-value for pre-test of parallel trends
  // assumption: 0.16812": 5 decimals, half a unit of the last as tolerance.
  EXPECT_NEAR(pt.pvalue, 0.16812, 0.5e-5 + 1e-12);
}

// A small panel by hand: 4 periods (1..4), groups 3 and 4, never-treated units; outcomes chosen
// so every mean is simple.
StaggeredPanel tiny() {
  StaggeredPanel p;
  p.periods = {1, 2, 3, 4};
  p.first_treat = {3, 3, 4, 4, 0, 0};
  p.y.resize(6, 4);
  p.y << 1, 2, 5, 6,  //
      1, 2, 7, 8,     // group 3: +3, +5 after treatment
      0, 1, 2, 6,     //
      0, 1, 2, 8,     // group 4
      0, 1, 2, 3,     //
      0, 1, 2, 3;     // never treated: +1 per period
  return p;
}

TEST(CallawaySantAnna, ComparisonGroupsAndBasePeriodsByHand) {
  const StaggeredPanel p = tiny();
  // Never treated, varying base. ATT(3,3): group 3 rises 2 -> 6 (mean of 5, 7), controls 1 -> 2:
  // (6 - 2) - (2 - 1) = 3. ATT(3,4) = (7 - 2) - (3 - 1) = 3. ATT(4,4): (7 - 2) - (3 - 2) = 4.
  const CsResult nt = callaway_santanna(p);
  EXPECT_NEAR(cell(nt, 3, 3).att, 3.0, 1e-12);
  EXPECT_NEAR(cell(nt, 3, 4).att, 3.0, 1e-12);
  EXPECT_NEAR(cell(nt, 4, 4).att, 4.0, 1e-12);
  EXPECT_NEAR(cell(nt, 4, 3).att, 0.0, 1e-12);  // pre-period, base 2: (2 - 1) - (2 - 1)
  EXPECT_EQ(cell(nt, 4, 3).base, 2);
  // Not yet treated: ATT(3,3) may also compare with group 4 (not treated by 3): group 4 moves
  // 1 -> 2 from 2 to 3, as the never-treated: still 3. ATT(3,4): group 4 is treated at 4: never
  // treated only, 3.
  CsOptions o;
  o.comparison = ComparisonGroup::kNotYetTreated;
  const CsResult ny = callaway_santanna(p, o);
  EXPECT_NEAR(cell(ny, 3, 3).att, 3.0, 1e-12);
  EXPECT_EQ(cell(ny, 3, 3).controls, 4u);
  EXPECT_EQ(cell(ny, 3, 4).controls, 2u);
  // Universal base period: every cell against g - 1; ATT(g, g - 1) = 0 is the reference. For
  // group 4 at period 1: (0 - 2) - (0 - 2) = 0; group 3 at 1: (1 - 2) - (0 - 1) = 0.
  o = CsOptions{};
  o.base = BasePeriod::kUniversal;
  const CsResult u = callaway_santanna(p, o);
  EXPECT_EQ(cell(u, 4, 3).base, 3);
  EXPECT_EQ(cell(u, 4, 3).att, 0.0);
  EXPECT_EQ(cell(u, 4, 1).base, 3);
  EXPECT_NEAR(cell(u, 4, 1).att, 0.0, 1e-12);
  EXPECT_EQ(u.cells.size(), 8u);  // 2 groups x 4 periods
  // Aggregations: simple = (P3 (3 + 3) + P4 4) / (2 P3 + P4) with P3 = P4 = 2 / 6: 10 / 3.
  EXPECT_NEAR(nt.simple.overall_att, 10.0 / 3.0, 1e-12);
  EXPECT_NEAR(nt.group.att[0], 3.0, 1e-12);
  EXPECT_NEAR(nt.group.overall_att, 3.5, 1e-12);
  EXPECT_EQ(nt.calendar.key, (std::vector<int>{3, 4}));
  EXPECT_NEAR(nt.calendar.att[1], 3.5, 1e-12);  // period 4: cells (3,4) = 3 and (4,4) = 4
  // Anticipation 1: group 4's base is period 2 (2 + 1 < 4), and its period-3 cell is post-base.
  o = CsOptions{};
  o.anticipation = 1;
  const CsResult an = callaway_santanna(p, o);
  EXPECT_EQ(cell(an, 4, 4).base, 2);
  EXPECT_NEAR(cell(an, 4, 4).att, (7.0 - 1.0) - (3.0 - 1.0), 1e-12);
}

// Unbalanced: a unit missing in a period leaves the cells that need that period, not the others;
// a cell without treated units observed is NaN with the status saying so.
TEST(CallawaySantAnna, UnbalancedPanelsAndBadData) {
  StaggeredPanel p = tiny();
  p.y(1, 3) = std::nan("");  // group-3 unit 1 missing in period 4
  const CsResult r = callaway_santanna(p);
  EXPECT_EQ(cell(r, 3, 3).treated, 2u);
  EXPECT_EQ(cell(r, 3, 4).treated, 1u);
  EXPECT_NEAR(cell(r, 3, 4).att, (6.0 - 2.0) - (3.0 - 1.0), 1e-12);
  p.y(0, 3) = std::nan("");
  const CsResult none = callaway_santanna(p);
  EXPECT_TRUE(std::isnan(cell(none, 3, 4).att));
  EXPECT_EQ(none.status.code, StatusCode::kNumericalFailure);
  StaggeredPanel bad = tiny();
  bad.first_treat[0] = 5;  // after the last period: never treated within the data
  EXPECT_EQ(callaway_santanna(bad).cells.size(), 6u);  // group 3 has one unit left
  bad.first_treat[0] = 1;                              // treated in the first period: left out
  EXPECT_EQ(callaway_santanna(bad).dropped_first_period, 1u);
  bad = tiny();
  bad.periods = {1, 2, 4, 5};
  bad.first_treat = {3, 3, 4, 4, 0, 0};
  EXPECT_NE(test::error_of([&] {
              callaway_santanna(bad);
            }).find("unit 0 is first treated in 3, which is not a period of the data"),
            std::string::npos);
  bad = tiny();
  bad.first_treat = {3, 3, 4, 4, 4, 4};
  EXPECT_NE(test::error_of([&] { callaway_santanna(bad); }).find("no never-treated unit"),
            std::string::npos);
  CsOptions o;
  o.comparison = ComparisonGroup::kNotYetTreated;
  EXPECT_NO_THROW(callaway_santanna(bad, o));
}

// The multiplier bootstrap of the mpdta event study: standard errors within Monte Carlo error of
// the analytic ones (B = 4,000: the IQR-based s.e. has a relative sd of about 2 %), a sup-t
// critical value between the pointwise 1.96 and Bonferroni's for the 7 event times, one column
// gives about 1.96, and the same key gives the same draws.
TEST(CallawaySantAnna, MultiplierBootstrapAndUniformBands) {
  const CsResult r = callaway_santanna(test::mpdta());
  const Eigen::MatrixXd psi = r.dynamic.influence.leftCols(7);
  const MultiplierResult m = multiplier_bootstrap(psi, 4000, RngKey(20, "mboot"));
  for (Eigen::Index k = 0; k < 7; ++k)
    EXPECT_NEAR(m.se[k], r.dynamic.se[static_cast<std::size_t>(k)],
                0.08 * r.dynamic.se[static_cast<std::size_t>(k)])
        << k;
  EXPECT_GT(m.crit, 2.1);
  EXPECT_LT(m.crit, 2.69);  // Bonferroni: z at 1 - 0.05 / 14
  const MultiplierResult one = multiplier_bootstrap(psi.col(6), 4000, RngKey(20, "mboot"));
  EXPECT_NEAR(one.crit, 1.96, 0.1);
  EXPECT_EQ(multiplier_bootstrap(psi, 50, RngKey(20, "mboot")).se,
            multiplier_bootstrap(psi, 50, RngKey(20, "mboot")).se);
  Eigen::MatrixXd with_nan = psi;
  with_nan(0, 2) = std::nan("");
  EXPECT_TRUE(std::isnan(multiplier_bootstrap(with_nan, 50, RngKey(1, "x")).se[2]));
}

// A job splits the replications into tasks: the draws of [0, 30) and [30, 50) from a task's
// stream stacked equal the draws of [0, 50) (to the rounding of the product's blocking), and
// their summary is the library bootstrap's.
TEST(CallawaySantAnna, MultiplierDrawsSplitIntoTasks) {
  const CsResult r = callaway_santanna(test::mpdta());
  const Eigen::MatrixXd psi = r.dynamic.influence;
  const RngKey key(20, "mboot");
  const Eigen::MatrixXd all = multiplier_draws(psi, 0, 50, key.stream(0));
  Eigen::MatrixXd split(50, psi.cols());
  split.topRows(30) = multiplier_draws(psi, 0, 30, key.stream(7));
  split.bottomRows(20) = multiplier_draws(psi, 30, 50, key.stream(3));
  EXPECT_LT((all - split).cwiseAbs().maxCoeff(), 1e-14 * all.cwiseAbs().maxCoeff());
  const MultiplierResult a = multiplier_summary(split), b = multiplier_bootstrap(psi, 50, key);
  for (Eigen::Index k = 0; k < psi.cols(); ++k) EXPECT_NEAR(a.se[k], b.se[k], 1e-12 * b.se[k]);
  EXPECT_NEAR(a.crit, b.crit, 1e-12 * b.crit);
  EXPECT_THROW(multiplier_summary(split.topRows(1)), Error);
}

// Conditional parallel trends with the covariate lpop, doubly robust (R did's default with
// covariates): every ATT(g, t) as R did's README prints it ("Using covariates", att_gt(...,
// xformla = ~lpop)), 4 decimals. An intercept-only design would give the unconditional cells.
TEST(CallawaySantAnna, MpdtaDoublyRobustWithLpopAsPublished) {
  const StaggeredPanel p = test::mpdta(true);
  const CsResult r = callaway_santanna(p);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  const std::map<std::pair<int, int>, double> att{
      {{2004, 2004}, -0.0145}, {{2004, 2005}, -0.0764}, {{2004, 2006}, -0.1404},
      {{2004, 2007}, -0.1069}, {{2006, 2004}, -0.0005}, {{2006, 2005}, -0.0062},
      {{2006, 2006}, 0.0010},  {{2006, 2007}, -0.0413}, {{2007, 2004}, 0.0267},
      {{2007, 2005}, -0.0046}, {{2007, 2006}, -0.0284}, {{2007, 2007}, -0.0288}};
  // The standard errors R did prints there are multiplier-bootstrap ones (B = 1,000, IQR-based:
  // a few per cent of Monte Carlo error); the analytic ones from the same influence function are
  // within 10 % of them (the largest difference, 6 %, is the 2006 cohort in 2004).
  const std::map<std::pair<int, int>, double> se{
      {{2004, 2004}, 0.0233}, {{2004, 2005}, 0.0297}, {{2004, 2006}, 0.0348},
      {{2004, 2007}, 0.0340}, {{2006, 2004}, 0.0236}, {{2006, 2005}, 0.0184},
      {{2006, 2006}, 0.0194}, {{2006, 2007}, 0.0189}, {{2007, 2004}, 0.0145},
      {{2007, 2005}, 0.0163}, {{2007, 2006}, 0.0191}, {{2007, 2007}, 0.0166}};
  for (const auto& [gt, v] : att) {
    EXPECT_NEAR(cell(r, gt.first, gt.second).att, v, kHalfUlp4) << gt.first << " " << gt.second;
    EXPECT_NEAR(cell(r, gt.first, gt.second).se, se.at(gt), 0.1 * se.at(gt));
  }
  StaggeredPanel bad = p;
  bad.covariates[0] = Eigen::MatrixXd::Zero(2, 2);
  EXPECT_NE(test::error_of([&] { callaway_santanna(bad); }).find("a covariate is 2 x 2"),
            std::string::npos);
}

// Conditional parallel trends with known truth: treatment more likely for high x, and the
// untreated trend rises with x; ATT = 1. Outcome regression, IPW and doubly robust recover it
// (within 4 s.e.); the unconditional estimator is biased by 0.5 x (mean x of the treated - of the
// others).
TEST(CallawaySantAnna, CovariateMethodsRecoverTheTruthUnderConditionalParallelTrends) {
  const int n = 20000;
  Rng rng(31, "cpt", 0);
  StaggeredPanel p;
  p.periods = {1, 2};
  p.y.resize(n, 2);
  p.first_treat.resize(n);
  p.covariates.emplace_back(n, 2);
  auto normal = [&] {
    return std::sqrt(-2 * std::log(rng.uniform01())) *
           std::cos(6.283185307179586 * rng.uniform01());
  };
  for (int i = 0; i < n; ++i) {
    const double x = normal();
    const bool d = rng.uniform01() < 1 / (1 + std::exp(-(-0.5 + 0.8 * x)));
    p.first_treat[static_cast<std::size_t>(i)] = d ? 2 : 0;
    p.covariates[0](i, 0) = p.covariates[0](i, 1) = x;
    const double a = normal();
    p.y(i, 0) = a + 0.3 * normal();
    p.y(i, 1) = p.y(i, 0) + 1 + 0.5 * x + (d ? 1.0 : 0.0) + 0.3 * normal();
  }
  for (CovariateMethod m : {CovariateMethod::kDoublyRobust, CovariateMethod::kOutcomeRegression,
                            CovariateMethod::kIpw}) {
    CsOptions o;
    o.method = m;
    const CsResult r = callaway_santanna(p, o);
    ASSERT_TRUE(r.status.ok()) << to_string(m) << ": " << r.status.to_string();
    const AttCell& c = cell(r, 2, 2);
    EXPECT_NEAR(c.att, 1.0, 4 * c.se) << to_string(m);
    EXPECT_GT(c.se, 0.0);
    EXPECT_LT(c.se, 0.05);
  }
  StaggeredPanel none = p;
  none.covariates.clear();
  const CsResult unconditional = callaway_santanna(none);
  const AttCell& u = cell(unconditional, 2, 2);
  EXPECT_GT(u.att - 1.0, 10 * u.se);  // biased upwards: the treated have higher x
  EXPECT_EQ(covariate_method_from_string("ipw"), CovariateMethod::kIpw);
  EXPECT_THROW(covariate_method_from_string("ols"), Error);
}

}  // namespace
}  // namespace revest::did
