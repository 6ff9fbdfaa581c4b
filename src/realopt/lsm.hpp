#pragma once
/// \file lsm.hpp
/// \brief Least squares Monte Carlo (Longstaff-Schwartz 2001) for projects with several embedded
/// options valued jointly (Gamba 2002), with an independent pricing set, antithetic variates, a
/// control variate and the Andersen-Broadie (2004) dual upper bound.
///
/// **Model.** A project is a finite set of states; in state s the holder owns q_s units of the
/// project value V (q = 0 before investing, 1 after, x after an expansion, 0 after abandoning)
/// plus the options still open. An action moves state `from` to state `to` (to > from: no
/// cycles) on the exercise dates inside its window, and its immediate gain is
///   g(V) = (q_to - q_from) V - cost
/// (invest: 0 -> 1 at cost I; expand: 1 -> x at cost I_e; abandon: q -> 0 at cost -salvage; an
/// American put: 0 -> -1 at cost -K). Values are counted in excess of the owned q_s V, which is
/// worth q_s V at any date (V is a value with payout yield delta under the risk-neutral measure),
/// so a state with no actions left is worth 0 and the project is worth q_0 V_0 + O_0(0).
///
/// **Backward induction** on dates t_k = k T / K (k = 0..K, t_0 = 0 included). For each state, in
/// reverse order (so the value of the target of an action is known first), the continuation
/// value C_s(t_k, V) = E[e^{-r dt} O_s(t_{k+1}) | V] is regressed on a basis of x = V / scale
/// (weighted least squares, weights 1 / max(1, x^2); see lsm.cpp);
///   estimated value  Ê_s = max(Ĉ_s, max_a g_a + Ê_to)   (decides),
///   realised value   P_s = discounted cash flows of the chosen action along the path (carried),
/// as in Longstaff-Schwartz (the value carried is realised, only the decision uses the fit).
/// The regression uses the paths where exercising could pay (max_a g_a + Ê_to > 0, "in the
/// money") when no other state needs this state's value at that date, else every path. At t_0 all
/// paths share V_0 and the fit is the sample mean.
///
/// **Low estimate.** The coefficients come from `regression_paths` paths; the value is the mean
/// of O_0 on an independent set of `pricing_paths` paths (the rule is fixed, so the estimate is
/// biased low only by the rule's suboptimality, not by foresight). Antithetic pairs are averaged
/// before the standard error. A control variate: the discounted European value (maturity T, closed
/// form, process.hpp) of the initial state's first action that changes q, taken at the date the
/// path's rule leaves the initial state (T if it never does); by optional stopping its mean is the
/// European value at t = 0 (Rasmussen 2005). Its coefficient is estimated on the regression paths
/// (so the estimate stays unbiased) and the control is kept only if a coefficient fitted on half
/// of them lowers the variance on the other half, and, for call-type controls, if var(ln V_T) <= 2
/// (beyond, the lognormal tail makes it unreliable). On the Longstaff-Schwartz puts it cuts the
/// standard error about tenfold.
///
/// **High estimate** (optional, any project): the Andersen-Broadie dual, with one martingale per
/// state built from the rule's own values (inner simulations along each outer path), and the best
/// pathwise sequence of actions against the penalised cash flows (the information relaxation dual
/// of a finite-state control problem; Rogers 2007, Brown-Smith-Sun 2010). For a single-exercise
/// project the martingale is Andersen-Broadie's. Cost: upper_outer x K x upper_inner x (K / 2)
/// path-steps, with the rule decided from every state at each of them.
///
/// \test tests/realopt/lsm_test.cpp: Longstaff-Schwartz (2001) Table 1 (20 American puts, 50 dates
/// per year) within 3 standard errors of the finite-difference Bermudan values; deferral against
/// McDonald-Siegel and the finite-life American call; Geske's compound option; European values
/// against Black-Scholes; the dual bound above the low estimate, and the low/high bracket around a
/// binomial-lattice value of a staged project with expansion and abandonment; independence of the
/// pricing set; value() on the first put (status, the FD value, the brief report); validate().
#include <Eigen/Dense>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "core/status.hpp"
#include "realopt/process.hpp"

