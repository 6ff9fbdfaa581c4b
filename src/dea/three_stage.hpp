#pragma once
/// \file three_stage.hpp
/// \brief Three-stage DEA (Fried, Lovell, Schmidt & Yaisawarng 2002) of one cross-section, with
/// the Simar-Wilson (1998) smoothed bootstrap of the stage-1 and stage-3 scores and the
/// Simar-Wilson (2007) Algorithm 1 truncated regression of the stage-1 scores on the environment.
///
/// Units i = 1..n with inputs x (n x m), outputs y (n x s), environment z (n x p):
///  Stage 1. Input-oriented DEA of (x, y): the model of `returns` (VRS by default) with the
///    max-slack phase, and the other of CRS/VRS for the scale efficiency CRS / VRS. Total slack
///    of input k: S_k = x_k - target_k (radial plus non-radial movement).
///  Stage 2. For each input k, a cost-type SFA S_k = b0 + z'b + v + u (sfa::fit_sfa; u half-
///    normal or truncated normal), fitted on the units with positive slack (option zero_slacks;
///    a slack is zero when S_ik <= slack_tolerance x_ik) and applied to every unit (JLMS noise of
///    each unit's own residual). A boundary fit follows the SFA boundary policy (gamma = 0: u = 0,
///    the whole residual is noise; gamma = 1: no noise) and is reported; an input with fewer than
///    p + 5 units with positive slack is not adjusted ("no_variation", reported).
///    Adjusted inputs: x_adj = x + [max_i(z_i'b) - z'b] + [max_i(v_i) - v], v = JLMS noise
///    (slack_scale kRatio: S_k / x_k is the dependent variable and x_adj = x (1 + [...] + [...])).
///  Stage 3. The same DEA on (x_adj, y).
/// With `stages = 1` only stage 1 runs (no environment is needed, the stage-2 and stage-3 fields
/// of the result are empty) and the bootstrap is that of the stage-1 scores.
///
/// Bootstrap (three_stage_replication: one replication of the stage-1 and stage-3 scores, and of
/// the truncated regression): for stage 1 and stage 3 separately the SW98 smoothed bootstrap of
/// the main-model scores (dea/sw_bootstrap.hpp: reflection, bandwidth rules, variance correction,
/// the observed units scored against the pseudo-sample). With bootstrap kScores (default) the
/// stage-2 estimates are held fixed in the stage-3 bootstrap; kThreeStage re-runs stages 1-3 on
/// each stage-1 pseudo-sample (its DEA with slacks by Clp, the SFA of its slacks, its adjusted
/// inputs), so that stage-3 intervals carry the stage-2 estimation uncertainty.
///
/// SW2007 Algorithm 1 (option truncated_regression): delta_i = 1 / theta_i (Farrell output-type
/// measure >= 1) of the main stage-1 model, regressed on (1, z) by truncated-normal ML on the m
/// inefficient units (theta_i < 1 - efficient_tolerance, i.e. delta_i > 1); each replication draws
/// e_i ~ N(0, s^2) left-truncated at 1 - z_i'b, sets delta*_i = z_i'b + e_i and re-estimates;
/// percentile intervals of b*, s*.
///
/// The job analysis `three_stage_dea` (analyses/three_stage_dea.hpp) runs this per year.
///
/// \test tests/dea/three_stage_test.cpp (known truth, zero slacks, replications, truncated
/// regression); tests/analyses/three_stage_dea_test.cpp (the job analysis).
#include <Eigen/Dense>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "core/status.hpp"
#include "dea/dea.hpp"
#include "dea/sw_bootstrap.hpp"
#include "sfa/sfa.hpp"

