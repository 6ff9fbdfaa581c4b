// Benchmark of the MPI runtime and the HDF5 archive (not a test; see bench/run.sh).
//
//   mpirun -np P bench_runtime overhead TASKS        -> seconds per task of an empty task
//   mpirun -np P bench_runtime throughput TASKS ROW  -> MB/s of replication rows written
//
// Both run the real runtime (run_job: broadcast, rounds, collective filtered writes, checkpoints,
// summaries) on bench/bench.toml's data with its analysis replaced by a synthetic one.
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "driver/mpi_env.hpp"
#include "driver/runtime.hpp"

using namespace revest;

namespace {
class SyntheticAnalysis : public Analysis {
 public:
  SyntheticAnalysis(std::size_t tasks, std::size_t row) : tasks_(tasks), row_(row) {}
  std::string kind() const override { return "bench"; }
  std::string name() const override { return "bench"; }
  std::size_t num_tasks() const override { return tasks_; }
  std::vector<ReplicationSpec> replication_specs() const override {
    return {{"values", {row_}, "uniform draws"}};
  }
  TaskOutcome run_task(std::size_t, Rng& rng,
                       std::span<const std::span<double>> out) const override {
    for (auto& x : out[0]) x = rng.uniform01();  // incompressible-ish payload
    return {};
  }
  std::vector<Table> summarize(ReplicationReader&) const override { return {}; }

 private:
  std::size_t tasks_, row_;
};
}  // namespace

int main(int argc, char** argv) {
  driver::MpiEnv mpi(&argc, &argv);
  if (argc < 3) {
    if (mpi.rank() == 0)
      std::fprintf(stderr, "usage: bench_runtime overhead TASKS | throughput TASKS ROW\n");
    return 2;
  }
  const std::string mode = argv[1];
  const std::size_t tasks = std::strtoull(argv[2], nullptr, 10);
  const std::size_t row =
      mode == "throughput" && argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1;
  driver::RunOptions opt;
  opt.force = true;
  opt.progress = false;
  std::string out = "/tmp/revest_bench_" + mode + ".h5";
  opt.output = out;
  opt.defaults = std::filesystem::path(REVEST_SOURCE_DIR) / "config" / "defaults.toml";
  opt.factory = [&](const analyses::AnalysisSpec&,
                    const driver::Inputs&) -> std::unique_ptr<Analysis> {
    return std::make_unique<SyntheticAnalysis>(tasks, row);
  };
  MPI_Barrier(MPI_COMM_WORLD);
  const auto t0 = std::chrono::steady_clock::now();
  driver::run_job(std::filesystem::path(REVEST_SOURCE_DIR) / "bench" / "bench.toml", opt,
                  MPI_COMM_WORLD);
  MPI_Barrier(MPI_COMM_WORLD);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (mpi.rank() == 0) {
    const double mb = static_cast<double>(tasks * row * sizeof(double)) / 1e6;
    const double file_mb = static_cast<double>(std::filesystem::file_size(out)) / 1e6;
    std::printf(
        "mode=%s np=%d tasks=%zu row=%zu wall_s=%.3f us_per_task=%.1f data_MB=%.1f file_MB=%.1f "
        "MB_per_s=%.1f\n",
        mode.c_str(), mpi.size(), tasks, row, s, 1e6 * s / static_cast<double>(tasks), mb, file_mb,
        mb / s);
  }
  return 0;
}
