#pragma once
/// \file three_stage.hpp
/// \brief Three-stage DEA (Fried, Lovell, Schmidt & Yaisawarng 2002) per year, with the
/// Simar-Wilson (1998) smoothed bootstrap of the stage-1 and stage-3 scores and the Simar-Wilson
/// (2007) Algorithm 1 truncated regression of the stage-1 scores on the environment.
///
/// For each year t (every county is a unit; inputs x, outputs y, environment z):
///  Stage 1. Input-oriented DEA of (x, y): the model of `returns` (VRS by default) with the
///    max-slack phase, and the other of CRS/VRS for the scale efficiency CRS / VRS. Total slack
///    of input k: S_k = x_k - target_k (radial plus non-radial movement).
///  Stage 2. For each input k, a cost-type SFA S_k = b0 + z'b + v + u (sfa::fit_sfa; u half-
///    normal or truncated normal), fitted on the units with positive slack (option zero_slacks;
///    see there; a slack is zero when S_ik <= slack_tolerance x_ik) and applied to every unit
///    (JLMS noise of each unit's own residual). A boundary
///    fit follows the SFA boundary policy (gamma = 0: u = 0, the whole residual is noise; gamma =
///    1: no noise) and is reported; an input with fewer than p + 5 units with positive slack is
///    not adjusted ("no_variation", reported).
///    Adjusted inputs: x_adj = x + [max_i(z_i'b) - z'b] + [max_i(v_i) - v], v = JLMS noise.
///  Stage 3. The same DEA on (x_adj, y).
///
/// Bootstrap (one task = one replication b, all years): for stage 1 and stage 3 separately, the
/// SW98 smoothed bootstrap of the main-model scores theta_i (in (0, 1]):
///   reflected set R = {theta_i, 2 - theta_i} (2n values), bandwidth h (below);
///   draw beta*_i from R, e_i ~ N(0, 1); t_i = beta*_i + h e_i;
///   variance correction t*_i = mean(beta*) + (t_i - mean(beta*)) / sqrt(1 + h^2 / var(R));
///   reflect: theta*_i = t*_i if t*_i <= 1, else 2 - t*_i (a draw with theta*_i <= 0, possible
///   only for t*_i > 2 or <= 0, is redrawn); units whose LP failed are left out of the draws;
///   pseudo-sample x*_i = x_i theta_i / theta*_i, y*_i = y_i;
///   theta^b_i = score of the OBSERVED (x_i, y_i) against the pseudo-sample (RadialSolver, Clp
///   as the fallback).
/// Efficient units: a score within `efficient_tolerance` (1e-7) of 1 is exactly 1 (dea.hpp); the
/// efficient units form an atom at 1 in the score distribution.
/// Bandwidth rules (option bandwidth_rule; the option `bandwidth` > 0 fixes h instead):
///  "silverman" (default): h = 0.9 min(sd(R), IQR(R_m) / 1.34) n^(-1/5): Silverman's (1986,
///    eq. 3.31) rule of thumb on the reflected scores R at the original sample size n, where the
///    interquartile range is taken over R_m, the reflected scores of the m inefficient units only.
///    IQR(R) is twice the median of 1 - theta over all units, so with half the units efficient it
///    is 0 (or 1e-12, from rounding) and h collapses: no smoothing, and upper interval bounds equal
///    to theta. The atom is an artefact of DEA, not part of the density being smoothed, and
///    Daraio & Simar (2007, p. 61) remove it for the same reason. The IQR term is used only when it
///    is positive; with no inefficient unit h = 0 (nothing to smooth; reported as degenerate).
///  "benchmarking": R Benchmarking's dea.boot (file dea.boot.R, svn revision 229, 2020), to
///    reproduce its intervals: on the m scores with 1 / theta > 1 + 1e-6, R_m = {theta, 2 - theta},
///    h = 0.9 s m2^(-1/5) sd(1 / theta) / sd(R_m) (m2 / n)^(1/5), m2 = 2 m, s = IQR(R_m) / 1.349
///    if 1e-6 < that < sd(R_m), else sd(R_m) (Daraio & Simar 2007, eq. 3.26; sample sd, IQR type
///    7). Its pseudo-scores are drawn as dea.boot's dea.sample draws them: on the Shephard scale
///    D = 1 / theta, reflected at 1 (D* = 2 - D~ when D~ < 1), variance-corrected with var of the
///    reflected set (divisor 2n - 1), theta* = 1 / D*. revest keeps its own interval (below); dea.boot
///    forms the same basic interval on the Shephard scale with type-9 quantiles, which gives the
///    same bounds up to the quantile interpolation.
/// Summaries per county-year (Simar & Wilson 2000): bias = mean_b(theta^b) - theta, bias-corrected
/// theta - bias, variance var_b(theta^b), and the interval [2 theta - q_hi, 2 theta - q_lo], where
/// q_lo, q_hi are the (1 -+ confidence)/2 quantiles of theta^b (type 7).
/// With bootstrap = "scores" (default) the stage-2 estimates are held fixed in the stage-3
/// bootstrap; bootstrap = "three_stage" re-runs stages 1-3 on each stage-1 pseudo-sample (see the
/// option), so that stage-3 intervals carry the stage-2 estimation uncertainty.
///
/// SW2007 Algorithm 1 (option truncated_regression): delta_i = 1 / theta_i (Farrell output-type
/// measure >= 1) of the main stage-1 model, regressed on (1, z) by truncated-normal ML on the
/// m inefficient units (theta_i < 1 - efficient_tolerance, i.e. delta_i > 1); each replication
/// draws e_i ~ N(0, s^2) left-truncated at
/// 1 - z_i'b, sets delta*_i = z_i'b + e_i and re-estimates; percentile intervals of b*, s*.
///
/// \test tests/dea/three_stage_test.cpp
#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <vector>

