#include "spatial/esda.hpp"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <numeric>
#include <sstream>

#include "core/error.hpp"

namespace revest::spatial {

namespace {

double two_sided_p(double z) {
  if (!std::isfinite(z)) return std::numeric_limits<double>::quiet_NaN();
  return 2 * boost::math::cdf(boost::math::complement(boost::math::normal(), std::abs(z)));
}

void finish(GlobalStatistic& s) {
  s.z_normal = (s.value - s.expected) / std::sqrt(s.var_normal);
  s.z_random = (s.value - s.expected) / std::sqrt(s.var_random);
  s.p_normal = two_sided_p(s.z_normal);
  s.p_random = two_sided_p(s.z_random);
}

struct Centered {
  Eigen::VectorXd z;
  double m2 = 0, m4 = 0;  // sums of z^2, z^4
};

Centered center(std::span<const double> x) {
  const auto n = static_cast<Eigen::Index>(x.size());
  Centered c;
  c.z = Eigen::Map<const Eigen::VectorXd>(x.data(), n);
  REVEST_REQUIRE(c.z.allFinite(), "spatial statistic: non-finite values");
  const double lo = c.z.minCoeff(), hi = c.z.maxCoeff();
  REVEST_REQUIRE(hi - lo > 1e-12 * std::max(std::abs(lo), std::abs(hi)),
                 "spatial statistic: the variable is constant (up to rounding)");
  c.z.array() -= c.z.mean();
  c.m2 = c.z.squaredNorm();
  c.m4 = c.z.array().pow(4).sum();
  return c;
}

}  // namespace

WeightsMoments::WeightsMoments(const Weights& w) {
  const SpMat wt = SpMat(w.W.transpose());
  const auto n = w.W.rows();
  Eigen::VectorXd rs = Eigen::VectorXd::Zero(n), cs = Eigen::VectorXd::Zero(n);
  for (int i = 0; i < w.W.outerSize(); ++i)
    for (SpMat::InnerIterator it(w.W, i); it; ++it) {
      S0 += it.value();
      rs[i] += it.value();
      cs[it.col()] += it.value();
    }
  // S1 = 1/2 sum_ij (w_ij + w_ji)^2 over the union of both patterns.
  const SpMat sym = w.W + wt;
  for (int i = 0; i < sym.outerSize(); ++i)
    for (SpMat::InnerIterator it(sym, i); it; ++it) S1 += 0.5 * it.value() * it.value();
  S2 = (rs + cs).squaredNorm();
}

GlobalStatistic moran(std::span<const double> x, const Weights& w, const WeightsMoments& m) {
  const Centered c = center(x);
  const double n = static_cast<double>(x.size());
  GlobalStatistic s;
  s.value = n / m.S0 * c.z.dot(w.W * c.z) / c.m2;
  s.expected = -1.0 / (n - 1);
  const double S02 = m.S0 * m.S0;
  s.var_normal =
      (n * n * m.S1 - n * m.S2 + 3 * S02) / ((n * n - 1) * S02) - s.expected * s.expected;
  const double b2 = n * c.m4 / (c.m2 * c.m2);
  s.var_random = (n * ((n * n - 3 * n + 3) * m.S1 - n * m.S2 + 3 * S02) -
                  b2 * ((n * n - n) * m.S1 - 2 * n * m.S2 + 6 * S02)) /
                     ((n - 1) * (n - 2) * (n - 3) * S02) -
                 s.expected * s.expected;
  finish(s);
  return s;
}

GlobalStatistic geary(std::span<const double> x, const Weights& w, const WeightsMoments& m) {
  const Centered c = center(x);
  const double n = static_cast<double>(x.size());
  double num = 0;
  for (int i = 0; i < w.W.outerSize(); ++i)
    for (SpMat::InnerIterator it(w.W, i); it; ++it) {
      const double d = c.z[i] - c.z[it.col()];
      num += it.value() * d * d;
    }
  GlobalStatistic s;
  s.value = (n - 1) * num / (2 * m.S0 * c.m2);
  s.expected = 1.0;
  const double S02 = m.S0 * m.S0;
  s.var_normal = ((2 * m.S1 + m.S2) * (n - 1) - 4 * S02) / (2 * (n + 1) * S02);
  const double b2 = n * c.m4 / (c.m2 * c.m2);
  s.var_random = ((n - 1) * m.S1 * (n * n - 3 * n + 3 - (n - 1) * b2) -
                  0.25 * (n - 1) * m.S2 * (n * n + 3 * n - 6 - (n * n - n + 2) * b2) +
                  S02 * (n * n - 3 - (n - 1) * (n - 1) * b2)) /
                 (n * (n - 2) * (n - 3) * S02);
  finish(s);
  return s;
}

GlobalStatistic getis_ord(std::span<const double> x, const Weights& w, const WeightsMoments& m) {
  GlobalStatistic s;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto nn = static_cast<Eigen::Index>(x.size());
  const Eigen::Map<const Eigen::VectorXd> v(x.data(), nn);
  if ((v.array() < 0).any() || !v.allFinite()) {
    s.status = Status::Make(StatusCode::kNumericalFailure,
                            "Getis-Ord G is defined for finite non-negative values only");
    s.value = s.expected = s.var_normal = s.var_random = nan;
    finish(s);
    return s;
  }
  const double n = static_cast<double>(nn);
  const double m1 = v.sum(), m2 = v.squaredNorm(), m3 = v.array().cube().sum(),
               m4 = v.array().pow(4).sum();
  s.value = v.dot(w.W * v) / (m1 * m1 - m2);
  s.expected = m.S0 / (n * (n - 1));
  const double S1 = m.S1, S2 = m.S2, S0 = m.S0, S02 = S0 * S0;
  const double B0 = (n * n - 3 * n + 3) * S1 - n * S2 + 3 * S02;
  const double B1 = -((n * n - n) * S1 - 2 * n * S2 + 6 * S02);
  const double B2 = -(2 * n * S1 - (n + 3) * S2 + 6 * S02);
  const double B3 = 4 * (n - 1) * S1 - 2 * (n + 1) * S2 + 8 * S02;
  const double B4 = S1 - S2 + S02;
  const double eg2 =
      (B0 * m2 * m2 + B1 * m4 + B2 * m1 * m1 * m2 + B3 * m1 * m3 + B4 * std::pow(m1, 4)) /
      (std::pow(m1 * m1 - m2, 2) * n * (n - 1) * (n - 2) * (n - 3));
  s.var_normal = s.var_random = eg2 - s.expected * s.expected;
  finish(s);
  return s;
}

GlobalValues global_values(std::span<const double> x, const Weights& w, double S0) {
  const auto nn = static_cast<Eigen::Index>(x.size());
  const Eigen::Map<const Eigen::VectorXd> v(x.data(), nn);
  const double n = static_cast<double>(nn);
  const double mean = v.mean();
  double m2 = 0, num_c = 0, xwx = 0, zwz = 0;
  for (Eigen::Index i = 0; i < nn; ++i) m2 += (v[i] - mean) * (v[i] - mean);
  for (int i = 0; i < w.W.outerSize(); ++i) {
    const double zi = v[i] - mean;
    double lz = 0, lx = 0;
    for (SpMat::InnerIterator it(w.W, i); it; ++it) {
      const double xj = v[it.col()];
      lz += it.value() * (xj - mean);
      lx += it.value() * xj;
      const double d = v[i] - xj;
      num_c += it.value() * d * d;
    }
    zwz += zi * lz;
    xwx += v[i] * lx;
  }
  const double m1 = v.sum(), sq = v.squaredNorm();
  GlobalValues g;
  g.moran = n / S0 * zwz / m2;
  g.geary = (n - 1) * num_c / (2 * S0 * m2);
  g.g = (v.array() < 0).any() ? std::numeric_limits<double>::quiet_NaN() : xwx / (m1 * m1 - sq);
  return g;
}

LocalMoran local_moran(std::span<const double> x, const Weights& w) {
  const Centered c = center(x);
  LocalMoran l;
  l.m2n = c.m2 / static_cast<double>(x.size());
  l.z = c.z;
  l.lag = w.W * c.z;
  l.I = c.z.cwiseProduct(l.lag) / l.m2n;
  return l;
}

LisaScratch::LisaScratch(const Weights& w) {
  const auto n = static_cast<std::size_t>(w.W.rows());
  pool.resize(n);
  std::iota(pool.begin(), pool.end(), 0u);
  Eigen::Index most = 0;
  for (Eigen::Index i = 0; i < w.W.outerSize(); ++i)
    most = std::max<Eigen::Index>(most, w.W.outerIndexPtr()[i + 1] - w.W.outerIndexPtr()[i]);
  REVEST_REQUIRE(static_cast<std::size_t>(most) < std::max<std::size_t>(n, 1),
                 "LISA: a unit has " << most << " neighbours among " << n << " units");
  swaps.resize(static_cast<std::size_t>(most));
}

void lisa_permutation_draw(const LocalMoran& obs, const Weights& w, Rng& rng, LisaScratch& scratch,
                           std::span<double> upper, std::span<double> lower) {
  const auto n = static_cast<std::size_t>(obs.z.size());
  auto& pool = scratch.pool;
  auto& swaps = scratch.swaps;
  const std::uint32_t m = static_cast<std::uint32_t>(n - 1);
  for (std::size_t i = 0; i < n; ++i) {
    const int deg = static_cast<int>(w.W.outerIndexPtr()[i + 1] - w.W.outerIndexPtr()[i]);
    const double* wv = w.W.valuePtr() + w.W.outerIndexPtr()[i];
    // pool[0, n - 1) holds the other n - 1 units; the first deg of a partial shuffle are drawn.
    std::swap(pool[i], pool[n - 1]);
    double lag = 0;
    for (int k = 0; k < deg; ++k) {
      const auto ku = static_cast<std::size_t>(k);
      const std::uint32_t j =
          static_cast<std::uint32_t>(k) + uniform_index(rng, m - static_cast<std::uint32_t>(k));
      swaps[ku] = j;
      std::swap(pool[ku], pool[j]);
      lag += wv[k] * obs.z[pool[ku]];
    }
    for (int k = deg - 1; k >= 0; --k)
      std::swap(pool[static_cast<std::size_t>(k)], pool[swaps[static_cast<std::size_t>(k)]]);
    std::swap(pool[i], pool[n - 1]);
    const double ii = obs.z[static_cast<Eigen::Index>(i)] * lag / obs.m2n;
    if (ii >= obs.I[static_cast<Eigen::Index>(i)]) upper[i] += 1;
    if (ii <= obs.I[static_cast<Eigen::Index>(i)]) lower[i] += 1;
  }
}

void lisa_permutation_counts(const LocalMoran& obs, const Weights& w, int permutations, Rng& rng,
                             std::span<double> upper, std::span<double> lower) {
  LisaScratch scratch(w);
  for (int p = 0; p < permutations; ++p) lisa_permutation_draw(obs, w, rng, scratch, upper, lower);
}

double pseudo_p(double upper, double lower, double permutations) {
  return (1.0 + std::min(upper, lower)) / (1.0 + permutations);
}

std::vector<double> bh_adjust(std::span<const double> p) {
  const std::size_t m = p.size();
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  std::vector<double> q(m);
  double running = 1.0;
  for (std::size_t r = m; r-- > 0;) {
    const std::size_t i = order[r];
    running = std::min(running, p[i] * static_cast<double>(m) / static_cast<double>(r + 1));
    q[i] = running;
  }
  return q;
}

std::string cluster_label(double z, double lag, bool significant) {
  if (!significant) return "ns";
  if (z > 0) return lag > 0 ? "HH" : "HL";
  return lag > 0 ? "LH" : "LL";
}

// ---- ESDA of one variable on one weights matrix ----

void EsdaOptions::validate() const {
  REVEST_REQUIRE(permutations >= 1 && permutations <= 10000000,
                 "ESDA options: permutations must be in [1, 1e7], got " << permutations);
  REVEST_REQUIRE(alpha > 0 && alpha < 1, "ESDA options: alpha must be in (0, 1), got " << alpha);
}

EsdaPoint esda_point(std::span<const double> x, const Weights& w, const WeightsMoments& m) {
  REVEST_REQUIRE(x.size() == w.size(),
                 "ESDA: " << x.size() << " values for " << w.size() << " units");
  EsdaPoint p;
  p.x.assign(x.begin(), x.end());
  p.global = {moran(x, w, m), geary(x, w, m), getis_ord(x, w, m)};
  p.local = local_moran(x, w);
  const GlobalValues o = global_values(x, w, m.S0);
  p.observed = {o.moran, o.geary, o.g};
  for (std::size_t s = 0; s < 3; ++s) p.expected[s] = p.global[s].expected;
  return p;
}

void esda_permutation(const EsdaPoint& point, const Weights& w, const WeightsMoments& m, Rng& rng,
                      EsdaScratch& scratch, EsdaCounts& counts) {
  const std::size_t n = point.x.size();
  std::vector<double>& perm = scratch.values;
  perm = point.x;
  for (std::size_t i = n - 1; i > 0; --i) std::swap(perm[i], perm[uniform_index(rng, i + 1)]);
  const GlobalValues v = global_values(perm, w, m.S0);
  const double pv[3] = {v.moran, v.geary, v.g};
  for (std::size_t s = 0; s < 3; ++s) {
    std::array<double, 4>& cell = counts.global[s];
    if (std::isnan(pv[s])) {
      cell.fill(std::numeric_limits<double>::quiet_NaN());
      continue;
    }
    const double ov = point.observed[s], ev = point.expected[s];
    cell[0] += pv[s] >= ov;
    cell[1] += pv[s] <= ov;
    // Centred on the expected value, so that the variance in permutation_inference does not cancel.
    cell[2] += pv[s] - ev;
    cell[3] += (pv[s] - ev) * (pv[s] - ev);
  }
  lisa_permutation_draw(point.local, w, rng, scratch.lisa, counts.lisa_upper, counts.lisa_lower);
}

PermutationInference permutation_inference(const std::array<double, 4>& counts, double permutations,
                                           double value, double expected) {
  const double P = permutations;
  PermutationInference r;
  const double dm = counts[2] / P;  // the sums are centred on the expected value
  r.mean = expected + dm;
  r.sd = std::sqrt(std::max(0.0, counts[3] / P - dm * dm) * P / (P - 1));
  r.z = (value - r.mean) / r.sd;
  r.p = pseudo_p(counts[0], counts[1], P);
  return r;
}

LisaInference lisa_inference(const LocalMoran& local, std::span<const double> upper,
                             std::span<const double> lower, double permutations, double alpha) {
  const std::size_t n = upper.size();
  REVEST_REQUIRE(
      lower.size() == n && static_cast<std::size_t>(local.z.size()) == n,
      "LISA: counts of " << n << " and " << lower.size() << " units for " << local.z.size());
  LisaInference r;
  r.p.resize(n);
  for (std::size_t i = 0; i < n; ++i) r.p[i] = pseudo_p(upper[i], lower[i], permutations);
  r.q = bh_adjust(r.p);
  for (std::size_t i = 0; i < n; ++i) {
    const auto k = static_cast<Eigen::Index>(i);
    r.cluster.push_back(cluster_label(local.z[k], local.lag[k], r.p[i] < alpha));
    r.cluster_fdr.push_back(cluster_label(local.z[k], local.lag[k], r.q[i] < alpha));
  }
  return r;
}

EsdaResult esda(std::span<const double> x, const Weights& w, const EsdaOptions& options,
                const RngKey& key, std::uint32_t part) {
  options.validate();
  const WeightsMoments m(w);
  EsdaResult r;
  r.options = options;
  r.point = esda_point(x, w, m);
  r.permutations = options.permutations;
  r.counts = EsdaCounts(x.size());
  EsdaScratch scratch(w);
  for (std::size_t q = 0; q < options.permutations; ++q) {
    const auto rep = static_cast<std::uint32_t>(q);
    Rng rng = key.stream(rep).for_replication(rep, part);
    esda_permutation(r.point, w, m, rng, scratch, r.counts);
  }
  const auto P = static_cast<double>(options.permutations);
  for (std::size_t s = 0; s < 3; ++s)
    r.permutation[s] =
        permutation_inference(r.counts.global[s], P, r.point.global[s].value, r.point.expected[s]);
  r.lisa =
      lisa_inference(r.point.local, r.counts.lisa_upper, r.counts.lisa_lower, P, options.alpha);
  return r;
}

std::string EsdaResult::brief_report() const {
  std::ostringstream os;
  os.precision(4);
  const char* names[3] = {"Moran's I", "Geary's C", "Getis-Ord G"};
  os << "ESDA of " << point.x.size() << " units with " << permutations << " permutations: ";
  for (std::size_t s = 0; s < 3; ++s) {
    const GlobalStatistic& g = point.global[s];
    os << names[s] << " ";
    if (!g.status.ok()) {
      os << "not defined (" << g.status.message << ")";
    } else {
      os << g.value << " (E " << g.expected << ", z " << g.z_random
         << " under randomisation, permutation p " << permutation[s].p << ")";
    }
    os << (s < 2 ? ", " : "; ");
  }
  auto clusters = [&](const std::vector<std::string>& labels) {
    for (const char* c : {"HH", "LL", "HL", "LH"})
      os << (c[0] == 'H' && c[1] == 'H' ? "" : ", ") << std::count(labels.begin(), labels.end(), c)
         << " " << c;
  };
  os << "LISA clusters at p < " << options.alpha << ": ";
  clusters(lisa.cluster);
  os << " (at FDR q < " << options.alpha << ": ";
  clusters(lisa.cluster_fdr);
  os << "); status " << status.to_string() << ".";
  return os.str();
}

}  // namespace revest::spatial
