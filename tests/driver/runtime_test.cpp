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
#include <sstream>

#include "analyses/spatial_inputs.hpp"
#include "core/error.hpp"
#include "core/memory_replications.hpp"
#include "driver/analyses.hpp"
#include "driver/archive.hpp"
#include "driver/archive_tools.hpp"
#include "driver/commands.hpp"
#include "driver/driver_test_support.hpp"
#include "driver/h5.hpp"
#include "driver/mpi_env.hpp"
#include "spatial/weights_io.hpp"

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

using test::base_options;

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
  std::size_t phase_boundary() const override { return inner_->phase_boundary(); }
  void prepare(ReplicationReader& r) override { inner_->prepare(r); }

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
      std::size_t phase_boundary() const override { return a->phase_boundary(); }
      void prepare(ReplicationReader& r) override { a->prepare(r); }
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

// Weights from files (issue 18): a job whose spatial analysis reads a GeoDa .gal and a .gwt (in a
// directory with a blank in its name) gives the statistics of the built-in matrices they hold; the
// files are inputs like the data (embedded as weights_1, weights_2, checksummed: a resume after
// one changed is refused), every matrix used is in the archive, and a re-run from the archive alone
// reproduces the results.
TEST(RunJob, WeightsFilesAreInputsEmbeddedAndReRun) {
  std::string dir_s = (std::filesystem::path(REVEST_BINARY_DIR) / "test-output" /
                       ("weights_files_np" + std::to_string(comm_size())))
                          .string();
  broadcast(dir_s);
  const std::filesystem::path dir = dir_s, job = dir / "job.toml";
  const std::filesystem::path gwt = dir / "sub dir" / "knn.gwt";
  std::string knn_text, queen_gwt_text;
  if (comm_rank() == 0) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "sub dir");
    const io::Geography geo = io::load_geography(kSource / "data" / "southwest");
    const analyses::WeightsSet set({spatial::parse_weights_spec("queen", "t"),
                                    spatial::parse_weights_spec("knn k=4 standardise=none", "t")},
                                   geo, io::Panel{}, std::nullopt);
    std::vector<std::string> ids;
    for (const auto& c : geo.counties) ids.push_back(std::to_string(c.adcode_ref));
    std::ofstream(dir / "queen.gal")
        << spatial::write_weights_text(set.w[0]->W, spatial::WeightsFormat::kGal, ids);
    knn_text = spatial::write_weights_text(set.w[1]->W, spatial::WeightsFormat::kGwt, ids);
    queen_gwt_text = spatial::write_weights_text(set.w[0]->W, spatial::WeightsFormat::kGwt, ids);
    std::ofstream(gwt) << knn_text;
    std::ofstream(job) << "name = \"weights_files\"\nseed = 11\noutput = \"wf.h5\"\n"
                          "[data]\nyears = [2021, 2022]\n[runtime]\nchunk_tasks = 2\n"
                          "[[analysis]]\nkind = \"spatial_esda\"\nname = \"clusters\"\n"
                          "variables = [\"dig_index\"]\n"
                          "weights = [\"queen\", \"gal file=queen.gal\", \"knn k=4\", "
                          "'gwt file=\"sub dir/knn.gwt\"']\n"
                          "cross_section = \"last_year\"\npermutations = 99\n"
                          "permutations_per_task = 10\n";
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const auto out = out_path("weights_files");
  // Stopped after its first round, then resumed after the .gwt changed: refused.
  auto opt = base_options(out);
  opt.stop_requested = [] { return 15; };
  const RunResult stopped = run_job(job, opt, MPI_COMM_WORLD);
  EXPECT_EQ(stopped.stopped_by, 15);
  EXPECT_GT(stopped.tasks_left, 0u);
  if (comm_rank() == 0) std::ofstream(gwt) << queen_gwt_text;
  MPI_Barrier(MPI_COMM_WORLD);
  opt.stop_requested = {};
  opt.force = false;
  opt.resume = true;
  try {
    run_job(job, opt, MPI_COMM_WORLD);
    ADD_FAILURE() << "a changed weights file did not stop the resume";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("knn.gwt has changed since the archive was written"),
              std::string::npos)
        << e.what();
  }
  if (comm_rank() == 0) std::ofstream(gwt) << knn_text;
  MPI_Barrier(MPI_COMM_WORLD);
  ASSERT_NO_THROW(run_job(job, opt, MPI_COMM_WORLD));
  // Re-run from the archive alone (the weights files are read from it, not from the disk).
  const auto again = out_path("weights_files_rerun");
  if (comm_rank() == 0) std::filesystem::remove_all(dir / "sub dir");
  MPI_Barrier(MPI_COMM_WORLD);
  auto ropt = base_options(again);
  ropt.from_archive = out;
  ASSERT_NO_THROW(run_job(job, ropt, MPI_COMM_WORLD));
  if (comm_rank() != 0) return;
  auto f = archive_open(out, false);
  EXPECT_TRUE(h5::exists(f, "/meta/files/weights_1"));
  EXPECT_TRUE(h5::exists(f, "/meta/files/weights_2"));
  h5::Handle g(H5Gopen2(f, "/analyses/clusters/summary", H5P_DEFAULT));
  const Table glob = h5::read_table(g, "global"), mats = h5::read_table(g, "weights_matrices");
  const auto& labels = std::get<std::vector<std::string>>(glob.columns[0].data);
  const auto& value = std::get<std::vector<double>>(glob.columns[4].data);
  ASSERT_EQ(glob.columns[4].name, "value");
  ASSERT_EQ(labels.size(), 4u * 3u);  // 4 matrices x 3 statistics
  EXPECT_EQ(labels[3], "gal file=queen.gal");
  EXPECT_EQ(labels[9], "gwt file=\"sub dir/knn.gwt\"");
  for (std::size_t s = 0; s < 3; ++s) {
    EXPECT_EQ(value[s], value[3 + s]) << "queen and its .gal, statistic " << s;
    EXPECT_EQ(value[6 + s], value[9 + s]) << "knn and its .gwt, statistic " << s;
  }
  // The matrices table: 2 x 1,442 queen links twice, 512 x 4 kNN links twice.
  EXPECT_EQ(mats.columns[0].size(), 2u * 2u * 1442u + 2u * 512u * 4u);
  auto g2 = archive_open(again, false);
  h5::Handle gg(H5Gopen2(g2, "/analyses/clusters/summary", H5P_DEFAULT));
  const Table glob2 = h5::read_table(gg, "global");
  for (std::size_t c = 4; c < glob.columns.size(); ++c)
    EXPECT_EQ(glob.columns[c].data, glob2.columns[c].data) << glob.columns[c].name;
}

