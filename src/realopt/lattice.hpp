#pragma once
/// \file lattice.hpp
/// \brief Bermudan value of a project (lsm.hpp's state machine) on a Cox-Ross-Rubinstein binomial
/// tree, for GBM with a payout yield: an exact reference (up to the tree's O(1/N) error) against
/// which the least squares Monte Carlo rule's suboptimality can be measured.
///
/// Decisions are taken on the LSM dates t_k = k T / K (k = 0..K) with `steps` tree steps between
/// two dates (N = K steps in all); at each date the states are decided in reverse order, so an
/// action's target is valued first and several actions may chain at one date, exactly as in
/// lsm.hpp's backward induction. Memory O(S N), time O(S N^2).
///
/// \test tests/realopt/lattice_test.cpp: the Longstaff-Schwartz (2001) Table 1 Bermudan puts
/// (finite-difference values on the same 50 dates per year), Black-Scholes for a single date,
/// and the staged project's convergence in N.
#include "realopt/lsm.hpp"
#include "realopt/process.hpp"

namespace revest::realopt {

/// q_0 V_0 + O_0(0) of `project` on `process` (GBM only: throws revest::Error otherwise) with
/// horizon T, K decision dates and `steps` tree steps per date interval (K, steps >= 1).
double lattice_value(const Process& process, const Project& project, double horizon, int dates,
                     int steps);

}  // namespace revest::realopt
