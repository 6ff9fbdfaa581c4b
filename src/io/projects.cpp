#include "io/projects.hpp"

#include <cmath>

#include "core/error.hpp"
#include "io/csv.hpp"

namespace revest::io {

ProjectParams ProjectParams::at_dig_index(double d) const {
  ProjectParams p = *this;
  const double dd = d - dig_index;
  p.dig_index = d;
  p.investment = investment * std::exp(cost_semi_elasticity * dd);
  p.sigma = sigma * std::exp(vol_semi_elasticity * dd);
  p.mu = mu + drift_semi_elasticity * dd;
  p.delta = required_return - p.mu;
  return p;
}

Projects load_projects(const std::filesystem::path& path, const Geography& geo) {
  const CsvTable t = read_csv(path);
  Projects out;
  out.source = path.string();
  const std::size_t n = geo.size(), M = kModes.size();
  out.params.assign(n * M, ProjectParams{});
  std::vector<std::size_t> seen_line(n * M, 0);
  const std::size_t c_code = t.column("adcode"), c_mode = t.column("mode");
  struct Field {
    const char* name;
    double ProjectParams::*member;
  };
  const Field fields[] = {{"v0", &ProjectParams::v0},
                          {"investment", &ProjectParams::investment},
                          {"sigma", &ProjectParams::sigma},
                          {"mu", &ProjectParams::mu},
                          {"required_return", &ProjectParams::required_return},
                          {"delta", &ProjectParams::delta},
                          {"r", &ProjectParams::r},
                          {"horizon", &ProjectParams::horizon},
                          {"dig_index", &ProjectParams::dig_index},
                          {"cost_semi_elasticity", &ProjectParams::cost_semi_elasticity},
                          {"drift_semi_elasticity", &ProjectParams::drift_semi_elasticity},
                          {"vol_semi_elasticity", &ProjectParams::vol_semi_elasticity}};
  std::vector<std::size_t> cols;
  for (const auto& f : fields) cols.push_back(t.column(f.name));
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const std::int64_t code = t.integer(r, c_code);
    const auto county = geo.index_of(code);
    REVEST_REQUIRE(county, t.where(r, c_code) << ": unknown county code " << code);
    const std::string& mode = t.rows[r][c_mode];
    std::size_t m = M;
    for (std::size_t k = 0; k < M; ++k)
      if (mode == kModes[k]) m = k;
    REVEST_REQUIRE(m < M, t.where(r, c_mode) << ": unknown mode '" << mode
                                             << "' (primary, secondary or tertiary)");
    const std::size_t idx = *county * M + m;
    REVEST_REQUIRE(seen_line[idx] == 0, t.where(r, c_mode)
                                            << ": county " << code << " mode " << mode
                                            << " repeats line " << seen_line[idx]);
    seen_line[idx] = t.line[r];
    ProjectParams& p = out.params[idx];
    for (std::size_t f = 0; f < cols.size(); ++f) p.*(fields[f].member) = t.number(r, cols[f]);
    auto positive = [&](double v, std::size_t f) {
      REVEST_REQUIRE(v > 0.0, t.where(r, cols[f]) << ": must be positive (got " << v << ")");
    };
    positive(p.v0, 0);
    positive(p.investment, 1);
    positive(p.sigma, 2);
    positive(p.horizon, 7);
    REVEST_REQUIRE(p.dig_index > 0.0 && p.dig_index < 1.0,
                   t.where(r, cols[8]) << ": must be in (0, 1) (got " << p.dig_index << ")");
    REVEST_REQUIRE(
        std::abs(p.delta - (p.required_return - p.mu)) <= 1e-9 * std::max(1.0, std::abs(p.delta)),
        t.where(r, cols[5]) << ": delta must equal required_return - mu (data/README.md, "
                               "section 8)");
  }
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t m = 0; m < M; ++m)
      REVEST_REQUIRE(seen_line[i * M + m] != 0, path.string()
                                                    << ": county " << geo.counties[i].adcode_ref
                                                    << " has no row for mode " << kModes[m]);
  return out;
}

}  // namespace revest::io
