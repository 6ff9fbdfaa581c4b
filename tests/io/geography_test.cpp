#include "io/geography.hpp"

#include "analyses/spatial_inputs.hpp"
#include "spatial/weights.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <queue>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/csv.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using revest::io::Edge;
using revest::io::Geography;
using revest::io::load_geography;
using revest::test::error_of;
using revest::test::replaced;
using revest::test::write_file;
using testing::AllOf;
using testing::HasSubstr;

namespace {

const fs::path kSouthwest = fs::path(REVEST_SOURCE_DIR) / "data" / "southwest";

/// The real bundled geography, loaded once.
const Geography& southwest() {
  static const Geography geo = load_geography(kSouthwest);
  return geo;
}

/// A fresh directory per test: REVEST_BINARY_DIR/test-output/io/geography/<Suite>.<Test>.
fs::path test_dir() { return revest::test::test_dir("io/geography"); }

// A four-county fixture: 1 - 2 - 3 - 4 - 1 (a ring), county 2 recoded (old 500228, new 500155).
const std::string kCountiesHeader =
    "adcode,name,province,province_en,prefecture,centroid_lon,centroid_lat,area_km2,perimeter_km,"
    "adcode_ref,name_ref\n";
const std::string kCountiesRows =
    "500101,万州区,重庆市,Chongqing,重庆,108.4,30.7,3455.34,420.63,500101,万州区\n"
    "500228,梁平县,重庆市,Chongqing,重庆,107.7,30.6,1889.1,250.2,500155,梁平区\n"
    "510104,锦江区,四川省,Sichuan,成都市,104.1,30.6,62.1,40.3,510104,锦江区\n"
    "510105,青羊区,四川省,Sichuan,成都市,104.0,30.7,67.8,45.0,510105,青羊区\n";
const std::string kQueen =
    "adcode_i,adcode_j,exact_vertex\n"
    "500101,500228,1\n"
    "500228,510104,1\n"
    "510104,510105,1\n"
    "500101,510105,1\n";
const std::string kRook =
    "adcode_i,adcode_j,shared_border_km,shared_exact_km\n"
    "500101,500228,49.179,44.262\n"
    "500228,510104,12.5,12.5\n"
    "510104,510105,8.25,8.0\n"
    "500101,510105,3.125,3.0\n";

/// Writes the fixture (with any file replaced) into a fresh directory and returns it.
fs::path fixture(const std::string& counties = kCountiesHeader + kCountiesRows,
                 const std::string& queen = kQueen, const std::string& rook = kRook) {
  const fs::path d = test_dir();
  write_file(d, "counties.csv", counties);
  write_file(d, "queen.csv", queen);
  write_file(d, "rook.csv", rook);
  return d;
}

}  // namespace

// ---- the real data (data/southwest, counts from its README) ----------------------------------

TEST(SouthwestGeography, Counts) {
  const Geography& geo = southwest();
  EXPECT_EQ(geo.size(), 512u);
  EXPECT_EQ(geo.queen.size(), 1442u);
  EXPECT_EQ(geo.rook.size(), 1438u);
}

TEST(SouthwestGeography, Provinces) {
  const Geography& geo = southwest();
  const auto provinces = geo.provinces();
  EXPECT_THAT(provinces,
              testing::UnorderedElementsAre("Sichuan", "Chongqing", "Guizhou", "Yunnan", "Tibet"));
  std::map<std::string, int> count;
  for (const auto& c : geo.counties) ++count[c.province_en];
  EXPECT_EQ(count["Sichuan"], 183);
  EXPECT_EQ(count["Chongqing"], 38);
  EXPECT_EQ(count["Guizhou"], 88);
  EXPECT_EQ(count["Yunnan"], 129);
  EXPECT_EQ(count["Tibet"], 74);
  // provinces() is in order of first appearance and province_index() indexes it.
  const auto idx = geo.province_index();
  ASSERT_EQ(idx.size(), geo.size());
  std::vector<std::string> seen;
  for (std::size_t i = 0; i < geo.size(); ++i) {
    ASSERT_GE(idx[i], 0);
    ASSERT_LT(static_cast<std::size_t>(idx[i]), provinces.size());
    EXPECT_EQ(provinces[idx[i]], geo.counties[i].province_en);
    if (std::find(seen.begin(), seen.end(), geo.counties[i].province_en) == seen.end())
      seen.push_back(geo.counties[i].province_en);
  }
  EXPECT_EQ(seen, provinces);
}

