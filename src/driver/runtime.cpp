#include "driver/runtime.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>
#include <numeric>
#include <sstream>
#include <thread>

#include "core/error.hpp"
#include "driver/analyses.hpp"
#include "driver/progress.hpp"
#include "io/indicators.hpp"

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

/// Results of this rank's tasks in one round.
struct RoundBuffer {
  std::vector<std::size_t> tasks;
  std::vector<std::vector<double>> rows;  // per spec
  std::vector<std::int32_t> status;
  std::vector<std::string> messages;
  std::string error;  // a real error (not a task failure): ends the run on all ranks

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
    *this = std::move(out);
  }
};

void run_one_task(const Analysis& a, const std::vector<ReplicationSpec>& specs, std::uint64_t seed,
                  std::size_t task, RoundBuffer& buf) {
  if (!buf.error.empty()) return;  // this rank already failed: drain without computing
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<std::size_t> off(specs.size());
  if (buf.rows.size() != specs.size()) buf.rows.resize(specs.size());
  std::vector<std::span<double>> spans;
  for (std::size_t s = 0; s < specs.size(); ++s) {
    off[s] = buf.rows[s].size();
    buf.rows[s].resize(off[s] + specs[s].row_size(), nan);
  }
  for (std::size_t s = 0; s < specs.size(); ++s)
    spans.emplace_back(buf.rows[s].data() + off[s], specs[s].row_size());
  TaskOutcome out;
  try {
    Rng rng(seed, a.name(), static_cast<std::uint32_t>(task));
    out = a.run_task(task, rng, spans);
  } catch (const std::exception& e) {
    std::ostringstream os;
    os << "analysis '" << a.name() << "' task " << task << ": " << e.what();
    buf.error = os.str();
    for (std::size_t s = 0; s < specs.size(); ++s) buf.rows[s].resize(off[s]);
    return;
  }
  if (out.status != TaskStatus::kOk)
    for (auto& sp : spans) std::fill(sp.begin(), sp.end(), nan);
  buf.tasks.push_back(task);
  buf.status.push_back(static_cast<std::int32_t>(out.status));
  buf.messages.push_back(out.message);
}

/// Dynamic self-scheduling of `round` over the ranks of `comm` (a private duplicate). Rank 0
/// serves task requests from a helper thread while computing itself (if MPI_THREAD_MULTIPLE is
/// available; otherwise rank 0 only serves).
void run_dynamic(const Analysis& a, const std::vector<ReplicationSpec>& specs, std::uint64_t seed,
                 const std::vector<std::size_t>& round, MPI_Comm comm, bool threads,
                 RoundBuffer& buf) {
  const int rank = comm_rank(comm), size = comm_size(comm);
  if (size == 1) {
    for (auto t : round) run_one_task(a, specs, seed, t, buf);
    return;
  }
  if (rank == 0) {
    std::atomic<std::size_t> next{0};
    auto serve = [&]() {
      int remaining = size - 1;
      while (remaining > 0) {
        int dummy = 0;
        MPI_Status st;
        MPI_Recv(&dummy, 1, MPI_INT, MPI_ANY_SOURCE, kTagRequest, comm, &st);
        const std::size_t k = next.fetch_add(1);
        long long reply = k < round.size() ? static_cast<long long>(k) : -1;
        if (reply < 0) --remaining;
        MPI_Send(&reply, 1, MPI_LONG_LONG, st.MPI_SOURCE, kTagReply, comm);
      }
    };
    if (threads) {
      std::thread server(serve);
      for (std::size_t k; (k = next.fetch_add(1)) < round.size();) run_one_task(a, specs, seed, round[k], buf);
      server.join();
    } else {
      serve();
    }
  } else {
    for (;;) {
      int dummy = 0;
      long long k = -1;
      MPI_Send(&dummy, 1, MPI_INT, 0, kTagRequest, comm);
      MPI_Recv(&k, 1, MPI_LONG_LONG, 0, kTagReply, comm, MPI_STATUS_IGNORE);
      if (k < 0) break;
      run_one_task(a, specs, seed, round[static_cast<std::size_t>(k)], buf);
    }
  }
}

}  // namespace

