#include "realopt/investment.hpp"

#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/stats.hpp"

namespace revest::realopt {

ProcessKind process_kind_from_string(const std::string& s) {
  for (ProcessKind k :
       {ProcessKind::kGbm, ProcessKind::kMeanReverting, ProcessKind::kJumpDiffusion})
    if (s == to_string(k)) return k;
  REVEST_FAIL("unknown process '" << s << "' (gbm, mean_reverting or jump_diffusion)");
}

void ProcessOptions::validate() const {
  if (kind == ProcessKind::kMeanReverting) {
    REVEST_REQUIRE(mean_reversion_speed > 0.0 && std::isfinite(mean_reversion_speed),
                   "process: mean_reversion_speed = " << mean_reversion_speed << " must be > 0");
    REVEST_REQUIRE(long_run_ratio > 0.0 && std::isfinite(long_run_ratio),
                   "process: long_run_ratio = " << long_run_ratio << " must be > 0");
  }
  if (kind == ProcessKind::kJumpDiffusion) {
    REVEST_REQUIRE(jump_intensity >= 0.0 && std::isfinite(jump_intensity),
                   "process: jump_intensity = " << jump_intensity << " must be >= 0");
    REVEST_REQUIRE(jump_sd >= 0.0 && std::isfinite(jump_sd),
                   "process: jump_sd = " << jump_sd << " must be >= 0");
    REVEST_REQUIRE(std::isfinite(jump_mean),
                   "process: jump_mean = " << jump_mean << " must be finite");
  }
}

Process make_process(const ProcessOptions& o, double v0, double r, double delta, double sigma,
                     double mu) {
  Process p;
  p.kind = o.kind;
  p.v0 = v0;
  p.r = r;
  p.delta = delta;
  p.sigma = sigma;
  p.kappa = o.mean_reversion_speed;
  p.long_run = o.long_run_ratio * v0;
  p.jump_intensity = o.jump_intensity;
  p.jump_mean = o.jump_mean;
  p.jump_sd = o.jump_sd;
  p.risk_premium = mu - (r - delta);
  return p;
}

void ProjectDesign::validate() const {
  REVEST_REQUIRE(expand_scale > 1.0 && std::isfinite(expand_scale),
                 "project: expand_scale = " << expand_scale << " must be > 1");
  REVEST_REQUIRE(pilot_scale >= 0.0 && pilot_scale < 1.0,
                 "project: pilot_scale = " << pilot_scale << " must be in [0, 1)");
  const struct {
    const char* name;
    double value;
  } costs[] = {{"expand_cost", expand_cost},
               {"abandon_salvage", abandon_salvage},
               {"pilot_cost", pilot_cost},
               {"scaleup_cost", scaleup_cost}};
  for (const auto& c : costs)
    REVEST_REQUIRE(c.value >= 0.0 && std::isfinite(c.value),
                   "project: " << c.name << " = " << c.value << " must be >= 0");
}

Project make_project(const ProjectDesign& o, double I, double H) {
  Project p;
  p.basis_scale = I;
  const double entry_last = o.defer ? H : 0.0;
  p.states.push_back({"idle", 0.0});
  int pilot = -1, expanded = -1, abandoned = -1;
  if (o.stage) {
    pilot = static_cast<int>(p.states.size());
    p.states.push_back({"pilot", o.pilot_scale});
  }
  const int invested = static_cast<int>(p.states.size());
  p.states.push_back({"invested", 1.0});
  if (o.expand) {
    expanded = static_cast<int>(p.states.size());
    p.states.push_back({"expanded", o.expand_scale});
  }
  if (o.abandon) {
    abandoned = static_cast<int>(p.states.size());
    p.states.push_back({"abandoned", 0.0});
  }
  if (pilot >= 0) {
    p.actions.push_back({"pilot", 0, pilot, o.pilot_cost * I, 0.0, entry_last});
    p.actions.push_back({"scale_up", pilot, invested, o.scaleup_cost * I, 0.0, H});
    if (abandoned >= 0)
      p.actions.push_back(
          {"abandon_pilot", pilot, abandoned, -o.abandon_salvage * o.pilot_scale * I, 0.0, H});
  } else {
    p.actions.push_back({"invest", 0, invested, I, 0.0, entry_last});
  }
  if (expanded >= 0) p.actions.push_back({"expand", invested, expanded, o.expand_cost * I, 0.0, H});
  if (abandoned >= 0) {
    p.actions.push_back({"abandon", invested, abandoned, -o.abandon_salvage * I, 0.0, H});
    if (expanded >= 0)
      p.actions.push_back({"abandon_expanded", expanded, abandoned,
                           -o.abandon_salvage * o.expand_scale * I, 0.0, H});
  }
  return p;
}

ModeMatching match_modes(const Eigen::MatrixXd& values) {
  const auto B = static_cast<std::size_t>(values.rows()),
             M = static_cast<std::size_t>(values.cols());
  REVEST_REQUIRE(M >= 1, "match_modes: no modes");
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  ModeMatching r;
  r.mean.resize(M);
  std::vector<double> v(B);
  for (std::size_t m = 0; m < M; ++m) {
    for (std::size_t b = 0; b < B; ++b)
      v[b] = values(static_cast<Eigen::Index>(b), static_cast<Eigen::Index>(m));
    r.mean[m] = stats::mean_sd(v).mean;
  }
  // The best mode of each batch in which every mode has a value.
  std::vector<std::size_t> wins(M, 0);
  for (std::size_t b = 0; b < B; ++b) {
    std::size_t arg = M;
    double top = -std::numeric_limits<double>::infinity();
    for (std::size_t m = 0; m < M; ++m) {
      const double x = values(static_cast<Eigen::Index>(b), static_cast<Eigen::Index>(m));
      if (!std::isfinite(x)) {
        arg = M;
        break;
      }
      if (x > top) {
        top = x;
        arg = m;
      }
    }
    if (arg < M) {
      ++wins[arg];
      ++r.batches;
    }
  }
  for (std::size_t m = 1; m < M; ++m)
    if (r.mean[m] > r.mean[r.best] || !std::isfinite(r.mean[r.best])) r.best = m;
  const double used = r.batches ? static_cast<double>(r.batches) : kNaN;
  r.share_best.resize(M);
  for (std::size_t m = 0; m < M; ++m) r.share_best[m] = static_cast<double>(wins[m]) / used;
  return r;
}

}  // namespace revest::realopt