TEST(SouthwestGeography, KnownCounty) {
  const Geography& geo = southwest();
  const auto i = geo.index_of(500101);
  ASSERT_TRUE(i.has_value());
  const auto& c = geo.counties[*i];
  EXPECT_EQ(c.name, "万州区");
  EXPECT_EQ(c.province, "重庆市");
  EXPECT_EQ(c.province_en, "Chongqing");
  EXPECT_EQ(c.lon, 108.407430);
  EXPECT_EQ(c.lat, 30.704372);
  EXPECT_EQ(c.area_km2, 3455.34);
  EXPECT_EQ(c.perimeter_km, 420.63);
  EXPECT_EQ(c.adcode_ref, 500101);
  // Rook weight of 500101-500154 is its shared border, 72.714 km.
  const auto j = geo.index_of(500154);
  ASSERT_TRUE(j.has_value());
  const auto it = std::find_if(geo.rook.begin(), geo.rook.end(), [&](const Edge& e) {
    return e.i == std::min(*i, *j) && e.j == std::max(*i, *j);
  });
  ASSERT_NE(it, geo.rook.end());
  EXPECT_EQ(it->weight, 72.714);
}

TEST(SouthwestGeography, EveryCodeResolvesToItsCounty) {
  const Geography& geo = southwest();
  std::size_t recoded = 0;
  for (std::size_t i = 0; i < geo.size(); ++i) {
    const auto& c = geo.counties[i];
    EXPECT_EQ(geo.index_of(c.adcode), i) << c.adcode;
    EXPECT_EQ(geo.index_of(c.adcode_ref), i) << c.adcode_ref;
    recoded += c.adcode != c.adcode_ref;
  }
  EXPECT_EQ(recoded, 33u);  // README: 33 adcodes are outdated
}

TEST(SouthwestGeography, OldAndNewCodesResolveToTheSameCounty) {
  const Geography& geo = southwest();
  struct Pair {
    std::int64_t old_code, new_code;
    const char* name_ref;
  };
  for (const Pair& p : {Pair{500228, 500155, "梁平区"}, Pair{500232, 500156, "武隆区"},
                        Pair{520222, 520281, "盘州市"}, Pair{542421, 540602, "色尼区"},
                        Pair{511521, 511504, "叙州区"}, Pair{530630, 530681, "水富市"}}) {
    const auto a = geo.index_of(p.old_code), b = geo.index_of(p.new_code);
    ASSERT_TRUE(a.has_value()) << p.old_code;
    ASSERT_TRUE(b.has_value()) << p.new_code;
    EXPECT_EQ(*a, *b) << p.old_code << " / " << p.new_code;
    EXPECT_EQ(geo.counties[*a].adcode, p.old_code);
    EXPECT_EQ(geo.counties[*a].adcode_ref, p.new_code);
    EXPECT_EQ(geo.counties[*a].name_ref, p.name_ref);
  }
  EXPECT_EQ(geo.counties[*geo.index_of(500228)].name, "梁平县");
}

TEST(SouthwestGeography, UnknownCodeIsNullopt) {
  const Geography& geo = southwest();
  EXPECT_EQ(geo.index_of(0), std::nullopt);
  EXPECT_EQ(geo.index_of(-500101), std::nullopt);
  EXPECT_EQ(geo.index_of(110101), std::nullopt);  // Beijing Dongcheng: not in the region
  EXPECT_EQ(geo.index_of(450102), std::nullopt);  // Guangxi: not in the region
  EXPECT_EQ(geo.index_of(500100), std::nullopt);
  EXPECT_EQ(geo.index_of(5001010), std::nullopt);
}

