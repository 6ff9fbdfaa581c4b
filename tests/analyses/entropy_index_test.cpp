// Tests of the entropy-weight TOPSIS index analysis (src/analyses/entropy_index.hpp) on a small
// synthetic panel built here (40 counties x 3 years), run serially with run_serial.
#include "analyses/entropy_index.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "core/memory_replications.hpp"
#include "core/rng.hpp"
#include "index/entropy_topsis.hpp"
#include "test_support.hpp"

namespace revest::analyses {
namespace {

using namespace revest::index;

constexpr std::size_t kN = 40;
constexpr std::uint64_t kSeed = 20240521;
const std::vector<int> kYears = {2020, 2021, 2022};

struct Fixture {
  io::Geography geo;
  io::Panel panel;
  io::IndicatorSystem system;
};

io::Indicator indicator(std::string name, int direction, std::vector<std::string> uses) {
  io::Indicator ind;
  ind.name = name;
  ind.label = name;
  ind.group = "digital_economy";
  ind.direction = direction;
  ind.domain = io::Domain::kNonNegative;
  ind.uses = std::move(uses);
  return ind;
}

// 40 counties in two provinces; four "index" indicators (three benefit, one cost) driven by a
// latent development level that grows over the years, plus one indicator not used by the index
// and one ("rare") that is non-zero for county 0 only.
Fixture make_fixture() {
  Fixture f;
  for (std::size_t i = 0; i < kN; ++i) {
    io::County c;
    c.adcode = 510100 + static_cast<std::int64_t>(i);
    c.adcode_ref = 510900 + static_cast<std::int64_t>(i);  // differs, to check adcode_ref is used
    c.name = "county_src_" + std::to_string(i);
    c.name_ref = "County " + std::to_string(i);
    c.province = i < kN / 2 ? "四川省" : "云南省";
    c.province_en = i < kN / 2 ? "Sichuan" : "Yunnan";
    f.geo.counties.push_back(c);
  }
  f.geo.build_index();

  f.system.indicators = {
      indicator("broadband", +1, {"index"}),    indicator("ecommerce", +1, {"index", "spatial"}),
      indicator("digital_jobs", +1, {"index"}), indicator("energy_intensity", -1, {"index"}),
      indicator("gdp", +1, {"dea_output"}),     indicator("rare", +1, {"other"}),
  };

  const std::size_t T = kYears.size();
  f.panel.years = kYears;
  f.panel.num_counties = kN;
  f.panel.variables = {"broadband", "ecommerce", "digital_jobs", "energy_intensity", "gdp", "rare"};
  f.panel.values.assign(f.panel.variables.size(), std::vector<double>(kN * T));
  Rng rng(kSeed, "entropy_index_test_fixture", 0);
  boost::random::normal_distribution<double> z;
  boost::random::uniform_real_distribution<double> u(0.0, 1.0);
  for (std::size_t i = 0; i < kN; ++i) {
    const double level = z(rng);
    for (std::size_t t = 0; t < T; ++t) {
      const double lv = level + 0.3 * static_cast<double>(t);
      const std::size_t r = i * T + t;
      f.panel.values[0][r] = 50.0 * std::exp(0.5 * lv + 0.3 * z(rng));
      f.panel.values[1][r] = 10.0 * std::exp(0.8 * lv + 0.5 * z(rng));
      f.panel.values[2][r] = std::max(0.0, 2.0 + lv + 0.7 * z(rng));
      f.panel.values[3][r] = 1.5 * std::exp(-0.4 * lv + 0.3 * z(rng));
      f.panel.values[4][r] = 100.0 * u(rng);
      f.panel.values[5][r] = i == 0 ? 1.0 + static_cast<double>(t) : 0.0;
    }
  }
  return f;
}

const Fixture& fixture() {
  static const Fixture f = make_fixture();
  return f;
}

EntropyIndexOptions small_options(std::size_t replications = 200) {
  EntropyIndexOptions o;
  o.replications = replications;
  return o;
}

// Bitwise equality of two double vectors (NaN rows of failed tasks compare equal).
bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

void expect_same_replications(const MemoryReplications& a, const MemoryReplications& b) {
  ASSERT_EQ(a.specs().size(), b.specs().size());
  for (std::size_t d = 0; d < a.specs().size(); ++d)
    EXPECT_TRUE(same_bits(a.data(d), b.data(d))) << "dataset " << a.specs()[d].name;
  EXPECT_EQ(a.statuses(), b.statuses());
  EXPECT_EQ(a.messages(), b.messages());
}

using test::column;

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// ---------------------------------------------------------------------------------------------

TEST(EntropyIndexOptions, DefaultsAreValid) {
  EntropyIndexOptions o;
  EXPECT_NO_THROW(o.validate());
  EXPECT_TRUE(o.indicators.empty());
  EXPECT_EQ(o.method.weight_scope, WeightScope::kPerYear);
  EXPECT_EQ(o.replications, 2000u);
  EXPECT_EQ(o.method.confidence, 0.95);
  EXPECT_EQ(o.method.shift, 0.0);
}

TEST(EntropyIndexOptions, InvalidValuesAreExplained) {
  const auto why_of = [](EntropyIndexOptions o) {
    const std::string why = error_of([&] { o.validate(); });
    EXPECT_NE(why, "(no error)");
    return why;
  };
  EntropyIndexOptions o;
  o.method.weight_scope = static_cast<WeightScope>(7);  // not a scope: a job cannot write one
  EXPECT_NE(why_of(o).find("weight_scope"), std::string::npos);
  EXPECT_NE(error_of([] { weight_scope_from_string("weekly"); }).find("weight_scope"),
            std::string::npos);
  o = {};
  o.replications = 0;
  EXPECT_NE(why_of(o).find("replications"), std::string::npos);
  o = {};
  o.method.confidence = 1.0;
  EXPECT_NE(why_of(o).find("confidence"), std::string::npos);
  o = {};
  o.method.shift = -0.01;
  EXPECT_NE(why_of(o).find("shift"), std::string::npos);
  o = {};
  o.indicators = {"broadband", "broadband"};
  EXPECT_NE(why_of(o).find("listed twice"), std::string::npos);
}

io::AnalysisConfig config_from(const std::string& toml_text) {
  io::AnalysisConfig cfg;
  cfg.kind = "entropy_index";
  cfg.name = "dei";
  cfg.options = toml::parse(std::string_view(toml_text), std::string_view("job.toml"));
  return cfg;
}

const char* kDefaultsToml =
    "indicators = []\n"
    "weight_scope = \"per_year\"\n"
    "replications = 2000\n"
    "confidence = 0.95\n"
    "shift = 0.0\n";

TEST(EntropyIndexOptions, FromOptionView) {
  const io::AnalysisConfig defaults = config_from(kDefaultsToml);
  const EntropyIndexOptions d = EntropyIndexOptions::from(io::OptionView(defaults));
  EXPECT_TRUE(d.indicators.empty());
  EXPECT_EQ(d.method.weight_scope, WeightScope::kPerYear);
  EXPECT_EQ(d.replications, 2000u);
  EXPECT_EQ(d.method.confidence, 0.95);
  EXPECT_EQ(d.method.shift, 0.0);

  const io::AnalysisConfig cfg = config_from(
      "indicators = [\"broadband\", \"ecommerce\"]\nweight_scope = \"pooled\"\n"
      "replications = 99\nconfidence = 0.9\nshift = 1\n");
  const EntropyIndexOptions o = EntropyIndexOptions::from(io::OptionView(cfg));
  EXPECT_EQ(o.indicators, (std::vector<std::string>{"broadband", "ecommerce"}));
  EXPECT_EQ(o.method.weight_scope, WeightScope::kPooled);
  EXPECT_EQ(o.replications, 99u);
  EXPECT_EQ(o.method.confidence, 0.9);
  EXPECT_EQ(o.method.shift, 1.0);  // an integer is accepted for a float

  // Invalid values are reported with the job file and line of the offending key.
  const auto error_for = [](const std::string& text) {
    const io::AnalysisConfig c = config_from(text);
    return error_of([&] { EntropyIndexOptions::from(io::OptionView(c)); });
  };
  std::string e = error_for(
      "indicators = []\nweight_scope = \"per_year\"\nreplications = 0\nconfidence = 0.95\nshift = "
      "0.0\n");
  EXPECT_NE(e.find("job.toml:3"), std::string::npos) << e;
  EXPECT_NE(e.find("replications"), std::string::npos) << e;
  e = error_for(
      "indicators = []\nweight_scope = \"per_year\"\nreplications = 10\nconfidence = 1.5\nshift = "
      "0.0\n");
  EXPECT_NE(e.find("job.toml:4"), std::string::npos) << e;
  EXPECT_NE(e.find("confidence"), std::string::npos) << e;
  e = error_for(
      "indicators = []\nweight_scope = \"yearly\"\nreplications = 10\nconfidence = 0.5\nshift = "
      "0.0\n");
  EXPECT_NE(e.find("job.toml:2"), std::string::npos) << e;
  e = error_for(
      "indicators = [\"a\", \"a\"]\nweight_scope = \"pooled\"\nreplications = 10\nconfidence = "
      "0.5\nshift = 0.0\n");
  EXPECT_NE(e.find("job.toml:1"), std::string::npos) << e;
  EXPECT_NE(e.find("listed twice"), std::string::npos) << e;
  e = error_for(
      "indicators = []\nweight_scope = \"pooled\"\nreplications = 10\nconfidence = 0.5\nshift = "
      "-1\n");
  EXPECT_NE(e.find("job.toml:5"), std::string::npos) << e;
}

TEST(EntropyIndexAnalysis, DefaultIndicatorsAndSpecs) {
  const Fixture& f = fixture();
  const EntropyIndexAnalysis a("dei", f.geo, f.panel, f.system, small_options(7));
  EXPECT_EQ(a.kind(), "entropy_index");
  EXPECT_EQ(a.name(), "dei");
  EXPECT_EQ(a.num_tasks(), 7u);
  EXPECT_EQ(a.indicators(), (std::vector<std::string>{"broadband", "ecommerce", "digital_jobs",
                                                      "energy_intensity"}));
  EXPECT_EQ(a.directions(), (std::vector<int>{1, 1, 1, -1}));
  const auto specs = a.replication_specs();
  ASSERT_EQ(specs.size(), 3u);
  EXPECT_EQ(specs[0].name, "weights");
  EXPECT_EQ(specs[0].shape, (std::vector<std::size_t>{3, 4}));
  EXPECT_EQ(specs[1].name, "scores");
  EXPECT_EQ(specs[1].shape, (std::vector<std::size_t>{3, kN}));
  EXPECT_EQ(specs[2].name, "ranks");
  EXPECT_EQ(specs[2].shape, (std::vector<std::size_t>{3, kN}));
}

// The full-sample estimate equals the pipeline written out with the numeric functions.
TEST(EntropyIndexAnalysis, PointEstimateMatchesNumericPipeline) {
  const Fixture& f = fixture();
  const std::size_t T = kYears.size();
  for (const std::string scope : {"per_year", "pooled"}) {
    EntropyIndexOptions o = small_options();
    o.method.weight_scope = weight_scope_from_string(scope);
    o.method.shift = scope == "pooled" ? 0.01 : 0.0;
    const EntropyIndexAnalysis a("dei", f.geo, f.panel, f.system, o);
    const EntropyIndexResult& p = a.point_estimate();
    ASSERT_TRUE(p.status.ok()) << p.status.message;

    const Eigen::MatrixXd x = minmax_standardize(a.raw(), a.directions());
    const Eigen::VectorXd pooled_w = entropy_weights_from_standardized(x, o.method.shift);
    for (std::size_t t = 0; t < T; ++t) {
      const auto ti = static_cast<Eigen::Index>(t);
      const Eigen::MatrixXd xt = x(Eigen::seqN(ti, kN, static_cast<Eigen::Index>(T)), Eigen::all);
      const Eigen::VectorXd w =
          scope == "pooled" ? pooled_w : entropy_weights_from_standardized(xt, o.method.shift);
      EXPECT_LT((p.weights.row(ti).transpose() - w).cwiseAbs().maxCoeff(), 1e-14) << scope << t;
      EXPECT_NEAR(p.weights.row(ti).sum(), 1.0, 1e-12);
      EXPECT_GE(p.weights.row(ti).minCoeff(), 0.0);
      const Eigen::VectorXd c =
          topsis_closeness(xt, w, Eigen::VectorXd::Ones(4), Eigen::VectorXd::Zero(4));
      EXPECT_LT((p.scores.row(ti).transpose() - c).cwiseAbs().maxCoeff(), 1e-14) << scope << t;
      // Ranks are a permutation of 1..N (no ties in continuous data).
      std::vector<double> r;
      for (std::size_t i = 0; i < kN; ++i) r.push_back(p.ranks(ti, static_cast<Eigen::Index>(i)));
      std::sort(r.begin(), r.end());
      for (std::size_t i = 0; i < kN; ++i) EXPECT_EQ(r[i], static_cast<double>(i + 1));
      // Rank 1 has the highest score.
      Eigen::Index best = 0;
      p.scores.row(ti).maxCoeff(&best);
      EXPECT_EQ(p.ranks(ti, best), 1.0);
    }
    EXPECT_GE(p.scores.minCoeff(), 0.0);
    EXPECT_LE(p.scores.maxCoeff(), 1.0);
    if (scope == "pooled") {
      for (Eigen::Index t = 1; t < static_cast<Eigen::Index>(T); ++t)
        EXPECT_EQ(p.weights.row(t), p.weights.row(0));
    }
  }
}

// Identity county sample == no sample.
TEST(EntropyIndexAnalysis, IdentitySampleIsFullSample) {
  const Fixture& f = fixture();
  const EntropyIndexAnalysis a("dei", f.geo, f.panel, f.system, small_options());
  std::vector<std::size_t> all(kN);
  for (std::size_t i = 0; i < kN; ++i) all[i] = i;
  const EntropyIndexResult r = entropy_topsis(a.data(), a.options().method, all);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.weights, a.point_estimate().weights);
  EXPECT_EQ(r.scores, a.point_estimate().scores);
  EXPECT_EQ(r.ranks, a.point_estimate().ranks);
}

// With pooled weights and fixed ideals, scores are comparable across years: a county-year that is
// at least as good on every standardised indicator scores at least as high.
TEST(EntropyIndexAnalysis, PooledScoresRespectDominanceAcrossYears) {
  const Fixture& f = fixture();
  EntropyIndexOptions o = small_options();
  o.method.weight_scope = WeightScope::kPooled;
  const EntropyIndexAnalysis a("dei", f.geo, f.panel, f.system, o);
  const Eigen::MatrixXd x = minmax_standardize(a.raw(), a.directions());
  const EntropyIndexResult& p = a.point_estimate();
  const std::size_t T = kYears.size();
  std::size_t pairs = 0;
  for (Eigen::Index r1 = 0; r1 < x.rows(); ++r1)
    for (Eigen::Index r2 = 0; r2 < x.rows(); ++r2)
      if (r1 != r2 && (x.row(r1).array() >= x.row(r2).array()).all()) {
        ++pairs;
        const auto Ti = static_cast<Eigen::Index>(T);
        const double s1 = p.scores(r1 % Ti, r1 / Ti), s2 = p.scores(r2 % Ti, r2 / Ti);
        EXPECT_GE(s1, s2) << "rows " << r1 << ", " << r2;
      }
  EXPECT_GT(pairs, 100u);  // the synthetic data have many dominated county-years
}

// Declaring every indicator a cost instead of a benefit reverses the ranking (two copies of one
// indicator, so the entropy weights are 1/2 whatever the direction).
TEST(EntropyIndexAnalysis, CostDirectionFlipsRanking) {
  const Fixture& f = fixture();
  const std::size_t T = kYears.size();
  Eigen::MatrixXd raw(kN * T, 2);
  for (std::size_t r = 0; r < kN * T; ++r) raw(r, 0) = raw(r, 1) = f.panel.values[0][r];
  const EntropyIndexOptions o = small_options();
  const EntropyIndexResult b = entropy_topsis({raw, kN, T, {1, 1}, {}, {}}, o.method);
  const EntropyIndexResult c = entropy_topsis({raw, kN, T, {-1, -1}, {}, {}}, o.method);
  ASSERT_TRUE(b.status.ok() && c.status.ok());
  EXPECT_LT((b.scores + c.scores - Eigen::MatrixXd::Ones(T, kN)).cwiseAbs().maxCoeff(), 1e-12);
  const Eigen::MatrixXd rank_sum = b.ranks + c.ranks;
  EXPECT_EQ(rank_sum, Eigen::MatrixXd::Constant(T, kN, kN + 1.0).eval());
}

TEST(EntropyIndexAnalysis, ReplicationsAreReproducible) {
  const Fixture& f = fixture();
  const EntropyIndexAnalysis a("dei", f.geo, f.panel, f.system, small_options(50));
  const MemoryReplications m1 = run_serial(a, kSeed);
  const MemoryReplications m2 = run_serial(a, kSeed);
  expect_same_replications(m1, m2);
  for (auto s : m1.statuses()) EXPECT_EQ(s, TaskStatus::kOk);
  // Every replication: weights of each year non-negative and summing to 1, scores in [0, 1],
  // ranks of each year a permutation of 1..N.
  for (std::size_t task = 0; task < a.num_tasks(); ++task) {
    const auto w = m1.row(0, task), sc = m1.row(1, task), rk = m1.row(2, task);
    for (std::size_t t = 0; t < 3; ++t) {
      double sum = 0.0;
      for (std::size_t k = 0; k < 4; ++k) {
        EXPECT_GE(w[t * 4 + k], 0.0);
        sum += w[t * 4 + k];
      }
      EXPECT_NEAR(sum, 1.0, 1e-12) << "task " << task << " year " << t;
      std::vector<double> ranks(rk.begin() + t * kN, rk.begin() + (t + 1) * kN);
      std::sort(ranks.begin(), ranks.end());
      for (std::size_t i = 0; i < kN; ++i) {
        EXPECT_EQ(ranks[i], static_cast<double>(i + 1));
        EXPECT_GE(sc[t * kN + i], 0.0);
        EXPECT_LE(sc[t * kN + i], 1.0);
      }
    }
  }
  // A different seed gives different resamples.
  const MemoryReplications m3 = run_serial(a, kSeed + 1);
  EXPECT_FALSE(same_bits(m1.data(1), m3.data(1)));
  // A different analysis name is a different stream.
  const EntropyIndexAnalysis b("dei2", f.geo, f.panel, f.system, small_options(50));
  EXPECT_FALSE(same_bits(m1.data(1), run_serial(b, kSeed).data(1)));
}

// Rank invariance in miniature: the result of a task does not depend on the order in which tasks
// run, nor on which thread runs them.
TEST(EntropyIndexAnalysis, TaskOrderAndThreadsDoNotMatter) {
  const Fixture& f = fixture();
  const EntropyIndexAnalysis a("dei", f.geo, f.panel, f.system, small_options(50));
  const MemoryReplications serial = run_serial(a, kSeed);

  MemoryReplications reversed(a);
  for (std::size_t t = a.num_tasks(); t-- > 0;) reversed.run(a, kSeed, t);
  expect_same_replications(serial, reversed);

  // Two threads on interleaved tasks (distinct rows and status entries: no shared writes).
  MemoryReplications threaded(a);
  std::thread odd([&] {
    for (std::size_t t = 1; t < a.num_tasks(); t += 2) threaded.run(a, kSeed, t);
  });
  for (std::size_t t = 0; t < a.num_tasks(); t += 2) threaded.run(a, kSeed, t);
  odd.join();
  expect_same_replications(serial, threaded);
}

TEST(EntropyIndexAnalysis, BootstrapIntervalsContainPointEstimate) {
  const Fixture& f = fixture();
  for (const std::string scope : {"per_year", "pooled"}) {
    EntropyIndexOptions o = small_options(300);
    o.method.weight_scope = weight_scope_from_string(scope);
    const EntropyIndexAnalysis a("dei", f.geo, f.panel, f.system, o);
    MemoryReplications m = run_serial(a, kSeed);
    const std::vector<Table> tables = a.summarize(m);
    ASSERT_EQ(tables.size(), 2u);
    const Table& scores = tables[1];
    const auto& score = column<double>(scores, "score");
    const auto& lo = column<double>(scores, "ci_lo");
    const auto& hi = column<double>(scores, "ci_hi");
    const auto& rank = column<double>(scores, "rank");
    const auto& rlo = column<double>(scores, "rank_lo");
    const auto& rhi = column<double>(scores, "rank_hi");
    std::size_t inside = 0, rank_inside = 0;
    for (std::size_t r = 0; r < score.size(); ++r) {
      inside += lo[r] <= score[r] && score[r] <= hi[r];
      rank_inside += rlo[r] <= rank[r] && rank[r] <= rhi[r];
    }
    const double n = static_cast<double>(score.size());
    EXPECT_GE(inside / n, 0.9) << scope << ": " << inside << " of " << n;
    EXPECT_GE(rank_inside / n, 0.9) << scope << ": " << rank_inside << " of " << n;

    const Table& weights = tables[0];
    const auto& w = column<double>(weights, "weight");
    const auto& wlo = column<double>(weights, "ci_lo");
    const auto& whi = column<double>(weights, "ci_hi");
    std::size_t w_inside = 0;
    for (std::size_t r = 0; r < w.size(); ++r) w_inside += wlo[r] <= w[r] && w[r] <= whi[r];
    EXPECT_GE(w_inside, w.size() - 1) << scope;
  }
}

TEST(EntropyIndexAnalysis, SummaryTablesAreConsistent) {
  const Fixture& f = fixture();
  const EntropyIndexAnalysis a("dei", f.geo, f.panel, f.system, small_options(40));
  MemoryReplications m = run_serial(a, kSeed);
  const std::vector<Table> tables = a.summarize(m);
  ASSERT_EQ(tables.size(), 2u);
  const std::size_t T = kYears.size(), K = 4;

  const Table& wt = tables[0];
  EXPECT_EQ(wt.name, "weights");
  EXPECT_NO_THROW(wt.check());
  std::vector<std::string> names;
  for (const auto& c : wt.columns) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"year", "indicator", "weight", "boot_mean", "se",
                                             "ci_lo", "ci_hi"}));
  ASSERT_EQ(wt.columns[0].size(), T * K);
  const auto& year = column<std::int64_t>(wt, "year");
  const auto& ind = column<std::string>(wt, "indicator");
  const auto& w = column<double>(wt, "weight");
  const auto& mean = column<double>(wt, "boot_mean");
  const auto& se = column<double>(wt, "se");
  const auto& lo = column<double>(wt, "ci_lo");
  const auto& hi = column<double>(wt, "ci_hi");
  for (std::size_t t = 0; t < T; ++t) {
    double sum_w = 0.0, sum_mean = 0.0;
    for (std::size_t k = 0; k < K; ++k) {
      const std::size_t r = t * K + k;
      EXPECT_EQ(year[r], kYears[t]);
      EXPECT_EQ(ind[r], a.indicators()[k]);
      EXPECT_EQ(w[r], a.point_estimate().weights(t, k));
      EXPECT_GT(se[r], 0.0);
      EXPECT_LE(lo[r], hi[r]);
      EXPECT_LE(lo[r], mean[r]);
      EXPECT_LE(mean[r], hi[r]);
      sum_w += w[r];
      sum_mean += mean[r];
    }
    EXPECT_NEAR(sum_w, 1.0, 1e-12);
    EXPECT_NEAR(sum_mean, 1.0, 1e-12);  // every replication's weights sum to 1
  }

  const Table& st = tables[1];
  EXPECT_EQ(st.name, "scores");
  EXPECT_NO_THROW(st.check());
  names.clear();
  for (const auto& c : st.columns) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"adcode", "name", "province", "year", "score", "se",
                                             "ci_lo", "ci_hi", "rank", "rank_lo", "rank_hi"}));
  ASSERT_EQ(st.columns[0].size(), kN * T);
  const auto& adcode = column<std::int64_t>(st, "adcode");
  const auto& cname = column<std::string>(st, "name");
  const auto& prov = column<std::string>(st, "province");
  const auto& syear = column<std::int64_t>(st, "year");
  const auto& score = column<double>(st, "score");
  const auto& sse = column<double>(st, "se");
  const auto& slo = column<double>(st, "ci_lo");
  const auto& shi = column<double>(st, "ci_hi");
  const auto& rank = column<double>(st, "rank");
  const auto& rlo = column<double>(st, "rank_lo");
  const auto& rhi = column<double>(st, "rank_hi");
  for (std::size_t i = 0; i < kN; ++i)
    for (std::size_t t = 0; t < T; ++t) {
      const std::size_t r = i * T + t;  // county-major rows
      EXPECT_EQ(adcode[r], f.geo.counties[i].adcode_ref);
      EXPECT_EQ(cname[r], f.geo.counties[i].name_ref);
      EXPECT_EQ(prov[r], f.geo.counties[i].province_en);
      EXPECT_EQ(syear[r], kYears[t]);
      EXPECT_EQ(score[r], a.point_estimate().scores(t, i));
      EXPECT_EQ(rank[r], a.point_estimate().ranks(t, i));
      EXPECT_GE(sse[r], 0.0);
      EXPECT_LE(slo[r], shi[r]);
      EXPECT_GE(slo[r], 0.0);
      EXPECT_LE(shi[r], 1.0);
      EXPECT_LE(rlo[r], rhi[r]);
      EXPECT_GE(rlo[r], 1.0);
      EXPECT_LE(rhi[r], static_cast<double>(kN));
    }
  // summarize() read in bounded blocks.
  EXPECT_LE(m.max_block_columns(), summary_block_columns(a.num_tasks()));
}

