#include "realopt/lsm.hpp"
#include "realopt/lattice.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/random/normal_distribution.hpp>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "realopt_test_support.hpp"
#include "test_support.hpp"

using namespace revest::realopt;

using revest::realopt::test::gbm;
using revest::realopt::test::table1;

// Longstaff & Schwartz (2001), Table 1: American puts, K = 40, r = 0.06, 50 exercise dates per
// year. Golden values: the finite-difference Bermudan value on the same dates
// (tests/realopt/data/longstaff_schwartz_2001_table1.csv, grid-converged to 2e-5).
// Issue 4's criterion, in LS's setting (100,000 pricing paths, an independent set of 100,000
// regression paths, a constant and three weighted Laguerre polynomials, antithetic): the estimate
// without the control variate lies within 3 of its standard errors of the FD value.
// With the control (the European put stopped at the rule's exercise date, Rasmussen 2005) the
// standard error is about 10x smaller, which exposes the rule's own suboptimality: the LSM value
// is a low estimate, measured 0.002-0.006 below FD over the table (0.1 %). So the controlled
// estimate is checked to be consistent with the plain one, below FD + 3 se, and within 0.01 of it.
TEST(Lsm, LongstaffSchwartzTable1) {
  const auto cases = table1();
  ASSERT_EQ(cases.size(), 20u);
  int c = 0;
  double worst = 0.0, bias = 0.0;
  for (const auto& pc : cases) {
    LsmOptions o;
    o.horizon = pc.T;
    o.dates_per_year = 50;
    o.regression_paths = 100000;
    o.pricing_paths = 100000;
    o.boundary = false;
    revest::Rng rng(2001, "ls-table1", static_cast<std::uint32_t>(c++));
    const Valuation r = value_lsm(gbm(pc.S, 0.06, 0.0, pc.sigma), american_put(40.0), o, rng);
    ASSERT_TRUE(r.status.ok()) << r.status.message;
    // The control's mean is the European put: its closed form equals Black-Scholes (CSV, 6 dp).
    EXPECT_NEAR(r.european, pc.european_bs, 5e-7) << "S=" << pc.S;
    EXPECT_LT(std::abs(r.value_plain - pc.bermudan50_fd), 3.0 * r.se_plain)
        << "S=" << pc.S << " sigma=" << pc.sigma << " T=" << pc.T << " value " << r.value_plain
        << " se " << r.se_plain << " FD " << pc.bermudan50_fd;
    EXPECT_LT(std::abs(r.value - r.value_plain), 3.0 * r.se_plain) << "S=" << pc.S;
    EXPECT_LT(r.value, pc.bermudan50_fd + 3.0 * r.se) << "S=" << pc.S;
    EXPECT_GT(r.value, pc.bermudan50_fd - 0.01) << "S=" << pc.S;
    EXPECT_LT(r.se, r.se_plain / 5.0);
    worst = std::max(worst, std::abs(r.value_plain - pc.bermudan50_fd) / r.se_plain);
    bias += (r.value - pc.bermudan50_fd) / 20.0;
    std::printf("S=%g sigma=%g T=%g: LSM %.4f (se %.4f; without control %.4f, se %.4f) FD %.4f\n",
                pc.S, pc.sigma, pc.T, r.value, r.se, r.value_plain, r.se_plain, pc.bermudan50_fd);
  }
  std::printf("largest |LSM - FD| / se without control: %.2f; mean LSM - FD with control: %.4f\n",
              worst, bias);
}

