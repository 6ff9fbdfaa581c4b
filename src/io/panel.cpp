#include "io/panel.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <optional>

#include "core/error.hpp"
#include "io/csv.hpp"

namespace revest::io {

namespace {

/// The column of the rows' units: `adcode` (counties), or `id` (a unit list's own codes).
std::size_t unit_column(const CsvTable& t) {
  const std::optional<std::size_t> c =
      t.find_column("adcode") ? t.find_column("adcode") : t.find_column("id");
  REVEST_REQUIRE(c.has_value(),
                 t.path << ":1: missing column 'adcode' (or 'id'): the code of each row's unit");
  return *c;
}

void require_year_range(const PanelRequirements& req) {
  REVEST_REQUIRE(req.last_year >= req.first_year,
                 "years: last year " << req.last_year << " before first year " << req.first_year);
}

}  // namespace

std::size_t Panel::variable_index(const std::string& name) const {
  for (std::size_t v = 0; v < variables.size(); ++v)
    if (variables[v] == name) return v;
  REVEST_FAIL("panel has no variable '" << name << "'");
}

bool Panel::has(const std::string& name) const {
  return std::find(variables.begin(), variables.end(), name) != variables.end();
}

std::vector<std::size_t> Panel::units_in(std::size_t t) const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < num_counties; ++i)
    if (is_observed(i, t)) out.push_back(i);
  return out;
}

void Panel::require_balanced(const Geography& geo, const std::string& who) const {
  for (std::size_t i = 0; i < num_counties; ++i)
    for (std::size_t t = 0; t < years.size(); ++t)
      REVEST_REQUIRE(is_observed(i, t),
                     who << " needs a balanced panel, but unit " << geo.counties[i].adcode_ref
                         << " (" << geo.counties[i].name_ref << ") has no row for year " << years[t]
                         << " ([data] unbalanced = \"allow\" keeps such units; analyses that "
                            "use every unit in every year refuse them: fill the panel, narrow "
                            "the job's years, or set unmatched_units = \"drop\" with "
                            "unbalanced = \"error\" to leave such units out)");
}

const Panel& require_balanced(const Panel& panel, const Geography& geo, const std::string& who) {
  panel.require_balanced(geo, who);
  return panel;
}

void Panel::add(const std::string& name, std::vector<double> data) {
  REVEST_REQUIRE(!has(name), "panel already has variable '" << name << "'");
  REVEST_REQUIRE(data.size() == num_counties * years.size(),
                 "panel variable '" << name << "' has " << data.size() << " values, expected "
                                    << num_counties * years.size());
  variables.push_back(name);
  values.push_back(std::move(data));
}

Panel load_panel(const std::filesystem::path& path, const Geography& geo,
                 const PanelRequirements& req) {
  return load_panel(read_csv(path), geo, req);
}

