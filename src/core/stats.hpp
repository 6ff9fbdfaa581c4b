#pragma once
/// \file stats.hpp
/// \brief Small descriptive statistics used to summarise replications.
#include <cstddef>
#include <span>
#include <vector>

namespace revest::stats {

/// Sample quantile of type 7 (Hyndman & Fan 1996; R's default): linear interpolation between order
/// statistics at h = (n - 1) p. NaNs are ignored; returns NaN if no finite value remains.
/// `values` is copied and partially sorted.
double quantile(std::span<const double> values, double p);

/// Sample quantile of type 1 (the inverse of the empirical distribution function): the order
/// statistic number max(ceil(p n), 1), as bootstrap critical values and R did's mboot use. The
/// values must not contain NaN; returns NaN for no values.
double quantile_type1(std::span<const double> values, double p);

/// Mean and sample standard deviation (n - 1) of the finite values; NaN if fewer than 1 (2) remain.
struct MeanSd {
  double mean;
  double sd;
  std::size_t n;
};
MeanSd mean_sd(std::span<const double> values);

/// Ranks in descending order of value (1 = largest); ties share the smallest rank ("min" ranking,
/// as in competition rankings). NaN values get rank NaN and do not take a place.
std::vector<double> rank_descending(std::span<const double> values);

}  // namespace revest::stats