// The library entry point on Longstaff-Schwartz's first put (S = 36, sigma = 0.2, T = 1; K = 40,
// r = 0.06, 50 dates a year): realopt::value(project, process, options, key) is value_lsm on
// key.stream(0), so with the key of the Table 1 test it is that test's first case, bit for bit.
// Checked as there: the plain estimate within 3 of its standard errors of the FD value, the
// controlled one below FD + 3 se and within 0.01 of it; and the status and the brief report.
TEST(Lsm, ValueOfTheFirstLongstaffSchwartzPut) {
  const auto pc = table1().at(0);
  ASSERT_EQ(pc.S, 36.0);
  ASSERT_EQ(pc.sigma, 0.2);
  ASSERT_EQ(pc.T, 1.0);
  LsmOptions o;
  o.horizon = pc.T;
  o.boundary = false;  // the defaults are otherwise LS's: 50 dates, 3 Laguerre terms, 100,000 paths
  const revest::RngKey key(2001, "ls-table1");
  const Valuation v = value(american_put(40.0), gbm(pc.S, 0.06, 0.0, pc.sigma), o, key);
  ASSERT_TRUE(v.status.ok()) << v.status.to_string();
  EXPECT_EQ(v.status.code, revest::StatusCode::kOk);
  EXPECT_TRUE(v.status.message.empty());
  EXPECT_LT(std::abs(v.value_plain - pc.bermudan50_fd), 3.0 * v.se_plain);
  EXPECT_LT(v.value, pc.bermudan50_fd + 3.0 * v.se);
  EXPECT_GT(v.value, pc.bermudan50_fd - 0.01);
  EXPECT_NEAR(v.european, pc.european_bs, 5e-7);
  // The same stream through the task-level function: the same numbers.
  revest::Rng rng = key.stream(0);
  const Valuation t = value_lsm(gbm(pc.S, 0.06, 0.0, pc.sigma), american_put(40.0), o, rng);
  EXPECT_EQ(t.value, v.value);
  EXPECT_EQ(t.se, v.se);
  EXPECT_EQ(t.value_plain, v.value_plain);
  // Another replication is another stream.
  EXPECT_NE(value(american_put(40.0), gbm(pc.S, 0.06, 0.0, pc.sigma), o, key, 1).value, v.value);
  const std::string report = v.brief_report();
  std::printf("%s\n", report.c_str());
  EXPECT_NE(report.find("Least squares Monte Carlo value"), std::string::npos) << report;
  EXPECT_NE(report.find("50 exercise dates over 1 year,"), std::string::npos) << report;
  EXPECT_NE(report.find("basis laguerre of order 3"), std::string::npos) << report;
  EXPECT_NE(report.find("status ok."), std::string::npos) << report;
}

// Options: validate() names what is wrong; the basis names round-trip.
TEST(Lsm, OptionsValidate) {
  EXPECT_NO_THROW(LsmOptions{}.validate());
  const auto error_of = [](const LsmOptions& o) {
    return revest::test::error_of([&] { o.validate(); });
  };
  LsmOptions o;
  o.horizon = 0;
  EXPECT_NE(error_of(o).find("horizon"), std::string::npos);
  o = {};
  o.dates_per_year = 0;
  EXPECT_NE(error_of(o).find("dates_per_year"), std::string::npos);
  o = {};
  o.order = 17;
  EXPECT_NE(error_of(o).find("order"), std::string::npos);
  o = {};
  o.pricing_paths = 1;
  EXPECT_NE(error_of(o).find("paths"), std::string::npos);
  o = {};
  o.upper_bound = true;
  o.upper_inner = 0;
  EXPECT_NE(error_of(o).find("upper_inner"), std::string::npos);
  // value_lsm validates too: bad options are an error, not a status.
  revest::Rng rng(1, "bad", 0);
  o = {};
  o.horizon = -1;
  EXPECT_THROW(value_lsm(gbm(36, 0.06, 0.0, 0.2), american_put(40), o, rng), revest::Error);
  for (Basis b : {Basis::kLaguerre, Basis::kLaguerreUnweighted, Basis::kMonomial,
                  Basis::kLogMonomial, Basis::kSpline})
    EXPECT_EQ(basis_from_string(to_string(b)), b);
  EXPECT_THROW(basis_from_string("chebyshev"), revest::Error);
}

