// MPI tests of the runtime: a job run in-process across all ranks of MPI_COMM_WORLD must give
// exactly the replications of the serial reference (core/memory_replications), record failing
// tasks and go on, and end every rank cleanly when one rank hits a real error.
#include "driver/runtime.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>

#include "core/error.hpp"
#include "core/memory_replications.hpp"
#include "driver/analyses.hpp"
#include "driver/archive.hpp"
#include "driver/commands.hpp"
#include "driver/mpi_env.hpp"

using namespace revest;
using namespace revest::driver;

namespace {

const std::filesystem::path kSource = REVEST_SOURCE_DIR;

std::filesystem::path out_path(const std::string& stem) {
  // Same name on every rank: rank 0's value is broadcast to be safe.
  std::string p = (std::filesystem::path(REVEST_BINARY_DIR) / "test-output" /
                   (stem + "_np" + std::to_string(comm_size()) + ".h5"))
                      .string();
  broadcast(p);
  if (comm_rank() == 0) std::filesystem::create_directories(std::filesystem::path(p).parent_path());
  MPI_Barrier(MPI_COMM_WORLD);
  return p;
}

RunOptions base_options(const std::filesystem::path& out) {
  RunOptions o;
  o.force = true;
  o.output = out;
  o.defaults = kSource / "config" / "defaults.toml";
  o.progress = false;
  return o;
}

/// Wraps an analysis: tasks in `fail` return kNumericalFailure; task `throw_at` throws.
class FaultyAnalysis : public Analysis {
 public:
  FaultyAnalysis(std::unique_ptr<Analysis> inner, std::set<std::size_t> fail, long throw_at)
      : inner_(std::move(inner)), fail_(std::move(fail)), throw_at_(throw_at) {}
  std::string kind() const override { return inner_->kind(); }
  std::string name() const override { return inner_->name(); }
  std::size_t num_tasks() const override { return inner_->num_tasks(); }
  std::vector<ReplicationSpec> replication_specs() const override {
    return inner_->replication_specs();
  }
  TaskOutcome run_task(std::size_t t, Rng& rng,
                       std::span<const std::span<double>> out) const override {
    if (static_cast<long>(t) == throw_at_) REVEST_FAIL("injected error in task " << t);
    if (fail_.count(t))
      return {TaskStatus::kNumericalFailure, "injected failure " + std::to_string(t)};
    return inner_->run_task(t, rng, out);
  }
  std::vector<Table> summarize(ReplicationReader& r) const override { return inner_->summarize(r); }

 private:
  std::unique_ptr<Analysis> inner_;
  std::set<std::size_t> fail_;
  long throw_at_;
};

}  // namespace

TEST(StaticBlock, PartitionsEveryRoundExactlyOnce) {
  for (std::size_t n : {0, 1, 7, 64, 101})
    for (int size : {1, 2, 3, 5, 8}) {
      std::vector<std::size_t> round(n);
      std::iota(round.begin(), round.end(), 1000);
      std::vector<std::size_t> all;
      for (int r = 0; r < size; ++r) {
        auto b = static_block(round, r, size);
        EXPECT_LE(b.size(), n / size + 1);
        all.insert(all.end(), b.begin(), b.end());
      }
      EXPECT_EQ(all, round) << "n=" << n << " size=" << size;
    }
}

TEST(StaticBlock, BlocksFollowChunkBoundaries) {
  // 100 tasks in units (chunks) of 21 rows across 2 and 3 ranks: every block but the last
  // ends on a multiple of 21, so no chunk is shared between ranks.
  std::vector<std::size_t> round(100);
  std::iota(round.begin(), round.end(), 0);
  for (int size : {2, 3, 7}) {
    std::vector<std::size_t> all;
    for (int r = 0; r < size; ++r) {
      auto b = static_block(round, r, size, 21);
      if (!b.empty()) {
        EXPECT_EQ(b.front() % 21, 0u) << "rank " << r << " of " << size;
        EXPECT_TRUE(b.back() == 99 || (b.back() + 1) % 21 == 0) << "rank " << r << " of " << size;
      }
      all.insert(all.end(), b.begin(), b.end());
    }
    EXPECT_EQ(all, round);
  }
}

