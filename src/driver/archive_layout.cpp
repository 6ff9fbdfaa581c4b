#include "driver/archive_layout.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <iomanip>
#include <limits>
#include <sstream>

#include "build_info.hpp"
#include "core/error.hpp"
#include "driver/archive_segments.hpp"

namespace revest::driver {

using h5::Handle;

std::size_t AnalysisLayout::chunk_rows() const {
  std::size_t widest = 1;
  for (const auto& s : specs) widest = std::max(widest, s.row_size());
  const std::size_t bytes = widest * sizeof(double);
  const std::size_t rows = std::max<std::size_t>(1, (1u << 20) / bytes);  // ~1 MiB chunks
  // At most 1/64 of the tasks per chunk: rounds are whole chunks per rank, so an analysis with
  // small rows but long tasks (real options: 1 KB rows, a second per task) would otherwise run
  // rounds of thousands of tasks between checkpoints and progress lines, and give each rank one
  // contiguous block of them.
  const std::size_t by_tasks = std::max<std::size_t>(1, (num_tasks + 63) / 64);
  return std::min({rows, by_tasks, std::max<std::size_t>(1, num_tasks)});
}

std::string now_iso8601() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::ostringstream os;
  os << std::put_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  return os.str();
}

Handle dcpl_chunked(int rank, const hsize_t* chunk) {
  Handle p(H5Pcreate(H5P_DATASET_CREATE));
  H5Pset_obj_track_times(p, 0);
  H5Pset_chunk(p, rank, chunk);
  H5Pset_shuffle(p);
  H5Pset_deflate(p, 1);
  // Chunks are allocated when first written; parallel HDF5 requires early allocation for
  // datasets written collectively with filters only when created in parallel (we create serially).
  return p;
}

Handle message_type() { return h5::fixed_string_type(kMessageLength); }

/// Contiguous, allocated at creation: later writes touch raw data only, never HDF5 metadata.
Handle dcpl_work(hid_t fill_type, const void* fill) {
  Handle p(H5Pcreate(H5P_DATASET_CREATE));
  H5Pset_obj_track_times(p, 0);
  H5Pset_layout(p, H5D_CONTIGUOUS);
  H5Pset_alloc_time(p, H5D_ALLOC_TIME_EARLY);
  if (fill) {
    H5Pset_fill_value(p, fill_type, fill);
    H5Pset_fill_time(p, H5D_FILL_TIME_ALLOC);
  } else {
    H5Pset_fill_time(p, H5D_FILL_TIME_NEVER);  // rows are read only where the status says done
  }
  return p;
}

