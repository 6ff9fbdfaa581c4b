#pragma once
/// \file panel_threshold.hpp
/// \brief Hansen's (1999) fixed-effects panel threshold regression ("Threshold effects in non-
/// dynamic panels: estimation, testing, and inference", Journal of Econometrics 93(2):345-368):
/// sequential estimation of K thresholds (K a user option), refinement, bootstrap F tests,
/// likelihood-ratio confidence intervals and slope tables; balanced or unbalanced panels.
///
/// Model, for observation (i, t) with threshold variable q_it and thresholds g_1 < ... < g_m:
///   y_it = mu_i + sum_r b_r' x_it 1(q_it in regime r) + c' z_it + e_it,
/// regimes r = 0 .. m split by the thresholds (regime 0: q <= g_1), x regime-dependent, z
/// regime-independent. The unit effects are removed by demeaning within each unit over its
/// observations (the regressors interacted with the regime indicators before demeaning), so
/// unbalanced panels need nothing else: every unit is demeaned over the periods it has.
///
/// Estimation. S_m(g) is the sum of squared residuals with thresholds g. The first threshold
/// minimises S_1 over a grid; the m-th minimises S_m with the m - 1 earlier ones fixed (Bai 1997;
/// Hansen 1999 section 5); with `refine`, each earlier threshold is then re-estimated with the
/// others fixed (Hansen's refinement, one pass, in order). The grid, as Hansen's programs build
/// it: the sorted distinct values u of q, trimmed to u[floor(|u| trim) .. floor(|u| (1 - trim)))
/// (trim_m: `trim`'s m-th entry, the last one repeated), and of these `grid` quantiles (value
/// number floor(j |v| / (grid + 1)) of the trimmed values v, j = 1 .. grid; all of them when
/// there are fewer); a candidate is admissible when each of the two regimes it creates holds at
/// least trim_m x n observations.
///
/// Fast grid: the span of {x 1(regime r)} and z equals that of F = [x, x 1(q <= g_1), ...,
/// x 1(q <= g_{m-1}), z] plus the moving column block M(g) = x 1(q <= g); after demeaning, M'F =
/// sum_{q <= g} x F', M'y = sum_{q <= g} x y and M'M = sum_{q <= g} x x' - sum_i s_i s_i' / T_i
/// (s_i the unit's sum of x over q <= g), all updated as observations pass the moving threshold
/// in order of q. A whole search costs O(n k (k + f)) plus one (f + k)-system per grid point,
/// about one regression, not one per grid point (tested against one regression per grid point).
///
/// Tests. F_m = (S_{m-1} - S_m) / sigma2_m, sigma2_m = S_m / (n - N) (n observations, N units;
/// Hansen's n (T - 1) for a balanced panel). Its p-value and critical values come from the
/// bootstrap under the null of m - 1 thresholds (the estimated m - 1 threshold model): y* = fitted
/// + e*, with e* whole units' residual vectors drawn with replacement (Hansen's residual
/// bootstrap; in an unbalanced panel among the units with the same number of observations, so a
/// vector always fits its new unit) or, with the wild bootstrap, e*_it = e_it v_i with one
/// Rademacher v_i per unit (robust to heteroskedasticity across units); on y* the whole sequential
/// estimation of m - 1 and m thresholds is repeated (without refinement) and F*_m computed. p =
/// share of F*_m >= F_m.
///
/// Confidence intervals: LR_m(g) = (S_m(g) - S_m(g^)) / sigma2_m over the grid, with the other
/// thresholds at their (refined) estimates; the interval is the smallest and largest admissible
/// grid value with LR_m(g) <= c = -2 ln(1 - sqrt(confidence)) (7.35 for 0.95; Hansen 2000).
///
/// Slopes: for each m = 0 .. K, the within regression with the m estimated thresholds:
/// coefficients, homoskedastic standard errors (sigma^2 = S / (n - N - p), p regressors) and
/// cluster-robust ones by unit (CRV1, G / (G - 1) (n - 1) / (n - p), as Stata's xtreg, fe
/// vce(cluster)).
///
/// \test tests/threshold/panel_threshold_test.cpp: the fast grid against one regression per grid
/// point (balanced and unbalanced), truth recovery and test size on generated panels, Hansen's
/// investment panel (a first and second threshold significant, a third not), the bootstrap's
/// replications reproducible one by one.
#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/rng.hpp"
#include "core/status.hpp"

