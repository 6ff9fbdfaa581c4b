#include "realopt/lsm.hpp"

#include <algorithm>
#include <boost/random/normal_distribution.hpp>
// GCC 12 reports false "may be used uninitialized" warnings inside Boost's Poisson sampler (members
// of its PTRD branch, which small means never use); the header's lines are exempted (GCC only:
// clang, which clang-tidy runs, has no such warning).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <boost/random/poisson_distribution.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include <cmath>
#include <sstream>

#include "core/error.hpp"
#include "core/stats.hpp"

namespace revest::realopt {

const char* to_string(Basis b) {
  switch (b) {
    case Basis::kLaguerreUnweighted:
      return "laguerre_unweighted";
    case Basis::kMonomial:
      return "monomial";
    case Basis::kLogMonomial:
      return "log_monomial";
    case Basis::kSpline:
      return "spline";
    default:
      return "laguerre";
  }
}

Basis basis_from_string(const std::string& s) {
  for (Basis b : {Basis::kLaguerre, Basis::kLaguerreUnweighted, Basis::kMonomial,
                  Basis::kLogMonomial, Basis::kSpline})
    if (s == to_string(b)) return b;
  REVEST_FAIL("unknown regression basis '"
              << s
              << "' (laguerre, laguerre_unweighted, monomial, log_monomial "
                 "or spline)");
}

int LsmOptions::dates() const {
  return std::max(1, static_cast<int>(std::lround(horizon * dates_per_year)));
}

void LsmOptions::validate() const {
  REVEST_REQUIRE(horizon > 0.0 && std::isfinite(horizon), "LSM: horizon must be positive");
  REVEST_REQUIRE(dates_per_year >= 1, "LSM: dates_per_year must be >= 1");
  REVEST_REQUIRE(order >= 0 && order <= 16, "LSM: basis order must be in [0, 16]");
  REVEST_REQUIRE(regression_paths >= 2 && pricing_paths >= 2, "LSM: too few paths");
  REVEST_REQUIRE(!upper_bound || (upper_outer >= 1 && upper_inner >= 1),
                 "LSM: the upper bound needs upper_outer >= 1 and upper_inner >= 1");
}

void Project::validate(const std::string& what) const {
  const int S = static_cast<int>(states.size());
  REVEST_REQUIRE(S >= 2, what << ": a project needs at least two states");
  REVEST_REQUIRE(initial >= 0 && initial < S, what << ": initial state out of range");
  REVEST_REQUIRE(basis_scale > 0.0 && std::isfinite(basis_scale),
                 what << ": basis scale must be positive");
  for (const auto& s : states)
    REVEST_REQUIRE(std::isfinite(s.scale),
                   what << ": state '" << s.name << "' has a non-finite scale");
  for (const auto& a : actions) {
    REVEST_REQUIRE(a.from >= 0 && a.to < S && a.from < a.to,
                   what << ": action '" << a.name << "' must lead to a later state");
    REVEST_REQUIRE(std::isfinite(a.cost),
                   what << ": action '" << a.name << "' has a non-finite cost");
    REVEST_REQUIRE(a.first_time <= a.last_time,
                   what << ": action '" << a.name << "' has an empty exercise window");
  }
}

double Project::scale_change(int a) const {
  const ProjectAction& act = actions[static_cast<std::size_t>(a)];
  return states[static_cast<std::size_t>(act.to)].scale -
         states[static_cast<std::size_t>(act.from)].scale;
}

Project deferral_project(double investment) {
  Project p;
  p.states = {{"idle", 0.0}, {"invested", 1.0}};
  p.actions = {{"invest", 0, 1, investment, 0.0, std::numeric_limits<double>::infinity()}};
  p.basis_scale = investment;
  return p;
}

Project american_put(double strike) {
  Project p;
  p.states = {{"holding", 0.0}, {"exercised", -1.0}};
  p.actions = {{"exercise", 0, 1, -strike, 0.0, std::numeric_limits<double>::infinity()}};
  p.basis_scale = strike;
  return p;
}

namespace {

// Coefficients of the Laguerre recurrence, so that the basis needs no division.
struct LaguerreCoefficients {
  double c[33][3];
  constexpr LaguerreCoefficients() : c{} {
    for (int n = 0; n < 33; ++n) {
      c[n][0] = (2.0 * n + 1.0) / (n + 1.0);
      c[n][1] = 1.0 / (n + 1.0);
      c[n][2] = n / (n + 1.0);
    }
  }
  const double* operator[](int n) const { return c[n]; }
};
constexpr LaguerreCoefficients kLaguerre{};

class Engine {
 public:
  Engine(const Process& p, const Project& pr, const LsmOptions& o)
      : p_(p),
        pr_(pr),
        o_(o),
        K_(o.dates()),
        S_(static_cast<int>(pr.states.size())),
        nb_(o.order + 1) {
    dt_ = o.horizon / K_;
    disc_ = std::exp(-p.r * dt_);
    from_.assign(static_cast<std::size_t>(S_), {});
    for (std::size_t a = 0; a < pr.actions.size(); ++a)
      from_[static_cast<std::size_t>(pr.actions[a].from)].push_back(static_cast<int>(a));
    centre_.assign((static_cast<std::size_t>(K_) + 1), 0.0);
    knots_.assign((static_cast<std::size_t>(K_) + 1),
                  std::vector<std::vector<double>>(static_cast<std::size_t>(S_)));
    spread_.assign((static_cast<std::size_t>(K_) + 1), 1.0);
    beta_.assign((static_cast<std::size_t>(K_) + 1),
                 std::vector<Eigen::VectorXd>(static_cast<std::size_t>(S_)));
  }

