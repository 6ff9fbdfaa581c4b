#pragma once
/// \file malmquist.hpp
/// \brief The Malmquist productivity index between two periods and its decomposition (Fare,
/// Grosskopf, Norris & Zhang 1994), from DEA distance functions.
///
/// For each unit present in periods 0 and 1, with e_ab its DEA efficiency (input: theta; output:
/// 1 / phi) of its period-b data against the period-a frontier (CRS; a cross-period score may
/// exceed 1):
///   tfpch  = sqrt( e_01 / e_00 * e_11 / e_10 )       total factor productivity change
///   effch  = e_11 / e_00                              efficiency change (catching up)
///   techch = sqrt( e_01 / e_11 * e_00 / e_10 )       technical change (frontier shift)
/// so that tfpch = effch x techch; and with v_aa the VRS efficiencies of the own periods,
///   pech = v_11 / v_00 (pure efficiency change), sech = effch / pech (scale efficiency change).
/// Values above 1 are improvements (DEAP's and R Benchmarking's convention in Farrell terms).
/// Under CRS the input and output orientations give the same tfpch, effch and techch; pech and
/// sech depend on the orientation.
///
/// Bootstrap (Simar & Wilson 1999, "Estimating and bootstrapping Malmquist indices", EJOR 115,
/// 459-471, section 4), for tfpch, effch and techch. The own-period CRS scores (a_i, b_i) =
/// (e00_i, e11_i) of a unit are correlated over time, so they are drawn in pairs from a bivariate
/// kernel estimate of their joint density, reflected at the frontier (scores <= 1):
///   reflected set of 4n pairs (a, b), (2 - a, b), (2 - a, 2 - b), (a, 2 - b);
///   Sigma = sample covariance of the n pairs (a, b) (divisor n - 1); Sigma_R = Sigma with its
///   covariance negated (the kernel of the pairs reflected in one coordinate);
///   draw n pairs d*_i from the 4n with replacement, e_i ~ N(0, Sigma) for pairs of the first and
///   third kind, N(0, Sigma_R) for the others; with c the mean of the n drawn pairs,
///   g_i = c + (d*_i + h e_i - c) / sqrt(1 + h^2)  (variance correction);
///   theta*_i = g_i if g_i <= 1, else 2 - g_i, per coordinate (a draw with a coordinate <= 0 is
///   redrawn, as in sw_bootstrap.hpp);
///   pseudo-inputs x*_0i = x_0i a_i / theta*_0i, x*_1i = x_1i b_i / theta*_1i, outputs as observed;
///   e*_ab of the OBSERVED period-b data against the period-a pseudo-frontier (RadialSolver, CRS;
///   Clp the fallback), and the indices from them.
/// Bandwidth h = (4 / (5 n))^(1/6) (Simar & Wilson 1999, after Silverman 1986 for a bivariate
/// normal kernel; n the units with finite scores), or MalmquistBootstrapOptions::bandwidth.
/// Under CRS, scaling inputs by a_i / theta* moves a unit along the same ray as scaling outputs
/// by theta* / a_i, so the pseudo-frontiers and hence the bootstrap are the same in the output
/// orientation. pech and sech are not bootstrapped: they need VRS frontiers, whose pseudo-samples
/// a CRS data-generating process does not give (Simar & Wilson 1999 bootstrap the CRS index and
/// its two-way decomposition).
/// Summaries per unit and index as SW98's (summarize_sw): bias, bias-corrected value, variance and
/// the basic interval [2 M - q_hi, 2 M - q_lo]; an interval that excludes 1 says the change is
/// significant at that level (Simar & Wilson 1999, section 4).
///
/// \test tests/dea/malmquist_test.cpp: the closed forms of one input and one output (tfpch = the
/// ratio of the unit's productivities, techch = the ratio of the frontiers' productivities), the
/// identities tfpch = effch techch = pech sech techch, and agreement with the cross-period LPs of
/// solve_dea; the bootstrap's draws (support, the pairs' correlation), its replications against
/// Clp, the library loop against the task function, and the coverage of its intervals on a
/// data-generating process with known frontiers (bench/RESULTS.md has the larger study).
#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "core/status.hpp"
#include "dea/dea.hpp"
#include "dea/sw_bootstrap.hpp"

