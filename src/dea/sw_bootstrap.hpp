#pragma once
/// \file sw_bootstrap.hpp
/// \brief The Simar-Wilson (1998) smoothed bootstrap of input-oriented radial DEA scores.
///
/// For scores theta_i in (0, 1] of n units (inputs x, outputs y):
///   reflected set R = {theta_i, 2 - theta_i} (2n values), bandwidth h (below);
///   draw beta*_i from R, e_i ~ N(0, 1); t_i = beta*_i + h e_i;
///   variance correction t*_i = mean(beta*) + (t_i - mean(beta*)) / sqrt(1 + h^2 / var(R));
///   reflect: theta*_i = t*_i if t*_i <= 1, else 2 - t*_i (a draw with theta*_i <= 0, possible
///   only for t*_i > 2 or <= 0, is redrawn); units whose LP failed are left out of the draws;
///   pseudo-sample x*_i = x_i theta_i / theta*_i, y*_i = y_i;
///   theta^b_i = score of the OBSERVED (x_i, y_i) against the pseudo-sample (RadialSolver, Clp as
///   the fallback).
/// Summaries per unit (Simar & Wilson 2000): bias = mean_b(theta^b) - theta, bias-corrected
/// theta - bias, variance var_b(theta^b), and the interval [2 theta - q_hi, 2 theta - q_lo], where
/// q_lo, q_hi are the (1 -+ confidence)/2 quantiles of theta^b (type 7).
///
/// Efficient units: a score within `efficient_tolerance` (1e-7) of 1 is exactly 1 (dea.hpp); the
/// efficient units form an atom at 1 in the score distribution.
/// Bandwidth rules (SwOptions::bandwidth_rule; SwOptions::bandwidth > 0 fixes h instead):
///  kSilverman (default): h = 0.9 min(sd(R), IQR(R_m) / 1.34) n^(-1/5): Silverman's (1986,
///    eq. 3.31) rule of thumb on the reflected scores R at the original sample size n, where the
///    interquartile range is taken over R_m, the reflected scores of the m inefficient units only.
///    IQR(R) is twice the median of 1 - theta over all units, so with half the units efficient it
///    is 0 (or 1e-12, from rounding) and h collapses: no smoothing, and upper interval bounds equal
///    to theta. The atom is an artefact of DEA, not part of the density being smoothed, and
///    Daraio & Simar (2007, p. 61) remove it for the same reason. The IQR term is used only when it
///    is positive; with no inefficient unit h = 0 (nothing to smooth).
///  kBenchmarking: R Benchmarking's dea.boot (file dea.boot.R, svn revision 229, 2020), to
///    reproduce its intervals: on the m scores with 1 / theta > 1 + 1e-6, R_m = {theta, 2 - theta},
///    h = 0.9 s m2^(-1/5) sd(1 / theta) / sd(R_m) (m2 / n)^(1/5), m2 = 2 m, s = IQR(R_m) / 1.349
///    if 1e-6 < that < sd(R_m), else sd(R_m) (Daraio & Simar 2007, eq. 3.26; sample sd, IQR type
///    7). Its pseudo-scores are drawn as dea.boot's dea.sample draws them: on the Shephard scale
///    D = 1 / theta, reflected at 1 (D* = 2 - D~ when D~ < 1), variance-corrected with var of the
///    reflected set (divisor 2n - 1), theta* = 1 / D*. revest keeps its own interval (above);
///    dea.boot forms the same basic interval on the Shephard scale with type-9 quantiles, which
///    gives the same bounds up to the quantile interpolation.
///
/// A replication is a pure function of the point estimate and its stream: sw_replication() is the
/// task a job farms out; simar_wilson_bootstrap() runs B of them in a loop and summarises.
///
/// \test tests/dea/sw_bootstrap_test.cpp (bandwidth rules by hand, draws, a bootstrap with most
/// units efficient, the library loop against the task function); coverage in bench/RESULTS.md.
#include <Eigen/Dense>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "core/status.hpp"
#include "dea/dea.hpp"

