/// revest: HPC batch estimation for county-level studies of the digital economy in Southwest China.
///
///   revest run JOB.toml [--resume] [--force] [--output FILE]   (under mpirun / srun)
///   revest validate JOB.toml
///   revest generate --seed 20261128 --out data/synthetic
///   revest inspect results/NAME.h5
///   revest export results/NAME.h5 --csv DIR
///   revest compare A.h5 B.h5     (same results bit for bit? exit 0 / 3)
///   revest sar-large --n 1000000 --k 6   (under mpirun: SAR by ML on PETSc/MUMPS across ranks)
///
/// Exit codes: 0 success; 1 error (one line "revest: error: REASON" on stderr); 2 usage error.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <stdexcept>
#include <iostream>

#include "build_info.hpp"
#include "core/error.hpp"
#include "driver/analyses.hpp"
#include "driver/commands.hpp"
#include "driver/mpi_env.hpp"
#include "driver/runtime.hpp"
#include "driver/sar_distributed.hpp"
#include "synth/generate.hpp"

using namespace revest;

int main(int argc, char** argv) {
  driver::MpiEnv mpi(&argc, &argv);
  const bool root = mpi.rank() == 0;
  auto logger = spdlog::stderr_color_mt("revest");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("[revest] %v");
  if (!root) spdlog::set_level(spdlog::level::warn);

  CLI::App app{"revest: batch estimation (DEA, real options, spatial models, indices) for the "
               "county-level units of Southwest China, across MPI ranks, archived in HDF5"};
  app.set_version_flag("--version", std::string("revest ") + build::kVersion + " (" + build::kGitDescribe + ")");
  app.require_subcommand(1);

  std::string job_path, defaults, output, archive, out_dir, geography = "data/southwest";
  bool resume = false, force = false, quiet = false;
  std::uint64_t seed = 0;
  int first_year = 2011, last_year = 2022;
  std::size_t rows = 5;

  auto* run = app.add_subcommand("run", "run a job file (use under mpirun/srun for many ranks)");
  run->add_option("job", job_path, "job file (TOML)")->required()->check(CLI::ExistingFile);
  run->add_flag("--resume", resume, "finish an interrupted archive: compute only the missing tasks");
  run->add_flag("--force", force, "overwrite an existing archive");
  run->add_option("--output,-o", output, "archive path (overrides the job's `output`)");
  run->add_option("--defaults", defaults, "defaults file (default: config/defaults.toml)");
  run->add_flag("--quiet,-q", quiet, "no progress output");
  int kill_after_checkpoint = 0;  // test hook (hidden): SIGKILL rank 0 after this many checkpoints
  run->add_option("--test-kill-after-checkpoint", kill_after_checkpoint, "")->group("");
  int fail_rank = -1;  // test hook (hidden): this rank throws alone after the first checkpoint
  run->add_option("--test-fail-rank", fail_rank, "")->group("");

  auto* validate = app.add_subcommand("validate", "check a job file and its data without running it");
  validate->add_option("job", job_path, "job file (TOML)")->required()->check(CLI::ExistingFile);
  validate->add_option("--defaults", defaults, "defaults file (default: config/defaults.toml)");

  auto* gen = app.add_subcommand("generate", "write the synthetic calibrated county panel with its true parameters");
  gen->add_option("--seed", seed, "seed (required; the bundled data use 20261128)")->required();
  gen->add_option("--out", out_dir, "output directory")->required();
  gen->add_option("--geography", geography, "directory of counties.csv, queen.csv, rook.csv")->capture_default_str();
  gen->add_option("--first-year", first_year, "first year")->capture_default_str();
  gen->add_option("--last-year", last_year, "last year")->capture_default_str();

  auto* insp = app.add_subcommand("inspect", "summarise an archive");
  insp->add_option("archive", archive, "archive (.h5)")->required();
  insp->add_option("--rows", rows, "rows shown per table")->capture_default_str();

  auto* exp = app.add_subcommand("export", "export an archive's tables as CSV");
  exp->add_option("archive", archive, "archive (.h5)")->required();
  exp->add_option("--csv", out_dir, "output directory")->required();

  std::string archive_b;
  auto* cmp = app.add_subcommand("compare", "compare the results of two archives bit for bit (run metadata ignored); exit 0 if identical, 3 if not");
  cmp->add_option("a", archive, "first archive")->required()->check(CLI::ExistingFile);
  cmp->add_option("b", archive_b, "second archive")->required()->check(CLI::ExistingFile);

  std::size_t large_n = 40000;
  int large_k = 6;
  double large_rho = 0.5;
  std::uint64_t large_seed = 1;
  auto* large = app.add_subcommand("sar-large", "fit SAR by ML to a generated kNN graph of N units across the MPI ranks (PETSc + MUMPS); prints estimates, time and memory");
  large->add_option("--n", large_n, "units (default 40000)")->check(CLI::Range(std::size_t{100}, std::size_t{200000000}));
  large->add_option("--k", large_k, "neighbours (default 6)")->check(CLI::Range(1, 100));
  large->add_option("--rho", large_rho, "true rho (default 0.5)")->check(CLI::Range(-0.99, 0.99));
  large->add_option("--seed", large_seed, "seed of the generated data (default 1)");
  std::string large_csv;
  large->add_option("--write-csv", large_csv, "also write the data (y, x1, x2) and the neighbour list as CSV into this directory (one rank only), e.g. for R spatialreg");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = 0;
    if (root) code = app.exit(e);
    else code = e.get_exit_code();
    return code == 0 ? 0 : 2;
  }

  try {
    if (run->parsed()) {
      driver::RunOptions opt;
      opt.resume = resume;
      opt.force = force;
      if (!output.empty()) opt.output = output;
      opt.defaults = driver::find_defaults(defaults, job_path);
      opt.progress = !quiet;
      int rounds = 0;
      if (kill_after_checkpoint > 0 || fail_rank >= 0)
        opt.after_round = [&](const std::string&, std::size_t) {
          ++rounds;
          if (rounds == kill_after_checkpoint && root) std::raise(SIGKILL);
          if (rounds == 1 && mpi.rank() == fail_rank)
            throw std::runtime_error("injected error on rank " + std::to_string(fail_rank) + " alone");
        };
      try {
        driver::run_job(job_path, opt, MPI_COMM_WORLD);
      } catch (const driver::CollectiveError& e) {
        if (root) std::cerr << "revest: error: " << e.what() << "\n";
        return 1;  // every rank agreed on the error: end normally
      } catch (const std::exception& e) {
        // Only this rank knows: the others may be waiting in a collective call. Abort them all.
        std::cerr << "revest: error (rank " << mpi.rank() << "): " << e.what() << "\n";
        std::cerr.flush();
        MPI_Abort(MPI_COMM_WORLD, 1);
        return 1;
      }
      return 0;
    }
    if (large->parsed()) {
      const driver::LargeSarProblem p =
          driver::make_large_sar_problem(MPI_COMM_WORLD, large_n, large_k, large_rho, large_seed);
      if (!large_csv.empty()) {
        REVEST_REQUIRE(mpi.size() == 1, "sar-large --write-csv needs a single rank");
        driver::write_large_sar_csv(p, large_csv);
      }
      const driver::LargeSarResult r = driver::fit_sar_distributed(MPI_COMM_WORLD, p);
      if (root) {
        std::printf("sar-large: n = %zu, k = %d, ranks = %d; graph %.2f s, data solve %.2f s\n", large_n,
                    large_k, mpi.size(), p.seconds_graph, p.seconds_solve);
        std::printf("  rho    %.6f (se %.6f; true %.3f)\n", r.rho, r.rho_se, large_rho);
        for (Eigen::Index j = 0; j < r.beta.size(); ++j)
          std::printf("  beta%ld  %.6f (se %.6f; true %.3f)\n", static_cast<long>(j), r.beta[j], r.beta_se[j], p.true_beta[j]);
        std::printf("  sigma2 %.6f, loglik %.4f\n", r.sigma2, r.loglik);
        std::printf("  fit %.2f s (MUMPS symbolic %.2f s, %d numeric factorisations %.2f s); peak RSS %.0f MB per rank\n",
                    r.seconds_total, r.seconds_symbolic, r.logdet_evaluations, r.seconds_numeric, r.peak_rss_mb);
      }
      return 0;
    }
    if (!root) return 0;  // the other sub-commands are single-process
    if (validate->parsed()) {
      const auto L = driver::load_and_validate(job_path, driver::find_defaults(defaults, job_path));
      std::size_t tasks = 0;
      for (const auto& a : L.analyses) tasks += a->num_tasks();
      std::cout << job_path << ": OK: job '" << L.job.name << "', seed " << L.job.seed << ", "
                << L.job.analyses.size() << " analysis(es), " << tasks << " tasks; panel "
                << L.inputs.panel.num_counties << " counties x " << L.inputs.panel.num_years()
                << " years x " << L.inputs.panel.variables.size() << " variables; output "
                << L.job.output.string() << "\n";
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
      std::cout << (diffs.empty() ? "identical results" : std::to_string(diffs.size()) + " difference(s)") << "\n";
      return diffs.empty() ? 0 : 3;
    }
    if (exp->parsed()) {
      const auto n = driver::export_csv(archive, out_dir);
      std::cout << "wrote " << n << " CSV files to " << out_dir << "\n";
      return 0;
    }
  } catch (const std::exception& e) {
    if (root) std::cerr << "revest: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