TEST(EntropyIndexAnalysis, BlockedSummaryEqualsOneBlock) {
  const Fixture& f = fixture();
  const EntropyIndexAnalysis a("dei", f.geo, f.panel, f.system, small_options(30));
  MemoryReplications m = run_serial(a, kSeed);
  const std::size_t cols = 3 * kN;
  const ReplicationColumnSummary one = summarize_replication_columns(m, 1, cols, 0.9, cols);
  EXPECT_EQ(m.max_block_columns(), cols);
  MemoryReplications m2 = run_serial(a, kSeed);
  const ReplicationColumnSummary blocked = summarize_replication_columns(m2, 1, cols, 0.9, 7);
  EXPECT_EQ(m2.max_block_columns(), 7u);
  EXPECT_EQ(m2.read_calls(), (cols + 6) / 7);
  EXPECT_EQ(one.mean, blocked.mean);
  EXPECT_EQ(one.se, blocked.se);
  EXPECT_EQ(one.lo, blocked.lo);
  EXPECT_EQ(one.hi, blocked.hi);
  EXPECT_EQ(one.n, blocked.n);

  EXPECT_EQ(summary_block_columns(1), 4096u);
  EXPECT_EQ(summary_block_columns(2000), (std::size_t{1} << 22) / 2000);
  EXPECT_EQ(summary_block_columns(std::size_t{1} << 30), 1u);
}

