// Tests of the numeric core of the entropy-weight TOPSIS index (src/index/entropy_topsis.hpp):
// published test vectors and invariances.
#include "index/entropy_topsis.hpp"

#include <gtest/gtest.h>

#include <boost/random/uniform_real_distribution.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/stats.hpp"

namespace revest::index {
namespace {

// Random matrix with entries uniform in [lo, hi), drawn from a revest::Rng stream.
Eigen::MatrixXd random_matrix(Eigen::Index rows, Eigen::Index cols, std::uint32_t stream,
                              double lo = 0.0, double hi = 1.0) {
  Rng rng(20240521, "entropy_topsis_test", stream);
  boost::random::uniform_real_distribution<double> u(lo, hi);
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index j = 0; j < cols; ++j)
    for (Eigen::Index i = 0; i < rows; ++i) m(i, j) = u(rng);
  return m;
}

std::vector<double> to_vector(const Eigen::VectorXd& v) { return {v.data(), v.data() + v.size()}; }

// ---------------------------------------------------------------------------------------------
// Published vectors. Source: tests/index/data/index_methods.md, which reproduces the test
// suite of the Python package `mcdm` (test_em_method.py, test_topsis_method.py). Tolerance: half a
// unit in the last printed digit (8 decimals for the entropy weights, 7 for the closeness), which
// is tighter than the 1e-7 agreement required.
// ---------------------------------------------------------------------------------------------

TEST(EntropyWeights, PublishedVector) {
  Eigen::MatrixXd p(7, 3);
  p << 0.000, 0.000, 0.333,  //
      0.033, 0.050, 0.267,   //
      0.067, 0.100, 0.200,   //
      0.100, 0.175, 0.100,   //
      0.200, 0.200, 0.067,   //
      0.267, 0.225, 0.033,   //
      0.333, 0.250, 0.000;
  const Eigen::VectorXd w = entropy_weights(p);
  // mcdm test_em_method.py, printed to 8 decimals -> tolerance 5e-9.
  constexpr double kTol = 5e-9;
  EXPECT_NEAR(w(0), 0.37406776, kTol);
  EXPECT_NEAR(w(1), 0.25186448, kTol);
  EXPECT_NEAR(w(2), 0.37406776, kTol);
}

Eigen::MatrixXd topsis_matrix() {
  Eigen::MatrixXd x(3, 5);
  x << 0.5, 0.6, 0.3, 0.2, 0.9,  //
      0.5, 0.5, 0.5, 0.5, 0.5,   //
      0.5, 0.4, 0.7, 0.8, 0.1;
  return x;
}

Eigen::VectorXd topsis_weights() {
  Eigen::VectorXd w(5);
  w << 0.0, 0.1, 0.2, 0.3, 0.4;
  return w;
}

TEST(Topsis, PublishedVectorAllBenefit) {
  const Eigen::VectorXd c = topsis_closeness(topsis_matrix(), topsis_weights(), {1, 1, 1, 1, 1});
  // mcdm test_topsis_method.py (all benefit), printed to 7 decimals -> tolerance 5e-8.
  constexpr double kTol = 5e-8;
  EXPECT_NEAR(c(0), 0.6194425, kTol);
  EXPECT_NEAR(c(1), 0.5, kTol);
  EXPECT_NEAR(c(2), 0.3805575, kTol);
}

TEST(Topsis, PublishedVectorBenefitCost) {
  const Eigen::VectorXd c = topsis_closeness(topsis_matrix(), topsis_weights(), {1, -1, 1, 1, 1});
  // mcdm test_topsis_method.py (benefit, cost, benefit, benefit, benefit), 7 decimals -> 5e-8.
  constexpr double kTol = 5e-8;
  EXPECT_NEAR(c(0), 0.6177727, kTol);
  EXPECT_NEAR(c(1), 0.5, kTol);
  EXPECT_NEAR(c(2), 0.3822273, kTol);
}

// ---------------------------------------------------------------------------------------------
// Min-max standardisation
// ---------------------------------------------------------------------------------------------

// A standardised 4 x 2 matrix: column 0 (benefit) and column 1 (cost) equal the expected values.
void expect_benefit_cost(const Eigen::MatrixXd& x, const double (&expected_benefit)[4],
                         const double (&expected_cost)[4]) {
  for (int i = 0; i < 4; ++i) {
    EXPECT_DOUBLE_EQ(x(i, 0), expected_benefit[i]) << "row " << i;
    EXPECT_DOUBLE_EQ(x(i, 1), expected_cost[i]) << "row " << i;
  }
}

TEST(MinMax, BenefitAndCost) {
  Eigen::MatrixXd raw(4, 2);
  raw << 1, 10,  //
      2, 20,     //
      3, 30,     //
      5, 50;
  const Eigen::MatrixXd x = minmax_standardize(raw, {1, -1});
  expect_benefit_cost(x, {0.0, 0.25, 0.5, 1.0}, {1.0, 0.75, 0.5, 0.0});
}

TEST(MinMax, ConstantColumnIsAnError) {
  Eigen::MatrixXd raw(3, 3);
  raw << 1, 7, 0,  //
      2, 7, 1,     //
      3, 7, 2;
  try {
    minmax_standardize(raw, {1, 1, 1});
    FAIL() << "expected revest::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("column 1 is constant"), std::string::npos) << e.what();
  }
}

TEST(MinMax, BadArgumentsAreErrors) {
  const Eigen::MatrixXd raw = random_matrix(5, 2, 1);
  EXPECT_THROW(minmax_standardize(raw, {1}), Error);     // wrong number of directions
  EXPECT_THROW(minmax_standardize(raw, {1, 0}), Error);  // direction not +-1
  Eigen::MatrixXd bad = raw;
  bad(2, 1) = std::nan("");
  EXPECT_THROW(minmax_standardize(bad, {1, 1}), Error);  // NaN input
  EXPECT_THROW(minmax_standardize(raw, {1, 1}, Eigen::Vector2d(0, 1), Eigen::Vector2d(1, 1)),
               Error);  // max <= min
}

TEST(MinMax, ExplicitBoundsClip) {
  Eigen::MatrixXd raw(4, 2);
  raw << -1, -1,  //
      0, 0,       //
      0.5, 0.5,   //
      3, 3;
  const Eigen::MatrixXd x =
      minmax_standardize(raw, {1, -1}, Eigen::Vector2d(0.0, 0.0), Eigen::Vector2d(2.0, 2.0));
  expect_benefit_cost(x, {0.0, 0.0, 0.25, 1.0}, {1.0, 1.0, 0.75, 0.0});
}

TEST(MinMax, ExplicitBoundsMatchPooled) {
  const Eigen::MatrixXd raw = random_matrix(30, 4, 2, -5.0, 5.0);
  const std::vector<int> dir = {1, -1, 1, -1};
  const Eigen::MatrixXd a = minmax_standardize(raw, dir);
  const Eigen::MatrixXd b = minmax_standardize(raw, dir, raw.colwise().minCoeff().transpose(),
                                               raw.colwise().maxCoeff().transpose());
  EXPECT_EQ(a, b);
  EXPECT_GE(a.minCoeff(), 0.0);
  EXPECT_LE(a.maxCoeff(), 1.0);
  for (Eigen::Index j = 0; j < a.cols(); ++j) {  // every column attains both ends
    EXPECT_EQ(a.col(j).minCoeff(), 0.0);
    EXPECT_EQ(a.col(j).maxCoeff(), 1.0);
  }
}

// A positive affine transform of an indicator (a change of unit, e.g. yuan -> 10^4 yuan) leaves
// the standardised matrix, hence weights and closeness, unchanged; negating a benefit indicator and
// declaring it a cost indicator does too.
TEST(MinMax, AffineTransformInvariance) {
  const Eigen::MatrixXd raw = random_matrix(25, 3, 3, 1.0, 100.0);
  const std::vector<int> dir = {1, 1, -1};
  Eigen::MatrixXd scaled = raw;
  scaled.col(0) = 1e-4 * raw.col(0).array() + 7.0;
  scaled.col(2) = 3.0 * raw.col(2).array() - 2.0;
  Eigen::MatrixXd negated = raw;
  negated.col(1) = -raw.col(1);
  const std::vector<int> dir_negated = {1, -1, -1};

  const Eigen::MatrixXd x = minmax_standardize(raw, dir);
  const Eigen::MatrixXd xs = minmax_standardize(scaled, dir);
  const Eigen::MatrixXd xn = minmax_standardize(negated, dir_negated);
  EXPECT_LT((x - xs).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_LT((x - xn).cwiseAbs().maxCoeff(), 1e-12);

  const Eigen::VectorXd w = entropy_weights_from_standardized(x, 0.0);
  const Eigen::VectorXd ws = entropy_weights_from_standardized(xs, 0.0);
  EXPECT_LT((w - ws).cwiseAbs().maxCoeff(), 1e-12);
  const Eigen::VectorXd c = topsis_closeness(x, w, {1, 1, 1});
  const Eigen::VectorXd cs = topsis_closeness(xs, ws, {1, 1, 1});
  EXPECT_LT((c - cs).cwiseAbs().maxCoeff(), 1e-12);
}

// ---------------------------------------------------------------------------------------------
// Entropy weights
// ---------------------------------------------------------------------------------------------

TEST(EntropyWeights, SumToOneNonNegative) {
  for (std::uint32_t s = 10; s < 30; ++s) {
    const Eigen::Index rows = 2 + s, cols = 1 + s % 6;
    const Eigen::MatrixXd x = random_matrix(rows, cols, s);
    for (double shift : {0.0, 0.01, 1.0}) {
      const Eigen::VectorXd w = entropy_weights_from_standardized(x, shift);
      ASSERT_EQ(w.size(), cols);
      EXPECT_NEAR(w.sum(), 1.0, 1e-12) << "stream " << s << " shift " << shift;
      EXPECT_GE(w.minCoeff(), 0.0) << "stream " << s << " shift " << shift;
    }
  }
}

TEST(EntropyWeights, FromStandardizedMatchesProportions) {
  const Eigen::MatrixXd x = random_matrix(12, 4, 40);
  const double shift = 0.05;
  Eigen::MatrixXd p = x.array() + shift;
  for (Eigen::Index j = 0; j < p.cols(); ++j) p.col(j) /= p.col(j).sum();
  const Eigen::VectorXd a = entropy_weights_from_standardized(x, shift);
  const Eigen::VectorXd b = entropy_weights(p);
  EXPECT_LT((a - b).cwiseAbs().maxCoeff(), 1e-14);
  // Scaling a column of x (shift 0) does not change its proportions.
  Eigen::MatrixXd x2 = x;
  x2.col(2) *= 5.0;
  EXPECT_LT((entropy_weights_from_standardized(x, 0.0) - entropy_weights_from_standardized(x2, 0.0))
                .cwiseAbs()
                .maxCoeff(),
            1e-12);
}

TEST(EntropyWeights, RowOrderDoesNotMatterColumnOrderPermutes) {
  const Eigen::MatrixXd x = random_matrix(15, 3, 41);
  const Eigen::VectorXd w = entropy_weights_from_standardized(x, 0.0);
  const Eigen::MatrixXd rows_reversed = x.colwise().reverse();
  EXPECT_LT((entropy_weights_from_standardized(rows_reversed, 0.0) - w).cwiseAbs().maxCoeff(),
            1e-14);
  const Eigen::MatrixXd cols_reversed = x.rowwise().reverse();
  const Eigen::VectorXd wr = entropy_weights_from_standardized(cols_reversed, 0.0);
  EXPECT_LT((wr.reverse() - w).cwiseAbs().maxCoeff(), 1e-14);
}

// A more dispersed indicator gets more weight than a nearly uniform one.
TEST(EntropyWeights, DispersedColumnGetsMoreWeight) {
  Eigen::MatrixXd x(5, 2);
  x << 1.0, 0.50,  //
      0.0, 0.55,   //
      0.0, 0.45,   //
      0.0, 0.50,   //
      0.1, 0.52;
  const Eigen::VectorXd w = entropy_weights_from_standardized(x, 0.0);
  EXPECT_GT(w(0), 0.9);
  EXPECT_LT(w(1), 0.1);
}

TEST(EntropyWeights, UniformColumnGetsZeroWeight) {
  Eigen::MatrixXd p(4, 3);
  p << 0.1, 0.25, 0.4,  //
      0.2, 0.25, 0.3,   //
      0.3, 0.25, 0.2,   //
      0.4, 0.25, 0.1;
  const Eigen::VectorXd w = entropy_weights(p);
  EXPECT_EQ(w(1), 0.0);
  EXPECT_NEAR(w(0), 0.5, 1e-15);
  EXPECT_NEAR(w(2), 0.5, 1e-15);
}

TEST(EntropyWeights, ZeroColumnGetsZeroWeight) {
  Eigen::MatrixXd x(4, 2);
  x << 0.0, 1.0,  //
      0.0, 0.0,   //
      0.0, 0.3,   //
      0.0, 0.7;
  const Eigen::VectorXd w = entropy_weights_from_standardized(x, 0.0);
  EXPECT_EQ(w(0), 0.0);
  EXPECT_EQ(w(1), 1.0);
}

TEST(EntropyWeights, AllUniformIsNaN) {
  const Eigen::MatrixXd p = Eigen::MatrixXd::Constant(6, 3, 1.0 / 6.0);
  const Eigen::VectorXd w = entropy_weights(p);
  for (Eigen::Index j = 0; j < w.size(); ++j) EXPECT_TRUE(std::isnan(w(j)));
}

TEST(EntropyWeights, BadArgumentsAreErrors) {
  EXPECT_THROW(entropy_weights(Eigen::MatrixXd::Constant(1, 2, 1.0)), Error);  // one row
  Eigen::MatrixXd p(2, 1);
  p << 0.7, 0.7;
  EXPECT_THROW(entropy_weights(p), Error);  // column sums to 1.4
  p << 1.2, -0.2;
  EXPECT_THROW(entropy_weights(p), Error);  // negative proportion
  EXPECT_THROW(entropy_weights_from_standardized(random_matrix(3, 2, 5), -0.1), Error);
}

// ---------------------------------------------------------------------------------------------
// TOPSIS
// ---------------------------------------------------------------------------------------------

TEST(Topsis, ClosenessRange) {
  const Eigen::MatrixXd x = random_matrix(20, 4, 50);
  const Eigen::VectorXd w = entropy_weights_from_standardized(x, 0.0);
  const Eigen::VectorXd c = topsis_closeness(x, w, {1, -1, 1, 1});
  EXPECT_GE(c.minCoeff(), 0.0);
  EXPECT_LE(c.maxCoeff(), 1.0);
  // The ideal and anti-ideal alternatives themselves get 1 and 0.
  Eigen::MatrixXd y(3, 2);
  y << 1.0, 0.0,  //
      0.0, 1.0,   //
      0.4, 0.6;
  const Eigen::VectorXd cy = topsis_closeness(y, Eigen::Vector2d(0.6, 0.4), {1, -1});
  EXPECT_DOUBLE_EQ(cy(0), 1.0);
  EXPECT_DOUBLE_EQ(cy(1), 0.0);
  EXPECT_GT(cy(2), 0.0);
  EXPECT_LT(cy(2), 1.0);
}

// With a single indicator the closeness is (x - min) / (max - min) for a benefit indicator and
// (max - x) / (max - min) for a cost one: declaring the indicator a cost reverses the ranking.
TEST(Topsis, CostIndicatorFlipsRanking) {
  const Eigen::MatrixXd x = random_matrix(30, 1, 60);
  const Eigen::VectorXd w = Eigen::VectorXd::Ones(1);
  const Eigen::VectorXd cb = topsis_closeness(x, w, {1});
  const Eigen::VectorXd cc = topsis_closeness(x, w, {-1});
  EXPECT_LT((cb + cc - Eigen::VectorXd::Ones(30)).cwiseAbs().maxCoeff(), 1e-12);
  const std::vector<double> rb = stats::rank_descending(to_vector(cb));
  const std::vector<double> rc = stats::rank_descending(to_vector(cc));
  for (std::size_t i = 0; i < rb.size(); ++i) EXPECT_EQ(rb[i] + rc[i], 31.0) << "row " << i;

  // Same through the full pipeline, with two copies of one indicator (weights 1/2 each whatever
  // the direction): closeness becomes 1 - closeness.
  Eigen::MatrixXd raw(30, 2);
  raw.col(0) = x.col(0);
  raw.col(1) = x.col(0);
  const Eigen::MatrixXd sb = minmax_standardize(raw, {1, 1});
  const Eigen::MatrixXd sc = minmax_standardize(raw, {-1, -1});
  const Eigen::VectorXd ones = Eigen::VectorXd::Ones(2), zeros = Eigen::VectorXd::Zero(2);
  const Eigen::VectorXd pb =
      topsis_closeness(sb, entropy_weights_from_standardized(sb, 0.0), ones, zeros);
  const Eigen::VectorXd pc =
      topsis_closeness(sc, entropy_weights_from_standardized(sc, 0.0), ones, zeros);
  EXPECT_LT((pb + pc - Eigen::VectorXd::Ones(30)).cwiseAbs().maxCoeff(), 1e-12);
}

// A strictly increasing transform of a single indicator (here log) changes the scores but never
// the ranking; a decreasing one (here 1/x) reverses it.
TEST(Topsis, MonotoneTransformKeepsSingleIndicatorRanking) {
  const Eigen::MatrixXd x = random_matrix(40, 1, 70, 1.0, 1000.0);
  const Eigen::MatrixXd lx = x.array().log();
  const Eigen::MatrixXd ix = x.array().inverse();
  const Eigen::VectorXd w = Eigen::VectorXd::Ones(1), one = w, zero = Eigen::VectorXd::Zero(1);
  const auto score = [&](const Eigen::MatrixXd& m) {
    return to_vector(topsis_closeness(minmax_standardize(m, {1}), w, one, zero));
  };
  const std::vector<double> r = stats::rank_descending(score(x));
  const std::vector<double> rl = stats::rank_descending(score(lx));
  const std::vector<double> ri = stats::rank_descending(score(ix));
  EXPECT_EQ(r, rl);
  for (std::size_t i = 0; i < r.size(); ++i) EXPECT_EQ(r[i] + ri[i], 41.0) << "row " << i;
}

// When every standardised column attains 0 and 1, the fixed ideals (1, 0) are the sample ideals.
TEST(Topsis, ExplicitIdealsMatchSampleIdeals) {
  const Eigen::MatrixXd raw = random_matrix(18, 3, 80);
  const Eigen::MatrixXd x = minmax_standardize(raw, {1, -1, 1});
  const Eigen::VectorXd w = entropy_weights_from_standardized(x, 0.0);
  const Eigen::VectorXd a = topsis_closeness(x, w, {1, 1, 1});
  const Eigen::VectorXd b =
      topsis_closeness(x, w, Eigen::VectorXd::Ones(3), Eigen::VectorXd::Zero(3));
  EXPECT_LT((a - b).cwiseAbs().maxCoeff(), 1e-14);
}

TEST(Topsis, BadArgumentsAreErrors) {
  const Eigen::MatrixXd x = random_matrix(4, 2, 90);
  EXPECT_THROW(topsis_closeness(x, Eigen::Vector3d(0.3, 0.3, 0.4), {1, 1}), Error);
  EXPECT_THROW(topsis_closeness(x, Eigen::Vector2d(-0.5, 1.5), {1, 1}), Error);
  EXPECT_THROW(topsis_closeness(x, Eigen::Vector2d(0.5, 0.5), {1, 2}), Error);
  EXPECT_THROW(topsis_closeness(x, Eigen::Vector2d(0.5, 0.5), Eigen::VectorXd::Ones(3),
                                Eigen::VectorXd::Zero(2)),
               Error);
}

}  // namespace
}  // namespace revest::index
