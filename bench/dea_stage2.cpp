// Stage 2 of three-stage DEA on data with known truth (not a test; bench/RESULTS.md section 7):
// how many units each stage-2 SFA excludes as zero-slack, where its fits end (interior or a
// boundary), and whether stage 3 moves the scores toward the managerial efficiency exp(-u).
//
// Data: synth::make_dea_design (two inputs, one output, environment z1 raising input use, placebo
// z2, noise sd 0.03), n units, one year, R data sets. For each: slack_tolerance 0 (the zero-slack
// test of revest before issue 16: a slack counted as zero only if exactly <= 0) and the default
// 1e-6, with the stage-2 dependent variable in levels and as ratios.
//   build/bench/bench_dea_stage2 [R] [n]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "dea/three_stage.hpp"
#include "synth/dea_design.hpp"

using namespace revest;

int main(int argc, char** argv) {
  const int R = argc > 1 ? std::atoi(argv[1]) : 10;
  const std::size_t n = argc > 2 ? static_cast<std::size_t>(std::atoi(argv[2])) : 512;
  std::printf(
      "| slack_scale | slack_tolerance | data sets | units excluded as zero-slack (mean per fit) | "
      "fits interior / gamma=1 / gamma=0 / other | MAE stage 1 | MAE stage 3 | "
      "z1 coefficient (mean; truth > 0) |\n|---|---|---|---|---|---|---|---|\n");
  for (const char* scale : {"level", "ratio"})
    for (const double tol : {0.0, 1e-6}) {
      double excluded = 0, fits = 0, mae1 = 0, mae3 = 0, b1 = 0, nb1 = 0;
      std::map<std::string, int> status;
      for (int r = 0; r < R; ++r) {
        synth::DeaDesign d;
        d.n = n;
        d.years = {2021};
        d.seed = 2000 + static_cast<std::uint64_t>(r);
        const auto data = synth::dea_design_year(synth::make_dea_design(d), 0);
        dea::ThreeStageOptions o;
        o.truncated_regression = false;
        o.slack_scale = dea::slack_scale_from_string(scale);
        o.slack_tolerance = tol;
        o.efficient_tolerance = tol > 0 ? 1e-7 : 0.0;
        const dea::ThreeStageResult Y = dea::three_stage(data.x, data.y, data.z, o);
        for (std::size_t k = 0; k < Y.stage2.size(); ++k) {
          ++status[Y.stage2[k].status_name()];
          excluded += static_cast<double>(n) - Y.stage2[k].units;
          fits += 1;
          if (Y.stage2[k].fitted) {
            b1 += Y.stage2[k].fit.beta[1];  // z1 (the intercept is 0)
            nb1 += 1;
          }
        }
        for (std::size_t i = 0; i < n; ++i) {
          mae1 += std::abs(Y.stage1.farrell[i] - data.eff_true[i]) / static_cast<double>(n * R);
          mae3 += std::abs(Y.stage3.farrell[i] - data.eff_true[i]) / static_cast<double>(n * R);
        }
      }
      const int other = static_cast<int>(fits) - status["converged"] - status["boundary_gamma_1"] -
                        status["boundary_gamma_0"];
      std::printf("| %s | %g | %d | %.1f | %d / %d / %d / %d | %.4f | %.4f | %.4g |\n", scale, tol,
                  R, excluded / fits, status["converged"], status["boundary_gamma_1"],
                  status["boundary_gamma_0"], other, mae1, mae3, nb1 > 0 ? b1 / nb1 : NAN);
    }
}
