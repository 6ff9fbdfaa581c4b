#include "synth/sw2007_design.hpp"

#include <boost/random/normal_distribution.hpp>
#include <cmath>

#include "dea/three_stage.hpp"

namespace revest::synth {

Sw2007Design sw2007_design(Eigen::Index n, Rng rng) {
  boost::random::normal_distribution<double> nz;
  Sw2007Design d;
  d.x.resize(n, 1);
  d.y.resize(n, 1);
  d.z.resize(n, 1);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double z = 2 + 2 * nz(rng);
    const double delta = dea::draw_sw2007_delta(0.5 + 0.5 * z, 1.0, rng);
    const double y = 1 + 9 * rng.uniform01();
    d.z(i, 0) = z;
    d.y(i, 0) = y;
    d.x(i, 0) = std::pow(y, 1.25) * delta;
  }
  return d;
}

}  // namespace revest::synth
