#pragma once
/// \file investment.hpp
/// \brief A digital investment project as numbers: its graph of embedded options (lsm.hpp's
/// state machine), the process of its value, and the matching of industry modes by value.
///
/// **Embedded options** (ProjectDesign), valued jointly by LSM:
///   - defer:   invest on any exercise date up to the horizon (else only at t = 0);
///   - stage:   invest in two steps, a pilot (cost pilot_cost I, owning pilot_scale V) and a
///              scale-up (cost scaleup_cost I, to the full project), both deferrable;
///   - expand:  after investing, scale the project by expand_scale at cost expand_cost I;
///   - abandon: after investing, sell for abandon_salvage I per unit of the project owned.
/// With all four the project has five states: idle, pilot, invested, expanded, abandoned.
///
/// **Process** (ProcessOptions): GBM, log mean-reverting or Merton jump-diffusion (process.hpp),
/// risk-neutral drift r - delta, real-world premium mu - (r - delta), the mean-reverting level a
/// multiple of V0.
///
/// **Mode matching** (match_modes): given the option-adjusted value of every mode in every batch,
/// the mode with the highest mean value and the share of batches in which each mode is best.
///
/// The job analysis `real_options` (analyses/real_options.hpp) builds these from projects.csv.
///
/// \test tests/realopt/investment_test.cpp (the project graph, the process, mode matching);
/// tests/analyses/real_options_test.cpp (the job analysis).
#include <Eigen/Dense>
#include <cstddef>
#include <string>
#include <vector>

#include "realopt/lsm.hpp"
#include "realopt/process.hpp"

namespace revest::realopt {

/// "gbm" | "mean_reverting" | "jump_diffusion" (throws revest::Error on another name).
ProcessKind process_kind_from_string(const std::string& s);

/// The process of a project value apart from the project's own numbers (V0, r, delta, sigma, mu).
struct ProcessOptions {
  /// kGbm (default), kMeanReverting or kJumpDiffusion.
  ProcessKind kind = ProcessKind::kGbm;
  /// kMeanReverting: speed kappa per year (> 0). Default 0.3.
  double mean_reversion_speed = 0.3;
  /// kMeanReverting: long-run level as a multiple of V0 (> 0). Default 1.
  double long_run_ratio = 1.0;
  /// kJumpDiffusion: jumps per year (>= 0). Default 0.2.
  double jump_intensity = 0.2;
  /// kJumpDiffusion: mean of the log jump size. Default -0.1.
  double jump_mean = -0.1;
  /// kJumpDiffusion: sd of the log jump size (>= 0). Default 0.2.
  double jump_sd = 0.2;
  /// Throws revest::Error naming the field that is out of range (for the kind in use).
  void validate() const;
  bool operator==(const ProcessOptions&) const = default;
};

/// The process of a project with value v0 today, risk-free rate r, payout yield delta,
/// volatility sigma and real-world drift mu.
Process make_process(const ProcessOptions& o, double v0, double r, double delta, double sigma,
                     double mu);

/// Which embedded options a project carries, and their terms (file comment).
struct ProjectDesign {
  /// The option to defer entry up to the horizon. Default true.
  bool defer = true;
  /// Entry in two steps, pilot and scale-up. Default true.
  bool stage = true;
  /// The option to expand after investing. Default true.
  bool expand = true;
  /// The option to abandon after entering. Default true.
  bool abandon = true;
  /// expand: the project becomes expand_scale x V (> 1). Default 1.3.
  double expand_scale = 1.3;
  /// expand: cost as a multiple of I (>= 0). Default 0.35.
  double expand_cost = 0.35;
  /// abandon: salvage per unit of the project owned, as a multiple of I (>= 0). Default 0.5.
  double abandon_salvage = 0.5;
  /// stage: the pilot's cost as a multiple of I (>= 0). Default 0.15.
  double pilot_cost = 0.15;
  /// stage: the share of V the pilot owns, in [0, 1). Default 0.1.
  double pilot_scale = 0.1;
  /// stage: the scale-up's cost as a multiple of I (>= 0). Default 0.9.
  double scaleup_cost = 0.9;
  /// Throws revest::Error naming the field that is out of range.
  void validate() const;
  bool operator==(const ProjectDesign&) const = default;
};

/// The project of these embedded options for investment cost I and horizon H (years): states
/// idle, [pilot,] invested, [expanded,] [abandoned], V regressed as V / I.
Project make_project(const ProjectDesign& design, double investment, double horizon);

/// Mode matching of one unit (e.g. a county) from values[b][m], the value of mode m in batch b.
struct ModeMatching {
  /// The mode with the highest mean value (the first on ties; a mode whose mean is NaN loses).
  std::size_t best = 0;
  /// Per mode: the mean over its finite batches (NaN if none).
  std::vector<double> mean;
  /// Per mode: the share of batches in which it is best, over the batches in which every mode
  /// has a finite value (NaN if there is none).
  std::vector<double> share_best;
  /// Batches in which every mode has a finite value.
  std::size_t batches = 0;
};
/// `values` is batches x modes (at least one mode).
ModeMatching match_modes(const Eigen::MatrixXd& values);

}  // namespace revest::realopt
