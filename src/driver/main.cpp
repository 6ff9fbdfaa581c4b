/// revest: HPC batch estimation for county-level studies of the digital economy in Southwest China.
///
///   revest run JOB.toml [--resume] [--force] [--output FILE] [--shard K/N]   (under mpirun / srun)
///   revest submit JOB.toml [--shards N] [--dry-run] [--ntasks ...]   (writes and sbatch-es scripts)
///   revest merge --shards N --output FILE     (the N shard archives into the final archive)
///   revest verify ARCHIVE [--sample K] [--digest D]  (checksums, K tasks per analysis re-run,
///                                             summaries; the archive digest against D)
///   revest rerun ARCHIVE [-o FILE]            (under mpirun / srun: the whole job from the archive)
///   revest validate JOB.toml
///   revest generate --seed 20261128 --out data/synthetic
///   revest inspect results/NAME.h5
///   revest export results/NAME.h5 --csv DIR
///   revest compare A.h5 B.h5     (same results bit for bit? exit 0 / 3)
///   revest sar-large --n 1000000 --k 6   (under mpirun: SAR by ML on PETSc/MUMPS across ranks)
///
/// Exit codes: 0 success; 1 error (one line "revest: error: REASON" on stderr); 2 usage error;
/// 3 differences found (compare, verify, rerun); 75 stopped by SIGUSR1 (e.g. SLURM's warning before
/// the time limit) after a checkpoint: resumable with --resume; 130 / 143 the same after SIGINT /
/// SIGTERM.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <new>
#include <optional>
#include <stdexcept>
#include <tuple>

#include "build_info.hpp"
#include "core/error.hpp"
#include "driver/analyses.hpp"
#include "driver/archive_tools.hpp"
#include "driver/commands.hpp"
#include "driver/mpi_env.hpp"
#include "driver/runtime.hpp"
#include "driver/slurm.hpp"
#include "driver/weights_export.hpp"
#include "spatial/sar_distributed.hpp"
#include "synth/generate.hpp"

using namespace revest;

namespace {
volatile std::sig_atomic_t g_stop_signal = 0;
extern "C" void on_stop_signal(int sig) {
  if (!g_stop_signal) g_stop_signal = sig;
}
/// SIGUSR1 (SLURM's warning before the time limit), SIGTERM and SIGINT ask a run to stop at the
/// next task boundary, checkpoint and exit resumable.
void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGUSR1, SIGTERM, SIGINT}) sigaction(sig, &sa, nullptr);
}
int stop_exit_code(int sig) { return sig == SIGUSR1 ? 75 : 128 + sig; }
}  // namespace

