#include "driver/runtime.hpp"

#include <spdlog/spdlog.h>

#include <stdlib.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <new>
#include <numeric>
#include <optional>
#include <sstream>
#include <thread>

#include "analyses/options_serialization.hpp"
#include "driver/assemble.hpp"
#include "driver/output_lock.hpp"

#include "core/error.hpp"
#include "driver/analyses.hpp"
#include "driver/archive_reader.hpp"
#include "driver/progress.hpp"
#include "io/csv.hpp"
#include "io/indicators.hpp"
#include "io/polygons.hpp"

namespace revest::driver {

namespace {
constexpr int kTagRequest = 7101;
constexpr int kTagReply = 7102;

double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

template <class T>
std::string to_bytes(const T& obj) {
  std::ostringstream os(std::ios::binary);
  {
    boost::archive::binary_oarchive oa(os);
    oa << obj;
  }
  return os.str();
}
template <class T>
void from_bytes(const std::string& s, T& obj) {
  std::istringstream is(s, std::ios::binary);
  boost::archive::binary_iarchive ia(is);
  ia >> obj;
}

/// What rank 0 sends the other ranks of a loaded job: its settings, the analyses' typed options,
/// the inputs and the input files (not the analyses' TOML, nor built analyses).
std::string job_to_bytes(const LoadedJob& L) {
  std::ostringstream os(std::ios::binary);
  {
    boost::archive::binary_oarchive oa(os);
    oa << L.job << L.specs << L.inputs << L.files;
  }
  return os.str();
}
void job_from_bytes(const std::string& s, LoadedJob& L) {
  std::istringstream is(s, std::ios::binary);
  boost::archive::binary_iarchive ia(is);
  ia >> L.job >> L.specs >> L.inputs >> L.files;
}

// ---------------------------------------------------------------- running out of memory
// A rank that runs out of memory says which analysis and task (or which step) it was running, on
// which rank and host, and what to do; under `ulimit -v` that used to be a bare "std::bad_alloc".
// The same context goes into the message of a fatal signal (install_fatal_signal_report), since a
// library that fails to allocate may crash instead of throwing.

std::string g_where = "rank 0 of 1";  ///< this process, for messages: "rank R of N (host H)"
char g_where_c[160] = "rank 0 of 1";  ///< the same for the signal handler
char g_activity[320] = "starting";    ///< what this rank is doing, for the signal handler

void set_where(int rank, int size, const std::string& host) {
  g_where = "rank " + std::to_string(rank) + " of " + std::to_string(size) + " (host " + host + ")";
  std::snprintf(g_where_c, sizeof g_where_c, "%s", g_where.c_str());
}
void set_activity(const std::string& what) {
  std::snprintf(g_activity, sizeof g_activity, "%s", what.c_str());
}

std::string out_of_memory(const std::string& what) {
  return "out of memory: " + what + " ran out of memory (std::bad_alloc) on " + g_where +
         ". The ranks of a node share its memory: run fewer ranks per node (mpirun --map-by "
         "ppr:N:node, srun "
         "--ntasks-per-node=N), give each rank more (--mem-per-cpu, [slurm] mem_per_cpu, a larger "
         "ulimit -v), or make "
         "the work smaller";
}

struct sigaction g_previous_segv {
}, g_previous_bus{};

extern "C" void on_fatal_signal(int sig) {
  // Async-signal-safe: write(2) of texts prepared beforehand, then the handler that was there
  // before (Open MPI's backtrace, or the default action) on the re-raised signal.
  auto put = [](const char* s) {
    [[maybe_unused]] const ssize_t r = ::write(2, s, std::strlen(s));
  };
  put("revest: fatal: ");
  put(sig == SIGSEGV ? "segmentation fault" : "bus error");
  put(" on ");
  put(g_where_c);
  put(" while ");
  put(g_activity);
  put(". Under a memory limit (ulimit -v, a cgroup, --mem-per-cpu) this is most likely memory "
      "exhaustion: run fewer "
      "ranks per node or give each rank more memory; the tasks checkpointed before are kept "
      "(--resume)\n");
  ::sigaction(sig, sig == SIGSEGV ? &g_previous_segv : &g_previous_bus, nullptr);
  ::raise(sig);
}

/// Runs fn; a std::bad_alloc in it becomes a revest::Error naming `what` (e.g. "building analysis 'x'").
template <class F>
void memory_guard(const std::string& what, F&& fn) {
  set_activity(what);
  try {
    fn();
  } catch (const std::bad_alloc&) {
    throw Error(out_of_memory(what));
  }
}

/// What makes one task of an analysis need less memory (for the out-of-memory message).
std::string task_size_hint(const std::string& kind) {
  if (kind == "real_options")
    return "fewer paths per batch (more batches, or fewer paths, regression_paths, "
           "real_world_paths)";
  if (kind == "spatial_esda") return "a smaller permutations_per_task";
  if (kind == "spatial_models") return "fewer impact_draws, or logdet = \"sparse\"";
  if (kind == "did" || kind == "panel_threshold") return "a smaller replications_per_task";
  return "";
}

/// Results of this rank's tasks in one round.
struct RoundBuffer {
  std::vector<std::size_t> tasks;
  std::vector<std::vector<double>> rows;  // per spec
  std::vector<std::int32_t> status;
  std::vector<std::string> messages;
  std::string error;           // a real error (not a task failure): ends the run on all ranks
  bool out_of_memory = false;  // the error is a std::bad_alloc
  double busy_seconds = 0;     // wall time this rank spent computing tasks