// Indicator "rare" is non-zero for county 0 only: every resample without county 0 makes it
// constant. Such replications are numerical failures with a message, their rows stay NaN, and the
// summaries ignore them.
TEST(EntropyIndexAnalysis, DegenerateResampleIsNumericalFailure) {
  const Fixture& f = fixture();
  EntropyIndexOptions o = small_options(60);
  o.indicators = {"broadband", "rare"};
  const EntropyIndexAnalysis a("dei", f.geo, f.panel, f.system, o);

  std::vector<std::size_t> without0(kN);
  for (std::size_t i = 0; i < kN; ++i) without0[i] = 1 + i % (kN - 1);
  const EntropyIndexResult r = entropy_topsis(a.data(), a.options().method, without0);
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message.find("constant"), std::string::npos) << r.status.message;
  EXPECT_EQ(r.scores.size(), 0);

  MemoryReplications m = run_serial(a, kSeed);
  std::size_t failed = 0;
  for (std::size_t t = 0; t < a.num_tasks(); ++t) {
    if (m.statuses()[t] == TaskStatus::kOk) continue;
    ++failed;
    EXPECT_EQ(m.statuses()[t], TaskStatus::kNumericalFailure);
    EXPECT_NE(m.messages()[t].find("'rare' is constant"), std::string::npos) << m.messages()[t];
    for (std::size_t d = 0; d < 3; ++d)
      for (double v : m.row(d, t)) EXPECT_TRUE(std::isnan(v));
  }
  // P(county 0 not drawn) = (39/40)^40 = 0.36 per task: some of the 60 tasks fail, most succeed.
  EXPECT_GT(failed, 0u);
  EXPECT_LT(failed, a.num_tasks());
  const std::vector<Table> tables = a.summarize(m);
  for (double v : column<double>(tables[1], "se")) EXPECT_TRUE(std::isfinite(v));
}

