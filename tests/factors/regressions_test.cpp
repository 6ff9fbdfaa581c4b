// Regressions of efficiency scores on their factors (src/factors/regressions.hpp): Tobit,
// fractional QML and OLS recover known coefficients on generated data; the estimates maximise
// the likelihoods written from their definitions; partial effects equal numerical derivatives.
#include "factors/regressions.hpp"

#include <gtest/gtest.h>

#include <boost/random/normal_distribution.hpp>
#include <cmath>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace revest::factors {
namespace {

struct Data {
  Eigen::VectorXd y;
  Eigen::MatrixXd X;
  std::vector<int> cluster;
};

// Tobit truth: y* = 0.7 + 0.2 z1 - 0.1 z2 + e, e ~ N(0, 0.15^2), censored at 1 (and at 0).
Data tobit_data(Eigen::Index n, std::uint32_t seed) {
  Rng rng(seed, "tobit_data", 0);
  boost::random::normal_distribution<double> z;
  Data d;
  d.y.resize(n);
  d.X.resize(n, 3);
  for (Eigen::Index i = 0; i < n; ++i) {
    d.X.row(i) << 1, z(rng), z(rng);
    const double ystar = 0.7 + 0.2 * d.X(i, 1) - 0.1 * d.X(i, 2) + 0.15 * z(rng);
    d.y[i] = std::clamp(ystar, 0.0, 1.0);
    d.cluster.push_back(static_cast<int>(i % 40));
  }
  return d;
}

// Fractional truth: E[y | x] = Lambda(0.5 + 0.8 z1 - 0.4 z2), y ~ Beta with that mean
// (precision 20), drawn as a ratio of gammas by inversion-free normal approximations: y = mean
// + noise clipped to [0, 1] would bias it, so Beta draws come from two chi-squares.
Data fractional_data(Eigen::Index n, std::uint32_t seed) {
  Rng rng(seed, "frac_data", 0);
  boost::random::normal_distribution<double> z;
  auto gamma_int = [&](int shape2) {  // chi-squared with shape2 degrees of freedom / 2
    double s = 0;
    for (int j = 0; j < shape2; ++j) {
      const double v = z(rng);
      s += v * v;
    }
    return s / 2;
  };
  Data d;
  d.y.resize(n);
  d.X.resize(n, 3);
  for (Eigen::Index i = 0; i < n; ++i) {
    d.X.row(i) << 1, z(rng), z(rng);
    const double mu = 1 / (1 + std::exp(-(0.5 + 0.8 * d.X(i, 1) - 0.4 * d.X(i, 2))));
    // Beta(a, b) with a + b about 20, a / (a + b) = mu: degrees of freedom rounded to integers
    // make the mean mu only approximately; use the exact mean of the draw's parameters below.
    const int a2 = std::max(1, static_cast<int>(std::lround(40 * mu)));
    const int b2 = std::max(1, static_cast<int>(std::lround(40 * (1 - mu))));
    const double ga = gamma_int(a2), gb = gamma_int(b2);
    d.y[i] = ga / (ga + gb);
  }
  return d;
}

const std::vector<std::string> kNames = {"const", "z1", "z2"};

TEST(Tobit, RecoversKnownCoefficientsAndMaximisesItsLikelihood) {
  for (Censoring c : {Censoring::kUpper, Censoring::kBoth}) {
    Data d = tobit_data(4000, 1);
    if (c == Censoring::kUpper)
      for (Eigen::Index i = 0; i < d.y.size(); ++i) d.y[i] = std::max(d.y[i], 0.0001);
    TobitOptions o;
    o.censoring = c;
    const RegressionResult r = tobit(d.y, d.X, kNames, o, d.cluster);
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    std::cout << r.brief_report() << "\n";
    EXPECT_GT(r.censored_upper, 200u);
    const double truth[3] = {0.7, 0.2, -0.1};
    for (int j = 0; j < 3; ++j)
      EXPECT_NEAR(r.coefficients[static_cast<std::size_t>(j)].estimate, truth[j],
                  4 * r.coefficients[static_cast<std::size_t>(j)].se)
          << j;
    EXPECT_NEAR(r.sigma, 0.15, 0.01);
    // The likelihood from its definition: the estimate is a maximum.
    Eigen::VectorXd b(3);
    for (int j = 0; j < 3; ++j) b[j] = r.coefficients[static_cast<std::size_t>(j)].estimate;
    const double ll = tobit_loglik(d.y, d.X, b, r.sigma, o);
    EXPECT_NEAR(ll, r.log_likelihood, 1e-8 * std::abs(ll));
    for (int j = 0; j < 4; ++j)
      for (double h : {-1e-3, 1e-3}) {
        Eigen::VectorXd bb = b;
        double s = r.sigma;
        if (j < 3)
          bb[j] += h;
        else
          s += h;
        EXPECT_LT(tobit_loglik(d.y, d.X, bb, s, o), ll) << j << " " << h;
      }
    // Average partial effect on E[y | x] = the derivative of the sample-mean prediction
    // E[min(max(y*, L), U)], y* ~ N(x b, s^2), when every x_j moves by h.
    auto mean_pred = [&](const Eigen::MatrixXd& X) {
      const double U = 1, s = r.sigma;
      const bool both = c == Censoring::kBoth;
      auto Phi = [](double v) { return 0.5 * std::erfc(-v / std::sqrt(2.0)); };
      auto phi = [](double v) { return std::exp(-0.5 * v * v) / std::sqrt(2 * M_PI); };
      double m = 0;
      for (Eigen::Index i = 0; i < X.rows(); ++i) {
        const double xb = X.row(i).dot(b), u = (U - xb) / s;
        const double Pl = both ? Phi(-xb / s) : 0.0, pl = both ? phi(-xb / s) : 0.0;
        m += U * (1 - Phi(u)) + xb * (Phi(u) - Pl) + s * (pl - phi(u));
      }
      return m / static_cast<double>(X.rows());
    };
    for (int j = 1; j < 3; ++j) {
      const double h = 1e-5;
      Eigen::MatrixXd Xp = d.X;
      Xp.col(j).array() += h;
      EXPECT_NEAR(r.partial_effects[static_cast<std::size_t>(j)].estimate,
                  (mean_pred(Xp) - mean_pred(d.X)) / h, 1e-4)
          << j;
    }
  }
}

TEST(Fractional, RecoversKnownCoefficientsWithRobustErrors) {
  const Data d = fractional_data(4000, 2);
  const RegressionResult r = fractional(d.y, d.X, kNames, Link::kLogit);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  std::cout << r.brief_report() << "\n";
  const double truth[3] = {0.5, 0.8, -0.4};
  for (int j = 0; j < 3; ++j) {
    const Coefficient& c = r.coefficients[static_cast<std::size_t>(j)];
    EXPECT_NEAR(c.estimate, truth[j], 4 * c.se_robust + 0.03) << j;  // 0.03: rounded Beta shapes
    EXPECT_TRUE(std::isnan(c.se));
  }
  // Maximum of the quasi-likelihood from its definition.
  Eigen::VectorXd b(3);
  for (int j = 0; j < 3; ++j) b[j] = r.coefficients[static_cast<std::size_t>(j)].estimate;
  const double ll = fractional_loglik(d.y, d.X, b, Link::kLogit);
  EXPECT_NEAR(ll, r.log_likelihood, 1e-8 * std::abs(ll));
  for (int j = 0; j < 3; ++j)
    for (double h : {-1e-3, 1e-3}) {
      Eigen::VectorXd bb = b;
      bb[j] += h;
      EXPECT_LT(fractional_loglik(d.y, d.X, bb, Link::kLogit), ll);
    }
  // APE = derivative of the mean prediction.
  for (int j = 1; j < 3; ++j) {
    const double h = 1e-6;
    double m0 = 0, m1 = 0;
    for (Eigen::Index i = 0; i < d.y.size(); ++i) {
      const double z = d.X.row(i).dot(b);
      m0 += 1 / (1 + std::exp(-z));
      m1 += 1 / (1 + std::exp(-(z + b[j] * h)));
    }
    EXPECT_NEAR(r.partial_effects[static_cast<std::size_t>(j)].estimate,
                (m1 - m0) / (h * static_cast<double>(d.y.size())), 1e-6);
  }
  // The probit link fits too, with APEs close to the logit's.
  const RegressionResult p = fractional(d.y, d.X, kNames, Link::kProbit);
  ASSERT_TRUE(p.status.ok());
  EXPECT_NEAR(p.partial_effects[1].estimate, r.partial_effects[1].estimate, 0.01);
}

TEST(Ols, RobustAndClusteredErrors) {
  const Data d = tobit_data(500, 3);
  const RegressionResult r = ols(d.y, d.X, kNames);
  const RegressionResult c = ols(d.y, d.X, kNames, d.cluster);
  EXPECT_EQ(r.coefficients[1].estimate, c.coefficients[1].estimate);
  EXPECT_NE(r.coefficients[1].se_robust, c.coefficients[1].se_robust);
  EXPECT_EQ(c.clusters, 40u);
  // HC1 by hand for one coefficient.
  const Eigen::MatrixXd XtXi = (d.X.transpose() * d.X).inverse();
  Eigen::VectorXd b(3);
  for (int j = 0; j < 3; ++j) b[j] = r.coefficients[static_cast<std::size_t>(j)].estimate;
  const Eigen::VectorXd e = d.y - d.X * b;
  Eigen::MatrixXd M = Eigen::MatrixXd::Zero(3, 3);
  for (Eigen::Index i = 0; i < 500; ++i) M += e[i] * e[i] * d.X.row(i).transpose() * d.X.row(i);
  const Eigen::MatrixXd V = 500.0 / 497.0 * XtXi * M * XtXi;
  EXPECT_NEAR(r.coefficients[1].se_robust, std::sqrt(V(1, 1)), 1e-12);
}

// Regressors in very different units (GDP per capita in yuan beside shares) used to stop the
// maximisations at a failed line search: the estimators now optimise on columns of unit size.
// Scaling a regressor by c scales its coefficient, standard errors and partial effect by 1 / c and
// changes nothing else.
TEST(Factors, RegressorUnitsDoNotMatter) {
  const Data d = tobit_data(500, 31);
  Eigen::MatrixXd X = d.X;
  X.col(1) *= 5e4;   // yuan
  X.col(2) *= 1e-3;  // a share
  const Eigen::VectorXd c{{1.0, 5e4, 1e-3}};
  const Eigen::VectorXd yf = d.y.cwiseMax(1e-3);
  const RegressionResult t0 = tobit(d.y, d.X, {}, {}, d.cluster),
                         t1 = tobit(d.y, X, {}, {}, d.cluster);
  const RegressionResult f0 = fractional(yf, d.X, {}, Link::kProbit, d.cluster),
                         f1 = fractional(yf, X, {}, Link::kProbit, d.cluster);
  for (const auto* pair : {&t0, &f0}) {
    const RegressionResult& a = *pair;
    const RegressionResult& b = pair == &t0 ? t1 : f1;
    ASSERT_TRUE(a.status.ok()) << a.status.to_string();
    ASSERT_TRUE(b.status.ok()) << b.status.to_string();
    EXPECT_NEAR(a.log_likelihood, b.log_likelihood, 1e-9 * std::abs(a.log_likelihood));
    for (Eigen::Index j = 0; j < 3; ++j) {
      const auto k = static_cast<std::size_t>(j);
      EXPECT_NEAR(b.coefficients[k].estimate * c[j], a.coefficients[k].estimate,
                  1e-6 * std::abs(a.coefficients[k].estimate))
          << a.model << " " << j;
      EXPECT_NEAR(b.coefficients[k].se_robust * c[j], a.coefficients[k].se_robust,
                  1e-4 * a.coefficients[k].se_robust)
          << a.model << " " << j;
      EXPECT_NEAR(b.partial_effects[k].estimate * c[j], a.partial_effects[k].estimate,
                  1e-6 * std::abs(a.partial_effects[k].estimate))
          << a.model << " " << j;
    }
  }
}

TEST(Factors, ClearErrors) {
  Data d = tobit_data(50, 4);
  d.y[3] = 1.2;
  EXPECT_THROW(tobit(d.y, d.X, kNames), Error);
  EXPECT_THROW(fractional(d.y, d.X, kNames), Error);
  d = tobit_data(50, 4);
  d.X.col(2) = d.X.col(1);
  EXPECT_THROW(ols(d.y, d.X, kNames), Error);
  d = tobit_data(50, 4);
  d.y.setOnes();
  EXPECT_THROW(tobit(d.y, d.X, kNames), Error);
}

}  // namespace
}  // namespace revest::factors
