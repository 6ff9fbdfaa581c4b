#pragma once
/// \file petsc_check.hpp
/// \brief The one PETSc error check of revest: a non-zero PetscErrorCode becomes a revest::Error
/// that names the PETSc call and PETSc's own text for the code.
///
/// For the source files that call PETSc (optim/tao.cpp, spatial/logdet_petsc.cpp,
/// spatial/sar_distributed.cpp). PETSc returns codes instead of printing tracebacks because
/// initialize_petsc() (optim/minimize.hpp) pushes PetscReturnErrorHandler. This header includes
/// <petscsys.h>, which includes <mpi.h>: include it from source files only, never from a header
/// that exposes no PETSc type.
#include <petscsys.h>

namespace revest::optim {

/// Throws revest::Error "PETSc error CODE (TEXT) in WHAT" unless ierr is 0.
void petsc_check(PetscErrorCode ierr, const char* what);

}  // namespace revest::optim