TEST(SouthwestGeography, EdgesAreSortedUniqueAndWeighted) {
  const Geography& geo = southwest();
  for (const auto* edges : {&geo.queen, &geo.rook}) {
    std::set<std::pair<std::uint32_t, std::uint32_t>> seen;
    for (std::size_t k = 0; k < edges->size(); ++k) {
      const Edge& e = (*edges)[k];
      ASSERT_LT(e.i, e.j);
      ASSERT_LT(e.j, geo.size());
      ASSERT_TRUE(seen.emplace(e.i, e.j).second) << "duplicate edge " << e.i << "-" << e.j;
      if (k > 0) {
        const Edge& p = (*edges)[k - 1];
        ASSERT_TRUE(std::tie(p.i, p.j) < std::tie(e.i, e.j));
      }
    }
  }
  for (const Edge& e : geo.queen) EXPECT_EQ(e.weight, 1.0);
  for (const Edge& e : geo.rook) {
    EXPECT_GT(e.weight, 0.0);
    EXPECT_TRUE(std::isfinite(e.weight));
  }
  // Every rook edge is a queen edge (sharing a border implies sharing a point).
  std::set<std::pair<std::uint32_t, std::uint32_t>> queen;
  for (const Edge& e : geo.queen) queen.emplace(e.i, e.j);
  std::size_t rook_only = 0;
  for (const Edge& e : geo.rook) rook_only += !queen.count({e.i, e.j});
  // README: the rook list adds 10 pairs found only with a 200 m tolerance.
  EXPECT_LE(rook_only, 10u);
}

TEST(SouthwestGeography, AdjacencySymmetricNoIslandConnected) {
  const Geography& geo = southwest();
  for (const auto* edges : {&geo.queen, &geo.rook}) {
    const auto adj = Geography::adjacency(*edges, geo.size());
    ASSERT_EQ(adj.size(), geo.size());
    std::size_t degree_sum = 0, dmin = geo.size(), dmax = 0;
    for (std::size_t i = 0; i < adj.size(); ++i) {
      EXPECT_FALSE(adj[i].empty()) << "island " << geo.counties[i].adcode;
      EXPECT_TRUE(std::is_sorted(adj[i].begin(), adj[i].end()));
      for (std::uint32_t j : adj[i]) {
        ASSERT_NE(j, i);
        EXPECT_TRUE(std::binary_search(adj[j].begin(), adj[j].end(), static_cast<std::uint32_t>(i)))
            << i << " -> " << j << " but not back";
      }
      degree_sum += adj[i].size();
      dmin = std::min(dmin, adj[i].size());
      dmax = std::max(dmax, adj[i].size());
    }
    EXPECT_EQ(degree_sum, 2 * edges->size());
    // README: degree 2 to 12, mean 5.6.
    EXPECT_GE(dmin, 2u);
    EXPECT_LE(dmax, 12u);
    EXPECT_NEAR(static_cast<double>(degree_sum) / geo.size(), 5.6, 0.05);
    // Connected: a breadth-first search from county 0 reaches all 512.
    std::vector<char> reached(geo.size(), 0);
    std::queue<std::size_t> q;
    q.push(0);
    reached[0] = 1;
    std::size_t n = 1;
    while (!q.empty()) {
      const std::size_t i = q.front();
      q.pop();
      for (std::uint32_t j : adj[i])
        if (!reached[j]) {
          reached[j] = 1;
          ++n;
          q.push(j);
        }
    }
    EXPECT_EQ(n, geo.size());
  }
}

// counties.csv records each county's neighbour counts (n_queen, n_rook): the loaded graphs agree.
TEST(SouthwestGeography, DegreesMatchCountiesCsv) {
  const Geography& geo = southwest();
  const auto t = revest::io::read_csv(kSouthwest / "counties.csv");
  const auto c_code = t.column("adcode"), c_q = t.column("n_queen"), c_r = t.column("n_rook");
  const auto queen = Geography::adjacency(geo.queen, geo.size());
  const auto rook = Geography::adjacency(geo.rook, geo.size());
  ASSERT_EQ(t.rows.size(), geo.size());
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const auto i = geo.index_of(t.integer(r, c_code));
    ASSERT_TRUE(i.has_value());
    EXPECT_EQ(*i, r);  // file order is kept
    EXPECT_EQ(static_cast<long long>(queen[*i].size()), t.integer(r, c_q)) << t.rows[r][c_code];
    EXPECT_EQ(static_cast<long long>(rook[*i].size()), t.integer(r, c_r)) << t.rows[r][c_code];
  }
}

