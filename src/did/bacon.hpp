#pragma once
/// \file bacon.hpp
/// \brief The Goodman-Bacon (2021) decomposition of the TWFE coefficient into its 2 x 2
/// difference-in-differences comparisons and their weights ("Difference-in-differences with
/// variation in treatment timing", Journal of Econometrics 225(2):254-277, Theorem 1).
///
/// Balanced panel, no covariates. Timing groups: units first treated in the same period g
/// (first period < g <= last period), the never treated U (g = 0 or after the last period), and the
/// always treated (g <= first period: treated in every period). With n_k a group's share of
/// units, D_k the share of periods in which it is treated and V the variance of the two-way
/// demeaned treatment dummy (divisor N T):
///   treated vs never treated:   s_kU = (n_k + n_U)^2 n_kU (1 - n_kU) D_k (1 - D_k) / V,
///   earlier e vs later l (before l is treated, l the control):
///     s_el^e = ((n_e + n_l)(1 - D_l))^2 n_el (1 - n_el) (D_e - D_l)/(1 - D_l) (1 - D_e)/(1 - D_l) / V,
///   later l vs earlier e (after e is treated, e the control: the "forbidden" comparison that
///   biases TWFE when effects change over time):
///     s_el^l = ((n_e + n_l) D_e)^2 n_el (1 - n_el) D_l / D_e (D_e - D_l) / D_e / V,
/// n_kU = n_k / (n_k + n_U), n_el = n_e / (n_e + n_l); each comparison's estimate is the 2 x 2 DD
/// of its two groups' mean outcomes over its pre and post windows. The weights sum to 1 and the
/// weighted sum of the estimates is the TWFE coefficient (tested to 1e-10).
///
/// \test tests/did/bacon_test.cpp: weights sum to 1 and reproduce TWFE on mpdta and on a panel
/// with always-treated units; a 2 x 2 estimate by hand; unbalanced panels refused.
#include <Eigen/Dense>
#include <string>
#include <vector>

#include "did/callaway_santanna.hpp"

namespace revest::did {

enum class BaconType { kTreatedVsNever, kEarlierVsLater, kLaterVsEarlier };
/// "treated_vs_never" | "earlier_vs_later" | "later_vs_earlier"
const char* to_string(BaconType t);

struct BaconComparison {
  BaconType type = BaconType::kTreatedVsNever;
  int treated = 0;  ///< the treated group's first period (for always treated: the first period)
  int control = 0;  ///< the control group's first period (0: never treated)
  double estimate = 0, weight = 0;
};

struct BaconResult {
  std::vector<BaconComparison> comparisons;  ///< those with a positive weight
  double twfe = 0;                           ///< sum of weight x estimate
  /// Per type: total weight and weighted mean estimate (NaN without weight).
  double weight[3] = {0, 0, 0}, estimate[3] = {0, 0, 0};
  std::string brief_report() const;
};

/// Throws revest::Error for an unbalanced panel (naming a missing unit-period) or without
/// treatment variation.
BaconResult bacon_decomposition(const StaggeredPanel& panel);

}  // namespace revest::did