#include "core/analysis.hpp"
#include "dea/dea.hpp"
#include "io/geography.hpp"
#include "io/indicators.hpp"
#include "io/job.hpp"
#include "io/panel.hpp"
#include "sfa/sfa.hpp"

namespace revest::dea {

struct ThreeStageOptions {
  /// DEA inputs; empty (default) = every indicator with use "dea_input".
  std::vector<std::string> inputs;
  /// DEA outputs; empty (default) = every indicator with use "dea_output".
  std::vector<std::string> outputs;
  /// Environment of stage 2; empty (default) = every indicator with use "environment".
  std::vector<std::string> environment;
  /// Returns to scale of the main model (slacks, bootstrap): "vrs" (default) or "crs".
  std::string returns = "vrs";
  /// Distribution of the stage-2 inefficiency: "half_normal" (default) or "truncated_normal".
  std::string sfa_distribution = "half_normal";
  /// Units with zero total slack of an input: "exclude" (default) fits the SFA of that input on
  /// the units with positive slack (a point mass at zero does not fit a model with continuous u
  /// and v: with it the likelihood runs to gamma -> 1 and b -> 0, i.e. no adjustment at all);
  /// "include" fits on every unit (Fried et al. 2002 as printed). Every unit is adjusted with the
  /// fitted b and its own JLMS noise either way.
  std::string zero_slacks = "exclude";
  /// Dependent variable of stage 2: "level" (default; the total slack S_k, as in Fried et al.
  /// 2002) or "ratio" (S_k / x_k, the share of the input that is slack; the adjustment is then
  /// proportional: x_adj = x (1 + [max(z'b) - z'b] + [max(v) - v])). Use "ratio" when unit sizes
  /// differ by orders of magnitude: in levels the lower envelope of the slacks is near zero at
  /// every z (small efficient units), and the fit ends at b ~ 0, gamma -> 1 (no adjustment).
  std::string slack_scale = "level";
  /// Bootstrap replications (tasks). Default 2000.
  std::size_t replications = 2000;
  /// Level of the intervals. Default 0.95.
  double confidence = 0.95;
  /// SW98 bandwidth; 0 (default) = the rule `bandwidth_rule`.
  double bandwidth = 0.0;
  /// Bandwidth rule when `bandwidth` is 0: "silverman" (default) or "benchmarking" (R
  /// Benchmarking's dea.boot rule and draw; see the file comment).
  std::string bandwidth_rule = "silverman";
  /// A score within this of 1 is exactly 1, an efficient unit (DeaOptions). Default 1e-7.
  double efficient_tolerance = 1e-7;
  /// A total slack S_ik <= slack_tolerance * x_ik is zero (DeaOptions; zero_slacks, the
  /// zero_slack_units count). Default 1e-6.
  double slack_tolerance = 1e-6;
  /// What a replication re-estimates: "scores" (default): SW98 for stage 1 and for stage 3 with
  /// the stage-2 estimates held fixed; "three_stage": stage 1 as before, then the whole
  /// procedure on the stage-1 pseudo-sample (its DEA with slacks by Clp, the SFA of its slacks,
  /// its adjusted inputs), so stage-3 intervals carry the stage-2 estimation uncertainty. About
  /// an order of magnitude slower (Clp slack phase and SFA fits in every replication).
  std::string bootstrap = "scores";
  /// SW2007 Algorithm 1 truncated regression. Default true.
  bool truncated_regression = true;