TEST(AutoRoundSize, Bounds) {
  EXPECT_EQ(auto_round_size(0, 3), 1u);
  EXPECT_EQ(auto_round_size(5, 3), 5u);
  EXPECT_EQ(auto_round_size(2000, 2), 40u);
  EXPECT_EQ(auto_round_size(100, 8), 32u);
  // Whole chunks for every rank: 2000 tasks, chunks of 21, 2 ranks -> 42 (>= 40, multiple of 42).
  EXPECT_EQ(auto_round_size(2000, 2, 21), 42u);
  EXPECT_EQ(auto_round_size(2000, 3, 21), 63u);
  EXPECT_EQ(auto_round_size(30, 2, 21), 30u);
}

TEST(CollectiveTry, ErrorOnOneRankReachesAll) {
  const int rank = comm_rank(), size = comm_size();
  const int bad = size - 1;
  try {
    collective_try([&] {
      if (rank == bad) REVEST_FAIL("boom on rank " << bad);
    });
    FAIL() << "collective_try did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "boom on rank " + std::to_string(bad));
  }
  // And no error: nobody throws.
  EXPECT_NO_THROW(collective_try([] {}));
}

TEST(Broadcast, LargeString) {
  std::string s;
  if (comm_rank() == 0) {
    s.resize(3'000'000);
    for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(i * 7919 % 251);
  }
  broadcast(s);
  ASSERT_EQ(s.size(), 3'000'000u);
  EXPECT_EQ(s[2'999'999], static_cast<char>(2'999'999ull * 7919 % 251));
}

// The smoke job across all ranks gives exactly the serial reference's replications, and a
// complete archive with summaries.
TEST(RunJob, MatchesSerialReferenceBitForBit) {
  const auto out = out_path("runtime_smoke");
  auto opt = base_options(out);
  ASSERT_NO_THROW(run_job(kSource / "jobs" / "smoke.toml", opt, MPI_COMM_WORLD));
  if (comm_rank() != 0) return;
  EXPECT_EQ(archive_state(out), ArchiveState::kComplete);
  const auto L = load_and_validate(kSource / "jobs" / "smoke.toml", opt.defaults, out);
  ASSERT_FALSE(L.job.analyses.empty());
  auto f = archive_open(out, false);
  for (const auto& spec : L.specs) {
    auto a = make_analysis(spec, L.inputs);
    auto ref = run_serial(*a, L.job.seed);
    AnalysisLayout lay;
    lay.name = a->name();
    lay.num_tasks = a->num_tasks();
    lay.specs = a->replication_specs();
    ArchiveReader reader(f, lay);
    for (auto s : reader.status()) EXPECT_EQ(s, TaskStatus::kOk);
    for (std::size_t s = 0; s < lay.specs.size(); ++s) {
      const std::size_t w = lay.specs[s].row_size();
      const auto got = reader.read_columns(s, 0, w);
      const auto want = ref.read_columns(s, 0, w);
      ASSERT_EQ(got.size(), want.size());
      EXPECT_EQ(std::memcmp(got.data(), want.data(), got.size() * sizeof(double)), 0)
          << "replications '" << lay.specs[s].name << "' differ from the serial reference";
      // A column block in the middle reads the same values as the full read.
      if (w > 10) {
        const auto mid = reader.read_columns(s, 3, w - 4);
        for (std::size_t b = 0; b < lay.num_tasks; ++b)
          for (std::size_t c = 3; c < w - 4; ++c)
            ASSERT_EQ(std::memcmp(&mid[b * (w - 7) + (c - 3)], &got[b * w + c], sizeof(double)), 0);
      }
    }
    EXPECT_TRUE(h5::exists(f, "/analyses/" + a->name() + "/summary"));
  }
}

TEST(RunJob, FailingTasksAreRecordedAndTheRunGoesOn) {
  const auto out = out_path("runtime_failures");
  auto opt = base_options(out);
  opt.factory = [](const analyses::AnalysisSpec& c, const Inputs& in) -> std::unique_ptr<Analysis> {
    return std::make_unique<FaultyAnalysis>(make_analysis(c, in), std::set<std::size_t>{3, 17}, -1);
  };
  ASSERT_NO_THROW(run_job(kSource / "jobs" / "smoke.toml", opt, MPI_COMM_WORLD));
  if (comm_rank() != 0) return;
  EXPECT_EQ(archive_state(out), ArchiveState::kComplete);
  const auto dir = std::filesystem::path(REVEST_BINARY_DIR) / "test-output" /
                   ("export_np" + std::to_string(comm_size()));
  std::filesystem::remove_all(dir);
  export_csv(out, dir);
  std::ifstream st(dir / "digital_index" / "status.csv");
  std::string line, all;
  std::size_t failures = 0;
  while (std::getline(st, line)) {
    if (line.find("numerical_failure") != std::string::npos) ++failures;
    all += line + "\n";
  }
  EXPECT_EQ(failures, 2u);
  EXPECT_NE(all.find("3,2,numerical_failure,injected failure 3"), std::string::npos)
      << all.substr(0, 400);
  EXPECT_NE(all.find("17,2,numerical_failure,injected failure 17"), std::string::npos);
}

