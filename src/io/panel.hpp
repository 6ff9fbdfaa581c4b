#pragma once
/// \file panel.hpp
/// \brief A county x year panel of numeric variables (balanced, or with unit-years missing when the
/// job allows it), and its strict CSV loader.
///
/// Panel CSV files are keyed by `adcode` (either the source or the 2022 adcode; for a unit list,
/// its ids, in a column `adcode` or `id`) and `year`, with one column per variable. Loading validates everything before any analysis runs and reports the
/// first problem with file, line and column: unknown county, duplicate (adcode, year), a county or
/// year missing, a non-numeric or NaN cell, a value outside the variable's domain.
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/csv.hpp"
#include "io/geography.hpp"
#include "io/indicators.hpp"

namespace revest::io {

class Panel {
 public:
  std::vector<int> years;              ///< consecutive, ascending
  std::size_t num_counties = 0;        ///< = geography size; county order = geography order
  std::vector<std::string> variables;  ///< variable names
  /// values[v][i * years.size() + t]: variable v, county i, year index t (NaN when missing).
  std::vector<std::vector<double>> values;
  /// observed[i * years.size() + t]: whether unit i has a row for year index t. Empty for a
  /// balanced panel (every unit in every year), the only kind unless the job allows unbalanced
  /// panels ([data] unbalanced = "allow").
  std::vector<char> observed;

  bool balanced() const { return observed.empty(); }
  bool is_observed(std::size_t county, std::size_t t) const {
    return observed.empty() || observed[county * years.size() + t] != 0;
  }
  /// The units observed in year index t, ascending.
  std::vector<std::size_t> units_in(std::size_t t) const;
  /// Throws revest::Error "WHO needs a balanced panel: ..." naming the first missing unit-year
  /// (unit code and name from `geo`), unless the panel is balanced.
  void require_balanced(const Geography& geo, const std::string& who) const;

  std::size_t num_years() const { return years.size(); }
  std::size_t variable_index(const std::string& name) const;  ///< throws if absent
  bool has(const std::string& name) const;
  const std::vector<double>& var(const std::string& name) const {
    return values[variable_index(name)];
  }
  double at(std::size_t v, std::size_t county, std::size_t t) const {
    return values[v][county * years.size() + t];
  }
  void add(const std::string& name, std::vector<double> data);

  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar& years& num_counties& variables& values& observed;
  }
  bool operator==(const Panel&) const = default;
};

/// `panel`, after panel.require_balanced(geo, who): for a constructor's initialiser list.
const Panel& require_balanced(const Panel& panel, const Geography& geo, const std::string& who);

/// What a loader must check. `domains` maps a variable to (domain, the analysis that needs it),
/// e.g. {"sown_area", {kPositive, "DEA input"}}.
struct PanelRequirements {
  int first_year = 2011;
  int last_year = 2022;
  std::vector<std::string> variables;  ///< columns that must exist (others are ignored)
  std::map<std::string, std::pair<Domain, std::string>> domains;
  /// Skip the rows of units that are not in the geography (instead of an error). Default false.
  bool skip_unknown_units = false;
  /// Accept a unit with rows for some years only (Panel::observed); a unit without any row is
  /// still an error. Default false.
  bool allow_missing_years = false;
};

/// What a panel file covers: for every unit of `geo`, whether it has a row for every year of
/// `req`, and the rows whose unit is not in `geo` (unmatched_units = "drop").
struct PanelCoverage {
  std::vector<bool> complete;      ///< per unit of geo
  std::vector<bool> any_row;       ///< per unit of geo: a row for at least one year
  std::size_t unknown_rows = 0;    ///< rows of units not in geo (any year)
  std::vector<long long> unknown;  ///< their codes, each once, in file order
};
PanelCoverage panel_coverage(const CsvTable& table, const Geography& geo,
                             const PanelRequirements& req);

/// Loads and validates a panel CSV for all counties of `geo`.
Panel load_panel(const std::filesystem::path& path, const Geography& geo,
                 const PanelRequirements& req);
/// The same from a CSV file already read (read_csv): what a caller that also needs the file's
/// coverage (panel_coverage) uses, so the file is read once.
Panel load_panel(const CsvTable& table, const Geography& geo, const PanelRequirements& req);

/// Writes a panel as CSV (adcode = 2022 code, year, variables...), values in shortest round-trip
/// form so reading it back gives the same doubles.
void write_panel(const std::filesystem::path& path, const Geography& geo, const Panel& panel);

}  // namespace revest::io
