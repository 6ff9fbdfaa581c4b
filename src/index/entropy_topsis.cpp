#include "index/entropy_topsis.hpp"

#include <algorithm>
#include <boost/random/uniform_int_distribution.hpp>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <sstream>

#include "core/error.hpp"
#include "core/memory_replications.hpp"
#include "core/stats.hpp"

namespace revest::index {
namespace {

void check_direction(const std::vector<int>& direction, Eigen::Index cols, const char* fn) {
  REVEST_REQUIRE(static_cast<Eigen::Index>(direction.size()) == cols,
                 fn << ": " << direction.size() << " directions for " << cols << " columns");
  for (std::size_t j = 0; j < direction.size(); ++j)
    REVEST_REQUIRE(direction[j] == 1 || direction[j] == -1,
                   fn << ": direction of column " << j << " is " << direction[j]
                      << " (must be +1 benefit or -1 cost)");
}

void check_finite(const Eigen::MatrixXd& m, const char* fn, const char* what) {
  for (Eigen::Index j = 0; j < m.cols(); ++j)
    for (Eigen::Index i = 0; i < m.rows(); ++i)
      REVEST_REQUIRE(std::isfinite(m(i, j)), fn << ": " << what << "(" << i << ", " << j
                                                << ") is not finite (" << m(i, j) << ")");
}

void check_weights(const Eigen::VectorXd& w, Eigen::Index cols, const char* fn) {
  REVEST_REQUIRE(w.size() == cols, fn << ": " << w.size() << " weights for " << cols << " columns");
  for (Eigen::Index j = 0; j < w.size(); ++j)
    REVEST_REQUIRE(std::isfinite(w(j)) && w(j) >= 0.0, fn << ": weight of column " << j << " is "
                                                          << w(j)
                                                          << " (must be finite and non-negative)");
}

// D- / (D+ + D-) for every row, given ideal points on the weighted scale.
Eigen::VectorXd closeness_weighted(const Eigen::MatrixXd& x, const Eigen::VectorXd& w,
                                   const Eigen::VectorXd& best_v, const Eigen::VectorXd& worst_v) {
  const Eigen::Index m = x.rows(), k = x.cols();
  Eigen::VectorXd c(m);
  for (Eigen::Index i = 0; i < m; ++i) {
    double dp = 0.0, dm = 0.0;
    for (Eigen::Index j = 0; j < k; ++j) {
      const double v = w(j) * x(i, j);
      dp += (v - best_v(j)) * (v - best_v(j));
      dm += (v - worst_v(j)) * (v - worst_v(j));
    }
    dp = std::sqrt(dp);
    dm = std::sqrt(dm);
    const double s = dp + dm;
    c(i) = s > 0.0 ? dm / s : std::numeric_limits<double>::quiet_NaN();
  }
  return c;
}

}  // namespace

Eigen::MatrixXd minmax_standardize(const Eigen::MatrixXd& raw, const std::vector<int>& direction) {
  check_direction(direction, raw.cols(), "minmax_standardize");
  REVEST_REQUIRE(raw.rows() >= 1, "minmax_standardize: the matrix has no rows");
  check_finite(raw, "minmax_standardize", "value ");
  const Eigen::VectorXd lo = raw.colwise().minCoeff().transpose();
  const Eigen::VectorXd hi = raw.colwise().maxCoeff().transpose();
  for (Eigen::Index j = 0; j < raw.cols(); ++j)
    REVEST_REQUIRE(hi(j) > lo(j), "minmax_standardize: column "
                                      << j << " is constant (every value is " << lo(j)
                                      << "); it cannot be standardised");
  return minmax_standardize(raw, direction, lo, hi);
}

Eigen::MatrixXd minmax_standardize(const Eigen::MatrixXd& raw, const std::vector<int>& direction,
                                   const Eigen::VectorXd& col_min, const Eigen::VectorXd& col_max) {
  const Eigen::Index k = raw.cols();
  check_direction(direction, k, "minmax_standardize");
  REVEST_REQUIRE(col_min.size() == k && col_max.size() == k,
                 "minmax_standardize: " << col_min.size() << " minima and " << col_max.size()
                                        << " maxima for " << k << " columns");
  check_finite(raw, "minmax_standardize", "value ");
  for (Eigen::Index j = 0; j < k; ++j)
    REVEST_REQUIRE(
        std::isfinite(col_min(j)) && std::isfinite(col_max(j)) && col_max(j) > col_min(j),
        "minmax_standardize: bounds of column " << j << " are [" << col_min(j) << ", " << col_max(j)
                                                << "] (need finite min < max)");
  Eigen::MatrixXd x(raw.rows(), k);
  for (Eigen::Index j = 0; j < k; ++j) {
    const double lo = col_min(j), hi = col_max(j), range = hi - lo;
    for (Eigen::Index i = 0; i < raw.rows(); ++i) {
      const double r = raw(i, j);
      const double s =
          direction[static_cast<std::size_t>(j)] > 0 ? (r - lo) / range : (hi - r) / range;
      x(i, j) = std::clamp(s, 0.0, 1.0);
    }
  }
  return x;
}

Eigen::VectorXd entropy_weights(const Eigen::MatrixXd& p) {
  const Eigen::Index m = p.rows(), k = p.cols();
  REVEST_REQUIRE(m >= 2, "entropy_weights: need at least 2 rows, got " << m);
  REVEST_REQUIRE(k >= 1, "entropy_weights: the matrix has no columns");
  const double inv_log_m = 1.0 / std::log(static_cast<double>(m));
  Eigen::VectorXd d(k);
  for (Eigen::Index j = 0; j < k; ++j) {
    double sum = 0.0, h = 0.0;
    double pmin = std::numeric_limits<double>::infinity(), pmax = -pmin;
    for (Eigen::Index i = 0; i < m; ++i) {
      const double q = p(i, j);
      REVEST_REQUIRE(std::isfinite(q) && q >= 0.0,
                     "entropy_weights: proportion (" << i << ", " << j << ") is " << q);
      sum += q;
      pmin = std::min(pmin, q);
      pmax = std::max(pmax, q);
      if (q > 0.0) h += q * std::log(q);  // 0 ln 0 = 0
    }
    REVEST_REQUIRE(std::abs(sum - 1.0) <= 1e-6,
                   "entropy_weights: column " << j << " sums to " << sum << ", not 1");
    // A uniform column has maximal entropy exactly; do not let rounding give it a tiny weight.
    const double e = (pmax == pmin) ? 1.0 : -h * inv_log_m;
    d(j) = std::max(0.0, 1.0 - e);
  }
  const double total = d.sum();
  if (!(total > 0.0)) return Eigen::VectorXd::Constant(k, std::numeric_limits<double>::quiet_NaN());
  return d / total;
}

Eigen::VectorXd entropy_weights_from_standardized(const Eigen::MatrixXd& x, double shift) {
  REVEST_REQUIRE(
      std::isfinite(shift) && shift >= 0.0,
      "entropy_weights_from_standardized: shift is " << shift << " (must be finite and >= 0)");
  const Eigen::Index m = x.rows(), k = x.cols();
  REVEST_REQUIRE(m >= 2, "entropy_weights_from_standardized: need at least 2 rows, got " << m);
  Eigen::MatrixXd p(m, k);
  for (Eigen::Index j = 0; j < k; ++j) {
    double sum = 0.0;
    for (Eigen::Index i = 0; i < m; ++i) {
      const double q = x(i, j) + shift;
      REVEST_REQUIRE(std::isfinite(q) && q >= 0.0, "entropy_weights_from_standardized: x("
                                                       << i << ", " << j << ") + shift = " << q
                                                       << " (must be finite and >= 0)");
      p(i, j) = q;
      sum += q;
    }
    if (sum > 0.0)
      p.col(j) /= sum;
    else
      p.col(j).setConstant(1.0 / static_cast<double>(m));  // all zero: no information
  }
  return entropy_weights(p);
}

Eigen::VectorXd topsis_closeness(const Eigen::MatrixXd& x, const Eigen::VectorXd& w,
                                 const std::vector<int>& direction) {
  const Eigen::Index k = x.cols();
  check_direction(direction, k, "topsis_closeness");
  check_weights(w, k, "topsis_closeness");
  REVEST_REQUIRE(x.rows() >= 1, "topsis_closeness: the matrix has no rows");
  check_finite(x, "topsis_closeness", "x");
  Eigen::VectorXd best(k), worst(k);
  for (Eigen::Index j = 0; j < k; ++j) {
    const double vmax = w(j) * x.col(j).maxCoeff(), vmin = w(j) * x.col(j).minCoeff();
    const bool benefit = direction[static_cast<std::size_t>(j)] > 0;
    best(j) = benefit ? vmax : vmin;
    worst(j) = benefit ? vmin : vmax;
  }
  return closeness_weighted(x, w, best, worst);
}

Eigen::VectorXd topsis_closeness(const Eigen::MatrixXd& x, const Eigen::VectorXd& w,
                                 const Eigen::VectorXd& ideal_best,
                                 const Eigen::VectorXd& ideal_worst) {
  const Eigen::Index k = x.cols();
  check_weights(w, k, "topsis_closeness");
  REVEST_REQUIRE(ideal_best.size() == k && ideal_worst.size() == k,
                 "topsis_closeness: ideal points have "
                     << ideal_best.size() << " and " << ideal_worst.size() << " entries for " << k
                     << " columns");
  check_finite(x, "topsis_closeness", "x");
  for (Eigen::Index j = 0; j < k; ++j)
    REVEST_REQUIRE(std::isfinite(ideal_best(j)) && std::isfinite(ideal_worst(j)),
                   "topsis_closeness: ideal point of column " << j << " is not finite");
  return closeness_weighted(x, w, w.cwiseProduct(ideal_best), w.cwiseProduct(ideal_worst));
}

// ---- The index of N units x T periods ----

const char* to_string(WeightScope s) { return s == WeightScope::kPooled ? "pooled" : "per_year"; }

WeightScope weight_scope_from_string(const std::string& s) {
  if (s == "per_year") return WeightScope::kPerYear;
  if (s == "pooled") return WeightScope::kPooled;
  REVEST_FAIL("weight_scope: '" << s << "' is not one of \"per_year\", \"pooled\"");
}

void EntropyTopsisOptions::validate() const {
  REVEST_REQUIRE(weight_scope == WeightScope::kPerYear || weight_scope == WeightScope::kPooled,
                 "entropy-weight TOPSIS: weight_scope " << static_cast<int>(weight_scope)
                                                        << " is not per_year or pooled");
  REVEST_REQUIRE(confidence > 0.0 && confidence < 1.0,
                 "entropy-weight TOPSIS: confidence " << confidence << " is not in (0, 1)");
  REVEST_REQUIRE(std::isfinite(shift) && shift >= 0.0,
                 "entropy-weight TOPSIS: shift " << shift << " must be finite and >= 0");
}

namespace {

std::string column_label(const IndexData& d, Eigen::Index j) {
  if (static_cast<std::size_t>(j) < d.indicators.size())
    return "indicator '" + d.indicators[static_cast<std::size_t>(j)] + "'";
  return "indicator column " + std::to_string(j);
}

std::string year_label(const IndexData& d, std::size_t t) {
  if (t < d.years.size()) return "year " + std::to_string(d.years[t]);
  return "year index " + std::to_string(t);
}

EntropyIndexResult failure(std::string message, const EntropyTopsisOptions& options) {
  EntropyIndexResult r;
  r.status = Status::Make(StatusCode::kNumericalFailure, std::move(message));
  r.options = options;
  return r;
}

EntropyIndexResult compute(const IndexData& data, const EntropyTopsisOptions& options,
                           const std::vector<std::size_t>& sample) {
  options.validate();
  const Eigen::MatrixXd& raw = data.raw;
  const std::size_t N = data.units, T = data.periods;
  REVEST_REQUIRE(N >= 1 && T >= 1, "entropy index: need N >= 1 counties and T >= 1 years, got N = "
                                       << N << ", T = " << T);
  REVEST_REQUIRE(
      static_cast<std::size_t>(raw.rows()) == N * T,
      "entropy index: raw matrix has " << raw.rows() << " rows, expected N*T = " << N * T);
  const Eigen::Index K = raw.cols();
  REVEST_REQUIRE(K >= 1, "entropy index: raw matrix has no columns");
  REVEST_REQUIRE(
      data.direction.size() == static_cast<std::size_t>(K),
      "entropy index: " << data.direction.size() << " directions for " << K << " indicators");
  REVEST_REQUIRE(!sample.empty(), "entropy index: the county sample is empty");
  for (std::size_t c : sample)
    REVEST_REQUIRE(c < N, "entropy index: county index " << c << " in the sample is >= N = " << N);
  const bool pooled = options.weight_scope == WeightScope::kPooled;
  const std::size_t rows_per_weight = pooled ? sample.size() * T : sample.size();
  REVEST_REQUIRE(rows_per_weight >= 2, "entropy index: entropy weights need at least 2 rows, the "
                                           << (pooled ? "pooled sample" : "sample of a year")
                                           << " has " << rows_per_weight);

  // Step 2: bounds over the sampled county-years.
  Eigen::VectorXd lo = Eigen::VectorXd::Constant(K, std::numeric_limits<double>::infinity());
  Eigen::VectorXd hi = -lo;
  std::vector<Eigen::Index> sample_rows;  // row of (sample[s], t), ordered s-major
  sample_rows.reserve(sample.size() * T);
  for (std::size_t c : sample)
    for (std::size_t t = 0; t < T; ++t) sample_rows.push_back(static_cast<Eigen::Index>(c * T + t));
  for (Eigen::Index r : sample_rows)
    for (Eigen::Index j = 0; j < K; ++j) {
      const double v = raw(r, j);
      REVEST_REQUIRE(std::isfinite(v),
                     "entropy index: raw value (" << r << ", " << j << ") is not finite");
      lo(j) = std::min(lo(j), v);
      hi(j) = std::max(hi(j), v);
    }
  for (Eigen::Index j = 0; j < K; ++j)
    if (!(hi(j) > lo(j))) {
      std::ostringstream os;
      os << column_label(data, j) << " is constant (" << lo(j)
         << ") over the sampled counties; it cannot be standardised";
      return failure(os.str(), options);
    }
  const Eigen::MatrixXd X = minmax_standardize(raw, data.direction, lo, hi);  // all rows, clipped

  // Step 3: entropy weights from the sampled rows.
  Eigen::MatrixXd W(static_cast<Eigen::Index>(T), K);
  if (pooled) {
    const Eigen::VectorXd w =
        entropy_weights_from_standardized(X(sample_rows, Eigen::all), options.shift);
    for (std::size_t t = 0; t < T; ++t) W.row(static_cast<Eigen::Index>(t)) = w.transpose();
  } else {
    std::vector<Eigen::Index> rows(sample.size());
    for (std::size_t t = 0; t < T; ++t) {
      for (std::size_t s = 0; s < sample.size(); ++s)
        rows[s] = static_cast<Eigen::Index>(sample[s] * T + t);
      W.row(static_cast<Eigen::Index>(t)) =
          entropy_weights_from_standardized(X(rows, Eigen::all), options.shift).transpose();
    }
  }
  for (std::size_t t = 0; t < T; ++t)
    if (!W.row(static_cast<Eigen::Index>(t)).allFinite())
      return failure("entropy weights are undefined in " +
                         (pooled ? std::string("the pooled sample") : year_label(data, t)) +
                         ": every indicator is constant among the sampled counties",
                     options);

  // Steps 4-5: closeness of every county with fixed ideals (1 = best, 0 = worst), ranks per year.
  const Eigen::VectorXd best = Eigen::VectorXd::Ones(K), worst = Eigen::VectorXd::Zero(K);
  Eigen::MatrixXd S(static_cast<Eigen::Index>(T), static_cast<Eigen::Index>(N));
  Eigen::MatrixXd Rk(S.rows(), S.cols());
  for (std::size_t t = 0; t < T; ++t) {
    const auto ti = static_cast<Eigen::Index>(t);
    const Eigen::MatrixXd Xt =
        X(Eigen::seqN(ti, static_cast<Eigen::Index>(N), static_cast<Eigen::Index>(T)), Eigen::all);
    const Eigen::VectorXd c = topsis_closeness(Xt, W.row(ti).transpose(), best, worst);
    if (!c.allFinite())
      return failure("TOPSIS closeness is undefined in " + year_label(data, t), options);
    S.row(ti) = c.transpose();
    const std::vector<double> r = stats::rank_descending(std::span<const double>(c.data(), N));
    for (std::size_t i = 0; i < N; ++i) Rk(ti, static_cast<Eigen::Index>(i)) = r[i];
  }
  EntropyIndexResult res;
  res.options = options;
  res.weights = std::move(W);
  res.scores = std::move(S);
  res.ranks = std::move(Rk);
  return res;
}

// A row-major view of a replication row.
using RowMajor = Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;

}  // namespace

EntropyIndexResult entropy_topsis(const IndexData& data, const EntropyTopsisOptions& options) {
  std::vector<std::size_t> all(data.units);
  std::iota(all.begin(), all.end(), std::size_t{0});
  return compute(data, options, all);
}

EntropyIndexResult entropy_topsis(const IndexData& data, const EntropyTopsisOptions& options,
                                  const std::vector<std::size_t>& sample) {
  return compute(data, options, sample);
}

EntropyIndexResult entropy_topsis_replication(const IndexData& data,
                                              const EntropyTopsisOptions& options, Rng& rng) {
  REVEST_REQUIRE(data.units >= 1, "entropy index: need N >= 1 counties");
  boost::random::uniform_int_distribution<std::size_t> pick(0, data.units - 1);
  std::vector<std::size_t> sample(data.units);
  for (auto& c : sample) c = pick(rng);
  return compute(data, options, sample);
}

std::string EntropyIndexResult::brief_report() const {
  std::ostringstream os;
  os << "Entropy-weight TOPSIS index";
  if (status.ok() && scores.size() > 0) {
    const Eigen::Index T = scores.rows(), N = scores.cols(), K = weights.cols();
    os << " of " << N << " units x " << T << " periods on " << K << " indicators (weights "
       << (options.weight_scope == WeightScope::kPooled ? "pooled over all periods" : "per period")
       << ", shift " << options.shift << "): weights of the last period";
    for (Eigen::Index k = 0; k < K; ++k) os << (k ? ", " : " ") << weights(T - 1, k);
    Eigen::Index top = 0;
    scores.row(T - 1).maxCoeff(&top);
    os << "; mean score of the last period " << scores.row(T - 1).mean() << ", best unit " << top
       << " (score " << scores(T - 1, top) << ")";
  }
  os << "; status " << status.to_string() << ".";
  return os.str();
}

EntropyIndexBootstrap bootstrap(const IndexData& data, const EntropyTopsisOptions& options,
                                const RngKey& key, std::size_t replications) {
  REVEST_REQUIRE(
      replications >= 1 && replications <= (std::size_t{1} << 32),
      "entropy index bootstrap: replications " << replications << " is not in [1, 2^32]");
  EntropyIndexBootstrap b;
  b.point = entropy_topsis(data, options);
  if (!b.point.status.ok()) {
    b.status = Status::Make(StatusCode::kNumericalFailure,
                            "the index is undefined on the full sample: " + b.point.status.message);
    return b;
  }
  const std::size_t N = data.units, T = data.periods, K = static_cast<std::size_t>(data.raw.cols());
  MemoryReplications store({{"weights", {T, K}, ""}, {"scores", {T, N}, ""}, {"ranks", {T, N}, ""}},
                           replications);
  b.replications.reserve(replications);
  for (std::size_t r = 0; r < replications; ++r) {
    Rng rng = key.stream(static_cast<std::uint32_t>(r));
    const EntropyIndexResult rep = entropy_topsis_replication(data, options, rng);
    b.replications.push_back(rep.status);
    if (!rep.status.ok()) {
      ++b.failed;
      continue;
    }
    RowMajor(store.row(0, r).data(), rep.weights.rows(), rep.weights.cols()) = rep.weights;
    RowMajor(store.row(1, r).data(), rep.scores.rows(), rep.scores.cols()) = rep.scores;
    RowMajor(store.row(2, r).data(), rep.ranks.rows(), rep.ranks.cols()) = rep.ranks;
  }
  const std::size_t block = summary_block_columns(replications);
  b.weights = summarize_replication_columns(store, 0, T * K, options.confidence, block);
  b.scores = summarize_replication_columns(store, 1, T * N, options.confidence, block);
  b.ranks = summarize_replication_columns(store, 2, T * N, options.confidence, block);
  if (b.failed == replications)
    b.status = Status::Make(StatusCode::kNumericalFailure, "every resample was degenerate");
  return b;
}

std::string EntropyIndexBootstrap::brief_report() const {
  std::ostringstream os;
  os << point.brief_report() << " Bootstrap over units: " << replications.size()
     << " replications, " << failed << " degenerate";
  auto mean_width = [](const ReplicationColumnSummary& s) {
    double w = 0;
    std::size_t k = 0;
    for (std::size_t j = 0; j < s.lo.size(); ++j)
      if (std::isfinite(s.hi[j] - s.lo[j])) {
        w += s.hi[j] - s.lo[j];
        ++k;
      }
    return k ? w / static_cast<double>(k) : std::numeric_limits<double>::quiet_NaN();
  };
  if (!scores.lo.empty())
    os << "; mean width of the " << point.options.confidence * 100 << "% intervals: weights "
       << mean_width(weights) << ", scores " << mean_width(scores) << ", ranks "
       << mean_width(ranks);
  os << "; status " << status.to_string() << ".";
  return os.str();
}

}  // namespace revest::index
