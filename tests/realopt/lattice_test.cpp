#include "realopt/lattice.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <cstdio>

#include "core/error.hpp"
#include "realopt_test_support.hpp"

using namespace revest::realopt;

using revest::realopt::test::gbm;

// Longstaff & Schwartz (2001) Table 1: the Bermudan put on 50 dates per year. Golden values: the
// finite-difference values of tests/realopt/data/longstaff_schwartz_2001_table1.csv (column
// bermudan50_fd, grid-converged to 2e-5). A CRR tree of 200 steps between dates (N = 10,000 for
// T = 1) carries an O(1/N) error; tolerance 5e-4 (measured largest 1.8e-4).
TEST(Lattice, LongstaffSchwartzBermudanPuts) {
  const auto cases = revest::realopt::test::table1();
  ASSERT_EQ(cases.size(), 20u);
  double worst = 0.0;
  for (const auto& c : cases) {
    const int K = static_cast<int>(std::lround(50 * c.T));
    const double tree =
        lattice_value(gbm(c.S, 0.06, 0.0, c.sigma), american_put(40.0), c.T, K, 200);
    EXPECT_NEAR(tree, c.bermudan50_fd, 5e-4) << "S " << c.S << " sigma " << c.sigma << " T " << c.T;
    worst = std::max(worst, std::abs(tree - c.bermudan50_fd));
  }
  std::printf("largest |lattice - FD| over Table 1: %.2e\n", worst);
}

// One decision date (the action's window opens at T; the only date there is t_1 = T): the
// European call with payout yield, Black-Scholes-Merton (closed form; CRR error O(1/N),
// tolerance 2e-3 at N = 4,000; measured 3.1e-4).
TEST(Lattice, EuropeanCallIsBlackScholes) {
  const double V = 100, I = 110, r = 0.05, delta = 0.03, sigma = 0.3, T = 2;
  Project p = deferral_project(I);
  p.actions[0].first_time = T;
  const double tree = lattice_value(gbm(V, r, delta, sigma), p, T, 1, 4000);
  const boost::math::normal N;
  const double d1 =
      (std::log(V / I) + (r - delta + 0.5 * sigma * sigma) * T) / (sigma * std::sqrt(T));
  const double bs = V * std::exp(-delta * T) * boost::math::cdf(N, d1) -
                    I * std::exp(-r * T) * boost::math::cdf(N, d1 - sigma * std::sqrt(T));
  EXPECT_NEAR(tree, bs, 2e-3);
  std::printf("European call: lattice %.6f, Black-Scholes %.6f\n", tree, bs);
}

// Invalid input: a process other than GBM, and too coarse a tree.
TEST(Lattice, Errors) {
  Process p = gbm(100, 0.05, 0.0, 0.3);
  p.kind = ProcessKind::kMeanReverting;
  p.kappa = 0.5;
  p.long_run = 100;
  EXPECT_THROW(lattice_value(p, deferral_project(100), 1, 4, 10), revest::Error);
  // sigma sqrt(dt) below |r - delta| dt: the up probability leaves (0, 1).
  EXPECT_THROW(lattice_value(gbm(100, 0.5, 0.0, 0.01), deferral_project(100), 10, 1, 1),
               revest::Error);
}
