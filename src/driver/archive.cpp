#include "driver/archive.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <petscversion.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <Eigen/Core>
#include <algorithm>
#include <boost/version.hpp>
#include <cerrno>
#include <chrono>
#include <coin/ClpConfig.h>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <limits>
#include <sstream>
#include <spdlog/version.h>
#include <toml++/toml.h>

#include "build_info.hpp"
#include "core/error.hpp"

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

std::string sha256_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REVEST_REQUIRE(in, path.string() << ": cannot open file");
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) EVP_DigestUpdate(ctx, buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  return h5::to_hex(md, len);
}

std::string sha256_bytes(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  return h5::to_hex(md, len);
}

Handle archive_open(const std::filesystem::path& path, bool write) {
  h5::quiet();
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
  H5Pset_fapl_sec2(fapl);
  hid_t f = H5Fopen(path.c_str(), write ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl);
  REVEST_REQUIRE(f >= 0, path.string() << ": cannot open as an HDF5 archive (corrupt, truncated, or not HDF5)");
  return Handle(f);
}

ArchiveState archive_state(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) return ArchiveState::kAbsent;
  h5::quiet();
  if (H5Fis_hdf5(path.c_str()) <= 0) return ArchiveState::kNotAnArchive;
  try {
    Handle f = archive_open(path, false);
    if (!h5::has_attr(f, "format") || h5::attr_string(f, "format") != "revest-archive")
      return ArchiveState::kNotAnArchive;
    return h5::attr_int(f, "complete") == 1 ? ArchiveState::kComplete : ArchiveState::kIncomplete;
  } catch (const Error&) {
    return ArchiveState::kNotAnArchive;
  }
}

