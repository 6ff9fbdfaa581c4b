// Neighbour queries by great-circle distance (src/spatial/sphere_index.hpp) against brute force:
// the index must give exactly the pairs and order of a loop over all pairs.
#include "spatial/sphere_index.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "spatial/weights.hpp"

namespace revest::spatial {
namespace {

struct Points {
  std::vector<double> lon, lat;
};

// Brute force: every j != i within r, ascending j.
std::vector<SphereIndex::Hit> brute_within(const Points& p, std::size_t i, double r) {
  std::vector<SphereIndex::Hit> out;
  for (std::size_t j = 0; j < p.lon.size(); ++j) {
    if (j == i) continue;
    const double d = great_circle_km(p.lon[i], p.lat[i], p.lon[j], p.lat[j]);
    if (d <= r) out.emplace_back(static_cast<std::uint32_t>(j), d);
  }
  return out;
}

// Brute force: the k nearest by (distance, index).
std::vector<SphereIndex::Hit> brute_nearest(const Points& p, std::size_t i, std::size_t k) {
  std::vector<SphereIndex::Hit> all = brute_within(p, i, 1e9);
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second < b.second : a.first < b.first;
  });
  all.resize(std::min(k, all.size()));
  return all;
}

void expect_same(const Points& p, const std::vector<double>& radii,
                 const std::vector<std::size_t>& ks) {
  const SphereIndex index(p.lon, p.lat);
  ASSERT_EQ(index.size(), p.lon.size());
  std::vector<SphereIndex::Hit> got;
  for (std::size_t i = 0; i < p.lon.size(); ++i) {
    for (double r : radii) {
      index.within(i, r, got);
      ASSERT_EQ(got, brute_within(p, i, r)) << "unit " << i << ", radius " << r;
    }
    for (std::size_t k : ks) {
      index.nearest(i, k, got);
      ASSERT_EQ(got, brute_nearest(p, i, k)) << "unit " << i << ", k " << k;
    }
  }
}

// Clustered points (a county-like region with a few dense towns), with exact duplicates and
// points on a regular lattice (many equal distances: ties broken by index).
TEST(SphereIndex, ClusteredPointsDuplicatesAndTiesEqualBruteForce) {
  Rng rng(4, "sphere", 0);
  Points p;
  for (int c = 0; c < 6; ++c) {
    const double lon0 = 97 + 12 * rng.uniform01(), lat0 = 22 + 12 * rng.uniform01();
    for (int k = 0; k < 60; ++k) {
      p.lon.push_back(lon0 + 0.3 * (rng.uniform01() - 0.5));
      p.lat.push_back(lat0 + 0.3 * (rng.uniform01() - 0.5));
    }
  }
  for (int a = 0; a < 8; ++a)
    for (int b = 0; b < 8; ++b) {
      p.lon.push_back(104.0 + 0.1 * a);
      p.lat.push_back(0.1 * b);  // at the equator: a lattice with equal spacings
    }
  p.lon.push_back(p.lon[5]);
  p.lat.push_back(p.lat[5]);  // a duplicate of unit 5 (distance 0)
  expect_same(p, {0.0, 5.0, 20.0, 100.0, 600.0, 5000.0}, {1, 4, 6, 30, 1000});
}

// Points spread over the whole sphere, near the poles and on both sides of the antimeridian.
TEST(SphereIndex, PolesAndAntimeridianEqualBruteForce) {
  Rng rng(5, "sphere", 0);
  Points p;
  for (int k = 0; k < 300; ++k) {
    p.lon.push_back(-180 + 360 * rng.uniform01());
    p.lat.push_back(std::asin(2 * rng.uniform01() - 1) * 180 / 3.14159265358979323846);
  }
  for (double lon : {179.99, -179.99, 180.0, -180.0}) {
    p.lon.push_back(lon);
    p.lat.push_back(10.0);
  }
  for (double lon : {0.0, 90.0, 180.0}) {
    p.lon.push_back(lon);
    p.lat.push_back(89.999);
  }
  p.lon.push_back(0.0);
  p.lat.push_back(-90.0);
  expect_same(p, {1.0, 50.0, 2000.0, 20100.0}, {1, 3, 8});
  EXPECT_NEAR(chord_of_km(0.0), 0.0, 1e-15);
  EXPECT_DOUBLE_EQ(chord_of_km(1e9), 2.0);
}

// Degenerate sets: one point (no neighbours), two points, and mismatched input.
TEST(SphereIndex, DegenerateSets) {
  Points one{{104.0}, {30.0}};
  const SphereIndex a(one.lon, one.lat);
  std::vector<SphereIndex::Hit> got;
  a.nearest(0, 3, got);
  EXPECT_TRUE(got.empty());
  a.within(0, 1e6, got);
  EXPECT_TRUE(got.empty());
  Points two{{104.0, 104.0}, {30.0, 31.0}};
  const SphereIndex b(two.lon, two.lat);
  b.nearest(1, 5, got);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, 0u);
  EXPECT_NEAR(got[0].second, 111.195, 1e-3);  // one degree of latitude, R = 6371.0088 km
  const std::vector<double> lon{1.0, 2.0}, lat{1.0};
  EXPECT_THROW(SphereIndex(lon, lat), Error);
}

}  // namespace
}  // namespace revest::spatial