  int dates() const { return K_; }
  double time(int k) const { return o_.horizon * k / K_; }

  bool active(int a, int k) const {
    return pr_.actions[static_cast<std::size_t>(a)].open_at(time(k));
  }
  bool terminal(int s) const { return from_[static_cast<std::size_t>(s)].empty(); }
  bool own_active(int s, int k) const {
    for (int a : from_[static_cast<std::size_t>(s)])
      if (active(a, k)) return true;
    return false;
  }
  // Some other non-terminal state can move into s at date k (so s's value is needed there).
  bool needed_by_others(int s, int k) const {
    for (std::size_t a = 0; a < pr_.actions.size(); ++a)
      if (pr_.actions[a].to == s && active(static_cast<int>(a), k)) return true;
    return false;
  }
  double gain(int a, double v) const {
    return pr_.scale_change(a) * v - pr_.actions[static_cast<std::size_t>(a)].cost;
  }

  bool standardised() const {
    return o_.basis == Basis::kMonomial || o_.basis == Basis::kLogMonomial;
  }
  double state_variable(double v) const {
    return o_.basis == Basis::kLogMonomial ? std::log(v / pr_.basis_scale) : v / pr_.basis_scale;
  }
  // Monomial bases use the state variable standardised by its mean and sd over the regression
  // paths at each date (so the normal equations stay well conditioned however wide the
  // distribution of V is at long horizons).
  void set_standardisation(int k, const double* v, std::size_t n) {
    std::vector<double> x(n);
    for (std::size_t i = 0; i < n; ++i) x[i] = state_variable(v[i]);
    const stats::MeanSd ms = stats::mean_sd(x);
    centre_[static_cast<std::size_t>(k)] = ms.mean;
    spread_[static_cast<std::size_t>(k)] = ms.sd > 0.0 ? ms.sd : 1.0;
  }

  // Linear spline: knots at the quantiles j / (order + 1), j = 1..order-1, of V / scale over the
  // regression paths at date k.
  void set_knots(int k, int s, const double* v, const std::vector<std::size_t>& sel) {
    std::vector<double> x;
    x.reserve(sel.size());
    for (std::size_t i : sel) x.push_back(v[i] / pr_.basis_scale);
    auto& kn = knots_[static_cast<std::size_t>(k)][static_cast<std::size_t>(s)];
    kn.clear();
    if (x.empty()) return;
    const std::size_t m = x.size();
    for (int j = 1; j < nb_ - 1; ++j) {
      const std::size_t q =
          std::min(m - 1, static_cast<std::size_t>(static_cast<double>(m) * j / (nb_ - 1)));
      std::nth_element(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(q), x.end());
      kn.push_back(x[q]);
    }
  }

  void basis(double v, int k, int s, double* phi) const {
    phi[0] = 1.0;
    if (o_.basis == Basis::kSpline) {
      const double x = v / pr_.basis_scale;
      phi[1] = x;
      const auto& kn = knots_[static_cast<std::size_t>(k)][static_cast<std::size_t>(s)];
      for (std::size_t j = 0; j < kn.size(); ++j) phi[2 + j] = std::max(0.0, x - kn[j]);
      return;
    }
    if (standardised()) {
      const double x = (state_variable(v) - centre_[static_cast<std::size_t>(k)]) /
                       spread_[static_cast<std::size_t>(k)];
      for (int j = 1; j < nb_; ++j) phi[j] = phi[j - 1] * x;
      return;
    }
    const double x = v / pr_.basis_scale;
    // Laguerre polynomials by L_{n+1} = ((2n + 1 - x) L_n - n L_{n-1}) / (n + 1).
    double L[32];
    L[0] = 1.0;
    L[1] = 1.0 - x;
    for (int n = 1; n + 1 < nb_; ++n) {
      const auto& c = kLaguerre[n];  // ((2n + 1) / (n + 1), 1 / (n + 1), n / (n + 1))
      L[n + 1] = (c[0] - c[1] * x) * L[n] - c[2] * L[n - 1];
    }
    if (o_.basis == Basis::kLaguerre) {
      // Longstaff-Schwartz (2001): a constant and exp(-x/2) L_0 .. L_{order-1}.
      const double w = std::exp(-0.5 * x);
      for (int j = 1; j < nb_; ++j) phi[j] = w * L[j - 1];
    } else {
      for (int j = 1; j < nb_; ++j) phi[j] = L[j];  // L_1 .. L_order (L_0 is the constant)
    }
  }

  double cont(int s, int k, double v) const {
    const Eigen::VectorXd& b = beta_[static_cast<std::size_t>(k)][static_cast<std::size_t>(s)];
    if (b.size() == 0) return 0.0;
    if (b.size() == 1) return std::max(0.0, b[0]);
    double phi[32];
    basis(v, k, s, phi);
    double c = 0.0;
    for (int j = 0; j < b.size(); ++j) c += b[j] * phi[j];
    return std::max(0.0, c);
  }