namespace {

std::string library_versions(const RunInfo& info) {
  std::ostringstream os;
  os << "hdf5 " << h5::library_version() << "; mpi " << info.mpi_version << "; petsc "
     << PETSC_VERSION_MAJOR << "." << PETSC_VERSION_MINOR << "." << PETSC_VERSION_SUBMINOR
     << "; eigen " << EIGEN_WORLD_VERSION << "." << EIGEN_MAJOR_VERSION << "." << EIGEN_MINOR_VERSION
     << "; boost " << BOOST_VERSION / 100000 << "." << BOOST_VERSION / 100 % 1000 << "."
     << BOOST_VERSION % 100 << "; clp " << CLP_VERSION << "; toml++ " << TOML_LIB_MAJOR << "."
     << TOML_LIB_MINOR << "." << TOML_LIB_PATCH << "; spdlog " << SPDLOG_VER_MAJOR << "."
     << SPDLOG_VER_MINOR << "." << SPDLOG_VER_PATCH << "; openssl "
     << OpenSSL_version(OPENSSL_VERSION);
  return os.str();
}

void write_inputs(hid_t file, const Inputs& in) {
  Handle data = h5::group(file, "/data");
  h5::attr(data, "description", std::string("the inputs exactly as the analyses used them"));
  const auto& geo = in.geo;
  Table counties{"counties", "county table (order = county index used everywhere)", {}};
  std::vector<std::int64_t> code, ref;
  std::vector<std::string> name, name_ref, prov, pref;
  std::vector<double> lon, lat, area;
  for (const auto& c : geo.counties) {
    code.push_back(c.adcode);
    ref.push_back(c.adcode_ref);
    name.push_back(c.name);
    name_ref.push_back(c.name_ref);
    prov.push_back(c.province_en);
    pref.push_back(c.prefecture);
    lon.push_back(c.lon);
    lat.push_back(c.lat);
    area.push_back(c.area_km2);
  }
  counties.columns = {{"adcode", code, "GB/T 2260 county code of the source geography"},
                      {"adcode_ref", ref, "2022 official county code"},
                      {"name", name, "county name in the source geography (Chinese, UTF-8)"},
                      {"name_ref", name_ref, "2022 official county name (Chinese, UTF-8)"},
                      {"province", prov, "province (English)"},
                      {"prefecture", pref, "prefecture (Chinese, UTF-8)"},
                      {"centroid_lon", lon, "longitude of the area-weighted centroid", "degree_east"},
                      {"centroid_lat", lat, "latitude of the area-weighted centroid", "degree_north"},
                      {"area_km2", area, "area", "km2"}};
  h5::write_table(data, counties);
  auto edges = [&](const std::vector<io::Edge>& es, const char* nm, const char* wdesc, const char* wunits) {
    std::vector<std::int64_t> i, j;
    std::vector<double> w;
    for (const auto& e : es) {
      i.push_back(e.i);
      j.push_back(e.j);
      w.push_back(e.weight);
    }
    h5::write_table(data, Table{nm, std::string(nm) + " contiguity edges (county indices, i < j)",
                                {{"i", i, "county index of one end (row of /data/counties, from 0)"},
                                 {"j", j, "county index of the other end (i < j)"},
                                 {"weight", w, wdesc, wunits}}});
  };
  edges(geo.queen, "queen", "weight of the link (1: the counties share a border or a vertex)", "1");
  edges(geo.rook, "rook", "shared border length", "km");
  const auto& p = in.panel;
  Table panel{"panel", "county x year panel as used (rows county-major)", {}};
  std::vector<std::int64_t> pc, py;
  for (std::size_t i = 0; i < p.num_counties; ++i)
    for (int y : p.years) {
      pc.push_back(geo.counties[i].adcode_ref);
      py.push_back(y);
    }
  panel.columns.push_back({"adcode", pc, "2022 official county code"});
  panel.columns.push_back({"year", py, "year"});
  for (std::size_t v = 0; v < p.variables.size(); ++v) {
    const io::Indicator* ind = in.indicators.find(p.variables[v]);
    panel.columns.push_back({p.variables[v], p.values[v],
                             ind ? ind->label + " (" + ind->unit + ")" : "panel variable " + p.variables[v],
                             ind ? ind->unit : std::string()});
  }
  h5::write_table(data, panel);
  Table ind{"indicators", "indicator system", {}};
  std::vector<std::string> n, l, u, g, dom, uses;
  std::vector<std::int64_t> dir;
  for (const auto& x : in.indicators.indicators) {
    n.push_back(x.name);
    l.push_back(x.label);
    u.push_back(x.unit);
    g.push_back(x.group);
    dom.push_back(io::to_string(x.domain));
    dir.push_back(x.direction);
    std::string us;
    for (const auto& s : x.uses) us += (us.empty() ? "" : ",") + s;
    uses.push_back(us);
  }
  ind.columns = {{"name", n, "variable name (column of /data/panel)"},
                 {"label", l, "human-readable name"},
                 {"unit", u, "unit of the values as stored"},
                 {"group", g, "dea_input, dea_output, environment, digital_economy, policy, outcome, threshold or control"},
                 {"direction", dir, "+1 benefit, -1 cost"},
                 {"domain", dom, "values the analyses accept: any, nonnegative or positive"},
                 {"uses", uses, "analyses that use the variable (comma-separated)"}};
  h5::write_table(data, ind);
  if (!in.projects.params.empty()) {
    Table pt{"projects", "real-option project parameters as used (rows county-major, modes primary, "
                         "secondary, tertiary); columns as in projects.csv", {}};
    std::vector<std::int64_t> code;
    std::vector<std::string> mode;
    std::vector<double> c[12];
    for (std::size_t i = 0; i < in.projects.num_counties(); ++i)
      for (std::size_t m = 0; m < io::kModes.size(); ++m) {
        const io::ProjectParams& p = in.projects.at(i, m);
        code.push_back(geo.counties[i].adcode_ref);
        mode.push_back(io::kModes[m]);
        const double v[12] = {p.v0, p.investment, p.sigma, p.mu, p.required_return, p.delta, p.r,
                              p.horizon, p.dig_index, p.cost_semi_elasticity,
                              p.drift_semi_elasticity, p.vol_semi_elasticity};
        for (int k = 0; k < 12; ++k) c[k].push_back(v[k]);
      }
    // data/README.md section 8.
    const char* names[12][3] = {
        {"v0", "project value today V0", "10k yuan"},
        {"investment", "investment cost I", "10k yuan"},
        {"sigma", "volatility of V", "1/sqrt(year)"},
        {"mu", "real-world drift of V", "1/year"},
        {"required_return", "risk-adjusted required return of V", "1/year"},
        {"delta", "payout yield of V (required_return - mu)", "1/year"},
        {"r", "risk-free rate", "1/year"},
        {"horizon", "life of the investment opportunity", "year"},
        {"dig_index", "the county's digital index d", "1"},
        {"cost_semi_elasticity", "eta_I: d ln I / d d", "1"},
        {"drift_semi_elasticity", "eta_mu: d mu / d d", "1/year"},
        {"vol_semi_elasticity", "eta_sigma: d ln sigma / d d", "1"}};
    pt.columns = {{"adcode", code, "2022 official county code"},
                  {"mode", mode, "industry mode: primary, secondary or tertiary"}};
    for (int k = 0; k < 12; ++k) pt.columns.push_back({names[k][0], c[k], names[k][1], names[k][2]});
    h5::write_table(data, pt);
  }
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

constexpr hsize_t kSegmentSlots = 256;     ///< run segments a work file can log
constexpr std::size_t kSegmentLength = 512;  ///< bytes per segment line

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

void write_segment(hid_t file, hsize_t slot, const std::string& text) {
  REVEST_REQUIRE(slot < kSegmentSlots, "archive: more than " << kSegmentSlots << " run segments (resumes) in one archive");
  Handle d(h5::check(H5Dopen2(file, "/meta/segments", H5P_DEFAULT), "open /meta/segments"));
  Handle fs(H5Dget_space(d));
  const hsize_t one = 1;
  H5Sselect_hyperslab(fs, H5S_SELECT_SET, &slot, nullptr, &one, nullptr);
  Handle ms(H5Screate_simple(1, &one, nullptr));
  std::string buf(kSegmentLength, '\0');
  std::memcpy(buf.data(), text.data(), std::min(text.size(), kSegmentLength - 1));
  Handle t = h5::fixed_string_type(kSegmentLength);
  h5::check_status(H5Dwrite(d, t, ms, fs, H5P_DEFAULT, buf.data()), "write run segment");
}

std::string segment_text(const RunInfo& info) {
  std::ostringstream os;
  os << "start=" << info.start_time << " mpi_size=" << info.mpi_size;
  if (const char* j = std::getenv("SLURM_JOB_ID")) os << " slurm_job=" << j;
  if (const char* r = std::getenv("SLURM_RESTART_COUNT")) os << " restart=" << r;
  // Hosts last and compressed (host*ranks), cut short so that a stop note still fits the line.
  std::string hosts;
  for (std::size_t r = 0; r < info.hosts.size();) {
    std::size_t e = r;
    while (e < info.hosts.size() && info.hosts[e] == info.hosts[r]) ++e;
    hosts.append(hosts.empty() ? "" : ",").append(info.hosts[r]);
    if (e - r > 1) hosts.append("*").append(std::to_string(e - r));
    r = e;
  }
  if (hosts.size() > 200) hosts = hosts.substr(0, 197) + "...";
  os << " hosts=" << hosts;
  return os.str();
}

}  // namespace

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
    Handle d(h5::check(H5Dcreate2(reps, spec.name.c_str(), H5T_IEEE_F64LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT),
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
    Handle d(h5::check(H5Dcreate2(g, "status", H5T_STD_I32LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT), "create status"));
    h5::attr(d, "description", std::string("outcome of each task (row of the replications): -1 not run yet, 0 ok, 1 no "
                                           "convergence, 2 numerical failure, 3 infeasible; rows of failed tasks are NaN"));
    h5::attr(d, "codes", std::string("-1 not_run, 0 ok, 1 no_convergence, 2 numerical_failure, 3 infeasible"));
  }
  {
    const hsize_t chunk = std::min<hsize_t>(std::max<hsize_t>(n, 1), 2048);
    Handle sp(H5Screate_simple(1, &n, nullptr));
    Handle t = message_type();
    const std::string zero(kMessageLength, '\0');
    Handle dcpl = work ? dcpl_work(t, zero.data()) : dcpl_chunked(1, &chunk);
    Handle d(h5::check(H5Dcreate2(g, "status_message", t, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT), "create status_message"));
    h5::attr(d, "description", "why each task failed (empty when it is ok): UTF-8, NUL-padded to " +
                                   std::to_string(kMessageLength) + " bytes");
  }
}

namespace {
}  // namespace

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
    REVEST_REQUIRE(f.get() >= 0, tmp.string() << ": cannot create archive (check the directory exists and is writable)");
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
      for (const auto& [nm, desc] : {std::pair<const char*, const char*>{"job_file", "the job file's text, verbatim"},
                                     {"effective_config", "the job's effective configuration: every default filled in, "
                                                          "paths resolved (TOML)"},
                                     {"config_fingerprint", "the effective configuration without file locations and "
                                                            "[slurm]: what must be equal for --resume (TOML)"}}) {
        Handle d(h5::check(H5Dopen2(meta, nm, H5P_DEFAULT), std::string("open /meta/") + nm));
        h5::attr(d, "description", std::string(desc));
      }
      h5::attr(meta, "job_name", job.name);
      h5::attr(meta, "job_path", job.file);
      h5::attr(meta, "seed", static_cast<std::int64_t>(job.seed));
      {
        std::vector<std::string> r, p, s;
        Handle fg = h5::group(meta, "files");
        h5::attr(fg, "description", std::string("every input file, byte for byte (revest rerun / verify / merge read them)"));
        for (const auto& x : files) {
          r.push_back(x.role);
          p.push_back(x.path);
          s.push_back(x.sha256);
          const std::string from = x.read_from.empty() ? x.path : x.read_from;
          std::ifstream in(from, std::ios::binary);
          REVEST_REQUIRE(in, from << ": cannot open input file to embed it in the archive");
          std::stringstream ss;
          ss << in.rdbuf();
          const std::string bytes = ss.str();
          REVEST_REQUIRE(sha256_bytes(bytes) == x.sha256, from << ": changed while the job was being read (SHA-256 differs); run again");
          h5::write_bytes(fg, x.role, bytes);
          Handle d(h5::check(H5Dopen2(fg, x.role.c_str(), H5P_DEFAULT), "open embedded " + x.role));
          h5::attr(d, "description", "input file '" + x.role + "', byte for byte (read from `path`)");
          h5::attr(d, "path", x.path);
          h5::attr(d, "sha256", x.sha256);
        }
        h5::write_table(meta, Table{"inputs", "input files and their SHA-256",
                                    {{"path", p, "the file as the job named it (resolved against the job file's directory)"},
                                     {"sha256", s, "SHA-256 of the file's bytes (lower-case hex)"},
                                     {"role", r, "job, defaults, indicators, counties, queen, rook, panel or projects"}}});
      }
      {
        h5::attr(meta, "mpi_size", static_cast<std::int64_t>(info.mpi_size));
        h5::attr(meta, "hosts", info.hosts);
        h5::attr(meta, "start_time", info.start_time);
        h5::attr(meta, "git_describe", std::string(build::kGitDescribe));
        h5::attr(meta, "revest_version", std::string(build::kVersion));
        h5::attr(meta, "compiler", std::string(build::kCompiler) + " (" + build::kBuildType + ")");
        h5::attr(meta, "libraries", library_versions(info));
        const hsize_t n = kSegmentSlots;
        Handle sp(H5Screate_simple(1, &n, nullptr));
        Handle t = h5::fixed_string_type(kSegmentLength);
        const std::string zero(kSegmentLength, '\0');
        Handle dcpl = dcpl_work(t, zero.data());
        Handle d(h5::check(H5Dcreate2(meta, "segments", t, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT), "create /meta/segments"));
        h5::attr(d, "description", std::string("run-segment log of the work file, one line per run or resume (the final "
                                               "archive keeps it as the attribute /meta run_segments)"));
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
  REVEST_REQUIRE(!ec, "cannot rename " << tmp.string() << " to " << path.string() << ": " << ec.message());
}

std::vector<std::string> archive_segments(hid_t file) {
  std::vector<std::string> out;
  if (!h5::exists(file, "/meta/segments")) {  // a final archive: the segments are an attribute
    Handle meta(h5::check(H5Gopen2(file, "/meta", H5P_DEFAULT), "open /meta"));
    if (h5::has_attr(meta, "run_segments")) out = h5::attr_strings(meta, "run_segments");
    return out;
  }
  Handle d(h5::check(H5Dopen2(file, "/meta/segments", H5P_DEFAULT), "open /meta/segments"));
  Handle t = h5::fixed_string_type(kSegmentLength);
  std::string buf(kSegmentSlots * kSegmentLength, '\0');
  h5::check_status(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), "read /meta/segments");
  for (hsize_t k = 0; k < kSegmentSlots; ++k) {
    const char* p = buf.data() + k * kSegmentLength;
    const std::size_t len = strnlen(p, kSegmentLength);
    if (len == 0) break;
    out.emplace_back(p, len);
  }
  return out;
}

