// Coverage study (not a test) of the Simar-Wilson (1999) bootstrap intervals of the Malmquist
// index (src/dea/malmquist.hpp), on data with known frontiers.
//
// Two inputs, one output, a Cobb-Douglas CRS frontier y = F_t x1^0.4 x2^0.6 with F_0 = 1 and
// F_1 = 1.15, and input efficiencies theta_t = exp(-u_t), u_0 ~ |N(0, 0.3^2)|, persistent over
// time: u_1 = max(0, u_0 + N(0, 0.1^2)). With the true frontiers (Fare et al. 1994) a unit's
// distance of period-b data to the period-a frontier is theta_b F_b / F_a, hence the truths
//   techch = F_1 / F_0 = 1.15,  effch = theta_1 / theta_0,  tfpch = effch x techch.
// For each n: R data sets, B replications each; every unit of every data set counts.
//   build/bench/bench_malmquist_coverage [R] [B]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/rng.hpp"
#include "dea/malmquist.hpp"

using namespace revest;

namespace {

double normal(Rng& rng) {
  const double u1 = rng.uniform01(), u2 = rng.uniform01();
  return std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

struct Tally {
  double cover = 0, width = 0, count = 0;
  void add(double lo, double hi, double truth) {
    cover += lo <= truth && truth <= hi;
    width += hi - lo;
    ++count;
  }
};

}  // namespace

int main(int argc, char** argv) {
  const int R = argc > 1 ? std::atoi(argv[1]) : 50;
  const int B = argc > 2 ? std::atoi(argv[2]) : 199;
  const double F0 = 1.0, F1 = 1.15;
  std::printf(
      "| n | data sets | B | index | coverage of the 95%% interval | mean width | seconds "
      "|\n|---|---|---|---|---|---|---|\n");
  for (const int n : {50, 200}) {
    Tally t[3];
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < R; ++r) {
      Rng rng(1999, "malmquist_coverage", static_cast<std::uint32_t>(r));
      Eigen::MatrixXd x0(n, 2), y0(n, 1), x1(n, 2), y1(n, 1);
      std::vector<double> th0(static_cast<std::size_t>(n)), th1(th0);
      for (int i = 0; i < n; ++i) {
        const auto k = static_cast<std::size_t>(i);
        const double u0 = std::abs(0.3 * normal(rng));
        const double u1 = std::max(0.0, u0 + 0.1 * normal(rng));
        th0[k] = std::exp(-u0);
        th1[k] = std::exp(-u1);
        for (int j = 0; j < 2; ++j) {
          x0(i, j) = 1 + 9 * rng.uniform01();
          x1(i, j) = x0(i, j) * (0.8 + 0.4 * rng.uniform01());
        }
        y0(i, 0) = F0 * th0[k] * std::pow(x0(i, 0), 0.4) * std::pow(x0(i, 1), 0.6);
        y1(i, 0) = F1 * th1[k] * std::pow(x1(i, 0), 0.4) * std::pow(x1(i, 1), 0.6);
      }
      const dea::MalmquistBootstrapResult b =
          dea::malmquist_bootstrap(x0, y0, x1, y1, {}, RngKey(7, "malmquist_coverage_boot"),
                                   static_cast<std::size_t>(B), static_cast<std::uint32_t>(r));
      for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
        const double effch = th1[i] / th0[i], techch = F1 / F0;
        t[0].add(b.tfpch_summary.lower[i], b.tfpch_summary.upper[i], effch * techch);
        t[1].add(b.effch_summary.lower[i], b.effch_summary.upper[i], effch);
        t[2].add(b.techch_summary.lower[i], b.techch_summary.upper[i], techch);
      }
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const char* names[3] = {"tfpch", "effch", "techch"};
    for (int k = 0; k < 3; ++k)
      std::printf("| %d | %d | %d | %s | %.3f | %.4f | %.1f |\n", n, R, B, names[k],
                  t[k].cover / t[k].count, t[k].width / t[k].count, secs);
  }
  return 0;
}