std::vector<std::size_t> static_block(const std::vector<std::size_t>& round, int rank, int size,
                                      std::size_t unit) {
  unit = std::max<std::size_t>(1, unit);
  const std::size_t n = round.size(), p = static_cast<std::size_t>(size), r = static_cast<std::size_t>(rank);
  const std::size_t units = (n + unit - 1) / unit;
  const std::size_t b = std::min(n, units * r / p * unit), e = std::min(n, units * (r + 1) / p * unit);
  return {round.begin() + static_cast<std::ptrdiff_t>(b), round.begin() + static_cast<std::ptrdiff_t>(e)};
}

std::size_t auto_round_size(std::size_t num_tasks, int size, std::size_t unit) {
  const std::size_t by_fraction = (num_tasks + 49) / 50;
  const std::size_t minimum = 4 * static_cast<std::size_t>(size);
  const std::size_t step = std::max<std::size_t>(1, unit) * static_cast<std::size_t>(size);
  const std::size_t want = (std::max(by_fraction, minimum) + step - 1) / step * step;
  return std::max<std::size_t>(1, std::min(num_tasks, want));
}

LoadedJob load_and_validate(const std::filesystem::path& job_path, const std::filesystem::path& defaults,
                            const std::optional<std::filesystem::path>& output, bool build_analyses) {
  LoadedJob L;
  L.job = io::load_job(job_path, defaults);
  if (output) L.job.output = *output;
  L.inputs.indicators = io::load_indicators(L.job.indicators);
  L.inputs.geo = io::load_geography(L.job.geography);
  const io::PanelRequirements req = panel_requirements(L.job, L.inputs.indicators);
  L.inputs.panel = io::load_panel(L.job.panel, L.inputs.geo, req);
  const bool real_options = std::any_of(L.job.analyses.begin(), L.job.analyses.end(),
                                        [](const io::AnalysisConfig& a) { return a.kind == "real_options"; });
  if (real_options) L.inputs.projects = io::load_projects(L.job.projects, L.inputs.geo);
  if (build_analyses)
    for (const auto& a : L.job.analyses) L.analyses.push_back(make_analysis(a, L.inputs));
  for (const auto& p : {job_path, defaults, L.job.indicators, L.job.geography / "counties.csv",
                        L.job.geography / "queen.csv", L.job.geography / "rook.csv", L.job.panel})
    L.files.push_back({p.lexically_normal().string(), sha256_file(p)});
  if (real_options)
    L.files.push_back({L.job.projects.lexically_normal().string(), sha256_file(L.job.projects)});
  return L;
}

