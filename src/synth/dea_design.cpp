#include "synth/dea_design.hpp"

#include <boost/random/normal_distribution.hpp>
#include <cmath>

#include "core/rng.hpp"

namespace revest::synth {
namespace {
io::Indicator indicator(const std::string& name, const std::string& use, io::Domain d) {
  io::Indicator ind;
  ind.name = ind.label = name;
  ind.domain = d;
  ind.uses = {use};
  return ind;
}
}  // namespace

DeaDesignData make_dea_design(const DeaDesign& d) {
  DeaDesignData f;
  for (std::size_t i = 0; i < d.n; ++i) {
    io::County c;
    c.adcode = c.adcode_ref = 520100 + static_cast<std::int64_t>(i);
    c.name = c.name_ref = "County " + std::to_string(i);
    c.province = "贵州省";
    c.province_en = "Guizhou";
    f.geo.counties.push_back(c);
  }
  f.geo.build_index();
  f.system.indicators = {indicator("x1", "dea_input", io::Domain::kPositive),
                         indicator("x2", "dea_input", io::Domain::kPositive),
                         indicator("y", "dea_output", io::Domain::kPositive),
                         indicator("z1", "environment", io::Domain::kAny),
                         indicator("z2", "environment", io::Domain::kAny)};
  const std::size_t T = d.years.size();
  f.panel.years = d.years;
  f.panel.num_counties = d.n;
  f.panel.variables = {"x1", "x2", "y", "z1", "z2"};
  f.panel.values.assign(5, std::vector<double>(d.n * T));
  f.eff_true.resize(d.n * T);
  Rng rng(d.seed, "synth/dea_design", 0);
  boost::random::normal_distribution<double> nd;
  for (std::size_t i = 0; i < d.n; ++i)
    for (std::size_t t = 0; t < T; ++t) {
      const std::size_t r = i * T + t;
      const double a1 = std::exp(nd(rng)), a2 = std::exp(nd(rng));
      double u = d.sigma_u * std::abs(nd(rng));
      const double z1 = rng.uniform01(), z2 = rng.uniform01();
      if (d.efficient_share > 0 && rng.uniform01() < d.efficient_share) u = 0.0;
      f.panel.values[0][r] = a1 * std::exp(u + 0.3 * d.env_scale * z1 + d.noise_sd * nd(rng));
      f.panel.values[1][r] = a2 * std::exp(u + 0.2 * d.env_scale * z1 + d.noise_sd * nd(rng));
      f.panel.values[2][r] = std::pow(a1, 0.5) * std::pow(a2, 0.4);
      f.panel.values[3][r] = z1;
      f.panel.values[4][r] = z2;
      f.eff_true[r] = std::exp(-u);
    }
  return f;
}

DeaDesignYear dea_design_year(const DeaDesignData& data, std::size_t t) {
  const std::size_t n = data.panel.num_counties, T = data.panel.num_years();
  DeaDesignYear Y;
  Y.x.resize(static_cast<Eigen::Index>(n), 2);
  Y.y.resize(static_cast<Eigen::Index>(n), 1);
  Y.z.resize(static_cast<Eigen::Index>(n), 2);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t r = i * T + t;
    const auto ii = static_cast<Eigen::Index>(i);
    Y.x(ii, 0) = data.panel.values[0][r];
    Y.x(ii, 1) = data.panel.values[1][r];
    Y.y(ii, 0) = data.panel.values[2][r];
    Y.z(ii, 0) = data.panel.values[3][r];
    Y.z(ii, 1) = data.panel.values[4][r];
    Y.eff_true.push_back(data.eff_true[r]);
  }
  return Y;
}

}  // namespace revest::synth
