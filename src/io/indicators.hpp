#pragma once
/// \file indicators.hpp
/// \brief The indicator system (config/indicators.toml): every panel variable with its label,
/// unit, direction, admissible domain and the analyses that use it.
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <filesystem>
#include <string>
#include <vector>

namespace revest::io {

/// Which values a variable may take. Checked when a panel is loaded for an analysis that uses it.
enum class Domain { kAny = 0, kNonNegative = 1, kPositive = 2 };
const char* to_string(Domain d);
Domain domain_from_string(const std::string& s);  // "any" | "nonnegative" | "positive"

struct Indicator {
  std::string name;   ///< column name in panel CSV files
  std::string label;  ///< human-readable name
  std::string unit;
  std::string group;   ///< e.g. "digital_economy", "dea_input", "environment"
  int direction = +1;  ///< +1 benefit (more is better), -1 cost
  Domain domain = Domain::kAny;
  std::vector<std::string> uses;  ///< analyses that use it: "index", "dea_input", ...
  std::string description;

  bool used_by(const std::string& use) const;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar& name& label& unit& group& direction& domain& uses& description;
  }
  bool operator==(const Indicator&) const = default;
};

struct IndicatorSystem {
  std::vector<Indicator> indicators;
  /// The file it was read from (named in error messages); empty when built in code.
  std::string source;

  const Indicator* find(const std::string& name) const;
  /// The indicator `name`; throws naming `context` if unknown.
  const Indicator& get(const std::string& name, const std::string& context) const;
  /// Names of the indicators whose `uses` contains `use`, in file order.
  std::vector<std::string> used_by(const std::string& use) const;

  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar& indicators& source;
  }
  bool operator==(const IndicatorSystem&) const = default;
};

/// Reads the indicator system from a TOML file with one [[indicator]] table per variable.
IndicatorSystem load_indicators(const std::filesystem::path& path);

}  // namespace revest::io