namespace revest::dea {

struct MalmquistOptions {
  /// Orientation of the distance functions (pech and sech depend on it). Default input.
  Orientation orientation = Orientation::kInput;
  /// A score within this of 1 is exactly 1 (DeaOptions). Default 1e-7.
  double efficient_tolerance = 1e-7;
  /// Throws revest::Error naming the field that is out of range.
  void validate() const;
};

struct MalmquistResult {
  /// kOk when every unit's LPs were solved; else kNumericalFailure with the units whose LPs
  /// failed (NaN indices) counted.
  Status status;
  /// CRS efficiencies e_ab (period-a frontier, period-b data) and VRS own-period v_00, v_11.
  std::vector<double> e00, e01, e10, e11, v00, v11;
  std::vector<double> tfpch, effch, techch, pech, sech;
  MalmquistOptions options;
  /// One paragraph: units, geometric means of the indices.
  std::string brief_report() const;
};

/// The index for the units (rows) of (x0, y0) in period 0 and (x1, y1) in period 1 (the same
/// units, in the same order); every period's frontier is that of its own rows. The LPs are
/// solved by RadialSolver with Clp as the fallback (sw_bootstrap.hpp's scores_against_reference:
/// equal to Clp's to 1e-9, about 60 times faster); the VRS scores of the output orientation by
/// Clp. `labels` name the units in errors. Throws revest::Error on bad data (as solve_dea) or
/// mismatched sizes.
MalmquistResult malmquist(const Eigen::MatrixXd& x0, const Eigen::MatrixXd& y0,
                          const Eigen::MatrixXd& x1, const Eigen::MatrixXd& y1,
                          const MalmquistOptions& options = {},
                          const std::vector<std::string>& labels = {});

/// The index between consecutive periods of a panel: element t - 1 is malmquist(x[t - 1], y[t - 1],
/// x[t], y[t]), t = 1 .. T - 1, with the same values, but each period's own CRS and VRS DEAs are
/// solved once (2 T + 2 (T - 1) DEAs instead of 6 (T - 1)). labels[t - 1] names the units of pair
/// t - 1 (or empty).
std::vector<MalmquistResult> malmquist_sequence(
    const std::vector<Eigen::MatrixXd>& x, const std::vector<Eigen::MatrixXd>& y,
    const MalmquistOptions& options = {}, const std::vector<std::vector<std::string>>& labels = {});

/// Simar & Wilson's (1999) bandwidth (4 / (5 n))^(1/6) for n units.
double malmquist_bandwidth(std::size_t n);
/// The bandwidth for a point estimate: n = the units with finite own-period scores e00 and e11.
double malmquist_bandwidth(const MalmquistResult& point);

/// One draw of pseudo-scores (theta*_0, theta*_1) for own-period scores (e00, e11) with bandwidth
/// h (file comment). Units with a non-finite score in either period are left out of the kernel
/// and get NaN.
struct PseudoPairs {
  std::vector<double> theta0, theta1;
};
PseudoPairs draw_pseudo_pairs(const std::vector<double>& e00, const std::vector<double>& e11,
                              double h, Rng& rng);

/// The bootstrap values of one replication (one per unit; NaN where an LP failed).
struct MalmquistDraw {
  std::vector<double> tfpch, effch, techch;
};
/// One replication: pseudo-samples drawn from `rng` with bandwidth h around the point estimate
/// `point` (= malmquist(x0, y0, x1, y1)), and the indices of the observed data against them.
MalmquistDraw malmquist_replication(const Eigen::MatrixXd& x0, const Eigen::MatrixXd& y0,
                                    const Eigen::MatrixXd& x1, const Eigen::MatrixXd& y1,
                                    const MalmquistResult& point, double h, Rng& rng);

struct MalmquistBootstrapOptions {
  /// The index's options (orientation, tolerance).
  MalmquistOptions index;
  /// Fixed bandwidth h (> 0), or 0 (default) for malmquist_bandwidth(n).
  double bandwidth = 0.0;
  /// Level of the intervals. Default 0.95.
  double confidence = 0.95;
  /// Throws revest::Error naming the field that is out of range.
  void validate() const;
};

struct MalmquistBootstrapResult {
  /// The point estimate's status; kNumericalFailure if a unit has no finite replication.
  Status status;
  MalmquistResult point;
  double bandwidth = 0.0;                ///< h used
  Eigen::MatrixXd tfpch, effch, techch;  ///< B x n replications
  SwSummary tfpch_summary, effch_summary, techch_summary;
  MalmquistBootstrapOptions options;
  /// One paragraph: units, bandwidth, replications, geometric means and how many units' tfpch
  /// intervals lie above or below 1.
  std::string brief_report() const;
};

/// The whole bootstrap: the point estimate, then replication b drawn from
/// key.stream(b).for_replication(b, part), b = 0 .. replications - 1 (part 0: the stream itself;
/// the job analysis uses one part per pair of years, so a user reproduces its replications with
/// the same key and part). Throws revest::Error on bad data or options.
MalmquistBootstrapResult malmquist_bootstrap(const Eigen::MatrixXd& x0, const Eigen::MatrixXd& y0,
                                             const Eigen::MatrixXd& x1, const Eigen::MatrixXd& y1,
                                             const MalmquistBootstrapOptions& options,
                                             const RngKey& key, std::size_t replications,
                                             std::uint32_t part = 0,
                                             const std::vector<std::string>& labels = {});

}  // namespace revest::dea
