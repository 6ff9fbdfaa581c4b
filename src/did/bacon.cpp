#include "did/bacon.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include "core/error.hpp"

namespace revest::did {

const char* to_string(BaconType t) {
  return t == BaconType::kEarlierVsLater   ? "earlier_vs_later"
         : t == BaconType::kLaterVsEarlier ? "later_vs_earlier"
                                           : "treated_vs_never";
}

BaconResult bacon_decomposition(const StaggeredPanel& panel) {
  const Eigen::Index N = panel.y.rows(), T = panel.y.cols();
  require_shape(panel, "Bacon decomposition", 2);
  for (Eigen::Index i = 0; i < N; ++i)
    for (Eigen::Index t = 0; t < T; ++t)
      REVEST_REQUIRE(std::isfinite(panel.y(i, t)),
                     "Bacon decomposition needs a balanced panel: "
                         << (static_cast<std::size_t>(i) < panel.unit_names.size()
                                 ? panel.unit_names[static_cast<std::size_t>(i)]
                                 : "unit " + std::to_string(i))
                         << " has no outcome in period "
                         << panel.periods[static_cast<std::size_t>(t)]);
  const int first = panel.periods.front(), last = panel.periods.back();
  // Timing group of each unit: its first treated period index (0: treated from the start), or T
  // for never treated.
  std::vector<Eigen::Index> start(static_cast<std::size_t>(N));
  std::map<Eigen::Index, std::vector<Eigen::Index>> members;
  for (Eigen::Index i = 0; i < N; ++i) {
    const int g = panel.first_treat[static_cast<std::size_t>(i)];
    Eigen::Index s = T;
    if (g != 0 && g <= last) {
      s = 0;
      while (s < T && panel.periods[static_cast<std::size_t>(s)] < g) ++s;
      if (g <= first) s = 0;
    }
    start[static_cast<std::size_t>(i)] = s;
    members[s].push_back(i);
  }
  // Variance of the two-way demeaned treatment dummy.
  const Eigen::MatrixXd D = treatment_matrix(panel);
  const Eigen::VectorXd ri = D.rowwise().mean(), ct = D.colwise().mean().transpose();
  const double all = D.mean();
  double V = 0;
  for (Eigen::Index i = 0; i < N; ++i)
    for (Eigen::Index t = 0; t < T; ++t) {
      const double d = D(i, t) - ri[i] - ct[t] + all;
      V += d * d;
    }
  V /= static_cast<double>(N * T);
  REVEST_REQUIRE(V > 0,
                 "Bacon decomposition: the treatment does not vary across units and "
                 "periods beyond the fixed effects");
  // Mean outcome of a group over periods [a, b).
  auto mean = [&](Eigen::Index s, Eigen::Index a, Eigen::Index b) {
    double sum = 0;
    for (Eigen::Index i : members[s])
      for (Eigen::Index t = a; t < b; ++t) sum += panel.y(i, t);
    return sum / static_cast<double>(members[s].size() * static_cast<std::size_t>(b - a));
  };
  auto share = [&](Eigen::Index s) {
    return static_cast<double>(members[s].size()) / static_cast<double>(N);
  };
  auto dbar = [&](Eigen::Index s) { return static_cast<double>(T - s) / static_cast<double>(T); };
  auto period = [&](Eigen::Index s) {
    return s < T ? panel.periods[static_cast<std::size_t>(s)] : 0;
  };
  BaconResult r;
  const bool never = members.count(T) > 0;
  std::vector<Eigen::Index> timing;  // treated groups, earliest first (0: always treated)
  for (const auto& [s, m] : members)
    if (s < T) timing.push_back(s);
  if (never)
    for (Eigen::Index k : timing) {
      if (k == 0) continue;  // always treated: no untreated period
      const double nk = share(k), nu = share(T), nku = nk / (nk + nu), Dk = dbar(k);
      BaconComparison c{BaconType::kTreatedVsNever, period(k), 0, 0, 0};
      c.weight = (nk + nu) * (nk + nu) * nku * (1 - nku) * Dk * (1 - Dk) / V;
      c.estimate = (mean(k, k, T) - mean(k, 0, k)) - (mean(T, k, T) - mean(T, 0, k));
      r.comparisons.push_back(c);
    }
  for (std::size_t a = 0; a < timing.size(); ++a)
    for (std::size_t b = a + 1; b < timing.size(); ++b) {
      const Eigen::Index e = timing[a], l = timing[b];  // e treated earlier (D_e > D_l)
      const double ne = share(e), nl = share(l), nel = ne / (ne + nl), De = dbar(e), Dl = dbar(l);
      if (e > 0) {  // earlier vs later, before l is treated: windows [0, e) and [e, l)
        BaconComparison c{BaconType::kEarlierVsLater, period(e), period(l), 0, 0};
        const double f = (ne + nl) * (1 - Dl);
        c.weight = f * f * nel * (1 - nel) * (De - Dl) / (1 - Dl) * (1 - De) / (1 - Dl) / V;
        c.estimate = (mean(e, e, l) - mean(e, 0, e)) - (mean(l, e, l) - mean(l, 0, e));
        r.comparisons.push_back(c);
      }
      {  // later vs earlier, after e is treated: windows [e, l) and [l, T)
        BaconComparison c{BaconType::kLaterVsEarlier, period(l), e > 0 ? period(e) : first, 0, 0};
        const double f = (ne + nl) * De;
        c.weight = f * f * nel * (1 - nel) * Dl / De * (De - Dl) / De / V;
        c.estimate = (mean(l, l, T) - mean(l, e, l)) - (mean(e, l, T) - mean(e, e, l));
        r.comparisons.push_back(c);
      }
    }
  double num[3] = {0, 0, 0};
  for (const auto& c : r.comparisons) {
    const auto k = static_cast<std::size_t>(c.type);
    r.weight[k] += c.weight;
    num[k] += c.weight * c.estimate;
    r.twfe += c.weight * c.estimate;
  }
  for (std::size_t k = 0; k < 3; ++k)
    r.estimate[k] =
        r.weight[k] > 0 ? num[k] / r.weight[k] : std::numeric_limits<double>::quiet_NaN();
  return r;
}

std::string BaconResult::brief_report() const {
  std::ostringstream os;
  os << "Goodman-Bacon decomposition of TWFE " << twfe << " into " << comparisons.size()
     << " comparisons:";
  for (std::size_t k = 0; k < 3; ++k)
    os << " " << to_string(static_cast<BaconType>(k)) << " weight " << weight[k] << ", estimate "
       << estimate[k] << ";";
  return os.str();
}

}  // namespace revest::did