  // Estimated value of state s at date k and value v (decisions of all later states included).
  double estimate(int s, int k, double v, int* chosen = nullptr) const {
    if (terminal(s)) return 0.0;
    double best = k < K_ ? cont(s, k, v) : 0.0;
    if (chosen) *chosen = -1;
    for (int a : from_[static_cast<std::size_t>(s)]) {
      if (!active(a, k)) continue;
      const double e = gain(a, v) + estimate(pr_.actions[static_cast<std::size_t>(a)].to, k, v);
      if (e > best) {
        best = e;
        if (chosen) *chosen = a;
      }
    }
    return best;
  }

  const std::vector<int>& actions_from(int s) const { return from_[static_cast<std::size_t>(s)]; }

  // The rule at date k and value v from every state at once (states in reverse order, so each
  // action's target is decided first; the same comparisons as estimate()): the state each one
  // ends in after the actions the rule chains at this date (itself if it continues), and the sum
  // of their gains. Buffers of size S.
  void decide_all(int k, double v, double* est, int* end, double* gains) const {
    for (int s = S_ - 1; s >= 0; --s) {
      const auto su = static_cast<std::size_t>(s);
      end[su] = s;
      gains[su] = 0.0;
      if (terminal(s)) {
        est[su] = 0.0;
        continue;
      }
      double best = k < K_ ? cont(s, k, v) : 0.0;
      int chosen = -1;
      double g_chosen = 0.0;
      for (int a : from_[su]) {
        if (!active(a, k)) continue;
        const auto to = static_cast<std::size_t>(pr_.actions[static_cast<std::size_t>(a)].to);
        const double g = gain(a, v), e = g + est[to];
        if (e > best) {
          best = e;
          chosen = a;
          g_chosen = g;
        }
      }
      est[su] = best;
      if (chosen >= 0) {
        const auto to = static_cast<std::size_t>(pr_.actions[static_cast<std::size_t>(chosen)].to);
        end[su] = end[to];
        gains[su] = g_chosen + gains[to];
      }
    }
  }

  // True if the rule acts from state s at date k and value v.
  bool exercises(int s, int k, double v) const {
    int chosen = -1;
    estimate(s, k, v, &chosen);
    return chosen >= 0;
  }

  // Simulates n paths (antithetic pairs if asked) from V at time index k0 to K; date-major V.
  void simulate(std::size_t n, Rng& rng, bool real_world, double v_start, int k0,
                std::vector<double>& V) const {
    const int steps = K_ - k0;
    V.resize(static_cast<std::size_t>(steps + 1) * n);  // every element is written below
    const Stepper st(p_, dt_, real_world);
    boost::random::normal_distribution<double> nd;
    boost::random::poisson_distribution<int, double> pd(st.has_jumps() ? st.lambda_dt() : 1.0);
    auto jumps = [&]() {
      const int m = pd(rng);
      return m == 0 ? 0.0
                    : m * p_.jump_mean + std::sqrt(static_cast<double>(m)) * p_.jump_sd * nd(rng);
    };
    const bool jumpy = st.has_jumps();
    const double sa = st.a(), sb = st.b(), sc = st.c();
    const double x0 = std::log(v_start);
    const bool anti = o_.antithetic && n % 2 == 0;
    const std::size_t half = anti ? n / 2 : n;
    // Blocks of paths advance date by date, so each date's row of V is written contiguously and
    // exp runs vectorised over the block. The draw order (block, date, path) is fixed, so the
    // paths do not depend on anything but the stream.
    constexpr std::size_t kBlock = 256;
    Eigen::ArrayXd x1(static_cast<Eigen::Index>(kBlock)), x2(static_cast<Eigen::Index>(kBlock));
    Eigen::ArrayXd e(static_cast<Eigen::Index>(kBlock));
    for (std::size_t i = 0; i < half; ++i) {
      V[i] = v_start;
      if (anti) V[i + half] = v_start;
    }
    for (std::size_t b0 = 0; b0 < half; b0 += kBlock) {
      const std::size_t w = std::min(kBlock, half - b0);
      const auto W = static_cast<Eigen::Index>(w);
      x1.head(W).setConstant(x0);
      x2.head(W).setConstant(x0);
      for (int k = 1; k <= steps; ++k) {
        const std::size_t row = static_cast<std::size_t>(k) * n + b0;
        if (jumpy) {
          for (std::size_t j = 0; j < w; ++j) {
            const double z = nd(rng);
            const auto jj = static_cast<Eigen::Index>(j);
            x1[jj] = sa + sb * x1[jj] + sc * z + jumps();
            if (anti) x2[jj] = sa + sb * x2[jj] - sc * z + jumps();
          }
        } else if (anti) {
          for (std::size_t j = 0; j < w; ++j) {
            const double z = nd(rng);
            const auto jj = static_cast<Eigen::Index>(j);
            x1[jj] = sa + sb * x1[jj] + sc * z;
            x2[jj] = sa + sb * x2[jj] - sc * z;
          }
        } else {
          for (std::size_t j = 0; j < w; ++j) {
            const auto jj = static_cast<Eigen::Index>(j);
            x1[jj] = sa + sb * x1[jj] + sc * nd(rng);
          }
        }
        e.head(W) = x1.head(W).exp();
        std::copy(e.data(), e.data() + w, V.begin() + static_cast<std::ptrdiff_t>(row));
        if (anti) {
          e.head(W) = x2.head(W).exp();
          std::copy(e.data(), e.data() + w, V.begin() + static_cast<std::ptrdiff_t>(row + half));
        }
      }
    }
  }