  /// Sorts by task index (dynamic scheduling delivers tasks out of order).
  void sort(const std::vector<ReplicationSpec>& specs) {
    if (std::is_sorted(tasks.begin(), tasks.end())) return;  // static blocks arrive in order
    std::vector<std::size_t> perm(tasks.size());
    std::iota(perm.begin(), perm.end(), 0);
    std::sort(perm.begin(), perm.end(), [&](auto a, auto b) { return tasks[a] < tasks[b]; });
    RoundBuffer out;
    out.rows.resize(specs.size());
    for (auto p : perm) {
      out.tasks.push_back(tasks[p]);
      out.status.push_back(status[p]);
      out.messages.push_back(messages[p]);
      for (std::size_t s = 0; s < specs.size(); ++s) {
        const std::size_t w = specs[s].row_size();
        out.rows[s].insert(out.rows[s].end(), rows[s].begin() + static_cast<std::ptrdiff_t>(p * w),
                           rows[s].begin() + static_cast<std::ptrdiff_t>((p + 1) * w));
      }
    }
    out.error = std::move(error);
    out.out_of_memory = out_of_memory;
    *this = std::move(out);
  }
};

void run_one_task(const Analysis& a, const std::vector<ReplicationSpec>& specs, std::uint64_t seed,
                  std::size_t task, RoundBuffer& buf) {
  if (!buf.error.empty()) return;  // this rank already failed: drain without computing
  struct Busy {
    double& total;
    std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
    ~Busy() {
      total += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
  } busy{buf.busy_seconds};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::string what =
      "analysis '" + a.name() + "' (" + a.kind() + ") task " + std::to_string(task);
  set_activity("computing " + what);
  if (buf.rows.size() != specs.size()) buf.rows.resize(specs.size());
  std::vector<std::size_t> off(specs.size());
  for (std::size_t s = 0; s < specs.size(); ++s) off[s] = buf.rows[s].size();
  try {
    // The rows too: on a rank short of memory, growing the round's buffer is what fails first.
    std::vector<std::span<double>> spans;
    for (std::size_t s = 0; s < specs.size(); ++s)
      buf.rows[s].resize(off[s] + specs[s].row_size(), nan);
    for (std::size_t s = 0; s < specs.size(); ++s)
      spans.emplace_back(buf.rows[s].data() + off[s], specs[s].row_size());
    Rng rng(seed, a.name(), static_cast<std::uint32_t>(task));
    const TaskOutcome out = a.run_task(task, rng, spans);
    if (out.status != TaskStatus::kOk)
      for (auto& sp : spans) std::fill(sp.begin(), sp.end(), nan);
    // Everything that may allocate before the first push, so that a task is recorded whole or not.
    std::string message = out.message;
    buf.tasks.reserve(buf.tasks.size() + 1);
    buf.status.reserve(buf.status.size() + 1);
    buf.messages.reserve(buf.messages.size() + 1);
    buf.tasks.push_back(task);
    buf.status.push_back(static_cast<std::int32_t>(out.status));
    buf.messages.push_back(std::move(message));
    return;
  } catch (const std::bad_alloc&) {
    buf.error = out_of_memory(what);
    buf.out_of_memory = true;
  } catch (const std::exception& e) {
    buf.error = what + ": " + e.what();
  }
  for (std::size_t s = 0; s < specs.size(); ++s)
    buf.rows[s].resize(std::min(buf.rows[s].size(), off[s]));  // no allocation
}

/// Dynamic self-scheduling of `round` over the ranks of `comm` (a private duplicate). Rank 0
/// serves task requests from a helper thread while computing itself (if MPI_THREAD_MULTIPLE is
/// available; otherwise rank 0 only serves).
void run_dynamic(const Analysis& a, const std::vector<ReplicationSpec>& specs, std::uint64_t seed,
                 const std::vector<std::size_t>& round, MPI_Comm comm, bool threads,
                 const std::function<bool()>& stopping, RoundBuffer& buf) {
  const int rank = comm_rank(comm), size = comm_size(comm);
  if (size == 1) {
    for (auto t : round) {
      if (stopping()) break;
      run_one_task(a, specs, seed, t, buf);
    }
    return;
  }
  if (rank == 0) {
    std::atomic<std::size_t> next{0};
    std::atomic<bool> stop{false};
    auto serve = [&]() {
      int remaining = size - 1;
      while (remaining > 0) {
        int leaving = 0;  // 1: the worker stops (a signal) and takes no more tasks
        MPI_Status st;
        MPI_Recv(&leaving, 1, MPI_INT, MPI_ANY_SOURCE, kTagRequest, comm, &st);
        long long reply = -1;
        if (!leaving && !stop.load()) {
          const std::size_t k = next.fetch_add(1);
          if (k < round.size()) reply = static_cast<long long>(k);
        }
        if (reply < 0) --remaining;
        MPI_Send(&reply, 1, MPI_LONG_LONG, st.MPI_SOURCE, kTagReply, comm);
      }
    };
    if (threads) {
      std::thread server(serve);
      for (std::size_t k; (k = next.fetch_add(1)) < round.size();) {
        if (stopping()) {
          stop = true;
          break;
        }
        run_one_task(a, specs, seed, round[k], buf);
      }
      server.join();
    } else {
      serve();
    }
  } else {
    for (;;) {
      int leaving = stopping() ? 1 : 0;
      long long k = -1;
      MPI_Send(&leaving, 1, MPI_INT, 0, kTagRequest, comm);
      MPI_Recv(&k, 1, MPI_LONG_LONG, 0, kTagReply, comm, MPI_STATUS_IGNORE);
      if (k < 0) break;
      run_one_task(a, specs, seed, round[static_cast<std::size_t>(k)], buf);
    }
  }
}

/// The command that finishes an interrupted run (for messages).
std::string resume_command(const std::filesystem::path& job_path, const RunOptions& opt) {
  std::ostringstream os;
  if (opt.from_archive) {
    os << "revest rerun " << opt.from_archive->string() << " --resume";
  } else {
    os << "revest run " << job_path.string() << " --resume";
    if (opt.shard.sharded()) os << " --shard " << opt.shard.str();
  }
  if (opt.output) os << " -o " << opt.output->string();
  return os.str();
}

/// Reads the data files a job names (rank 0; after the job itself is loaded).
void load_inputs(LoadedJob& L, const std::filesystem::path& job_file,
                 const std::filesystem::path& defaults, bool build_analyses) {
  L.inputs.indicators = io::load_indicators(L.job.indicators);
  L.inputs.geo = io::load_geography(L.job.geography, L.job.polygons());
  L.specs = analyses::parse_analyses(L.job);
  io::PanelRequirements req = panel_requirements(L.job, L.specs, L.inputs.indicators);
  req.allow_missing_years = L.job.allow_unbalanced;
  const io::CsvTable panel_csv = io::read_csv(L.job.panel);  // read once
  if (L.job.drop_unmatched) {
    // unmatched_units = "drop": keep the units with a complete panel (unbalanced = "allow": with
    // a row for some year), skip the others' rows.
    const io::PanelCoverage cov = io::panel_coverage(panel_csv, L.inputs.geo, req);
    std::vector<std::size_t> keep;
    std::ostringstream dropped;
    for (std::size_t i = 0; i < cov.complete.size(); ++i) {
      if (L.job.allow_unbalanced ? cov.any_row[i] : cov.complete[i]) {
        keep.push_back(i);
      } else if (cov.complete.size() - keep.size() <= 10) {
        dropped << (dropped.tellp() > 0 ? ", " : "") << L.inputs.geo.counties[i].adcode;
      }
    }
    const std::string coverage = L.job.allow_unbalanced ? "any year" : "every year";
    REVEST_REQUIRE(!keep.empty(), L.job.panel.string()
                                      << ": no unit of the geography has a row for " << coverage
                                      << " " << req.first_year << "-" << req.last_year);
    const std::size_t n_dropped = cov.complete.size() - keep.size();
    if (n_dropped > 0 || cov.unknown_rows > 0) {
      std::ostringstream unknown;
      for (std::size_t k = 0; k < cov.unknown.size() && k < 10; ++k)
        unknown << (k ? ", " : "") << cov.unknown[k];
      spdlog::warn(
          "unmatched_units = \"drop\": {} panel row(s) of {} unit(s) not in the geography{}; {} "
          "unit(s) of the geography without a row for {} {}-{}{}: left out ({} units remain)",
          cov.unknown_rows, cov.unknown.size(),
          cov.unknown.empty()
              ? std::string()
              : " (" + unknown.str() + (cov.unknown.size() > 10 ? ", ..." : "") + ")",
          n_dropped, coverage, req.first_year, req.last_year,
          n_dropped ? " (" + dropped.str() + (n_dropped > 10 ? ", ..." : "") + ")" : std::string(),
          keep.size());
    }
    if (n_dropped > 0) L.inputs.geo = L.inputs.geo.subset(keep);
    req.skip_unknown_units = true;
  }
  L.inputs.panel = io::load_panel(panel_csv, L.inputs.geo, req);
  const bool real_options =
      std::any_of(L.specs.begin(), L.specs.end(), [](const analyses::AnalysisSpec& a) {
        return std::holds_alternative<analyses::RealOptionsOptions>(a.options);
      });
  if (real_options) L.inputs.projects = io::load_projects(L.job.projects, L.inputs.geo);
  const std::vector<std::string> weights_files = analyses::weights_files_of(L.specs);
  auto paths = job_input_paths(L.job, job_file, defaults, real_options, weights_files);
  // The weights files: read once, here (a re-run reads the archive's copies).
  std::map<std::string, std::string> weights_sha;
  for (std::size_t k = 0; k < weights_files.size(); ++k) {
    auto& [role, p] = paths[paths.size() - weights_files.size() + k];
    if (k < L.weights_read_from.size()) p = L.weights_read_from[k];
    std::optional<std::string> bytes = read_file_bytes(p);
    REVEST_REQUIRE(
        bytes, p.string() << ": cannot open the weights file of the spec 'file=" << weights_files[k]
                          << "' (" << role << " of the job " << job_file.string()
                          << "; a relative path is read from the job file's directory)");
    weights_sha[role] = sha256_bytes(*bytes);
    L.inputs.weights_files[weights_files[k]] = std::move(*bytes);
  }
  if (build_analyses)
    for (const auto& spec : L.specs) L.analyses.push_back(make_analysis(spec, L.inputs));
  for (const auto& [role, p] : paths) {
    const auto w = weights_sha.find(role);
    L.files.push_back({role,
                       p.lexically_normal().string(),
                       w != weights_sha.end() ? w->second : sha256_file(p),
                       {}});
  }
}

}  // namespace

void install_fatal_signal_report() {
  struct sigaction sa {};
  sa.sa_handler = on_fatal_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGSEGV, &sa, &g_previous_segv);
  ::sigaction(SIGBUS, &sa, &g_previous_bus);
}

ScratchDir::ScratchDir(const std::string& tag) {
  std::string templ =
      (std::filesystem::temp_directory_path() / ("revest-" + tag + "-XXXXXX")).string();
  REVEST_REQUIRE(::mkdtemp(templ.data()) != nullptr,
                 "cannot create a scratch directory under "
                     << std::filesystem::temp_directory_path().string());
  path_ = templ;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::vector<std::size_t> static_block(const std::vector<std::size_t>& round, int rank, int size,
                                      std::size_t unit) {
  unit = std::max<std::size_t>(1, unit);
  const std::size_t n = round.size(), p = static_cast<std::size_t>(size),
                    r = static_cast<std::size_t>(rank);
  const std::size_t units = (n + unit - 1) / unit;
  const std::size_t b = std::min(n, units * r / p * unit),
                    e = std::min(n, units * (r + 1) / p * unit);
  return {round.begin() + static_cast<std::ptrdiff_t>(b),
          round.begin() + static_cast<std::ptrdiff_t>(e)};
}

std::size_t auto_round_size(std::size_t num_tasks, int size, std::size_t unit) {
  const std::size_t by_fraction = (num_tasks + 49) / 50;
  const std::size_t minimum = 4 * static_cast<std::size_t>(size);
  const std::size_t step = std::max<std::size_t>(1, unit) * static_cast<std::size_t>(size);
  const std::size_t want = (std::max(by_fraction, minimum) + step - 1) / step * step;
  return std::max<std::size_t>(1, std::min(num_tasks, want));
}

std::string weights_role(std::size_t k) { return "weights_" + std::to_string(k + 1); }

std::vector<std::pair<std::string, std::filesystem::path>> job_input_paths(
    const io::Job& job, const std::filesystem::path& job_file,
    const std::filesystem::path& defaults, bool with_projects,
    const std::vector<std::string>& weights_files) {
  // The geography: a folder's counties.csv and its graphs when present, or a unit-list file.
  std::vector<std::pair<std::string, std::filesystem::path>> files = {
      {"job", job_file},
      {"defaults", defaults},
      {"indicators", job.indicators},
      {"counties", io::units_file(job.geography)}};
  for (const char* graph : {"queen", "rook"}) {
    const auto p = job.geography / (std::string(graph) + ".csv");
    if (std::filesystem::is_directory(job.geography) && std::filesystem::exists(p))
      files.emplace_back(graph, p);
  }
  // A Shapefile's companion files (index, attributes, projection, encoding), when present, with
  // lower-case extensions as GDAL and most tools write them.
  if (io::lower_extension(job.geography) == ".shp")
    for (const char* ext : {"shx", "dbf", "prj", "cpg"}) {
      auto p = job.geography;
      p.replace_extension(ext);
      if (std::filesystem::exists(p)) files.emplace_back(std::string("counties.") + ext, p);
    }
  files.emplace_back("panel", job.panel);
  if (with_projects) files.emplace_back("projects", job.projects);
  for (std::size_t k = 0; k < weights_files.size(); ++k) {
    const std::filesystem::path f(weights_files[k]);
    files.emplace_back(weights_role(k), f.is_absolute()
                                            ? f.lexically_normal()
                                            : (job_file.parent_path() / f).lexically_normal());
  }
  return files;
}

void check_output_not_input(const std::filesystem::path& output,
                            const std::vector<InputFile>& files) {
  // Same file: the same inode when both exist (symbolic and hard links, other spellings), else the
  // same normalised absolute path.
  auto same = [](const std::filesystem::path& a, const std::filesystem::path& b) {
    std::error_code ec;
    if (std::filesystem::exists(a, ec) && std::filesystem::exists(b, ec))
      return std::filesystem::equivalent(a, b, ec);
    const auto ca = std::filesystem::weakly_canonical(std::filesystem::absolute(a), ec);
    const auto cb = std::filesystem::weakly_canonical(std::filesystem::absolute(b), ec);
    return !ec && ca == cb;
  };
  const std::pair<std::filesystem::path, const char*> targets[] = {
      {output, ""},
      {replacement_path(output), " (its --force work file)"},
      {output.string() + ".tmp", " (its temporary file)"},
      {lock_path(output), " (its lock file)"}};
  for (const auto& [target, what] : targets)
    for (const auto& f : files)
      for (const std::string& in : {f.path, f.read_from})
        if (!in.empty() && same(target, in))
          REVEST_FAIL(
              "output "
              << output.string() << what << " is the job's " << f.role << " input " << f.path
              << ": refusing to overwrite an input of the job (even with --force); choose another "
                 "output (-o, or `output` in the job file)");
}

std::string check_free_space(const std::filesystem::path& output, std::uint64_t now,
                             const ArchiveSize& size) {
  const std::uint64_t free = free_bytes(output);
  const std::string dir = existing_directory(output).string();
  REVEST_REQUIRE(
      free >= required_free_bytes(now, size.final),
      "not enough free space for "
          << output.string() << ": " << dir << " has " << format_bytes(free)
          << " free, and the run needs about " << format_bytes(now) << " for its work file and "
          << format_bytes(size.final)
          << " for the final archive (its datasets uncompressed; at least "
          << format_bytes(size.final / 8)
          << " compressed). Free space or choose another output (-o); if the "
             "file system reports less free space than it has, --ignore-free-space (or [runtime] "
             "check_free_space = false) skips this check");
  if (free >= now + final_reservation(size.final)) return "";
  std::ostringstream os;
  os << dir << " has " << format_bytes(free) << " free: room for the work file ("
     << format_bytes(now) << ") but maybe not for the final archive, about "
     << format_bytes(size.final) << " uncompressed; revest reserves "
     << format_bytes(final_reservation(size.final))
     << " before writing it and stops, resumable, if it cannot";
  return os.str();
}

LoadedJob load_and_validate(const std::filesystem::path& job_path,
                            const std::filesystem::path& defaults,
                            const std::optional<std::filesystem::path>& output,
                            bool build_analyses) {
  LoadedJob L;
  L.job = io::load_job(job_path, defaults);
  if (output) L.job.output = *output;
  load_inputs(L, job_path, defaults, build_analyses);
  check_output_not_input(L.job.output, L.files);
  return L;
}

LoadedJob load_from_archive(const std::filesystem::path& archive,
                            const std::filesystem::path& scratch,
                            const std::optional<std::filesystem::path>& output,
                            bool build_analyses) {
  const auto state = archive_state(archive);
  REVEST_REQUIRE(state != ArchiveState::kAbsent, archive.string() << ": no such file");
  REVEST_REQUIRE(state != ArchiveState::kNotAnArchive,
                 archive.string() << ": not a revest archive (or corrupt)");
  h5::Handle f = archive_open(archive, false);
  h5::Handle meta(h5::check(H5Gopen2(f, "/meta", H5P_DEFAULT), "open /meta"));
  REVEST_REQUIRE(h5::exists(meta, "files"),
                 archive.string() << ": the input files are not embedded (archive written by "
                                     "revest < 0.6); re-run it from its job file instead");
  const Table inputs = h5::read_table(meta, "inputs");
  REVEST_REQUIRE(inputs.columns.size() >= 3, archive.string()
                                                 << ": /meta/inputs has no role column");
  const auto& roles = std::get<std::vector<std::string>>(inputs.columns[2].data);
  const auto& shas = std::get<std::vector<std::string>>(inputs.columns[1].data);
  std::map<std::string, std::filesystem::path> where;
  std::filesystem::create_directories(scratch / "geography");
  static const std::vector<std::string> kRoles = {
      "job",   "defaults", "indicators",   "counties",     "queen",        "rook",
      "panel", "projects", "counties.shx", "counties.dbf", "counties.prj", "counties.cpg"};
  // The geography's table of units keeps its kind: a polygon file its extension (GDAL reads by
  // it), a folder's counties.csv or a unit list ".csv".
  const auto& original_paths = std::get<std::vector<std::string>>(inputs.columns[0].data);
  std::string units_ext = ".csv";
  for (std::size_t k = 0; k < roles.size() && k < original_paths.size(); ++k)
    if (roles[k] == "counties" && io::is_polygon_file(original_paths[k]))
      units_ext = io::lower_extension(original_paths[k]);
  std::size_t num_weights = 0;
  for (std::size_t k = 0; k < roles.size(); ++k)
    if (roles[k] == weights_role(num_weights)) ++num_weights;
  if (num_weights > 0) std::filesystem::create_directories(scratch / "weights");
  for (std::size_t k = 0; k < roles.size(); ++k) {
    const std::string& role = roles[k];
    bool weights = false;
    for (std::size_t w = 0; w < num_weights && !weights; ++w) weights = role == weights_role(w);
    // Only the known roles: a name from the archive never becomes a path of its own.
    REVEST_REQUIRE((weights || std::find(kRoles.begin(), kRoles.end(), role) != kRoles.end()) &&
                       std::count(roles.begin(), roles.end(), role) == 1,
                   archive.string() << ": /meta/inputs names an unknown or repeated input role '"
                                    << role << "' (archive damaged or not written by revest)");
    std::filesystem::path p;
    if (weights)
      p = scratch / "weights" / role;
    else if (role == "counties")
      p = scratch / "geography" / ("counties" + units_ext);
    else if (role.rfind("counties.", 0) == 0)
      p = scratch / "geography" / role;  // a Shapefile's companion files
    else if (role == "queen" || role == "rook")
      p = scratch / "geography" / (role + ".csv");
    else if (role == "job" || role == "defaults" || role == "indicators")
      p = scratch / (role + ".toml");
    else
      p = scratch / (role + ".csv");
    const std::string bytes = h5::read_bytes(
        h5::Handle(h5::check(H5Gopen2(meta, "files", H5P_DEFAULT), "open files")), role);
    {
      std::ofstream out(p, std::ios::binary);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      REVEST_REQUIRE(out.good(), p.string() << ": cannot write");
    }
    REVEST_REQUIRE(sha256_file(p) == shas[k],
                   archive.string() << ": embedded file '" << role
                                    << "' does not match its recorded SHA-256 (archive damaged)");
    where[role] = p;
  }
  LoadedJob L;
  L.job = io::job_from_effective(h5::read_text(meta, "effective_config"),
                                 h5::read_text(meta, "job_file"));
  L.job.file = h5::attr_string(meta, "job_path");
  const io::Job original = L.job;
  L.job.indicators = where.at("indicators");
  L.job.geography = units_ext == ".csv" ? scratch / "geography" : where.at("counties");
  L.job.panel = where.at("panel");
  if (where.count("projects")) L.job.projects = where.at("projects");
  for (std::size_t w = 0; w < num_weights; ++w)
    L.weights_read_from.push_back(where.at(weights_role(w)));
  L.job.output = output ? *output : archive;
  load_inputs(L, where.at("job"), where.at("defaults"), build_analyses);
  // The data were read from the scratch copies; the configuration keeps the original locations
  // (the archive's effective configuration then reads as the original's, output aside).
  L.job.indicators = original.indicators;
  L.job.geography = original.geography;
  L.job.panel = original.panel;
  L.job.projects = original.projects;
  // Record the original locations (the scratch copies vanish), with the same contents.
  const auto& paths = std::get<std::vector<std::string>>(inputs.columns[0].data);
  for (std::size_t k = 0; k < L.files.size() && k < paths.size(); ++k) {
    REVEST_REQUIRE(L.files[k].role == roles[k] && L.files[k].sha256 == shas[k],
                   archive.string()
                       << ": embedded inputs do not match the job (role " << roles[k] << ")");
    L.files[k].read_from = L.files[k].path;
    L.files[k].path = paths[k];
  }
  check_output_not_input(L.job.output, L.files);
  return L;
}

std::vector<AnalysisLayout> layouts_of(const io::Job& job,
                                       const std::vector<std::unique_ptr<Analysis>>& analyses) {
  std::vector<AnalysisLayout> layouts;
  for (std::size_t k = 0; k < analyses.size(); ++k) {
    AnalysisLayout lay;
    lay.name = analyses[k]->name();
    lay.kind = analyses[k]->kind();
    if (k < job.analyses.size()) {
      std::ostringstream os;
      os << job.analyses[k].options;
      lay.options_toml = os.str();
    }
    lay.num_tasks = analyses[k]->num_tasks();
    lay.phase_boundary = analyses[k]->phase_boundary();
    lay.specs = analyses[k]->replication_specs();
    layouts.push_back(std::move(lay));
  }
  return layouts;
}

namespace {

/// One run of run_job, as every rank sees it: the communicator and who this rank is.
struct RunComm {
  MPI_Comm comm;
  int rank = 0;
  int size = 1;
  bool threads = false;  ///< MPI_THREAD_MULTIPLE (dynamic scheduling lets rank 0 compute too)
  /// Set when only this rank failed: the communicator is then not freed (other ranks may never
  /// reach the collective free).
  bool diverged = false;
};

/// Steps 1 and 2 of run_job. Rank 0 reads the job and the data once (from the job file, or from an
/// archive), parses the job into typed values and broadcasts them: the job's settings, each
/// analysis's typed options, the inputs, the input files (Boost.Serialization; no TOML crosses the
/// ranks). The other ranks rebuild the job from the bytes (no file access, no parsing); every
/// rank builds the analyses from the typed options, and their layouts. Rank 0's job is the one it
/// parsed (its analyses' TOML writes the archive's records); the other ranks' has the same
/// settings and no analyses' TOML. `scratch`: rank 0, a re-run: the input files taken from the
/// archive (they must outlive the archive's creation).
LoadedJob share_job(const std::filesystem::path& job_path, const RunOptions& opt, const RunComm& rc,
                    std::optional<ScratchDir>& scratch, std::vector<AnalysisLayout>& layouts) {
  std::string bytes;
  LoadedJob L;
  collective_try(
      [&] {
        if (rc.rank != 0) return;
        memory_guard("reading the job and its data", [&] {
          // The analyses are built below, on every rank, before anything is written.
          if (opt.from_archive) {
            scratch.emplace("rerun");
            L = load_from_archive(*opt.from_archive, scratch->path(), opt.output,
                                  /*build_analyses=*/false);
          } else {
            L = load_and_validate(job_path, opt.defaults, opt.output, /*build_analyses=*/false);
          }
          bytes = job_to_bytes(L);
        });
      },
      rc.comm);
  broadcast(bytes, 0, rc.comm);
  collective_try(
      [&] {
        if (rc.rank != 0)
          memory_guard("receiving the job and its data", [&] { job_from_bytes(bytes, L); });
        bytes.clear();
        bytes.shrink_to_fit();
        for (const auto& spec : L.specs)
          memory_guard("building analysis '" + spec.name + "' (" + spec.kind() + ")", [&] {
            L.analyses.push_back(opt.factory ? opt.factory(spec, L.inputs)
                                             : make_analysis(spec, L.inputs));
          });
        layouts = layouts_of(L.job, L.analyses);
      },
      rc.comm);
  return L;
}

/// Where a run's tasks write, and what is left to compute (step 3 of run_job).
struct WorkFile {
  /// The archive path itself, or, for --force over an existing file, the replacement work file
  /// beside it, so that what is at the archive's path stays until the new archive is renamed over it.
  std::filesystem::path path;
  std::vector<std::vector<std::size_t>> pending;  ///< per analysis, the tasks still to compute
  bool already_complete = false;                  ///< --resume of a complete archive: nothing to do
  bool check_space = false;                       ///< free space is checked and reserved
  ArchiveSize disk;                               ///< rank 0: the archive size estimate
};

/// Step 3 of run_job: rank 0 takes the archive's lock (`lock`, held by the caller until the final
/// archive is in place or the run ends: a second writer is refused before it computes anything),
/// creates the work file, or finds what an interrupted run left to do; every rank learns the work
/// file and the pending tasks.
WorkFile open_work_file(const std::filesystem::path& path, const LoadedJob& L,
                        const std::vector<AnalysisLayout>& layouts, const RunInfo& info,
                        const RunOptions& opt, const RunComm& rc, std::optional<OutputLock>& lock) {
  const io::Job& job = L.job;
  const std::vector<InputFile>& files = L.files;
  WorkFile wf;
  wf.check_space = job.check_free_space && !opt.ignore_free_space;
  std::string work_str = path.string(), pending_bytes;
  int already_complete = 0;
  auto& pending = wf.pending;
  const bool check_space = wf.check_space;
  collective_try(
      [&] {
        if (rc.rank != 0) return;
        if (opt.shard.sharded()) check_output_not_input(path, files);
        if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
        lock.emplace(path);
        const std::filesystem::path next = replacement_path(path);
        const auto state = archive_state(path), next_state = archive_state(next);
        std::filesystem::path work = path;
        wf.disk = estimate_archive_size(layouts, input_bytes(files), opt.shard);
        const ArchiveSize& disk = wf.disk;
        // A new work file: room for all of it (its rows are reserved at once), and then some for the
        // final archive; see check_free_space. What is reserved cannot run out later, mid-run.
        auto create = [&] {
          if (check_space) {
            const std::string warning = check_free_space(path, disk.work, disk);
            spdlog::info(
                "archive size: work file about {}, final archive about {} uncompressed; {} free on "
                "{}",
                format_bytes(disk.work), format_bytes(disk.final), format_bytes(free_bytes(path)),
                existing_directory(path).string());
            if (!warning.empty()) spdlog::warn("{}", warning);
          }
          archive_create(work, job, L.inputs, files, layouts, info, opt.shard);
          for (const auto& l : layouts) pending.push_back(shard_tasks(l, opt.shard));
          if (!check_space) return;
          try {
            archive_reserve(work, layouts, pending);
          } catch (const Error&) {
            std::filesystem::remove(work);  // nothing was computed in it yet
            throw;
          }
        };
        // A work file resumed: room for its rows still to write (reserved now, if they were not).
        auto resume = [&] {
          pending = archive_pending(work, job, files, layouts, info, opt.shard);
          if (!check_space) return;
          std::uint64_t rows = 0;
          for (std::size_t ai = 0; ai < layouts.size(); ++ai) {
            std::uint64_t row = 0;
            for (const auto& s : layouts[ai].specs) row += s.row_size() * sizeof(double);
            rows += pending[ai].size() * row;
          }
          const std::string warning =
              check_free_space(path, std::min(rows, unallocated_bytes(work)), disk);
          if (!warning.empty()) spdlog::warn("{}", warning);
          archive_reserve(work, layouts, pending);
        };
        if (opt.force) {
          if (next_state != ArchiveState::kAbsent)
            std::filesystem::remove(next);  // an interrupted --force run
          if (state != ArchiveState::kAbsent) work = next;
          create();
          if (work != path)
            spdlog::info(
                "--force: {} is kept until the new archive replaces it; the new run's work file is "
                "{}",
                path.string(), work.string());
        } else if (next_state != ArchiveState::kAbsent) {
          // An interrupted --force run: finishing it is what --resume means.
          REVEST_REQUIRE(opt.resume,
                         next.string()
                             << ": an interrupted --force run left this work file; --resume "
                                "finishes it (it then replaces "
                             << path.string() << "), --force starts over");
          REVEST_REQUIRE(next_state == ArchiveState::kIncomplete,
                         next.string() << ": not a usable work file (not a revest archive, or "
                                          "corrupt); remove it, or use "
                                          "--force to start over");
          work = next;
          resume();
          std::size_t left = 0;
          for (auto& p : pending) left += p.size();
          spdlog::info(
              "resuming the --force run in {}: {} task(s) left ({} is kept until it is complete)",
              work.string(), left, path.string());
        } else if (opt.resume && state == ArchiveState::kComplete) {
          // Nothing to compute: --resume means "make sure the archive is finished" -- by this job.
          archive_check_same_run(archive_open(path, false), path, job, files, opt.shard);
          spdlog::info("{} is already complete; nothing to do", path.string());
          for (const auto& l : layouts) {
            (void)l;
            pending.emplace_back();
          }
          already_complete = 1;
        } else if (opt.resume && state == ArchiveState::kIncomplete) {
          resume();
          std::size_t left = 0;
          for (auto& p : pending) left += p.size();
          spdlog::info("resuming {}: {} task(s) left", path.string(), left);
        } else {
          if (state == ArchiveState::kComplete)
            REVEST_FAIL(path.string()
                        << ": a complete archive already exists (use --force to overwrite"
                           ", or set another output)");
          if (state == ArchiveState::kIncomplete)
            REVEST_FAIL(path.string()
                        << ": an interrupted archive exists (use --resume to finish it, "
                           "or --force to start over)");
          if (state == ArchiveState::kNotAnArchive)
            REVEST_FAIL(path.string()
                        << ": file exists and is not a revest archive, or is corrupt (refused"
                           "; use --force to overwrite it, or another --output)");
          create();
        }
        work_str = work.string();
        pending_bytes = to_bytes(pending);
      },
      rc.comm);
  broadcast(work_str, 0, rc.comm);
  wf.path = work_str;
  broadcast(pending_bytes, 0, rc.comm);
  from_bytes(pending_bytes, pending);
  MPI_Bcast(&already_complete, 1, MPI_INT, 0, rc.comm);
  wf.already_complete = already_complete != 0;
  return wf;
}

/// What the task phase (step 4 of run_job) did.
struct TaskPhase {
  std::vector<double> wall;  ///< per analysis, seconds of its task phase
  std::vector<double> cpu;   ///< per analysis, this rank's CPU seconds in it
  int stop_signal = 0;       ///< the signal that stopped the run (all ranks agree), or 0
  std::size_t tasks_done = 0;
};

/// Step 4 of run_job: the pending tasks of every analysis, round by round, written collectively
/// into the work file and checkpointed. A stop request (a signal) ends the current tasks early;
/// the ranks agree at the end of the round, checkpoint, and leave.
TaskPhase run_tasks(const LoadedJob& L, const std::vector<AnalysisLayout>& layouts,
                    const WorkFile& wf, const RunOptions& opt, RunComm& rc) {
  const io::Job& job = L.job;
  const auto& analyses = L.analyses;
  const MPI_Comm comm = rc.comm;
  const int rank = rc.rank, size = rc.size;
  int local_stop = 0;
  auto stopping = [&]() -> bool {
    if (!local_stop && opt.stop_requested) local_stop = opt.stop_requested();
    return local_stop != 0;
  };
  TaskPhase tp;
  int& stop_all = tp.stop_signal;
  tp.wall.assign(analyses.size(), 0.0);
  tp.cpu.assign(analyses.size(), 0.0);
  std::optional<ParallelArchive> archive;
  archive.emplace(wf.path, comm);
  try {
    for (std::size_t ai = 0; ai < analyses.size() && !stop_all; ++ai) {
      Analysis& a = *analyses[ai];
      const AnalysisLayout& lay = layouts[ai];
      const auto& todo = wf.pending[ai];
      const auto t0 = std::chrono::steady_clock::now();
      const double c0 = cpu_seconds();
      const std::size_t slice_tasks = shard_tasks(lay, opt.shard).size();
      const std::size_t round =
          job.chunk_tasks ? job.chunk_tasks : auto_round_size(slice_tasks, size, lay.chunk_rows());
      Progress progress(a.name() + " (" + a.kind() + ")" +
                            (opt.shard.sharded() ? " shard " + opt.shard.str() : ""),
                        slice_tasks, slice_tasks - todo.size(), job.progress_seconds,
                        opt.progress && rank == 0);
      std::size_t done = slice_tasks - todo.size();
      unsigned long long failed_total = 0;
      // Status of this rank's tasks written since the last checkpoint (marked done at the next).
      std::vector<std::size_t> ck_tasks;
      std::vector<std::int32_t> ck_status;
      std::vector<std::string> ck_messages;
      auto last_checkpoint = std::chrono::steady_clock::now();
      double busy = 0;  // this rank's time in tasks (the rest: waiting, writing, checkpoints)
      // The pending tasks of `list` (ascending), round by round.
      auto run_rounds = [&](const std::vector<std::size_t>& list) {
        for (std::size_t r0 = 0; r0 < list.size(); r0 += round) {
          const std::vector<std::size_t> slice(
              list.begin() + static_cast<std::ptrdiff_t>(r0),
              list.begin() + static_cast<std::ptrdiff_t>(std::min(list.size(), r0 + round)));
          RoundBuffer buf;
          buf.rows.resize(lay.specs.size());
          if (job.schedule == io::Schedule::kStatic) {
            for (auto t : static_block(slice, rank, size, lay.chunk_rows())) {
              if (stopping()) break;
              run_one_task(a, lay.specs, job.seed, t, buf);
            }
          } else {
            run_dynamic(a, lay.specs, job.seed, slice, comm, rc.threads, stopping, buf);
          }
          busy += buf.busy_seconds;
          // A real error on any rank ends the run on all ranks, before the collective write.
          collective_try(
              [&] {
                if (buf.error.empty())
                  memory_guard("sorting the rows of analysis '" + a.name() + "'",
                               [&] { buf.sort(lay.specs); });
                if (!buf.out_of_memory && !buf.error.empty()) throw Error(buf.error);
                if (buf.out_of_memory) {
                  std::uint64_t row = 0;
                  for (const auto& s : lay.specs) row += s.row_size() * sizeof(double);
                  const std::string hint = task_size_hint(a.kind());
                  throw Error(
                      buf.error + ": " + (hint.empty() ? "" : hint + ", or ") +
                      "a smaller [runtime] chunk_tasks (a rank holds the rows of its share of a "
                      "round, here up to " +
                      std::to_string(round) + " tasks of " + format_bytes(row) +
                      "). Every task checkpointed before is kept: finish the run with --resume");
                }
              },
              comm);
          set_activity("writing the rows of analysis '" + a.name() + "' into the work file " +
                       wf.path.string());
          archive->write_rows(lay, buf.tasks, buf.rows);
          if (opt.after_write) opt.after_write(a.name(), done);
          ck_tasks.insert(ck_tasks.end(), buf.tasks.begin(), buf.tasks.end());
          ck_status.insert(ck_status.end(), buf.status.begin(), buf.status.end());
          ck_messages.insert(ck_messages.end(), buf.messages.begin(), buf.messages.end());
          stopping();
          MPI_Allreduce(&local_stop, &stop_all, 1, MPI_INT, MPI_MAX, comm);
          // Rank 0's clock decides, for all ranks, whether this round ends with a checkpoint.
          const bool last_round = r0 + round >= list.size();
          int ck = last_round || stop_all || job.checkpoint_seconds <= 0 ||
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - last_checkpoint)
                           .count() >= job.checkpoint_seconds;
          MPI_Bcast(&ck, 1, MPI_INT, 0, comm);
          if (ck) {
            // Rounds are processed in task order, so the accumulated tasks are sorted per rank.
            archive->checkpoint(lay, ck_tasks, ck_status, ck_messages);
            ck_tasks.clear();
            ck_status.clear();
            ck_messages.clear();
            last_checkpoint = std::chrono::steady_clock::now();
          }
          unsigned long long mine[2] = {0, buf.tasks.size()}, sum[2] = {0, 0};
          for (auto st : buf.status) mine[0] += st != 0;
          MPI_Allreduce(mine, sum, 2, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm);
          failed_total += sum[0];
          done += sum[1];
          tp.tasks_done += sum[1];
          progress.update(done, failed_total);
          if (ck && opt.after_round) opt.after_round(a.name(), done);
          if (stop_all) break;
        }
      };
      // A two-phase analysis: its first phase's tasks, then prepare() on every rank from their
      // stored rows (the work file closed and read by every rank), then the second phase's.
      const std::size_t boundary = std::min(a.phase_boundary(), lay.num_tasks);
      const auto split =
          boundary == 0 ? todo.end() : std::lower_bound(todo.begin(), todo.end(), boundary);
      const std::vector<std::size_t> first(todo.begin(), split), second(split, todo.end());
      run_rounds(first);
      if (!stop_all && boundary > 0 && !second.empty()) {
        archive.reset();  // collective: every row and checkpoint is in the file
        collective_try(
            [&] {
              set_activity("preparing the second phase of analysis '" + a.name() + "' from " +
                           wf.path.string());
              const h5::Handle f = archive_open(wf.path, false);
              ArchiveReader reader(f.get(), lay);
              const auto status = reader.status();
              for (std::size_t t = 0; t < boundary; ++t)
                REVEST_REQUIRE(status[t] != TaskStatus::kNotRun,
                               "analysis '" << a.name() << "': task " << t
                                            << " of the first phase is not done");
              a.prepare(reader);
            },
            comm);
        archive.emplace(wf.path, comm);
        run_rounds(second);
      }
      if (!stop_all) progress.finish();
      tp.wall[ai] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      tp.cpu[ai] = cpu_seconds() - c0;
      // Load balance of the task phase: the share of rank-time spent computing tasks. What is
      // missing is time waiting for other ranks at the end of rounds, writing and checkpoints
      // (and, for dynamic scheduling without MPI_THREAD_MULTIPLE, rank 0, which only serves).
      double busy_sum = 0;
      MPI_Reduce(&busy, &busy_sum, 1, MPI_DOUBLE, MPI_SUM, 0, comm);
      if (rank == 0 && !todo.empty() && tp.wall[ai] > 0)
        spdlog::info(
            "{}: task phase {:.1f} s on {} rank(s); tasks kept the ranks busy {:.1f}% of it",
            a.name(), tp.wall[ai], size, 100.0 * busy_sum / (size * tp.wall[ai]));
    }
  } catch (const CollectiveError&) {
    throw;  // every rank is here: normal unwinding (collective close) is safe
  } catch (...) {
    // Only this rank failed: the others wait in a collective call. Leave without collective
    // clean-up; the caller ends the job with MPI_Abort.
    if (archive) archive->abandon();
    rc.diverged = true;
    throw;
  }
  archive->close();
  return tp;
}

/// Step 5 of run_job: rank 0 writes the final archive (rows compressed, summaries, checksums),
/// renamed over the work file in one step; returns its digest (on rank 0; empty elsewhere).
std::string write_final_archive(const std::filesystem::path& job_path,
                                const std::filesystem::path& path, const LoadedJob& L,
                                const std::vector<AnalysisLayout>& layouts, const WorkFile& wf,
                                const TaskPhase& tp, const RunInfo& info, const RunOptions& opt,
                                const RunComm& rc, std::chrono::steady_clock::time_point wall0,
                                double cpu0) {
  const auto& analyses = L.analyses;
  std::vector<double> cpu_sum(analyses.size(), 0.0);
  std::vector<double> cpu_per = tp.cpu;
  MPI_Reduce(cpu_per.data(), cpu_sum.data(), static_cast<int>(cpu_per.size()), MPI_DOUBLE, MPI_SUM,
             0, rc.comm);
  double cpu_all = cpu_seconds() - cpu0, cpu_all_sum = 0;
  MPI_Reduce(&cpu_all, &cpu_all_sum, 1, MPI_DOUBLE, MPI_SUM, 0, rc.comm);
  std::string digest;
  collective_try(
      [&] {
        if (rc.rank != 0) return;
        const double cpu_summary0 = cpu_seconds();
        AssembleOptions ao;
        ao.shard = opt.shard;
        ao.info = info;
        ao.analysis_wall = tp.wall;
        ao.analysis_cpu = cpu_sum;
        if (!opt.shard.sharded())
          ao.summarize = [&](std::size_t ai, ReplicationReader& reader) {
            std::vector<Table> tables;
            memory_guard("summarising analysis '" + analyses[ai]->name() + "' (" +
                             analyses[ai]->kind() + ")",
                         [&] { tables = analyses[ai]->summarize(reader); });
            return tables;
          };
        ao.end_time = now_iso8601();
        ao.wall_seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
        ao.cpu_seconds = cpu_all_sum + (cpu_seconds() - cpu_summary0);
        if (wf.check_space) ao.reserve_bytes = final_reservation(wf.disk.final);
        ao.space_hint =
            "Free space on " + existing_directory(path).string() +
            (wf.check_space
                 ? " (writing the final archive reserves " + format_bytes(ao.reserve_bytes) +
                       "; with --ignore-free-space it is written without reserving that room)"
                 : " (the final archive takes about " + format_bytes(wf.disk.final) +
                       " uncompressed)");
        ao.resume_hint = "Every task is done and kept in the work file " + wf.path.string() +
                         ": `" + resume_command(job_path, opt) + "` writes the final archive";
        set_activity("writing the final archive " + path.string());
        digest = assemble_archive({wf.path}, path, layouts, ao);
        if (wf.path != path)
          std::filesystem::remove(wf.path);  // the replaced archive is gone now, by the rename
        const double wall =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
        spdlog::info("archive complete: {} ({} analyses{}, wall {})", path.string(),
                     analyses.size(),
                     opt.shard.sharded() ? ", shard " + opt.shard.str() : std::string(),
                     Progress::format_seconds(wall));
        spdlog::info("archive digest: {} (check it with `revest verify {} --digest DIGEST`)",
                     digest, path.string());
      },
      rc.comm);
  return digest;
}

}  // namespace

RunResult run_job(const std::filesystem::path& job_path, const RunOptions& opt, MPI_Comm comm_in) {
  RunComm rc;
  MPI_Comm_dup(comm_in, &rc.comm);
  struct CommGuard {
    RunComm& rc;
    ~CommGuard() {
      if (!rc.diverged) MPI_Comm_free(&rc.comm);
    }
  } guard{rc};
  rc.rank = comm_rank(rc.comm);
  rc.size = comm_size(rc.comm);
  {
    char host[MPI_MAX_PROCESSOR_NAME] = {0};
    int len = 0;
    MPI_Get_processor_name(host, &len);
    set_where(rc.rank, rc.size, host);
  }
  const auto wall0 = std::chrono::steady_clock::now();
  const double cpu0 = cpu_seconds();
  int threads_provided = 0;
  MPI_Query_thread(&threads_provided);
  rc.threads = threads_provided >= MPI_THREAD_MULTIPLE;
  RunResult result;

  // 1-2. The job, its data and its analyses on every rank.
  std::optional<ScratchDir> scratch;
  std::vector<AnalysisLayout> layouts;
  const LoadedJob L = share_job(job_path, opt, rc, scratch, layouts);
  // The file this run writes: the archive, or for a shard its own shard archive.
  const std::filesystem::path path = shard_path(L.job.output, opt.shard);
  result.output = path;

  // 3. The work file and the tasks left to compute.
  RunInfo info;
  info.mpi_size = rc.size;
  info.hosts = gather_hosts(rc.comm);
  info.start_time = now_iso8601();
  info.mpi_version = mpi_library_version();
  std::optional<OutputLock> lock;
  const WorkFile wf = open_work_file(path, L, layouts, info, opt, rc, lock);
  if (wf.already_complete) return result;

  // 4. The tasks.
  std::size_t left_total = 0;
  for (const auto& p : wf.pending) left_total += p.size();
  const TaskPhase tp = run_tasks(L, layouts, wf, opt, rc);
  result.tasks_done = tp.tasks_done;
  result.tasks_left = left_total - result.tasks_done;
  if (tp.stop_signal && result.tasks_left > 0) {
    result.stopped_by = tp.stop_signal;
    collective_try(
        [&] {
          if (rc.rank != 0) return;
          std::ostringstream os;
          os << "stopped=signal" << tp.stop_signal << " done=" << result.tasks_done
             << " left=" << result.tasks_left << " at=" << now_iso8601();
          archive_segment_note(wf.path, os.str());
          spdlog::warn(
              "stopped by signal {} after a checkpoint: {} task(s) done in this run, {} left; the "
              "archive {} "
              "is resumable (revest run JOB --resume){}",
              tp.stop_signal, result.tasks_done, result.tasks_left, wf.path.string(),
              wf.path == path ? std::string()
                              : "; " + path.string() + " is kept until it is complete");
        },
        rc.comm);
    return result;
  }

  // 5. The final archive.
  result.digest =
      write_final_archive(job_path, path, L, layouts, wf, tp, info, opt, rc, wall0, cpu0);
  return result;
}

}  // namespace revest::driver
