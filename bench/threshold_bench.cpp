// Speed of Hansen's panel threshold regression (issue 20, section 3), one process, one core:
// Hansen's investment panel (7,910 observations), single and double threshold, 400 grid points,
// B bootstrap replications per test, by revest's grid search (cross-products updated along the
// sorted threshold variable) and by the straightforward implementation (one within regression
// per grid point: ThresholdProblem::use_naive_search), in the same run. The straightforward one
// runs B_naive replications (default 20) and its time for B is extrapolated (its cost per
// replication is constant), so the run stays short. Times are processor seconds.
//   build/bench/bench_threshold [B] [B_naive]
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>

#include "../tests/threshold/invest.hpp"
#include "threshold/panel_threshold.hpp"

using namespace revest;

namespace {
// Processor time of this process (the figures stay comparable when the machine is busy).
double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }
}  // namespace

int main(int argc, char** argv) try {
  const std::size_t B = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 300;
  const std::size_t Bn = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 20;
  const threshold::ThresholdData d =
      test::hansen_invest(REVEST_SOURCE_DIR "/tests/threshold/data/invest.csv");
  threshold::ThresholdOptions o;
  o.max_thresholds = 2;
  o.trim = {0.01, 0.01};
  auto run = [&](bool naive, std::size_t reps, double* point_s) {
    threshold::ThresholdProblem p(d, o);
    p.use_naive_search(naive);
    const double t0 = cpu_seconds();
    const threshold::ThresholdResult r = threshold::threshold_estimates(p);
    *point_s = cpu_seconds() - t0;
    const double t1 = cpu_seconds();
    for (const threshold::ThresholdTest& t : r.tests) {
      const auto [fitted, resid] =
          p.fit(d.y, r.models[static_cast<std::size_t>(t.m - 1)].thresholds);
      for (std::size_t b = 0; b < reps; ++b) {
        Rng rng =
            RngKey(1, "bench")
                .stream(0)
                .for_replication(static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(t.m));
        (void)p.bootstrap_F(t.m, fitted, resid, rng);
      }
    }
    std::printf("  thresholds %.5f / %.5f, %.5f\n", r.models[1].thresholds[0],
                r.models[2].thresholds[0], r.models[2].thresholds[1]);
    return cpu_seconds() - t1;
  };
  double pf = 0, pn = 0;
  const double bf = run(false, B, &pf);
  const double bn = run(true, Bn, &pn) * static_cast<double>(B) / static_cast<double>(Bn);
  std::printf(
      "| implementation | estimation (1 + 2 thresholds) | bootstrap, B = %zu per test | total |\n",
      B);
  std::printf("|---|---|---|---|\n");
  std::printf("| revest (updated cross-products) | %.3f s | %.2f s | %.2f s |\n", pf, bf, pf + bf);
  std::printf(
      "| one regression per grid point | %.3f s | %.1f s (from %zu replications) | %.1f s |\n", pn,
      bn, Bn, pn + bn);
  std::printf("ratio %.0fx\n", (pn + bn) / (pf + bf));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_threshold: %s\n", e.what());
  return 1;
}
