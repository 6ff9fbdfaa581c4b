#pragma once
/// \file sw2007_design.hpp
/// \brief The Monte Carlo design of Simar and Wilson (2007, section 4) with one input and one
/// output, written in input orientation, for tests and the coverage benchmark of
/// factors/simar_wilson.hpp.
///
/// z_i ~ N(2, 2^2); delta_i = 0.5 + 0.5 z_i + e_i, e_i ~ N(0, 1) left-truncated at
/// 1 - 0.5 - 0.5 z_i (dea::draw_sw2007_delta); outputs y_i ~ U(1, 10); frontier input y^1.25
/// (variable returns); observed input x_i = y_i^1.25 delta_i. The Farrell input measure is
/// 1 / delta_i, so (beta0, beta1, sigma) = (0.5, 0.5, 1) are the truncated regression's truth.
#include <Eigen/Dense>

#include "core/rng.hpp"

namespace revest::synth {

struct Sw2007Design {
  Eigen::MatrixXd x, y, z;  ///< n x 1 each
};

/// n units drawn from `rng` (z, delta, y of unit 0, then unit 1, ...).
Sw2007Design sw2007_design(Eigen::Index n, Rng rng);

}  // namespace revest::synth