  // Backward induction over the n paths in V (from date 0). fit: estimate and store the
  // coefficients; else use the stored ones. Returns the realised O_initial(0) of each path.
  bool backward(const std::vector<double>& V, std::size_t n, bool fit, std::vector<double>& out,
                std::string& message) {
    std::vector<std::vector<double>> P(static_cast<std::size_t>(S_), std::vector<double>(n, 0.0));
    std::vector<std::vector<double>> E(static_cast<std::size_t>(S_), std::vector<double>(n, 0.0));
    tau_.assign(n, K_);  // date of the initial state's (realised) first action; K if none
    for (int k = K_; k >= 0; --k) {
      const double* v = &V[static_cast<std::size_t>(k) * n];
      if (fit && k > 0 && standardised()) set_standardisation(k, v, n);
      if (k < K_)
        for (int s = 0; s < S_; ++s)
          if (!terminal(s))
            for (double& x : P[static_cast<std::size_t>(s)]) x *= disc_;
      for (int s = S_ - 1; s >= 0; --s) {
        if (terminal(s)) continue;
        const bool own = own_active(s, k), others = needed_by_others(s, k);
        if (!own && !others) continue;  // nothing decided or read here: P carries on
        auto& Ps = P[static_cast<std::size_t>(s)];
        auto& Es = E[static_cast<std::size_t>(s)];
        // The actions open at this date, as (dq, cost, E_to, P_to) for the path loops.
        open_.clear();
        for (int a : from_[static_cast<std::size_t>(s)]) {
          if (!active(a, k)) continue;
          const auto& act = pr_.actions[static_cast<std::size_t>(a)];
          open_.push_back({pr_.scale_change(a), act.cost,
                           E[static_cast<std::size_t>(act.to)].data(),
                           P[static_cast<std::size_t>(act.to)].data()});
        }
        const Open* open = open_.data();
        const int nopen = static_cast<int>(open_.size());
        // The paths where exercising could pay (every path when another state reads this
        // state's value): only there are the continuation estimate and a decision needed, since
        // elsewhere continuing (worth >= 0) beats every action (worth <= 0).
        idx_.resize(n);
        std::size_t m = 0;
        if (others) {
          for (std::size_t i = 0; i < n; ++i) idx_[i] = i;
          m = n;
        } else if (nopen == 1) {
          const Open& a = open[0];
          for (std::size_t i = 0; i < n; ++i) {
            idx_[m] = i;
            m += a.dq * v[i] - a.cost + a.e[i] > 0.0;
          }
        } else {
          for (std::size_t i = 0; i < n; ++i) {
            double best = -std::numeric_limits<double>::infinity();
            for (int j = 0; j < nopen; ++j)
              best = std::max(best, open[j].dq * v[i] - open[j].cost + open[j].e[i]);
            idx_[m] = i;
            m += best > 0.0;
          }
        }
        idx_.resize(m);
        chat_.assign(m, 0.0);
        if (k < K_ && m > 0) {
          Eigen::VectorXd& b = beta_[static_cast<std::size_t>(k)][static_cast<std::size_t>(s)];
          const auto nbs = static_cast<std::size_t>(nb_);
          if (fit && k == 0) {
            double sum = 0.0;
            for (std::size_t i : idx_) sum += Ps[i];
            b = Eigen::VectorXd::Constant(1, sum / static_cast<double>(m));
          } else if (fit) {
            if (o_.basis == Basis::kSpline) set_knots(k, s, v, idx_);
            phi_.resize(m * nbs);
            for (std::size_t t = 0; t < m; ++t) basis(v[idx_[t]], k, s, &phi_[t * nbs]);
            if (!regress(v, Ps.data(), b)) {
              message = "singular regression at t = " + std::to_string(time(k)) + " in state '" +
                        pr_.states[static_cast<std::size_t>(s)].name + "'";
              return false;
            }
          } else if (b.size() > 1) {
            phi_.resize(m * nbs);
            for (std::size_t t = 0; t < m; ++t) basis(v[idx_[t]], k, s, &phi_[t * nbs]);
          }
          if (b.size() == 1) {
            std::fill(chat_.begin(), chat_.end(), std::max(0.0, b[0]));
          } else if (b.size() > 1) {
            const int mb = static_cast<int>(b.size());
            for (std::size_t t = 0; t < m; ++t) {
              const double* f = &phi_[t * nbs];
              double c = 0.0;
              for (int j = 0; j < mb; ++j) c += b[j] * f[j];
              chat_[t] = std::max(0.0, c);
            }
          }
        }
        for (std::size_t t = 0; t < m; ++t) {
          const std::size_t i = idx_[t];
          double best = chat_[t], real = k < K_ ? Ps[i] : 0.0;
          bool acted = false;
          for (int j = 0; j < nopen; ++j) {
            const double g = open[j].dq * v[i] - open[j].cost;
            const double e = g + open[j].e[i];
            if (e > best) {
              best = e;
              real = g + open[j].p[i];
              acted = true;
            }
          }
          Es[i] = best;
          Ps[i] = real;
          if (acted && s == pr_.initial) tau_[i] = k;
        }
      }
    }
    out = P[static_cast<std::size_t>(pr_.initial)];
    return true;
  }