void archive_segment_note(const std::filesystem::path& path, const std::string& text) {
  Handle f = archive_open(path, true);
  const auto segs = archive_segments(f);
  if (segs.empty()) return;
  write_segment(f, segs.size() - 1, segs.back() + " " + text);
  h5::check_status(H5Fflush(f, H5F_SCOPE_GLOBAL), "flush");
}

ShardSpec archive_shard(hid_t f) {
  ShardSpec s;
  if (h5::has_attr(f, "shard_count")) {
    s.index = static_cast<int>(h5::attr_int(f, "shard_index"));
    s.count = static_cast<int>(h5::attr_int(f, "shard_count"));
  }
  return s;
}

std::vector<std::size_t> shard_tasks(std::size_t n, ShardSpec s) {
  const std::size_t K = static_cast<std::size_t>(std::max(1, s.count)), k = static_cast<std::size_t>(s.index);
  std::vector<std::size_t> out;
  for (std::size_t t = n * k / K; t < n * (k + 1) / K; ++t) out.push_back(t);
  return out;
}

std::filesystem::path shard_path(const std::filesystem::path& output, ShardSpec s) {
  if (!s.sharded()) return output;
  std::filesystem::path p = output;
  const std::string ext = p.has_extension() ? p.extension().string() : std::string(".h5");
  p.replace_filename(output.stem().string() + ".shard-" + std::to_string(s.index) + "-of-" +
                     std::to_string(s.count) + ext);
  return p;
}