// McDonald-Siegel deferral (tests/realopt/data/realopt_closed_forms.md, case 1: r = delta =
// 0.04, sigma = 0.2, I = V0 = 100): the finite-life option to invest is an American call; FD
// values T = 5: 15.425, T = 25: 23.430 (continuous exercise). LSM with 250 dates per year for T = 5
// (QuantLib's reference there: 15.371, se 0.076) and 50 per year for T = 25; tolerance 3 se plus
// the Bermudan discreteness (0.5 % of the value: 50 dates per year against continuous exercise).
TEST(Lsm, DeferralAgainstAmericanCall) {
  struct Case {
    double T;
    int per_year;
    double fd;
  };
  int c = 0;
  for (const Case& k : {Case{5.0, 250, 15.425}, Case{25.0, 20, 23.430}}) {
    LsmOptions o;
    o.horizon = k.T;
    o.dates_per_year = k.per_year;
    o.basis = Basis::kSpline;
    o.order = 5;
    o.regression_paths = 50000;
    o.pricing_paths = 50000;
    revest::Rng rng(7, "deferral", static_cast<std::uint32_t>(c++));
    const Valuation r = value_lsm(gbm(100, 0.04, 0.04, 0.2), deferral_project(100), o, rng);
    ASSERT_TRUE(r.status.ok()) << r.status.message;
    EXPECT_NEAR(r.value, k.fd, 3.0 * r.se + 0.005 * k.fd) << "T=" << k.T << " se " << r.se;
    EXPECT_LE(r.value, k.fd + 3.0 * r.se);  // a low estimate of a Bermudan option
    // The exercise boundary lies between I (its limit at maturity, as r = delta) and the perpetual
    // threshold V* = 2 I = 200 (5 % margins below and above). The rule's threshold at a single
    // date is noisy (each date has its own regression; measured: 10 % of the 250-per-year dates
    // above 210), so the check is on 85 % of the dates and on the median.
    int seen = 0, inside = 0;
    std::vector<double> b;
    for (std::size_t i = 1; i + 1 < r.boundary.size(); ++i) {
      if (!std::isfinite(r.boundary[i])) continue;
      ++seen;
      b.push_back(r.boundary[i]);
      inside += r.boundary[i] > 95.0 && r.boundary[i] < 210.0;
    }
    ASSERT_GT(seen, 0);
    EXPECT_GE(inside, 0.85 * seen);
    std::nth_element(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(b.size() / 2), b.end());
    EXPECT_GT(b[b.size() / 2], 110.0);
    EXPECT_LT(b[b.size() / 2], 200.0);
  }
}

namespace {
// McDonald-Siegel perpetual deferral (realopt_closed_forms.md): the positive root beta1 of
// 0.5 s^2 b (b - 1) + (r - delta) b - r = 0 and the investment threshold V* = beta1 / (beta1 - 1) I.
struct PerpetualThreshold {
  double beta1, vstar;
};
PerpetualThreshold mcdonald_siegel(double r, double delta, double sigma, double cost) {
  const double a = (r - delta) / (sigma * sigma);
  const double beta1 = 0.5 - a + std::sqrt((a - 0.5) * (a - 0.5) + 2 * r / (sigma * sigma));
  return {beta1, beta1 / (beta1 - 1) * cost};
}
}  // namespace

// Long horizons approach the perpetual option: McDonald-Siegel F(100) = 25.000 (case 1) and
// 45.0970 (case 2: r = 0.05, delta = 0.03, sigma = 0.3), closed form. With T = 100 years and 10
// dates per year the Bermudan value is below the perpetual one by the finite horizon (FD American
// T = 100: 24.985 and 45.082), by the discreteness and by the rule's suboptimality over a
// lognormal spread of sd 3 in ln V (measured 24.72 and 44.22 with a 5-piece spline); tolerance
// 3 se + 3 %.
TEST(Lsm, PerpetualDeferralLimit) {
  struct Case {
    double r, delta, sigma, perpetual;
  };
  int c = 0;
  for (const Case& k : {Case{0.04, 0.04, 0.2, 25.0}, Case{0.05, 0.03, 0.3, 45.0970}}) {
    // Closed form first (the golden value is itself derived, so check the formula).
    const auto [beta1, vstar] = mcdonald_siegel(k.r, k.delta, k.sigma, 100);
    EXPECT_NEAR((vstar - 100) * std::pow(100 / vstar, beta1), k.perpetual, 1e-4);
    LsmOptions o;
    o.horizon = 100;
    o.dates_per_year = 10;
    o.basis = Basis::kSpline;
    o.order = 5;
    o.regression_paths = 20000;
    o.pricing_paths = 20000;
    o.boundary = false;
    revest::Rng rng(8, "perpetual", static_cast<std::uint32_t>(c++));
    const Valuation r = value_lsm(gbm(100, k.r, k.delta, k.sigma), deferral_project(100), o, rng);
    ASSERT_TRUE(r.status.ok()) << r.status.message;
    EXPECT_NEAR(r.value, k.perpetual, 3.0 * r.se + 0.03 * k.perpetual) << "se " << r.se;
    EXPECT_LT(r.value, k.perpetual + 3.0 * r.se);
  }
}

