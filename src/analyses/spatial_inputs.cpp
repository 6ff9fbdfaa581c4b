#include "analyses/spatial_inputs.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "analyses/table_builder.hpp"
#include "core/error.hpp"
#include "io/csv.hpp"

namespace revest::analyses {

spatial::Units spatial_units(const io::Geography& geo) {
  spatial::Units u;
  for (const io::County& c : geo.counties) {
    u.names.push_back("county " + std::to_string(c.adcode) + " (" + c.name + ")");
    u.ids.push_back(std::to_string(c.adcode_ref));
    u.aliases.push_back(std::to_string(c.adcode));
    u.lon.push_back(c.lon);
    u.lat.push_back(c.lat);
    u.prefecture.push_back(c.prefecture);
    u.province.push_back(c.province);
  }
  u.has_queen = geo.has_queen;
  u.has_rook = geo.has_rook;
  for (const io::Edge& e : geo.queen) u.queen.push_back({e.i, e.j, e.weight});
  for (const io::Edge& e : geo.rook) u.rook.push_back({e.i, e.j, e.weight});
  return u;
}

const char* to_string(CrossSection c) {
  switch (c) {
    case CrossSection::kEachYear:
      return "each_year";
    case CrossSection::kLastYear:
      return "last_year";
    case CrossSection::kMean:
      return "mean";
    case CrossSection::kPanel:
      return "panel";
  }
  return "?";
}

CrossSection cross_section_from_string(const std::string& s) {
  for (auto c : {CrossSection::kEachYear, CrossSection::kLastYear, CrossSection::kMean,
                 CrossSection::kPanel})
    if (s == to_string(c)) return c;
  REVEST_FAIL("unknown cross_section '" << s << "' (each_year, last_year, mean, panel)");
}

std::vector<spatial::WeightsSpec> weights_option(const io::OptionView& v) {
  std::vector<spatial::WeightsSpec> specs;
  const auto texts = v.get_strings("weights");
  REVEST_REQUIRE(!texts.empty(), v.where("weights") << ": give at least one weights spec");
  specs.reserve(texts.size());
  for (const auto& w : texts) specs.push_back(spatial::parse_weights_spec(w, v.where("weights")));
  return specs;
}

std::vector<std::string> with_weights_variables(std::vector<std::string> variables,
                                                const std::vector<spatial::WeightsSpec>& weights) {
  for (const spatial::WeightsSpec& w : weights)
    if (w.type == spatial::WeightsType::kEconomic) variables.push_back(w.variable);
  std::vector<std::string> out;
  for (auto& v : variables)
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(std::move(v));
  return out;
}

CrossSections make_cross_sections(const io::Panel& panel, CrossSection kind) {
  CrossSections c;
  REVEST_REQUIRE(panel.num_years() > 0, "spatial analysis: the panel has no years");
  if (kind == CrossSection::kEachYear) {
    for (std::size_t t = 0; t < panel.num_years(); ++t) {
      c.labels.push_back(std::to_string(panel.years[t]));
      c.year_index.push_back(static_cast<int>(t));
    }
  } else if (kind == CrossSection::kLastYear) {
    c.labels.push_back(std::to_string(panel.years.back()));
    c.year_index.push_back(static_cast<int>(panel.num_years() - 1));
  } else if (kind == CrossSection::kPanel) {
    c.labels.push_back("panel " + std::to_string(panel.years.front()) + "-" +
                       std::to_string(panel.years.back()));
    c.year_index.push_back(CrossSections::kPanelIndex);
  } else {
    c.labels.push_back("mean " + std::to_string(panel.years.front()) + "-" +
                       std::to_string(panel.years.back()));
    c.year_index.push_back(CrossSections::kMeanIndex);
  }
  return c;
}

std::vector<double> cross_section_values(const io::Panel& panel, const std::string& variable,
                                         int year_index, const io::Geography& geo) {
  spatial::Term t;
  t.label = t.expression = variable;
  t.variables = {variable};
  return term_columns(panel, t, year_index, geo).columns.front();
}

namespace {

bool is_unit_attribute(const std::string& g) { return g == "province" || g == "prefecture"; }

/// The years (indices) a cross-section covers, in row order.
std::vector<std::size_t> years_of(const io::Panel& panel, int year_index) {
  std::vector<std::size_t> ts;
  if (year_index >= 0) {
    ts.push_back(static_cast<std::size_t>(year_index));
  } else {
    for (std::size_t t = 0; t < panel.num_years(); ++t) ts.push_back(t);
  }
  return ts;
}

}  // namespace

std::vector<std::string> formula_variables(const spatial::Formula& f) {
  std::vector<std::string> vars;
  auto add = [&](const spatial::Term& t) {
    for (const auto& v : t.variables)
      if (std::find(vars.begin(), vars.end(), v) == vars.end()) vars.push_back(v);
    if (t.is_factor() && !is_unit_attribute(t.factor) &&
        std::find(vars.begin(), vars.end(), t.factor) == vars.end())
      vars.push_back(t.factor);
  };
  add(f.y);
  for (const auto& t : f.x) add(t);
  return vars;
}

DesignColumns term_columns(const io::Panel& panel, const spatial::Term& term, int year_index,
                           const io::Geography& geo) {
  const std::size_t N = panel.num_counties;
  const std::vector<std::size_t> ts = years_of(panel, year_index);
  // Every (county, year) of the cross-section, row t N + i over the years ts.
  const std::size_t rows = N * ts.size();
  auto unit_year = [&](std::size_t r) {
    const std::size_t i = r % N, t = ts[r / N];
    return "county " + std::to_string(geo.counties[i].adcode) + " (" + geo.counties[i].name +
           "), year " + std::to_string(panel.years[t]);
  };
  // kMeanIndex: the county means, summed year by year and then divided.
  auto county_means = [&](std::vector<double>& c) {
    if (year_index != CrossSections::kMeanIndex) return;
    std::vector<double> m(N, 0.0);
    for (std::size_t r = 0; r < rows; ++r) m[r % N] += c[r];
    for (double& x : m) x /= static_cast<double>(ts.size());
    c = std::move(m);
  };
  DesignColumns out;
  if (term.is_factor()) {
    std::vector<std::string> levels(rows);
    const bool attribute = is_unit_attribute(term.factor);
    REVEST_REQUIRE(attribute || panel.has(term.factor),
                   "formula term '" << term.label << "': '" << term.factor
                                    << "' is neither a unit attribute (province, prefecture) nor "
                                       "a panel variable");
    const std::size_t v = attribute ? 0 : panel.variable_index(term.factor);
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t i = r % N, t = ts[r / N];
      if (attribute) {
        levels[r] =
            term.factor == "province" ? geo.counties[i].province_en : geo.counties[i].prefecture;
      } else {
        levels[r] = io::format_double(panel.at(v, i, t));
      }
    }
    spatial::FactorColumns fc = spatial::factor_columns(term, levels);
    for (auto& c : fc.columns) county_means(c);
    out.labels = std::move(fc.labels);
    out.columns = std::move(fc.columns);
    return out;
  }
  // The variables of the rows (lagged), then the expression row by row.
  const auto lag = static_cast<std::size_t>(term.lag);
  REVEST_REQUIRE(ts.front() >= lag, "formula term '"
                                        << term.label << "': year " << panel.years[ts.front()]
                                        << " needs year " << panel.years[ts.front()] - term.lag
                                        << ", before the job's first year " << panel.years.front()
                                        << " (start the job's years later than the cross-sections, "
                                           "or use cross_section = \"last_year\")");
  std::vector<std::vector<double>> vars(term.variables.size(), std::vector<double>(rows));
  for (std::size_t k = 0; k < term.variables.size(); ++k) {
    REVEST_REQUIRE(panel.has(term.variables[k]),
                   "spatial analysis: variable '" << term.variables[k] << "' is not in the panel");
    const std::size_t v = panel.variable_index(term.variables[k]);
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t i = r % N, t = ts[r / N];
      vars[k][r] = panel.at(v, i, t - lag);
    }
  }
  std::vector<std::span<const double>> cols(vars.begin(), vars.end());
  std::vector<double> values = spatial::evaluate_term(term, cols, unit_year);
  county_means(values);
  out.labels = {term.label};
  out.columns = {std::move(values)};
  return out;
}

