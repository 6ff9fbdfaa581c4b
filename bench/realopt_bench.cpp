// Benchmark (not a test): least squares Monte Carlo throughput on one core (issue 4, section 5).
//   build/bench/bench_realopt [paths]
//  1. Plain GBM path generation with revest's stream (Philox4x32-10 + Boost's ziggurat normal),
//     one exact log step and one exp per path-step, stored date-major: the practical limit.
//  2. Longstaff-Schwartz (2001) Table 1 put, S = 36, sigma = 0.2, T = 1, 50 dates, Laguerre order
//     3, antithetic, `paths` regression + `paths` pricing paths (path-steps counted over both).
//  3. A southwest project with every embedded option (defer, stage, expand, abandon; 5 states),
//     10 years x 4 dates, log-monomial order 8 (the analysis's default basis).
//  4. The same project with the dual upper bound (500 outer x 200 inner paths), once, and its
//     exact value on a binomial lattice (realopt/lattice.hpp).
// Each timing is the fastest of 3 runs (this shared VM's speed varies by up to 1.5x).
#include <boost/random/normal_distribution.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "analyses/real_options.hpp"
#include "core/rng.hpp"
#include "realopt/investment.hpp"
#include "realopt/lattice.hpp"
#include "realopt/lsm.hpp"

using namespace revest::realopt;
using Clock = std::chrono::steady_clock;

template <class F>
double fastest(F&& f) {
  double best = 1e300;
  for (int rep = 0; rep < 3; ++rep) {
    const auto t0 = Clock::now();
    f(rep);
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return best;
}

int main(int argc, char** argv) {
  const std::size_t paths = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100000;
  {
    const int steps = 50;
    std::vector<double> V(static_cast<std::size_t>(steps + 1) * paths);
    double sink = 0;
    const double sec = fastest([&](int rep) {
      revest::Rng rng(1, "bench/gbm", static_cast<std::uint32_t>(rep));
      boost::random::normal_distribution<double> nd;
      const double a = (0.06 - 0.02) / steps, c = 0.2 / std::sqrt(double(steps));
      for (std::size_t i = 0; i < paths; ++i) {
        double x = std::log(36.0);
        for (int k = 1; k <= steps; ++k) {
          x += a + c * nd(rng);
          V[static_cast<std::size_t>(k) * paths + i] = std::exp(x);
        }
      }
      sink += V[paths + 7];
    });
    std::printf("gbm_paths seconds=%.4f path_steps=%.0f rate_M=%.2f sink=%g\n", sec,
                double(paths) * steps, double(paths) * steps / sec / 1e6, sink > 0 ? 1.0 : 0.0);
  }
  {
    Process p;
    p.v0 = 36;
    p.r = 0.06;
    p.sigma = 0.2;
    LsmOptions o;
    o.horizon = 1;
    o.dates_per_year = 50;
    o.basis = Basis::kLaguerre;
    o.order = 3;
    o.regression_paths = o.pricing_paths = paths;
    o.boundary = false;
    Valuation r;
    const double sec = fastest([&](int rep) {
      revest::Rng rng(1, "bench/put", static_cast<std::uint32_t>(rep));
      r = value_lsm(p, american_put(40), o, rng);
    });
    std::printf(
        "lsm_put seconds=%.4f path_steps=%.0f rate_M=%.2f value=%.4f se=%.4f se_plain=%.4f "
        "fd=4.4778\n",
        sec, r.path_steps, r.path_steps / sec / 1e6, r.value, r.se, r.se_plain);
  }
  {
    const revest::analyses::RealOptionsOptions
        ro;  // the analysis's defaults: log_monomial of order 8
    // A median primary-sector county (data/README.md, section 8): V0 745, I = 1.1 V0, sigma 0.25.
    const revest::io::ProjectParams pp{745.0, 819.5, 0.25, 0.03, 0.08, 0.05,
                                       0.03,  10,    0.5,  -0.4, 0.02, -0.3};
    const Process process = revest::analyses::process_of(ro, pp);
    const Project project = make_project(ro.project, pp.investment, pp.horizon);
    LsmOptions o;
    o.horizon = 10;
    o.dates_per_year = 4;
    o.basis = Basis::kLogMonomial;
    o.order = ro.order;
    o.regression_paths = o.pricing_paths = paths;
    Valuation r;
    const double sec = fastest([&](int rep) {
      revest::Rng rng(1, "bench/project", static_cast<std::uint32_t>(rep));
      r = value_lsm(process, project, o, rng);
    });
    std::printf(
        "lsm_project seconds=%.4f path_steps=%.0f rate_M=%.2f value=%.3f se=%.3f npv=%.1f\n", sec,
        r.path_steps, r.path_steps / sec / 1e6, r.value, r.se, pp.v0 - pp.investment);
    // 4. The same valuation with the dual upper bound at the analysis's defaults (500 outer paths,
    // 200 inner paths per outer date), once: the bracket and what the bound costs.
    o.upper_bound = true;
    o.upper_outer = 500;
    o.upper_inner = 200;
    const auto t0 = Clock::now();
    revest::Rng rng(1, "bench/project", 0);
    const Valuation u = value_lsm(process, project, o, rng);
    const double su = std::chrono::duration<double>(Clock::now() - t0).count();
    const double exact = lattice_value(process, project, o.horizon, o.dates(), 100);
    std::printf(
        "lsm_project_dual seconds=%.2f value=%.3f se=%.3f upper=%.3f upper_se=%.3f gap_pct=%.2f "
        "lattice=%.2f\n",
        su, u.value, u.se, u.upper, u.upper_se, 100.0 * (u.upper - u.value) / u.value, exact);
  }
}