Panel load_panel(const CsvTable& t, const Geography& geo, const PanelRequirements& req) {
  require_year_range(req);
  const std::size_t c_code = unit_column(t), c_year = t.column("year");
  std::vector<std::size_t> cols;
  for (const auto& v : req.variables) cols.push_back(t.column(v));

  Panel p;
  for (int y = req.first_year; y <= req.last_year; ++y) p.years.push_back(y);
  p.num_counties = geo.size();
  const std::size_t T = p.years.size(), N = geo.size();
  p.variables = req.variables;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  p.values.assign(req.variables.size(), std::vector<double>(N * T, nan));
  std::vector<std::size_t> row_of(N * T, std::numeric_limits<std::size_t>::max());

  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const long long code = t.integer(r, c_code);
    const long long year = t.integer(r, c_year);
    const auto i = geo.index_of(code);
    if (!i && req.skip_unknown_units) continue;
    REVEST_REQUIRE(i, t.where(r, c_code) << ": unknown county adcode " << code
                                         << " (not the code of a unit of the geography: neither a "
                                            "source nor a 2022 code)");
    if (year < req.first_year || year > req.last_year) continue;  // outside the job's years
    const std::size_t k = *i * T + static_cast<std::size_t>(year - req.first_year);
    if (row_of[k] != std::numeric_limits<std::size_t>::max()) {
      const long long first_code = t.integer(row_of[k], c_code);
      REVEST_FAIL(t.where(r, c_code)
                  << ": duplicate (adcode, year) = (" << code << ", " << year
                  << "), first seen at line " << t.line[row_of[k]]
                  << (first_code != code ? " as " + std::to_string(first_code) +
                                               " (old and new codes name the same county)"
                                         : std::string()));
    }
    row_of[k] = r;
    for (std::size_t v = 0; v < cols.size(); ++v) {
      const double x = t.number(r, cols[v]);
      auto d = req.domains.find(req.variables[v]);
      if (d != req.domains.end()) {
        const auto& [dom, who] = d->second;
        if (dom == Domain::kPositive)
          REVEST_REQUIRE(x > 0, t.where(r, cols[v])
                                    << " (county " << code << ", year " << year << "): value " << x
                                    << " must be positive for " << who);
        if (dom == Domain::kNonNegative)
          REVEST_REQUIRE(x >= 0, t.where(r, cols[v])
                                     << " (county " << code << ", year " << year << "): value " << x
                                     << " must be non-negative for " << who);
      }
      p.values[v][k] = x;
    }
  }
  // Balanced panel: every county of the region in every year of the job (unless the job allows
  // missing years: then every county in at least one year).
  for (std::size_t i = 0; i < N; ++i) {
    std::size_t present = 0;
    for (std::size_t tt = 0; tt < T; ++tt)
      present += row_of[i * T + tt] != std::numeric_limits<std::size_t>::max();
    if (present == T) continue;
    if (req.allow_missing_years && present > 0) {
      if (p.observed.empty()) p.observed.assign(N * T, 1);
      for (std::size_t tt = 0; tt < T; ++tt)
        p.observed[i * T + tt] = row_of[i * T + tt] != std::numeric_limits<std::size_t>::max();
      continue;
    }
    const auto& c = geo.counties[i];
    if (present == 0)
      REVEST_FAIL(t.path << ": county " << c.adcode_ref << " (" << c.name_ref << ", "
                         << c.province_en << ") is missing (no row for years " << req.first_year
                         << "-" << req.last_year << ")");
    for (std::size_t tt = 0; tt < T; ++tt)
      REVEST_REQUIRE(row_of[i * T + tt] != std::numeric_limits<std::size_t>::max(),
                     t.path << ": county " << c.adcode_ref << " (" << c.name_ref
                            << ") is missing year " << p.years[tt]);
  }
  return p;
}

PanelCoverage panel_coverage(const CsvTable& t, const Geography& geo,
                             const PanelRequirements& req) {
  const std::size_t c_code = unit_column(t), c_year = t.column("year");
  require_year_range(req);
  const std::size_t T =
      static_cast<std::size_t>(req.last_year) - static_cast<std::size_t>(req.first_year) + 1;
  std::vector<std::vector<bool>> seen(geo.size(), std::vector<bool>(T, false));
  PanelCoverage c;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const long long code = t.integer(r, c_code), year = t.integer(r, c_year);
    const auto i = geo.index_of(code);
    if (!i) {
      ++c.unknown_rows;
      if (std::find(c.unknown.begin(), c.unknown.end(), code) == c.unknown.end())
        c.unknown.push_back(code);
      continue;
    }
    if (year >= req.first_year && year <= req.last_year)
      seen[*i][static_cast<std::size_t>(year - req.first_year)] = true;
  }
  for (const auto& s : seen) {
    c.complete.push_back(std::all_of(s.begin(), s.end(), [](bool b) { return b; }));
    c.any_row.push_back(std::any_of(s.begin(), s.end(), [](bool b) { return b; }));
  }
  return c;
}

void write_panel(const std::filesystem::path& path, const Geography& geo, const Panel& panel) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  REVEST_REQUIRE(out, path.string() << ": cannot open for writing");
  out << "adcode,year";
  for (const auto& v : panel.variables) out << "," << csv_escape(v);
  out << "\n";
  const std::size_t T = panel.years.size();
  for (std::size_t i = 0; i < panel.num_counties; ++i)
    for (std::size_t t = 0; t < T; ++t) {
      if (!panel.is_observed(i, t)) continue;  // a missing unit-year has no row
      out << geo.counties[i].adcode_ref << "," << panel.years[t];
      for (std::size_t v = 0; v < panel.variables.size(); ++v)
        out << "," << format_double(panel.values[v][i * T + t]);
      out << "\n";
    }
  REVEST_REQUIRE(out.good(), path.string() << ": write failed");
}

}  // namespace revest::io