// All N draws are the same county: every indicator is constant within each year, so per-year
// entropy weights are undefined.
TEST(EntropyIndexAnalysis, UndefinedWeightsAreAFailure) {
  const Fixture& f = fixture();
  const EntropyIndexAnalysis a("dei", f.geo, f.panel, f.system, small_options());
  const std::vector<std::size_t> same(kN, 3);
  const EntropyIndexResult r = entropy_topsis(a.data(), a.options().method, same);
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message.find("weights are undefined"), std::string::npos) << r.status.message;
}

TEST(EntropyIndexAnalysis, InputValidation) {
  const Fixture& f = fixture();
  const auto make = [&](EntropyIndexOptions o) {
    return error_of([&] { EntropyIndexAnalysis("dei", f.geo, f.panel, f.system, o); });
  };
  EntropyIndexOptions o;
  o.indicators = {"broadband", "no_such_thing"};
  EXPECT_NE(make(o).find("unknown indicator 'no_such_thing'"), std::string::npos) << make(o);
  o.indicators = {"broadband"};
  EXPECT_NE(make(o).find("at least 2 indicators"), std::string::npos) << make(o);
  o = {};
  o.method.confidence = 0.0;
  EXPECT_NE(make(o).find("confidence"), std::string::npos) << make(o);
  o = {};
  o.method.weight_scope = static_cast<WeightScope>(7);
  EXPECT_NE(make(o).find("weight_scope"), std::string::npos) << make(o);

  // A constant indicator over the whole panel.
  Fixture g = f;
  std::fill(g.panel.values[2].begin(), g.panel.values[2].end(), 4.0);
  const std::string msg = error_of(
      [&] { EntropyIndexAnalysis("dei", g.geo, g.panel, g.system, EntropyIndexOptions{}); });
  EXPECT_NE(msg.find("'digital_jobs' is constant over the whole panel"), std::string::npos) << msg;

  // An indicator of the system that the panel lacks.
  Fixture h = f;
  h.system.indicators.push_back(indicator("not_in_panel", +1, {"index"}));
  const std::string msg2 = error_of(
      [&] { EntropyIndexAnalysis("dei", h.geo, h.panel, h.system, EntropyIndexOptions{}); });
  EXPECT_NE(msg2.find("'not_in_panel' is not a variable of the panel"), std::string::npos) << msg2;

  // Too few "index" indicators in the system.
  Fixture s = f;
  for (auto& ind : s.system.indicators)
    if (ind.name != "broadband") ind.uses = {"other"};
  const std::string msg3 = error_of(
      [&] { EntropyIndexAnalysis("dei", s.geo, s.panel, s.system, EntropyIndexOptions{}); });
  EXPECT_NE(msg3.find("at least 2 indicators"), std::string::npos) << msg3;

  // Geography and panel disagree.
  Fixture d = f;
  d.geo.counties.pop_back();
  d.geo.build_index();
  const std::string msg4 = error_of(
      [&] { EntropyIndexAnalysis("dei", d.geo, d.panel, d.system, EntropyIndexOptions{}); });
  EXPECT_NE(msg4.find("geography"), std::string::npos) << msg4;
}