static int revest_main(int argc, char** argv) {
  // `run` and `rerun` take their stop signals from the first instruction: SLURM may send its
  // warning signal while the ranks are still starting (MPI_Init can take a second), and the
  // default action of SIGUSR1 would end the job step without a checkpoint or a requeue. A signal
  // caught this early stops the run at its first task boundary. (run_everywhere installs the
  // handlers again, in case MPI_Init replaced them.)
  if (argc > 1 && (std::string_view(argv[1]) == "run" || std::string_view(argv[1]) == "rerun"))
    install_stop_handlers();
  driver::MpiEnv mpi(&argc, &argv);
  const bool root = mpi.rank() == 0;
  auto logger = spdlog::stderr_color_mt("revest");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("[revest] %v");
  if (!root) spdlog::set_level(spdlog::level::warn);

  CLI::App app{
      "revest: batch estimation (DEA, real options, spatial models, indices) for the "
      "county-level units of Southwest China, across MPI ranks, archived in HDF5"};
  app.set_version_flag("--version",
                       std::string("revest ") + build::kVersion + " (" + build::kGitDescribe + ")");
  app.require_subcommand(1);

  std::string job_path, defaults, output, archive, out_dir, geography = "data/southwest";
  bool resume = false, force = false, quiet = false, ignore_free_space = false;
  const char* ignore_free_space_help =
      "skip the free-space checks and the reservation of disk space for the archive (for file "
      "systems that "
      "report less free space than they have); the job's [runtime] check_free_space = false does "
      "the same";
  std::uint64_t seed = 0;
  int first_year = 2011, last_year = 2022;
  std::size_t rows = 5;

  auto* run = app.add_subcommand("run", "run a job file (use under mpirun/srun for many ranks)");
  run->add_option("job", job_path, "job file (TOML)")->required()->check(CLI::ExistingFile);
  run->add_flag("--resume", resume,
                "finish an interrupted archive: compute only the missing tasks");
  run->add_flag("--force", force, "overwrite an existing archive");
  run->add_option("--output,-o", output, "archive path (overrides the job's `output`)");
  run->add_option("--defaults", defaults, "defaults file (default: config/defaults.toml)");
  run->add_flag("--quiet,-q", quiet, "no progress output");
  run->add_flag("--ignore-free-space", ignore_free_space, ignore_free_space_help);
  std::string shard_text;
  run->add_option("--shard", shard_text,
                  "compute only shard K of N of every analysis (K/N, 0 <= K < N; the SLURM "
                  "array index) into the shard archive OUTPUT.shard-K-of-N.h5");
  int kill_after_checkpoint = 0;  // test hook (hidden): SIGKILL rank 0 after this many checkpoints
  run->add_option("--test-kill-after-checkpoint", kill_after_checkpoint, "")->group("");
  int fail_rank = -1;  // test hook (hidden): this rank throws alone after the first checkpoint
  run->add_option("--test-fail-rank", fail_rank, "")->group("");
  int kill_mid_write = 0,
      kill_rank = 0;  // test hook (hidden): SIGKILL rank R between rows and status of round N
  run->add_option("--test-kill-mid-write", kill_mid_write, "")->group("");
  run->add_option("--test-kill-rank", kill_rank, "")->group("");
  double task_delay = 0;  // test hook (hidden): sleep this long before every task (a slow job)
  run->add_option("--test-task-delay", task_delay, "")->group("");
  long oom_task = -1, segv_task = -1;  // test hooks (hidden): task N runs out of memory / crashes
  run->add_option("--test-out-of-memory-task", oom_task, "")->group("");
  run->add_option("--test-segfault-task", segv_task, "")->group("");

  driver::SubmitOptions sub;
  std::string sub_job, sub_output, sub_templates, sub_revest, sub_dir;
  auto* submit = app.add_subcommand(
      "submit",
      "write a SLURM batch script for a job (from slurm/run.sbatch.in) and submit it with sbatch; "
      "with --shards N a job array of N shards and a dependent merge job. Flags override the job's "
      "[slurm] table");
  submit->add_option("job", sub_job, "job file (TOML)")->required()->check(CLI::ExistingFile);
  submit->add_option("--defaults", defaults, "defaults file (default: config/defaults.toml)");
  submit->add_option("--output,-o", sub_output, "archive path (overrides the job's `output`)");
  for (auto [flag, dst, what] :
       {std::tuple{"--shards", &sub.shards,
                   "split every analysis into N array tasks plus a merge job"},
        {"--nodes", &sub.nodes, "nodes (0 = let SLURM choose)"},
        {"--ntasks,-n", &sub.ntasks, "MPI ranks (per array task when sharded)"},
        {"--cpus-per-task", &sub.cpus_per_task, "CPUs per rank"},
        {"--signal", &sub.signal_seconds,
         "seconds before the time limit at which SLURM sends SIGUSR1 (0 = none)"},
        {"--max-requeues", &sub.max_requeues, "requeues at most"}})
    submit->add_option(flag, *dst, what)->check(CLI::NonNegativeNumber);
  for (auto [flag, dst, what] :
       {std::tuple{"--time,-t", &sub.time, "time limit (minutes, HH:MM:SS or D-HH:MM:SS)"},
        {"--mem-per-cpu", &sub.mem_per_cpu, "memory per CPU, e.g. 2G"},
        {"--partition,-p", &sub.partition, "partition"},
        {"--account,-A", &sub.account, "account"},
        {"--qos", &sub.qos, "quality of service"}})
    submit->add_option(flag, *dst, what);
  submit->add_flag("--no-requeue", sub.no_requeue,
                   "do not requeue after the warning signal (resubmit by hand)");
  submit->add_flag("--dry-run", sub.dry_run,
                   "write the scripts and print the sbatch commands, submit nothing");
  submit->add_option(
      "--templates", sub_templates,
      "directory of run.sbatch.in and merge.sbatch.in (default: the source tree's slurm/)");
  submit->add_option("--revest", sub_revest,
                     "revest executable the scripts run (default: this one)");
  submit->add_option("--script-dir", sub_dir,
                     "where scripts and logs go (default: ARCHIVE_DIR/NAME.slurm)");

  driver::MergeOptions merge_opt;
  std::string merge_out;
  std::vector<std::string> merge_files;
  auto* merge = app.add_subcommand("merge",
                                   "merge the shard archives of a sharded run into the final "
                                   "archive (identical to a single run's)");
  merge
      ->add_option("--output,-o", merge_out, "final archive; the shards are OUTPUT.shard-K-of-N.h5")
      ->required();
  merge->add_option("--shards", merge_opt.shards, "number of shards N");
  merge->add_option("files", merge_files,
                    "shard archives (default: the names derived from --output)");
  merge->add_flag("--force", merge_opt.force, "overwrite a complete output archive");
  merge->add_flag("--remove-shards", merge_opt.remove_shards,
                  "delete the shard archives after a successful merge");
  merge->add_flag("--ignore-free-space", merge_opt.ignore_free_space, ignore_free_space_help);

  driver::VerifyOptions verify_opt;
  auto* verify = app.add_subcommand(
      "verify",
      "verify an archive from itself alone: dataset checksums, a random sample of tasks re-run "
      "from the embedded job and data, summaries recomputed; exit 0 if all agree, 3 if not");
  verify->add_option("archive", archive, "archive (.h5)")->required();
  verify->add_option("--sample,-k", verify_opt.sample, "tasks re-run per analysis")
      ->capture_default_str();
  verify->add_option("--seed", verify_opt.seed, "seed of the random sample")->capture_default_str();
  verify->add_option("--digest", verify_opt.digest,
                     "the archive digest the archive must have (e.g. the one a paper cites; "
                     "printed at the end of `revest run` and by `revest inspect`)");
  bool verify_no_summaries = false;
  verify->add_flag("--no-summaries", verify_no_summaries, "skip recomputing the summary tables");

  std::string rerun_out;
  bool rerun_force = false;
  auto* rerun = app.add_subcommand(
      "rerun",
      "re-execute the whole job of an archive from the archive alone (job, configuration and "
      "input data are inside), at any number of ranks, and compare the results; exit 0 if "
      "identical, 3 if not");
  rerun->add_option("archive", archive, "archive (.h5)")->required()->check(CLI::ExistingFile);
  rerun->add_option("--output,-o", rerun_out, "new archive (default: ARCHIVE_DIR/STEM.rerun.h5)");
  rerun->add_flag("--force", rerun_force, "overwrite an existing output");
  rerun->add_flag("--resume", resume, "finish an interrupted re-run");
  rerun->add_flag("--ignore-free-space", ignore_free_space, ignore_free_space_help);

  auto* validate =
      app.add_subcommand("validate", "check a job file and its data without running it");
  validate->add_option("job", job_path, "job file (TOML)")->required()->check(CLI::ExistingFile);
  validate->add_option("--defaults", defaults, "defaults file (default: config/defaults.toml)");
  validate->add_flag("--ignore-free-space", ignore_free_space,
                     "report the archive's size without checking the free space");

  auto* gen = app.add_subcommand(
      "generate", "write the synthetic calibrated county panel with its true parameters");
  gen->add_option("--seed", seed, "seed (required; the bundled data use 20261128)")->required();
  gen->add_option("--out", out_dir, "output directory")->required();
  gen->add_option("--geography", geography, "directory of counties.csv, queen.csv, rook.csv")
      ->capture_default_str();
  gen->add_option("--first-year", first_year, "first year")->capture_default_str();
  gen->add_option("--last-year", last_year, "last year")->capture_default_str();

  auto* insp = app.add_subcommand("inspect", "summarise an archive");
  insp->add_option("archive", archive, "archive (.h5)")->required();
  insp->add_option("--rows", rows, "rows shown per table")->capture_default_str();

  auto* exp = app.add_subcommand("export", "export an archive's tables as CSV");
  exp->add_option("archive", archive, "archive (.h5)")->required();
  exp->add_option("--csv", out_dir, "output directory")->required();

  std::string archive_b;
  std::string weights_spec, weights_file;
  auto* wts = app.add_subcommand(
      "weights",
      "write a weights matrix the job would build as a file other tools read: GeoDa .gal or .gwt, "
      "a .csv edge list (from,to,weight) or Matrix Market .mtx (ids: the counties' 2022 codes)");
  wts->add_option("job", job_path, "job file (its geography and, for economic weights, its panel)")
      ->required()
      ->check(CLI::ExistingFile);
  wts->add_option("--spec", weights_spec, "a weights spec as in a job, e.g. \"knn k=6\"")
      ->required();
  wts->add_option("--write", weights_file, "the file to write; its extension chooses the format")
      ->required();
  wts->add_option("--defaults", defaults, "defaults file (default: config/defaults.toml)");

  auto* cmp = app.add_subcommand("compare",
                                 "compare the results of two archives bit for bit (run metadata "
                                 "ignored); exit 0 if identical, 3 if not");
  cmp->add_option("a", archive, "first archive")->required()->check(CLI::ExistingFile);
  cmp->add_option("b", archive_b, "second archive")->required()->check(CLI::ExistingFile);

  std::size_t large_n = 40000;
  int large_k = 6;
  double large_rho = 0.5;
  std::uint64_t large_seed = 1;
  auto* large = app.add_subcommand("sar-large",
                                   "fit SAR by ML to a generated kNN graph of N units across the "
                                   "MPI ranks (PETSc + MUMPS); prints estimates, time and memory");
  large->add_option("--n", large_n, "units (default 40000)")
      ->check(CLI::Range(std::size_t{100}, std::size_t{200000000}));
  large->add_option("--k", large_k, "neighbours (default 6)")->check(CLI::Range(1, 100));
  large->add_option("--rho", large_rho, "true rho (default 0.5)")->check(CLI::Range(-0.99, 0.99));
  large->add_option("--seed", large_seed, "seed of the generated data (default 1)");
  std::string large_csv;
  large->add_option("--write-csv", large_csv,
                    "also write the data (y, x1, x2) and the neighbour list as CSV into this "
                    "directory (one rank only), e.g. for R spatialreg");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = 0;
    if (root)
      code = app.exit(e);
    else
      code = e.get_exit_code();
    return code == 0 ? 0 : 2;
  }

  // Runs a job on every rank, stopping early on SIGUSR1/SIGTERM/SIGINT. On an error it reports it
  // and returns nothing: an error all ranks agreed on ends normally; one only this rank knows
  // aborts the job (the others may be waiting in a collective call).
  auto run_everywhere = [&](const std::filesystem::path& path,
                            driver::RunOptions opt) -> std::optional<driver::RunResult> {
    install_stop_handlers();
    driver::install_fatal_signal_report();
    opt.stop_requested = [] { return static_cast<int>(g_stop_signal); };
    try {
      return driver::run_job(path, opt, MPI_COMM_WORLD);
    } catch (const driver::CollectiveError& e) {
      if (root) std::cerr << "revest: error: " << e.what() << "\n";
    } catch (const std::bad_alloc&) {
      // Out of memory outside the places that say which analysis and task (runtime.cpp).
      std::cerr << "revest: error (rank " << mpi.rank()
                << "): out of memory (std::bad_alloc); run fewer ranks per "
                   "node or give each rank more memory\n";
      std::cerr.flush();
      MPI_Abort(MPI_COMM_WORLD, 1);
    } catch (const std::exception& e) {
      std::cerr << "revest: error (rank " << mpi.rank() << "): " << e.what() << "\n";
      std::cerr.flush();
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    return std::nullopt;
  };

  try {
    if (run->parsed()) {
      driver::RunOptions opt;
      opt.resume = resume;
      opt.force = force;
      opt.ignore_free_space = ignore_free_space;
      if (!output.empty()) opt.output = output;
      opt.defaults = driver::find_defaults(defaults, job_path);
      opt.progress = !quiet;
      if (!shard_text.empty()) opt.shard = driver::parse_shard(shard_text);
      if (task_delay > 0 || oom_task >= 0 || segv_task >= 0) {
        // Test hooks: every task is slowed; task N of an analysis runs out of memory, or crashes.
        opt.factory = [task_delay, oom_task, segv_task](
                          const analyses::AnalysisSpec& spec,
                          const driver::Inputs& in) -> std::unique_ptr<Analysis> {
          struct Injected : Analysis {
            std::unique_ptr<Analysis> a;
            double d;
            long oom, segv;
            std::string kind() const override { return a->kind(); }
            std::string name() const override { return a->name(); }
            std::size_t num_tasks() const override { return a->num_tasks(); }
            std::vector<ReplicationSpec> replication_specs() const override {
              return a->replication_specs();
            }
            TaskOutcome run_task(std::size_t t, Rng& r,
                                 std::span<const std::span<double>> o) const override {
              if (d > 0) usleep(static_cast<useconds_t>(d * 1e6));
              if (static_cast<long>(t) == oom) throw std::bad_alloc();
              if (static_cast<long>(t) == segv) std::raise(SIGSEGV);
              return a->run_task(t, r, o);
            }
            std::vector<Table> summarize(ReplicationReader& r) const override {
              return a->summarize(r);
            }
            std::size_t phase_boundary() const override { return a->phase_boundary(); }
            void prepare(ReplicationReader& r) override { a->prepare(r); }
          };
          auto s = std::make_unique<Injected>();
          s->a = driver::make_analysis(spec, in);
          s->d = task_delay;
          s->oom = oom_task;
          s->segv = segv_task;
          return s;
        };
      }
      if (kill_mid_write > 0) {
        int writes = 0;
        opt.after_write = [&, writes](const std::string&, std::size_t) mutable {
          if (++writes == kill_mid_write && mpi.rank() == kill_rank) std::raise(SIGKILL);
        };
      }
      int rounds = 0;
      if (kill_after_checkpoint > 0 || fail_rank >= 0)
        opt.after_round = [&](const std::string&, std::size_t) {
          ++rounds;
          if (rounds == kill_after_checkpoint && root) std::raise(SIGKILL);
          if (rounds == 1 && mpi.rank() == fail_rank)
            throw std::runtime_error("injected error on rank " + std::to_string(fail_rank) +
                                     " alone");
        };
      const auto r = run_everywhere(job_path, opt);
      if (!r) return 1;
      return r->stopped_by ? stop_exit_code(r->stopped_by) : 0;
    }
    if (large->parsed()) {
      const spatial::LargeSarProblem p =
          spatial::make_large_sar_problem(MPI_COMM_WORLD, large_n, large_k, large_rho, large_seed);
      if (!large_csv.empty()) {
        REVEST_REQUIRE(mpi.size() == 1, "sar-large --write-csv needs a single rank");
        spatial::write_large_sar_csv(p, large_csv);
      }
      const spatial::LargeSarResult r = spatial::fit_sar_distributed(MPI_COMM_WORLD, p);
      if (root) {
        std::printf("sar-large: n = %zu, k = %d, ranks = %d; graph %.2f s, data solve %.2f s\n",
                    large_n, large_k, mpi.size(), p.seconds_graph, p.seconds_solve);
        std::printf("  rho    %.6f (se %.6f; true %.3f)\n", r.rho, r.rho_se, large_rho);
        for (Eigen::Index j = 0; j < r.beta.size(); ++j)
          std::printf("  beta%ld  %.6f (se %.6f; true %.3f)\n", static_cast<long>(j), r.beta[j],
                      r.beta_se[j], p.true_beta[j]);
        std::printf("  sigma2 %.6f, loglik %.4f\n", r.sigma2, r.loglik);
        std::printf(
            "  fit %.2f s (MUMPS symbolic %.2f s, %d numeric factorisations %.2f s); peak RSS %.0f "
            "MB per rank\n",
            r.seconds_total, r.seconds_symbolic, r.logdet_evaluations, r.seconds_numeric,
            r.peak_rss_mb);
        if (!r.status.ok()) std::printf("  status %s\n", r.status.to_string().c_str());
      }
      return 0;
    }
    if (rerun->parsed()) {
      // Every rank reads the shard of the archive (read-only) so that all agree on the slice.
      driver::RunOptions opt;
      opt.from_archive = archive;
      opt.force = rerun_force;
      opt.resume = resume;
      opt.ignore_free_space = ignore_free_space;
      opt.progress = true;
      std::filesystem::path src(archive);
      const std::filesystem::path out =
          rerun_out.empty() ? src.parent_path() / (src.stem().string() + ".rerun.h5")
                            : std::filesystem::path(rerun_out);
      // Rank 0 reads the archive's shard; every rank learns of a bad archive together (no rank
      // may be left waiting in a broadcast).
      int sh[2] = {0, 1};
      try {
        driver::collective_try(
            [&] {
              if (!root) return;
              REVEST_REQUIRE(driver::archive_state(src) == driver::ArchiveState::kComplete,
                             src.string() << ": not a complete revest archive (an interrupted run: "
                                             "finish it with --resume)");
              const auto s = driver::archive_shard(driver::archive_open(src, false));
              sh[0] = s.index;
              sh[1] = s.count;
              const auto written = driver::shard_path(out, s);
              REVEST_REQUIRE(std::filesystem::weakly_canonical(written) !=
                                 std::filesystem::weakly_canonical(src),
                             "rerun: the re-run would write "
                                 << written.string() << ", the archive itself; give another -o");
            },
            MPI_COMM_WORLD);
      } catch (const driver::CollectiveError& e) {
        if (root) std::cerr << "revest: error: " << e.what() << "\n";
        return 1;
      }
      MPI_Bcast(sh, 2, MPI_INT, 0, MPI_COMM_WORLD);
      opt.shard = driver::ShardSpec{sh[0], sh[1]};
      opt.output = out;  // a shard's re-run goes to OUT.shard-K-of-N.h5, as any shard
      const auto r = run_everywhere("", opt);
      if (!r) return 1;
      if (r->stopped_by) return stop_exit_code(r->stopped_by);
      if (!root) return 0;
      const auto diffs = driver::compare_archives(src, r->output);
      for (const auto& d : diffs) std::cout << d << "\n";
      std::cout << "rerun of " << src.string() << " at " << mpi.size() << " rank(s) -> "
                << r->output.string() << ": "
                << (diffs.empty() ? "identical results"
                                  : std::to_string(diffs.size()) + " difference(s)")
                << "\n";
      return diffs.empty() ? 0 : 3;
    }
    if (!root) return 0;  // the other sub-commands are single-process
    if (submit->parsed()) {
      sub.job = sub_job;
      sub.defaults = driver::find_defaults(defaults, sub_job);
      if (!sub_output.empty()) sub.output = sub_output;
      sub.templates = !sub_templates.empty() ? std::filesystem::path(sub_templates)
                                             : driver::find_templates(sub_job);
      sub.revest = !sub_revest.empty() ? std::filesystem::path(sub_revest)
                                       : std::filesystem::read_symlink("/proc/self/exe");
      sub.script_dir = sub_dir;
      const auto r = driver::submit(sub, std::cout);
      // The job ids alone on the last lines, for scripts: "run ID" / "merge ID".
      if (!r.run_job_id.empty()) std::cout << "run " << r.run_job_id << "\n";
      if (!r.merge_job_id.empty()) std::cout << "merge " << r.merge_job_id << "\n";
      if (!r.diagnose_job_id.empty()) std::cout << "diagnose " << r.diagnose_job_id << "\n";
      return 0;
    }
    if (merge->parsed()) {
      merge_opt.output = merge_out;
      for (const auto& f : merge_files) merge_opt.files.emplace_back(f);
      driver::merge_shards(merge_opt, std::cout);
      return 0;
    }
    if (verify->parsed()) {
      verify_opt.summaries = !verify_no_summaries;
      const auto problems = driver::verify_archive(archive, verify_opt, std::cout);
      return problems ? 3 : 0;
    }
    if (wts->parsed()) {
      const auto r = driver::export_weights(job_path, driver::find_defaults(defaults, job_path),
                                            weights_spec, weights_file);
      std::cout << "wrote weights '" << r.label << "' (" << r.units << " units, " << r.links
                << " links) as " << r.format << " to " << weights_file << "\n";
      return 0;
    }
    if (validate->parsed()) {
      const auto L = driver::load_and_validate(job_path, driver::find_defaults(defaults, job_path));
      std::size_t tasks = 0;
      for (const auto& a : L.analyses) tasks += a->num_tasks();
      // The archive's size, and whether the disk can hold it (as `run` checks before it starts).
      const auto disk = driver::estimate_archive_size(driver::layouts_of(L.job, L.analyses),
                                                      driver::input_bytes(L.files));
      std::string warning;
      if (L.job.check_free_space && !ignore_free_space)
        warning = driver::check_free_space(L.job.output, disk.work, disk);
      std::cout << job_path << ": OK: job '" << L.job.name << "', seed " << L.job.seed << ", "
                << L.job.analyses.size() << " analysis(es), " << tasks << " tasks; panel "
                << L.inputs.panel.num_counties << " counties x " << L.inputs.panel.num_years()
                << " years x " << L.inputs.panel.variables.size() << " variables; output "
                << L.job.output.string() << "\n";
      std::cout << "archive size: work file about " << driver::format_bytes(disk.work)
                << ", final archive about " << driver::format_bytes(disk.final)
                << " uncompressed (summary tables aside); "
                << driver::format_bytes(driver::free_bytes(L.job.output)) << " free on "
                << driver::existing_directory(L.job.output).string() << "\n";
      if (!warning.empty()) std::cout << "warning: " << warning << "\n";
      return 0;
    }
    if (gen->parsed()) {
      synth::GenerateOptions o;
      o.seed = seed;
      o.first_year = first_year;
      o.last_year = last_year;
      std::string why;
      REVEST_REQUIRE(o.is_valid(&why), "generate: " << why);
      const auto geo = io::load_geography(geography);
      const auto data = synth::generate(geo, o);
      synth::write_synthetic(data, geo, out_dir);
      std::cout << "wrote synthetic panel (" << geo.size() << " counties, " << first_year << "-"
                << last_year << ", seed " << seed << ") to " << out_dir << "\n";
      return 0;
    }
    if (insp->parsed()) {
      driver::inspect_archive(archive, std::cout, rows);
      return 0;
    }
    if (cmp->parsed()) {
      const auto diffs = driver::compare_archives(archive, archive_b);
      for (const auto& d : diffs) std::cout << d << "\n";
      std::cout << (diffs.empty() ? "identical results"
                                  : std::to_string(diffs.size()) + " difference(s)")
                << "\n";
      return diffs.empty() ? 0 : 3;
    }
    if (exp->parsed()) {
      const auto n = driver::export_csv(archive, out_dir);
      std::cout << "wrote " << n << " CSV files to " << out_dir << "\n";
      return 0;
    }
  } catch (const std::bad_alloc&) {
    if (root)
      std::cerr << "revest: error: out of memory (std::bad_alloc); give the process more memory\n";
    return 1;
  } catch (const std::exception& e) {
    if (root) std::cerr << "revest: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

int main(int argc, char** argv) {
  // What is thrown outside the commands' own handlers (starting MPI, the logger, setting up the
  // command line) ends the program with a message and exit code 1, not std::terminate.
  try {
    return revest_main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "revest: error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "revest: error: an unknown exception\n");
  }
  return 1;
}
