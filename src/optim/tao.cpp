#include <petsctao.h>

#include <cmath>
#include <cstdlib>
#include <exception>
#include <mutex>

#include "core/error.hpp"
#include "optim/minimize.hpp"
#include "optim/petsc_check.hpp"

namespace revest::optim {
namespace {

std::mutex g_init_mutex;
bool g_we_initialised = false;
bool g_we_started_mpi = false;

void ensure_initialised() {
  std::lock_guard<std::mutex> lock(g_init_mutex);
  PetscBool done = PETSC_FALSE;
  PetscInitialized(&done);
  if (done) return;
  int mpi_up = 0;
  MPI_Initialized(&mpi_up);
  // PETSc accepts a PETSC_COMM_WORLD only after MPI_Init; a serial caller (a test) gets MPI here.
  if (!mpi_up) {
    int provided = 0;
    REVEST_REQUIRE(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) == MPI_SUCCESS,
                   "optim: MPI_Init failed");
    g_we_started_mpi = true;
  }
  // Every rank optimises independently: no collective PETSc call may ever be needed.
  PETSC_COMM_WORLD = MPI_COMM_SELF;
  petsc_check(PetscOptionsSetValue(nullptr, "-no_signal_handler", "true"), "PetscOptionsSetValue");
  petsc_check(PetscInitializeNoArguments(), "PetscInitializeNoArguments");
  // Errors come back as codes (turned into revest::Error), without PETSc printing tracebacks.
  petsc_check(PetscPushErrorHandler(PetscReturnErrorHandler, nullptr), "PetscPushErrorHandler");
  g_we_initialised = true;
  if (!mpi_up) std::atexit([] { finalize(); });
}

struct Context {
  const Objective* f;
  Eigen::VectorXd x, g;
  std::exception_ptr error;
};

PetscErrorCode evaluate(Tao, Vec X, PetscReal* value, Vec G, void* ctx_) {
  auto* ctx = static_cast<Context*>(ctx_);
  const PetscScalar* xa = nullptr;
  PetscErrorCode ierr = VecGetArrayRead(X, &xa);
  if (ierr) return ierr;
  for (Eigen::Index j = 0; j < ctx->x.size(); ++j) ctx->x[j] = xa[j];
  VecRestoreArrayRead(X, &xa);
  ctx->g.setZero();
  double v = 0.0;
  try {
    v = (*ctx->f)(ctx->x, ctx->g);
  } catch (...) {
    ctx->error = std::current_exception();
    return PETSC_ERR_USER;
  }
  if (!std::isfinite(v) || !ctx->g.allFinite()) {
    v = PETSC_INFINITY;  // outside the domain: the line search backtracks
    ctx->g.setZero();
  }
  *value = v;
  PetscScalar* ga = nullptr;
  ierr = VecGetArray(G, &ga);
  if (ierr) return ierr;
  for (Eigen::Index j = 0; j < ctx->g.size(); ++j) ga[j] = ctx->g[j];
  return VecRestoreArray(G, &ga);
}

Vec make_vec(const Eigen::VectorXd& v) {
  Vec out = nullptr;
  petsc_check(VecCreateSeq(PETSC_COMM_SELF, static_cast<PetscInt>(v.size()), &out), "VecCreateSeq");
  PetscScalar* a = nullptr;
  petsc_check(VecGetArray(out, &a), "VecGetArray");
  for (Eigen::Index j = 0; j < v.size(); ++j) a[j] = v[j];
  petsc_check(VecRestoreArray(out, &a), "VecRestoreArray");
  return out;
}

}  // namespace

