#pragma once
/// \file projects.hpp
/// \brief Real-option project parameters per county and industry mode (projects.csv).
///
/// Columns (data/README.md, section 8): adcode, mode (primary | secondary | tertiary), v0,
/// investment, sigma, mu, required_return, delta, r, horizon, dig_index, cost_semi_elasticity,
/// drift_semi_elasticity, vol_semi_elasticity. Every county of the geography must have every mode
/// exactly once. Bad input is an error naming the file, line and column.
#include <array>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "io/geography.hpp"

namespace revest::io {

inline constexpr std::array<const char*, 3> kModes = {"primary", "secondary", "tertiary"};

struct ProjectParams {
  double v0 = 0, investment = 0, sigma = 0, mu = 0, required_return = 0, delta = 0, r = 0,
         horizon = 0, dig_index = 0, cost_semi_elasticity = 0, drift_semi_elasticity = 0,
         vol_semi_elasticity = 0;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar& v0& investment& sigma& mu& required_return& delta& r& horizon& dig_index&
        cost_semi_elasticity& drift_semi_elasticity& vol_semi_elasticity;
  }
  bool operator==(const ProjectParams&) const = default;
  /// The parameters under a counterfactual digital index d (data/README.md, section 8):
  /// I' = I exp(eta_I (d - d0)), sigma' = sigma exp(eta_sigma (d - d0)), mu' = mu + eta_mu (d - d0),
  /// delta' = required_return - mu'.
  ProjectParams at_dig_index(double d) const;
};

struct Projects {
  /// params[county * 3 + mode], counties in geography order, modes in kModes order.
  std::vector<ProjectParams> params;
  std::string source;  ///< file it was read from
  std::size_t num_counties() const { return params.size() / kModes.size(); }
  const ProjectParams& at(std::size_t county, std::size_t mode) const {
    return params[county * kModes.size() + mode];
  }
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar& params& source;
  }
  bool operator==(const Projects&) const = default;
};

Projects load_projects(const std::filesystem::path& path, const Geography& geo);

}  // namespace revest::io
