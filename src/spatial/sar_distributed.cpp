#include "spatial/sar_distributed.hpp"

#include <petscksp.h>
#include <petscmat.h>
#include <sys/resource.h>

#include <boost/math/tools/minima.hpp>
#include <boost/random/normal_distribution.hpp>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <sstream>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "optim/minimize.hpp"
#include "optim/petsc_check.hpp"
#include "spatial/weights.hpp"

namespace revest::spatial {

namespace {

using optim::petsc_check;

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// Rows [begin, end) of this rank: PETSc's default split (PetscSplitOwnership: n / size rows,
/// one more on the first n % size ranks), the one MatCreateMPIAIJ would choose.
std::pair<std::size_t, std::size_t> local_rows(MPI_Comm comm, std::size_t n) {
  PetscLayout map = nullptr;
  petsc_check(PetscLayoutCreateFromSizes(comm, PETSC_DECIDE, static_cast<PetscInt>(n), 1, &map),
              "PetscLayoutCreateFromSizes");
  PetscInt begin = 0, end = 0;
  petsc_check(PetscLayoutGetRange(map, &begin, &end), "PetscLayoutGetRange");
  petsc_check(PetscLayoutDestroy(&map), "PetscLayoutDestroy");
  return {static_cast<std::size_t>(begin), static_cast<std::size_t>(end)};
}

/// out = the reduction `op` over the ranks of comm of `count` doubles, through PETSc's
/// MPIU_Allreduce (which returns from a function returning PetscErrorCode on failure).
PetscErrorCode allreduce(const double* in, double* out, int count, MPI_Op op, MPI_Comm comm) {
  PetscFunctionBeginUser;
  PetscCall(MPIU_Allreduce(in, out, count, MPIU_REAL, op, comm));
  PetscFunctionReturn(0);
}

double allsum(MPI_Comm comm, double v) {
  double out = 0;
  petsc_check(allreduce(&v, &out, 1, MPIU_SUM, comm), "MPIU_Allreduce");
  return out;
}

Eigen::MatrixXd allsum(MPI_Comm comm, const Eigen::MatrixXd& m) {
  Eigen::MatrixXd out(m.rows(), m.cols());
  petsc_check(allreduce(m.data(), out.data(), static_cast<int>(m.size()), MPIU_SUM, comm),
              "MPIU_Allreduce");
  return out;
}

/// I - rho W (or W itself) as a PETSc matrix with the diagonal in its pattern.
struct PetscSystem {
  Mat A = nullptr, F = nullptr;
  std::vector<int> rp, cl;  // local CSR with diagonal, global columns
  std::vector<double> wv;   // W values at those positions (0 on the diagonal)
  PetscInt r0 = 0, nloc = 0;
  bool symbolic = false;
  ~PetscSystem() {
    if (F) MatDestroy(&F);
    if (A) MatDestroy(&A);
  }
  void build(MPI_Comm comm, const LargeSarProblem& p) {
    r0 = static_cast<PetscInt>(p.row_begin);
    nloc = static_cast<PetscInt>(p.row_end - p.row_begin);
    rp.assign(1, 0);
    for (PetscInt i = 0; i < nloc; ++i) {
      bool diag_done = false;
      const int gi = static_cast<int>(r0 + i);
      for (int q = p.row_ptr[static_cast<std::size_t>(i)];
           q < p.row_ptr[static_cast<std::size_t>(i) + 1]; ++q) {
        const int c = p.cols[static_cast<std::size_t>(q)];
        if (!diag_done && c > gi) {
          cl.push_back(gi);
          wv.push_back(0.0);
          diag_done = true;
        }
        cl.push_back(c);
        wv.push_back(p.vals[static_cast<std::size_t>(q)]);
      }
      if (!diag_done) {
        cl.push_back(gi);
        wv.push_back(0.0);
      }
      rp.push_back(static_cast<int>(cl.size()));
    }
    std::vector<double> v(wv.size());
    fill(0.0, v);
    petsc_check(MatCreateMPIAIJWithArrays(comm, nloc, nloc, PETSC_DETERMINE, PETSC_DETERMINE,
                                          rp.data(), cl.data(), v.data(), &A),
                "MatCreateMPIAIJWithArrays");
  }
  void fill(double rho, std::vector<double>& v) const {
    for (PetscInt i = 0; i < nloc; ++i)
      for (int q = rp[static_cast<std::size_t>(i)]; q < rp[static_cast<std::size_t>(i) + 1]; ++q)
        v[static_cast<std::size_t>(q)] = cl[static_cast<std::size_t>(q)] == r0 + i
                                             ? 1.0
                                             : -rho * wv[static_cast<std::size_t>(q)];
  }
  /// Sets A = I - rho W.
  void set(double rho) {
    std::vector<double> v(wv.size());
    fill(rho, v);
    for (PetscInt i = 0; i < nloc; ++i) {
      const PetscInt row = r0 + i;
      const int b = rp[static_cast<std::size_t>(i)], e = rp[static_cast<std::size_t>(i) + 1];
      petsc_check(MatSetValues(A, 1, &row, e - b, cl.data() + b, v.data() + b, INSERT_VALUES),
                  "MatSetValues");
    }
    petsc_check(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY), "MatAssemblyBegin");
    petsc_check(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY), "MatAssemblyEnd");
  }
  /// ln|I - rho W| by a MUMPS LU factorisation.
  double logdet(double rho, double* t_sym, double* t_num) {
    set(rho);
    MatFactorInfo info;
    petsc_check(MatFactorInfoInitialize(&info), "MatFactorInfoInitialize");
    if (!symbolic) {
      const double t0 = now();
      petsc_check(MatGetFactor(A, MATSOLVERMUMPS, MAT_FACTOR_LU, &F), "MatGetFactor(MUMPS)");
      petsc_check(MatMumpsSetIcntl(F, 33, 1), "MatMumpsSetIcntl(33)");  // determinant
      petsc_check(MatMumpsSetIcntl(F, 4, 0), "MatMumpsSetIcntl(4)");    // quiet
      if (const char* o = std::getenv("REVEST_MUMPS_ORDERING"))
        petsc_check(MatMumpsSetIcntl(F, 7, std::atoi(o)), "MatMumpsSetIcntl(7)");
      petsc_check(MatLUFactorSymbolic(F, A, nullptr, nullptr, &info), "MatLUFactorSymbolic");
      symbolic = true;
      *t_sym += now() - t0;
    }
    const double t0 = now();
    petsc_check(MatLUFactorNumeric(F, A, &info), "MatLUFactorNumeric");
    *t_num += now() - t0;
    PetscReal re = 0, im = 0;
    PetscInt ex = 0;
    petsc_check(MatMumpsGetRinfog(F, 12, &re), "MatMumpsGetRinfog(12)");
    petsc_check(MatMumpsGetRinfog(F, 13, &im), "MatMumpsGetRinfog(13)");
    petsc_check(MatMumpsGetInfog(F, 34, &ex), "MatMumpsGetInfog(34)");
    REVEST_REQUIRE(re > 0, "I - rho W has a non-positive determinant at rho = " << rho);
    return std::log(re) + static_cast<double>(ex) * std::numbers::ln2;
  }
};

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // Linux: kilobytes
}

}  // namespace