void create_analysis_datasets(hid_t file, const AnalysisLayout& a, bool work) {
  Handle g = h5::group(file, "/analyses/" + a.name);
  h5::attr(g, "kind", a.kind);
  h5::attr(g, "options", a.options_toml);
  h5::attr(g, "num_tasks", static_cast<std::int64_t>(a.num_tasks));
  Handle reps = h5::group(g, "replications");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t s = 0; s < a.specs.size(); ++s) {
    const auto& spec = a.specs[s];
    std::vector<hsize_t> dims{a.num_tasks}, chunk{a.chunk_rows()};
    for (auto d : spec.shape) {
      dims.push_back(d);
      chunk.push_back(d);
    }
    Handle sp(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
    Handle dcpl;
    if (work) {
      dcpl = dcpl_work(H5T_NATIVE_DOUBLE, nullptr);
    } else {
      dcpl = dcpl_chunked(static_cast<int>(dims.size()), chunk.data());
      H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &nan);
    }
    Handle d(h5::check(
        H5Dcreate2(reps, spec.name.c_str(), H5T_IEEE_F64LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT),
        "create replications " + spec.name));
    h5::attr(d, "description", spec.description);
    if (!spec.units.empty()) h5::attr(d, "units", spec.units);
  }
  const hsize_t n = a.num_tasks;
  const std::int32_t fill = static_cast<std::int32_t>(TaskStatus::kNotRun);
  {
    const hsize_t chunk = std::min<hsize_t>(std::max<hsize_t>(n, 1), 16384);
    Handle sp(H5Screate_simple(1, &n, nullptr));
    Handle dcpl = work ? dcpl_work(H5T_NATIVE_INT32, &fill) : dcpl_chunked(1, &chunk);
    if (!work) H5Pset_fill_value(dcpl, H5T_NATIVE_INT32, &fill);
    Handle d(h5::check(H5Dcreate2(g, "status", H5T_STD_I32LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                       "create status"));
    h5::attr(d, "description",
             std::string(
                 "outcome of each task (row of the replications): -1 not run yet, 0 ok, 1 no "
                 "convergence, 2 numerical failure, 3 infeasible; rows of failed tasks are NaN"));
    h5::attr(d, "codes",
             std::string("-1 not_run, 0 ok, 1 no_convergence, 2 numerical_failure, 3 infeasible"));
  }
  {
    const hsize_t chunk = std::min<hsize_t>(std::max<hsize_t>(n, 1), 2048);
    Handle sp(H5Screate_simple(1, &n, nullptr));
    Handle t = message_type();
    const std::string zero(kMessageLength, '\0');
    Handle dcpl = work ? dcpl_work(t, zero.data()) : dcpl_chunked(1, &chunk);
    Handle d(h5::check(H5Dcreate2(g, "status_message", t, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                       "create status_message"));
    h5::attr(d, "description",
             "why each task failed (empty when it is ok): UTF-8, NUL-padded to " +
                 std::to_string(kMessageLength) + " bytes");
  }
}

void archive_create(const std::filesystem::path& path, const io::Job& job, const Inputs& inputs,
                    const std::vector<InputFile>& files, const std::vector<AnalysisLayout>& layouts,
                    const RunInfo& info, ShardSpec shard) {
  h5::quiet();
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  Handle fcpl(H5Pcreate(H5P_FILE_CREATE));
  H5Pset_obj_track_times(fcpl, 0);
  H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
  H5Pset_fapl_sec2(fapl);
  // Written beside the final name and renamed into place when complete: a kill while the work
  // file is being laid out leaves no file at `path` (a --resume then simply starts).
  const std::filesystem::path tmp = path.string() + ".tmp";
  try {
    Handle f(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, fcpl, fapl));
    REVEST_REQUIRE(
        f.get() >= 0,
        tmp.string() << ": cannot create archive (check the directory exists and is writable)");
    try {
      h5::attr(f, "format", std::string("revest-archive"));
      h5::attr(f, "format_version", kArchiveFormatVersion);
      h5::attr(f, "complete", std::int64_t{0});
      h5::attr(f, "shard_index", static_cast<std::int64_t>(shard.index));
      h5::attr(f, "shard_count", static_cast<std::int64_t>(shard.count));
      Handle meta = h5::group(f, "/meta");
      h5::write_text(meta, "job_file", job.text);
      h5::write_text(meta, "effective_config", job.effective_toml());
      h5::write_text(meta, "config_fingerprint", job.fingerprint_toml());
      for (const auto& [nm, desc] :
           {std::pair<const char*, const char*>{"job_file", "the job file's text, verbatim"},
            {"effective_config",
             "the job's effective configuration: every default filled in, "
             "paths resolved (TOML)"},
            {"config_fingerprint",
             "the effective configuration without file locations and "
             "[slurm]: what must be equal for --resume (TOML)"}}) {
        Handle d(h5::check(H5Dopen2(meta, nm, H5P_DEFAULT), std::string("open /meta/") + nm));
        h5::attr(d, "description", std::string(desc));
      }
      h5::attr(meta, "job_name", job.name);
      h5::attr(meta, "job_path", job.file);
      h5::attr(meta, "seed", static_cast<std::int64_t>(job.seed));
      embed_input_files(meta, files);
      {
        h5::attr(meta, "mpi_size", static_cast<std::int64_t>(info.mpi_size));
        h5::attr(meta, "hosts", info.hosts);
        h5::attr(meta, "start_time", info.start_time);
        h5::attr(meta, "git_describe", std::string(build::kGitDescribe));
        h5::attr(meta, "revest_version", std::string(build::kVersion));
        h5::attr(meta, "compiler", std::string(build::kCompiler) + " (" + build::kBuildType + ")");
        h5::attr(meta, "libraries", library_versions(info));
        create_segment_log(meta);
      }
      write_inputs(f, inputs);
      Handle an = h5::group(f, "/analyses");
      std::vector<std::string> names;
      for (const auto& a : layouts) {
        create_analysis_datasets(f, a, /*work=*/true);
        names.push_back(a.name);
      }
      h5::attr(an, "order", names);
      write_segment(f, 0, segment_text(info));
      h5::check_status(H5Fflush(f, H5F_SCOPE_GLOBAL), "flush");
    } catch (...) {
      // On a full disk HDF5 cannot flush while closing, and a failed H5Fclose crashes HDF5 later:
      // empty the file and flush again, so that the close has room (as assemble_archive does).
      [[maybe_unused]] const int r = ::truncate(tmp.c_str(), 0);
      H5Fflush(f, H5F_SCOPE_GLOBAL);
      throw;
    }
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  REVEST_REQUIRE(
      !ec, "cannot rename " << tmp.string() << " to " << path.string() << ": " << ec.message());
}

}  // namespace revest::driver
