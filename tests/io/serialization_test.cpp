// Boost.Serialization round trips of the loaded inputs (rank 0 loads them once and broadcasts the
// bytes; every rank rebuilds them). Text and binary archives, bit-exact doubles, and a working
// adcode index after loading. driver::Inputs (src/driver, links MPI) is covered by the driver
// tests.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/archive/text_iarchive.hpp>
#include <boost/archive/text_oarchive.hpp>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "io/geography.hpp"
#include "io/indicators.hpp"
#include "io/job.hpp"
#include "io/panel.hpp"

namespace fs = std::filesystem;
using revest::io::Domain;
using revest::io::Geography;
using revest::io::Indicator;
using revest::io::IndicatorSystem;
using revest::io::Panel;

namespace {

const fs::path kSource = REVEST_SOURCE_DIR;

const Geography& southwest() {
  static const Geography geo = revest::io::load_geography(kSource / "data" / "southwest");
  return geo;
}

const IndicatorSystem& indicators() {
  static const IndicatorSystem sys =
      revest::io::load_indicators(kSource / "config" / "indicators.toml");
  return sys;
}

template <class OArchive, class IArchive, class T>
T round_trip(const T& x) {
  std::stringstream ss(std::ios::in | std::ios::out | std::ios::binary);
  {
    OArchive oa(ss);
    oa << x;
  }
  T y;
  {
    IArchive ia(ss);
    ia >> y;
  }
  return y;
}

template <class T>
T text_round_trip(const T& x) {
  return round_trip<boost::archive::text_oarchive, boost::archive::text_iarchive>(x);
}
template <class T>
T binary_round_trip(const T& x) {
  return round_trip<boost::archive::binary_oarchive, boost::archive::binary_iarchive>(x);
}

std::uint64_t bits(double x) { return std::bit_cast<std::uint64_t>(x); }

void expect_index_works(const Geography& geo) {
  ASSERT_EQ(geo.size(), 512u);
  for (std::size_t i = 0; i < geo.size(); ++i) {
    ASSERT_EQ(geo.index_of(geo.counties[i].adcode), i);
    ASSERT_EQ(geo.index_of(geo.counties[i].adcode_ref), i);
  }
  EXPECT_EQ(geo.index_of(500228), geo.index_of(500155));
  EXPECT_TRUE(geo.index_of(500228).has_value());
  EXPECT_EQ(geo.index_of(999999), std::nullopt);
}

void expect_geography_bits(const Geography& a, const Geography& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(bits(a.counties[i].lon), bits(b.counties[i].lon));
    EXPECT_EQ(bits(a.counties[i].lat), bits(b.counties[i].lat));
    EXPECT_EQ(bits(a.counties[i].area_km2), bits(b.counties[i].area_km2));
    EXPECT_EQ(bits(a.counties[i].perimeter_km), bits(b.counties[i].perimeter_km));
  }
  ASSERT_EQ(a.rook.size(), b.rook.size());
  for (std::size_t k = 0; k < a.rook.size(); ++k)
    EXPECT_EQ(bits(a.rook[k].weight), bits(b.rook[k].weight));
}

/// A 3-county x 4-year panel with values that are hard to print exactly.
Panel awkward_panel() {
  Panel p;
  p.years = {2019, 2020, 2021, 2022};
  p.num_counties = 3;
  p.add("a", {0.1, 1.0 / 3.0, -0.0, 1e-300, 5e-324, -123456789.123,
              std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest(),
              std::numeric_limits<double>::min(), 2.0 / 3.0, 9007199254740993.0, -1e-7});
  std::vector<double> b(12);
  for (std::size_t k = 0; k < b.size(); ++k)
    b[k] = std::ldexp(1.0 + static_cast<double>(k) / 7.0, static_cast<int>(k) * 50 - 300);
  p.add("b with space, comma", b);
  return p;
}

