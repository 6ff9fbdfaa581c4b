#include "driver/sar_distributed.hpp"

#include <petscksp.h>
#include <petscmat.h>
#include <sys/resource.h>

#include <boost/math/tools/minima.hpp>
#include <boost/random/normal_distribution.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <cstdlib>
#include <cmath>
#include <numbers>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "optim/minimize.hpp"
#include "spatial/weights.hpp"

namespace revest::driver {

namespace {

void pcheck(PetscErrorCode ierr, const char* what) {
  REVEST_REQUIRE(ierr == 0, "PETSc error " << ierr << " in " << what);
}

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::pair<std::size_t, std::size_t> split(std::size_t n, int rank, int size) {
  const std::size_t base = n / static_cast<std::size_t>(size), extra = n % static_cast<std::size_t>(size);
  const auto r = static_cast<std::size_t>(rank);
  const std::size_t begin = r * base + std::min(r, extra);
  return {begin, begin + base + (r < extra ? 1 : 0)};
}

double allsum(MPI_Comm comm, double v) {
  double out = 0;
  MPI_Allreduce(&v, &out, 1, MPI_DOUBLE, MPI_SUM, comm);
  return out;
}

Eigen::MatrixXd allsum(MPI_Comm comm, const Eigen::MatrixXd& m) {
  Eigen::MatrixXd out(m.rows(), m.cols());
  MPI_Allreduce(m.data(), out.data(), static_cast<int>(m.size()), MPI_DOUBLE, MPI_SUM, comm);
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
      for (int q = p.row_ptr[static_cast<std::size_t>(i)]; q < p.row_ptr[static_cast<std::size_t>(i) + 1]; ++q) {
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
    pcheck(MatCreateMPIAIJWithArrays(comm, nloc, nloc, PETSC_DETERMINE, PETSC_DETERMINE, rp.data(),
                                     cl.data(), v.data(), &A),
           "MatCreateMPIAIJWithArrays");
  }
  void fill(double rho, std::vector<double>& v) const {
    for (PetscInt i = 0; i < nloc; ++i)
      for (int q = rp[static_cast<std::size_t>(i)]; q < rp[static_cast<std::size_t>(i) + 1]; ++q)
        v[static_cast<std::size_t>(q)] = cl[static_cast<std::size_t>(q)] == r0 + i ? 1.0 : -rho * wv[static_cast<std::size_t>(q)];
  }
  /// Sets A = I - rho W.
  void set(double rho) {
    std::vector<double> v(wv.size());
    fill(rho, v);
    for (PetscInt i = 0; i < nloc; ++i) {
      const PetscInt row = r0 + i;
      const int b = rp[static_cast<std::size_t>(i)], e = rp[static_cast<std::size_t>(i) + 1];
      pcheck(MatSetValues(A, 1, &row, e - b, cl.data() + b, v.data() + b, INSERT_VALUES), "MatSetValues");
    }
    pcheck(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY), "MatAssemblyBegin");
    pcheck(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY), "MatAssemblyEnd");
  }
  /// ln|I - rho W| by a MUMPS LU factorisation.
  double logdet(double rho, double* t_sym, double* t_num) {
    set(rho);
    MatFactorInfo info;
    pcheck(MatFactorInfoInitialize(&info), "MatFactorInfoInitialize");
    if (!symbolic) {
      const double t0 = now();
      pcheck(MatGetFactor(A, MATSOLVERMUMPS, MAT_FACTOR_LU, &F), "MatGetFactor(MUMPS)");
      pcheck(MatMumpsSetIcntl(F, 33, 1), "MatMumpsSetIcntl(33)");  // determinant
      pcheck(MatMumpsSetIcntl(F, 4, 0), "MatMumpsSetIcntl(4)");    // quiet
      if (const char* o = std::getenv("REVEST_MUMPS_ORDERING")) pcheck(MatMumpsSetIcntl(F, 7, std::atoi(o)), "MatMumpsSetIcntl(7)");
      pcheck(MatLUFactorSymbolic(F, A, nullptr, nullptr, &info), "MatLUFactorSymbolic");
      symbolic = true;
      *t_sym += now() - t0;
    }
    const double t0 = now();
    pcheck(MatLUFactorNumeric(F, A, &info), "MatLUFactorNumeric");
    *t_num += now() - t0;
    PetscReal re = 0, im = 0;
    PetscInt ex = 0;
    pcheck(MatMumpsGetRinfog(F, 12, &re), "MatMumpsGetRinfog(12)");
    pcheck(MatMumpsGetRinfog(F, 13, &im), "MatMumpsGetRinfog(13)");
    pcheck(MatMumpsGetInfog(F, 34, &ex), "MatMumpsGetInfog(34)");
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
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  REVEST_REQUIRE(n > static_cast<std::size_t>(k) && k >= 1, "large SAR: need n > k >= 1");
  REVEST_REQUIRE(std::abs(rho) < 1, "large SAR: |rho| must be < 1");
  LargeSarProblem p;
  p.n = n;
  std::tie(p.row_begin, p.row_end) = split(n, rank, size);
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
  const spatial::SpMat w = spatial::knn_plane_rows(x, yc, k, p.row_begin, p.row_end);
  p.row_ptr.assign(w.outerIndexPtr(), w.outerIndexPtr() + w.rows() + 1);
  p.cols.assign(w.innerIndexPtr(), w.innerIndexPtr() + w.nonZeros());
  p.vals.assign(w.valuePtr(), w.valuePtr() + w.nonZeros());
  p.seconds_graph = now() - t0;
  const auto nl = static_cast<Eigen::Index>(p.row_end - p.row_begin);
  p.X.resize(nl, 3);
  Eigen::VectorXd rhs(nl);
  boost::random::normal_distribution<double> normal;
  for (Eigen::Index i = 0; i < nl; ++i) {
    Rng r(seed, "large_sar/data", static_cast<std::uint32_t>(p.row_begin + static_cast<std::size_t>(i)));
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
  pcheck(MatCreateVecs(sys.A, &sol, &b), "MatCreateVecs");
  PetscScalar* pb = nullptr;
  pcheck(VecGetArray(b, &pb), "VecGetArray");
  for (Eigen::Index i = 0; i < nl; ++i) pb[i] = rhs[i];
  pcheck(VecRestoreArray(b, &pb), "VecRestoreArray");
  KSP ksp;
  pcheck(KSPCreate(comm, &ksp), "KSPCreate");
  pcheck(KSPSetOperators(ksp, sys.A, sys.A), "KSPSetOperators");
  pcheck(KSPSetType(ksp, KSPGMRES), "KSPSetType");
  PC pc;
  pcheck(KSPGetPC(ksp, &pc), "KSPGetPC");
  pcheck(PCSetType(pc, PCJACOBI), "PCSetType");
  pcheck(KSPSetTolerances(ksp, 1e-13, 1e-50, PETSC_DEFAULT, 10000), "KSPSetTolerances");
  pcheck(KSPSolve(ksp, b, sol), "KSPSolve");
  KSPConvergedReason reason;
  pcheck(KSPGetConvergedReason(ksp, &reason), "KSPGetConvergedReason");
  REVEST_REQUIRE(reason > 0, "large SAR: the solve of (I - rho W) y = X b + e did not converge");
  const PetscScalar* ps = nullptr;
  pcheck(VecGetArrayRead(sol, &ps), "VecGetArrayRead");
  p.y = Eigen::Map<const Eigen::VectorXd>(ps, nl);
  pcheck(VecRestoreArrayRead(sol, &ps), "VecRestoreArrayRead");
  KSPDestroy(&ksp);
  VecDestroy(&b);
  VecDestroy(&sol);
  p.seconds_solve = now() - t1;
  return p;
}

void write_large_sar_csv(const LargeSarProblem& p, const std::string& dir) {
  REVEST_REQUIRE(p.row_begin == 0 && p.row_end == p.n, "write_large_sar_csv: the problem is split over ranks");
  std::filesystem::create_directories(dir);
  std::ofstream d(std::filesystem::path(dir) / "data.csv"), nb(std::filesystem::path(dir) / "neighbours.csv");
  d.precision(17);
  d << "y,x1,x2\n";
  for (Eigen::Index i = 0; i < p.y.size(); ++i) d << p.y[i] << ',' << p.X(i, 1) << ',' << p.X(i, 2) << '\n';
  nb << "from,to\n";
  for (std::size_t i = 0; i < p.n; ++i)
    for (int q = p.row_ptr[i]; q < p.row_ptr[i + 1]; ++q) nb << i + 1 << ',' << p.cols[static_cast<std::size_t>(q)] + 1 << '\n';
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
  pcheck(MatCreateVecs(sys.A, &vy, &vay), "MatCreateVecs");
  PetscScalar* a = nullptr;
  pcheck(VecGetArray(vy, &a), "VecGetArray");
  for (Eigen::Index i = 0; i < nl; ++i) a[i] = p.y[i];
  pcheck(VecRestoreArray(vy, &a), "VecRestoreArray");
  pcheck(MatMult(sys.A, vy, vay), "MatMult");
  const PetscScalar* c = nullptr;
  pcheck(VecGetArrayRead(vay, &c), "VecGetArrayRead");
  Eigen::VectorXd wy(nl);
  for (Eigen::Index i = 0; i < nl; ++i) wy[i] = p.y[i] - c[i];
  pcheck(VecRestoreArrayRead(vay, &c), "VecRestoreArrayRead");
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
  res.seconds_total = now() - t_start;
  double rss = peak_rss_mb(), maxrss = 0;
  MPI_Allreduce(&rss, &maxrss, 1, MPI_DOUBLE, MPI_MAX, comm);
  res.peak_rss_mb = maxrss;
  return res;
}

}  // namespace revest::driver
