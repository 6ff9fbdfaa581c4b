// The bundled county geography (data/southwest) for the spatial library tests: as loaded, and as
// the plain spatial::Units the library builds weights from (through the job adapter's
// analyses::spatial_units, the one place that turns the geography into units).
#pragma once

#include <string>

#include "analyses/spatial_inputs.hpp"
#include "io/geography.hpp"
#include "spatial/weights.hpp"

namespace revest::test {

inline const io::Geography& southwest() {
  static const io::Geography g =
      io::load_geography(std::string(REVEST_SOURCE_DIR) + "/data/southwest");
  return g;
}

inline const spatial::Units& southwest_units() {
  static const spatial::Units u = analyses::spatial_units(southwest());
  return u;
}

/// The weights of `spec` on the counties (economic weights: `means`, one per county).
inline spatial::Weights southwest_weights(const std::string& spec,
                                          std::span<const double> means = {}) {
  return spatial::build_weights(spatial::parse_weights_spec(spec, "test"), southwest_units(),
                                means);
}

}  // namespace revest::test
