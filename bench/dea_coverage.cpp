// Coverage study (not a test) of the Simar-Wilson (1998) bootstrap intervals of revest's
// three-stage DEA, on data sets with known efficiencies (synth::make_dea_design).
//
// Design A: no environment, no noise: the true input efficiency is exp(-u) exactly; stage-1 VRS
//           intervals should cover it about `confidence` of the time (they are known to
//           under-cover in small samples and near the frontier).
// Design B: environment z1 raises input use, noise sd 0.03: the managerial efficiency exp(-u) is
//           what stage 3 targets; stage-1 intervals are expected to miss it.
// Design C: the data of B with stage 2 on slack ratios (slack_scale = "ratio").
// Design D: A with 60 % of the units fully efficient (u = 0): the case where the bandwidth rule
//           collapsed before issue 16 (its IQR was that of an atom at 1).
// For each design and n: R data sets, B replications each; every unit of every data set counts.
//   build/bench/bench_dea_coverage [R] [B]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "core/stats.hpp"
#include "dea/three_stage.hpp"
#include "synth/dea_design.hpp"

using namespace revest;

struct Tally {
  double cover = 0, count = 0, width = 0, se_raw = 0, se_bc = 0, failed = 0;
};

int main(int argc, char** argv) {
  const int R = argc > 1 ? std::atoi(argv[1]) : 30;
  const int B = argc > 2 ? std::atoi(argv[2]) : 400;
  const double conf = 0.95;
  std::printf(
      "| design | n | stage | data sets | B | coverage of the 95%% interval | mean width | "
      "RMSE raw | RMSE bias-corrected | failed draws | seconds "
      "|\n|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const char design : {'A', 'B', 'C', 'D'})
    for (const std::size_t n : {std::size_t{100}, std::size_t{400}}) {
      Tally st[2];
      const auto t0 = std::chrono::steady_clock::now();
      for (int r = 0; r < R; ++r) {
        synth::DeaDesign d;
        d.n = n;
        d.years = {2021};
        d.seed = 1000 + static_cast<std::uint64_t>(r);
        const bool plain = design == 'A' || design == 'D';
        d.env_scale = plain ? 0.0 : 1.0;
        d.noise_sd = plain ? 0.0 : 0.03;  // C: the data of B, stage 2 on slack ratios
        if (design == 'D') d.efficient_share = 0.6;
        const auto data = synth::dea_design_year(synth::make_dea_design(d), 0);
        dea::ThreeStageOptions o;
        o.truncated_regression = false;
        o.confidence = conf;
        if (design == 'C') o.slack_scale = dea::SlackScale::kRatio;
        const dea::ThreeStageResult Y = dea::three_stage(data.x, data.y, data.z, o);
        std::vector<std::vector<double>> draws(2 * n);
        for (int b = 0; b < B; ++b) {
          Rng rng(d.seed, "coverage", static_cast<std::uint32_t>(b));
          const dea::ThreeStageReplication rep = dea::three_stage_replication(Y, rng);
          for (std::size_t k = 0; k < n; ++k) {
            draws[k].push_back(rep.stage1[k]);
            draws[n + k].push_back(rep.stage3[k]);
          }
        }
        for (int s = 0; s < 2; ++s)
          for (std::size_t i = 0; i < n; ++i) {
            std::vector<double> v;
            for (double x : draws[static_cast<std::size_t>(s) * n + i])
              if (std::isfinite(x)) v.push_back(x);
            st[s].failed += static_cast<double>(B) - static_cast<double>(v.size());
            if (v.empty()) continue;
            const double th = (s == 0 ? Y.stage1 : Y.stage3).farrell[i];
            const double lo = 2 * th - stats::quantile(v, (1 + conf) / 2);
            const double hi = 2 * th - stats::quantile(v, (1 - conf) / 2);
            double mean = 0;
            for (double x : v) mean += x / static_cast<double>(v.size());
            const double truth = data.eff_true[i];
            st[s].cover += (lo <= truth && truth <= hi);
            st[s].count += 1;
            st[s].width += hi - lo;
            st[s].se_raw += (th - truth) * (th - truth);
            st[s].se_bc += (2 * th - mean - truth) * (2 * th - mean - truth);
          }
      }
      const double sec =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      for (int s = 0; s < 2; ++s)
        std::printf("| %c | %zu | %d | %d | %d | %.3f | %.3f | %.4f | %.4f | %.0f | %.1f |\n",
                    design, n, s == 0 ? 1 : 3, R, B, st[s].cover / st[s].count,
                    st[s].width / st[s].count, std::sqrt(st[s].se_raw / st[s].count),
                    std::sqrt(st[s].se_bc / st[s].count), st[s].failed, sec);
    }
}