namespace revest::dea {

enum class ZeroSlacks { kExclude, kInclude };
enum class SlackScale { kLevel, kRatio };
enum class BootstrapScope { kScores, kThreeStage };
const char* to_string(ZeroSlacks z);      ///< "exclude" | "include"
const char* to_string(SlackScale s);      ///< "level" | "ratio"
const char* to_string(BootstrapScope b);  ///< "scores" | "three_stage"
ZeroSlacks zero_slacks_from_string(const std::string& s);
SlackScale slack_scale_from_string(const std::string& s);
BootstrapScope bootstrap_scope_from_string(const std::string& s);

struct ThreeStageOptions {
  /// 3 (default): the three stages; 1: stage 1 only, the DEA with its SW98 bootstrap (and, when
  /// environment variables are given, the SW2007 truncated regression): no environment needed.
  int stages = 3;
  /// Returns to scale of the main model (slacks, bootstrap): VRS (default), CRS, NIRS or NDRS.
  Returns returns = Returns::kVrs;
  /// Orientation of the DEA: input (default) or output (stages = 1 only: stage 2 adjusts
  /// inputs). With output orientation every score is an efficiency 1 / phi in (0, 1], the
  /// bootstrap draws pseudo-outputs (sw_bootstrap.hpp, pseudo_outputs) and scores by Clp, and
  /// SW2007 regresses phi.
  Orientation orientation = Orientation::kInput;
  /// Distribution of the stage-2 inefficiency. Default half-normal.
  sfa::Distribution sfa_distribution = sfa::Distribution::kHalfNormal;
  /// Units with zero total slack of an input: kExclude (default) fits the SFA of that input on
  /// the units with positive slack (a point mass at zero does not fit a model with continuous u
  /// and v: with it the likelihood runs to gamma -> 1 and b -> 0, i.e. no adjustment at all);
  /// kInclude fits on every unit (Fried et al. 2002 as printed). Every unit is adjusted with the
  /// fitted b and its own JLMS noise either way.
  ZeroSlacks zero_slacks = ZeroSlacks::kExclude;
  /// Dependent variable of stage 2: kLevel (default; the total slack S_k, as in Fried et al.
  /// 2002) or kRatio (S_k / x_k, the share of the input that is slack; the adjustment is then
  /// proportional). Use kRatio when unit sizes differ by orders of magnitude: in levels the lower
  /// envelope of the slacks is near zero at every z, and the fit ends at gamma -> 1.
  SlackScale slack_scale = SlackScale::kLevel;
  /// Level of the intervals. Default 0.95.
  double confidence = 0.95;
  /// SW98 bandwidth; 0 (default) = the rule `bandwidth_rule`.
  double bandwidth = 0.0;
  /// Bandwidth rule when `bandwidth` is 0 (dea/sw_bootstrap.hpp). Default kSilverman.
  BandwidthRule bandwidth_rule = BandwidthRule::kSilverman;
  /// A score within this of 1 is exactly 1, an efficient unit (DeaOptions). Default 1e-7.
  double efficient_tolerance = 1e-7;
  /// A total slack S_ik <= slack_tolerance * x_ik is zero (DeaOptions; zero_slacks, the
  /// zero-slack counts). Default 1e-6.
  double slack_tolerance = 1e-6;
  /// What a replication re-estimates: kScores (default) or kThreeStage (file comment). kThreeStage
  /// is about an order of magnitude slower (Clp slack phase and SFA fits in every replication).
  BootstrapScope bootstrap = BootstrapScope::kScores;
  /// SW2007 Algorithm 1 truncated regression. Default true.
  bool truncated_regression = true;