// The threshold policy "invest when V first reaches V* = beta1 / (beta1 - 1) I", truncated at H,
// has the closed form of realopt_closed_forms.md (continuous monitoring): case 1, H = 25: 22.5828;
// case 2, H = 25: 39.7665. Simulated with the exact GBM stepper on 50 dates per year, 40,000
// paths; tolerance 3 se + 0.6 % (discrete monitoring crosses later and overshoots V*: the
// document's own Monte Carlo at H = 100 gives 25.070 (se 0.105) against 24.982).
TEST(Lsm, ThresholdPolicyMatchesTruncatedClosedForm) {
  struct Case {
    double r, delta, sigma, value;
  };
  int c = 0;
  for (const Case& k : {Case{0.04, 0.04, 0.2, 22.5828}, Case{0.05, 0.03, 0.3, 39.7665}}) {
    const double vstar = mcdonald_siegel(k.r, k.delta, k.sigma, 100).vstar, H = 25, dt = 1.0 / 50;
    // The closed form itself (nu, g, b as in the document).
    const boost::math::normal N;
    const double nu = k.r - k.delta - 0.5 * k.sigma * k.sigma;
    const double g = std::sqrt(nu * nu + 2 * k.r * k.sigma * k.sigma), b = std::log(vstar / 100);
    const double s2 = k.sigma * k.sigma, sH = k.sigma * std::sqrt(H);
    const double cf =
        (vstar - 100) * (std::exp(b * (nu - g) / s2) * boost::math::cdf(N, (g * H - b) / sH) +
                         std::exp(b * (nu + g) / s2) * boost::math::cdf(N, (-g * H - b) / sH));
    EXPECT_NEAR(cf, k.value, 1e-4);
    const Stepper st(gbm(100, k.r, k.delta, k.sigma), dt, false);
    revest::Rng rng(13, "threshold", static_cast<std::uint32_t>(c++));
    boost::random::normal_distribution<double> nd;
    const int n = 40000, steps = static_cast<int>(H / dt);
    double sum = 0, sum2 = 0;
    for (int i = 0; i < n; ++i) {
      double x = std::log(100.0), pay = 0;
      for (int s = 1; s <= steps; ++s) {
        x = st.next(x, nd(rng), [] { return 0.0; });
        if (std::exp(x) >= vstar) {
          pay = std::exp(-k.r * s * dt) * (std::exp(x) - 100);
          break;
        }
      }
      sum += pay;
      sum2 += pay * pay;
    }
    const double mean = sum / n, se = std::sqrt((sum2 / n - mean * mean) / n);
    EXPECT_NEAR(mean, k.value, 3 * se + 0.006 * k.value) << "se " << se;
  }
}