MinimizeResult minimize(const Objective& f, const Eigen::VectorXd& x0,
                        const MinimizeOptions& options, const Eigen::VectorXd& lower,
                        const Eigen::VectorXd& upper) {
  REVEST_REQUIRE(x0.size() > 0, "minimize: empty starting point");
  REVEST_REQUIRE(x0.allFinite(), "minimize: the starting point is not finite");
  const bool bounded = lower.size() > 0 || upper.size() > 0;
  if (bounded)
    REVEST_REQUIRE(lower.size() == x0.size() && upper.size() == x0.size(),
                   "minimize: bounds of sizes " << lower.size() << ", " << upper.size() << " for "
                                                << x0.size() << " variables");
  ensure_initialised();

  Context ctx{&f, x0, Eigen::VectorXd::Zero(x0.size()), nullptr};
  Tao tao = nullptr;
  Vec x = make_vec(x0), xl = nullptr, xu = nullptr;
  petsc_check(TaoCreate(PETSC_COMM_SELF, &tao), "TaoCreate");
  petsc_check(TaoSetType(tao, bounded ? TAOBQNLS : TAOLMVM), "TaoSetType");
  petsc_check(TaoSetSolution(tao, x), "TaoSetSolution");
  petsc_check(TaoSetObjectiveAndGradient(tao, nullptr, evaluate, &ctx),
              "TaoSetObjectiveAndGradient");
  petsc_check(TaoSetTolerances(tao, options.gradient_tolerance, options.relative_tolerance, 0.0),
              "TaoSetTolerances");
  petsc_check(TaoSetMaximumIterations(tao, options.max_iterations), "TaoSetMaximumIterations");
  petsc_check(TaoSetMaximumFunctionEvaluations(tao, 20 * options.max_iterations + 100),
              "TaoSetMaximumFunctionEvaluations");
  if (options.backtracking) {
    TaoLineSearch ls = nullptr;
    petsc_check(TaoGetLineSearch(tao, &ls), "TaoGetLineSearch");
    petsc_check(TaoLineSearchSetType(ls, TAOLINESEARCHARMIJO), "TaoLineSearchSetType");
  }
  if (bounded) {
    Eigen::VectorXd lo =
        lower.unaryExpr([](double v) { return std::isinf(v) ? PETSC_NINFINITY : v; });
    Eigen::VectorXd hi =
        upper.unaryExpr([](double v) { return std::isinf(v) ? PETSC_INFINITY : v; });
    xl = make_vec(lo);
    xu = make_vec(hi);
    petsc_check(TaoSetVariableBounds(tao, xl, xu), "TaoSetVariableBounds");
  }
  const PetscErrorCode solve_err = TaoSolve(tao);

  MinimizeResult r;
  PetscInt its = 0;
  PetscReal fval = 0, gnorm = 0, cnorm = 0, xdiff = 0;
  TaoConvergedReason reason = TAO_CONTINUE_ITERATING;
  TaoGetSolutionStatus(tao, &its, &fval, &gnorm, &cnorm, &xdiff, &reason);
  const PetscScalar* xa = nullptr;
  VecGetArrayRead(x, &xa);
  r.x.resize(x0.size());
  for (Eigen::Index j = 0; j < x0.size(); ++j) r.x[j] = xa[j];
  VecRestoreArrayRead(x, &xa);
  TaoDestroy(&tao);
  VecDestroy(&x);
  if (xl) VecDestroy(&xl);
  if (xu) VecDestroy(&xu);
  if (ctx.error) std::rethrow_exception(ctx.error);

  r.iterations = static_cast<int>(its);
  r.gradient_norm = gnorm;
  r.reason = solve_err ? "TAO error " + std::to_string(solve_err) : TaoConvergedReasons[reason];
  r.reason += " (gnorm " + std::to_string(gnorm) + ", its " + std::to_string(its) + ")";
  r.converged = solve_err == 0 && reason > 0;
  if (!r.converged && solve_err == 0 && reason == TAO_DIVERGED_LS_FAILURE &&
      gnorm <= options.acceptable_gradient) {
    r.converged = true;
    r.reason = "CONVERGED_AT_ROUNDING_LIMIT" + r.reason.substr(r.reason.find(' '));
  }
  Eigen::VectorXd g(x0.size());
  r.value = f(r.x, g);
  return r;
}

Eigen::MatrixXd hessian_from_gradient(const Objective& f, const Eigen::VectorXd& x, double step) {
  const Eigen::Index n = x.size();
  Eigen::MatrixXd H(n, n);
  Eigen::VectorXd gp(n), gm(n), xp = x, xm = x;
  for (Eigen::Index j = 0; j < n; ++j) {
    const double h = step * std::max(1.0, std::abs(x[j]));
    xp[j] = x[j] + h;
    xm[j] = x[j] - h;
    gp.setZero();
    gm.setZero();
    f(xp, gp);
    f(xm, gm);
    H.col(j) = (gp - gm) / (2.0 * h);
    xp[j] = xm[j] = x[j];
  }
  return 0.5 * (H + H.transpose());
}

void initialize_petsc() { ensure_initialised(); }

void finalize() {
  std::lock_guard<std::mutex> lock(g_init_mutex);
  PetscBool done = PETSC_FALSE, finalized = PETSC_FALSE;
  PetscInitialized(&done);
  PetscFinalized(&finalized);
  if (g_we_initialised && done && !finalized) PetscFinalize();
  g_we_initialised = false;
  int mpi_done = 0;
  MPI_Finalized(&mpi_done);
  if (g_we_started_mpi && !mpi_done) MPI_Finalize();
  g_we_started_mpi = false;
}

}  // namespace revest::optim
