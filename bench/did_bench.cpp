// Speed of the DID family (issue 19, section 4), one process, one core:
//  1. Callaway-Sant'Anna ATT(g, t) with all aggregations and 1,000 multiplier-bootstrap draws of
//     the event study on a generated panel of N units x 10 periods (4 cohorts and never treated,
//     effects growing with time since adoption): time and peak memory (getrusage).
//  2. The wild cluster bootstrap (WCR, B = 99,999) of the TWFE coefficient on 512 counties x 12
//     years, with 5 province clusters (Webb weights: 6^5 = 7,776 draws, enumerated) and with 50
//     prefecture-like clusters (Rademacher, 99,999 random draws), p-value and test inversion.
//   build/bench/bench_did [N]
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/rng.hpp"
#include "did/callaway_santanna.hpp"
#include "did/twfe.hpp"
#include "did/wild_bootstrap.hpp"

using namespace revest;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double peak_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

did::StaggeredPanel generate(Eigen::Index N, Eigen::Index T, std::uint32_t seed) {
  Rng rng(seed, "did_bench", 0);
  did::StaggeredPanel p;
  for (Eigen::Index t = 0; t < T; ++t) p.periods.push_back(2011 + static_cast<int>(t));
  p.y.resize(N, T);
  p.first_treat.resize(static_cast<std::size_t>(N));
  const int cohorts[4] = {2014, 2016, 2018, 2019};
  for (Eigen::Index i = 0; i < N; ++i) {
    const double u = rng.uniform01();
    const int g = u < 0.5 ? 0 : cohorts[static_cast<int>((u - 0.5) * 8)];
    p.first_treat[static_cast<std::size_t>(i)] = g;
    const double a = rng.uniform01();
    for (Eigen::Index t = 0; t < T; ++t) {
      const int year = p.periods[static_cast<std::size_t>(t)];
      const double effect = g != 0 && year >= g ? 0.1 * (1 + year - g) : 0.0;
      p.y(i, t) = a + 0.02 * static_cast<double>(t) + effect + 0.1 * (rng.uniform01() - 0.5);
    }
  }
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  const Eigen::Index N = argc > 1 ? std::atol(argv[1]) : 500000;
  {
    const auto t0 = std::chrono::steady_clock::now();
    const did::StaggeredPanel p = generate(N, 10, 1);
    const double t_gen = seconds_since(t0);
    const auto t1 = std::chrono::steady_clock::now();
    const did::CsResult r = did::callaway_santanna(p);
    const double t_cs = seconds_since(t1);
    const auto t2 = std::chrono::steady_clock::now();
    const Eigen::Index keys = static_cast<Eigen::Index>(r.dynamic.key.size());
    const did::MultiplierResult m =
        did::multiplier_bootstrap(r.dynamic.influence.leftCols(keys), 1000, RngKey(1, "mboot"));
    const double t_mb = seconds_since(t2);
    std::printf("| CS ATT(g, t) + aggregations | %ld units x 10 periods, %zu cells | %.2f s | |\n",
                static_cast<long>(N), r.cells.size(), t_cs);
    std::printf("| multiplier bootstrap, 1,000 draws | %ld event times | %.2f s | sup-t %.3f |\n",
                static_cast<long>(keys), t_mb, m.crit);
    std::printf("| (data generation) | | %.2f s | peak RSS %.0f MB |\n", t_gen, peak_mb());
  }
  {
    const did::StaggeredPanel p = generate(512, 12, 2);
    for (const int G : {5, 50}) {
      std::vector<int> cluster(512);
      for (int i = 0; i < 512; ++i) cluster[static_cast<std::size_t>(i)] = i * G / 512;
      const auto t0 = std::chrono::steady_clock::now();
      const did::TwfeDesign d = did::twfe_design(p, false, {}, cluster);
      did::WildBootstrapOptions o;
      o.replications = 99999;
      o.absorbed = d.absorbed;
      o.weights = G == 5 ? did::WildWeights::kWebb : did::WildWeights::kRademacher;
      const did::WildBootstrapResult w = did::wild_cluster_bootstrap(
          d.X, d.y, d.cluster, Eigen::VectorXd::Ones(1), 0.0, o, RngKey(3, "wild"));
      std::printf(
          "| wild cluster bootstrap (WCR, %s), TWFE, 512 x 12 | G = %d, %zu draws%s | %.2f s "
          "| p %.4g, CI [%.4f, %.4f] |\n",
          did::to_string(o.weights), G, w.draws, w.enumerated ? " (enumerated)" : "",
          seconds_since(t0), w.p_bootstrap, w.ci_lo, w.ci_hi);
    }
  }
  return 0;
}