  // Weighted least squares of y on phi over the selected paths, weights 1 / max(1, x^2) with
  // x = V / scale: the spread of the realised continuation values grows with V, and unweighted
  // least squares lets the deep in-the-money paths of long horizons dominate the fit near the
  // exercise threshold (measured: perpetual case 2 of realopt_closed_forms.md at T = 100, 38.5
  // unweighted against 44.2 weighted; closed form 45.1). Paths with x <= 1 (all in-the-money
  // paths of a put) have weight 1, so the Longstaff-Schwartz put regressions are unchanged.
  bool regress(const double* v, const double* y, Eigen::VectorXd& b) {
    using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const std::size_t m = idx_.size();
    const auto M = static_cast<Eigen::Index>(m);
    const Eigen::Map<const RowMat> Phi(phi_.data(), M, nb_);
    w_.resize(M);
    yc_.resize(M);
    for (std::size_t t = 0; t < m; ++t) {
      const double x = v[idx_[t]] / pr_.basis_scale;
      w_[static_cast<Eigen::Index>(t)] = 1.0 / std::max(1.0, x * x);
      yc_[static_cast<Eigen::Index>(t)] = y[idx_[t]];
    }
    pw_.noalias() = w_.asDiagonal() * Phi;
    const Eigen::MatrixXd A = Phi.transpose() * pw_;
    const Eigen::VectorXd r = pw_.transpose() * yc_;
    // Jacobi scaling, then a rank-revealing solve (complete orthogonal decomposition): collinear
    // basis functions (e.g. spline knots that coincide) get the minimum-norm solution.
    Eigen::MatrixXd As = A.selfadjointView<Eigen::Lower>();
    const Eigen::VectorXd d = As.diagonal().cwiseMax(1e-300).cwiseSqrt().cwiseInverse();
    As = d.asDiagonal() * As * d.asDiagonal();
    Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd> cod;
    cod.setThreshold(1e-10);
    cod.compute(As);
    b = d.asDiagonal() * cod.solve(d.asDiagonal() * r);
    return b.allFinite();
  }

  const Process& p_;
  const Project& pr_;
  const LsmOptions& o_;
  int K_, S_, nb_;
  double dt_ = 0, disc_ = 1;
  std::vector<std::vector<int>> from_;
  std::vector<std::vector<Eigen::VectorXd>> beta_;  // [k][s]
  std::vector<double> centre_, spread_;             // standardisation of the state variable [k]
  std::vector<std::vector<std::vector<double>>> knots_;  // spline knots [k][s]
  // Work buffers of backward(): the open actions, the selected paths, their basis rows,
  // continuation estimates,
  // regression weights and responses, and the weighted basis.
  struct Open {
    double dq, cost;
    const double* e;
    const double* p;
  };
  std::vector<Open> open_;
  std::vector<std::size_t> idx_;
  std::vector<double> phi_, chat_;