namespace revest::threshold {

enum class BootstrapKind { kResidual, kWild };
const char* to_string(BootstrapKind b);                          ///< "residual" | "wild"
BootstrapKind bootstrap_kind_from_string(const std::string& s);  ///< throws revest::Error

struct ThresholdOptions {
  /// Thresholds to estimate and test, sequentially (>= 1, no upper cap). Default 3.
  int max_thresholds = 3;
  /// Grid points (quantiles of the distinct values of q), >= 10. Default 400.
  std::size_t grid = 400;
  /// Trimming share per threshold, each in (0, 0.5); the last entry is used for later ones.
  /// Default {0.01, 0.01, 0.05} (Hansen's).
  std::vector<double> trim = {0.01, 0.01, 0.05};
  /// Bootstrap replications per test (0: no bootstrap). Default 300.
  std::size_t replications = 300;
  /// Residual (Hansen's, default) or wild bootstrap.
  BootstrapKind bootstrap = BootstrapKind::kResidual;
  /// Level of the likelihood-ratio intervals. Default 0.95.
  double confidence = 0.95;
  /// Re-estimate earlier thresholds once the next is found. Default true.
  bool refine = true;
  /// Throws revest::Error naming the field that is out of range.
  void validate() const;
  bool operator==(const ThresholdOptions&) const = default;
};

/// The data, one row per observation (any order; units need not be contiguous).
struct ThresholdData {
  Eigen::VectorXd y;                          ///< n
  Eigen::MatrixXd x;                          ///< n x k regime-dependent regressors (k >= 1)
  Eigen::MatrixXd z;                          ///< n x p regime-independent regressors (p may be 0)
  Eigen::VectorXd q;                          ///< n threshold variable
  std::vector<int> unit;                      ///< n unit ids in [0, N)
  std::vector<std::string> x_names, z_names;  ///< optional, for the slope tables
};

/// The SSR over the grid for one moving threshold.
struct GridSearch {
  std::vector<double> gamma;  ///< admissible grid values, ascending
  std::vector<double> ssr;    ///< S at each
  std::size_t best = 0;       ///< index of the minimum (the first one on ties)
};

/// One coefficient of a slope table.
struct Slope {
  std::string term;  ///< "x (regime r: a < q <= b)" or a z name
  int regime = -1;   ///< regime of x terms; -1 for z
  double estimate = 0, se = 0, se_cluster = 0;
};

/// The model with m thresholds.
struct ThresholdModel {
  std::vector<double> thresholds;                    ///< m, ascending (refined)
  std::vector<std::pair<double, double>> intervals;  ///< LR interval of each
  double ssr = 0, sigma2 = 0;                        ///< S_m and S_m / (n - N)
  std::vector<Slope> slopes;
  std::vector<std::size_t> regime_counts;  ///< observations per regime
  /// LR curve of the m-th (last found) threshold with the others fixed, for plots.
  std::vector<double> lr_gamma, lr;
};

/// The test of m thresholds against m - 1.
struct ThresholdTest {
  int m = 0;
  double F = 0, pvalue = 1;
  double crit90 = 0, crit95 = 0, crit99 = 0;  ///< bootstrap critical values
  std::size_t replications = 0;               ///< bootstrap samples used
};

struct ThresholdResult {
  Status status;
  std::vector<ThresholdModel> models;  ///< m = 0 .. K
  std::vector<ThresholdTest> tests;    ///< m = 1 .. K
  std::size_t observations = 0, units = 0;
  ThresholdOptions options;
  std::string brief_report() const;
};

/// What the estimation and its bootstrap share: the data sorted by q, unit sizes, the grid.
class ThresholdProblem {
 public:
  /// Throws revest::Error on bad data (sizes, non-finite values, a unit with one observation,
  /// too few observations for the regressors, fewer than 2 distinct values of q).
  ThresholdProblem(ThresholdData data, ThresholdOptions options);
  const ThresholdData& data() const { return d_; }
  const ThresholdOptions& options() const { return opt_; }
  std::size_t units() const { return units_; }
  /// S with the thresholds `fixed` (any order) on outcome y (not demeaned).
  double ssr(const Eigen::VectorXd& y, const std::vector<double>& fixed) const;
  /// Search a new threshold with `fixed` ones on outcome y, trimming `trim`.
  GridSearch search(const Eigen::VectorXd& y, const std::vector<double>& fixed, double trim) const;
  /// The same by one within regression per grid point (the slow reference, for tests and
  /// benchmarks).
  GridSearch search_naive(const Eigen::VectorXd& y, const std::vector<double>& fixed,
                          double trim) const;
  /// Sequential estimation (with refinement when `refine`) of `m` thresholds on y; their S.
  std::pair<std::vector<double>, double> estimate(const Eigen::VectorXd& y, int m,
                                                  bool refine) const;
  /// Fitted values and residuals of the within regression with thresholds `fixed` (fitted
  /// includes the unit effects, so y = fitted + residual).
  std::pair<Eigen::VectorXd, Eigen::VectorXd> fit(const Eigen::VectorXd& y,
                                                  const std::vector<double>& fixed) const;
  /// Bootstrap replication of the test of m thresholds: F*_m from y* = fitted + e* drawn from
  /// `rng` as the options say (fitted, residuals: fit() of the m - 1 threshold model).
  double bootstrap_F(int m, const Eigen::VectorXd& fitted, const Eigen::VectorXd& residuals,
                     Rng& rng) const;
  /// The slope table and regime counts with thresholds `fixed`.
  ThresholdModel model(const std::vector<double>& fixed) const;
  double trim(int m) const;  ///< trim share of the m-th threshold (1-based)
  /// Make search() run search_naive() (one regression per grid point) everywhere, estimation
  /// and bootstrap included: the straightforward implementation, for benchmarks.
  void use_naive_search(bool on) { naive_ = on; }
  /// The candidate values of a search with trimming `trim` (the grid rule above).
  std::vector<double> grid(double trim) const;