// Geske (1979) compound option (tests/realopt/data/realopt_closed_forms.md): V0 = 100, r =
// 0.05, delta = 0.03, sigma = 0.3; pay K1 = 10 at T1 = 1 for the right to invest I = 100 at T2 = 3.
// QuantLib's AnalyticCompoundOptionEngine: 12.9881. As a staged project: a pilot (no value
// owned) exercisable only at t = 1, then the investment only at t = 3. Tolerance 3 se + 0.5 %
// (the regression of the daughter call's value at T1 on a cubic).
TEST(Lsm, GeskeCompoundOption) {
  Project pr;
  pr.states = {{"idle", 0.0}, {"pilot", 0.0}, {"invested", 1.0}};
  pr.actions = {{"pilot", 0, 1, 10.0, 1.0, 1.0}, {"scale_up", 1, 2, 100.0, 3.0, 3.0}};
  pr.basis_scale = 100;
  LsmOptions o;
  o.horizon = 3;
  o.dates_per_year = 1;
  o.basis = Basis::kMonomial;
  o.order = 4;
  o.regression_paths = 200000;
  o.pricing_paths = 200000;
  revest::Rng rng(9, "geske", 0);
  const Valuation r = value_lsm(gbm(100, 0.05, 0.03, 0.3), pr, o, rng);
  ASSERT_TRUE(r.status.ok()) << r.status.message;
  EXPECT_NEAR(r.value, 12.9881, 3.0 * r.se + 0.005 * 12.9881) << "se " << r.se;
}

// A European option (exercise only at T) by LSM equals Black-Scholes (Merton with yield delta)
// within 3 standard errors; without the control variate, since the control is the option itself.
TEST(Lsm, EuropeanCallEqualsBlackScholes) {
  Project pr = deferral_project(100);
  pr.actions[0].first_time = 2.0;
  pr.actions[0].last_time = 2.0;
  LsmOptions o;
  o.horizon = 2;
  o.dates_per_year = 4;
  o.control_variate = false;
  o.regression_paths = 1000;
  o.pricing_paths = 100000;
  revest::Rng rng(10, "european", 0);
  const Process p = gbm(100, 0.05, 0.03, 0.3);
  const Valuation r = value_lsm(p, pr, o, rng);
  ASSERT_TRUE(r.status.ok());
  // Black-Scholes with dividend yield, written out here.
  const boost::math::normal N;
  const double d1 = (std::log(100.0 / 100.0) + (0.05 - 0.03 + 0.045) * 2) / (0.3 * std::sqrt(2.0));
  const double bs = 100 * std::exp(-0.03 * 2) * boost::math::cdf(N, d1) -
                    100 * std::exp(-0.05 * 2) * boost::math::cdf(N, d1 - 0.3 * std::sqrt(2.0));
  EXPECT_NEAR(r.european, bs, 1e-12);
  EXPECT_NEAR(r.value, bs, 3.0 * r.se);
}

// Andersen-Broadie: the dual upper bound lies above the low estimate, and the bracket is tight
// for a put (Andersen and Broadie 2004 report gaps of a few cents for these cases).
TEST(Lsm, DualUpperBoundBracketsThePut) {
  LsmOptions o;
  o.horizon = 1;
  o.dates_per_year = 50;
  o.regression_paths = 50000;
  o.pricing_paths = 50000;
  o.upper_bound = true;
  o.upper_outer = 200;
  o.upper_inner = 500;
  revest::Rng rng(11, "upper", 0);
  const Valuation r = value_lsm(gbm(36, 0.06, 0.0, 0.2), american_put(40), o, rng);
  ASSERT_TRUE(r.status.ok());
  EXPECT_GE(r.upper, r.value);
  EXPECT_LT(r.upper - r.value, 0.05);
  // The bracket contains the FD value 4.477797 (Table 1 CSV), allowing 3 se on each side.
  EXPECT_LT(r.value - 3 * r.se, 4.477797);
  EXPECT_GT(r.upper + 3 * r.upper_se, 4.477797);
}

