#include "did/wild_bootstrap.hpp"

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <cmath>
#include <limits>
#include <sstream>

#include "core/error.hpp"

namespace revest::did {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// |t*| >= |t| is decided with this relative slack: under WCR the all-ones draw reproduces the
// sample, whose t* equals t up to rounding, and must count as "as extreme".
constexpr double kTieSlack = 1e-10;
constexpr std::size_t kBlock = 4096;  // draws per block of the per-draw sums (bounded memory)

const double kWebb[6] = {-std::sqrt(1.5), -1.0, -std::sqrt(0.5),
                         std::sqrt(0.5),  1.0,  std::sqrt(1.5)};
const double kMammenLow = -(std::sqrt(5.0) - 1) / 2, kMammenHigh = (std::sqrt(5.0) + 1) / 2;
const double kMammenP = (std::sqrt(5.0) + 1) / (2 * std::sqrt(5.0));  // P(kMammenLow)

}  // namespace

const char* to_string(WildWeights w) {
  return w == WildWeights::kMammen ? "mammen" : w == WildWeights::kWebb ? "webb" : "rademacher";
}
WildWeights wild_weights_from_string(const std::string& s) {
  if (s == "rademacher") return WildWeights::kRademacher;
  if (s == "mammen") return WildWeights::kMammen;
  if (s == "webb") return WildWeights::kWebb;
  REVEST_FAIL("unknown wild bootstrap weights '" << s << "' (rademacher, mammen or webb)");
}
const char* to_string(WildType t) { return t == WildType::kUnrestricted ? "wcu" : "wcr"; }
WildType wild_type_from_string(const std::string& s) {
  if (s == "wcr") return WildType::kRestricted;
  if (s == "wcu") return WildType::kUnrestricted;
  REVEST_FAIL("unknown wild bootstrap type '" << s << "' (wcr or wcu)");
}
const char* to_string(PValueType p) {
  return p == PValueType::kEqualTailed ? "equal_tailed" : "symmetric";
}
PValueType pvalue_type_from_string(const std::string& s) {
  if (s == "symmetric") return PValueType::kSymmetric;
  if (s == "equal_tailed") return PValueType::kEqualTailed;
  REVEST_FAIL("unknown p-value type '" << s << "' (symmetric or equal_tailed)");
}

void WildBootstrapOptions::validate() const {
  REVEST_REQUIRE(replications >= 1, "wild bootstrap options: replications must be >= 1");
  REVEST_REQUIRE(confidence > 0 && confidence < 1,
                 "wild bootstrap options: confidence must be in (0, 1), got " << confidence);
}

Eigen::VectorXd wild_weight_vector(std::size_t clusters, WildWeights w, Rng& rng) {
  Eigen::VectorXd v(static_cast<Eigen::Index>(clusters));
  boost::random::uniform_int_distribution<int> six(0, 5);
  for (Eigen::Index g = 0; g < v.size(); ++g) {
    if (w == WildWeights::kRademacher) {
      v[g] = (rng() >> 31) != 0 ? 1.0 : -1.0;
    } else if (w == WildWeights::kMammen) {
      v[g] = rng.uniform01() < kMammenP ? kMammenLow : kMammenHigh;
    } else {
      v[g] = kWebb[six(rng)];
    }
  }
  return v;
}

WildDrawPlan wild_draw_plan(std::size_t clusters, const WildBootstrapOptions& options) {
  options.validate();
  const std::size_t base = options.weights == WildWeights::kWebb ? 6 : 2;
  // Distinct weight vectors: base^G, if that is at most B.
  std::size_t distinct = 1;
  bool small = true;
  for (std::size_t g = 0; g < clusters && small; ++g) {
    if (distinct > options.replications / base) small = false;
    distinct *= base;
  }
  if (small && distinct <= options.replications) return {distinct, true};
  return {options.replications, false};
}