 public:
  std::vector<int>
      tau_;  // per path of the last backward(): date index of the initial state's action
 private:
  Eigen::VectorXd w_, yc_;
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> pw_;
};

struct MeanSe {
  double mean = 0.0, se = 0.0;
};

// Mean and standard error of y (antithetic pairs averaged first when `pairs`).
MeanSe mean_se(const std::vector<double>& y, bool pairs) {
  std::vector<double> z;
  if (pairs) {
    const std::size_t m = y.size() / 2;
    z.resize(m);
    for (std::size_t i = 0; i < m; ++i) z[i] = 0.5 * (y[i] + y[i + m]);
  }
  const std::vector<double>& v = pairs ? z : y;
  const stats::MeanSd ms = stats::mean_sd(v);
  // mean_sd skips NaN; a NaN here is a failed valuation and must make the result NaN (not ok).
  if (ms.n != v.size()) return {std::numeric_limits<double>::quiet_NaN(), 0.0};
  return {ms.mean, ms.n > 1 ? ms.sd / std::sqrt(static_cast<double>(ms.n)) : 0.0};
}

}  // namespace

Valuation value_lsm(const Process& process, const Project& project, const LsmOptions& o, Rng& rng) {
  Valuation res;
  process.validate("real option process");
  project.validate("real option project");
  o.validate();
  res.options = o;
  std::string message;  // why a regression failed
  Engine eng(process, project, o);
  const int K = eng.dates();
  const bool pairs = o.antithetic;
  const double q0v0 = project.states[static_cast<std::size_t>(project.initial)].scale * process.v0;
  const double T = o.horizon;

  // Control: built on the European version (maturity T) of the initial state's first action that
  // changes the holding (see `control` below).
  int cv_action = -1;
  for (std::size_t a = 0; a < project.actions.size(); ++a) {
    const auto& act = project.actions[a];
    if (act.from == project.initial && project.scale_change(static_cast<int>(a)) != 0.0) {
      cv_action = static_cast<int>(a);
      break;
    }
  }
  double a_cv = 0.0, c_cv = 0.0;
  // The control is the discounted European value (maturity T) of that action's payoff, taken at
  // the date tau at which the path's rule leaves the initial state (T if it never does): the
  // discounted European price is a martingale, so by optional stopping its mean is the closed
  // form at t = 0 whatever the rule (Rasmussen 2005). At exercise it is close to the payoff, which
  // makes it far more correlated with the realised value than the payoff at T alone.
  auto control = [&](const std::vector<double>& V, std::size_t n, std::vector<double>& X) {
    X.resize(n);
    Process at = process;
    for (std::size_t i = 0; i < n; ++i) {
      const int k = eng.tau_[i];
      at.v0 = V[static_cast<std::size_t>(k) * n + i];
      const double t = eng.time(k);
      X[i] = std::exp(-process.r * t) * european_value(at, T - t, a_cv, c_cv);
    }
  };
  if (cv_action >= 0) {
    a_cv = project.scale_change(cv_action);
    c_cv = project.actions[static_cast<std::size_t>(cv_action)].cost;
    res.european = european_value(process, T, a_cv, c_cv);
  }
  // A call-type control (a > 0) has a lognormal tail: when the variance s^2 of ln V_T exceeds 2,
  // its sample variance converges too slowly for the control to be trusted (one extreme path in
  // the pricing set can dominate), so it is not used. Put-type controls are bounded.
  double s2 = 0.0;
  {
    double m = 0.0;
    const double n_jumps =
        process.kind == ProcessKind::kJumpDiffusion ? process.jump_intensity * T : 0.0;
    log_moments(process, T, 0, m, s2);
    s2 += n_jumps * (process.jump_sd * process.jump_sd + process.jump_mean * process.jump_mean);
  }
  const bool use_cv = o.control_variate && cv_action >= 0 && std::isfinite(res.european) &&
                      (a_cv < 0.0 || s2 <= 2.0);

  // 1. Regression paths: the exercise rule.
  // The path array (paths x dates doubles, e.g. 40 MB) is kept per thread and reused: allocating
  // it afresh for every valuation costs more in page faults than the simulation itself.
  thread_local std::vector<double> V;
  std::vector<double> y, X;
  eng.simulate(o.regression_paths, rng, false, process.v0, 0, V);
  res.path_steps += static_cast<double>(o.regression_paths) * K;
  if (!eng.backward(V, o.regression_paths, true, y, message)) {
    res.status = Status::Make(StatusCode::kNumericalFailure, message);
    return res;
  }
  if (use_cv) {
    // Coefficient of the control on the regression paths, on antithetic pair averages when the
    // pricing estimate averages pairs (the variance that matters is that of the pair means).
    control(V, o.regression_paths, X);
    const bool pr = pairs && o.regression_paths % 2 == 0;
    const std::size_t m = pr ? y.size() / 2 : y.size();
    auto yy = [&](std::size_t i) { return pr ? 0.5 * (y[i] + y[i + m]) : y[i]; };
    auto xx = [&](std::size_t i) { return pr ? 0.5 * (X[i] + X[i + m]) : X[i]; };
    // beta over [b0, b1) of the (pair-averaged) samples, and the variance of y - beta X there.
    auto fit_beta = [&](std::size_t b0, std::size_t b1) {
      double mx = 0, my = 0;
      for (std::size_t i = b0; i < b1; ++i) {
        mx += xx(i);
        my += yy(i);
      }
      mx /= static_cast<double>(b1 - b0);
      my /= static_cast<double>(b1 - b0);
      double sxy = 0, sxx = 0;
      for (std::size_t i = b0; i < b1; ++i) {
        sxy += (xx(i) - mx) * (yy(i) - my);
        sxx += (xx(i) - mx) * (xx(i) - mx);
      }
      return sxx > 0.0 ? sxy / sxx : 0.0;
    };
    auto variance = [&](std::size_t b0, std::size_t b1, double beta) {
      double m1 = 0, m2 = 0;
      for (std::size_t i = b0; i < b1; ++i) {
        const double z = yy(i) - beta * xx(i), d = z - m1;
        m1 += d / static_cast<double>(i - b0 + 1);
        m2 += d * (z - m1);
      }
      return m2;
    };
    // The control is kept only if a coefficient fitted on one half of the regression paths
    // lowers the variance on the other half (a heavy-tailed control, e.g. a long-dated call,
    // can make the in-sample coefficient unstable and the estimate worse).
    const std::size_t h = m / 2;
    const bool helps = h >= 2 && variance(h, m, fit_beta(0, h)) < variance(h, m, 0.0);
    res.cv_beta = helps ? fit_beta(0, m) : 0.0;
  }
  // Boundary of the initial state's first action, within the regression paths' range at each date.
  res.times.resize((static_cast<std::size_t>(K) + 1));
  for (int k = 0; k <= K; ++k) res.times[static_cast<std::size_t>(k)] = eng.time(k);
  res.boundary.assign((static_cast<std::size_t>(K) + 1), std::numeric_limits<double>::quiet_NaN());
  int a0 = -1;
  for (std::size_t a = 0; a < project.actions.size(); ++a)
    if (project.actions[a].from == project.initial) {
      a0 = static_cast<int>(a);
      break;
    }
  if (o.boundary && a0 >= 0) {
    const auto& act = project.actions[static_cast<std::size_t>(a0)];
    const double dq = project.scale_change(a0);
    const std::size_t n = o.regression_paths;
    for (int k = 1; k <= K; ++k) {
      if (!eng.active(a0, k) || dq == 0.0) continue;
      // Search between the 0.5 % and 99.5 % quantiles of the simulated V: beyond them the fit
      // rests on too few paths to locate a threshold (reported as NaN).
      std::vector<double> vk(
          V.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(k) * n),
          V.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(k + 1) * n));
      const std::size_t qlo = n / 200, qhi = n - 1 - n / 200;
      std::nth_element(vk.begin(), vk.begin() + static_cast<std::ptrdiff_t>(qlo), vk.end());
      const double lo = vk[qlo];
      std::nth_element(vk.begin(), vk.begin() + static_cast<std::ptrdiff_t>(qhi), vk.end());
      const double hi = vk[qhi];
      if (!(hi > lo)) continue;
      auto exercise = [&](double x) {
        const double e = eng.gain(a0, x) + eng.estimate(act.to, k, x);
        const double stay = k < K ? eng.cont(act.from, k, x) : 0.0;
        return e > 0.0 && e >= stay;
      };
      // Call-like (dq > 0): the lowest V at which the rule exercises, scanning up from the
      // smallest simulated V; put-like: the highest, scanning down from the largest.
      const int G = 200;
      auto grid = [&](int g) { return lo * std::pow(hi / lo, static_cast<double>(g) / (G - 1)); };
      const int start = dq > 0.0 ? 0 : G - 1, step = dq > 0.0 ? 1 : -1;
      if (exercise(grid(start))) continue;  // exercised over the whole simulated range
      int g = start;
      while (g + step >= 0 && g + step < G && !exercise(grid(g + step))) g += step;
      if (g + step < 0 || g + step >= G) continue;  // never exercised in the range
      // grid(g) continues, grid(g + step) exercises: bisect between them.
      double out = grid(g), in = grid(g + step);
      for (int it = 0; it < 40; ++it) {
        const double mid = std::sqrt(in * out);
        (exercise(mid) ? in : out) = mid;
      }
      res.boundary[static_cast<std::size_t>(k)] = in;
    }
  }
  // 2. Independent pricing paths: the low estimate.
  eng.simulate(o.pricing_paths, rng, false, process.v0, 0, V);
  res.path_steps += static_cast<double>(o.pricing_paths) * K;
  if (!eng.backward(V, o.pricing_paths, false, y, message)) {
    res.status = Status::Make(StatusCode::kNumericalFailure, message);
    return res;
  }
  const MeanSe plain = mean_se(y, pairs && o.pricing_paths % 2 == 0);
  res.value_plain = q0v0 + plain.mean;
  res.se_plain = plain.se;
  if (use_cv) {
    control(V, o.pricing_paths, X);
    for (std::size_t i = 0; i < y.size(); ++i) y[i] -= res.cv_beta * (X[i] - res.european);
    const MeanSe adj = mean_se(y, pairs && o.pricing_paths % 2 == 0);
    res.value = q0v0 + adj.mean;
    res.se = adj.se;
  } else {
    res.value = res.value_plain;
    res.se = res.se_plain;
  }

  // 3. Real-world paths: probability and time of leaving the initial state under the rule.
  if (o.real_world_paths > 0) {
    const std::size_t n = o.real_world_paths;
    eng.simulate(n, rng, true, process.v0, 0, V);
    res.path_steps += static_cast<double>(n) * K;
    std::size_t hits = 0;
    double tsum = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      for (int k = 0; k <= K; ++k) {
        if (eng.exercises(project.initial, k, V[static_cast<std::size_t>(k) * n + i])) {
          ++hits;
          tsum += eng.time(k);
          break;
        }
      }
    }
    res.exercise_probability = static_cast<double>(hits) / static_cast<double>(n);
    res.mean_exercise_time =
        hits ? tsum / static_cast<double>(hits) : std::numeric_limits<double>::quiet_NaN();
  }

  // 4. Dual upper bound: Andersen-Broadie (2004), extended to a project's several states by the
  // pathwise (information relaxation) dual of a finite-state control problem (Rogers 2007; Brown,
  // Smith and Sun 2010; Gyurko, Hambly and Witte 2015 for multiple exercise).
  // Along each outer path, for every non-terminal state s and date k:
  //   C_s(k)  discounted value of following the rule from s, continuing at k (cash flows at
  //           k+1..K), by inner simulation from V_k (one inner set per date, shared by the states);
  //   L_s(k)  the same when the rule may act at k: the discounted gains of the actions it chains
  //           at k, plus C of the state it ends in (0 if terminal);
  //   dM_s(k+1) = L_s(k+1) - C_s(k), for which E[dM_s(k+1) | F_k] = 0 for every s (the inner
  //           noise is independent of the outer path), so sum_k dM_{s_k}(k+1) has mean zero for
  //           any non-anticipative policy with states s_k.
  // Then the best pathwise policy against the penalised cash flows,
  //   th_s(K) = max(0, max_a D_K g_a + th_to(K)),
  //   th_s(k) = max(th_s(k+1) - dM_s(k+1), max_a D_k g_a + th_to(k)),   (states in reverse order)
  // has E[th_s0(0)] >= the project's option value, with equality for the optimal rule's values.
  // The bound is reported as value + mean(th_s0(0) - L_s0(0)) (Andersen-Broadie's form: the
  // difference has a far smaller variance than th itself; it is >= 0 on every path, since the
  // rule's own actions give exactly L_s0(0)). For a single-exercise project the martingale is
  // Andersen and Broadie's; the maximum runs over the project's own actions only (acting, or
  // never acting), where the earlier single-exercise code also let the holder discard the option
  // at any date, so the bound is at most that one on every path (equal on the put test).
  // Antithetic outer paths are averaged in pairs before the standard error.
  if (o.upper_bound) {
    const int S = static_cast<int>(project.states.size());
    const std::size_t no = o.upper_outer, ni = o.upper_inner;
    const auto Su = static_cast<std::size_t>(S);
    std::vector<double> Vo, Vi;
    eng.simulate(no, rng, false, process.v0, 0, Vo);
    res.path_steps += static_cast<double>(no) * K;
    std::vector<double> disc((static_cast<std::size_t>(K) + 1));
    for (int k = 0; k <= K; ++k)
      disc[static_cast<std::size_t>(k)] = std::exp(-process.r * eng.time(k));
    // [k][s] per outer path: C_s(k) and L_s(k); th_s for the backward pass.
    std::vector<double> C((static_cast<std::size_t>(K) + 1) * Su), L(C.size()), th(Su);
    auto at = [&](std::vector<double>& a, int k, int s) -> double& {
      return a[static_cast<std::size_t>(k) * Su + static_cast<std::size_t>(s)];
    };
    // The rule's decisions at one (date, value) from every state: estimates, end states, gains.
    std::vector<double> est(Su), gsum(Su);
    std::vector<int> end(Su), cur(Su);
    std::vector<double> delta(no);
    for (std::size_t i = 0; i < no; ++i) {
      std::fill(C.begin(), C.end(), 0.0);
      for (int k = 0; k < K; ++k) {
        eng.simulate(ni, rng, false, Vo[static_cast<std::size_t>(k) * no + i], k, Vi);
        res.path_steps += static_cast<double>(ni) * (K - k);
        // Along each inner path, the rule followed from every state at once (one decision per
        // date serves them all): cur_s is where the walk from s stands, and its discounted cash
        // flows over k+1..K add up in C_s(k). A walk ends in a terminal state; the path ends when
        // every walk has (e.g. at a put's exercise).
        for (std::size_t j = 0; j < ni; ++j) {
          int alive = 0;
          for (int s = 0; s < S; ++s) {
            cur[static_cast<std::size_t>(s)] = s;
            alive += !eng.terminal(s);
          }
          for (int kk = k + 1; kk <= K && alive > 0; ++kk) {
            eng.decide_all(kk, Vi[static_cast<std::size_t>(kk - k) * ni + j], est.data(),
                           end.data(), gsum.data());
            const double dk = disc[static_cast<std::size_t>(kk)];
            for (int s = 0; s < S; ++s) {
              int& c = cur[static_cast<std::size_t>(s)];
              if (eng.terminal(c)) continue;
              const auto cu = static_cast<std::size_t>(c);
              at(C, k, s) += dk * gsum[cu];
              c = end[cu];
              alive -= eng.terminal(c);
            }
          }
        }
        for (int s = 0; s < S; ++s) at(C, k, s) /= static_cast<double>(ni);
      }
      for (int k = 0; k <= K; ++k) {
        eng.decide_all(k, Vo[static_cast<std::size_t>(k) * no + i], est.data(), end.data(),
                       gsum.data());
        for (int s = 0; s < S; ++s) {
          if (eng.terminal(s)) continue;
          const int e = end[static_cast<std::size_t>(s)];
          at(L, k, s) = disc[static_cast<std::size_t>(k)] * gsum[static_cast<std::size_t>(s)] +
                        (eng.terminal(e) ? 0.0 : at(C, k, e));
        }
      }
      for (int k = K; k >= 0; --k) {
        const double v = Vo[static_cast<std::size_t>(k) * no + i];
        for (int s = S - 1; s >= 0; --s) {
          if (eng.terminal(s)) {
            th[static_cast<std::size_t>(s)] = 0.0;
            continue;
          }
          double best =
              k == K ? 0.0 : th[static_cast<std::size_t>(s)] - (at(L, k + 1, s) - at(C, k, s));
          for (int a : eng.actions_from(s)) {
            if (!eng.active(a, k)) continue;
            const int to = project.actions[static_cast<std::size_t>(a)].to;
            best = std::max(best, disc[static_cast<std::size_t>(k)] * eng.gain(a, v) +
                                      th[static_cast<std::size_t>(to)]);
          }
          th[static_cast<std::size_t>(s)] = best;
        }
      }
      delta[i] = th[static_cast<std::size_t>(project.initial)] - at(L, 0, project.initial);
    }
    const MeanSe d = mean_se(delta, o.antithetic && no % 2 == 0);
    res.upper = res.value + d.mean;
    res.upper_se = std::sqrt(res.se * res.se + d.se * d.se);
  }
  res.status = std::isfinite(res.value) && std::isfinite(res.se)
                   ? Status::Ok()
                   : Status::Make(StatusCode::kNumericalFailure, "non-finite value");
  return res;
}