void expect_panel_bits(const Panel& a, const Panel& b) {
  EXPECT_EQ(a.years, b.years);
  EXPECT_EQ(a.num_counties, b.num_counties);
  EXPECT_EQ(a.variables, b.variables);
  ASSERT_EQ(a.values.size(), b.values.size());
  for (std::size_t v = 0; v < a.values.size(); ++v) {
    ASSERT_EQ(a.values[v].size(), b.values[v].size());
    for (std::size_t k = 0; k < a.values[v].size(); ++k)
      EXPECT_EQ(bits(a.values[v][k]), bits(b.values[v][k])) << a.variables[v] << " " << k;
  }
}

}  // namespace

// ---- Geography -------------------------------------------------------------------------------

TEST(Serialization, GeographyText) {
  const Geography back = text_round_trip(southwest());
  EXPECT_EQ(back, southwest());
  expect_geography_bits(back, southwest());
  expect_index_works(back);
}

TEST(Serialization, GeographyBinary) {
  const Geography back = binary_round_trip(southwest());
  EXPECT_EQ(back, southwest());
  expect_geography_bits(back, southwest());
  expect_index_works(back);
}

TEST(Serialization, GeographyLoadReplacesAnOldIndex) {
  // Loading into a Geography that already has counties must rebuild, not extend, the index.
  std::stringstream ss(std::ios::in | std::ios::out | std::ios::binary);
  {
    boost::archive::binary_oarchive oa(ss);
    oa << southwest();
  }
  Geography g;
  g.counties.resize(1);
  g.counties[0].adcode = g.counties[0].adcode_ref = 123456;
  g.build_index();
  ASSERT_EQ(g.index_of(123456), 0u);
  {
    boost::archive::binary_iarchive ia(ss);
    ia >> g;
  }
  EXPECT_EQ(g, southwest());
  EXPECT_EQ(g.index_of(123456), std::nullopt);
  expect_index_works(g);
}

TEST(Serialization, EmptyGeography) {
  const Geography empty;
  const Geography back = binary_round_trip(empty);
  EXPECT_EQ(back, empty);
  EXPECT_EQ(back.size(), 0u);
  EXPECT_EQ(back.index_of(500101), std::nullopt);
}

// ---- Panel ------------------------------------------------------------------------------------

TEST(Serialization, PanelText) {
  const Panel p = awkward_panel();
  const Panel back = text_round_trip(p);
  EXPECT_EQ(back, p);
  expect_panel_bits(back, p);
}

TEST(Serialization, PanelBinary) {
  const Panel p = awkward_panel();
  const Panel back = binary_round_trip(p);
  EXPECT_EQ(back, p);
  expect_panel_bits(back, p);
}

// A derived variable may hold NaN (e.g. a missing statistic): the binary archive keeps every bit.
TEST(Serialization, PanelBinaryKeepsNaN) {
  Panel p;
  p.years = {2022};
  p.num_counties = 2;
  p.add("x", {std::numeric_limits<double>::quiet_NaN(), -std::numeric_limits<double>::infinity()});
  const Panel back = binary_round_trip(p);
  expect_panel_bits(back, p);
}

TEST(Serialization, EmptyPanel) {
  const Panel p;
  EXPECT_EQ(text_round_trip(p), p);
  EXPECT_EQ(binary_round_trip(p), p);
}

// ---- IndicatorSystem ------------------------------------------------------------------------

TEST(Serialization, IndicatorsText) {
  const IndicatorSystem back = text_round_trip(indicators());
  EXPECT_EQ(back, indicators());
  EXPECT_EQ(back.used_by("index"), indicators().used_by("index"));
}

TEST(Serialization, IndicatorsBinary) {
  const IndicatorSystem back = binary_round_trip(indicators());
  EXPECT_EQ(back, indicators());
  const Indicator* gap = back.find("internet_gap");
  ASSERT_NE(gap, nullptr);
  EXPECT_EQ(gap->direction, -1);
  EXPECT_EQ(gap->domain, Domain::kPositive);
}

