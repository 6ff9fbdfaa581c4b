#include "optim/petsc_check.hpp"

#include "core/error.hpp"

namespace revest::optim {

void petsc_check(PetscErrorCode ierr, const char* what) {
  if (ierr == 0) return;
  const char* text = nullptr;
  PetscErrorMessage(ierr, &text, nullptr);
  REVEST_FAIL("PETSc error " << ierr << (text ? std::string(" (") + text + ")" : std::string())
                             << " in " << what);
}

}  // namespace revest::optim