TEST(Geography, AdjacencyOfEmptyAndSmallGraphs) {
  EXPECT_TRUE(Geography::adjacency({}, 0).empty());
  const auto adj = Geography::adjacency({Edge{0, 2, 1.0}, Edge{0, 1, 1.0}}, 3);
  EXPECT_EQ(adj[0], (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(adj[1], (std::vector<std::uint32_t>{0}));
  EXPECT_EQ(adj[2], (std::vector<std::uint32_t>{0}));
}

// ---- the fixture and its bad variants ------------------------------------------------------

TEST(Geography, FixtureLoads) {
  const Geography geo = load_geography(fixture());
  ASSERT_EQ(geo.size(), 4u);
  EXPECT_EQ(geo.queen.size(), 4u);
  EXPECT_EQ(geo.rook.size(), 4u);
  EXPECT_EQ(geo.index_of(500228), 1u);
  EXPECT_EQ(geo.index_of(500155), 1u);
  EXPECT_EQ(geo.counties[1].name_ref, "梁平区");
  EXPECT_EQ(geo.rook[0].weight, 49.179);
  EXPECT_EQ(geo.provinces(), (std::vector<std::string>{"Chongqing", "Sichuan"}));
  EXPECT_EQ(geo.province_index(), (std::vector<int>{0, 0, 1, 1}));
}

TEST(Geography, EdgeMayUseTheNewCode) {
  const std::string queen =
      "adcode_i,adcode_j\n500101,500155\n500155,510104\n510104,510105\n500101,510105\n";
  const Geography geo = load_geography(fixture(kCountiesHeader + kCountiesRows, queen));
  EXPECT_EQ(geo.queen.front().i, 0u);
  EXPECT_EQ(geo.queen.front().j, 1u);
}

TEST(Geography, EdgeToUnknownCountyNamesFileLineAndColumn) {
  const std::string queen = kQueen + "510105,999999,1\n";  // line 6
  const fs::path d = fixture(kCountiesHeader + kCountiesRows, queen);
  EXPECT_THAT(error_of([&] { load_geography(d); }),
              AllOf(HasSubstr((d / "queen.csv").string() + ":6: column 'adcode_j'"),
                    HasSubstr("unknown county adcode 999999")));
}

TEST(Geography, EdgeFromUnknownCountyNamesColumnI) {
  const std::string rook =
      "adcode_i,adcode_j,shared_border_km\n"
      "500101,500228,1\n500228,510104,1\n123456,510105,1\n500101,510105,1\n";
  const fs::path d = fixture(kCountiesHeader + kCountiesRows, kQueen, rook);
  EXPECT_THAT(error_of([&] { load_geography(d); }),
              AllOf(HasSubstr((d / "rook.csv").string() + ":4: column 'adcode_i'"),
                    HasSubstr("unknown county adcode 123456")));
}

TEST(Geography, DuplicateEdgeNamesFileLineAndColumn) {
  const std::string queen = kQueen + "500228,500101,1\n";  // line 6: 2-1 repeats 1-2 (line 2)
  const fs::path d = fixture(kCountiesHeader + kCountiesRows, queen);
  EXPECT_THAT(error_of([&] { load_geography(d); }),
              AllOf(HasSubstr((d / "queen.csv").string() + ":6: column 'adcode_i'"),
                    HasSubstr("duplicate queen edge 500228-500101")));
}

TEST(Geography, DuplicateEdgeThroughOldAndNewCode) {
  const std::string rook = kRook + "500155,500101,49.179,44.262\n";  // line 6 = line 2
  const fs::path d = fixture(kCountiesHeader + kCountiesRows, kQueen, rook);
  EXPECT_THAT(error_of([&] { load_geography(d); }),
              AllOf(HasSubstr((d / "rook.csv").string() + ":6: column 'adcode_i'"),
                    HasSubstr("duplicate rook edge")));
}

TEST(Geography, SelfLoopIsAnError) {
  const std::string queen = kQueen + "500228,500155,1\n";  // line 6: the same county twice
  const fs::path d = fixture(kCountiesHeader + kCountiesRows, queen);
  EXPECT_THAT(error_of([&] { load_geography(d); }),
              AllOf(HasSubstr((d / "queen.csv").string() + ":6: column 'adcode_j'"),
                    HasSubstr("self-loop")));
}

// An island is not a load error (issue 18: only weights that use the graph need neighbours): the
// queen weights name it; kNN weights of the same geography build.
TEST(Geography, IslandIsAnErrorOfTheWeightsThatUseTheGraph) {
  // 510105 loses both its queen edges: an island.
  const std::string queen = "adcode_i,adcode_j\n500101,500228\n500228,510104\n";
  const fs::path d = fixture(kCountiesHeader + kCountiesRows, queen);
  const Geography geo = load_geography(d);
  EXPECT_TRUE(geo.has_queen);
  const revest::spatial::Units u = revest::analyses::spatial_units(geo);
  EXPECT_THAT(error_of([&] {
                revest::spatial::build_weights(revest::spatial::parse_weights_spec("queen", "t"),
                                               u);
              }),
              AllOf(HasSubstr("510105"), HasSubstr("青羊区"), HasSubstr("island")));
  EXPECT_EQ(revest::spatial::build_weights(revest::spatial::parse_weights_spec("knn k=1", "t"), u)
                .summary.links,
            4u);
}

TEST(Geography, RookIslandIsAnErrorOfRookWeights) {
  const std::string rook = "adcode_i,adcode_j,shared_border_km\n500228,510104,1\n510104,510105,1\n";
  const fs::path d = fixture(kCountiesHeader + kCountiesRows, kQueen, rook);
  const revest::spatial::Units u = revest::analyses::spatial_units(load_geography(d));
  EXPECT_THAT(error_of([&] {
                revest::spatial::build_weights(
                    revest::spatial::parse_weights_spec("rook_length", "t"), u);
              }),
              AllOf(HasSubstr("500101"), HasSubstr("万州区"), HasSubstr("island")));
}

// Only what is used is required (issue 18): a folder without queen.csv and rook.csv loads, and
// contiguity weights then say what is missing.
TEST(Geography, GraphFilesAreOptional) {
  const fs::path d = fixture();
  fs::remove(d / "queen.csv");
  fs::remove(d / "rook.csv");
  const Geography geo = load_geography(d);
  EXPECT_FALSE(geo.has_queen);
  EXPECT_FALSE(geo.has_rook);
  EXPECT_EQ(geo.size(), 4u);
  const revest::spatial::Units u = revest::analyses::spatial_units(geo);
  EXPECT_THAT(error_of([&] {
                revest::spatial::build_weights(revest::spatial::parse_weights_spec("queen", "t"),
                                               u);
              }),
              HasSubstr("the geography has no queen contiguity"));
  EXPECT_THAT(error_of([&] {
                revest::spatial::build_weights(revest::spatial::parse_weights_spec("rook", "t"), u);
              }),
              HasSubstr("the geography has no rook contiguity"));
  EXPECT_EQ(revest::spatial::build_weights(revest::spatial::parse_weights_spec("knn k=2", "t"), u)
                .summary.links,
            8u);
}

// A unit list (issue 18): any integer ids, optional names, coordinates and groups, no graphs.
TEST(Geography, UnitList) {
  const fs::path d = test_dir();
  write_file(d, "firms.csv",
             "id,name,lon,lat,province\n7,Alpha,104.0,30.0,A\n3,Beta,104.5,30.2,A\n"
             "1000001,Gamma,105.0,31.0,B\n");
  const Geography geo = load_geography(d / "firms.csv");
  ASSERT_EQ(geo.size(), 3u);
  EXPECT_EQ(geo.counties[2].adcode, 1000001);
  EXPECT_EQ(geo.counties[1].name_ref, "Beta");
  EXPECT_EQ(*geo.index_of(3), 1u);
  EXPECT_FALSE(geo.has_queen);
  EXPECT_EQ(geo.provinces(), (std::vector<std::string>{"A", "B"}));
  const revest::spatial::Units u = revest::analyses::spatial_units(geo);
  EXPECT_EQ(revest::spatial::build_weights(revest::spatial::parse_weights_spec("knn k=1", "t"), u)
                .W.coeff(0, 1),
            1.0);
  // Without coordinates: distance weights say so, naming the unit; block weights still build.
  write_file(d, "plain.csv", "id,province\n1,A\n2,A\n3,B\n4,B\n");
  const revest::spatial::Units p = revest::analyses::spatial_units(load_geography(d / "plain.csv"));
  EXPECT_THAT(error_of([&] {
                revest::spatial::build_weights(revest::spatial::parse_weights_spec("knn k=1", "t"),
                                               p);
              }),
              HasSubstr("has no coordinates"));
  EXPECT_EQ(revest::spatial::build_weights(
                revest::spatial::parse_weights_spec("block level=province", "t"), p)
                .summary.links,
            4u);
  // Errors name the file, the line and the column.
  write_file(d, "dup.csv", "id,name\n1,a\n1,b\n");
  EXPECT_THAT(error_of([&] { load_geography(d / "dup.csv"); }),
              AllOf(HasSubstr("dup.csv:3: column 'id'"), HasSubstr("duplicate id 1")));
  write_file(d, "noid.csv", "code,name\n1,a\n");
  EXPECT_THAT(error_of([&] { load_geography(d / "noid.csv"); }),
              HasSubstr("a unit list needs a column 'id'"));
  write_file(d, "half.csv", "id,lon\n1,104\n");
  EXPECT_THAT(error_of([&] { load_geography(d / "half.csv"); }),
              HasSubstr("both columns lon and lat"));
  EXPECT_THAT(error_of([&] { load_geography(d / "nowhere.csv"); }), HasSubstr("no such geography"));
}

TEST(Geography, ZeroBorderLengthNamesFileLineAndColumn) {
  const std::string rook =
      "adcode_i,adcode_j,shared_border_km\n"
      "500101,500228,1\n500228,510104,0\n510104,510105,1\n500101,510105,1\n";
  const fs::path d = fixture(kCountiesHeader + kCountiesRows, kQueen, rook);
  EXPECT_THAT(error_of([&] { load_geography(d); }),
              AllOf(HasSubstr((d / "rook.csv").string() + ":3: column 'shared_border_km'"),
                    HasSubstr("must be positive")));
}

TEST(Geography, NegativeBorderLengthNamesFileLineAndColumn) {
  const std::string rook =
      "adcode_i,adcode_j,shared_border_km\n"
      "500101,500228,1\n500228,510104,2\n510104,510105,1\n500101,510105,-1.5\n";
  const fs::path d = fixture(kCountiesHeader + kCountiesRows, kQueen, rook);
  EXPECT_THAT(error_of([&] { load_geography(d); }),
              AllOf(HasSubstr((d / "rook.csv").string() + ":5: column 'shared_border_km'"),
                    HasSubstr("must be positive")));
}

TEST(Geography, NonNumericBorderLength) {
  const std::string rook =
      "adcode_i,adcode_j,shared_border_km\n"
      "500101,500228,1\n500228,510104,abc\n510104,510105,1\n500101,510105,1\n";
  const fs::path d = fixture(kCountiesHeader + kCountiesRows, kQueen, rook);
  EXPECT_THAT(error_of([&] { load_geography(d); }),
              AllOf(HasSubstr((d / "rook.csv").string() + ":3: column 'shared_border_km'"),
                    HasSubstr("non-numeric")));
}

TEST(Geography, RookWithoutBorderColumn) {
  const fs::path d = fixture(kCountiesHeader + kCountiesRows, kQueen, kQueen);
  EXPECT_THAT(error_of([&] { load_geography(d); }),
              AllOf(HasSubstr((d / "rook.csv").string() + ":1:"),
                    HasSubstr("missing column 'shared_border_km'")));
}

TEST(Geography, CountiesMissingColumn) {
  const std::string counties =
      "adcode,name,province,province_en,prefecture,centroid_lon,centroid_lat,perimeter_km,"
      "adcode_ref,name_ref\n500101,万州区,重庆市,Chongqing,重庆,108.4,30.7,420.63,500101,万州区\n";
  const fs::path d = fixture(counties);
  EXPECT_THAT(error_of([&] { load_geography(d); }),
              AllOf(HasSubstr((d / "counties.csv").string() + ":1:"),
                    HasSubstr("missing column 'area_km2'")));
}

TEST(Geography, CountiesNonPositiveArea) {
  const std::string rows = replaced(kCountiesRows, "62.1", "0");  // 510104, line 4
  const fs::path d = fixture(kCountiesHeader + rows);
  EXPECT_THAT(error_of([&] { load_geography(d); }),
              AllOf(HasSubstr((d / "counties.csv").string() + ":4: column 'area_km2'"),
                    HasSubstr("positive")));
}

TEST(Geography, CountiesBadAdcode) {
  const std::string rows =
      replaced(kCountiesRows, "510105,青羊区", "51O105,青羊区");  // letter O, line 5
  const fs::path d = fixture(kCountiesHeader + rows);
  EXPECT_THAT(error_of([&] { load_geography(d); }),
              AllOf(HasSubstr((d / "counties.csv").string() + ":5: column 'adcode'"),
                    HasSubstr("not an integer")));
}

TEST(Geography, CountiesNaNCentroid) {
  const std::string rows =
      replaced(kCountiesRows, "30.6,62.1", "nan,62.1");  // 510104 centroid_lat, line 4
  const fs::path d = fixture(kCountiesHeader + rows);
  EXPECT_THAT(error_of([&] { load_geography(d); }),
              AllOf(HasSubstr((d / "counties.csv").string() + ":4: column 'centroid_lat'"),
                    HasSubstr("NaN")));
}

// A county listed twice in counties.csv: the error must say where (file, line, column), like every
// other bad-input error.
TEST(Geography, CountiesDuplicateAdcodeNamesFileLineAndColumn) {
  const std::string rows =
      kCountiesRows + "510104,锦江区,四川省,Sichuan,成都市,104.1,30.6,62.1,40.3,510104,锦江区\n";
  const fs::path d = fixture(kCountiesHeader + rows);
  const std::string msg = error_of([&] { load_geography(d); });
  EXPECT_THAT(msg, HasSubstr("duplicate adcode 510104"));
  EXPECT_THAT(msg, HasSubstr((d / "counties.csv").string() + ":6: column 'adcode'"));
}

TEST(Geography, EmptyCountiesFile) {
  const fs::path d = fixture(kCountiesHeader);
  EXPECT_THAT(error_of([&] { load_geography(d); }),
              AllOf(HasSubstr((d / "counties.csv").string()), HasSubstr("no counties")));
}

TEST(Geography, MissingDirectory) {
  const fs::path d = test_dir() / "nowhere";
  EXPECT_THAT(error_of([&] { load_geography(d); }),
              AllOf(HasSubstr(d.string() + ": no such geography"), HasSubstr("a unit-list")));
  // A folder without its counties.csv.
  fs::create_directories(d);
  EXPECT_THAT(error_of([&] { load_geography(d); }),
              AllOf(HasSubstr((d / "counties.csv").string()), HasSubstr("cannot open")));
}

// unmatched_units = "drop" keeps a subset of the units: the edges among them, re-indexed, and
// look-ups by either code.
TEST(Geography, SubsetKeepsTheEdgesAmongTheUnits) {
  const Geography geo = load_geography(fixture());  // ring 1 - 2 - 3 - 4 - 1
  const Geography s = geo.subset({0, 1, 3});        // 500101, 500228, 510105
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s.counties[2].adcode, 510105);
  EXPECT_EQ(*s.index_of(500155), 1u);  // the 2022 code of 500228
  EXPECT_FALSE(s.index_of(510104).has_value());
  // Queen edges 0-1 and 3-0 survive (1-2 and 2-3 lose unit 2): (0,1) and (0,2) re-indexed.
  ASSERT_EQ(s.queen.size(), 2u);
  EXPECT_EQ(s.queen[0].i, 0u);
  EXPECT_EQ(s.queen[0].j, 1u);
  EXPECT_EQ(s.queen[1].i, 0u);
  EXPECT_EQ(s.queen[1].j, 2u);
  EXPECT_THROW(geo.subset({2, 1}), revest::Error);
}
