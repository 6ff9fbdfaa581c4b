#pragma once
/// \file sar_distributed.hpp
/// \brief SAR by maximum likelihood for large n across the ranks of a communicator on PETSc
/// (issue 5, section 5).
///
/// W is a PETSc MPIAIJ matrix whose rows are split across the ranks of `comm` (PETSc's default
/// split). The likelihood is concentrated in rho (as in spatial/models.hpp); ln|I - rho W| comes
/// from a distributed sparse LU factorisation of I - rho W by MUMPS through PETSc
/// (MatGetFactor(MATSOLVERMUMPS), with the determinant, ICNTL(33)), the symbolic analysis done
/// once and a numeric factorisation per rho; Brent's method (boost::math::tools::brent_find_minima)
/// runs identically on every rank on global quantities. Standard errors come from the observed
/// information matrix, with tr(B^2) = -d^2/drho^2 ln|I - rho W| by central differences of the
/// log-determinant.
///
/// The communicator is taken as PETSc's own functions take it: this header includes <petscsys.h>
/// (which includes <mpi.h>) for MPI_Comm, and the code talks to the other ranks only through
/// PETSc (matrices, PetscLayout for the row split, MPIU_Allreduce for sums). Starting MPI, rank
/// numbers and printing are the caller's: the driver's `revest sar-large` (driver/main.cpp).
/// Every rank of `comm` must make the same calls.
///
/// Test problems: `make_large_sar_problem` generates n points uniform in the unit square, their
/// row-standardised k-nearest-neighbour graph, X = [1, x1, x2] and y = (I - rho W)^-1 (X b + e)
/// solved with a PETSc KSP (GMRES, tolerance 1e-12). Every random draw is keyed by the unit
/// (Rng(seed, "large_sar/...", i)), so the data do not depend on the number of ranks; the
/// solve and the factorisation do, at rounding level, so estimates agree across rank counts to
/// about 1e-10, not bit for bit (this path writes no archive).
///
/// \test tests/spatial/sar_distributed_test.cpp (np = 1 and np = 3): n = 40,000 recovers the
/// true parameters and agrees with the serial exact sparse path (spatial::fit_model, sparse LU).
#include <petscsys.h>

#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.hpp"

namespace revest::spatial {

/// The rows [row_begin, row_end) of a SAR problem held by this rank.
struct LargeSarProblem {
  std::size_t n = 0;  ///< global number of units
  std::size_t row_begin = 0, row_end = 0;
  std::vector<int> row_ptr, cols;  ///< local CSR of W (global column indices), no diagonal
  std::vector<double> vals;
  Eigen::VectorXd y;  ///< local rows
  Eigen::MatrixXd X;  ///< local rows
  double true_rho = 0;
  Eigen::VectorXd true_beta;
  double true_sigma2 = 0;
  double seconds_graph = 0, seconds_solve = 0;
};

/// Generates the test problem described above, rows split evenly over the ranks of comm.
LargeSarProblem make_large_sar_problem(MPI_Comm comm, std::size_t n, int k, double rho,
                                       std::uint64_t seed);

/// Writes a single-rank problem as DIR/data.csv (y, x1, x2) and DIR/neighbours.csv (from, to;
/// 1-based), for peer tools.
void write_large_sar_csv(const LargeSarProblem& p, const std::string& dir);

struct LargeSarResult {
  /// kOk, or kNumericalFailure when rho is at the boundary of (-0.999, 0.999) (no interior
  /// maximum) or an estimate is not finite (the estimates are then kept as computed).
  Status status;
  double rho = 0, rho_se = 0, sigma2 = 0, loglik = 0;
  Eigen::VectorXd beta, beta_se;
  int logdet_evaluations = 0;
  double seconds_total = 0, seconds_symbolic = 0, seconds_numeric = 0;
  double peak_rss_mb = 0;  ///< largest peak resident set over the ranks
  /// One paragraph: the estimates with their standard errors, the factorisations and the status.
  std::string brief_report() const;
};

/// Fits SAR (y on X with W) by ML across the ranks of comm; every rank returns the same result.
LargeSarResult fit_sar_distributed(MPI_Comm comm, const LargeSarProblem& p);

}  // namespace revest::spatial