std::vector<std::string> weights_files_of(const std::vector<spatial::WeightsSpec>& specs) {
  std::vector<std::string> out;
  for (const spatial::WeightsSpec& s : specs)
    if (s.from_file() && std::find(out.begin(), out.end(), s.file) == out.end())
      out.push_back(s.file);
  return out;
}

WeightsSet::WeightsSet(const std::vector<spatial::WeightsSpec>& specs, const io::Geography& geo,
                       const io::Panel& panel, std::optional<spatial::LogDetOptions> logdet,
                       const WeightsFileTexts& files) {
  const spatial::Units units = spatial_units(geo);
  for (const spatial::WeightsSpec& s : specs) {
    std::vector<double> means;
    if (s.type == spatial::WeightsType::kEconomic)
      means = cross_section_values(panel, s.variable, CrossSections::kMeanIndex, geo);
    const auto file = s.from_file() ? files.find(s.file) : files.end();
    REVEST_REQUIRE(!s.from_file() || file != files.end(),
                   "weights '" << s.label() << "': the file " << s.file << " was not read");
    w.push_back(std::make_unique<spatial::Weights>(spatial::build_weights(
        s, units, means, file != files.end() ? file->second : std::string())));
    if (logdet) ld.push_back(std::make_unique<spatial::LogDet>(*w.back(), *logdet));
  }
}