  /// Throws revest::Error naming the field that is out of range.
  void validate() const;
  bool operator==(const ThreeStageOptions&) const = default;
  /// The SW98 options these imply (returns, bandwidth, rule, tolerance, confidence).
  SwOptions sw() const;
};

/// Maximum-likelihood truncated-normal regression y = X b + e, e ~ N(0, s^2), y >= lower observed
/// (Simar & Wilson 2007).
struct TruncatedRegression {
  /// kOk, kNoConvergence (b and s are the optimiser's last point) or kNumericalFailure (too few
  /// units, collinear regressors: b and s empty).
  Status status = Status::Make(StatusCode::kNumericalFailure, "not estimated");
  Eigen::VectorXd beta, beta_se;
  double sigma = 0, sigma_se = 0;
  double loglik = 0;
  bool ok() const { return status.ok(); }
};
/// One draw of SW2007's bootstrap: delta* = z'b + e, e ~ N(0, sigma^2) left-truncated at 1 - z'b,
/// by inversion of one uniform from `rng` (so delta* >= 1).
double draw_sw2007_delta(double zb, double sigma, Rng& rng);
/// `start` (optional: b then sigma) replaces the OLS starting point (the bootstrap starts at the
/// point estimate).
TruncatedRegression fit_truncated_regression(const Eigen::VectorXd& y, const Eigen::MatrixXd& X,
                                             double lower = 1.0, bool standard_errors = true,
                                             const Eigen::VectorXd* start = nullptr);

/// Stage 2 of one input.
struct Stage2Input {
  bool fitted = false;       ///< false: too few units with positive slack, or no variation
  sfa::SfaResult fit;        ///< the SFA (default-constructed when not fitted)
  int units = 0;             ///< units in the fit
  int zero_slack_units = 0;  ///< units whose stage-1 total slack of this input is zero
  /// fit.status_name(), or "no_variation" when not fitted (the input is then not adjusted).
  const char* status_name() const { return fitted ? fit.status_name() : "no_variation"; }
};

/// Names used in error messages and reports (all optional).
struct ThreeStageNames {
  std::vector<std::string> units;        ///< e.g. "county X (510104), year 2015"
  std::vector<std::string> inputs;       ///< DEA inputs
  std::vector<std::string> environment;  ///< environment variables (without the intercept)
  std::string context = "three-stage DEA";
  std::string period;  ///< e.g. "year 2015": appended to the stage-2 contexts
};

/// Returns to scale of a unit from its CRS, VRS and NIRS input scores (Fare, Grosskopf & Lovell
/// 1985; DEAP's "irs / drs / -"): "crs" when CRS = VRS (scale efficient), else "drs" when NIRS =
/// VRS, else "irs"; equal within `tolerance` (relative). "" when a score is not finite.
const char* returns_to_scale(double crs, double vrs, double nirs, double tolerance);

/// Point estimates of one cross-section.
struct ThreeStageResult {
  /// kOk; or the stage-1 DEA's status when some LPs failed (those units have NaN scores and are
  /// left out of the bootstrap draws). Stage-2 fits carry their own status (stage2[k]).
  Status status;
  Eigen::MatrixXd x, y, z, x_adj;  ///< n x m, n x s, n x p, n x m
  Eigen::MatrixXd z1;              ///< n x (1 + p): intercept and environment
  Eigen::MatrixXd dep;             ///< n x m: stage-2 dependent variables
  DeaResult stage1, stage3;        ///< main model (with slacks)
  /// Radial (phase 1) efficiencies (theta, or 1 / phi) of the CRS, VRS and NIRS technologies, for the scale
  /// efficiency CRS / VRS and the returns to scale (returns_to_scale); the main model's own
  /// scores where it is one of them.
  std::vector<double> stage1_crs, stage1_vrs, stage1_nirs, stage3_crs, stage3_vrs, stage3_nirs;
  Eigen::MatrixXd slack1, slack3;   ///< n x m total input slack
  std::vector<Stage2Input> stage2;  ///< per input
  double h1 = 0, h3 = 0;            ///< SW98 bandwidths of stage 1 and stage 3
  TruncatedRegression truncreg;     ///< SW2007 (when the option is on)
  std::vector<int> truncreg_units;  ///< units with delta > 1
  ThreeStageOptions options;
  ThreeStageNames names;
  /// One paragraph: units, efficient units and mean efficiency at both stages, the stage-2 fits,
  /// the bandwidths and the truncated regression.
  std::string brief_report() const;
};

/// Point estimates of three-stage DEA of one cross-section. Throws revest::Error on bad data (a
/// zero, negative or non-finite input or output, named by names.units; mismatched sizes; too few
/// units for m + s + p + 2) or bad options.
ThreeStageResult three_stage(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                             const Eigen::MatrixXd& z, const ThreeStageOptions& options = {},
                             const ThreeStageNames& names = {});

/// One bootstrap replication of a cross-section, drawn from `rng` (the task a job farms out).
struct ThreeStageReplication {
  /// kOk, or kNumericalFailure when (bootstrap kThreeStage) the replication's stage 2 could not
  /// be fitted; the rows are then not to be used.
  Status status;
  std::vector<double> stage1, stage3;  ///< theta^b per unit (NaN: both solvers failed)
  /// Intercept, environment coefficients, sigma of the SW2007 re-estimate: NaN when the option is
  /// off, the point estimate did not converge, or this re-estimate did not.
  Eigen::VectorXd truncreg;
};
ThreeStageReplication three_stage_replication(const ThreeStageResult& point, Rng& rng);

/// The stage-1 and stage-3 bootstrap summaries and the SW2007 percentile intervals of B
/// replications, replication r drawn from key.stream(r), r = 0 .. replications - 1. For a job of
/// one year this is what the job's summaries hold (a job's replication draws all its years from
/// one stream, in year order).
struct ThreeStageBootstrap {
  Status status;
  std::vector<ThreeStageReplication> replications;
  SwSummary stage1, stage3;
  /// Per SW2007 parameter (intercept, environment, sigma): bootstrap mean, sd and the
  /// percentile interval; NaN when no replication converged.
  Eigen::VectorXd truncreg_mean, truncreg_sd, truncreg_lower, truncreg_upper;
};
ThreeStageBootstrap three_stage_bootstrap(const ThreeStageResult& point, const RngKey& key,
                                          std::size_t replications);

}  // namespace revest::dea
