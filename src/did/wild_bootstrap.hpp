#pragma once
/// \file wild_bootstrap.hpp
/// \brief Cluster-robust (CRV1) inference for one linear restriction a'beta = r of an OLS fit, and
/// the wild cluster bootstrap (Roodman, MacKinnon, Nielsen and Webb 2019, "Fast and wild:
/// bootstrap inference in Stata using boottest", Stata Journal 19(1), sections 3-5).
///
/// Model y = X beta + u with G clusters (fixed effects already partialled out of y and X, e.g.
/// by the within transformation: Frisch-Waugh-Lovell gives the same beta and residuals).
///  - beta^ = (X'X)^-1 X'y, residuals u^; CRV1 variance of a'beta^:
///      V = m sum_g (z' X_g' u^_g)^2,  z = (X'X)^-1 a,  m = G / (G - 1) (N - 1) / (N - K),
///    K = columns of X + `absorbed` (fixed effects partialled out and not nested in the clusters:
///    the convention of Stata's reghdfe and R fixest); t = (a'beta^ - r) / sqrt(V).
///  - Bootstrap DGP y* = X beta.. + u..  v_g(i), with v_g i.i.d. weights per cluster:
///    WCR (restricted, default): beta.. = beta~ estimated under a'beta = r, u.. its residuals;
///    WCU (unrestricted): beta.. = beta^, u.. = u^ (the test then centres on a'beta^).
///    t*_b = (a'beta*_b - a'beta..) / sqrt(V*_b), V*_b the CRV1 variance of the bootstrap fit.
///  - Weights: Rademacher (+-1), Mammen (two-point, skewness 1), Webb (six-point: +-sqrt(3/2),
///    +-1, +-sqrt(1/2)). When the number of distinct weight vectors (2^G, or 6^G for Webb) is at
///    most the number of replications, every one is used once ("full enumeration"): the p-value is
///    then exact and does not depend on the seed.
///  - p-values: symmetric P(|t*| >= |t|) (default), or equal-tailed 2 min(P(t* <= t), P(t* >= t)).
///  - Confidence interval by test inversion: the set of r whose p-value exceeds 1 - confidence,
///    its ends found by bisection to 1e-6 standard errors (the p-value is a step function of r).
///
/// The fast algorithm (Roodman et al. 2019, section 5): with S_g = X_g'u.._g, c_g = z'S_g and
/// f_g = (X'X)^-1 X_g'X_g z, a draw v gives
///   a'beta* - a'beta.. = sum_g v_g c_g,   z'X_g'u*_g = v_g c_g - f_g' sum_h v_h S_h,
/// so each replication costs O(G k), never touching the N observations; and since u.. is affine
/// in r under WCR (u~ = u^ + (a'beta^ - r) X z / a'z), t*(r) is a ratio of an affine function and
/// the root of a quadratic in r with coefficients computed once per draw: inverting the test
/// costs O(B) per trial r.
///
/// \test tests/did/wild_bootstrap_test.cpp: CRV1 against the sandwich formula, enumeration
/// p-values against a hand computation, the fast algorithm against refitting every bootstrap
/// sample, the size of WCR and CRV1 with six clusters in a Monte Carlo, test inversion.
#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "core/status.hpp"

