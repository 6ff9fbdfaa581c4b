#pragma once
/// \file logdet_petsc.hpp
/// \brief ln|I - rho W| by a serial MUMPS LU through PETSc (used by LogDet's sparse method when W
/// is not similar to a symmetric matrix). No PETSc or MPI type in this header.
#include <memory>

#include "spatial/weights.hpp"

namespace revest::spatial {

class PetscLu {
 public:
  /// W's pattern and values; the symbolic analysis happens on the first logdet() call. (For a
  /// symmetric W, Eigen's simplicial LDL' was faster than MUMPS LDL' here: 26 vs 54 ms at n =
  /// 40,000, so LogDet uses that.)
  explicit PetscLu(const SpMat& W);
  ~PetscLu();
  PetscLu(const PetscLu&) = delete;
  PetscLu& operator=(const PetscLu&) = delete;
  /// ln|det(I - rho W)|; -inf if the determinant is not positive. Not thread-safe.
  double logdet(double rho);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace revest::spatial