std::filesystem::path replacement_path(const std::filesystem::path& output) { return output.string() + ".new"; }

std::uint64_t input_bytes(const std::vector<InputFile>& files) {
  std::uint64_t n = 0;
  for (const auto& f : files) {
    std::error_code ec;
    const auto s = std::filesystem::file_size(f.read_from.empty() ? f.path : f.read_from, ec);
    if (!ec) n += s;
  }
  return n;
}

ArchiveSize estimate_archive_size(const std::vector<AnalysisLayout>& layouts, std::uint64_t inputs, ShardSpec shard) {
  ArchiveSize z;
  // /meta embeds every input file (compressed) and /data holds them as used: about their size
  // (the smoke job: 1.9 MB for 3.9 MB of input files), plus HDF5's structures and the run-segment log.
  const std::uint64_t fixed = inputs + (std::uint64_t{1} << 20) + kSegmentSlots * kSegmentLength;
  z.work = z.final = fixed;
  for (const auto& a : layouts) {
    std::uint64_t row = 0;
    for (const auto& s : a.specs) row += s.row_size() * sizeof(double);
    const std::uint64_t K = static_cast<std::uint64_t>(std::max(1, shard.count)), k = static_cast<std::uint64_t>(shard.index);
    const std::uint64_t mine = a.num_tasks * (k + 1) / K - a.num_tasks * k / K;  // as shard_tasks, uncounted
    const std::uint64_t per_task = sizeof(std::int32_t) + kMessageLength;  // status, message: every task
    z.rows += mine * row;
    z.work += mine * row + a.num_tasks * per_task;
    z.final += mine * row + a.num_tasks * per_task;
  }
  return z;
}

