// GCC 12 reports false "may be used uninitialized" warnings inside Boost's Poisson sampler (the
// PTRD branch's members, unused for small means) when it is inlined here.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "realopt/process.hpp"

#include <gtest/gtest.h>

#include <boost/math/distributions/normal.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/poisson_distribution.hpp>
#include <cmath>

#include "core/error.hpp"
#include "core/rng.hpp"

using namespace revest::realopt;

namespace {

// Simulates ln V_T with `steps` exact steps; returns the sample mean of V_T and of the
// discounted call payoff max(V_T - K, 0).
void simulate(const Process& p, double T, int steps, int n, double K, double& mean_v,
              double& call) {
  revest::Rng rng(5, "process-test", static_cast<std::uint32_t>(p.kind));
  boost::random::normal_distribution<double> nd;
  const Stepper st(p, T / steps, false);
  boost::random::poisson_distribution<int, double> pd(st.has_jumps() ? st.lambda_dt() : 1.0);
  auto jumps = [&]() {
    const int m = pd(rng);
    return m == 0 ? 0.0 : m * p.jump_mean + std::sqrt(double(m)) * p.jump_sd * nd(rng);
  };
  mean_v = call = 0.0;
  for (int i = 0; i < n; ++i) {
    double x = std::log(p.v0);
    for (int k = 0; k < steps; ++k) x = st.next(x, nd(rng), jumps);
    mean_v += std::exp(x);
    call += std::max(std::exp(x) - K, 0.0);
  }
  mean_v /= n;
  call *= std::exp(-p.r * T) / n;
}

}  // namespace

// Black-Scholes-Merton with a payout yield, written out (Hull, Options, Futures and Other
// Derivatives, ch. 17): S = 100, K = 95, r = 0.05, q = 0.02, sigma = 0.25, T = 1.5.
TEST(Process, GbmEuropeanIsBlackScholes) {
  Process p;
  p.v0 = 100;
  p.r = 0.05;
  p.delta = 0.02;
  p.sigma = 0.25;
  const boost::math::normal N;
  const double T = 1.5, K = 95, s = 0.25 * std::sqrt(T);
  const double d1 = (std::log(100 / K) + (0.05 - 0.02 + 0.5 * 0.0625) * T) / s;
  const double call =
      100 * std::exp(-0.02 * T) * cdf(N, d1) - K * std::exp(-0.05 * T) * cdf(N, d1 - s);
  const double put =
      K * std::exp(-0.05 * T) * cdf(N, s - d1) - 100 * std::exp(-0.02 * T) * cdf(N, -d1);
  EXPECT_NEAR(european_value(p, T, 1.0, K), call, 1e-12);
  EXPECT_NEAR(european_value(p, T, -1.0, -K), put, 1e-12);
  // Scaled payoffs: max(2 V - 190, 0) = 2 max(V - 95, 0); a payoff that is always positive.
  EXPECT_NEAR(european_value(p, T, 2.0, 190.0), 2 * call, 1e-12);
  EXPECT_NEAR(european_value(p, T, 1.0, -10.0),
              100 * std::exp(-0.02 * T) + 10 * std::exp(-0.05 * T), 1e-12);
  EXPECT_EQ(european_value(p, T, -1.0, 5.0), 0.0);
}

// Every process: the exact stepping reproduces the closed-form mean of V_T and European call
// (Monte Carlo, 200,000 paths; tolerance 4 standard errors, estimated from the payoff scale).
TEST(Process, SimulationMatchesClosedForms) {
  Process g;
  g.v0 = 100;
  g.r = 0.05;
  g.delta = 0.03;
  g.sigma = 0.3;
  Process mr = g;
  mr.kind = ProcessKind::kMeanReverting;
  mr.kappa = 0.5;
  mr.long_run = 130;
  Process jd = g;
  jd.kind = ProcessKind::kJumpDiffusion;
  jd.jump_intensity = 0.4;
  jd.jump_mean = -0.2;
  jd.jump_sd = 0.25;
  for (const Process& p : {g, mr, jd}) {
    const double T = 2.0;
    double m = 0, v = 0;
    log_moments(p, T, 0, m, v);
    double mean_v = 0, call = 0;
    simulate(p, T, 8, 200000, 100, mean_v, call);
    const double cf = european_value(p, T, 1.0, 100.0);
    EXPECT_NEAR(call, cf, 4 * 60.0 / std::sqrt(200000.0)) << to_string(p.kind);
    if (p.kind != ProcessKind::kMeanReverting)  // risk-neutral forward: V0 e^{(r - delta) T}
      EXPECT_NEAR(mean_v, 100 * std::exp(0.02 * T), 4 * 60.0 / std::sqrt(200000.0))
          << to_string(p.kind);
    else  // lognormal mean
      EXPECT_NEAR(mean_v, std::exp(m + 0.5 * v), 4 * 60.0 / std::sqrt(200000.0));
  }
  // Merton's series with no jumps is Black-Scholes.
  Process j0 = jd;
  j0.jump_intensity = 0.0;
  EXPECT_NEAR(european_value(j0, 2.0, 1.0, 100.0), european_value(g, 2.0, 1.0, 100.0), 1e-12);
}

TEST(Process, ValidationNamesTheProblem) {
  Process p;
  p.sigma = -0.1;
  try {
    p.validate("county 510101 mode primary");
    FAIL();
  } catch (const revest::Error& e) {
    EXPECT_NE(std::string(e.what()).find("county 510101 mode primary"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("sigma"), std::string::npos);
  }
  Process m;
  m.kind = ProcessKind::kMeanReverting;
  EXPECT_THROW(m.validate("x"), revest::Error);  // kappa = 0
}
