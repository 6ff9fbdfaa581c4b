// Pieces of `revest submit` and of sharding that need no cluster: shell quoting (checked by
// running bash on the quoted words), template rendering, job names, shard slices and names.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <numeric>

#include "core/error.hpp"
#include "driver/archive.hpp"
#include "driver/slurm.hpp"

using namespace revest;
using namespace revest::driver;

namespace {
std::string run_bash(const std::string& script) {
  const std::string path = std::string(REVEST_BINARY_DIR) + "/slurm_test_script.sh";
  std::ofstream(path) << script;
  std::string out;
  FILE* p = popen(("bash " + path).c_str(), "r");
  char buf[256];
  while (p && fgets(buf, sizeof buf, p)) out += buf;
  if (p) pclose(p);
  return out;
}
}  // namespace

TEST(ShellQuote, BashReadsBackEveryByteAndRunsNothing) {
  const std::string marker = std::string(REVEST_BINARY_DIR) + "/slurm_test_pwned";
  std::remove(marker.c_str());
  const std::vector<std::string> hostile = {"plain",
                                            "with space",
                                            "it's",
                                            "\"double\"",
                                            "$(touch " + marker + ")",
                                            "`touch " + marker + "`",
                                            "a;touch " + marker,
                                            "new\nline",
                                            "back\\slash",
                                            "$HOME",
                                            "*",
                                            "'",
                                            "''",
                                            ""};
  for (const auto& h : hostile) {
    const std::string out = run_bash("printf '%s' " + shell_quote(h) + "\n");
    EXPECT_EQ(out, h) << "quoted: " << shell_quote(h);
  }
  std::ifstream check(marker);
  EXPECT_FALSE(check.good()) << "a quoted word was executed";
}

TEST(SlurmJobName, OnlySafeCharacters) {
  EXPECT_EQ(slurm_job_name("southwest"), "southwest");
  EXPECT_EQ(slurm_job_name("my job's \"x\"$(y)"), "my_job_s__x___y_");
  EXPECT_EQ(slurm_job_name(""), "revest");
}

TEST(RenderTemplate, ReplacesKnownAndRejectsUnknownPlaceholders) {
  EXPECT_EQ(render_template("a=@A@\nb=@B@ e@mail.org @@\n", {{"A", "1"}, {"B", "'x y'"}}, "t.in"),
            "a=1\nb='x y' e@mail.org @@\n");
  try {
    render_template("x\ny=@NOPE@\n", {{"A", "1"}}, "t.in");
    FAIL() << "an unknown placeholder must be an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("t.in:2: unknown placeholder @NOPE@"), std::string::npos)
        << e.what();
  }
}

TEST(Shards, SlicesPartitionEveryAnalysisInOrder) {
  for (std::size_t n : {0u, 1u, 2u, 5u, 16u, 1024u, 1101u})
    for (int K : {1, 2, 3, 4, 7}) {
      std::vector<std::size_t> all;
      for (int k = 0; k < K; ++k) {
        const auto t = shard_tasks(n, ShardSpec{k, K});
        all.insert(all.end(), t.begin(), t.end());
        // Balanced: sizes differ by at most one.
        EXPECT_LE(t.size(), n / static_cast<std::size_t>(K) + 1);
        EXPECT_GE(t.size(), n / static_cast<std::size_t>(K));
      }
      std::vector<std::size_t> want(n);
      std::iota(want.begin(), want.end(), 0);
      EXPECT_EQ(all, want) << "n=" << n << " K=" << K;
    }
}

TEST(Shards, NamesAndParsing) {
  EXPECT_EQ(shard_path("results/southwest.h5", ShardSpec{1, 4}).string(),
            "results/southwest.shard-1-of-4.h5");
  EXPECT_EQ(shard_path("results/southwest.h5", ShardSpec{0, 1}).string(), "results/southwest.h5");
  EXPECT_EQ(shard_path("/a b/x", ShardSpec{2, 3}).string(), "/a b/x.shard-2-of-3.h5");
  const ShardSpec s = parse_shard("2/4");
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.count, 4);
  for (const char* bad : {"4/4", "-1/3", "1", "1/", "/3", "a/b", "1/3x", "1/0"})
    EXPECT_THROW(parse_shard(bad), Error) << bad;
}

TEST(SlurmTime, AllSbatchFormats) {
  EXPECT_EQ(slurm_time_seconds("1"), 60);
  EXPECT_EQ(slurm_time_seconds("90"), 5400);
  EXPECT_EQ(slurm_time_seconds("1:30"), 90);
  EXPECT_EQ(slurm_time_seconds("01:00:00"), 3600);
  EXPECT_EQ(slurm_time_seconds("2-0"), 2 * 86400);
  EXPECT_EQ(slurm_time_seconds("1-02:30"), 86400 + 2 * 3600 + 30 * 60);
  EXPECT_EQ(slurm_time_seconds("1-02:30:05"), 86400 + 2 * 3600 + 30 * 60 + 5);
  for (const char* bad : {"", "1h", "1:2:3:4", "a-1", ":30", "1::2", "-1"})
    EXPECT_THROW(slurm_time_seconds(bad), Error) << bad;
}
