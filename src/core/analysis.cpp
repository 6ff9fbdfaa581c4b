#include "core/analysis.hpp"

#include "core/error.hpp"

namespace revest {

const char* to_string(TaskStatus s) {
  switch (s) {
    case TaskStatus::kNotRun:
      return "not_run";
    case TaskStatus::kOk:
      return "ok";
    case TaskStatus::kNoConvergence:
      return "no_convergence";
    case TaskStatus::kNumericalFailure:
      return "numerical_failure";
    case TaskStatus::kInfeasible:
      return "infeasible";
  }
  return "unknown";
}

std::size_t Column::size() const {
  return std::visit([](const auto& v) { return v.size(); }, data);
}

void Table::check() const {
  REVEST_REQUIRE(!columns.empty(), "internal error: table '" << name << "' has no columns");
  const std::size_t n = columns.front().size();
  for (const auto& c : columns)
    REVEST_REQUIRE(c.size() == n, "internal error: table '" << name << "' column '" << c.name
                                                            << "' has " << c.size()
                                                            << " rows, expected " << n);
}

}  // namespace revest
