// The entropy-weight TOPSIS index as a library (src/index/entropy_topsis.hpp): the index of N
// units x T periods, its replications and the bootstrap loop, on a small matrix built here. The
// job analysis is tested in tests/analyses/entropy_index_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/random/uniform_int_distribution.hpp>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "index/entropy_topsis.hpp"
#include "test_support.hpp"

namespace revest::index {
namespace {

using revest::test::error_of;

constexpr std::size_t kN = 12, kT = 2;

// 12 units x 2 periods x 3 indicators (the third a cost), rows unit-major.
IndexData small_data() {
  IndexData d;
  d.units = kN;
  d.periods = kT;
  d.direction = {1, 1, -1};
  d.indicators = {"broadband", "ecommerce", "gap"};
  d.years = {2021, 2022};
  d.raw.resize(kN * kT, 3);
  for (std::size_t i = 0; i < kN; ++i)
    for (std::size_t t = 0; t < kT; ++t) {
      const auto r = static_cast<Eigen::Index>(i * kT + t);
      const double x = static_cast<double>(i) + 0.5 * static_cast<double>(t);
      d.raw(r, 0) = 10 + 3 * x + (i % 3);
      d.raw(r, 1) = std::exp(0.2 * x) + (i % 2);
      d.raw(r, 2) = 5 - 0.3 * x + 0.1 * static_cast<double>(i % 4);
    }
  return d;
}

}  // namespace

TEST(EntropyTopsisOptions, Validate) {
  EXPECT_NO_THROW(EntropyTopsisOptions{}.validate());
  EntropyTopsisOptions o;
  o.confidence = 1.0;
  EXPECT_NE(error_of([&] { o.validate(); }).find("confidence"), std::string::npos);
  o = {};
  o.shift = -1;
  EXPECT_NE(error_of([&] { o.validate(); }).find("shift"), std::string::npos);
  o = {};
  o.weight_scope = static_cast<WeightScope>(3);
  EXPECT_NE(error_of([&] { o.validate(); }).find("weight_scope"), std::string::npos);
  for (WeightScope s : {WeightScope::kPerYear, WeightScope::kPooled})
    EXPECT_EQ(weight_scope_from_string(to_string(s)), s);
  EXPECT_NE(error_of([] { weight_scope_from_string("weekly"); }).find("weight_scope"),
            std::string::npos);
}

// The library entry point: status, the method written out with the numeric functions, ranks,
// and the brief report.
TEST(EntropyTopsis, EntryPointMatchesTheNumericPipeline) {
  const IndexData d = small_data();
  for (WeightScope scope : {WeightScope::kPerYear, WeightScope::kPooled}) {
    EntropyTopsisOptions o;
    o.weight_scope = scope;
    const EntropyIndexResult r = entropy_topsis(d, o);
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    ASSERT_EQ(r.weights.rows(), 2);
    ASSERT_EQ(r.weights.cols(), 3);
    ASSERT_EQ(r.scores.cols(), static_cast<Eigen::Index>(kN));
    const Eigen::MatrixXd x = minmax_standardize(d.raw, d.direction);
    const Eigen::VectorXd pooled = entropy_weights_from_standardized(x, 0.0);
    for (Eigen::Index t = 0; t < 2; ++t) {
      const Eigen::MatrixXd xt = x(Eigen::seqN(t, kN, 2), Eigen::all);
      const Eigen::VectorXd w =
          scope == WeightScope::kPooled ? pooled : entropy_weights_from_standardized(xt, 0.0);
      EXPECT_LT((r.weights.row(t).transpose() - w).cwiseAbs().maxCoeff(), 1e-14);
      const Eigen::VectorXd c =
          topsis_closeness(xt, w, Eigen::VectorXd::Ones(3), Eigen::VectorXd::Zero(3));
      EXPECT_LT((r.scores.row(t).transpose() - c).cwiseAbs().maxCoeff(), 1e-14);
      std::vector<double> ranks;
      for (Eigen::Index i = 0; i < r.ranks.cols(); ++i) ranks.push_back(r.ranks(t, i));
      std::sort(ranks.begin(), ranks.end());
      for (std::size_t i = 0; i < kN; ++i) EXPECT_EQ(ranks[i], static_cast<double>(i + 1));
    }
    const std::string report = r.brief_report();
    std::printf("%s\n", report.c_str());
    EXPECT_NE(report.find("12 units x 2 periods on 3 indicators"), std::string::npos) << report;
    EXPECT_NE(report.find("status ok."), std::string::npos) << report;
  }
}

// Degenerate data are a status naming the indicator; bad arguments are errors.
TEST(EntropyTopsis, DegenerateSampleIsAStatus) {
  IndexData d = small_data();
  const std::vector<std::size_t> one(kN, 4);  // the same unit drawn N times
  const EntropyIndexResult u = entropy_topsis(d, {}, one);
  EXPECT_EQ(u.status.code, StatusCode::kNumericalFailure);
  EXPECT_NE(u.status.message.find("weights are undefined in year 2021"), std::string::npos)
      << u.status.message;
  // "gap" equal for units 0 and 1 in both years: constant over a sample of those two.
  for (Eigen::Index r = 0; r < 4; ++r) d.raw(r, 2) = 7.0;
  std::vector<std::size_t> two(kN);
  for (std::size_t i = 0; i < kN; ++i) two[i] = i % 2;
  const EntropyIndexResult r = entropy_topsis(d, {}, two);
  EXPECT_EQ(r.status.code, StatusCode::kNumericalFailure);
  EXPECT_NE(r.status.message.find("indicator 'gap' is constant (7)"), std::string::npos)
      << r.status.message;
  EXPECT_EQ(r.scores.size(), 0);
  EXPECT_NE(r.brief_report().find("numerical_failure"), std::string::npos) << r.brief_report();
  EXPECT_TRUE(entropy_topsis(d, {}).status.ok());  // the full sample is fine
  d.direction = {1, 1};
  EXPECT_THROW(entropy_topsis(d, {}), Error);
}

// A replication draws N units with replacement from its stream and evaluates the index on them;
// the same stream gives the same replication.
TEST(EntropyTopsis, ReplicationIsAResampleFromItsStream) {
  const IndexData d = small_data();
  const RngKey key(7, "library-index");
  Rng a = key.stream(3), b = key.stream(3), c = key.stream(3);
  const EntropyIndexResult r1 = entropy_topsis_replication(d, {}, a);
  const EntropyIndexResult r2 = entropy_topsis_replication(d, {}, b);
  ASSERT_TRUE(r1.status.ok()) << r1.status.to_string();
  EXPECT_EQ(r1.scores, r2.scores);
  boost::random::uniform_int_distribution<std::size_t> pick(0, kN - 1);
  std::vector<std::size_t> sample(kN);
  for (auto& s : sample) s = pick(c);
  const EntropyIndexResult r3 = entropy_topsis(d, {}, sample);
  EXPECT_EQ(r1.weights, r3.weights);
  EXPECT_EQ(r1.scores, r3.scores);
  EXPECT_EQ(r1.ranks, r3.ranks);
  Rng e = key.stream(4);
  EXPECT_NE(entropy_topsis_replication(d, {}, e).weights, r1.weights);
}

// The library loop: replication r from key.stream(r), summarised per column.
TEST(EntropyTopsis, BootstrapSummarisesItsReplications) {
  const IndexData d = small_data();
  EntropyTopsisOptions o;
  o.confidence = 0.9;
  const RngKey key(11, "library-index");
  const EntropyIndexBootstrap B = bootstrap(d, o, key, 40);
  ASSERT_TRUE(B.status.ok()) << B.status.to_string();
  ASSERT_EQ(B.replications.size(), 40u);
  EXPECT_EQ(B.point.scores, entropy_topsis(d, o).scores);
  ASSERT_EQ(B.scores.mean.size(), kT * kN);
  ASSERT_EQ(B.weights.mean.size(), kT * 3);
  // Column (t = 1, unit 5) of the scores by hand.
  std::vector<double> v;
  for (std::uint32_t r = 0; r < 40; ++r) {
    Rng rng = key.stream(r);
    const EntropyIndexResult rep = entropy_topsis_replication(d, o, rng);
    if (rep.status.ok()) v.push_back(rep.scores(1, 5));
  }
  EXPECT_EQ(v.size() + B.failed, 40u);
  double mean = 0;
  for (double x : v) mean += x / static_cast<double>(v.size());
  EXPECT_NEAR(B.scores.mean[kN + 5], mean, 1e-14);
  EXPECT_EQ(B.scores.n[kN + 5], v.size());
  EXPECT_LE(B.scores.lo[kN + 5], B.scores.hi[kN + 5]);
  EXPECT_GE(B.scores.lo[kN + 5], *std::min_element(v.begin(), v.end()));
  EXPECT_LE(B.scores.hi[kN + 5], *std::max_element(v.begin(), v.end()));
  const std::string report = B.brief_report();
  std::printf("%s\n", report.c_str());
  EXPECT_NE(report.find("40 replications"), std::string::npos) << report;
  EXPECT_NE(report.find("90% intervals"), std::string::npos) << report;
}

}  // namespace revest::index
