#include "core/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace revest::stats {

double quantile(std::span<const double> values, double p) {
  std::vector<double> v;
  v.reserve(values.size());
  for (double x : values)
    if (!std::isnan(x)) v.push_back(x);
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  const double h = (static_cast<double>(v.size()) - 1.0) * p;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  // Selection instead of a full sort: O(n) for the two order statistics needed.
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
  const double x_lo = v[lo];
  if (lo + 1 >= v.size() || h == static_cast<double>(lo)) return x_lo;
  const double x_hi = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end());
  return x_lo + (h - static_cast<double>(lo)) * (x_hi - x_lo);
}

double quantile_type1(std::span<const double> values, double p) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::vector<double> v(values.begin(), values.end());
  const auto k = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
  const auto at = static_cast<std::ptrdiff_t>(std::max<std::size_t>(k, 1) - 1);
  std::nth_element(v.begin(), v.begin() + at, v.end());
  return v[static_cast<std::size_t>(at)];
}

MeanSd mean_sd(std::span<const double> values) {
  double sum = 0.0;
  std::size_t n = 0;
  for (double x : values)
    if (!std::isnan(x)) {
      sum += x;
      ++n;
    }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (n == 0) return {nan, nan, 0};
  const double mean = sum / static_cast<double>(n);
  if (n < 2) return {mean, nan, n};
  double ss = 0.0;
  for (double x : values)
    if (!std::isnan(x)) ss += (x - mean) * (x - mean);
  return {mean, std::sqrt(ss / static_cast<double>(n - 1)), n};
}

std::vector<double> rank_descending(std::span<const double> values) {
  const std::size_t n = values.size();
  std::vector<std::size_t> idx;
  idx.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isnan(values[i])) idx.push_back(i);
  // Stable sort so the order of exactly tied values is deterministic.
  std::stable_sort(idx.begin(), idx.end(),
                   [&](std::size_t a, std::size_t b) { return values[a] > values[b]; });
  std::vector<double> rank(n, std::numeric_limits<double>::quiet_NaN());
  for (std::size_t k = 0; k < idx.size(); ++k) {
    if (k > 0 && values[idx[k]] == values[idx[k - 1]])
      rank[idx[k]] = rank[idx[k - 1]];
    else
      rank[idx[k]] = static_cast<double>(k + 1);
  }
  return rank;
}

}  // namespace revest::stats