Valuation value(const Project& project, const Process& process, const LsmOptions& options,
                const RngKey& key, std::uint32_t replication) {
  Rng rng = key.stream(replication);
  return value_lsm(process, project, options, rng);
}

std::string Valuation::brief_report() const {
  std::ostringstream os;
  const int K = options.dates();
  os << "Least squares Monte Carlo value " << value << " (se " << se;
  if (options.control_variate && cv_beta != 0.0)
    os << "; without the control variate " << value_plain << ", se " << se_plain;
  else
    os << "; no control variate";
  os << ")";
  if (std::isfinite(european)) os << ", European value of the first action " << european;
  if (std::isfinite(upper)) os << "; dual upper bound " << upper << " (se " << upper_se << ")";
  if (std::isfinite(exercise_probability))
    os << "; real-world probability of leaving the initial state " << exercise_probability
       << ", mean time " << mean_exercise_time << " years";
  os << "; " << K << " exercise dates over " << options.horizon
     << (options.horizon == 1.0 ? " year, " : " years, ") << options.regression_paths
     << " regression and " << options.pricing_paths << " pricing paths"
     << (options.antithetic ? " (antithetic)" : "") << ", basis " << to_string(options.basis)
     << " of order " << options.order << "; status " << status.to_string() << ".";
  return os.str();
}

}  // namespace revest::realopt
