#pragma once
/// \file sphere_index.hpp
/// \brief Exact neighbour queries by great-circle distance among n points (lon, lat) without the
/// n x n distance matrix: what distance-based weights of hundreds of thousands of units need.
///
/// The points are placed on the unit sphere and bucketed in a 3-D grid of cubic cells (about four
/// points per occupied cell). The chord between two points, 2 sin(d / 2R), increases with their
/// great-circle distance d, so the cells within a chord radius hold every point within the
/// corresponding distance. A query collects the candidates of those cells (with a margin of 1e-9
/// in chord length, about 6 mm, for rounding), then decides by great_circle_km itself, computed
/// as great_circle_km(lon_i, lat_i, lon_j, lat_j): the answers are exactly those of a brute-force
/// loop over all pairs with the same comparisons (nearest: by distance, ties by index).
///
/// \test tests/spatial/sphere_index_test.cpp: within() and nearest() against brute force on
/// random points (clustered, spread over a hemisphere, duplicates, ties), the poles and the
/// antimeridian.
#include <cstddef>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

namespace revest::spatial {

class SphereIndex {
 public:
  /// A neighbour: unit index and great-circle distance in km.
  using Hit = std::pair<std::uint32_t, double>;

  /// Points in degrees (finite: the caller checks; copied). lon and lat have the same length,
  /// below 2^32. Throws revest::Error otherwise.
  SphereIndex(std::span<const double> lon, std::span<const double> lat);

  std::size_t size() const { return lon_.size(); }

  /// The points j != i with great_circle_km(i, j) <= radius_km, in ascending j.
  void within(std::size_t i, double radius_km, std::vector<Hit>& out) const;

  /// The min(k, n - 1) points j != i nearest to i, ordered by distance, ties by index (as a
  /// partial sort of all points would order them).
  void nearest(std::size_t i, std::size_t k, std::vector<Hit>& out) const;

 private:
  // Candidates with chord distance to point i at most `chord` (+ margin), unsorted, i excluded;
  // returns how many lie within `chord` itself (without the margin).
  std::size_t candidates(std::size_t i, double chord, std::vector<std::uint32_t>& out) const;
  std::uint64_t key(int cx, int cy, int cz) const;
  int cell_of(double v, int axis) const;

  std::vector<double> lon_, lat_;
  std::vector<double> p_;  // 3 n coordinates on the unit sphere
  double lo_[3] = {0, 0, 0};
  double cell_ = 1.0;
  int dims_[3] = {1, 1, 1};
  std::vector<std::uint32_t> order_;  // point indices sorted by cell
  std::unordered_map<std::uint64_t, std::pair<std::uint32_t, std::uint32_t>>
      cells_;  // [begin, end)
};

/// Chord length on the unit sphere of a great-circle distance in km (R = 6371.0088 km, as
/// great_circle_km); distances beyond half the circumference give 2.
double chord_of_km(double km);

}  // namespace revest::spatial
