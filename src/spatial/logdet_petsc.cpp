// ln|I - rho W| by a sparse LU factorisation through PETSc (MUMPS, serial, PETSC_COMM_SELF), for
// weights that are not similar to a symmetric matrix (e.g. k-nearest neighbours). Like
// src/optim/tao.cpp, this file's includes reach <mpi.h> (PETSc's headers include it) but it makes
// no MPI call: the factorisation is on PETSC_COMM_SELF, so every rank may use it independently.
#include <petscmat.h>

#include <cmath>
#include <numbers>

#include "core/error.hpp"
#include "optim/minimize.hpp"
#include "optim/petsc_check.hpp"
#include "spatial/logdet_petsc.hpp"

namespace revest::spatial {

using optim::petsc_check;

struct PetscLu::Impl {
  Mat A = nullptr, F = nullptr;
  std::vector<PetscInt> rp, cl;
  std::vector<double> wv, v;
  PetscInt n = 0;
  bool symbolic = false;
  ~Impl() {
    if (F) MatDestroy(&F);
    if (A) MatDestroy(&A);
  }
};

PetscLu::PetscLu(const SpMat& W) : impl_(std::make_unique<Impl>()) {
  optim::initialize_petsc();
  Impl& m = *impl_;
  m.n = static_cast<PetscInt>(W.rows());
  m.rp.assign(1, 0);
  for (int i = 0; i < W.outerSize(); ++i) {
    bool diag = false;
    for (SpMat::InnerIterator it(W, i); it; ++it) {
      if (!diag && it.col() > i) {
        m.cl.push_back(i);
        m.wv.push_back(0.0);
        diag = true;
      }
      if (it.col() == i) {
        diag = true;
        m.cl.push_back(i);
        m.wv.push_back(it.value());
        continue;
      }
      m.cl.push_back(static_cast<PetscInt>(it.col()));
      m.wv.push_back(it.value());
    }
    if (!diag) {
      m.cl.push_back(i);
      m.wv.push_back(0.0);
    }
    m.rp.push_back(static_cast<PetscInt>(m.cl.size()));
  }
  m.v.assign(m.wv.size(), 0.0);
  petsc_check(MatCreateSeqAIJWithArrays(PETSC_COMM_SELF, m.n, m.n, m.rp.data(), m.cl.data(),
                                        m.v.data(), &m.A),
              "MatCreateSeqAIJWithArrays");
}

PetscLu::~PetscLu() = default;

double PetscLu::logdet(double rho) {
  Impl& m = *impl_;
  // The matrix shares m.v (created "with arrays"): update the values in place.
  for (PetscInt i = 0; i < m.n; ++i)
    for (PetscInt q = m.rp[static_cast<std::size_t>(i)]; q < m.rp[static_cast<std::size_t>(i) + 1];
         ++q)
      m.v[static_cast<std::size_t>(q)] = (m.cl[static_cast<std::size_t>(q)] == i ? 1.0 : 0.0) -
                                         rho * m.wv[static_cast<std::size_t>(q)];
  petsc_check(MatAssemblyBegin(m.A, MAT_FINAL_ASSEMBLY), "MatAssemblyBegin");
  petsc_check(MatAssemblyEnd(m.A, MAT_FINAL_ASSEMBLY), "MatAssemblyEnd");
  MatFactorInfo info;
  petsc_check(MatFactorInfoInitialize(&info), "MatFactorInfoInitialize");
  if (!m.symbolic) {
    petsc_check(MatGetFactor(m.A, MATSOLVERMUMPS, MAT_FACTOR_LU, &m.F), "MatGetFactor(MUMPS)");
    petsc_check(MatMumpsSetIcntl(m.F, 33, 1), "MatMumpsSetIcntl(33)");  // compute the determinant
    petsc_check(MatMumpsSetIcntl(m.F, 4, 0), "MatMumpsSetIcntl(4)");    // no output
    petsc_check(MatLUFactorSymbolic(m.F, m.A, nullptr, nullptr, &info), "MatLUFactorSymbolic");
    m.symbolic = true;
  }
  petsc_check(MatLUFactorNumeric(m.F, m.A, &info), "MatLUFactorNumeric");
  PetscReal re = 0;
  PetscInt ex = 0;
  petsc_check(MatMumpsGetRinfog(m.F, 12, &re), "MatMumpsGetRinfog(12)");
  petsc_check(MatMumpsGetInfog(m.F, 34, &ex), "MatMumpsGetInfog(34)");
  if (!(re > 0)) return -std::numeric_limits<double>::infinity();
  return std::log(re) + static_cast<double>(ex) * std::numbers::ln2;
}

}  // namespace revest::spatial