Eigen::VectorXd wild_draw(std::size_t clusters, const WildBootstrapOptions& options,
                          const WildDrawPlan& plan, std::size_t b, const Rng& streams,
                          std::uint32_t part) {
  REVEST_REQUIRE(b < plan.draws,
                 "wild bootstrap: draw " << b << " of a plan of " << plan.draws << " draws");
  const auto G = static_cast<Eigen::Index>(clusters);
  if (!plan.enumerated) {
    Rng rng = streams.for_replication(static_cast<std::uint32_t>(b), part);
    return wild_weight_vector(clusters, options.weights, rng);
  }
  const std::size_t base = options.weights == WildWeights::kWebb ? 6 : 2;
  const double two[2] = {options.weights == WildWeights::kMammen ? kMammenLow : -1.0,
                         options.weights == WildWeights::kMammen ? kMammenHigh : 1.0};
  Eigen::VectorXd v(G);
  std::size_t rest = b;
  for (Eigen::Index g = 0; g < G; ++g) {
    const std::size_t digit = rest % base;
    rest /= base;
    v[g] = base == 6 ? kWebb[digit] : two[digit];
  }
  return v;
}

WildDraws wild_draws(std::size_t clusters, const WildBootstrapOptions& options, const RngKey& key,
                     std::uint32_t part) {
  const WildDrawPlan plan = wild_draw_plan(clusters, options);
  WildDraws d;
  d.enumerated = plan.enumerated;
  d.v.resize(static_cast<Eigen::Index>(plan.draws), static_cast<Eigen::Index>(clusters));
  const Rng streams = key.stream(0);
  for (std::size_t b = 0; b < plan.draws; ++b)
    d.v.row(static_cast<Eigen::Index>(b)) =
        wild_draw(clusters, options, plan, b, streams, part).transpose();
  return d;
}

WildProblem::WildProblem(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                         const std::vector<int>& cluster, const Eigen::VectorXd& a,
                         const WildBootstrapOptions& options)
    : options_(options) {
  options.validate();
  const Eigen::Index n = X.rows(), k = X.cols();
  REVEST_REQUIRE(y.size() == n && static_cast<Eigen::Index>(cluster.size()) == n && a.size() == k,
                 "wild bootstrap: " << n << " rows of X, " << y.size() << " of y, "
                                    << cluster.size() << " cluster ids, " << a.size()
                                    << " restriction weights for " << k << " columns");
  REVEST_REQUIRE(k >= 1, "wild bootstrap: X has no column");
  int gmax = -1;
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    REVEST_REQUIRE(cluster[i] >= 0,
                   "wild bootstrap: row " << i << " has a negative cluster id " << cluster[i]);
    gmax = std::max(gmax, cluster[i]);
  }
  const Eigen::Index G = gmax + 1;
  std::vector<std::size_t> size(static_cast<std::size_t>(G), 0);
  for (int c : cluster) ++size[static_cast<std::size_t>(c)];
  for (Eigen::Index g = 0; g < G; ++g)
    REVEST_REQUIRE(size[static_cast<std::size_t>(g)] > 0,
                   "wild bootstrap: cluster " << g << " has no row (ids must be 0 .. G-1)");
  REVEST_REQUIRE(G >= 2, "wild bootstrap: needs two clusters or more, got " << G);
  const auto K = static_cast<double>(k) + static_cast<double>(options.absorbed);
  REVEST_REQUIRE(static_cast<double>(n) > K,
                 "wild bootstrap: " << n << " observations for " << K << " parameters");
  for (Eigen::Index i = 0; i < n; ++i) {
    REVEST_REQUIRE(std::isfinite(y[i]), "wild bootstrap: y is not finite in row " << i);
    for (Eigen::Index j = 0; j < k; ++j)
      REVEST_REQUIRE(std::isfinite(X(i, j)),
                     "wild bootstrap: X is not finite in row " << i << ", column " << j);
  }
  const Eigen::MatrixXd XtX = X.transpose() * X;
  const Eigen::LDLT<Eigen::MatrixXd> Q(XtX);
  const Eigen::VectorXd d = Q.vectorD();
  const double dmax = d.cwiseAbs().maxCoeff();
  REVEST_REQUIRE(Q.info() == Eigen::Success && Q.isPositive() && d.minCoeff() > 1e-12 * dmax,
                 "wild bootstrap: X'X is singular (collinear regressors, or a regressor that the "
                 "fixed effects absorb)");
  beta_ = Q.solve(X.transpose() * y);
  const Eigen::VectorXd u = y - X * beta_;
  const Eigen::VectorXd z = Q.solve(a);
  az_ = a.dot(z);
  REVEST_REQUIRE(az_ > 0, "wild bootstrap: the restriction a is zero");
  est_ = a.dot(beta_);
  const Eigen::VectorXd xz = X * z;
  S0_ = Eigen::MatrixXd::Zero(k, G);
  Eigen::MatrixXd pz = Eigen::MatrixXd::Zero(k, G);  // X_g'X_g z
  for (Eigen::Index i = 0; i < n; ++i) {
    const Eigen::Index g = cluster[static_cast<std::size_t>(i)];
    S0_.col(g) += X.row(i).transpose() * u[i];
    pz.col(g) += X.row(i).transpose() * xz[i];
  }
  F_ = Q.solve(pz);
  c0_ = S0_.transpose() * z;
  if (options.type == WildType::kRestricted) {
    S1_ = pz / az_;  // X_g' (X z / a'z)
  } else {
    S1_ = Eigen::MatrixXd::Zero(k, G);
  }
  c1_ = S1_.transpose() * z;
  scale_ = static_cast<double>(G) / static_cast<double>(G - 1) * static_cast<double>(n - 1) /
           (static_cast<double>(n) - K);
  se_ = std::sqrt(scale_ * c0_.squaredNorm());
  REVEST_REQUIRE(se_ > 0, "wild bootstrap: the cluster-robust variance is zero (a perfect fit)");
}

