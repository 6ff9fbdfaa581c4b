#pragma once
/// \file dea.hpp
/// \brief Data envelopment analysis: radial envelopment models solved with COIN-OR Clp.
///
/// For an evaluated unit o with inputs x_o (m) and outputs y_o (s), against a reference set of
/// n units with inputs X (n x m) and outputs Y (n x s):
///   input orientation:  theta* = min theta  s.t.  sum_j l_j x_j <= theta x_o,  sum_j l_j y_j >= y_o
///   output orientation: phi*   = max phi    s.t.  sum_j l_j x_j <= x_o,  sum_j l_j y_j >= phi y_o
/// with l >= 0 and, for the returns to scale, CRS: no further constraint; VRS: sum l = 1;
/// NIRS: sum l <= 1; NDRS: sum l >= 1 (Charnes, Cooper & Rhodes 1978; Banker, Charnes & Cooper
/// 1984; Fare, Grosskopf & Lovell 1994 for the non-increasing / non-decreasing technologies).
/// Phase 2 (optional) keeps the radial score fixed and maximises the sum of the input and output
/// slacks; the slacks, peers (l_j > 0) and targets come from that solution.
///
/// One Clp model is built per reference set and reused for every evaluated unit: only the
/// coefficients of the score column and the right-hand sides change, so each LP starts from the
/// previous optimal basis (warm start). The reference set may differ from the evaluated set (the
/// bootstrap evaluates observed units against pseudo-samples). Super-efficiency (Andersen &
/// Petersen 1993) removes the unit itself from the reference set; an infeasible LP (common for VRS
/// super-efficiency) is a status on that unit, not an error.
///
/// \test tests/dea/dea_test.cpp: Coelli's DEAP 2.1 example EG1 (CRS input: scores, slacks, peers,
/// weights, targets as printed), closed forms for one input and one output (CRS, VRS, NIRS, NDRS, both
/// orientations), CRS input/output reciprocity, scale efficiency, super-efficiency and infeasible
/// cases, a reference set different from the evaluated set, warm start equal to cold start, bad data.
#include <Eigen/Dense>
#include <string>
#include <vector>

#include "core/status.hpp"

namespace revest::dea {

enum class Returns { kCrs, kVrs, kNirs, kNdrs };
enum class Orientation { kInput, kOutput };
const char* to_string(Returns r);
const char* to_string(Orientation o);
Returns returns_from_string(const std::string& s);          ///< "crs" | "vrs" | "nirs" | "ndrs"
Orientation orientation_from_string(const std::string& s);  ///< "input" | "output"

struct DeaOptions {
  /// Returns to scale of the technology. Default VRS.
  Returns returns = Returns::kVrs;
  /// Input (contract inputs) or output (expand outputs) orientation. Default input.
  Orientation orientation = Orientation::kInput;
  /// Second phase: maximise the sum of slacks at the optimal radial score. Default on.
  bool slacks = true;
  /// Andersen-Petersen super-efficiency: each evaluated unit that is also in the reference set
  /// (see `self` in solve_dea) is removed from it. Default off.
  bool super_efficiency = false;
  /// Peer weights below this are reported as zero. Default 1e-9.
  double peer_tolerance = 1e-9;
  /// A score within this of 1 is reported as exactly 1 (an efficient unit). The simplex returns
  /// efficient units as 1 - 1e-12 or 1 + 2e-16, and Clp's primal feasibility tolerance is 1e-7;
  /// without snapping, "efficient" would depend on rounding (R Benchmarking snaps at 1e-7 too).
  /// Default 1e-7.
  double efficient_tolerance = 1e-7;
  /// A slack below this times the unit's own value of that input (output) is reported as exactly
  /// zero: phase 2 leaves slacks of 1e-9 ... 2e-8 where there is none (LP rounding, which scales
  /// with the data). Zero slack then means zero, wherever slacks are classified (e.g. the
  /// zero_slacks option of three-stage DEA). Default 1e-6.
  double slack_tolerance = 1e-6;
  /// Throws revest::Error naming the field that is out of range.
  void validate() const;
};

/// Name of a unit's LP outcome as stored in archives: "optimal" (kOk), "infeasible", "unbounded",
/// "solver_failure" (kNumericalFailure: Clp stopped without a proof either way).
const char* lp_status_name(StatusCode c);

/// Results for the evaluated units (rows in the order given).
struct DeaResult {
  /// kOk when every unit's LP was solved; otherwise the code of the worst outcome (a solver
  /// failure before an unbounded before an infeasible LP) and a message counting the units. An
  /// infeasible LP is a normal outcome of VRS super-efficiency; unit_status says which units.
  Status status;
  /// Per evaluated unit: kOk, kInfeasible, kUnbounded or kNumericalFailure (see lp_status_name).
  std::vector<StatusCode> unit_status;
  /// Farrell measure: theta (input; <= 1 unless super-efficiency) or phi (output; >= 1);
  /// exactly 1 within DeaOptions::efficient_tolerance.
  std::vector<double> farrell;
  /// Efficiency in (0, 1] for ordinary models: theta (input) or 1/phi (output).
  std::vector<double> efficiency;
  /// n_eval x m (phase 2; zero if slacks = false); exactly 0 below slack_tolerance x input.
  Eigen::MatrixXd input_slacks;
  Eigen::MatrixXd output_slacks;   ///< n_eval x s; exactly 0 below slack_tolerance x output
  Eigen::MatrixXd input_targets;   ///< n_eval x m: projected inputs (radial and slack movement)
  Eigen::MatrixXd output_targets;  ///< n_eval x s
  /// Peers of each unit: (reference index, weight l_j) with l_j > peer_tolerance.
  std::vector<std::vector<std::pair<int, double>>> peers;
  std::size_t lps_solved = 0;  ///< linear programs solved (phase 1 and 2)
  DeaOptions options;          ///< the options it was computed with
  /// One paragraph: model, units, efficient units, mean efficiency, LP outcomes.
  std::string brief_report() const;
};

/// Evaluates the units (x_eval, y_eval) against the reference set (x_ref, y_ref); rows are units.
/// `self[k]` is the reference index of evaluated unit k (or -1), used by super-efficiency.
/// `labels` name the evaluated units in error messages (e.g. "county 510104, year 2015"); the
/// reference units are named "reference unit j". Throws revest::Error on bad data: a zero,
/// negative or non-finite input or output, mismatched dimensions, or fewer reference units than
/// inputs + outputs.
DeaResult solve_dea(const Eigen::MatrixXd& x_eval, const Eigen::MatrixXd& y_eval,
                    const Eigen::MatrixXd& x_ref, const Eigen::MatrixXd& y_ref,
                    const DeaOptions& options, const std::vector<int>& self = {},
                    const std::vector<std::string>& labels = {});

/// Throws revest::Error unless x and y have the same rows and every input and output is positive
/// and finite; the message names the unit (labels[r], else "WHAT unit r"), as solve_dea's do.
void check_dea_data(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, const char* what,
                    const std::vector<std::string>& labels = {});

/// Evaluates every unit of a data set against the data set itself (self[k] = k).
DeaResult solve_dea(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, const DeaOptions& options,
                    const std::vector<std::string>& labels = {});

}  // namespace revest::dea