LargeSarProblem make_large_sar_problem(MPI_Comm comm, std::size_t n, int k, double rho,
                                       std::uint64_t seed) {
  optim::initialize_petsc();
  REVEST_REQUIRE(n > static_cast<std::size_t>(k) && k >= 1, "large SAR: need n > k >= 1");
  REVEST_REQUIRE(std::abs(rho) < 1, "large SAR: |rho| must be < 1");
  LargeSarProblem p;
  p.n = n;
  std::tie(p.row_begin, p.row_end) = local_rows(comm, n);
  p.true_rho = rho;
  p.true_beta = Eigen::Vector3d(1.0, 2.0, -1.0);
  p.true_sigma2 = 1.0;
  const double t0 = now();
  std::vector<double> x(n), yc(n);
  for (std::size_t i = 0; i < n; ++i) {
    Rng r(seed, "large_sar/points", static_cast<std::uint32_t>(i));
    x[i] = r.uniform01();
    yc[i] = r.uniform01();
  }
  const SpMat w = knn_plane_rows(x, yc, k, p.row_begin, p.row_end);
  p.row_ptr.assign(w.outerIndexPtr(), w.outerIndexPtr() + w.rows() + 1);
  p.cols.assign(w.innerIndexPtr(), w.innerIndexPtr() + w.nonZeros());
  p.vals.assign(w.valuePtr(), w.valuePtr() + w.nonZeros());
  p.seconds_graph = now() - t0;
  const auto nl = static_cast<Eigen::Index>(p.row_end - p.row_begin);
  p.X.resize(nl, 3);
  Eigen::VectorXd rhs(nl);
  boost::random::normal_distribution<double> normal;
  for (Eigen::Index i = 0; i < nl; ++i) {
    Rng r(seed, "large_sar/data",
          static_cast<std::uint32_t>(p.row_begin + static_cast<std::size_t>(i)));
    p.X(i, 0) = 1.0;
    p.X(i, 1) = normal(r);
    p.X(i, 2) = normal(r);
    rhs[i] = p.X.row(i).dot(p.true_beta) + std::sqrt(p.true_sigma2) * normal(r);
  }
  // y = (I - rho W)^-1 rhs by GMRES.
  const double t1 = now();
  PetscSystem sys;
  sys.build(comm, p);
  sys.set(rho);
  Vec b, sol;
  petsc_check(MatCreateVecs(sys.A, &sol, &b), "MatCreateVecs");
  PetscScalar* pb = nullptr;
  petsc_check(VecGetArray(b, &pb), "VecGetArray");
  for (Eigen::Index i = 0; i < nl; ++i) pb[i] = rhs[i];
  petsc_check(VecRestoreArray(b, &pb), "VecRestoreArray");
  KSP ksp;
  petsc_check(KSPCreate(comm, &ksp), "KSPCreate");
  petsc_check(KSPSetOperators(ksp, sys.A, sys.A), "KSPSetOperators");
  petsc_check(KSPSetType(ksp, KSPGMRES), "KSPSetType");
  PC pc;
  petsc_check(KSPGetPC(ksp, &pc), "KSPGetPC");
  petsc_check(PCSetType(pc, PCJACOBI), "PCSetType");
  petsc_check(KSPSetTolerances(ksp, 1e-13, 1e-50, PETSC_DEFAULT, 10000), "KSPSetTolerances");
  petsc_check(KSPSolve(ksp, b, sol), "KSPSolve");
  KSPConvergedReason reason;
  petsc_check(KSPGetConvergedReason(ksp, &reason), "KSPGetConvergedReason");
  REVEST_REQUIRE(reason > 0, "large SAR: the solve of (I - rho W) y = X b + e did not converge");
  const PetscScalar* ps = nullptr;
  petsc_check(VecGetArrayRead(sol, &ps), "VecGetArrayRead");
  p.y = Eigen::Map<const Eigen::VectorXd>(ps, nl);
  petsc_check(VecRestoreArrayRead(sol, &ps), "VecRestoreArrayRead");
  KSPDestroy(&ksp);
  VecDestroy(&b);
  VecDestroy(&sol);
  p.seconds_solve = now() - t1;
  return p;
}