namespace revest::did {

enum class WildWeights { kRademacher, kMammen, kWebb };
const char* to_string(WildWeights w);                        ///< "rademacher" | "mammen" | "webb"
WildWeights wild_weights_from_string(const std::string& s);  ///< throws revest::Error
enum class WildType { kRestricted, kUnrestricted };
const char* to_string(WildType t);                     ///< "wcr" | "wcu"
WildType wild_type_from_string(const std::string& s);  ///< throws revest::Error
enum class PValueType { kSymmetric, kEqualTailed };
const char* to_string(PValueType p);                       ///< "symmetric" | "equal_tailed"
PValueType pvalue_type_from_string(const std::string& s);  ///< throws revest::Error

struct WildBootstrapOptions {
  /// Restricted (WCR, default: better size with few clusters) or unrestricted (WCU).
  WildType type = WildType::kRestricted;
  /// Weight distribution. Default Rademacher (enumerated when 2^G <= replications).
  WildWeights weights = WildWeights::kRademacher;
  /// Bootstrap replications B. Default 9,999.
  std::size_t replications = 9999;
  /// Symmetric (default) or equal-tailed p-values.
  PValueType pvalue = PValueType::kSymmetric;
  /// Level of the test-inversion interval. Default 0.95.
  double confidence = 0.95;
  /// Fixed effects partialled out of X and y and not nested in the clusters (counted in K of
  /// the CRV1 factor). Default 0.
  std::size_t absorbed = 0;
  /// Throws revest::Error naming the field that is out of range.
  void validate() const;
  bool operator==(const WildBootstrapOptions&) const = default;
};

/// The weight vectors of the bootstrap: row b holds v_g for every cluster. Full enumeration
/// (every distinct vector once, in a fixed order) when that count is at most `replications`;
/// else row b drawn from key.stream(b).for_replication(b, part).
struct WildDraws {
  Eigen::MatrixXd v;  ///< B x G
  bool enumerated = false;
};
/// How many draws and whether they enumerate every distinct vector (wild_draws's rule).
struct WildDrawPlan {
  std::size_t draws = 0;
  bool enumerated = false;
};
WildDrawPlan wild_draw_plan(std::size_t clusters, const WildBootstrapOptions& options);
/// Row b (< plan.draws) of wild_draws, alone: the b-th enumerated vector, or the draw from
/// streams.for_replication(b, part) (`streams`: any stream of the key, e.g. a job task's Rng).
/// For callers that split the draws (a job's tasks).
Eigen::VectorXd wild_draw(std::size_t clusters, const WildBootstrapOptions& options,
                          const WildDrawPlan& plan, std::size_t b, const Rng& streams,
                          std::uint32_t part = 0);
WildDraws wild_draws(std::size_t clusters, const WildBootstrapOptions& options, const RngKey& key,
                     std::uint32_t part = 0);
/// One draw of G weights from `rng`.
Eigen::VectorXd wild_weight_vector(std::size_t clusters, WildWeights w, Rng& rng);

/// What the bootstrap needs, computed once from (X, y, clusters, a).
class WildProblem {
 public:
  /// `cluster[i]` in [0, G) for every row; a has X.cols() entries. Throws revest::Error on
  /// mismatched sizes, fewer than two clusters, N <= K, or a singular X'X (naming it).
  WildProblem(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const std::vector<int>& cluster,
              const Eigen::VectorXd& a, const WildBootstrapOptions& options);

  std::size_t clusters() const { return static_cast<std::size_t>(c0_.size()); }
  const Eigen::VectorXd& beta() const { return beta_; }
  double estimate() const { return est_; }  ///< a'beta^
  double se() const { return se_; }         ///< CRV1 standard error of a'beta^
  double scale() const { return scale_; }   ///< m = G / (G - 1) (N - 1) / (N - K)
  /// The bootstrap t statistics of the draws (rows of v) for the null a'beta = r.
  Eigen::VectorXd t_draws(const Eigen::MatrixXd& v, double r) const;
  /// The bootstrap p-value of the null a'beta = r with these draws.
  double pvalue(const Eigen::MatrixXd& v, double r) const;
  /// [lo, hi]: the values r whose p-value exceeds 1 - confidence (test inversion).
  std::pair<double, double> interval(const Eigen::MatrixXd& v) const;

  /// Five sums per draw that make t*(r) a closed form in d = a'beta^ - r:
  /// t*_b(r) = (n0_b + d n1_b) / sqrt(m (a0_b + 2 d a1_b + d^2 a2_b)). Computed from the draws
  /// in any split (the sums of a draw do not depend on the other draws) and stacked, they give
  /// the same t statistics, p-values and interval as the draws themselves.
  struct DrawSums {
    Eigen::VectorXd n0, n1, a0, a1, a2;
  };
  DrawSums sums(const Eigen::MatrixXd& v) const;
  Eigen::VectorXd t_from(const DrawSums& s, double r) const;
  double pvalue_from(const DrawSums& s, double r) const;
  std::pair<double, double> interval_from(const DrawSums& s) const;

 private:
  WildBootstrapOptions options_;
  Eigen::VectorXd beta_;
  double est_ = 0, se_ = 0, scale_ = 1, az_ = 1;
  // Cluster quantities for u.. = u0 + d u1 (u1 = X z / a'z under WCR, 0 under WCU):
  Eigen::MatrixXd S0_, S1_, F_;  // k x G: S_g parts, f_g
  Eigen::VectorXd c0_, c1_;      // G
};

struct WildBootstrapResult {
  Status status;
  double estimate = 0, se = 0, t = 0;
  double p_analytic = 0;   ///< CRV1 p-value from t(G - 1)
  double p_bootstrap = 0;  ///< wild cluster bootstrap p-value
  double ci_lo = 0, ci_hi = 0;
  std::size_t clusters = 0, draws = 0;
  bool enumerated = false;
  Eigen::VectorXd t_star;  ///< the bootstrap t statistics at the null r
  WildBootstrapOptions options;
  /// One paragraph: estimate, CRV1 and bootstrap inference, interval, draws.
  std::string brief_report() const;
};

/// The test of a'beta = r and its interval, draws from `key` (wild_draws).
WildBootstrapResult wild_cluster_bootstrap(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                           const std::vector<int>& cluster,
                                           const Eigen::VectorXd& a, double r,
                                           const WildBootstrapOptions& options, const RngKey& key);

}  // namespace revest::did
