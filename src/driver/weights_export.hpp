#pragma once
/// \file weights_export.hpp
/// \brief `revest weights JOB --spec SPEC --write FILE`: any weights matrix a job would build, written
/// as a file other tools read (GeoDa .gal / .gwt, a CSV edge list, Matrix Market .mtx;
/// spatial/weights_io.hpp), so that users can inspect it or use it elsewhere.
///
/// The units are the job's geography (ids: the counties' 2022 codes, adcode_ref, as in the panel);
/// economic weights take the county means of their variable over the job's years from the job's
/// panel. A spec that reads a file (`gwt file=F`, ...) reads F from the working directory: the
/// command then converts between formats. The file is written beside FILE and renamed into place:
/// it is whole or absent, and never one of the job's inputs.
///
/// \test tests/driver/weights_export_test.cpp (queen weights of the bundled geography written in
/// every format and read back: the same matrix; errors); tests/driver/cli.sh (the command).
#include <cstddef>
#include <filesystem>
#include <string>

namespace revest::driver {

struct WeightsExport {
  std::string label;      ///< the spec as written
  std::size_t units = 0;  ///< n
  std::size_t links = 0;  ///< non-zero off-diagonal entries
  std::string format;     ///< "gal", "gwt", "edges" or "mtx"
};

/// Builds the weights `spec` (a weights spec as in a job's `weights` option) on the units of the
/// job `job_path` and writes them to `file` (format from its extension). Throws revest::Error
/// naming the job, the spec or the file.
WeightsExport export_weights(const std::filesystem::path& job_path,
                             const std::filesystem::path& defaults, const std::string& spec,
                             const std::filesystem::path& file);

}  // namespace revest::driver
