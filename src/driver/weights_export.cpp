#include "driver/weights_export.hpp"

#include <unistd.h>
#include <fstream>
#include <system_error>

#include "analyses/analysis_spec.hpp"
#include "analyses/spatial_inputs.hpp"
#include "core/error.hpp"
#include "driver/archive_inputs.hpp"
#include "driver/runtime.hpp"
#include "io/geography.hpp"
#include "io/job.hpp"
#include "io/panel.hpp"
#include "spatial/weights_io.hpp"

namespace revest::driver {

WeightsExport export_weights(const std::filesystem::path& job_path,
                             const std::filesystem::path& defaults, const std::string& spec_text,
                             const std::filesystem::path& file) {
  const spatial::WeightsFormat format = spatial::weights_format_of(file);
  const io::Job job = io::load_job(job_path, defaults);
  const spatial::WeightsSpec spec = spatial::parse_weights_spec(spec_text, "--spec");
  const io::Geography geo = io::load_geography(job.geography, job.polygons());
  io::Panel panel;
  if (spec.type == spatial::WeightsType::kEconomic) {
    io::PanelRequirements req;
    req.first_year = job.first_year;
    req.last_year = job.last_year;
    req.variables = {spec.variable};
    panel = io::load_panel(job.panel, geo, req);
  }
  analyses::WeightsFileTexts texts;
  if (spec.from_file()) {
    // A file spec given on the command line: its file is relative to the working directory.
    std::optional<std::string> bytes = read_file_bytes(spec.file);
    REVEST_REQUIRE(bytes, spec.file << ": cannot open the weights file of --spec");
    texts[spec.file] = std::move(*bytes);
  }
  const analyses::WeightsSet set({spec}, geo, panel, std::nullopt, texts);
  const spatial::Weights& w = *set.w.front();
  std::vector<std::string> ids;
  ids.reserve(geo.size());
  for (const auto& c : geo.counties) ids.push_back(std::to_string(c.adcode_ref));
  const std::string text = spatial::write_weights_text(w.W, format, ids, job.name);
  // Never over one of the job's inputs (the check a run makes of its archive).
  const std::vector<analyses::AnalysisSpec> specs = analyses::parse_analyses(job);
  std::vector<InputFile> inputs;
  for (const auto& [role, p] : job_input_paths(job, job_path, defaults, /*with_projects=*/true,
                                               analyses::weights_files_of(specs)))
    inputs.push_back({role, p.lexically_normal().string(), {}, {}});
  if (spec.from_file()) inputs.push_back({"--spec weights", spec.file, {}, {}});
  check_output_not_input(file, inputs);
  std::error_code ec;
  // Whole or absent: written beside the file, then renamed over it.
  const std::filesystem::path tmp =
      file.string() + ".tmp." + std::to_string(static_cast<long long>(::getpid()));
  auto fail = [&](const std::string& what) {
    std::filesystem::remove(tmp, ec);
    REVEST_FAIL(file.string() << ": " << what);
  };
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!out.good()) fail("cannot write (" + tmp.string() + ")");
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (out.fail()) fail("write failed (disk full?)");
  }
  std::filesystem::rename(tmp, file, ec);
  if (ec) fail("cannot rename " + tmp.string() + " to it: " + ec.message());
  WeightsExport r;
  r.label = w.label;
  r.units = w.size();
  r.links = w.summary.links;
  r.format = spatial::to_string(format);
  return r;
}

}  // namespace revest::driver