WildProblem::DrawSums WildProblem::sums(const Eigen::MatrixXd& v) const {
  REVEST_REQUIRE(v.cols() == c0_.size(),
                 "wild bootstrap: draws of " << v.cols() << " clusters for " << c0_.size());
  const Eigen::Index B = v.rows();
  DrawSums s;
  s.n0 = v * c0_;
  s.n1 = v * c1_;
  s.a0.resize(B);
  s.a1.resize(B);
  s.a2.resize(B);
  for (Eigen::Index b0 = 0; b0 < B; b0 += static_cast<Eigen::Index>(kBlock)) {
    const Eigen::Index nb = std::min<Eigen::Index>(static_cast<Eigen::Index>(kBlock), B - b0);
    const auto vb = v.middleRows(b0, nb);
    // q_g = v_g c_g - f_g' sum_h v_h S_h, in two parts (d^0 and d^1).
    const Eigen::MatrixXd q0 =
        vb.array().rowwise() * c0_.transpose().array() - ((vb * S0_.transpose()) * F_).array();
    const Eigen::MatrixXd q1 =
        vb.array().rowwise() * c1_.transpose().array() - ((vb * S1_.transpose()) * F_).array();
    s.a0.segment(b0, nb) = q0.rowwise().squaredNorm();
    s.a1.segment(b0, nb) = (q0.array() * q1.array()).rowwise().sum().matrix();
    s.a2.segment(b0, nb) = q1.rowwise().squaredNorm();
  }
  return s;
}

Eigen::VectorXd WildProblem::t_from(const DrawSums& s, double r) const {
  const double d = est_ - r;
  Eigen::VectorXd t(s.n0.size());
  for (Eigen::Index b = 0; b < t.size(); ++b) {
    const double var = scale_ * (s.a0[b] + 2 * d * s.a1[b] + d * d * s.a2[b]);
    t[b] = (s.n0[b] + d * s.n1[b]) / std::sqrt(std::max(var, 0.0));
  }
  return t;
}

Eigen::VectorXd WildProblem::t_draws(const Eigen::MatrixXd& v, double r) const {
  return t_from(sums(v), r);
}

