#include "realopt/lattice.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"

namespace revest::realopt {

double lattice_value(const Process& p, const Project& pr, double T, int K, int steps) {
  p.validate("lattice process");
  pr.validate("lattice project");
  REVEST_REQUIRE(p.kind == ProcessKind::kGbm,
                 "lattice: only geometric Brownian motion is supported");
  REVEST_REQUIRE(T > 0.0 && K >= 1 && steps >= 1,
                 "lattice: horizon, dates and steps must be positive");
  const int N = K * steps, S = static_cast<int>(pr.states.size());
  const double dt = T / N, u = std::exp(p.sigma * std::sqrt(dt)), d = 1.0 / u;
  const double q = (std::exp((p.r - p.delta) * dt) - d) / (u - d), disc = std::exp(-p.r * dt);
  REVEST_REQUIRE(q > 0.0 && q < 1.0,
                 "lattice: too few steps for these parameters (the "
                 "risk-neutral probability "
                     << q << " is outside (0, 1))");
  const auto n1 = static_cast<std::size_t>(N) + 1;
  // O[s][j]: value in excess of the owned q_s V at node j (j up-moves) of the current level.
  std::vector<std::vector<double>> O(static_cast<std::size_t>(S), std::vector<double>(n1, 0.0));
  auto decide = [&](int n, int k) {
    const double t = T * k / K;
    for (int j = 0; j <= n; ++j) {
      const double v = p.v0 * std::pow(u, 2 * j - n);
      const auto ju = static_cast<std::size_t>(j);
      for (int s = S - 1; s >= 0; --s)
        for (std::size_t a = 0; a < pr.actions.size(); ++a) {
          const ProjectAction& act = pr.actions[a];
          if (act.from != s || !act.open_at(t)) continue;
          double& o = O[static_cast<std::size_t>(s)][ju];
          o = std::max(o, pr.scale_change(static_cast<int>(a)) * v - act.cost +
                              O[static_cast<std::size_t>(act.to)][ju]);
        }
    }
  };
  decide(N, K);
  for (int n = N - 1; n >= 0; --n) {
    for (auto& o : O)
      for (std::size_t j = 0; j <= static_cast<std::size_t>(n); ++j)
        o[j] = disc * (q * o[j + 1] + (1.0 - q) * o[j]);
    if (n % steps == 0) decide(n, n / steps);
  }
  return pr.states[static_cast<std::size_t>(pr.initial)].scale * p.v0 +
         O[static_cast<std::size_t>(pr.initial)][0];
}

}  // namespace revest::realopt