void run_job(const std::filesystem::path& job_path, const RunOptions& opt, MPI_Comm comm_in) {
  MPI_Comm comm;
  MPI_Comm_dup(comm_in, &comm);
  struct CommGuard {
    MPI_Comm* c;
    bool diverged = false;  // skip the free: other ranks may never reach it
    ~CommGuard() {
      if (!diverged) MPI_Comm_free(c);
    }
  } guard{&comm};
  const int rank = comm_rank(comm), size = comm_size(comm);
  const auto wall0 = std::chrono::steady_clock::now();
  const double cpu0 = cpu_seconds();
  int threads_provided = 0;
  MPI_Query_thread(&threads_provided);
  const bool threads = threads_provided >= MPI_THREAD_MULTIPLE;

  // 1. Rank 0 reads the job and the data once and broadcasts them.
  std::string effective, job_text, inputs_bytes, files_bytes;
  LoadedJob L;
  collective_try([&] {
    if (rank != 0) return;
    // The analyses are built in step 2, on every rank, before anything is written.
    L = load_and_validate(job_path, opt.defaults, opt.output, /*build_analyses=*/false);
    effective = L.job.effective_toml();
    job_text = L.job.text;
    inputs_bytes = to_bytes(L.inputs);
    files_bytes = to_bytes(L.files);
  }, comm);
  broadcast(effective, 0, comm);
  broadcast(job_text, 0, comm);
  broadcast(inputs_bytes, 0, comm);
  broadcast(files_bytes, 0, comm);

  // 2. Every rank rebuilds the job and the analyses from the broadcast bytes (no file access).
  io::Job job;
  Inputs inputs;
  std::vector<InputFile> files;
  std::vector<std::unique_ptr<Analysis>> analyses;
  std::vector<AnalysisLayout> layouts;
  collective_try([&] {
    job = io::job_from_effective(effective, job_text);
    job.file = job_path.string();
    from_bytes(inputs_bytes, inputs);
    from_bytes(files_bytes, files);
    for (const auto& cfg : job.analyses) {
      analyses.push_back(opt.factory ? opt.factory(cfg, inputs) : make_analysis(cfg, inputs));
      AnalysisLayout lay;
      lay.name = cfg.name;
      lay.kind = cfg.kind;
      std::ostringstream os;
      os << cfg.options;
      lay.options_toml = os.str();
      lay.num_tasks = analyses.back()->num_tasks();
      lay.specs = analyses.back()->replication_specs();
      layouts.push_back(std::move(lay));
    }
  }, comm);
  inputs_bytes.clear();
  inputs_bytes.shrink_to_fit();

  // 3. Rank 0 creates the archive, or finds what an interrupted run left to do.
  RunInfo info;
  info.mpi_size = size;
  info.hosts = gather_hosts(comm);
  info.start_time = now_iso8601();
  info.mpi_version = mpi_library_version();
  std::vector<std::vector<std::size_t>> pending;
  std::string pending_bytes;
  int already_complete = 0;
  collective_try([&] {
    if (rank != 0) return;
    const auto state = archive_state(job.output);
    if (opt.resume && state == ArchiveState::kComplete && !opt.force) {
      // Nothing to compute: --resume means "make sure the archive is finished" -- by this job.
      archive_check_same_run(archive_open(job.output, false), job.output, job, files);
      spdlog::info("{} is already complete; nothing to do", job.output.string());
      for (const auto& l : layouts) { (void)l; pending.emplace_back(); }
      already_complete = 1;
    } else if (opt.resume && state == ArchiveState::kIncomplete) {
      pending = archive_pending(job.output, job, files, layouts, info);
      std::size_t left = 0;
      for (auto& p : pending) left += p.size();
      spdlog::info("resuming {}: {} task(s) left", job.output.string(), left);
    } else {
      if (state == ArchiveState::kComplete && !opt.force)
        REVEST_FAIL(job.output.string() << ": a complete archive already exists (use --force to overwrite"
                                           ", or set another output)");
      if (state == ArchiveState::kIncomplete && !opt.force && !opt.resume)
        REVEST_FAIL(job.output.string() << ": an interrupted archive exists (use --resume to finish it, "
                                           "or --force to start over)");
      if (state == ArchiveState::kNotAnArchive && !opt.force)
        REVEST_FAIL(job.output.string() << ": file exists and is not a revest archive (use --force to "
                                           "overwrite it)");
      archive_create(job.output, job, inputs, files, layouts, info);
      for (const auto& l : layouts) {
        std::vector<std::size_t> all(l.num_tasks);
        std::iota(all.begin(), all.end(), 0);
        pending.push_back(std::move(all));
      }
    }
    pending_bytes = to_bytes(pending);
  }, comm);
  broadcast(pending_bytes, 0, comm);
  from_bytes(pending_bytes, pending);
  MPI_Bcast(&already_complete, 1, MPI_INT, 0, comm);
  if (already_complete) return;

  // 4. Tasks, round by round, written collectively and checkpointed.
  std::vector<double> wall_per(analyses.size(), 0.0), cpu_per(analyses.size(), 0.0);
  {
    ParallelArchive archive(job.output, comm);
    try {
      for (std::size_t ai = 0; ai < analyses.size(); ++ai) {
        const Analysis& a = *analyses[ai];
        const AnalysisLayout& lay = layouts[ai];
        const auto& todo = pending[ai];
        const auto t0 = std::chrono::steady_clock::now();
        const double c0 = cpu_seconds();
        const std::size_t round = job.chunk_tasks ? job.chunk_tasks : auto_round_size(lay.num_tasks, size, lay.chunk_rows());
        Progress progress(a.name() + " (" + a.kind() + ")", lay.num_tasks, lay.num_tasks - todo.size(),
                          job.progress_seconds, opt.progress && rank == 0);
        std::size_t done = lay.num_tasks - todo.size();
        unsigned long long failed_total = 0;
        // Status of this rank's tasks written since the last checkpoint (marked done at the next).
        std::vector<std::size_t> ck_tasks;
        std::vector<std::int32_t> ck_status;
        std::vector<std::string> ck_messages;
        auto last_checkpoint = std::chrono::steady_clock::now();
        for (std::size_t r0 = 0; r0 < todo.size(); r0 += round) {
          const std::vector<std::size_t> slice(todo.begin() + static_cast<std::ptrdiff_t>(r0),
                                               todo.begin() + static_cast<std::ptrdiff_t>(std::min(todo.size(), r0 + round)));
          RoundBuffer buf;
          buf.rows.resize(lay.specs.size());
          if (job.schedule == io::Schedule::kStatic) {
            for (auto t : static_block(slice, rank, size, lay.chunk_rows())) run_one_task(a, lay.specs, job.seed, t, buf);
          } else {
            run_dynamic(a, lay.specs, job.seed, slice, comm, threads, buf);
          }
          buf.sort(lay.specs);
          // A real error on any rank ends the run on all ranks, before the collective write.
          collective_try([&] {
            if (!buf.error.empty()) throw Error(buf.error);
          }, comm);
          archive.write_rows(lay, buf.tasks, buf.rows);
          ck_tasks.insert(ck_tasks.end(), buf.tasks.begin(), buf.tasks.end());
          ck_status.insert(ck_status.end(), buf.status.begin(), buf.status.end());
          ck_messages.insert(ck_messages.end(), buf.messages.begin(), buf.messages.end());
          // Rank 0's clock decides, for all ranks, whether this round ends with a checkpoint.
          const bool last_round = r0 + round >= todo.size();
          int ck = last_round || job.checkpoint_seconds <= 0 ||
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - last_checkpoint).count() >=
                       job.checkpoint_seconds;
          MPI_Bcast(&ck, 1, MPI_INT, 0, comm);
          if (ck) {
            // Rounds are processed in task order, so the accumulated tasks are sorted per rank.
            archive.checkpoint(lay, ck_tasks, ck_status, ck_messages);
            ck_tasks.clear();
            ck_status.clear();
            ck_messages.clear();
            last_checkpoint = std::chrono::steady_clock::now();
          }
          unsigned long long failed = 0, mine = 0;
          for (auto s : buf.status) mine += s != 0;
          MPI_Allreduce(&mine, &failed, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm);
          failed_total += failed;
          done += slice.size();
          progress.update(done, failed_total);
          if (ck && opt.after_round) opt.after_round(a.name(), done);
        }
        progress.finish();
        wall_per[ai] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        cpu_per[ai] = cpu_seconds() - c0;
      }
    } catch (const CollectiveError&) {
      throw;  // every rank is here: normal unwinding (collective close) is safe
    } catch (...) {
      // Only this rank failed: the others wait in a collective call. Leave without collective
      // clean-up; the caller ends the job with MPI_Abort.
      archive.abandon();
      guard.diverged = true;
      throw;
    }
    archive.close();
  }

  // 5. Rank 0 summarises every analysis and marks the archive complete.
  std::vector<double> cpu_sum(analyses.size(), 0.0);
  MPI_Reduce(cpu_per.data(), cpu_sum.data(), static_cast<int>(cpu_per.size()), MPI_DOUBLE, MPI_SUM, 0, comm);
  double cpu_all = cpu_seconds() - cpu0, cpu_all_sum = 0;
  MPI_Reduce(&cpu_all, &cpu_all_sum, 1, MPI_DOUBLE, MPI_SUM, 0, comm);
  collective_try([&] {
    if (rank != 0) return;
    const double cpu_summary0 = cpu_seconds();
    h5::Handle f = archive_open(job.output, true);
    for (std::size_t ai = 0; ai < analyses.size(); ++ai) {
      const auto t0 = std::chrono::steady_clock::now();
      const double c0 = cpu_seconds();
      ArchiveReader reader(f, layouts[ai]);
      const auto tables = analyses[ai]->summarize(reader);
      const double w = wall_per[ai] + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      archive_write_summary(f, layouts[ai], tables, w, cpu_sum[ai] + (cpu_seconds() - c0));
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    archive_finish(f, now_iso8601(), wall, cpu_all_sum + (cpu_seconds() - cpu_summary0));
    spdlog::info("archive complete: {} ({} analyses, wall {})", job.output.string(), analyses.size(),
                 Progress::format_seconds(wall));
  }, comm);
}

}  // namespace revest::driver