std::filesystem::path existing_directory(const std::filesystem::path& path) {
  std::filesystem::path p = std::filesystem::absolute(path).lexically_normal();
  std::error_code ec;
  if (!std::filesystem::is_directory(p, ec)) p = p.parent_path();
  while (!p.empty() && p != p.root_path() && !std::filesystem::is_directory(p, ec)) p = p.parent_path();
  return p.empty() ? std::filesystem::path("/") : p;
}

std::uint64_t free_bytes(const std::filesystem::path& path) {
  const std::filesystem::path dir = existing_directory(path);
  struct statvfs st {};
  REVEST_REQUIRE(::statvfs(dir.c_str(), &st) == 0, dir.string() << ": cannot read the file system's free space ("
                                                                << std::strerror(errno) << ")");
  return static_cast<std::uint64_t>(st.f_bavail) * static_cast<std::uint64_t>(st.f_frsize);
}

std::string format_bytes(std::uint64_t bytes) {
  static const char* units[] = {"bytes", "kB", "MB", "GB", "TB", "PB", "EB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 999.5 && u < 6) {
    v /= 1000;
    ++u;
  }
  std::ostringstream os;
  if (u == 0) os << bytes << " bytes";
  else os << std::setprecision(v < 10 ? 2 : 3) << v << " " << units[u];
  return os.str();
}

int reserve_space(const std::filesystem::path& path, std::uint64_t bytes) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return errno;
  int err = ::fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(bytes)) == 0 ? 0 : errno;
  if (err == ENOSYS) err = EOPNOTSUPP;
  ::close(fd);
  return err;
}

void release_unused_space(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec) [[maybe_unused]] const int r = ::truncate(path.c_str(), static_cast<off_t>(size));
}

std::uint64_t unallocated_bytes(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  const std::uint64_t size = static_cast<std::uint64_t>(st.st_size), used = static_cast<std::uint64_t>(st.st_blocks) * 512;
  return size > used ? size - used : 0;
}

bool archive_reserve(const std::filesystem::path& work, const std::vector<AnalysisLayout>& layouts,
                     const std::vector<std::vector<std::size_t>>& tasks) {
  // The byte ranges of the rows: the datasets are contiguous in a work file (H5Dget_offset).
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;  // offset, length
  {
    Handle f = archive_open(work, false);
    for (std::size_t ai = 0; ai < layouts.size() && ai < tasks.size(); ++ai)
      for (const auto& spec : layouts[ai].specs) {
        const std::string p = "/analyses/" + layouts[ai].name + "/replications/" + spec.name;
        Handle d(h5::check(H5Dopen2(f, p.c_str(), H5P_DEFAULT), "open " + p));
        const haddr_t at = H5Dget_offset(d);
        const std::uint64_t row = spec.row_size() * sizeof(double);
        if (at == HADDR_UNDEF || row == 0) continue;
        const auto& t = tasks[ai];
        for (std::size_t a = 0; a < t.size();) {
          std::size_t b = a + 1;
          while (b < t.size() && t[b] == t[b - 1] + 1) ++b;
          ranges.emplace_back(at + t[a] * row, (t[b - 1] + 1 - t[a]) * row);
          a = b;
        }
      }
  }
  const int fd = ::open(work.c_str(), O_RDWR | O_CLOEXEC);
  REVEST_REQUIRE(fd >= 0, work.string() << ": cannot open to reserve its rows (" << std::strerror(errno) << ")");
  std::uint64_t total = 0;
  for (const auto& r : ranges) total += r.second;
  for (const auto& [off, len] : ranges) {
    // KEEP_SIZE: the file's size (HDF5's end of file) never changes; only blocks get allocated.
    if (::fallocate(fd, FALLOC_FL_KEEP_SIZE, static_cast<off_t>(off), static_cast<off_t>(len)) == 0) continue;
    const int e = errno;
    ::close(fd);
    if (e == EOPNOTSUPP || e == ENOSYS) return false;
    REVEST_FAIL((e == ENOSPC || e == EDQUOT ? "disk full: " : "") << "cannot reserve " << format_bytes(total)
                << " for the rows of the work file " << work.string() << " on " << existing_directory(work).string()
                << " (" << std::strerror(e) << "; " << format_bytes(free_bytes(work)) << " free now)");
  }
  ::close(fd);
  return true;
}

ShardSpec parse_shard(const std::string& text) {
  ShardSpec s;
  const auto slash = text.find('/');
  bool ok = slash != std::string::npos && slash > 0 && slash + 1 < text.size();
  if (ok) {
    try {
      std::size_t a = 0, b = 0;
      s.index = std::stoi(text.substr(0, slash), &a);
      s.count = std::stoi(text.substr(slash + 1), &b);
      ok = a == slash && b == text.size() - slash - 1;
    } catch (const std::exception&) {
      ok = false;
    }
  }
  REVEST_REQUIRE(ok && s.count >= 1 && s.index >= 0 && s.index < s.count,
                 "--shard '" << text << "': expected K/N with 0 <= K < N (e.g. 2/4, the SLURM array index)");
  return s;
}

