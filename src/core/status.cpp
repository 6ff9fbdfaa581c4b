#include "core/status.hpp"

namespace revest {

const char* to_string(StatusCode c) {
  switch (c) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kBoundary:
      return "boundary";
    case StatusCode::kNoConvergence:
      return "no_convergence";
    case StatusCode::kNumericalFailure:
      return "numerical_failure";
    case StatusCode::kInfeasible:
      return "infeasible";
    case StatusCode::kUnbounded:
      return "unbounded";
  }
  return "?";
}

std::string Status::to_string() const {
  if (code == StatusCode::kOk && message.empty()) return "ok";
  return std::string(revest::to_string(code)) + (message.empty() ? "" : ": " + message);
}

}  // namespace revest