namespace revest::realopt {

struct ProjectState {
  std::string name;
  double scale = 0.0;  ///< q: units of V owned in this state
};

struct ProjectAction {
  std::string name;
  int from = 0, to = 0;  ///< state indices, to > from
  double cost = 0.0;     ///< paid on exercise (negative: received, e.g. a salvage value)
  double first_time = 0.0, last_time = std::numeric_limits<double>::infinity();  ///< window, years
  /// True if the window contains date t (with 1e-9 years of slack for dates computed as k T / K).
  bool open_at(double t) const { return t >= first_time - 1e-9 && t <= last_time + 1e-9; }
};

struct Project {
  std::vector<ProjectState> states;
  std::vector<ProjectAction> actions;
  int initial = 0;
  double basis_scale = 1.0;  ///< V is regressed as V / basis_scale (e.g. the investment cost)
  /// Throws revest::Error naming `what` if the graph is not a forward DAG or a value is invalid.
  void validate(const std::string& what) const;
  /// q_to - q_from of action a: the units of V its exercise adds to the holding.
  double scale_change(int a) const;
};

/// Regression basis (each with a constant): Longstaff-Schwartz's exp(-x/2)-weighted Laguerre
/// polynomials L_0..L_{order-1}; unweighted L_1..L_order; monomials of x or of ln x (standardised
/// per date) up to x^order; a linear spline in x with order - 1 knots at equally spaced quantiles
/// of the regression sample (the most robust for calls over long horizons).
enum class Basis { kLaguerre, kLaguerreUnweighted, kMonomial, kLogMonomial, kSpline };
const char* to_string(Basis b);

/// "laguerre" | "laguerre_unweighted" | "monomial" | "log_monomial" | "spline" (throws revest::Error
/// on another name).
Basis basis_from_string(const std::string& s);

/// The settings of one LSM valuation. The defaults are Longstaff-Schwartz's (2001) for their puts;
/// the job analysis `real_options` has its own (analyses/real_options.hpp, config/defaults.toml).
struct LsmOptions {
  /// T, years (> 0). Default 1.
  double horizon = 1.0;
  /// Exercise dates per year (>= 1); the grid is also the time grid. Default 50.
  int dates_per_year = 50;
  /// Regression basis. Default kLaguerre (LS 2001's weighted Laguerre polynomials).
  Basis basis = Basis::kLaguerre;
  /// Number of non-constant basis functions, in [0, 16]. Default 3.
  int order = 3;
  /// Paths of the regression set, which fixes the exercise rule (>= 2). Default 100,000.
  std::size_t regression_paths = 100000;
  /// Paths of the independent pricing set, which gives the low estimate (>= 2). Default 100,000.
  std::size_t pricing_paths = 100000;
  /// Antithetic pairs (averaged before the standard error). Default true.
  bool antithetic = true;
  /// The European control variate of the file comment. Default true.
  bool control_variate = true;
  /// > 0: paths under the real-world measure for the probability and mean time of leaving the
  /// initial state. Default 0 (not computed: NaN in the result).
  std::size_t real_world_paths = 0;
  /// The Andersen-Broadie dual upper bound. Default false.
  bool upper_bound = false;
  /// Outer and inner paths of the dual (>= 1 each when upper_bound). Defaults 500 and 200.
  std::size_t upper_outer = 500, upper_inner = 200;
  /// Compute V*(t) of the initial state's first action. Default true.
  bool boundary = true;
  /// K = round(horizon * dates_per_year), at least 1.
  int dates() const;
  /// Throws revest::Error ("LSM: ...") naming the field that is out of range.
  void validate() const;
};

/// The value of a project: the LSM low estimate, with what was learnt on the way.
struct Valuation {
  /// kOk; kNumericalFailure when a regression was singular (the message gives the date and the
  /// state) or the value is not finite. The numbers are not to be used unless ok.
  Status status = Status::Make(StatusCode::kNumericalFailure, "not valued");
  double value = 0.0;        ///< q_0 V_0 + option value: low estimate (with the control variate)
  double se = 0.0;           ///< its standard error
  double value_plain = 0.0;  ///< without the control variate
  double se_plain = 0.0;
  double european = std::numeric_limits<double>::quiet_NaN();  ///< the control's closed form
  double cv_beta = 0.0;
  double upper = std::numeric_limits<double>::quiet_NaN();  ///< dual upper bound (if asked)
  double upper_se = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> times;  ///< t_k, k = 0..K
  /// V*(t_k) of the initial state's first action: the value where the rule starts to exercise,
  /// searched between the 0.5 % and 99.5 % quantiles of the simulated V at t_k (NaN: no threshold
  /// there, or t_0, where every path has V_0)
  std::vector<double> boundary;
  double exercise_probability = std::numeric_limits<double>::quiet_NaN();  ///< real world
  double mean_exercise_time = std::numeric_limits<double>::quiet_NaN();    ///< given exercise
  double path_steps = 0.0;  ///< simulated path-steps (all sets), for throughput figures
  LsmOptions options;       ///< the settings it was valued with
  /// One paragraph: the value and its standard error (with and without the control), the
  /// European value, the dual bracket and the real-world exercise figures when computed, the
  /// grid and the paths, and the status.
  std::string brief_report() const;
};

/// The task-level valuation: values `project` on `process` by LSM, drawing only from `rng`
/// (regression paths first, then pricing, real-world and upper-bound paths), so a copy of one
/// stream gives common random numbers across projects (the job analysis `real_options` values
/// every mode and scenario of a task on copies of the task's stream). Throws revest::Error on an
/// invalid process, project or options; a valuation that ran but failed is a status.
Valuation value_lsm(const Process& process, const Project& project, const LsmOptions& options,
                    Rng& rng);

/// The library entry point: value_lsm on the stream key.stream(replication), i.e. the stream the
/// job runtime gives task `replication` of an analysis keyed the same (RngKey(job seed, analysis
/// name)). value(project, process, options, key) is replication 0; a loop over replications gives
/// independent valuations (e.g. batches), and value(..., key, t) with a `real_options` analysis's
/// key and per-batch LsmOptions reproduces that task's valuation of one mode and scenario.
Valuation value(const Project& project, const Process& process, const LsmOptions& options,
                const RngKey& key, std::uint32_t replication = 0);

/// A project with only the deferral option: invest at cost I on any date (an American call on V).
Project deferral_project(double investment);
/// An American put on V with strike K (Longstaff-Schwartz 2001 Table 1).
Project american_put(double strike);

}  // namespace revest::realopt
