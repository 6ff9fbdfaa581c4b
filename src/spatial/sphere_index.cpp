#include "spatial/sphere_index.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "spatial/weights.hpp"

namespace revest::spatial {
namespace {
constexpr double kRad = 3.14159265358979323846 / 180.0;
constexpr double kEarthKm = 6371.0088;  // as great_circle_km
constexpr double kMargin = 1e-9;        // chord length on the unit sphere, about 6 mm
constexpr int kMaxDim = 1 << 20;        // cells per axis (a key has 3 x 20 bits)
}  // namespace

double chord_of_km(double km) {
  const double angle = std::min(std::max(km, 0.0) / kEarthKm, 3.14159265358979323846);
  return 2.0 * std::sin(angle / 2.0);
}

SphereIndex::SphereIndex(std::span<const double> lon, std::span<const double> lat)
    : lon_(lon.begin(), lon.end()), lat_(lat.begin(), lat.end()) {
  const std::size_t n = lon_.size();
  REVEST_REQUIRE(lat_.size() == n && n < (std::size_t{1} << 32),
                 "SphereIndex: " << lon_.size() << " longitudes and " << lat_.size()
                                 << " latitudes (at most 2^32 - 1 points)");
  p_.resize(3 * n);
  double hi[3];
  for (int a = 0; a < 3; ++a) {
    lo_[a] = std::numeric_limits<double>::infinity();
    hi[a] = -lo_[a];
  }
  for (std::size_t i = 0; i < n; ++i) {
    const double phi = lat_[i] * kRad, lam = lon_[i] * kRad;
    const double v[3] = {std::cos(phi) * std::cos(lam), std::cos(phi) * std::sin(lam),
                         std::sin(phi)};
    for (int a = 0; a < 3; ++a) {
      p_[3 * i + static_cast<std::size_t>(a)] = v[a];
      lo_[a] = std::min(lo_[a], v[a]);
      hi[a] = std::max(hi[a], v[a]);
    }
  }
  if (n == 0) return;
  // The points lie on a surface: cells of side extent x sqrt(4 / n) hold about four each.
  double extent = 0;
  for (int a = 0; a < 3; ++a) extent = std::max(extent, hi[a] - lo_[a]);
  cell_ = std::max(extent * std::sqrt(4.0 / static_cast<double>(n)), 1e-7);
  for (int a = 0; a < 3; ++a) {
    cell_ = std::max(cell_, (hi[a] - lo_[a]) / (kMaxDim - 1));
  }
  for (int a = 0; a < 3; ++a)
    dims_[a] = std::min(kMaxDim, static_cast<int>((hi[a] - lo_[a]) / cell_) + 1);
  std::vector<std::uint64_t> keys(n);
  for (std::size_t i = 0; i < n; ++i)
    keys[i] = key(cell_of(p_[3 * i], 0), cell_of(p_[3 * i + 1], 1), cell_of(p_[3 * i + 2], 2));
  order_.resize(n);
  for (std::size_t i = 0; i < n; ++i) order_[i] = static_cast<std::uint32_t>(i);
  std::stable_sort(order_.begin(), order_.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return keys[a] < keys[b]; });
  for (std::size_t b = 0; b < n;) {
    std::size_t e = b;
    while (e < n && keys[order_[e]] == keys[order_[b]]) ++e;
    cells_[keys[order_[b]]] = {static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(e)};
    b = e;
  }
}

std::uint64_t SphereIndex::key(int cx, int cy, int cz) const {
  return (static_cast<std::uint64_t>(cx) << 40) | (static_cast<std::uint64_t>(cy) << 20) |
         static_cast<std::uint64_t>(cz);
}

int SphereIndex::cell_of(double v, int axis) const {
  const int c = static_cast<int>((v - lo_[axis]) / cell_);
  return std::clamp(c, 0, dims_[axis] - 1);
}

std::size_t SphereIndex::candidates(std::size_t i, double chord,
                                    std::vector<std::uint32_t>& out) const {
  out.clear();
  const double* pi = &p_[3 * i];
  const double outer = chord + kMargin, outer2 = outer * outer, inner2 = chord * chord;
  std::size_t inner = 0;
  auto scan = [&](std::uint32_t b, std::uint32_t e) {
    for (std::uint32_t k = b; k < e; ++k) {
      const std::uint32_t j = order_[k];
      if (j == i) continue;
      const double* pj = &p_[3 * static_cast<std::size_t>(j)];
      const double dx = pi[0] - pj[0], dy = pi[1] - pj[1], dz = pi[2] - pj[2];
      const double c2 = dx * dx + dy * dy + dz * dz;
      if (c2 <= outer2) out.push_back(j);
      if (c2 <= inner2) ++inner;
    }
  };
  const int reach = static_cast<int>(std::min(std::ceil(outer / cell_), double{kMaxDim}));
  int from[3], to[3];
  double box = 1;
  for (int a = 0; a < 3; ++a) {
    const int c = cell_of(pi[a], a);
    from[a] = std::max(0, c - reach);
    to[a] = std::min(dims_[a] - 1, c + reach);
    box *= to[a] - from[a] + 1;
  }
  if (box > static_cast<double>(cells_.size())) {
    // Fewer occupied cells than cells in the box: visit the occupied ones.
    for (const auto& [k, range] : cells_) {
      const int c[3] = {static_cast<int>(k >> 40), static_cast<int>((k >> 20) & (kMaxDim - 1)),
                        static_cast<int>(k & (kMaxDim - 1))};
      if (c[0] >= from[0] && c[0] <= to[0] && c[1] >= from[1] && c[1] <= to[1] && c[2] >= from[2] &&
          c[2] <= to[2])
        scan(range.first, range.second);
    }
    return inner;
  }
  for (int x = from[0]; x <= to[0]; ++x)
    for (int y = from[1]; y <= to[1]; ++y)
      for (int z = from[2]; z <= to[2]; ++z) {
        const auto it = cells_.find(key(x, y, z));
        if (it != cells_.end()) scan(it->second.first, it->second.second);
      }
  return inner;
}

void SphereIndex::within(std::size_t i, double radius_km, std::vector<Hit>& out) const {
  out.clear();
  std::vector<std::uint32_t> cand;
  candidates(i, chord_of_km(radius_km), cand);
  std::sort(cand.begin(), cand.end());
  for (std::uint32_t j : cand) {
    const double d = great_circle_km(lon_[i], lat_[i], lon_[j], lat_[j]);
    if (d <= radius_km) out.emplace_back(j, d);
  }
}

void SphereIndex::nearest(std::size_t i, std::size_t k, std::vector<Hit>& out) const {
  out.clear();
  const std::size_t n = size();
  const std::size_t kk = std::min(k, n > 0 ? n - 1 : 0);
  if (kk == 0) return;
  std::vector<std::uint32_t> cand;
  // Grow the chord radius until k points lie within it: the k nearest are then among the
  // candidates (file comment). A chord of 2 holds every point.
  for (double chord = cell_;; chord *= 2) {
    if (kk == n - 1) chord = 2.0;
    if (candidates(i, std::min(chord, 2.0), cand) >= kk || chord >= 2.0) break;
  }
  out.reserve(cand.size());
  for (std::uint32_t j : cand)
    out.emplace_back(j, great_circle_km(lon_[i], lat_[i], lon_[j], lat_[j]));
  const auto by_distance = [](const Hit& a, const Hit& b) {
    return a.second != b.second ? a.second < b.second : a.first < b.first;
  };
  std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(kk), out.end(),
                    by_distance);
  out.resize(kk);
}

}  // namespace revest::spatial
