// Benchmark (not a test): linear programs per second of the DEA engine on one core.
// 512 units, 5 inputs, 2 outputs (the size of the Southwest DEA), uniform data, VRS, input
// orientation, with and without the slack phase.   build/bench/bench_dea_lp
#include <chrono>
#include <cstdio>

#include "core/rng.hpp"
#include "dea/dea.hpp"

int main() {
  revest::Rng rng(1, "bench/dea", 0);
  const int n = 512, m = 5, s = 2;
  Eigen::MatrixXd x(n, m), y(n, s);
  for (int i = 0; i < n; ++i) {
    for (int c = 0; c < m; ++c) x(i, c) = 1 + 9 * rng.uniform01();
    for (int c = 0; c < s; ++c) y(i, c) = 1 + 9 * rng.uniform01();
  }
  for (auto ret : {revest::dea::Returns::kCrs, revest::dea::Returns::kVrs})
    for (bool slacks : {false, true}) {
      revest::dea::DeaOptions o;
      o.returns = ret;
      o.slacks = slacks;
      const auto t0 = std::chrono::steady_clock::now();
      const auto r = revest::dea::solve_dea(x, y, o);
      const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf("model=%s slacks=%d seconds=%.3f lps=%zu lps_per_s=%.0f\n", revest::dea::to_string(ret),
                  slacks ? 1 : 0, sec, r.lps_solved, static_cast<double>(r.lps_solved) / sec);
    }
}