void write_large_sar_csv(const LargeSarProblem& p, const std::string& dir) {
  REVEST_REQUIRE(p.row_begin == 0 && p.row_end == p.n,
                 "write_large_sar_csv: the problem is split over ranks");
  std::filesystem::create_directories(dir);
  std::ofstream d(std::filesystem::path(dir) / "data.csv"),
      nb(std::filesystem::path(dir) / "neighbours.csv");
  d.precision(17);
  d << "y,x1,x2\n";
  for (Eigen::Index i = 0; i < p.y.size(); ++i)
    d << p.y[i] << ',' << p.X(i, 1) << ',' << p.X(i, 2) << '\n';
  nb << "from,to\n";
  for (std::size_t i = 0; i < p.n; ++i)
    for (int q = p.row_ptr[i]; q < p.row_ptr[i + 1]; ++q)
      nb << i + 1 << ',' << p.cols[static_cast<std::size_t>(q)] + 1 << '\n';
  REVEST_REQUIRE(d.good() && nb.good(), "cannot write " << dir);
}

LargeSarResult fit_sar_distributed(MPI_Comm comm, const LargeSarProblem& p) {
  optim::initialize_petsc();
  const double t_start = now();
  LargeSarResult res;
  PetscSystem sys;
  sys.build(comm, p);
  // W y with the same matrix: A = I - 1 W at rho = 1 gives y - W y.
  sys.set(1.0);
  const auto nl = static_cast<Eigen::Index>(p.row_end - p.row_begin);
  Vec vy, vay;
  petsc_check(MatCreateVecs(sys.A, &vy, &vay), "MatCreateVecs");
  PetscScalar* a = nullptr;
  petsc_check(VecGetArray(vy, &a), "VecGetArray");
  for (Eigen::Index i = 0; i < nl; ++i) a[i] = p.y[i];
  petsc_check(VecRestoreArray(vy, &a), "VecRestoreArray");
  petsc_check(MatMult(sys.A, vy, vay), "MatMult");
  const PetscScalar* c = nullptr;
  petsc_check(VecGetArrayRead(vay, &c), "VecGetArrayRead");
  Eigen::VectorXd wy(nl);
  for (Eigen::Index i = 0; i < nl; ++i) wy[i] = p.y[i] - c[i];
  petsc_check(VecRestoreArrayRead(vay, &c), "VecRestoreArrayRead");
  VecDestroy(&vy);
  VecDestroy(&vay);
  // OLS pieces (global sums).
  const Eigen::MatrixXd xtx = allsum(comm, Eigen::MatrixXd(p.X.transpose() * p.X));
  const Eigen::MatrixXd xty = allsum(comm, Eigen::MatrixXd(p.X.transpose() * p.y));
  const Eigen::MatrixXd xtwy = allsum(comm, Eigen::MatrixXd(p.X.transpose() * wy));
  const Eigen::LDLT<Eigen::MatrixXd> xtx_ldlt(xtx);
  const Eigen::VectorXd b0 = xtx_ldlt.solve(xty), bl = xtx_ldlt.solve(xtwy);
  const Eigen::VectorXd e0 = p.y - p.X * b0, el = wy - p.X * bl;
  const double A0 = allsum(comm, e0.squaredNorm()), B0 = allsum(comm, e0.dot(el)),
               C0 = allsum(comm, el.squaredNorm());
  const double n = static_cast<double>(p.n);
  auto logdet = [&](double rho) {
    ++res.logdet_evaluations;
    return sys.logdet(rho, &res.seconds_symbolic, &res.seconds_numeric);
  };
  auto negll = [&](double rho) {
    const double sse = A0 - 2 * rho * B0 + rho * rho * C0;
    return 0.5 * n * (std::log(2 * std::numbers::pi) + 1 + std::log(sse / n)) - logdet(rho);
  };
  // Row-standardised W: every eigenvalue has modulus <= 1, so rho in (-1, 1) is admissible.
  std::uintmax_t iters = 200;
  const auto r = boost::math::tools::brent_find_minima(negll, -0.999, 0.999, 26, iters);
  const double rho = r.first;
  res.rho = rho;
  res.loglik = -negll(rho);
  res.beta = b0 - rho * bl;
  const Eigen::VectorXd e = e0 - rho * el;
  const double s2 = (A0 - 2 * rho * B0 + rho * rho * C0) / n;
  res.sigma2 = s2;
  // Observed information over (beta, rho, sigma^2).
  const double h = 1e-3;
  const double ld0 = logdet(rho);
  const double trb2 = -(logdet(rho + h) - 2 * ld0 + logdet(rho - h)) / (h * h);
  const Eigen::Index k = p.X.cols();
  Eigen::MatrixXd info = Eigen::MatrixXd::Zero(k + 2, k + 2);
  info.topLeftCorner(k, k) = xtx / s2;
  info.block(0, k, k, 1) = xtwy / s2;
  info(k, k) = trb2 + allsum(comm, wy.squaredNorm()) / s2;
  info(k, k + 1) = allsum(comm, wy.dot(e)) / (s2 * s2);
  info.block(0, k + 1, k, 1) = allsum(comm, Eigen::MatrixXd(p.X.transpose() * e)) / (s2 * s2);
  info(k + 1, k + 1) = n / (2 * s2 * s2);
  info = Eigen::MatrixXd(info.selfadjointView<Eigen::Upper>());
  const Eigen::MatrixXd v = info.inverse();
  res.beta_se = v.diagonal().head(k).array().sqrt();
  res.rho_se = std::sqrt(v(k, k));
  // The same checks as the serial fit (models.cpp): an interior maximum and finite estimates.
  const double span = 2 * 0.999;
  if (rho + 0.999 < 1e-6 * span || 0.999 - rho < 1e-6 * span)
    res.status = Status::Make(StatusCode::kNumericalFailure,
                              "sar: rho at the boundary of its interval (no interior maximum)");
  else if (!res.beta.allFinite() || !res.beta_se.allFinite() || !std::isfinite(res.rho_se) ||
           !std::isfinite(res.loglik))
    res.status = Status::Make(StatusCode::kNumericalFailure, "sar: non-finite estimates");
  res.seconds_total = now() - t_start;
  double rss = peak_rss_mb(), maxrss = 0;
  petsc_check(allreduce(&rss, &maxrss, 1, MPIU_MAX, comm), "MPIU_Allreduce");
  res.peak_rss_mb = maxrss;
  return res;
}

std::string LargeSarResult::brief_report() const {
  std::ostringstream os;
  os << "SAR by maximum likelihood across ranks (MUMPS LU log-determinant, observed information): "
     << "rho " << rho << " (se " << rho_se << ")";
  for (Eigen::Index j = 0; j < beta.size(); ++j)
    os << ", beta" << j << " " << beta[j] << " (se " << beta_se[j] << ")";
  os << ", sigma^2 " << sigma2 << ", log-likelihood " << loglik << "; " << logdet_evaluations
     << " factorisations in " << seconds_total << " s; status " << status.to_string() << ".";
  return os.str();
}

}  // namespace revest::spatial
