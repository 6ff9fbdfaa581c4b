#pragma once
/// \file minimize.hpp
/// \brief Smooth minimisation with analytic gradients through PETSc TAO (serial, one process).
///
/// revest writes no optimiser of its own: every maximum-likelihood estimator hands its negative
/// log-likelihood and analytic gradient to minimize(), which runs a TAO limited-memory quasi-
/// Newton method (TAOLMVM without bounds, TAOBQNLS with bounds) on PETSC_COMM_SELF. The header
/// exposes no PETSc or MPI type; tao.cpp, petsc_check.{hpp,cpp} (the one PETSc error check) and
/// src/spatial/logdet_petsc.cpp (a serial MUMPS LU) are, with the distributed SAR of
/// src/spatial/sar_distributed.{hpp,cpp} (which reaches the other ranks only through PETSc), the
/// only files outside src/driver whose includes reach <mpi.h> (PETSc's headers include it); they
/// make no MPI call of their own.
///
/// PETSc is initialised on first use with PETSC_COMM_WORLD = MPI_COMM_SELF, so every rank may
/// optimise on its own at any time without a collective call, and without PETSc's signal
/// handler (the driver owns signals). If PETSc had to start MPI itself (a serial test), it is
/// finalised at exit; otherwise the driver calls finalize() before MPI_Finalize.
///
/// \test tests/optim/minimize_test.cpp: Rosenbrock, a bound-constrained quadratic, non-finite
/// objective values, the finite-difference Hessian of an analytic gradient.
#include <Eigen/Dense>
#include <functional>
#include <string>

namespace revest::optim {

/// f(x) and its gradient (written into grad, already sized like x). May return +inf (or NaN) for a
/// point outside the domain if MinimizeOptions::backtracking is set; the line search then steps
/// back.
using Objective = std::function<double(const Eigen::VectorXd& x, Eigen::VectorXd& grad)>;

struct MinimizeOptions {
  /// Stop when ||grad f|| <= gradient_tolerance (absolute). Default 1e-9.
  double gradient_tolerance = 1e-9;
  /// Stop when ||grad f|| / |f| <= relative_tolerance. Default 0 (off).
  double relative_tolerance = 0.0;
  /// Iteration limit. Default 5000.
  int max_iterations = 5000;
  /// A line search that can no longer decrease f (rounding) counts as convergence when
  /// ||grad f|| <= acceptable_gradient. Default 0 (never).
  double acceptable_gradient = 0.0;
  /// Backtracking (Armijo) line search instead of More-Thuente: use it when f returns +inf outside
  /// its domain. Default false.
  bool backtracking = false;
};

struct MinimizeResult {
  Eigen::VectorXd x;         ///< final point
  double value = 0.0;        ///< f(x)
  double gradient_norm = 0;  ///< ||projected gradient|| at x
  int iterations = 0;
  bool converged = false;  ///< TAO reported convergence (not an iteration limit or failure)
  std::string reason;      ///< TAO's converged reason, e.g. "CONVERGED_GATOL"
};

/// Minimises f from x0. With `lower`/`upper` (both empty = unbounded; else sized like x0, entries
/// may be +-inf) the bounds are enforced. Never throws for a failed minimisation (converged =
/// false, reason says why); throws revest::Error on inconsistent sizes, a non-finite x0 or an
/// exception thrown by f (re-thrown with its message).
MinimizeResult minimize(const Objective& f, const Eigen::VectorXd& x0,
                        const MinimizeOptions& options = {}, const Eigen::VectorXd& lower = {},
                        const Eigen::VectorXd& upper = {});

/// Hessian of f at x by central differences of the analytic gradient (step h_j = step *
/// max(1, |x_j|)), symmetrised. Used for asymptotic standard errors.
Eigen::MatrixXd hessian_from_gradient(const Objective& f, const Eigen::VectorXd& x,
                                      double step = 1e-5);

/// Initialises PETSc as minimize() does (idempotent): PETSC_COMM_WORLD = MPI_COMM_SELF, no
/// signal handler, errors returned as codes. Code that builds PETSc objects on another
/// communicator (the driver's distributed SAR) calls it first.
void initialize_petsc();

/// Finalises PETSc if minimize() initialised it (idempotent). The driver calls it before
/// MPI_Finalize.
void finalize();

}  // namespace revest::optim