  static ThreeStageOptions from(const io::OptionView& view);
  /// Resolved variable lists (defaults from the indicator system).
  std::vector<std::string> resolved(const std::string& which, const io::IndicatorSystem& s) const;
};

/// Maximum-likelihood truncated-normal regression y = X b + e, e ~ N(0, s^2), y >= 1 observed
/// (Simar & Wilson 2007). Returns false (and leaves b, s) if the optimiser does not converge.
struct TruncatedRegression {
  Eigen::VectorXd beta, beta_se;
  double sigma = 0, sigma_se = 0;
  double loglik = 0;
  bool converged = false;
  std::string message;
};
/// `start` (optional: b then sigma) replaces the OLS starting point (the bootstrap starts at the
/// point estimate).
TruncatedRegression fit_truncated_regression(const Eigen::VectorXd& y, const Eigen::MatrixXd& X,
                                             double lower = 1.0, bool standard_errors = true,
                                             const Eigen::VectorXd* start = nullptr);

/// Point estimates of one year.
struct ThreeStageYear {
  int year = 0;
  Eigen::MatrixXd x, y, z, x_adj;       ///< N x m, N x s, N x p, N x m
  Eigen::MatrixXd z1;                    ///< N x (1 + p): intercept and environment
  Eigen::MatrixXd dep;                   ///< N x m: stage-2 dependent variables (usable_slacks)
  DeaResult stage1, stage3;              ///< main model (with slacks)
  std::vector<double> stage1_other, stage3_other;  ///< the other of CRS / VRS (radial)
  Eigen::MatrixXd slack1, slack3;        ///< N x m total input slack
  std::vector<sfa::SfaResult> sfa;       ///< per input (empty result for no_variation)
  std::vector<std::string> sfa_status;   ///< per input: SfaStatus name or "no_variation"
  std::vector<int> sfa_units;            ///< per input: units in the fit
  std::vector<int> zero_slack_units;     ///< per input: units whose stage-1 total slack is zero
  double h1 = 0, h3 = 0;                 ///< SW98 bandwidths
  TruncatedRegression truncreg;
  std::vector<int> truncreg_units;       ///< units with delta > 1
};

class ThreeStageDeaAnalysis : public Analysis {
 public:
  ThreeStageDeaAnalysis(std::string name, const io::Geography& geo, const io::Panel& panel,
                        const io::IndicatorSystem& indicators, ThreeStageOptions options);
  std::string kind() const override { return "three_stage_dea"; }
  std::string name() const override { return name_; }
  std::size_t num_tasks() const override { return options_.replications; }
  std::vector<ReplicationSpec> replication_specs() const override;
  TaskOutcome run_task(std::size_t task, Rng& rng,
                       std::span<const std::span<double>> out) const override;
  std::vector<Table> summarize(ReplicationReader& reader) const override;