 private:
  Eigen::MatrixXd demean(const Eigen::MatrixXd& a) const;
  Eigen::MatrixXd fixed_design(const std::vector<double>& fixed) const;
  ThresholdData d_;
  ThresholdOptions opt_;
  std::size_t units_ = 0;
  std::vector<std::size_t> count_;                // observations per unit
  std::vector<std::size_t> order_;                // observations by ascending q
  std::vector<double> sorted_q_;                  // q in that order
  std::vector<double> distinct_;                  // distinct values of q, ascending
  std::vector<std::vector<std::size_t>> strata_;  // units by observation count (residual bootstrap)
  std::vector<std::vector<std::size_t>> rows_of_;  // rows of each unit, in data order
  bool naive_ = false;
};

/// The estimates without the bootstrap: models 0 .. K with intervals, LR curves and slopes, the
/// tests' F statistics (p-values and critical values NaN).
ThresholdResult threshold_estimates(const ThresholdProblem& problem);
/// A test's p-value and critical values from its bootstrap statistics F* (none: NaN).
void set_bootstrap(ThresholdTest& test, const std::vector<double>& fstar);
/// Everything: threshold_estimates, then the bootstrap of each test of m thresholds against
/// the m - 1 threshold model (replication b draws from key.stream(b).for_replication(b, m)).
ThresholdResult panel_threshold(const ThresholdData& data, const ThresholdOptions& options,
                                const RngKey& key);

}  // namespace revest::threshold