namespace {

// A staged project with every option of the real_options analysis: pilot (0.15 I, owns 0.1 V)
// then scale-up (0.9 I), expansion (x 1.3 at 0.35 I), abandonment (salvage 0.5 I per unit owned).
Project staged_project(double I, double H) {
  Project p;
  p.basis_scale = I;
  p.states = {
      {"idle", 0.0}, {"pilot", 0.1}, {"invested", 1.0}, {"expanded", 1.3}, {"abandoned", 0.0}};
  p.actions = {{"pilot", 0, 1, 0.15 * I, 0.0, H},
               {"scale_up", 1, 2, 0.9 * I, 0.0, H},
               {"abandon_pilot", 1, 4, -0.5 * 0.1 * I, 0.0, H},
               {"expand", 2, 3, 0.35 * I, 0.0, H},
               {"abandon", 2, 4, -0.5 * I, 0.0, H},
               {"abandon_expanded", 3, 4, -0.5 * 1.3 * I, 0.0, H}};
  return p;
}

}  // namespace

// The dual bound of a multi-state project (pilot, scale-up, expansion and abandonment valued
// jointly): the LSM low estimate and the dual high estimate bracket the Bermudan value on the same
// dates from a binomial lattice (realopt/lattice.hpp, itself checked in lattice_test.cpp), with
// 3 se on each side plus the lattice's own error (its spread over 300, 400 and 500 steps per
// date), and the bracket is narrow.
TEST(Lsm, DualUpperBoundBracketsAStagedProject) {
  const Process p = gbm(100, 0.05, 0.03, 0.3);
  const double H = 2.0;
  const Project pr = staged_project(100, H);
  LsmOptions o;
  o.horizon = H;
  o.dates_per_year = 4;
  o.basis = Basis::kSpline;
  o.order = 5;
  o.regression_paths = 100000;
  o.pricing_paths = 100000;
  o.upper_bound = true;
  o.upper_outer = 400;
  o.upper_inner = 200;
  revest::Rng rng(11, "upper-staged", 0);
  const Valuation r = value_lsm(p, pr, o, rng);
  ASSERT_TRUE(r.status.ok()) << r.status.message;
  const int K = o.dates();
  // The tree's error: CRR oscillates for Bermudan payoffs, so it is taken as the spread of the
  // value over three tree sizes (measured 1.0e-3 of a value of 19).
  const double tree = lattice_value(p, pr, H, K, 500);
  double tree_err = 0.0;
  for (int steps : {300, 400})
    tree_err = std::max(tree_err, std::abs(lattice_value(p, pr, H, K, steps) - tree));
  EXPECT_LT(tree_err, 0.01);
  EXPECT_GE(r.upper, r.value);  // an invariant of the code: th >= L on every path
  EXPECT_LT(r.value - 3 * r.se, tree + tree_err) << "low " << r.value << " tree " << tree;
  EXPECT_GT(r.upper + 3 * r.upper_se, tree - tree_err) << "high " << r.upper << " tree " << tree;
  // Bracket within 1.5 % of the value (measured 0.85 %: low 18.899, high 19.061, lattice 19.022).
  EXPECT_LT(r.upper - r.value, 0.015 * tree);
  std::printf("staged project: low %.4f (se %.4f), high %.4f (se %.4f), lattice %.4f (+- %.4f)\n",
              r.value, r.se, r.upper, r.upper_se, tree, tree_err);
  // The bound holds whatever the rule: from a poor rule (a linear fit on 400 paths) the low
  // estimate falls (measured 14.70, 90 se below the good rule's), and the high estimate stays
  // above the lattice value (measured 19.41, se 0.20).
  o.basis = Basis::kMonomial;
  o.order = 1;
  o.regression_paths = 400;
  const Valuation poor = value_lsm(p, pr, o, rng);
  ASSERT_TRUE(poor.status.ok()) << poor.status.message;
  std::printf("poor rule: low %.4f (se %.4f), high %.4f (se %.4f)\n", poor.value, poor.se,
              poor.upper, poor.upper_se);
  EXPECT_LT(poor.value, r.value);
  EXPECT_GT(poor.upper + 3 * poor.upper_se, tree - tree_err);
}

