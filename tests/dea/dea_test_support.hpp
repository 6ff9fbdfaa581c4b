#pragma once
// Helpers shared by the DEA tests (tests/dea) and the three-stage job analysis test
// (tests/analyses).
#include <cmath>
#include <vector>

#include "synth/dea_design.hpp"

namespace revest::test {

inline double corr(const std::vector<double>& a, const std::vector<double>& b) {
  const auto n = static_cast<double>(a.size());
  double ma = 0, mb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

inline double mae(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    s += std::abs(a[i] - b[i]) / static_cast<double>(a.size());
  return s;
}

/// The design of issue 16's bandwidth defect: n = 100 units, one year, 60 % of them fully
/// efficient (u = 0), no environment, no noise.
inline synth::DeaDesign mostly_efficient_design() {
  synth::DeaDesign d;
  d.n = 100;
  d.years = {2021};
  d.env_scale = 0;
  d.noise_sd = 0;
  d.efficient_share = 0.6;
  return d;
}

}  // namespace revest::test