TEST(EntropyIndexAnalysis, BadComputeArgumentsAreErrors) {
  const Fixture& f = fixture();
  const EntropyIndexAnalysis a("dei", f.geo, f.panel, f.system, small_options());
  const std::vector<std::size_t> out_of_range = {0, kN};
  EXPECT_THROW(entropy_topsis(a.data(), a.options().method, out_of_range), Error);
  IndexData four_years = a.data();
  four_years.periods = 4;
  EXPECT_THROW(entropy_topsis(four_years, a.options().method), Error);
  IndexData two_directions = a.data();
  two_directions.direction = {1, 1};
  EXPECT_THROW(entropy_topsis(two_directions, a.options().method), Error);
  const std::vector<std::size_t> empty;
  EXPECT_THROW(entropy_topsis(a.data(), a.options().method, empty), Error);
}

// Task r is the library's replication on stream r of the analysis's key, and the job's summary
// tables are the library bootstrap's summaries, bit for bit.
TEST(EntropyIndexAnalysis, JobEqualsTheLibraryBootstrap) {
  const Fixture& f = fixture();
  EntropyIndexOptions o = small_options(60);
  o.indicators = {"broadband", "rare", "ecommerce"};  // some resamples are degenerate
  const EntropyIndexAnalysis a("dei", f.geo, f.panel, f.system, o);
  MemoryReplications m = run_serial(a, kSeed);
  const RngKey key(kSeed, "dei");
  for (std::size_t t = 0; t < a.num_tasks(); t += 7) {
    Rng rng = key.stream(static_cast<std::uint32_t>(t));
    const EntropyIndexResult r = entropy_topsis_replication(a.data(), o.method, rng);
    EXPECT_EQ(r.status.ok(), m.statuses()[t] == TaskStatus::kOk) << t;
    if (!r.status.ok()) {
      EXPECT_EQ(m.messages()[t], "degenerate resample: " + r.status.message);
      continue;
    }
    for (std::size_t y = 0; y < 3; ++y)
      for (std::size_t i = 0; i < kN; ++i) EXPECT_EQ(m.row(1, t)[y * kN + i], r.scores(y, i));
  }
  const std::vector<Table> tables = a.summarize(m);
  const EntropyIndexBootstrap B = index::bootstrap(a.data(), o.method, key, o.replications);
  ASSERT_TRUE(B.status.ok()) << B.status.to_string();
  EXPECT_GT(B.failed, 0u);
  std::size_t failed = 0;
  for (auto st : m.statuses()) failed += st != TaskStatus::kOk;
  EXPECT_EQ(B.failed, failed);
  EXPECT_EQ(B.point.weights, a.point_estimate().weights);
  EXPECT_EQ(column<double>(tables[0], "boot_mean"), B.weights.mean);
  EXPECT_EQ(column<double>(tables[0], "se"), B.weights.se);
  EXPECT_EQ(column<double>(tables[0], "ci_lo"), B.weights.lo);
  const auto& se = column<double>(tables[1], "se");
  const auto& rank_hi = column<double>(tables[1], "rank_hi");
  for (std::size_t i = 0; i < kN; ++i)
    for (std::size_t y = 0; y < 3; ++y) {  // the table is county-major, the summaries year-major
      EXPECT_EQ(se[i * 3 + y], B.scores.se[y * kN + i]);
      EXPECT_EQ(rank_hi[i * 3 + y], B.ranks.hi[y * kN + i]);
    }
  std::printf("%s\n", B.brief_report().c_str());
}

}  // namespace
}  // namespace revest::analyses
