#pragma once
// Helpers shared by the in-process MPI tests of the driver (runtime_test, study_area_test).
#include <filesystem>

#include "driver/runtime.hpp"

namespace revest::test {

/// Options of a test run: replace the output, the repository's defaults, no progress lines.
inline driver::RunOptions base_options(const std::filesystem::path& out) {
  driver::RunOptions o;
  o.force = true;
  o.output = out;
  o.defaults = std::filesystem::path(REVEST_SOURCE_DIR) / "config" / "defaults.toml";
  o.progress = false;
  return o;
}

}  // namespace revest::test