void archive_check_same_run(hid_t f, const std::filesystem::path& path, const io::Job& job,
                            const std::vector<InputFile>& files, ShardSpec shard) {
  const ShardSpec have = archive_shard(f);
  REVEST_REQUIRE(have.index == shard.index && have.count == shard.count,
                 path.string() << ": the archive is " << (have.sharded() ? "shard " + have.str() : std::string("an unsharded run"))
                               << ", not " << (shard.sharded() ? "shard " + shard.str() : std::string("an unsharded run"))
                               << "; use the same --shard (or `revest merge` for shards)");
  Handle meta(h5::check(H5Gopen2(f, "/meta", H5P_DEFAULT), "open /meta"));
  REVEST_REQUIRE(h5::exists(meta, "config_fingerprint"),
                 path.string() << ": archive has no configuration fingerprint (written by an older revest); "
                                  "use --force to start over");
  REVEST_REQUIRE(h5::read_text(meta, "config_fingerprint") == job.fingerprint_toml(),
                 path.string() << ": the archive was written by a different job configuration (compare "
                                  "/meta/effective_config with `revest validate`); use --force to start over, "
                                  "or another --output");
  const Table inputs = h5::read_table(meta, "inputs");
  const auto& sp = std::get<std::vector<std::string>>(inputs.columns[0].data);
  const auto& ss = std::get<std::vector<std::string>>(inputs.columns[1].data);
  REVEST_REQUIRE(sp.size() == files.size(), path.string() << ": the archive was written from other input files; "
                                                             "use --force to start over");
  // The job and defaults files are covered by the fingerprint (comments may change); the data
  // files must have the same content wherever they are now.
  for (std::size_t k = 0; k < files.size(); ++k)
    if (files[k].role != "job" && files[k].role != "defaults")
    REVEST_REQUIRE(ss[k] == files[k].sha256,
                   path.string() << ": input " << files[k].path << " has changed since the archive was written (SHA-256 "
                                 << files[k].sha256.substr(0, 12) << " now, " << ss[k].substr(0, 12) << " then, file "
                                 << sp[k] << "); use --force to start over");
}

std::vector<std::vector<std::size_t>> archive_pending(const std::filesystem::path& path,
                                                      const io::Job& job,
                                                      const std::vector<InputFile>& files,
                                                      const std::vector<AnalysisLayout>& layouts,
                                                      const RunInfo& info, ShardSpec shard) {
  Handle f = archive_open(path, true);
  archive_check_same_run(f, path, job, files, shard);
  REVEST_REQUIRE(h5::exists(f, "/meta/segments"),
                 path.string() << ": not a work file of an interrupted run (no /meta/segments); use --force to start over");
  // Raw data only (the segment log): a kill here cannot corrupt the file.
  write_segment(f, archive_segments(f).size(), segment_text(info));
  std::vector<std::vector<std::size_t>> pending;
  const std::vector<std::size_t> none;
  for (const auto& a : layouts) {
    const std::vector<std::int32_t> st = archive_read_status(f, a.name);
    REVEST_REQUIRE(st.size() == a.num_tasks, path.string() << ": analysis '" << a.name << "' has " << st.size()
                                                           << " tasks in the archive, " << a.num_tasks << " in the job");
    std::vector<std::size_t> todo;
    for (std::size_t t : shard_tasks(a.num_tasks, shard))
      if (st[t] == static_cast<std::int32_t>(TaskStatus::kNotRun)) todo.push_back(t);
    pending.push_back(std::move(todo));
  }
  h5::check_status(H5Fflush(f, H5F_SCOPE_GLOBAL), "flush");
  return pending;
}

// ---------------------------------------------------------------- parallel writes

ParallelArchive::ParallelArchive(const std::filesystem::path& path, MPI_Comm comm) : path_(path) {
  h5::quiet();
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
  H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
  H5Pset_all_coll_metadata_ops(fapl, 1);
  H5Pset_coll_metadata_write(fapl, 1);
  file_ = Handle(H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl));
  REVEST_REQUIRE(file_.get() >= 0, path.string() << ": cannot open archive with MPI-IO");
  dxpl_ = Handle(H5Pcreate(H5P_DATASET_XFER));
  H5Pset_dxpl_mpio(dxpl_, H5FD_MPIO_COLLECTIVE);
}

ParallelArchive::~ParallelArchive() {
  // Errors on destruction cannot be reported; close() is the checked path.
}

void ParallelArchive::close() { file_.reset(); }

void ParallelArchive::abandon() {
  file_.release();
  dxpl_.reset();
}


namespace {
/// Selects rows `tasks` (sorted) of a dataset with trailing dims `rest` in `space`.
void select_rows(hid_t space, const std::vector<std::size_t>& tasks, const std::vector<hsize_t>& rest) {
  if (tasks.empty()) {
    H5Sselect_none(space);
    return;
  }
  std::vector<hsize_t> start(rest.size() + 1, 0), count(rest.size() + 1);
  for (std::size_t k = 0; k < rest.size(); ++k) count[k + 1] = rest[k];
  bool first = true;
  for (std::size_t a = 0; a < tasks.size();) {
    std::size_t b = a + 1;
    while (b < tasks.size() && tasks[b] == tasks[b - 1] + 1) ++b;
    start[0] = tasks[a];
    count[0] = b - a;
    H5Sselect_hyperslab(space, first ? H5S_SELECT_SET : H5S_SELECT_OR, start.data(), nullptr, count.data(), nullptr);
    first = false;
    a = b;
  }
}
}  // namespace