namespace revest::dea {

enum class BandwidthRule { kSilverman, kBenchmarking };
const char* to_string(BandwidthRule r);                          ///< "silverman" | "benchmarking"
BandwidthRule bandwidth_rule_from_string(const std::string& s);  ///< throws revest::Error

struct SwOptions {
  /// Technology of the scores (RadialSolver: CRS, VRS or NIRS). Default VRS.
  Returns returns = Returns::kVrs;
  /// Bandwidth rule when `bandwidth` is 0. Default kSilverman.
  BandwidthRule bandwidth_rule = BandwidthRule::kSilverman;
  /// Fixed bandwidth h (> 0), or 0 (default) for the rule.
  double bandwidth = 0.0;
  /// A score within this of 1 is exactly 1, an efficient unit (DeaOptions). Default 1e-7.
  double efficient_tolerance = 1e-7;
  /// Level of the intervals. Default 0.95.
  double confidence = 0.95;
  /// Throws revest::Error naming the field that is out of range.
  void validate() const;
};

/// kSilverman rule of the file comment; scores within `efficient_tolerance` of 1 are efficient.
double bandwidth_silverman(const std::vector<double>& theta, double efficient_tolerance = 1e-7);
/// kBenchmarking rule of the file comment (R Benchmarking's dea.boot).
double bandwidth_benchmarking(const std::vector<double>& theta);
/// The bandwidth `options` give for these scores (non-finite scores, failed LPs, skipped).
double bandwidth(const std::vector<double>& theta, const SwOptions& options);

/// SW98 pseudo-scores theta* for scores `theta` with bandwidth h: revest's draw on the Farrell
/// scale, or (shephard = true) dea.boot's on the Shephard scale. NaN scores stay NaN.
std::vector<double> draw_pseudo_scores(const std::vector<double>& theta, double h, Rng& rng,
                                       bool shephard = false);
/// Pseudo-sample inputs x theta / theta* (one draw of draw_pseudo_scores by the rule's scale).
Eigen::MatrixXd pseudo_inputs(const Eigen::MatrixXd& x, const std::vector<double>& theta, double h,
                              Rng& rng, BandwidthRule rule);
/// Output orientation (Simar & Wilson 2000, section 4): pseudo-sample outputs y delta* / delta,
/// delta = 1 / phi the output efficiencies in (0, 1] and delta* their draws (as
/// draw_pseudo_scores draws theta*), so that the pseudo-units lie below the frontier as the
/// observed ones do.
Eigen::MatrixXd pseudo_outputs(const Eigen::MatrixXd& y, const std::vector<double>& delta, double h,
                               Rng& rng, BandwidthRule rule);
/// Output efficiencies (1 / phi) of the units (x, y) against the reference set (x, ys), by Clp
/// (NaN for an LP that fails).
std::vector<double> output_scores_against(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                                          const Eigen::MatrixXd& ys, Returns returns);
/// Row i of m times num[i] / den[i] (the pseudo-samples' x theta / theta* and y delta* / delta); a
/// unit with a non-finite num[i] or den[i] (an LP that failed) keeps its row.
Eigen::MatrixXd rescale_rows(Eigen::MatrixXd m, const std::vector<double>& num,
                             const std::vector<double>& den);
/// Radial input scores (Farrell) of the units (x_eval, y_eval) against the reference set (x_ref,
/// y_ref), by RadialSolver with Clp as the fallback (NaN only if both fail). `twins`: row i of the
/// reference set has the outputs of evaluated unit i (a pseudo-observation of it), which starts
/// its simplex; otherwise the solver finds a start.
std::vector<double> scores_against_reference(const Eigen::MatrixXd& x_eval,
                                             const Eigen::MatrixXd& y_eval,
                                             const Eigen::MatrixXd& x_ref,
                                             const Eigen::MatrixXd& y_ref, Returns returns,
                                             bool twins);
/// Radial input scores of the units (x, y) against the reference set (xs, y), one per unit; unit
/// i's own pseudo-observation and its point-estimate peers start the simplex; Clp is the fallback
/// (NaN only if both fail).
std::vector<double> scores_against(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                                   const Eigen::MatrixXd& xs, const DeaResult& point,
                                   Returns returns);

/// One replication: theta^b of every unit against a pseudo-sample drawn from `rng` with
/// bandwidth h (the point estimate's bandwidth(point.farrell, options)).
std::vector<double> sw_replication(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                                   const DeaResult& point, double h, const SwOptions& options,
                                   Rng& rng);

/// Per-unit summaries of B replications (file comment).
struct SwSummary {
  std::vector<double> bias, bias_corrected, variance, lower, upper;
  std::vector<std::size_t> replicates;  ///< finite replications per unit
};
/// `draws` is B x n (NaN for a failed replication); theta the point estimates.
SwSummary summarize_sw(const std::vector<double>& theta, const Eigen::MatrixXd& draws,
                       double confidence);

struct SwBootstrapResult {
  Status status;               ///< kNumericalFailure if a unit has no finite replication
  DeaResult point;             ///< the point estimates (radial, no slack phase)
  double bandwidth = 0.0;      ///< h used
  Eigen::MatrixXd replicates;  ///< B x n: theta^b
  SwSummary summary;
  SwOptions options;
  /// One paragraph: units, bandwidth and rule, replications, mean bias and interval width.
  std::string brief_report() const;
};

/// The whole SW98 bootstrap of the input-oriented DEA of (X, Y): the point estimates, then
/// replication r drawn from key.stream(r), r = 0 .. replications - 1. Throws revest::Error on bad
/// data or options.
SwBootstrapResult simar_wilson_bootstrap(const Eigen::MatrixXd& X, const Eigen::MatrixXd& Y,
                                         const SwOptions& options, const RngKey& key,
                                         std::size_t replications);

}  // namespace revest::dea