  const std::vector<ThreeStageYear>& years() const { return years_; }
  const ThreeStageOptions& options() const { return options_; }
  std::size_t num_counties() const { return N_; }
  const std::vector<std::string>& inputs() const { return inputs_; }
  const std::vector<std::string>& environment() const { return env_; }

  /// SW98 pseudo-sample draw for scores `theta` with bandwidth h (exposed for tests): revest's
  /// draw on the Farrell scale, or (shephard = true) dea.boot's on the Shephard scale.
  static std::vector<double> draw_pseudo_scores(const std::vector<double>& theta, double h,
                                                Rng& rng, bool shephard = false);
  /// The "silverman" bandwidth rule of the file comment; scores within `efficient_tolerance` of 1
  /// count as efficient.
  static double bandwidth_rule(const std::vector<double>& theta, double efficient_tolerance = 1e-7);
  /// The "benchmarking" bandwidth rule of the file comment (R Benchmarking's dea.boot).
  static double bandwidth_benchmarking(const std::vector<double>& theta);

 private:
  struct Stage2 {
    std::vector<sfa::SfaResult> fit;
    std::vector<std::string> status;
    std::vector<int> units;
  };
  /// SW98 pseudo-sample inputs x theta / theta* (draws from rng, by the option's rule).
  Eigen::MatrixXd pseudo_inputs(const Eigen::MatrixXd& x, const std::vector<double>& theta,
                                double h, Rng& rng) const;
  /// The bandwidth of one year and stage (option bandwidth or bandwidth_rule).
  double bandwidth_of(const std::vector<double>& theta) const;
  /// Whether the total slack s of an input whose value is x is zero (slack_tolerance).
  bool zero_slack(double s, double x) const { return s <= options_.slack_tolerance * x; }
  /// Radial scores of the units (x, y) against the reference set (xs, y); unit i's own
  /// pseudo-observation starts the simplex; Clp is the fallback.
  std::vector<double> scores_against(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                                     const Eigen::MatrixXd& xs, const DeaResult& point) const;
  /// Stage-2 dependent variables: slacks >= 0 (0 for units whose LP failed, and exactly 0 for a
  /// zero slack, see zero_slack), as ratios if asked.
  Eigen::MatrixXd usable_slacks(const Eigen::MatrixXd& slack, const std::vector<DeaStatus>& status,
                                const Eigen::MatrixXd& x) const;
  Stage2 fit_stage2(const Eigen::MatrixXd& S, const Eigen::MatrixXd& Z,
                    const std::vector<std::string>& znames, const std::string& ctx) const;
  /// Per unit and input: the fitted environment term z'b and the JLMS noise v (zero for an input
  /// that is not adjusted).
  struct Stage2Terms {
    Eigen::MatrixXd zb, v;  ///< N x m
    /// 2 x m: the least favourable environment (max z'b) and the unluckiest noise (max v).
    Eigen::MatrixXd worst() const;
  };
  Stage2Terms stage2_terms(const Stage2& st, const Eigen::MatrixXd& S, const Eigen::MatrixXd& Z) const;
  /// x adjusted to `worst`: x + [max z'b - z'b] + [max v - v] (proportionally for "ratio").
  Eigen::MatrixXd adjust_inputs(const Stage2Terms& t, const Eigen::MatrixXd& x,
                                const Eigen::MatrixXd& worst) const;
  std::string name_;
  ThreeStageOptions options_;
  Returns main_ = Returns::kVrs;
  std::vector<std::string> inputs_, outputs_, env_;
  std::size_t N_ = 0, T_ = 0;
  std::vector<std::int64_t> adcode_;
  std::vector<std::string> county_name_, province_;
  std::vector<ThreeStageYear> years_;
};

}  // namespace revest::dea
