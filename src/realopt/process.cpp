#include "realopt/process.hpp"

#include <cmath>

#include "core/error.hpp"

namespace revest::realopt {

const char* to_string(ProcessKind k) {
  switch (k) {
    case ProcessKind::kMeanReverting:
      return "mean_reverting";
    case ProcessKind::kJumpDiffusion:
      return "jump_diffusion";
    default:
      return "gbm";
  }
}

void Process::validate(const std::string& what) const {
  auto finite = [&](double v, const char* name) {
    REVEST_REQUIRE(std::isfinite(v), what << ": " << name << " is not a finite number");
  };
  finite(v0, "V0");
  finite(r, "r");
  finite(delta, "delta");
  finite(sigma, "sigma");
  finite(risk_premium, "risk premium");
  REVEST_REQUIRE(v0 > 0.0, what << ": V0 = " << v0 << " must be positive");
  REVEST_REQUIRE(sigma > 0.0, what << ": sigma = " << sigma << " must be positive");
  if (kind == ProcessKind::kMeanReverting) {
    REVEST_REQUIRE(kappa > 0.0 && std::isfinite(kappa),
                   what << ": mean-reversion speed " << kappa << " must be positive");
    REVEST_REQUIRE(long_run > 0.0 && std::isfinite(long_run),
                   what << ": long-run level " << long_run << " must be positive");
  }
  if (kind == ProcessKind::kJumpDiffusion) {
    REVEST_REQUIRE(jump_intensity >= 0.0 && std::isfinite(jump_intensity),
                   what << ": jump intensity " << jump_intensity << " must be >= 0");
    REVEST_REQUIRE(jump_sd >= 0.0 && std::isfinite(jump_sd) && std::isfinite(jump_mean),
                   what << ": jump mean/sd must be finite, sd >= 0");
  }
}

namespace {
double jump_k(const Process& p) {
  return std::exp(p.jump_mean + 0.5 * p.jump_sd * p.jump_sd) - 1.0;
}
}  // namespace

Stepper::Stepper(const Process& p, double dt, bool real_world) : kind_(p.kind) {
  const double prem = real_world ? p.risk_premium * dt : 0.0;
  switch (p.kind) {
    case ProcessKind::kMeanReverting: {
      const double e = std::exp(-p.kappa * dt);
      b_ = e;
      a_ = std::log(p.long_run) * (1.0 - e) + prem;
      c_ = p.sigma * std::sqrt((1.0 - e * e) / (2.0 * p.kappa));
      break;
    }
    case ProcessKind::kJumpDiffusion:
      a_ = (p.r - p.delta - p.jump_intensity * jump_k(p) - 0.5 * p.sigma * p.sigma) * dt + prem;
      c_ = p.sigma * std::sqrt(dt);
      lambda_dt_ = p.jump_intensity * dt;
      break;
    default:
      a_ = (p.r - p.delta - 0.5 * p.sigma * p.sigma) * dt + prem;
      c_ = p.sigma * std::sqrt(dt);
  }
}

void log_moments(const Process& p, double T, int n, double& mean, double& var) {
  const double x0 = std::log(p.v0);
  switch (p.kind) {
    case ProcessKind::kMeanReverting: {
      const double e = std::exp(-p.kappa * T), ll = std::log(p.long_run);
      mean = ll + (x0 - ll) * e;
      var = p.sigma * p.sigma * (1.0 - e * e) / (2.0 * p.kappa);
      return;
    }
    case ProcessKind::kJumpDiffusion:
      mean = x0 + (p.r - p.delta - p.jump_intensity * jump_k(p) - 0.5 * p.sigma * p.sigma) * T +
             n * p.jump_mean;
      var = p.sigma * p.sigma * T + n * p.jump_sd * p.jump_sd;
      return;
    default:
      mean = x0 + (p.r - p.delta - 0.5 * p.sigma * p.sigma) * T;
      var = p.sigma * p.sigma * T;
  }
}

namespace {
// E[max(s (V - K), 0)] for ln V ~ N(m, v), s = +1 (call) or -1 (put), K > 0.
double lognormal_option(double m, double v, double K, int s) {
  const double F = std::exp(m + 0.5 * v);
  if (v <= 0.0) return std::max(0.0, s * (F - K));
  // Standard normal cdf through std::erfc (accurate in both tails; the control variate calls
  // this once per path, so Boost's policy-checked cdf would cost more than the simulation).
  auto N = [](double x) { return 0.5 * std::erfc(-x * 0.70710678118654752440); };
  const double sd = std::sqrt(v);
  const double d1 = (m - std::log(K) + v) / sd, d2 = d1 - sd;
  if (s > 0) return F * N(d1) - K * N(d2);
  return K * N(-d2) - F * N(-d1);
}

// E[max(a V - c, 0)] given ln V ~ N(m, v).
double payoff_mean(double m, double v, double a, double c) {
  if (a > 0.0)
    return c > 0.0 ? a * lognormal_option(m, v, c / a, +1) : a * std::exp(m + 0.5 * v) - c;
  if (a < 0.0) return c < 0.0 ? -a * lognormal_option(m, v, c / a, -1) : 0.0;
  return std::max(0.0, -c);
}
}  // namespace

double european_value(const Process& p, double T, double a, double c) {
  const double disc = std::exp(-p.r * T);
  double m = 0, v = 0;
  if (p.kind != ProcessKind::kJumpDiffusion || p.jump_intensity * T <= 0.0) {
    log_moments(p, T, 0, m, v);
    return disc * payoff_mean(m, v, a, c);
  }
  // Merton's series: Poisson weights of the number of jumps, until the remaining mass < 1e-16.
  const double lt = p.jump_intensity * T;
  double sum = 0.0, mass = 0.0, w = std::exp(-lt);
  for (int n = 0; n < 1000 && mass < 1.0 - 1e-16; ++n) {
    if (n > 0) w *= lt / n;
    log_moments(p, T, n, m, v);
    sum += w * payoff_mean(m, v, a, c);
    mass += w;
    if (n > lt && w < 1e-18) break;
  }
  return disc * sum;
}

}  // namespace revest::realopt
