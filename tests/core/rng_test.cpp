#include "core/rng.hpp"

#include <gtest/gtest.h>

#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <cmath>
#include <concepts>
#include <random>
#include <set>
#include <vector>

using revest::Rng;

static_assert(std::uniform_random_bit_generator<Rng>);

// Known-answer test of Philox4x32-10 from Random123's kat_vectors file (Salmon et al., SC'11):
// counter = 0, key = 0 -> 6627e8d5 e169c58d bc57ac4c 9b00dbd8. Exact (integer) comparison.
TEST(Rng, PhiloxKnownAnswer) {
  Rng rng(0, std::uint32_t{0}, 0);
  EXPECT_EQ(rng(), 0x6627e8d5u);
  EXPECT_EQ(rng(), 0xe169c58du);
  EXPECT_EQ(rng(), 0xbc57ac4cu);
  EXPECT_EQ(rng(), 0x9b00dbd8u);
  EXPECT_EQ(rng.words_drawn(), 4u);
}

// Random123 kat_vectors, all-ones counter and key:
// ffffffff x4 / ffffffff x2 -> 408f276d 41c83b0e a20bc7c6 6d5451fd.
TEST(Rng, PhiloxKnownAnswerOnes) {
  Rng::Philox philox;
  Rng::Philox::ctr_type c = {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}};
  Rng::Philox::key_type k = {{0xffffffffu, 0xffffffffu}};
  auto out = philox(c, k);
  EXPECT_EQ(out.v[0], 0x408f276du);
  EXPECT_EQ(out.v[1], 0x41c83b0eu);
  EXPECT_EQ(out.v[2], 0xa20bc7c6u);
  EXPECT_EQ(out.v[3], 0x6d5451fdu);
}

TEST(Rng, SameKeySameStream) {
  Rng a(42, "analysis", 7), b(42, "analysis", 7);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a(), b());
}

// A stream derived for replication r is replication r's own stream, from its start, whatever the
// stream it is derived from and however far that one has been drawn.
TEST(Rng, ForReplicationIsThatReplicationsStream) {
  Rng task(42, "analysis", 7);
  for (int i = 0; i < 13; ++i) task();
  Rng derived = task.for_replication(3), own(42, "analysis", 3);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(derived(), own());
  Rng other = Rng(42, "other", 7).for_replication(3);
  EXPECT_NE(other(), Rng(42, "analysis", 3)());
  EXPECT_EQ(task.words_drawn(), 13u);  // the source is not advanced
  // Parts: part 0 is the stream itself; other parts differ from it and from each other, and are
  // reproducible.
  std::set<std::uint32_t> firsts;
  for (std::uint32_t part = 0; part < 50; ++part) firsts.insert(task.for_replication(3, part)());
  EXPECT_EQ(firsts.size(), 50u);
  EXPECT_EQ(task.for_replication(3, 0)(), Rng(42, "analysis", 3)());
  Rng p1 = task.for_replication(3, 7), p2 = Rng(42, "analysis", 99).for_replication(3, 7);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(p1(), p2());
}

TEST(Rng, DifferentKeysDiffer) {
  std::set<std::uint32_t> firsts;
  for (std::uint32_t rep = 0; rep < 100; ++rep) firsts.insert(Rng(42, "a", rep)());
  firsts.insert(Rng(43, "a", 0)());
  firsts.insert(Rng(42, "b", 0)());
  EXPECT_EQ(firsts.size(), 102u);  // 102 distinct streams; a collision of 32-bit words is ~1e-6
}

TEST(Rng, StreamIdIsStableFnv1a) {
  // FNV-1a 32-bit of the empty string is the offset basis; of "a" it is 0xe40c292c.
  EXPECT_EQ(revest::stream_id(""), 2166136261u);
  EXPECT_EQ(revest::stream_id("a"), 0xe40c292cu);
}

TEST(Rng, Uniform01InOpenInterval) {
  Rng rng(1, "u", 0);
  double sum = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform01();
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  // Mean of n uniforms has sd 1/sqrt(12 n) = 6.5e-4; 5 sd tolerance.
  EXPECT_NEAR(sum / n, 0.5, 5 * 6.5e-4);
}

TEST(Rng, BoostNormalMoments) {
  Rng rng(2026, "normal", 3);
  boost::random::normal_distribution<double> nd(0.0, 1.0);
  const int n = 200000;
  double s = 0, s2 = 0;
  for (int i = 0; i < n; ++i) {
    const double z = nd(rng);
    s += z;
    s2 += z * z;
  }
  // sd of the mean 1/sqrt(n) = 2.2e-3, of the variance sqrt(2/n) = 3.2e-3; 5 sd tolerances.
  EXPECT_NEAR(s / n, 0.0, 5 * 2.3e-3);
  EXPECT_NEAR(s2 / n, 1.0, 5 * 3.2e-3);
}

TEST(Rng, UniformIntCoversRange) {
  Rng rng(5, "int", 0);
  boost::random::uniform_int_distribution<int> d(0, 9);
  std::vector<int> counts(10, 0);
  for (int i = 0; i < 100000; ++i) ++counts[d(rng)];
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);  // binomial sd 95; > 5 sd
}

TEST(Rng, CounterCarriesIntoSecondWord) {
  // Drawing across many blocks never repeats the first block.
  Rng rng(9, "carry", 0);
  const auto first = rng();
  for (int i = 0; i < 100000; ++i) rng();
  EXPECT_EQ(rng.words_drawn(), 100001u);
  Rng again(9, "carry", 0);
  EXPECT_EQ(again(), first);
}
