#include "core/stats.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

using namespace revest::stats;

// Type-7 quantiles checked against R: quantile(c(1,2,3,4,10), c(.25,.5,.9), type = 7)
// = 2, 3, 7.6 (exact in binary up to rounding; tolerance 1e-12).
TEST(Stats, QuantileType7MatchesR) {
  std::vector<double> x = {10, 2, 4, 1, 3};
  EXPECT_NEAR(quantile(x, 0.25), 2.0, 1e-12);
  EXPECT_NEAR(quantile(x, 0.5), 3.0, 1e-12);
  EXPECT_NEAR(quantile(x, 0.9), 7.6, 1e-12);
  EXPECT_EQ(quantile(x, 0.0), 1.0);
  EXPECT_EQ(quantile(x, 1.0), 10.0);
}

TEST(Stats, QuantileIgnoresNaN) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> x = {nan, 1, 2, nan, 3};
  EXPECT_NEAR(quantile(x, 0.5), 2.0, 1e-15);
  std::vector<double> all_nan = {nan, nan};
  EXPECT_TRUE(std::isnan(quantile(all_nan, 0.5)));
}

// Type-1 quantiles against R: quantile(c(1,2,3,4,10), c(0, .2, .21, .5, .9, 1), type = 1)
// = 1, 1, 2, 3, 10, 10 (order statistics, exact).
TEST(Stats, QuantileType1MatchesR) {
  const std::vector<double> x = {10, 2, 4, 1, 3};
  EXPECT_EQ(quantile_type1(x, 0.0), 1.0);
  EXPECT_EQ(quantile_type1(x, 0.2), 1.0);
  EXPECT_EQ(quantile_type1(x, 0.21), 2.0);
  EXPECT_EQ(quantile_type1(x, 0.5), 3.0);
  EXPECT_EQ(quantile_type1(x, 0.9), 10.0);
  EXPECT_EQ(quantile_type1(x, 1.0), 10.0);
  EXPECT_TRUE(std::isnan(quantile_type1(std::vector<double>{}, 0.5)));
}

TEST(Stats, MeanSd) {
  std::vector<double> x = {2, 4, 4, 4, 5, 5, 7, 9};
  auto m = mean_sd(x);
  EXPECT_DOUBLE_EQ(m.mean, 5.0);
  EXPECT_NEAR(m.sd, std::sqrt(32.0 / 7.0), 1e-14);
  EXPECT_EQ(m.n, 8u);
}

TEST(Stats, RankDescendingWithTies) {
  std::vector<double> x = {0.3, 0.9, 0.3, 0.1, std::numeric_limits<double>::quiet_NaN()};
  auto r = rank_descending(x);
  EXPECT_EQ(r[1], 1.0);
  EXPECT_EQ(r[0], 2.0);
  EXPECT_EQ(r[2], 2.0);
  EXPECT_EQ(r[3], 4.0);
  EXPECT_TRUE(std::isnan(r[4]));
}
