#pragma once
/// \file status.hpp
/// \brief The one status every estimator's Result carries: a code and a message.
///
/// Bad input is not a status: it throws revest::Error (core/error.hpp) before anything is
/// estimated. A Status says how an estimation that ran ended: fine, at a boundary of the
/// parameter space (the estimates are kept and the message says which), or without a usable
/// answer (no convergence, a numerical failure, an infeasible or unbounded problem). A family may
/// add detail of its own beside it (e.g. which boundary an SFA fit reached), never instead of it.
#include <cstdint>
#include <string>

namespace revest {

enum class StatusCode : std::int32_t {
  kOk = 0,                ///< converged / computed
  kBoundary = 1,          ///< an optimum on the boundary of the parameter space (estimates kept)
  kNoConvergence = 2,     ///< an iterative method stopped without converging (last point kept)
  kNumericalFailure = 3,  ///< singular matrix, NaN, degenerate data
  kInfeasible = 4,        ///< an optimisation problem has no feasible point
  kUnbounded = 5,         ///< an optimisation problem has no finite optimum
};
/// "ok", "boundary", "no_convergence", "numerical_failure", "infeasible", "unbounded".
const char* to_string(StatusCode c);

struct Status {
  StatusCode code = StatusCode::kOk;
  std::string message;  ///< empty when kOk; otherwise one line saying what happened

  /// The estimates can be used: kOk, or kBoundary (kept, with the message saying which boundary).
  bool usable() const { return code == StatusCode::kOk || code == StatusCode::kBoundary; }
  bool ok() const { return code == StatusCode::kOk; }
  static Status Ok() { return {}; }
  static Status Make(StatusCode code, std::string message) { return {code, std::move(message)}; }
  /// "ok" or "<code>: <message>".
  std::string to_string() const;
  bool operator==(const Status&) const = default;
};

}  // namespace revest
