#pragma once
/// \file process.hpp
/// \brief Stochastic processes of a project value V under the risk-neutral measure, simulated
/// exactly on a date grid, and the closed-form European values they admit.
///
/// - GBM (McDonald-Siegel 1986; Dixit-Pindyck 1994): dV = (r - delta) V dt + sigma V dW.
/// - Log mean-reverting (Schwartz 1997, model 1): d ln V = kappa (ln L - ln V) dt + sigma dW, with
///   L the risk-neutral long-run level (an Ornstein-Uhlenbeck log value, simulated exactly).
/// - Merton (1976) jump-diffusion: dV/V = (r - delta - lambda k) dt + sigma dW + (J - 1) dN,
///   ln J ~ N(mu_J, sigma_J^2), k = E[J] - 1, N Poisson with intensity lambda (exact: the number of
///   jumps in a step is Poisson, their sum normal given the number).
/// Every step is exact for any step length, so a path needs one step per exercise date.
/// Under the real-world measure the log drift is larger by `risk_premium` (= mu - (r - delta) for
/// GBM), used only for the probability and timing of exercise.
///
/// \test tests/realopt/process_test.cpp: simulated moments of ln V_T against the closed forms;
/// European values against Black-Scholes(-Merton) and Merton's series.
#include <cstdint>
#include <string>

#include "core/rng.hpp"

namespace revest::realopt {

enum class ProcessKind { kGbm, kMeanReverting, kJumpDiffusion };
const char* to_string(ProcessKind k);

struct Process {
  ProcessKind kind = ProcessKind::kGbm;
  double v0 = 100.0;            ///< V at t = 0 (> 0)
  double r = 0.05;              ///< risk-free rate (continuous)
  double delta = 0.0;           ///< payout yield (GBM, jump-diffusion)
  double sigma = 0.2;           ///< diffusion volatility
  double kappa = 0.0;           ///< mean-reversion speed (mean-reverting)
  double long_run = 0.0;        ///< long-run level L of V (mean-reverting)
  double jump_intensity = 0.0;  ///< lambda, jumps per year (jump-diffusion)
  double jump_mean = 0.0;       ///< mu_J, mean of ln J
  double jump_sd = 0.0;         ///< sigma_J, sd of ln J
  double risk_premium = 0.0;    ///< extra log drift under the real-world measure

  /// Throws revest::Error naming `what` when a parameter is out of its domain.
  void validate(const std::string& what) const;
};

/// One exact step of ln V over dt: x -> x + step. `z` is the standard normal of the diffusion;
/// the jumps (if any) draw from `rng`. `real_world` adds the risk premium.
class Stepper {
 public:
  Stepper(const Process& p, double dt, bool real_world);
  /// Next log value from x with diffusion normal z.
  template <class Jumps>
  double next(double x, double z, Jumps&& jumps) const {
    switch (kind_) {
      case ProcessKind::kMeanReverting:
        return a_ + b_ * x + c_ * z;
      case ProcessKind::kJumpDiffusion:
        return x + a_ + c_ * z + jumps();
      default:
        return x + a_ + c_ * z;
    }
  }
  bool has_jumps() const { return kind_ == ProcessKind::kJumpDiffusion && lambda_dt_ > 0.0; }
  /// Every kind is the affine step x' = a + b x + c z (+ the jumps): the coefficients.
  double a() const { return a_; }
  double b() const { return b_; }
  double c() const { return c_; }
  double lambda_dt() const { return lambda_dt_; }

 private:
  ProcessKind kind_;
  double a_ = 0, b_ = 1, c_ = 0, lambda_dt_ = 0;
};

/// Discounted European value E[e^{-rT} max(a V_T - c, 0)] under the risk-neutral measure (closed
/// form: ln V_T is normal for GBM and the mean-reverting process, a Poisson mixture of normals for
/// the jump-diffusion, Merton 1976). a may be negative (a put on V).
double european_value(const Process& p, double T, double a, double c);

/// Mean and variance of ln V_T given n jumps (n = 0 without jumps).
void log_moments(const Process& p, double T, int n, double& mean, double& var);

}  // namespace revest::realopt