// Same seed, same result; the exercise rule comes from the regression set only, so changing the
// number of pricing paths does not change the rule (the boundary is identical).
TEST(Lsm, ReproducibleAndPricingSetIndependent) {
  LsmOptions o;
  o.horizon = 1;
  o.dates_per_year = 10;
  o.regression_paths = 4000;
  o.pricing_paths = 4000;
  o.basis = Basis::kMonomial;
  const Process p = gbm(100, 0.05, 0.03, 0.3);
  revest::Rng a(1, "x", 0), b(1, "x", 0);
  const Valuation r1 = value_lsm(p, deferral_project(90), o, a);
  const Valuation r2 = value_lsm(p, deferral_project(90), o, b);
  EXPECT_EQ(r1.value, r2.value);
  ASSERT_EQ(r1.boundary.size(), r2.boundary.size());
  for (std::size_t i = 0; i < r1.boundary.size(); ++i) {
    if (std::isnan(r1.boundary[i])) {
      EXPECT_TRUE(std::isnan(r2.boundary[i]));
    } else {
      EXPECT_EQ(r1.boundary[i], r2.boundary[i]);
    }
  }
  o.pricing_paths = 8000;
  revest::Rng c(1, "x", 0);
  const Valuation r3 = value_lsm(p, deferral_project(90), o, c);
  for (std::size_t i = 0; i < r1.boundary.size(); ++i) {
    if (std::isfinite(r1.boundary[i])) {
      EXPECT_EQ(r1.boundary[i], r3.boundary[i]);
    }
  }
  EXPECT_NE(r1.value, r3.value);
}

// Joint options (Gamba 2002; Trigeorgis 1993: option values are not additive): deferral (within
// a year) with expansion and abandonment (over five years) is worth at least each alone, and the
// premia do not add up. (With a five-year deferral window the abandonment premium nearly
// vanishes: one invests only when V is far above the salvage value.)
TEST(Lsm, JointOptionsAreNotAdditive) {
  const Process p = gbm(100, 0.05, 0.03, 0.3);
  LsmOptions o;
  o.horizon = 5;
  o.dates_per_year = 4;
  o.basis = Basis::kSpline;
  o.order = 5;
  o.regression_paths = 40000;
  o.pricing_paths = 40000;
  auto value = [&](bool expand, bool abandon) {
    Project pr;
    pr.states = {{"idle", 0}, {"invested", 1}, {"expanded", 1.5}, {"abandoned", 0}};
    pr.actions = {{"invest", 0, 1, 100, 0.0, 1.0}};  // invest within the first year
    if (expand) pr.actions.push_back({"expand", 1, 2, 40});
    if (abandon) {
      pr.actions.push_back({"abandon", 1, 3, -90});
      pr.actions.push_back({"abandon_expanded", 2, 3, -135});
    }
    pr.basis_scale = 100;
    revest::Rng rng(12, "joint", 0);  // common random numbers
    const Valuation r = value_lsm(p, pr, o, rng);
    EXPECT_TRUE(r.status.ok()) << r.status.message;
    return r.value;
  };
  const double d = value(false, false), de = value(true, false), da = value(false, true),
               dea = value(true, true);
  EXPECT_GT(de, d + 1.0);
  EXPECT_GT(da, d + 1.0);
  EXPECT_GT(dea, std::max(de, da) - 0.2);  // at least each alone, up to the rules' noise
  // Not additive: here the interaction is positive, as expanding also raises the salvage value
  // (135 against 90, for an expansion cost of 40); measured 23.7 against 19.7 for the sum.
  EXPECT_GT(std::abs((dea - d) - ((de - d) + (da - d))), 1.0);
}

TEST(Lsm, RejectsBadProjects) {
  Project pr = deferral_project(100);
  pr.actions[0].to = 0;  // a cycle
  LsmOptions o;
  revest::Rng rng(1, "bad", 0);
  EXPECT_THROW(value_lsm(gbm(100, 0.05, 0, 0.2), pr, o, rng), revest::Error);
  EXPECT_THROW(value_lsm(gbm(-1, 0.05, 0, 0.2), deferral_project(100), o, rng), revest::Error);
  EXPECT_THROW(value_lsm(gbm(100, 0.05, 0, 0.0), deferral_project(100), o, rng), revest::Error);
}
