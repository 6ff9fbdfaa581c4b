#pragma once
/// \file malmquist.hpp
/// \brief The Malmquist productivity index between two periods and its decomposition (Fare,
/// Grosskopf, Norris & Zhang 1994), from DEA distance functions.
///
/// For each unit present in periods 0 and 1, with e_ab its DEA efficiency (input: theta; output:
/// 1 / phi) of its period-b data against the period-a frontier (CRS; a cross-period score may
/// exceed 1):
///   tfpch  = sqrt( e_01 / e_00 * e_11 / e_10 )       total factor productivity change
///   effch  = e_11 / e_00                              efficiency change (catching up)
///   techch = sqrt( e_01 / e_11 * e_00 / e_10 )       technical change (frontier shift)
/// so that tfpch = effch x techch; and with v_aa the VRS efficiencies of the own periods,
///   pech = v_11 / v_00 (pure efficiency change), sech = effch / pech (scale efficiency change).
/// Values above 1 are improvements (DEAP's and R Benchmarking's convention in Farrell terms).
/// Under CRS the input and output orientations give the same tfpch, effch and techch; pech and
/// sech depend on the orientation.
///
/// \test tests/dea/malmquist_test.cpp: the closed forms of one input and one output (tfpch = the
/// ratio of the unit's productivities, techch = the ratio of the frontiers' productivities), the
/// identities tfpch = effch techch = pech sech techch, and agreement with the cross-period LPs of
/// solve_dea.
#include <Eigen/Dense>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "dea/dea.hpp"

namespace revest::dea {

struct MalmquistOptions {
  /// Orientation of the distance functions (pech and sech depend on it). Default input.
  Orientation orientation = Orientation::kInput;
  /// A score within this of 1 is exactly 1 (DeaOptions). Default 1e-7.
  double efficient_tolerance = 1e-7;
  /// Throws revest::Error naming the field that is out of range.
  void validate() const;
};

struct MalmquistResult {
  /// kOk when every unit's LPs were solved; else the worst LP outcome (dea.hpp), with the units
  /// whose LPs failed (NaN indices) counted.
  Status status;
  /// CRS efficiencies e_ab (period-a frontier, period-b data) and VRS own-period v_00, v_11.
  std::vector<double> e00, e01, e10, e11, v00, v11;
  std::vector<double> tfpch, effch, techch, pech, sech;
  MalmquistOptions options;
  /// One paragraph: units, geometric means of the indices.
  std::string brief_report() const;
};

/// The index for the units (rows) of (x0, y0) in period 0 and (x1, y1) in period 1 (the same
/// units, in the same order); every period's frontier is that of its own rows. `labels` name the
/// units in errors. Throws revest::Error on bad data (as solve_dea) or mismatched sizes.
MalmquistResult malmquist(const Eigen::MatrixXd& x0, const Eigen::MatrixXd& y0,
                          const Eigen::MatrixXd& x1, const Eigen::MatrixXd& y1,
                          const MalmquistOptions& options = {},
                          const std::vector<std::string>& labels = {});

}  // namespace revest::dea