TEST(RunJob, RealErrorOnAnyRankEndsAllRanksWithTheMessage) {
  const auto out = out_path("runtime_error");
  auto opt = base_options(out);
  opt.factory = [](const analyses::AnalysisSpec& c, const Inputs& in) -> std::unique_ptr<Analysis> {
    return std::make_unique<FaultyAnalysis>(make_analysis(c, in), std::set<std::size_t>{}, 21);
  };
  try {
    run_job(kSource / "jobs" / "smoke.toml", opt, MPI_COMM_WORLD);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("injected error in task 21"), std::string::npos)
        << e.what();
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (comm_rank() == 0) {
    EXPECT_EQ(archive_state(out), ArchiveState::kIncomplete);
  }
}

// A task that runs out of memory on any rank ends every rank with a message naming the analysis,
// the task and the rank (under `ulimit -v` it was a bare "std::bad_alloc").
TEST(RunJob, OutOfMemoryNamesTheAnalysisTaskAndRank) {
  const auto out = out_path("runtime_oom");
  auto opt = base_options(out);
  opt.factory = [](const analyses::AnalysisSpec& c, const Inputs& in) -> std::unique_ptr<Analysis> {
    struct Hungry : Analysis {
      std::unique_ptr<Analysis> a;
      std::string kind() const override { return a->kind(); }
      std::string name() const override { return a->name(); }
      std::size_t num_tasks() const override { return a->num_tasks(); }
      std::vector<ReplicationSpec> replication_specs() const override {
        return a->replication_specs();
      }
      TaskOutcome run_task(std::size_t t, Rng& r,
                           std::span<const std::span<double>> o) const override {
        if (t == 13) throw std::bad_alloc();
        return a->run_task(t, r, o);
      }
      std::vector<Table> summarize(ReplicationReader& r) const override { return a->summarize(r); }
    };
    auto h = std::make_unique<Hungry>();
    h->a = make_analysis(c, in);
    return h;
  };
  try {
    run_job(kSource / "jobs" / "smoke.toml", opt, MPI_COMM_WORLD);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find("out of memory: analysis 'digital_index' (entropy_index) task 13 ran out of "
                     "memory (std::bad_alloc) "
                     "on rank "),
              std::string::npos)
        << w;
    EXPECT_NE(w.find(" of " + std::to_string(comm_size()) + " (host "), std::string::npos) << w;
    EXPECT_NE(w.find("run fewer ranks per node"), std::string::npos) << w;
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (comm_rank() == 0) {
    EXPECT_EQ(archive_state(out), ArchiveState::kIncomplete);
  }
}

TEST(RunJob, RefusesToOverwriteACompleteArchive) {
  const auto out = out_path("runtime_smoke_again");
  auto opt = base_options(out);
  ASSERT_NO_THROW(run_job(kSource / "jobs" / "smoke.toml", opt, MPI_COMM_WORLD));
  opt.force = false;
  EXPECT_THROW(run_job(kSource / "jobs" / "smoke.toml", opt, MPI_COMM_WORLD), Error);
}

TEST(RunJob, BadJobFailsOnEveryRankWithFileAndLine) {
  std::string path = (std::filesystem::path(REVEST_BINARY_DIR) / "test-output" /
                      ("bad_job_np" + std::to_string(comm_size()) + ".toml"))
                         .string();
  if (comm_rank() == 0) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << "name = \"bad\"\nseed = 1\n[runtime]\nschedul = \"static\"\n";
  }
  MPI_Barrier(MPI_COMM_WORLD);
  auto opt = base_options(out_path("never"));
  try {
    run_job(path, opt, MPI_COMM_WORLD);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(":4:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("unknown key 'schedul'"), std::string::npos) << e.what();
  }
}