TEST(Serialization, IndicatorWithAwkwardStrings) {
  IndicatorSystem sys;
  Indicator i;
  i.name = "x";
  i.label = "with\nnewline and \"quotes\" and 中文";
  i.unit = "";
  i.description = std::string("embedded\0nul", 12);
  i.direction = -1;
  i.domain = Domain::kNonNegative;
  i.uses = {"index", "", "did"};
  sys.indicators.push_back(i);
  EXPECT_EQ(text_round_trip(sys), sys);
  EXPECT_EQ(binary_round_trip(sys), sys);
}

// ---- Job ------------------------------------------------------------------------------------

/// A job with every field other than its default (the analyses aside).
revest::io::Job awkward_job() {
  revest::io::Job j;
  j.file = "jobs/x.toml";
  j.text = "name = \"x\"\n# 中文\n";
  j.name = "x";
  j.description = "with\nnewline";
  j.seed = 0xFFFFFFFFFFFFFFFFull;
  j.output = "/results dir/x.h5";
  j.geography = "/data/geo";
  j.panel = "/data/panel.csv";
  j.indicators = "/config/ind.toml";
  j.projects = "/data/projects.csv";
  j.first_year = 2015;
  j.last_year = 2020;
  j.schedule = revest::io::Schedule::kDynamic;
  j.progress_seconds = 0.5;
  j.chunk_tasks = 7;
  j.checkpoint_seconds = 0.1;
  j.check_free_space = false;
  revest::io::SlurmOptions& s = j.slurm;
  s.nodes = 2;
  s.ntasks = 8;
  s.cpus_per_task = 3;
  s.time = "04:00:00";
  s.mem_per_cpu = "2G";
  s.partition = "p";
  s.account = "a";
  s.qos = "q";
  s.signal_seconds = 120;
  s.requeue = false;
  s.max_requeues = 5;
  s.shards = 4;
  s.extra = {"--constraint=skylake", "--exclusive"};
  return j;
}

TEST(Serialization, JobSettings) {
  // Every field differs from its default, so a field the serialization forgot fails the comparison.
  const revest::io::Job j = awkward_job();
  EXPECT_FALSE(j == revest::io::Job{});
  EXPECT_FALSE(j.slurm == revest::io::SlurmOptions{});
  EXPECT_EQ(text_round_trip(j), j);
  EXPECT_EQ(binary_round_trip(j), j);
}

// The analyses' options (TOML) do not cross: they go as typed options (analyses::AnalysisSpec).
TEST(Serialization, JobWithoutItsAnalyses) {
  revest::io::Job j = awkward_job();
  revest::io::AnalysisConfig a;
  a.kind = "entropy_index";
  a.name = "idx";
  j.analyses.push_back(a);
  revest::io::Job back = binary_round_trip(j);
  EXPECT_TRUE(back.analyses.empty());
  j.analyses.clear();
  EXPECT_EQ(back, j);
}

// ---- all together, as the driver broadcasts them ------------------------------------------

TEST(Serialization, RealPanelOfTheRealGeography) {
  // A panel over the 512 real counties written to bytes and back together with its geography.
  Panel p;
  p.years = {2011, 2012};
  p.num_counties = southwest().size();
  std::vector<double> x(p.num_counties * 2);
  for (std::size_t k = 0; k < x.size(); ++k) x[k] = 1.0 / static_cast<double>(k + 3);
  p.add("x", x);
  std::stringstream ss(std::ios::in | std::ios::out | std::ios::binary);
  {
    boost::archive::binary_oarchive oa(ss);
    oa << southwest() << p << indicators();
  }
  Geography g;
  Panel q;
  IndicatorSystem s;
  {
    boost::archive::binary_iarchive ia(ss);
    ia >> g >> q >> s;
  }
  EXPECT_EQ(g, southwest());
  expect_index_works(g);
  EXPECT_EQ(q, p);
  EXPECT_EQ(s, indicators());
}
