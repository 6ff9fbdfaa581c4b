#pragma once
/// \file callaway_santanna.hpp
/// \brief Group-time average treatment effects ATT(g, t) under staggered adoption (Callaway and
/// Sant'Anna 2021, "Difference-in-differences with multiple time periods", Journal of
/// Econometrics 225(2):200-230), unconditional parallel trends, and their aggregations, with
/// influence-function standard errors.
///
/// Data: outcomes y (N units x T periods, NaN where a unit is not observed), the period values
/// (ascending), and each unit's first treated period g (0 = never treated). A unit first treated
/// in the first period has no untreated period and is left out (counted in the result); a unit
/// first treated after the last period is never treated within the data and is a never-treated
/// unit (as R did does).
///
/// ATT(g, t) = mean(Y_t - Y_b | G = g) - mean(Y_t - Y_b | comparison units), where
///  - the base period b is the last period with b + anticipation < g for post-treatment cells
///    (t >= g - anticipation) and for every cell under the universal base period; for the
///    pre-treatment cells of the varying base period (the default) b is the period before t;
///  - comparison units: never treated (default), or not yet treated: never treated or
///    g' > max(t, b) + anticipation, g' != g;
///  - units without an outcome in t or b are left out of that cell (unbalanced panels: each cell
///    uses the units observed in both of its periods).
/// Influence function of unit i (scaled so that the variance is the sum of squares):
///   psi_i = 1{i in g} (dY_i - mean_g) / n_g - 1{i in C} (dY_i - mean_C) / n_C.
/// With covariates X (plus an intercept), each cell is estimated on its treated and comparison
/// units by CsOptions::method, as R DRDID's panel estimators (did's est_method):
///  - dr: Sant'Anna and Zhao (2020, "Doubly robust difference-in-differences estimators",
///    Journal of Econometrics 219(1):101-122; drdid_panel): a logit propensity score p(X), an OLS
///    outcome model m(X) of dY on the comparison units, ATT = mean_w1(dY - m) - mean_w0(dY - m),
///    w1 = D, w0 = p (1 - D) / (1 - p) (normalised);
///  - reg: ATT = mean(dY | D = 1) - mean(m(X) | D = 1) (reg_did_panel);
///  - ipw: ATT = mean_w1(dY) - mean_w0(dY) (std_ipw_did_panel);
/// p capped at 1 - 1e-6 and comparison units with p >= 0.995 trimmed (dr, ipw); the influence
/// functions include the estimation of p and m. Units with a non-finite covariate in the base
/// period are left out of the cell.
/// Aggregations (R did's aggte), with weights P(G = g) estimated by the groups' shares of units,
/// and the weights' own influence function added to the aggregates' (Callaway and Sant'Anna 2021,
/// section 4):
///  - simple: post-treatment cells (t >= g) weighted by P(G = g);
///  - group: theta(g) = mean of g's post-treatment cells; overall = sum_g theta(g) P(G = g) / ..;
///  - dynamic (event time e = t - g): theta(e) = cells with t - g = e weighted by P(G = g);
///    overall = mean of theta(e), e >= 0; `balance_e` >= 0 keeps only the groups observed for e =
///    0 .. balance_e (and e in [-inf, balance_e]);
///  - calendar: theta(t) = post-treatment cells of period t weighted by P(G = g); overall = mean.
///
/// \test tests/did/callaway_santanna_test.cpp: every ATT(g, t) and the group and dynamic
/// aggregations of the mpdta data to the 4 decimals R did publishes, and the doubly robust
/// ATT(g, t) with the covariate lpop as published; the three covariate methods recover the truth
/// where parallel trends hold only conditionally (and the unconditional estimator does not); standard errors against a
/// direct computation; not-yet-treated and universal-base cells by hand; unbalanced panels; the
/// multiplier bootstrap's standard errors against the analytic ones and its sup-t critical value
/// between the pointwise and the Bonferroni ones; the pre-test's p-value on mpdta as R did prints
/// it (0.16812).
#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "core/status.hpp"