namespace {
void write_selection(hid_t file, hid_t dxpl, const std::string& path, hid_t mem_type, const void* buf,
                     const std::vector<std::size_t>& tasks, std::size_t row_elems,
                     const std::vector<hsize_t>& rest) {
  Handle d(h5::check(H5Dopen2(file, path.c_str(), H5P_DEFAULT), "open " + path));
  Handle fs(H5Dget_space(d));
  select_rows(fs, tasks, rest);
  const hsize_t nmem = std::max<hsize_t>(1, tasks.size() * row_elems);
  Handle ms(H5Screate_simple(1, &nmem, nullptr));
  if (tasks.empty()) H5Sselect_none(ms);
  h5::check_status(H5Dwrite(d, mem_type, ms, fs, dxpl, buf), "collective write of " + path);
}
}  // namespace

void ParallelArchive::guarded(const std::function<void()>& write, const std::string& what, std::uint64_t bytes) {
  h5::clear_failure_errno();
  try {
    write();
  } catch (const Error& e) {
    // Rows are reserved on disk when the work file is created (archive_reserve), so this happens
    // only without that (--ignore-free-space, or a file system that cannot reserve). MPI-IO does not
    // say why a write failed: a file system left with less room than the write needed was full.
    const int err = h5::failure_errno();
    std::uint64_t free = 0;
    try {
      free = free_bytes(path_);
    } catch (const Error&) {
      throw e;
    }
    if (err != ENOSPC && err != EDQUOT && free >= bytes + (std::uint64_t{1} << 20)) throw;
    REVEST_FAIL("disk full: " << what << " in the work file " << path_.string() << " failed, and "
                              << existing_directory(path_).string() << " has " << format_bytes(free)
                              << " free. The tasks checkpointed before are kept: free space there and resume the "
                                 "run (--resume); " << e.what());
  }
}

void ParallelArchive::write_rows(const AnalysisLayout& layout, const std::vector<std::size_t>& tasks,
                                 const std::vector<std::vector<double>>& rows) {
  const std::string base = "/analyses/" + layout.name;
  static const double dummy_d = 0;
  for (std::size_t s = 0; s < layout.specs.size(); ++s) {
    std::vector<hsize_t> rest(layout.specs[s].shape.begin(), layout.specs[s].shape.end());
    const void* buf = tasks.empty() ? static_cast<const void*>(&dummy_d) : rows[s].data();
    guarded([&] {
      write_selection(file_, dxpl_, base + "/replications/" + layout.specs[s].name, H5T_NATIVE_DOUBLE, buf, tasks,
                      layout.specs[s].row_size(), rest);
    }, "writing the rows of analysis '" + layout.name + "'", tasks.size() * layout.specs[s].row_size() * sizeof(double));
  }
}

void ParallelArchive::checkpoint(const AnalysisLayout& layout, const std::vector<std::size_t>& tasks,
                                 const std::vector<std::int32_t>& status,
                                 const std::vector<std::string>& messages) {
  const std::string base = "/analyses/" + layout.name;
  // Rows and messages reach the disk before the status that marks them done: a kill before the
  // last flush leaves those tasks marked not run, and a resume computes them again.
  std::vector<char> msg(std::max<std::size_t>(1, tasks.size()) * kMessageLength, 0);
  for (std::size_t k = 0; k < messages.size(); ++k) {
    std::size_t n = std::min(messages[k].size(), kMessageLength);
    // Never cut a UTF-8 character in two: back up over continuation bytes.
    if (n < messages[k].size())
      while (n > 0 && (static_cast<unsigned char>(messages[k][n]) & 0xC0) == 0x80) --n;
    std::memcpy(msg.data() + k * kMessageLength, messages[k].data(), n);
  }
  Handle mt = message_type();
  write_selection(file_, dxpl_, base + "/status_message", mt, msg.data(), tasks, 1, {});
  h5::check_status(H5Fflush(file_, H5F_SCOPE_GLOBAL), "flush (rows)");
  static const std::int32_t dummy_i = 0;
  write_selection(file_, dxpl_, base + "/status", H5T_NATIVE_INT32, tasks.empty() ? &dummy_i : status.data(),
                  tasks, 1, {});
  h5::check_status(H5Fflush(file_, H5F_SCOPE_GLOBAL), "flush (checkpoint)");
}

// ---------------------------------------------------------------- reading, summaries

ArchiveReader::ArchiveReader(hid_t file, const AnalysisLayout& layout) : file_(file), layout_(layout) {}

std::vector<std::int32_t> archive_read_status(hid_t file, const std::string& name) {
  Handle g(h5::check(H5Gopen2(file, ("/analyses/" + name).c_str(), H5P_DEFAULT), "open analysis " + name));
  return h5::read_int32s(g, "status");
}