// A two-phase analysis (efficiency_factors with Simar-Wilson Algorithm 2: L1 tasks, then L2 tasks
// that need the bias correction from every L1 task): a run stopped at the end of the first phase,
// and one stopped inside the second, resume to the archive of an uninterrupted run (every rank
// prepares the second phase from the stored rows); verify re-runs tasks of both phases; two
// shards merge to the same archive.
TEST(RunJob, TwoPhaseAnalysisResumesVerifiesAndShards) {
  std::string dir_s = (std::filesystem::path(REVEST_BINARY_DIR) / "test-output" /
                       ("two_phase_np" + std::to_string(comm_size())))
                          .string();
  broadcast(dir_s);
  const std::filesystem::path dir = dir_s, job = dir / "job.toml";
  if (comm_rank() == 0) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::ofstream(job)
        << "name = \"two_phase\"\nseed = 3\noutput = \"tp.h5\"\n"
           "[data]\ngeography = \""
        << (kSource / "data" / "southwest").string() << "\"\npanel = \""
        << (kSource / "data" / "synthetic" / "panel.csv").string() << "\"\nindicators = \""
        << (kSource / "config" / "indicators.toml").string()
        << "\"\nyears = [2022, 2022]\n[runtime]\nchunk_tasks = 3\ncheckpoint_seconds = 0\n"
           "[[analysis]]\nkind = \"three_stage_dea\"\nname = \"efficiency\"\n"
           "replications = 2\n"
           "[[analysis]]\nkind = \"efficiency_factors\"\nname = \"factors\"\n"
           "scores_from = \"efficiency\"\nmodels = [\"ols\", \"sw1\", \"sw2\"]\n"
           "l1 = 6\nl2 = 20\nreplications_per_task = 4\n";
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const auto full = out_path("two_phase_full");
  ASSERT_NO_THROW(run_job(job, base_options(full), MPI_COMM_WORLD));
  // Stopped once `factors` has `at` tasks done (6: the whole first phase; 8: inside the second).
  for (const std::size_t at : {std::size_t{6}, std::size_t{8}}) {
    const auto out = out_path("two_phase_stop" + std::to_string(at));
    auto opt = base_options(out);
    bool stop = false;
    opt.after_round = [&](const std::string& name, std::size_t done) {
      if (name == "factors" && done >= at) stop = true;
    };
    opt.stop_requested = [&] { return stop ? 15 : 0; };
    const RunResult stopped = run_job(job, opt, MPI_COMM_WORLD);
    EXPECT_EQ(stopped.stopped_by, 15) << at;
    EXPECT_GT(stopped.tasks_left, 0u) << at;
    opt.stop_requested = {};
    opt.after_round = {};
    opt.force = false;
    opt.resume = true;
    ASSERT_NO_THROW(run_job(job, opt, MPI_COMM_WORLD)) << at;
    if (comm_rank() == 0) {
      const auto diff = compare_archives(full, out);
      EXPECT_TRUE(diff.empty()) << at << ": " << (diff.empty() ? "" : diff.front());
    }
  }
  if (comm_rank() == 0) {
    std::ostringstream log;
    VerifyOptions vo;
    vo.sample = 11;  // every task of `factors` but one: both phases
    EXPECT_EQ(verify_archive(full, vo, log), 0u) << log.str();
  }
  // Sharded: shard 0 computes every task of the two-phase analysis (its second phase needs all of
  // its first), the other shard none of them; the merge is the uninterrupted run's archive.
  const auto merged = out_path("two_phase_merged");
  for (int k = 0; k < 2; ++k) {
    auto sopt = base_options(merged);
    sopt.shard = ShardSpec{k, 2};
    ASSERT_NO_THROW(run_job(job, sopt, MPI_COMM_WORLD)) << "shard " << k;
  }
  if (comm_rank() == 0) {
    MergeOptions mo;
    mo.output = merged;
    mo.shards = 2;
    mo.force = true;
    std::ostringstream log;
    ASSERT_NO_THROW(merge_shards(mo, log)) << log.str();
    const auto diff = compare_archives(full, merged);
    EXPECT_TRUE(diff.empty()) << (diff.empty() ? "" : diff.front());
  }
}
