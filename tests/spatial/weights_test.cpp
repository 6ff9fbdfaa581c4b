// Spatial weights from the bundled geography (data/southwest): link counts against the neighbour
// files (README of data/southwest: 1,442 queen and 1,438 rook pairs, connected, degree 2..12).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <sstream>

#include "core/rng.hpp"
#include "southwest.hpp"
#include "spatial/weights.hpp"
#include "spatial/weights_io.hpp"
#include "test_support.hpp"

namespace revest::spatial {
namespace {

const io::Geography& geo() { return test::southwest(); }

Weights build(const std::string& spec, std::span<const double> means = {}) {
  return test::southwest_weights(spec, means);
}

TEST(WeightsTest, ContiguityMatchesTheNeighbourFiles) {
  const Weights q = build("queen");
  EXPECT_EQ(q.size(), 512u);
  EXPECT_EQ(q.summary.links, 2u * 1442u);
  EXPECT_EQ(q.summary.min_degree, 2);
  EXPECT_EQ(q.summary.max_degree, 12);
  EXPECT_EQ(q.summary.components, 1u);
  EXPECT_TRUE(q.summary.symmetric_values);
  EXPECT_TRUE(q.symmetric_similar);
  EXPECT_TRUE(q.row_standardised);
  for (int i = 0; i < q.W.outerSize(); ++i) EXPECT_NEAR(q.W.row(i).sum(), 1.0, 1e-14);
  const Weights r = build("rook standardise=none");
  EXPECT_EQ(r.summary.links, 2u * 1438u);
  EXPECT_FALSE(r.row_standardised);
  EXPECT_DOUBLE_EQ(r.W.sum(), 2.0 * 1438);
  // Border-length weights: the shared border of 500101 and 500154 is 72.714 km (rook.csv).
  const Weights rl = build("rook_length standardise=none");
  const auto i = *geo().index_of(500101), j = *geo().index_of(500154);
  EXPECT_DOUBLE_EQ(rl.W.coeff(static_cast<int>(i), static_cast<int>(j)), 72.714);
  EXPECT_DOUBLE_EQ(rl.W.coeff(static_cast<int>(j), static_cast<int>(i)), 72.714);
}

TEST(WeightsTest, DistanceBasedDefinitionsAgainstBruteForce) {
  const auto& g = geo();
  const std::size_t n = g.size();
  auto dist = [&](std::size_t a, std::size_t b) {
    return great_circle_km(g.counties[a].lon, g.counties[a].lat, g.counties[b].lon,
                           g.counties[b].lat);
  };
  const Weights knn = build("knn k=5 standardise=none");
  EXPECT_EQ(knn.summary.links, 5 * n);
  EXPECT_FALSE(knn.symmetric_similar);  // kNN is not symmetric on real geography
  for (std::size_t i = 0; i < n; i += 37) {
    // Every non-neighbour is at least as far as every neighbour.
    double far_nb = 0, near_other = 1e300;
    for (std::size_t j = 0; j < n; ++j) {
      if (j == i) continue;
      if (knn.W.coeff(static_cast<int>(i), static_cast<int>(j)) != 0) {
        far_nb = std::max(far_nb, dist(i, j));
      } else {
        near_other = std::min(near_other, dist(i, j));
      }
    }
    EXPECT_LE(far_nb, near_other) << "unit " << i;
  }
  const Weights band = build("distance_band d=80 standardise=none islands=nearest");
  const Weights inv = build("inverse_distance power=2 cutoff=150 standardise=none islands=nearest");
  const Weights ker =
      build("kernel function=gaussian bandwidth=120 standardise=none islands=nearest");
  for (std::size_t i = 0; i < n; i += 29) {
    for (std::size_t j = 0; j < n; j += 3) {
      if (i == j) continue;
      const double d = dist(i, j);
      const auto bi = static_cast<int>(i), bj = static_cast<int>(j);
      if (d <= 80) {
        EXPECT_EQ(band.W.coeff(bi, bj), 1.0);
      }
      if (d <= 150) {
        EXPECT_NEAR(inv.W.coeff(bi, bj), 1.0 / (d * d), 1e-15);
      }
      if (d > 150 && inv.W.coeff(bi, bj) != 0) {
        // An island's fallback link weighs the spec's own d^-2 (the cutoff ignored), not 1.
        EXPECT_NEAR(inv.W.coeff(bi, bj), 1.0 / (d * d), 1e-15);
      }
      if (d <= 120) {
        EXPECT_NEAR(ker.W.coeff(bi, bj), std::exp(-0.5 * (d / 120) * (d / 120)), 1e-15);
      }
    }
  }
  // Great-circle distance: Chengdu (104.066, 30.572) to Chongqing (106.551, 29.563) is about 266 km.
  EXPECT_NEAR(great_circle_km(104.066, 30.572, 106.551, 29.563), 266.0, 3.0);
}

TEST(WeightsTest, IslandsAreAnErrorUnlessAFallbackIsChosen) {
  // Tibet's counties are far apart: a 30 km band leaves islands.
  const std::string msg = test::error_of([] { build("distance_band d=30"); });
  EXPECT_NE(msg.find("has no neighbour (an island)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("county "), std::string::npos) << msg;
  const Weights w = build("distance_band d=30 islands=nearest");
  EXPECT_GT(w.summary.islands_linked.size(), 0u);
  EXPECT_EQ(w.summary.min_degree >= 1, true);
}

TEST(WeightsTest, BlockAndEconomicWeights) {
  const auto& g = geo();
  const Weights b = build("block level=province standardise=none");
  std::size_t expect = 0;
  for (std::size_t i = 0; i < g.size(); ++i)
    for (std::size_t j = 0; j < g.size(); ++j)
      expect += i != j && g.counties[i].province == g.counties[j].province;
  EXPECT_EQ(b.summary.links, expect);
  EXPECT_EQ(b.summary.components, 5u);  // Sichuan, Chongqing, Guizhou, Yunnan, Tibet
  std::vector<double> m(g.size());
  for (std::size_t i = 0; i < m.size(); ++i) m[i] = g.counties[i].lat;  // any county variable
  const Weights e = build("economic variable=lat base=queen standardise=none", m);
  const Weights q = build("queen standardise=none");
  EXPECT_EQ(e.summary.links, q.summary.links);
  for (int i = 0; i < e.W.outerSize(); ++i)
    for (SpMat::InnerIterator it(e.W, i); it; ++it) {
      EXPECT_GT(it.value(), 0.0);
      EXPECT_LE(it.value(), 1.0);
    }
  m[7] = std::nan("");
  EXPECT_NE(test::error_of([&] { build("economic variable=lat", m); }).find("no finite value"),
            std::string::npos);
}

TEST(WeightsTest, SpecErrorsNameTheProblem) {
  EXPECT_NE(test::error_of([] {
              parse_weights_spec("hexagon", "job.toml:3");
            }).find("unknown weights type 'hexagon'"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { parse_weights_spec("knn k=0", "job.toml:3"); }).find("k must be"),
            std::string::npos);
  EXPECT_NE(
      test::error_of([] { parse_weights_spec("queen k=4", "job.toml:3"); }).find("does not apply"),
      std::string::npos);
  EXPECT_NE(test::error_of([] { parse_weights_spec("knn k", "job.toml:3"); }).find("key=value"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { parse_weights_spec("economic", "x"); }).find("variable=NAME"),
            std::string::npos);
}

// Weights from files (issue 18): the county queen matrix written as GeoDa .gal (on the 2022 codes,
// and on the source codes, which the county units accept as aliases), as .gwt, as an edge list
// and as Matrix Market reads back through `gal file=...` etc. as the built-in queen matrix, bit for
// bit; a file that leaves a county out makes it an island (an error, or linked to its nearest
// county with the file's median weight).
TEST(WeightsTest, FileSpecsReadTheMatricesOtherToolsWrite) {
  const Weights q = build("queen");
  const Units& u = test::southwest_units();
  std::vector<std::string> source_codes;
  for (const auto& c : geo().counties) source_codes.push_back(std::to_string(c.adcode));
  ASSERT_NE(source_codes, u.ids);  // some counties changed code: the aliases are exercised
  // gal holds the pattern only (standardised again: the same bits); the others hold the
  // row-standardised values, kept by standardise=none (standardising them again would divide by
  // row sums that are 1 only to rounding).
  const std::pair<std::string, std::string> cases[] = {
      {"gal file=q.gal", write_weights_text(q.W, WeightsFormat::kGal, u.ids)},
      {"gal file=q_old.gal", write_weights_text(q.W, WeightsFormat::kGal, source_codes)},
      {"gwt file=q.gwt standardise=none", write_weights_text(q.W, WeightsFormat::kGwt, u.ids)},
      {"edges file=q.csv weight=weight standardise=none",
       write_weights_text(q.W, WeightsFormat::kEdges, u.ids)},
      {"matrix file=q.mtx standardise=none",
       write_weights_text(q.W, WeightsFormat::kMatrixMarket, u.ids)}};
  for (const auto& [spec_text, text] : cases) {
    const WeightsSpec spec = parse_weights_spec(spec_text, "test");
    EXPECT_TRUE(spec.from_file());
    EXPECT_EQ(parse_weights_spec(spec.label(), "t"), spec) << spec_text;
    const Weights w = build_weights(spec, u, {}, text);
    EXPECT_EQ(w.label, spec_text);
    EXPECT_EQ(w.summary.links, q.summary.links) << spec_text;
    EXPECT_TRUE(Eigen::MatrixXd(w.W) == Eigen::MatrixXd(q.W)) << spec_text;
  }
  // The edge list with other column names, and a quoted file name with a blank.
  std::string renamed = write_weights_text(q.W, WeightsFormat::kEdges, u.ids);
  renamed.replace(0, renamed.find('\n'), "src,dst,w");
  const WeightsSpec e = parse_weights_spec(
      "edges file=\"my weights.csv\" from=src to=dst weight=w standardise=none", "test");
  EXPECT_EQ(e.file, "my weights.csv");
  EXPECT_EQ(e.text, "edges file=\"my weights.csv\" from=src to=dst weight=w standardise=none");
  WeightsSpec unlabelled = e;
  unlabelled.text.clear();
  EXPECT_EQ(unlabelled.label(),
            "edges file=\"my weights.csv\" weight=w from=src to=dst standardise=none");
  unlabelled.text = unlabelled.label();
  EXPECT_EQ(parse_weights_spec(unlabelled.text, "t"), unlabelled);
  EXPECT_TRUE(Eigen::MatrixXd(build_weights(e, u, {}, renamed).W) == Eigen::MatrixXd(q.W));
  // County 0 left out of a gwt file (its lines removed): an island, named.
  std::string gwt = write_weights_text(q.W, WeightsFormat::kGwt, u.ids), cut;
  std::istringstream lines(gwt);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream f(line);
    std::string a, b;
    f >> a >> b;
    if (a != u.ids[0] && b != u.ids[0]) cut += line + "\n";
  }
  EXPECT_NE(test::error_of([&] {
              build_weights(parse_weights_spec("gwt file=cut.gwt", "t"), u, {}, cut);
            }).find(u.names[0]),
            std::string::npos);
  const Weights linked =
      build_weights(parse_weights_spec("gwt file=cut.gwt islands=nearest", "t"), u, {}, cut);
  EXPECT_EQ(linked.summary.islands_linked, std::vector<std::size_t>{0});
  EXPECT_EQ(linked.W.row(0).nonZeros(), 1);
  // Errors: a file spec without its file, keys of other types, an unknown id (file and line).
  EXPECT_NE(test::error_of([] { parse_weights_spec("gal", "job.toml:3"); }).find("need file=PATH"),
            std::string::npos);
  EXPECT_NE(test::error_of([] {
              parse_weights_spec("knn k=4 file=x.gal", "job.toml:3");
            }).find("key 'file' does not apply to type knn"),
            std::string::npos);
  EXPECT_NE(test::error_of([] {
              parse_weights_spec("gal file=x.gal weight=w", "job.toml:3");
            }).find("does not apply to type gal"),
            std::string::npos);
  EXPECT_NE(test::error_of([] {
              parse_weights_spec("edges file=\"x.csv", "job.toml:3");
            }).find("unclosed quote"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] {
              build_weights(parse_weights_spec("gal file=bad.gal", "t"), u, {},
                            "512\n999999 1\n510104\n");
            }).find("bad.gal:2: "),
            std::string::npos);
}

// The library needs no geography: plain units (names, centroids, links) and a spec built in code.
// Four units on the equator, one degree apart, linked in a chain.
TEST(WeightsTest, PlainUnitsAndATypedSpec) {
  Units u;
  u.names = {"a", "b", "c", "d"};
  u.lon = {0, 1, 2, 3};
  u.lat = {0, 0, 0, 0};
  u.queen = {{0, 1, 1.0}, {1, 2, 1.0}, {2, 3, 1.0}};
  WeightsSpec s;  // queen, row-standardised
  const Weights q = build_weights(s, u);
  EXPECT_EQ(q.label, "queen");
  EXPECT_EQ(q.summary.links, 6u);
  EXPECT_DOUBLE_EQ(q.W.coeff(1, 0), 0.5);
  s.type = WeightsType::kKnn;
  s.k = 1;
  s.row_standardise = false;
  const Weights k = build_weights(s, u);
  EXPECT_EQ(k.label, "knn k=1 standardise=none");
  EXPECT_EQ(k.W.coeff(0, 1), 1.0);
  EXPECT_EQ(k.W.coeff(3, 2), 1.0);
  const WeightsSpec parsed = parse_weights_spec(k.label, "t");
  EXPECT_EQ(parsed.type, WeightsType::kKnn);
  EXPECT_EQ(parsed.k, 1);
  EXPECT_FALSE(parsed.row_standardise);
  // Missing unit data and out-of-range fields are errors naming the spec.
  s.type = WeightsType::kBlock;
  EXPECT_NE(test::error_of([&] { build_weights(s, u); }).find("need the prefecture of the 4 units"),
            std::string::npos);
  s.type = WeightsType::kDistanceBand;
  s.distance_km = -1;
  EXPECT_NE(test::error_of([&] {
              build_weights(s, u);
            }).find("weights spec 'distance_band d=-1 standardise=none': d must be > 0"),
            std::string::npos);
}

// Hundreds of thousands of units (issue 18: villages, firms): distance-based weights are built
// from a spatial index (sphere_index.hpp), never an n x n matrix (200,000 units: 320 GB). kNN has
// k links per unit, a distance band only links pairs within d (checked for a sample of units
// against brute force), islands=nearest finds the nearest unit; dense inverse distance without a
// cutoff is refused with the remedy.
TEST(WeightsTest, LargeNDistanceWeightsWithoutADistanceMatrix) {
  const std::size_t n = 200000;
  Rng rng(18, "large_n", 0);
  Units u;
  for (std::size_t i = 0; i < n; ++i) {
    u.names.push_back(std::to_string(i));  // ("v" + ... trips GCC 12's -Wrestrict false positive)
    u.lon.push_back(97.0 + 15.0 * rng.uniform01());  // the Southwest's extent
    u.lat.push_back(21.0 + 13.0 * rng.uniform01());
  }
  u.has_queen = u.has_rook = false;
  const Weights knn = build_weights(parse_weights_spec("knn k=6", "t"), u);
  EXPECT_EQ(knn.summary.links, 6 * n);
  const Weights band =
      build_weights(parse_weights_spec("distance_band d=3 islands=nearest", "t"), u);
  EXPECT_GT(band.summary.links, n);  // about 5 units within 3 km of each at this density
  // Brute force for a sample of units: every unit within 3 km is linked, and a link beyond 3 km
  // is the islands fallback (unit i or unit j has no unit within 3 km, the other is its nearest).
  auto within3 = [&](std::size_t i) {
    std::vector<std::size_t> w;
    for (std::size_t j = 0; j < n; ++j)
      if (j != i && great_circle_km(u.lon[i], u.lat[i], u.lon[j], u.lat[j]) <= 3.0) w.push_back(j);
    return w;
  };
  std::size_t fallback = 0;
  for (std::size_t i = 0; i < n; i += 9973) {
    const std::vector<std::size_t> w = within3(i);
    std::vector<std::size_t> row;
    for (SpMat::InnerIterator it(band.W, static_cast<int>(i)); it; ++it)
      row.push_back(static_cast<std::size_t>(it.col()));
    for (std::size_t j : w) EXPECT_TRUE(std::find(row.begin(), row.end(), j) != row.end()) << i;
    for (std::size_t j : row) {
      if (std::find(w.begin(), w.end(), j) != w.end()) continue;
      EXPECT_TRUE(w.empty() || within3(j).empty()) << i << " -> " << j;
      ++fallback;
    }
  }
  std::cout << "distance band: " << band.summary.links << " links, " << fallback
            << " fallback links in the sample\n";
  EXPECT_NE(test::error_of([&] {
              build_weights(parse_weights_spec("inverse_distance", "t"), u);
            }).find("give cutoff=KM"),
            std::string::npos);
  const Weights inv =
      build_weights(parse_weights_spec("inverse_distance cutoff=2 islands=nearest", "t"), u);
  EXPECT_GT(inv.summary.links, 0u);
}

TEST(WeightsTest, PlaneKnnIsExact) {
  // Grid-bucket kNN against brute force on scattered points.
  const int n = 3000, k = 6;
  std::vector<double> x(n), y(n);
  Rng rng(7, "test/knn", 0);
  for (int i = 0; i < n; ++i) {
    x[static_cast<std::size_t>(i)] = rng.uniform01() * (i % 3 == 0 ? 10.0 : 1.0);
    y[static_cast<std::size_t>(i)] = rng.uniform01();
  }
  const Weights w = knn_plane(x, y, k, false);
  for (int i = 0; i < n; i += 97) {
    std::vector<std::pair<double, int>> d;
    for (int j = 0; j < n; ++j)
      if (j != i)
        d.emplace_back(std::hypot(x[static_cast<std::size_t>(j)] - x[static_cast<std::size_t>(i)],
                                  y[static_cast<std::size_t>(j)] - y[static_cast<std::size_t>(i)]),
                       j);
    std::sort(d.begin(), d.end());
    for (int m = 0; m < k; ++m)
      EXPECT_EQ(w.W.coeff(i, d[static_cast<std::size_t>(m)].second), 1.0) << i;
  }
}

}  // namespace
}  // namespace revest::spatial