namespace revest::did {

enum class ComparisonGroup { kNeverTreated, kNotYetTreated };
const char* to_string(ComparisonGroup c);  ///< "never_treated" | "not_yet_treated"
ComparisonGroup comparison_group_from_string(const std::string& s);  ///< throws revest::Error
/// The 2 x 2 estimator with covariates: doubly robust (default), outcome regression (Heckman,
/// Ichimura and Todd 1997) or inverse probability weighting (Abadie 2005, normalised weights).
enum class CovariateMethod { kDoublyRobust, kOutcomeRegression, kIpw };
const char* to_string(CovariateMethod m);  ///< "dr" | "reg" | "ipw" (R did's est_method names)
CovariateMethod covariate_method_from_string(const std::string& s);  ///< throws revest::Error
enum class BasePeriod { kVarying, kUniversal };
const char* to_string(BasePeriod b);                       ///< "varying" | "universal"
BasePeriod base_period_from_string(const std::string& s);  ///< throws revest::Error

struct CsOptions {
  /// Comparison units. Default never treated.
  ComparisonGroup comparison = ComparisonGroup::kNeverTreated;
  /// Base period of the pre-treatment cells. Default varying (R did's default).
  BasePeriod base = BasePeriod::kVarying;
  /// Periods of anticipation (>= 0). Default 0.
  int anticipation = 0;
  /// Dynamic aggregation on a balanced set of groups: only groups observed at event times 0 ..
  /// balance_e; -1 (default) uses every group.
  int balance_e = -1;
  /// Estimator of the cells when the panel has covariates. Default doubly robust.
  CovariateMethod method = CovariateMethod::kDoublyRobust;
  /// Throws revest::Error naming the field that is out of range.
  void validate() const;
  bool operator==(const CsOptions&) const = default;
};

struct StaggeredPanel {
  Eigen::MatrixXd y;                    ///< N x T outcomes; NaN: not observed
  std::vector<int> periods;             ///< T period values, ascending
  std::vector<int> first_treat;         ///< N: first treated period, 0 = never
  std::vector<std::string> unit_names;  ///< optional: names in errors
  /// Covariates (each N x T), conditional parallel trends: a cell uses their values in its base
  /// period (R did's convention) and the doubly robust estimator (below). Empty: unconditional.
  std::vector<Eigen::MatrixXd> covariates;
};

/// Throws revest::Error "WHO: N x T outcomes, P periods, F first-treatment periods (at least
/// MIN periods)" unless y, periods and first_treat agree and there are at least `min_periods`
/// periods. Every DID estimator checks its panel with it.
void require_shape(const StaggeredPanel& panel, const std::string& who,
                   std::size_t min_periods = 1);
/// D_it = 1 when unit i is treated in period t (first_treat_i != 0, periods_t >= first_treat_i).
Eigen::MatrixXd treatment_matrix(const StaggeredPanel& panel);

/// One group-time cell.
struct AttCell {
  int group = 0, period = 0, base = 0;
  double att = 0, se = 0;
  std::size_t treated = 0, controls = 0;  ///< units in the cell's two means
  bool post = false;                      ///< t >= g
};

/// An aggregation: one value per key (event time, group or period) and the overall value.
struct CsAggregate {
  std::vector<int> key;
  std::vector<double> att, se;
  double overall_att = 0, overall_se = 0;
  /// N x keys (and the overall in the last column): influence functions, for bootstraps.
  Eigen::MatrixXd influence;
};

struct CsResult {
  Status status;
  std::vector<AttCell> cells;
  Eigen::MatrixXd influence;  ///< N x cells: psi (variance = column sum of squares)
  CsAggregate simple, group, dynamic, calendar;
  std::size_t units = 0;                 ///< N
  std::size_t dropped_first_period = 0;  ///< units treated in the first period, left out
  CsOptions options;
  /// One paragraph: cells, groups, the simple, group and dynamic overall effects with s.e.
  std::string brief_report() const;
};

/// The multiplier bootstrap of influence functions (R did's mboot): replication b draws Mammen
/// weights v_i (one per unit) from key.stream(b).for_replication(b, part) and forms
/// D_bk = sum_i v_i psi_ik for every column k of psi (N x K). Standard error per column:
/// IQR(D_k) / (z_0.75 - z_0.25) (type-1 quantiles); simultaneous (sup-t) critical value: the
/// `confidence` type-1 quantile of max_k |D_bk| / se_k over the columns with a finite psi, so
/// that estimate -+ crit x se covers every column together. Columns with NaN are skipped (NaN
/// se). Cost O(B N K), in blocks of replications (at most 128 MB of weights at a time).
struct MultiplierResult {
  Eigen::VectorXd se;  ///< K bootstrap standard errors
  double crit = 0;     ///< simultaneous critical value
  std::size_t replications = 0;
};
MultiplierResult multiplier_bootstrap(const Eigen::MatrixXd& psi, std::size_t replications,
                                      const RngKey& key, double confidence = 0.95,
                                      std::uint32_t part = 0);
/// The bootstrap in two steps, for callers that split the replications (a job's tasks):
/// rows b = begin .. end - 1 of D (end - begin x K), replication b's weights drawn from
/// streams.for_replication(b, part) (`streams`: any stream of the key, e.g. key.stream(0) or a
/// job task's Rng); columns of psi that are not finite are NaN. Then the standard errors and the
/// sup-t critical value of the stacked rows. multiplier_bootstrap(psi, B, key) =
/// multiplier_summary(multiplier_draws(psi, 0, B, key.stream(0))), and draws of any split
/// equal those rows up to the rounding of the matrix product's blocking (about 1e-15 relative).
Eigen::MatrixXd multiplier_draws(const Eigen::MatrixXd& psi, std::size_t begin, std::size_t end,
                                 const Rng& streams, std::uint32_t part = 0);
MultiplierResult multiplier_summary(const Eigen::MatrixXd& D, double confidence = 0.95);

/// Wald pre-test of parallel trends (R did's att_gt summary): the pre-treatment cells' ATT(g, t)
/// (t < g, without the universal base period's reference cells), W = theta' V^-1 theta with V
/// their influence-function covariance, p from chi-squared with as many degrees of freedom as
/// cells. NaN statistic and p = 1 without pre-treatment cells; a singular V is reported in the
/// status.
struct PreTest {
  Status status;
  double statistic = 0, pvalue = 1;
  std::size_t cells = 0;
};
PreTest parallel_trends_pretest(const CsResult& r);

/// ATT(g, t) and its aggregations. Throws revest::Error on bad data (sizes, periods not
/// ascending, a first-treatment period that is not a period of the data, no never-treated unit
/// for the never-treated comparison).
CsResult callaway_santanna(const StaggeredPanel& panel, const CsOptions& options = {});

}  // namespace revest::did
