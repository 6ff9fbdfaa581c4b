#pragma once
/// \file dea_design.hpp
/// \brief A small DEA data-generating process with known efficiencies, for tests and the
/// coverage study of the Simar-Wilson bootstrap (bench/dea_coverage.cpp).
///
/// n units, given years; two inputs, one output, two environment variables (z1 active, z2 a
/// placebo). Frontier bundle a_k = exp(N(0, 1)); output y = a1^0.5 a2^0.4 (decreasing returns,
/// so the VRS technology is correct); observed inputs
///   x_k = a_k exp(u + env_effect_k z1 + noise_sd N(0, 1)),  u = sigma_u |N(0, 1)|,
/// with env_effect = (0.3, 0.2) * env_scale; with efficient_share > 0 a further uniform draw
/// makes u = 0 (a fully efficient unit-year) with that probability. The managerial efficiency
/// exp(-u) is the true radial input efficiency when env_scale = noise_sd = 0, and what stage 3
/// targets otherwise.
#include <Eigen/Dense>
#include <cstdint>
#include <vector>

#include "io/geography.hpp"
#include "io/indicators.hpp"
#include "io/panel.hpp"

namespace revest::synth {

struct DeaDesign {
  std::size_t n = 150;
  std::vector<int> years{2021, 2022};
  double sigma_u = 0.3;
  double env_scale = 1.0;
  double noise_sd = 0.03;
  /// Probability that a unit-year is fully efficient (u = 0). Default 0 (no draw is made, so the
  /// data of the other designs do not change).
  double efficient_share = 0.0;
  std::uint64_t seed = 11;
};

struct DeaDesignData {
  io::Geography geo;
  io::Panel panel;  ///< variables x1, x2, y, z1, z2
  io::IndicatorSystem system;
  std::vector<double> eff_true;  ///< exp(-u), county-major like the panel
};

DeaDesignData make_dea_design(const DeaDesign& d);

/// Year t (index into d.years) of a design as matrices: inputs (x1, x2), output y, environment
/// (z1, z2), and the true efficiency exp(-u) of every unit.
struct DeaDesignYear {
  Eigen::MatrixXd x, y, z;
  std::vector<double> eff_true;
};
DeaDesignYear dea_design_year(const DeaDesignData& data, std::size_t t);

}  // namespace revest::synth