Table WeightsSet::summary_table() const {
  const bool with_logdet = !ld.empty();
  TableBuilder c;
  for (std::size_t k = 0; k < w.size(); ++k) {
    const spatial::WeightsSummary& s = w[k]->summary;
    c.s("weights", w[k]->label, "weights spec");
    c.i("n", static_cast<std::int64_t>(s.n), "units");
    c.i("links", static_cast<std::int64_t>(s.links), "non-zero off-diagonal entries");
    c.d("mean_degree", s.mean_degree, "mean number of neighbours per unit");
    c.i("min_degree", s.min_degree, "fewest neighbours of a unit");
    c.i("max_degree", s.max_degree, "most neighbours of a unit");
    std::ostringstream hist;
    for (std::size_t d = 0; d < s.degree_counts.size(); ++d)
      if (s.degree_counts[d])
        hist << (hist.tellp() > 0 ? " " : "") << d << ':' << s.degree_counts[d];
    c.s("degree_distribution", hist.str(), "degree:count pairs");
    c.i("symmetric", s.symmetric_values ? 1 : 0,
        "1 if W (before row standardisation) is symmetric");
    c.i("symmetric_pattern", s.symmetric_pattern ? 1 : 0,
        "1 if j is a neighbour of i whenever i is one of j");
    c.i("components", static_cast<std::int64_t>(s.components), "connected components");
    c.i("islands_linked", static_cast<std::int64_t>(s.islands_linked.size()),
        "units without neighbours linked to their nearest unit (islands=nearest)");
    c.d("percent_nonzero", s.percent_nonzero, "non-zero entries of W, in percent of n^2", "%");
    c.i("row_standardised", w[k]->row_standardised ? 1 : 0,
        "1 if W is row-standardised (each row sums to 1)");
    if (!with_logdet) continue;
    c.s("logdet", spatial::to_string(ld[k]->method()), "log-determinant method");
    c.d("rho_min", ld[k]->interval().first, "lower end of the admissible rho interval", "1");
    c.d("rho_max", ld[k]->interval().second, "upper end of the admissible rho interval", "1");
  }
  return c.table("weights", "summary of every weights matrix of the analysis");
}

Table WeightsSet::matrices_table() const {
  std::vector<std::int64_t> mk, ri, cj;
  std::vector<double> v;
  for (std::size_t k = 0; k < w.size(); ++k) {
    const spatial::SpMat& W = w[k]->W;
    for (int i = 0; i < W.outerSize(); ++i)
      for (spatial::SpMat::InnerIterator it(W, i); it; ++it) {
        mk.push_back(static_cast<std::int64_t>(k));
        ri.push_back(i);
        cj.push_back(it.col());
        v.push_back(it.value());
      }
  }
  return Table{"weights_matrices",
               "every weights matrix of the analysis, sparse: one row per non-zero entry w_ij "
               "(row-major), as the estimators used it",
               {{"matrix", mk, "the matrix: row of the weights table (0-based)"},
                {"i", ri, "row unit: position in /data/counties (0-based)"},
                {"j", cj, "column unit: position in /data/counties (0-based)"},
                {"w", v, "w_ij (after standardisation)", "1"}}};
}

}  // namespace revest::analyses
