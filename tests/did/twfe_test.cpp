// TWFE and its event study (src/did/twfe.hpp) against the dummy-variable regression computed
// directly, on mpdta (balanced) and with observations removed (unbalanced).
#include "did/twfe.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "did/callaway_santanna.hpp"
#include "did/mpdta.hpp"
#include "did/wild_bootstrap.hpp"
#include "test_support.hpp"

namespace revest::did {
namespace {

// The dummy-variable regression of y on the design's regressors (before the transformation),
// unit dummies and period dummies (the first period left out), on the observed cells; returns
// the first k coefficients and their CRV1 standard errors with K = k + T - 1 (unit dummies nested
// in the unit clusters), clustered by unit.
struct Direct {
  Eigen::VectorXd beta, se;
};
Direct dummy_regression(const StaggeredPanel& p, bool event_study, int leads, int lags) {
  const Eigen::Index N = p.y.rows(), T = p.y.cols();
  std::vector<std::pair<Eigen::Index, Eigen::Index>> obs;
  for (Eigen::Index i = 0; i < N; ++i)
    for (Eigen::Index t = 0; t < T; ++t)
      if (std::isfinite(p.y(i, t))) obs.emplace_back(i, t);
  std::vector<int> es;
  for (int e = -leads; e <= lags; ++e)
    if (e != -1) es.push_back(e);
  const Eigen::Index k = event_study ? static_cast<Eigen::Index>(es.size()) : 1;
  const auto n = static_cast<Eigen::Index>(obs.size());
  Eigen::MatrixXd X = Eigen::MatrixXd::Zero(n, k + N + T - 1);
  Eigen::VectorXd y(n);
  for (Eigen::Index r = 0; r < n; ++r) {
    const auto [i, t] = obs[static_cast<std::size_t>(r)];
    const int g = p.first_treat[static_cast<std::size_t>(i)],
              per = p.periods[static_cast<std::size_t>(t)];
    if (g != 0) {
      if (event_study) {
        const int e = std::clamp(per - g, -leads, lags);
        const auto it = std::find(es.begin(), es.end(), e);
        if (it != es.end()) X(r, it - es.begin()) = 1;
      } else {
        X(r, 0) = per >= g ? 1 : 0;
      }
    }
    X(r, k + i) = 1;
    if (t > 0) X(r, k + N + t - 1) = 1;
    y[r] = p.y(i, t);
  }
  const Eigen::MatrixXd Q =
      (X.transpose() * X).ldlt().solve(Eigen::MatrixXd::Identity(X.cols(), X.cols()));
  const Eigen::VectorXd b = Q * X.transpose() * y, u = y - X * b;
  Eigen::MatrixXd meat = Eigen::MatrixXd::Zero(X.cols(), X.cols());
  for (Eigen::Index i = 0; i < N; ++i) {
    Eigen::VectorXd s = Eigen::VectorXd::Zero(X.cols());
    for (Eigen::Index r = 0; r < n; ++r)
      if (obs[static_cast<std::size_t>(r)].first == i) s += X.row(r).transpose() * u[r];
    meat += s * s.transpose();
  }
  const double G = static_cast<double>(N), K = static_cast<double>(k + T - 1);
  const double m = G / (G - 1) * static_cast<double>(n - 1) / (static_cast<double>(n) - K);
  const Eigen::MatrixXd V = m * Q * meat * Q;
  return {b.head(k), V.diagonal().head(k).cwiseSqrt()};
}

TEST(Twfe, StaticCoefficientEqualsTheDummyRegressionOnMpdta) {
  const StaggeredPanel p = test::mpdta();
  const TwfeDesign d = twfe_design(p, false, {}, {});
  EXPECT_EQ(d.sweeps, 1);  // balanced: exact in one sweep
  const TwfeResult r = fit_twfe(d);
  const Direct x = dummy_regression(p, false, 4, 4);
  ASSERT_EQ(r.coefficients.size(), 1u);
  EXPECT_NEAR(r.coefficients[0].estimate, x.beta[0], 1e-10);
  EXPECT_NEAR(r.coefficients[0].se, x.se[0], 1e-8 * x.se[0]);
  EXPECT_EQ(r.observations, 2500u);
  EXPECT_EQ(r.clusters, 500u);
  std::cout << r.brief_report() << "\n";
  // R fixest (feols(lemp ~ post | countyreal + year, cluster = "countyreal"), printed in the
  // README of the did package's TWFE-weights example): estimate -0.036549, s.e. 0.013265. The
  // estimate agrees to its 6 decimals. fixest's small-sample factor counts the 5 year effects
  // (K = 6); revest counts T - 1 = 4 of them (K = 5, Stata reghdfe's convention: one year effect is
  // redundant with the unit effects), so revest's s.e. is fixest's times sqrt((N - 6) / (N - 5)):
  // with that factor undone it matches fixest to the printed 5 significant digits.
  EXPECT_NEAR(r.coefficients[0].estimate, -0.036549, 0.5e-6);
  EXPECT_NEAR(r.coefficients[0].se * std::sqrt((2500.0 - 5) / (2500.0 - 6)), 0.013265, 0.5e-6);
  EXPECT_GT(std::abs(r.coefficients[0].se - 0.013265), 1e-6);  // the conventions do differ
  // The same standard error from the wild-bootstrap problem on the transformed data.
  WildBootstrapOptions wo;
  wo.absorbed = d.absorbed;
  const WildProblem w(d.X, d.y, d.cluster, Eigen::VectorXd::Ones(1), wo);
  EXPECT_NEAR(w.se(), r.coefficients[0].se, 1e-12 * w.se());
}

TEST(Twfe, EventStudyWithBinnedEndPointsAndUnbalancedPanel) {
  StaggeredPanel p = test::mpdta();
  // Remove some observations: unbalanced; the transformation then needs several sweeps.
  for (Eigen::Index i = 0; i < p.y.rows(); i += 7) p.y(i, (i / 7) % 5) = std::nan("");
  TwfeOptions o;
  o.leads = 3;
  o.lags = 2;  // e >= 2 binned (e = 3 of the 2004 cohort counts as 2)
  const TwfeDesign d = twfe_design(p, true, {}, {}, o);
  EXPECT_GT(d.sweeps, 1);
  const TwfeResult r = fit_twfe(d);
  const Direct x = dummy_regression(p, true, 3, 2);
  ASSERT_EQ(r.coefficients.size(), 5u);  // e = -3, -2, 0, 1, 2
  EXPECT_EQ(r.coefficients[0].event_time, -3);
  EXPECT_EQ(r.coefficients[2].event_time, 0);
  for (std::size_t j = 0; j < 5; ++j) {
    EXPECT_NEAR(r.coefficients[j].estimate, x.beta[static_cast<Eigen::Index>(j)], 1e-9) << j;
    EXPECT_NEAR(r.coefficients[j].se, x.se[static_cast<Eigen::Index>(j)],
                1e-6 * x.se[static_cast<Eigen::Index>(j)])
        << j;
  }
  // Bad input: a window without the reference period, a covariate of the wrong shape.
  o.leads = 0;
  EXPECT_THROW(twfe_design(p, true, {}, {}, o), Error);
  EXPECT_NE(test::error_of([&] {
              twfe_design(p, false, {Eigen::MatrixXd::Zero(3, 3)}, {});
            }).find("a covariate is 3 x 3"),
            std::string::npos);
}

// Sun-Abraham on mpdta (balanced, never-treated controls): the interacted regression is
// saturated in cohort x period, so each delta_ge equals Callaway-Sant'Anna's ATT(g, g + e) with
// the never-treated comparison and the universal base period g - 1, and the interaction-weighted
// estimate of e (cohort shares of the observations at e) equals their dynamic aggregation (weights
// P(G = g)): to 1e-10. Without never-treated units the last cohort is the control.
TEST(Twfe, SunAbrahamEqualsCallawaySantAnnaUniversalBaseOnABalancedPanel) {
  const StaggeredPanel p = test::mpdta();
  const SunAbrahamResult sa = sun_abraham(p);
  EXPECT_EQ(sa.control_cohort, 0);
  CsOptions o;
  o.base = BasePeriod::kUniversal;
  const CsResult cs = callaway_santanna(p, o);
  ASSERT_EQ(sa.interacted.coefficients.size(), 3u * 4u);  // 3 cohorts x 4 relative periods
  for (std::size_t k = 0; k < sa.cohort_of.size(); ++k) {
    const int g = sa.cohort_of[k], t = g + sa.event_of[k];
    for (const AttCell& c : cs.cells) {
      if (c.group == g && c.period == t) {
        EXPECT_NEAR(sa.interacted.coefficients[k].estimate, c.att, 1e-10) << g << " " << t;
      }
    }
  }
  for (std::size_t k = 0; k < sa.event_time.size(); ++k) {
    const auto it = std::find(cs.dynamic.key.begin(), cs.dynamic.key.end(), sa.event_time[k]);
    ASSERT_NE(it, cs.dynamic.key.end());
    EXPECT_NEAR(sa.estimate[k],
                cs.dynamic.att[static_cast<std::size_t>(it - cs.dynamic.key.begin())], 1e-10)
        << sa.event_time[k];
    EXPECT_GT(sa.se[k], 0.0);
  }
  EXPECT_EQ(std::find(sa.event_time.begin(), sa.event_time.end(), -1), sa.event_time.end());
  // No never-treated units: cohort 2007 is the control, periods from 2007 on are dropped.
  StaggeredPanel treated_only = p;
  for (Eigen::Index i = 0; i < p.y.rows(); ++i) {
    if (p.first_treat[static_cast<std::size_t>(i)] == 0) {
      treated_only.y.row(i).setConstant(std::nan(""));
    }
  }
  const SunAbrahamResult last = sun_abraham(treated_only);
  EXPECT_EQ(last.control_cohort, 2007);
  for (int g : last.cohort_of) EXPECT_NE(g, 2007);
  EXPECT_EQ(last.interacted.observations, (20u + 40u + 131u) * 4u);  // 2003-2006
}

// Spatial spillovers with known truth: units on a ring (each neighbour of the next, W row-
// standardised), staggered adoption in three cohorts; the outcome rises by 2 when treated and by
// 0.8 x exposure when untreated with treated neighbours. spillover_did recovers 2 and 0.8 (within
// 4 standard errors); TWFE without the exposure is biased downwards (its controls are lifted by
// the spillover).
TEST(Twfe, SpilloverDidRecoversDirectAndSpilloverEffects) {
  const int N = 600, T = 8;
  Rng rng(77, "spill", 0);
  StaggeredPanel p;
  for (int t = 0; t < T; ++t) p.periods.push_back(2010 + t);
  p.first_treat.resize(N);
  for (int i = 0; i < N; ++i) {
    const double u = rng.uniform01();
    p.first_treat[static_cast<std::size_t>(i)] = u < 0.15  ? 2013
                                                 : u < 0.3 ? 2015
                                                 : u < 0.4 ? 2016
                                                           : 0;
  }
  std::vector<Eigen::Triplet<double>> tr;
  for (int i = 0; i < N; ++i) {
    tr.emplace_back(i, (i + 1) % N, 0.5);
    tr.emplace_back(i, (i + N - 1) % N, 0.5);
  }
  Eigen::SparseMatrix<double> W(N, N);
  W.setFromTriplets(tr.begin(), tr.end());
  p.y.resize(N, T);
  auto treated = [&](int i, int t) {
    const int g = p.first_treat[static_cast<std::size_t>(i)];
    return g != 0 && 2010 + t >= g;
  };
  for (int i = 0; i < N; ++i) {
    const double a = rng.uniform01() * 3;
    for (int t = 0; t < T; ++t) {
      const double s = 0.5 * (treated((i + 1) % N, t) + treated((i + N - 1) % N, t));
      const double e =
          std::sqrt(-2 * std::log(rng.uniform01())) * std::cos(6.2831853 * rng.uniform01());
      p.y(i, t) = a + 0.3 * t + (treated(i, t) ? 2.0 : 0.8 * s) + 0.5 * e;
    }
  }
  const SpilloverResult r = spillover_did(p, W);
  const auto& c = r.fit.coefficients;
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[1].term, "spillover_untreated");
  EXPECT_NEAR(c[0].estimate, 2.0, 4 * c[0].se);
  EXPECT_NEAR(c[1].estimate, 0.8, 4 * c[1].se);
  EXPECT_NEAR(c[2].estimate, 0.0, 4 * c[2].se);  // no change of the direct effect with exposure
  EXPECT_GT(r.mean_exposure_treated, 0.0);
  EXPECT_NEAR(r.direct_at_mean_exposure, c[0].estimate + r.mean_exposure_treated * c[2].estimate,
              1e-12);
  const double naive = fit_twfe(twfe_design(p, false, {}, {})).coefficients[0].estimate;
  EXPECT_LT(naive, 2.0 - 4 * c[0].se);
  EXPECT_THROW(spillover_did(p, Eigen::SparseMatrix<double>(3, 3)), Error);
}

}  // namespace
}  // namespace revest::did
