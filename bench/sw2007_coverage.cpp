// Coverage study and timing (not a test) of the Simar-Wilson (2007) Algorithms 1 and 2
// (src/factors/simar_wilson.hpp).
//
// 1. Coverage in the paper's Monte Carlo design (Simar and Wilson 2007, section 4, one input and
//    one output), written in input orientation: z_i ~ N(2, 2^2), delta_i = 0.5 + 0.5 z_i + e_i,
//    e_i ~ N(0, 1) left-truncated at 1 - 0.5 - 0.5 z_i, outputs y_i ~ U(1, 10), frontier input
//    y^1.25 (variable returns), observed input x_i = y_i^1.25 delta_i: the Farrell input measure
//    is 1 / delta_i, so delta is the paper's efficiency and (beta0, beta1, sigma) = (0.5, 0.5, 1).
//    For each n, R data sets; Algorithm 1 (L2 replications) and Algorithm 2 (L1 = 100, L2) on
//    each; the share of data sets whose 95 % percentile interval holds the true value.
// 2. Algorithm 2 with L1 = 100, L2 = 2,000 on 512 units: the L1 loop (100 x 512 DEAs) with the
//    radial solver (dea::RadialSolver, what revest uses) against a straightforward
//    implementation (each unit's DEA against the pseudo-sample by Clp, dea::solve_dea: what a
//    generic LP-based tool does), both on the same pseudo-samples, and the L2 loop.
//   build/bench/bench_sw2007 [R100] [R400] [L2]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/rng.hpp"
#include "dea/dea.hpp"
#include "dea/three_stage.hpp"
#include "factors/simar_wilson.hpp"
#include "synth/sw2007_design.hpp"

using namespace revest;

namespace {

using Design = synth::Sw2007Design;
Design design(Eigen::Index n, std::uint32_t r) {
  return synth::sw2007_design(n, Rng(2007, "sw2007_design", r));
}

struct Tally {
  double cover[3] = {0, 0, 0}, width = 0, count = 0;
  void add(const factors::SwAlgorithm2Result& r) {
    if (!r.status.ok() || r.l2_used < 2) return;
    const double truth[3] = {0.5, 0.5, 1.0};
    for (int j = 0; j < 3; ++j) cover[j] += r.lower[j] <= truth[j] && truth[j] <= r.upper[j];
    width += r.upper[1] - r.lower[1];
    ++count;
  }
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int R100 = argc > 1 ? std::atoi(argv[1]) : 200;
  const int R400 = argc > 2 ? std::atoi(argv[2]) : 100;
  const std::size_t L2 = argc > 3 ? static_cast<std::size_t>(std::atoi(argv[3])) : 2000;
  std::printf(
      "| n | data sets | algorithm | coverage beta0 | coverage beta1 | coverage sigma | mean width "
      "beta1 | seconds per data set |\n|---|---|---|---|---|---|---|---|\n");
  for (const auto& [n, R] : {std::pair<int, int>{100, R100}, std::pair<int, int>{400, R400}}) {
    Tally t1, t2;
    double s1 = 0, s2 = 0;
    for (int r = 0; r < R; ++r) {
      const Design d = design(n, static_cast<std::uint32_t>(r));
      factors::SwAlgorithm2Options o;
      o.l1 = 100;
      o.l2 = L2;
      const RngKey key(2007, "sw2007_coverage/" + std::to_string(n) + "/" + std::to_string(r));
      auto t0 = std::chrono::steady_clock::now();
      t1.add(factors::sw_algorithm1(d.x, d.y, d.z, o, key));
      s1 += seconds_since(t0);
      t0 = std::chrono::steady_clock::now();
      t2.add(factors::sw_algorithm2(d.x, d.y, d.z, o, key));
      s2 += seconds_since(t0);
    }
    if (R == 0) continue;
    for (const auto* t : {&t1, &t2})
      std::printf("| %d | %.0f | %s | %.3f | %.3f | %.3f | %.3f | %.2f |\n", n, t->count,
                  t == &t1 ? "Algorithm 1" : "Algorithm 2", t->cover[0] / t->count,
                  t->cover[1] / t->count, t->cover[2] / t->count, t->width / t->count,
                  (t == &t1 ? s1 : s2) / R);
    std::fflush(stdout);
  }
  // 2. Algorithm 2 on 512 units, L1 = 100, L2 = 2,000.
  const Design d = design(512, 99999);
  factors::SwAlgorithm2Options o;
  o.l1 = 100;
  o.l2 = 2000;
  const RngKey key(2007, "sw2007_timing");
  const Rng streams = key.stream(0);
  auto t0 = std::chrono::steady_clock::now();
  factors::SwAlgorithm2 s(d.x, d.y, d.z, o);
  const double t_setup = seconds_since(t0);
  Eigen::MatrixXd l1(100, 512);
  t0 = std::chrono::steady_clock::now();
  for (std::size_t b = 0; b < 100; ++b)
    l1.row(static_cast<Eigen::Index>(b)) = s.l1_replication(b, streams).transpose();
  const double t_radial = seconds_since(t0);
  // The same pseudo-samples, every unit's DEA by Clp.
  double max_diff = 0;
  t0 = std::chrono::steady_clock::now();
  for (std::size_t b = 0; b < 100; ++b) {
    Rng rng = streams.for_replication(static_cast<std::uint32_t>(b), 1);
    Eigen::MatrixXd xs = d.x;
    for (Eigen::Index i = 0; i < 512; ++i) {
      const double zb = s.first_fit().beta[0] + s.first_fit().beta[1] * d.z(i, 0);
      xs(i, 0) = d.x(i, 0) * dea::draw_sw2007_delta(zb, s.first_fit().sigma, rng) / s.delta()[i];
    }
    dea::DeaOptions clp;
    clp.slacks = false;
    clp.super_efficiency = true;
    const dea::DeaResult r = dea::solve_dea(d.x, d.y, xs, d.y, clp);
    for (Eigen::Index i = 0; i < 512; ++i)
      max_diff = std::max(max_diff, std::abs(1.0 / r.farrell[static_cast<std::size_t>(i)] -
                                             l1(static_cast<Eigen::Index>(b), i)));
  }
  const double t_clp = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  s.bias_correct(l1);
  Eigen::MatrixXd l2(2000, 3);
  for (std::size_t b = 0; b < 2000; ++b)
    l2.row(static_cast<Eigen::Index>(b)) = s.l2_replication(b, streams).transpose();
  const factors::SwAlgorithm2Result res = factors::sw_algorithm2_summary(s, l2);
  const double t_l2 = seconds_since(t0);
  std::printf(
      "\nAlgorithm 2 on 512 units (L1 = 100, L2 = 2000): steps 1-2 %.3f s; L1 loop %.2f s with "
      "the radial solver, %.2f s with Clp per unit (ratio %.1f; largest difference of delta* "
      "%.1e); bias correction and L2 loop %.2f s; beta1^^ = %.3f [%.3f, %.3f]\n",
      t_setup, t_radial, t_clp, t_clp / t_radial, max_diff, t_l2, res.fit.beta[1], res.lower[1],
      res.upper[1]);
  return 0;
}
