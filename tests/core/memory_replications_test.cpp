// Tests of the in-memory replication store and the serial reference runner
// (src/core/memory_replications.hpp), with a toy analysis.
#include "core/memory_replications.hpp"

#include <gtest/gtest.h>

#include <boost/random/uniform_real_distribution.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace revest {
namespace {

constexpr std::uint64_t kSeed = 987654321;

// Task t writes two uniform draws into "a" and (t, draw, draw) into "b" (shape {1, 3}); every
// fourth task (t % 4 == 3) scribbles into its rows and then reports a numerical failure; task
// `throw_on` (if set) throws.
class ToyAnalysis : public Analysis {
 public:
  explicit ToyAnalysis(std::size_t tasks, std::size_t throw_on = SIZE_MAX)
      : tasks_(tasks), throw_on_(throw_on) {}
  std::string kind() const override { return "toy"; }
  std::string name() const override { return "toy_instance"; }
  std::size_t num_tasks() const override { return tasks_; }
  std::vector<ReplicationSpec> replication_specs() const override {
    return {{"a", {2}, "two draws"}, {"b", {1, 3}, "task and two draws"}};
  }
  TaskOutcome run_task(std::size_t task, Rng& rng,
                       std::span<const std::span<double>> out) const override {
    if (task == throw_on_) throw std::logic_error("toy bug");
    boost::random::uniform_real_distribution<double> u(0.0, 1.0);
    out[0][0] = u(rng);
    out[0][1] = u(rng);
    out[1][0] = static_cast<double>(task);
    out[1][1] = u(rng);
    out[1][2] = u(rng);
    if (task % 4 == 3)
      return {TaskStatus::kNumericalFailure, "toy failure " + std::to_string(task)};
    return {};
  }
  std::vector<Table> summarize(ReplicationReader&) const override { return {}; }

 private:
  std::size_t tasks_, throw_on_;
};

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

TEST(MemoryReplications, StartsAsNaNAndNotRun) {
  const ToyAnalysis toy(5);
  MemoryReplications m(toy);
  EXPECT_EQ(m.num_tasks(), 5u);
  ASSERT_EQ(m.specs().size(), 2u);
  EXPECT_EQ(m.data(0).size(), 10u);
  EXPECT_EQ(m.data(1).size(), 15u);
  for (std::size_t d = 0; d < 2; ++d)
    for (double v : m.data(d)) EXPECT_TRUE(std::isnan(v));
  for (TaskStatus s : m.status()) EXPECT_EQ(s, TaskStatus::kNotRun);
}

TEST(MemoryReplications, RunSerialUsesOneStreamPerTask) {
  const ToyAnalysis toy(9);
  const MemoryReplications m = run_serial(toy, kSeed);
  for (std::size_t t = 0; t < 9; ++t) {
    if (t % 4 == 3) {
      EXPECT_EQ(m.statuses()[t], TaskStatus::kNumericalFailure);
      EXPECT_EQ(m.messages()[t], "toy failure " + std::to_string(t));
      // Rows of failed tasks are NaN even though the task wrote into them.
      for (std::size_t d = 0; d < 2; ++d)
        for (double v : m.row(d, t)) EXPECT_TRUE(std::isnan(v)) << "task " << t;
      continue;
    }
    EXPECT_EQ(m.statuses()[t], TaskStatus::kOk);
    EXPECT_TRUE(m.messages()[t].empty());
    // The same draws from the task's own stream Rng(seed, name, task).
    Rng rng(kSeed, "toy_instance", static_cast<std::uint32_t>(t));
    boost::random::uniform_real_distribution<double> u(0.0, 1.0);
    EXPECT_EQ(m.row(0, t)[0], u(rng));
    EXPECT_EQ(m.row(0, t)[1], u(rng));
    EXPECT_EQ(m.row(1, t)[0], static_cast<double>(t));
    EXPECT_EQ(m.row(1, t)[1], u(rng));
    EXPECT_EQ(m.row(1, t)[2], u(rng));
  }
}

TEST(MemoryReplications, ReadColumnsIsRowMajorOverTasks) {
  const ToyAnalysis toy(6);
  MemoryReplications m = run_serial(toy, kSeed);
  const std::vector<double> block = m.read_columns(1, 1, 3);  // columns 1, 2 of "b"
  ASSERT_EQ(block.size(), 6u * 2u);
  for (std::size_t t = 0; t < 6; ++t)
    for (std::size_t c = 0; c < 2; ++c) {
      const double expected = m.row(1, t)[1 + c];
      const double got = block[t * 2 + c];
      if (std::isnan(expected))
        EXPECT_TRUE(std::isnan(got));
      else
        EXPECT_EQ(got, expected);
    }
  EXPECT_EQ(m.max_block_columns(), 2u);
  EXPECT_EQ(m.read_calls(), 1u);
  EXPECT_TRUE(m.read_columns(0, 1, 1).empty());
  EXPECT_THROW(m.read_columns(2, 0, 1), Error);  // no such dataset
  EXPECT_THROW(m.read_columns(0, 1, 3), Error);  // past the row
  EXPECT_THROW(m.read_columns(0, 2, 1), Error);  // reversed
}

TEST(MemoryReplications, OrderOfTasksDoesNotMatter) {
  const ToyAnalysis toy(13);
  const MemoryReplications serial = run_serial(toy, kSeed);
  MemoryReplications reversed(toy);
  for (std::size_t t = toy.num_tasks(); t-- > 0;) reversed.run(toy, kSeed, t);
  for (std::size_t d = 0; d < 2; ++d) EXPECT_TRUE(same_bits(serial.data(d), reversed.data(d)));
  EXPECT_EQ(serial.statuses(), reversed.statuses());
  // Re-running a task (as after a resume) gives the same row.
  reversed.run(toy, kSeed, 5);
  reversed.run(toy, kSeed, 7);
  for (std::size_t d = 0; d < 2; ++d) EXPECT_TRUE(same_bits(serial.data(d), reversed.data(d)));
  // Another seed differs.
  const MemoryReplications other = run_serial(toy, kSeed + 1);
  EXPECT_FALSE(same_bits(serial.data(0), other.data(0)));
}

TEST(MemoryReplications, ExceptionsPropagate) {
  const ToyAnalysis toy(4, 2);
  EXPECT_THROW(run_serial(toy, kSeed), std::logic_error);
  MemoryReplications m(toy);
  EXPECT_THROW(m.run(toy, kSeed, 4), Error);  // task out of range
}

TEST(MemoryReplications, SetStatusAndRowAccess) {
  MemoryReplications m({{"x", {2, 2}, ""}}, 3);
  m.row(0, 1)[3] = 4.5;
  EXPECT_EQ(m.data(0)[1 * 4 + 3], 4.5);
  m.set_status(2, TaskStatus::kNoConvergence, "slow");
  EXPECT_EQ(m.status()[2], TaskStatus::kNoConvergence);
  EXPECT_EQ(m.messages()[2], "slow");
  EXPECT_THROW(m.row(0, 3), Error);
  EXPECT_THROW(m.row(1, 0), Error);
  EXPECT_THROW(m.set_status(3, TaskStatus::kOk, ""), Error);
}

}  // namespace
}  // namespace revest