std::string archive_read_messages(hid_t f, const std::string& name, std::size_t n) {
  const std::string p = "/analyses/" + name + "/status_message";
  Handle d(h5::check(H5Dopen2(f, p.c_str(), H5P_DEFAULT), "open " + p));
  Handle t = message_type();
  std::string buf(std::max<std::size_t>(n, 1) * kMessageLength, '\0');
  if (n) h5::check_status(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), "read " + p);
  return buf;
}

std::vector<TaskStatus> ArchiveReader::status() {
  if (status_.empty() && layout_.num_tasks > 0)
    for (auto s : archive_read_status(file_, layout_.name)) status_.push_back(static_cast<TaskStatus>(s));
  return status_;
}

std::vector<double> ArchiveReader::read_columns(std::size_t dataset, std::size_t c0, std::size_t c1) {
  const auto& spec = layout_.specs.at(dataset);
  REVEST_ASSERT(c0 <= c1 && c1 <= spec.row_size());
  const std::size_t B = layout_.num_tasks, w = c1 - c0;
  std::vector<double> out(B * w);
  if (B == 0 || w == 0) return out;
  Handle d(h5::check(H5Dopen2(file_, ("/analyses/" + layout_.name + "/replications/" + spec.name).c_str(), H5P_DEFAULT),
                     "open replications " + spec.name));
  Handle fs(H5Dget_space(d));
  const std::size_t nd = spec.shape.size();
  if (nd == 0) {
    H5Sselect_all(fs);
  } else {
    // Flat element range [c0, c1) of the row = union of hyperslabs along the last dimension.
    const std::size_t L = spec.shape.back();
    std::vector<hsize_t> start(nd + 1, 0), count(nd + 1, 1);
    count[0] = B;
    bool first = true;
    for (std::size_t c = c0; c < c1;) {
      const std::size_t o = c / L, l = c % L;
      const std::size_t len = std::min(L - l, c1 - c);
      std::size_t rem = o;
      for (std::size_t k = nd - 1; k-- > 0;) {
        start[k + 1] = rem % spec.shape[k];
        rem /= spec.shape[k];
      }
      start[nd] = l;
      count[nd] = len;
      H5Sselect_hyperslab(fs, first ? H5S_SELECT_SET : H5S_SELECT_OR, start.data(), nullptr, count.data(), nullptr);
      first = false;
      c += len;
    }
  }
  const hsize_t n = out.size();
  Handle ms(H5Screate_simple(1, &n, nullptr));
  h5::check_status(H5Dread(d, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, out.data()), "read replications " + spec.name);
  // Rows of failed tasks are NaN for the estimator's summaries.
  const auto st = status();
  for (std::size_t b = 0; b < B; ++b)
    if (st[b] != TaskStatus::kOk)
      std::fill(out.begin() + static_cast<std::ptrdiff_t>(b * w), out.begin() + static_cast<std::ptrdiff_t>((b + 1) * w),
                std::numeric_limits<double>::quiet_NaN());
  return out;
}

void archive_write_summary(hid_t file, const AnalysisLayout& layout, const std::vector<Table>& tables,
                           double wall_seconds, double cpu_seconds) {
  Handle g(h5::check(H5Gopen2(file, ("/analyses/" + layout.name).c_str(), H5P_DEFAULT), "open analysis"));
  if (H5Lexists(g, "summary", H5P_DEFAULT) > 0) H5Ldelete(g, "summary", H5P_DEFAULT);
  Handle s = h5::group(g, "summary");
  std::vector<std::string> names;
  for (const auto& t : tables) {
    h5::write_table(s, t);
    names.push_back(t.name);
  }
  h5::attr(s, "tables", names);
  // Accumulated over run segments (a resume adds the time of the missing tasks).
  const double w0 = h5::has_attr(g, "wall_seconds") ? h5::attr_double(g, "wall_seconds") : 0.0;
  const double c0 = h5::has_attr(g, "cpu_seconds") ? h5::attr_double(g, "cpu_seconds") : 0.0;
  h5::attr(g, "wall_seconds", w0 + wall_seconds);
  h5::attr(g, "cpu_seconds", c0 + cpu_seconds);
}

void archive_finish(hid_t file, const std::string& end_time, double wall_seconds, double cpu_seconds) {
  Handle meta(h5::check(H5Gopen2(file, "/meta", H5P_DEFAULT), "open /meta"));
  h5::attr(meta, "end_time", end_time);
  const double w0 = h5::has_attr(meta, "wall_seconds") ? h5::attr_double(meta, "wall_seconds") : 0.0;
  const double c0 = h5::has_attr(meta, "cpu_seconds") ? h5::attr_double(meta, "cpu_seconds") : 0.0;
  h5::attr(meta, "wall_seconds", w0 + wall_seconds);
  h5::attr(meta, "cpu_seconds", c0 + cpu_seconds);
  h5::attr(file, "complete", std::int64_t{1});
  h5::check_status(H5Fflush(file, H5F_SCOPE_GLOBAL), "flush");
}

}  // namespace revest::driver