double WildProblem::pvalue_from(const DrawSums& s, double r) const {
  const double d = est_ - r, t = d / se_;
  const Eigen::Index B = s.n0.size();
  std::size_t above = 0, le = 0, ge = 0;
  for (Eigen::Index b = 0; b < B; ++b) {
    const double var = scale_ * (s.a0[b] + 2 * d * s.a1[b] + d * d * s.a2[b]);
    const double ts = (s.n0[b] + d * s.n1[b]) / std::sqrt(std::max(var, 0.0));
    const double slack = kTieSlack * std::abs(t);
    above += std::abs(ts) >= std::abs(t) - slack;
    le += ts <= t + slack;
    ge += ts >= t - slack;
  }
  const auto nB = static_cast<double>(B);
  if (options_.pvalue == PValueType::kSymmetric) return static_cast<double>(above) / nB;
  return std::min(1.0, 2.0 * std::min(static_cast<double>(le), static_cast<double>(ge)) / nB);
}

double WildProblem::pvalue(const Eigen::MatrixXd& v, double r) const {
  return pvalue_from(sums(v), r);
}

std::pair<double, double> WildProblem::interval(const Eigen::MatrixXd& v) const {
  return interval_from(sums(v));
}

std::pair<double, double> WildProblem::interval_from(const DrawSums& s) const {
  const double alpha = 1 - options_.confidence;
  // Each end: expand from the estimate (p = 1) until p <= alpha, then bisect to 1e-6 se. The
  // p-value is a step function of r and need not be monotone: this finds a crossing next to the
  // estimate's side of the first r found outside.
  auto end = [&](double dir) {
    double inside = 0, outside = 2 * se_;
    for (int k = 0; pvalue_from(s, est_ + dir * outside) > alpha; ++k) {
      if (k == 60) return dir * kInf;
      inside = outside;
      outside *= 2;
    }
    // At most 200 halvings, and none once the midpoint no longer moves (far from the estimate
    // the spacing of doubles exceeds the tolerance).
    for (int k = 0; k < 200 && outside - inside > 1e-6 * se_; ++k) {
      const double mid = 0.5 * (inside + outside);
      if (mid <= inside || mid >= outside) break;
      (pvalue_from(s, est_ + dir * mid) > alpha ? inside : outside) = mid;
    }
    return est_ + dir * 0.5 * (inside + outside);
  };
  return {end(-1.0), end(1.0)};
}

WildBootstrapResult wild_cluster_bootstrap(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                           const std::vector<int>& cluster,
                                           const Eigen::VectorXd& a, double r,
                                           const WildBootstrapOptions& options, const RngKey& key) {
  const WildProblem p(X, y, cluster, a, options);
  const WildDraws d = wild_draws(p.clusters(), options, key);
  WildBootstrapResult res;
  res.options = options;
  res.estimate = p.estimate();
  res.se = p.se();
  res.t = (p.estimate() - r) / p.se();
  res.clusters = p.clusters();
  const boost::math::students_t tdist(static_cast<double>(p.clusters() - 1));
  res.p_analytic = 2 * boost::math::cdf(boost::math::complement(tdist, std::abs(res.t)));
  res.t_star = p.t_draws(d.v, r);
  res.p_bootstrap = p.pvalue(d.v, r);
  std::tie(res.ci_lo, res.ci_hi) = p.interval(d.v);
  res.draws = static_cast<std::size_t>(d.v.rows());
  res.enumerated = d.enumerated;
  if (!std::isfinite(res.ci_lo) || !std::isfinite(res.ci_hi))
    res.status = Status::Make(StatusCode::kOk,
                              "the interval is unbounded: with these draws no value of the "
                              "coefficient is rejected at that level (too few clusters or draws)");
  return res;
}

std::string WildBootstrapResult::brief_report() const {
  std::ostringstream os;
  os << "Wild cluster bootstrap (" << to_string(options.type) << ", " << to_string(options.weights)
     << ", " << draws << (enumerated ? " enumerated" : " random") << " draws, " << clusters
     << " clusters): estimate " << estimate << ", CRV1 se " << se << ", t " << t << ", p (t(G-1)) "
     << p_analytic << ", p (bootstrap, " << to_string(options.pvalue) << ") " << p_bootstrap << "; "
     << options.confidence * 100 << "% interval [" << ci_lo << ", " << ci_hi << "]"
     << (status.message.empty() ? "" : "; " + status.message) << ".";
  return os.str();
}

}  // namespace revest::did
