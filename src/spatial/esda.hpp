#pragma once
/// \file esda.hpp
/// \brief Exploratory spatial data analysis: global Moran's I, Geary's C and Getis-Ord G with
/// their analytical moments, permutation counts, and local Moran (LISA) with conditional
/// permutation, pseudo p-values, Benjamini-Hochberg FDR and cluster labels.
///
/// Formulas: Cliff and Ord (1981) moments of I and C under normality and randomisation;
/// Getis and Ord (1992) moments of G (x >= 0); Anselin (1995) local Moran
/// I_i = z_i sum_j w_ij z_j / m2 with m2 = sum z^2 / n, and its conditional permutation (x_i held
/// fixed, its neighbours' values drawn without replacement from the other n - 1 values).
/// Pseudo p-values are folded one-sided, (1 + min(#perm >= obs, #perm <= obs)) / (1 + P),
/// as in PySAL.
///
/// Permutation inference: esda() of x on W with P permutations; permutation q draws from part
/// `part` of the stream key.stream(q), first a random permutation of x for the three global
/// statistics, then one conditional permutation of every unit for LISA (esda_permutation, the task
/// function a job farms out). The job analysis `spatial_esda` (analyses/spatial_esda.hpp) runs
/// combination k (weights x variable x cross-section) with part k of the same streams, so esda()
/// with the job's key reproduces its counts (its permutation means and sds up to the grouping of
/// their sums into tasks).
///
/// \test tests/spatial/esda_test.cpp: Columbus Moran's I (0.500189, E = -0.020833, z = 5.5894 under
/// randomisation; tests/spatial/data/columbus/README.md), Geary's C and G against spdep, the
/// permutation distribution's moments against the analytical ones, LISA against its definition,
/// esda() and its report.
#include <Eigen/Dense>
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "core/status.hpp"
#include "spatial/weights.hpp"

namespace revest::spatial {

/// A global statistic with its moments under normality (N) and randomisation (R).
struct GlobalStatistic {
  /// kOk, or kNumericalFailure when the statistic is not defined for the values (Getis-Ord G of
  /// negative values): every field is then NaN.
  Status status;
  double value = 0, expected = 0;
  double var_normal = 0, var_random = 0;
  double z_normal = 0, z_random = 0, p_normal = 0, p_random = 0;  ///< two-sided
};

/// Constants of a weights matrix used by all the moments (Cliff and Ord 1981).
struct WeightsMoments {
  double S0 = 0, S1 = 0, S2 = 0;
  explicit WeightsMoments(const Weights& w);
};

/// Moran's I of x (any real values; not constant).
GlobalStatistic moran(std::span<const double> x, const Weights& w, const WeightsMoments& m);
/// Geary's C.
GlobalStatistic geary(std::span<const double> x, const Weights& w, const WeightsMoments& m);
/// Getis-Ord G; needs x >= 0 (value NaN otherwise). Only var_normal/z_normal are set (the
/// Getis-Ord variance is a randomisation variance; it is stored in both).
GlobalStatistic getis_ord(std::span<const double> x, const Weights& w, const WeightsMoments& m);

/// Just the values of I, C and G (the permutation loop), with precomputed sums of x.
struct GlobalValues {
  double moran, geary, g;
};
GlobalValues global_values(std::span<const double> x, const Weights& w, double S0);

/// Local Moran I_i, the standardised value z_i and its spatial lag sum_j w_ij z_j.
struct LocalMoran {
  Eigen::VectorXd I, z, lag;
  double m2n = 0;  ///< z'z / n, the denominator of every I_i
};
LocalMoran local_moran(std::span<const double> x, const Weights& w);

/// Scratch space of lisa_permutation_draw for a weights matrix: a pool of unit indices (restored
/// after every unit) and the swaps to undo.
struct LisaScratch {
  explicit LisaScratch(const Weights& w);
  std::vector<std::uint32_t> pool, swaps;
};

/// One conditional permutation of every unit, drawn from `rng` (Anselin 1995): for unit i, x_i
/// stays and its deg(i) neighbours' values are drawn without replacement from the other n - 1
/// (a partial Fisher-Yates shuffle, undone afterwards, so the draws depend on `rng` alone). Adds
/// 1 to upper[i] when the permuted I_i >= the observed one, to lower[i] when <= it.
void lisa_permutation_draw(const LocalMoran& obs, const Weights& w, Rng& rng, LisaScratch& scratch,
                           std::span<double> upper, std::span<double> lower);

/// `permutations` successive draws of lisa_permutation_draw from one stream.
void lisa_permutation_counts(const LocalMoran& obs, const Weights& w, int permutations, Rng& rng,
                             std::span<double> upper, std::span<double> lower);

/// Unbiased integer in [0, m) from 32-bit draws, 0 < m < 2^32: the high word of draw x m, with
/// the rare draws that would bias it rejected (Lemire 2019, "Fast random integer generation in
/// an interval", ACM TOMACS 29(1)); a division only when a draw falls in the biased zone.
inline std::uint32_t uniform_index(Rng& rng, std::size_t m) {
  const auto range = static_cast<std::uint32_t>(m);
  std::uint64_t prod = static_cast<std::uint64_t>(rng()) * range;
  auto low = static_cast<std::uint32_t>(prod);
  if (low < range) {
    const std::uint32_t threshold = (0u - range) % range;  // 2^32 mod range
    while (low < threshold) {
      prod = static_cast<std::uint64_t>(rng()) * range;
      low = static_cast<std::uint32_t>(prod);
    }
  }
  return static_cast<std::uint32_t>(prod >> 32);
}

/// Folded one-sided pseudo p-value (1 + min(upper, lower)) / (1 + P).
double pseudo_p(double upper, double lower, double permutations);

/// Benjamini-Hochberg adjusted p-values (q-values), same order as p.
std::vector<double> bh_adjust(std::span<const double> p);

/// "HH", "LL", "HL", "LH" from z_i and its lag, or "ns" when not significant.
std::string cluster_label(double z, double lag, bool significant);

// ---- ESDA of one variable on one weights matrix, with permutation inference ----

struct EsdaOptions {
  /// Permutations of the permutation inference (global statistics and LISA), in [1, 1e7].
  /// Default 9999.
  std::size_t permutations = 9999;
  /// Level of the LISA cluster labels (at the raw pseudo p and at the FDR q), in (0, 1).
  /// Default 0.05.
  double alpha = 0.05;

  /// Throws revest::Error naming the field that is out of range.
  void validate() const;
  bool operator==(const EsdaOptions&) const = default;
};

/// The statistics of the observed values: what every permutation is compared with.
struct EsdaPoint {
  std::vector<double> x;
  /// Moran's I, Geary's C, Getis-Ord G with their analytical moments.
  std::array<GlobalStatistic, 3> global;
  /// I, C and G by global_values (the permutation loop's arithmetic), compared with the permuted
  /// values; within rounding of global[s].value.
  std::array<double, 3> observed{};
  /// global[s].expected: the permuted values' sums are centred on it.
  std::array<double, 3> expected{};
  LocalMoran local;
};
/// Throws revest::Error on non-finite or constant x, or sizes that do not match W.
EsdaPoint esda_point(std::span<const double> x, const Weights& w, const WeightsMoments& m);

/// Counts of permutations. Per global statistic (Moran, Geary, Getis-Ord): #permuted >= observed,
/// #permuted <= observed, and the sum and sum of squares of (permuted - expected) (NaN when the
/// statistic is not defined); per unit, the LISA counts #>= and #<=.
struct EsdaCounts {
  std::array<std::array<double, 4>, 3> global{};
  std::vector<double> lisa_upper, lisa_lower;
  explicit EsdaCounts(std::size_t units) : lisa_upper(units, 0.0), lisa_lower(units, 0.0) {}
};

/// Scratch space of esda_permutation for a weights matrix.
struct EsdaScratch {
  explicit EsdaScratch(const Weights& w) : lisa(w) {}
  LisaScratch lisa;
  std::vector<double> values;
};

/// One permutation, drawn from `rng` alone (the task function): a random permutation of x
/// (Fisher-Yates with uniform_index) gives the permuted I, C and G, then lisa_permutation_draw
/// the conditional permutation of every unit; both are added to `counts`.
void esda_permutation(const EsdaPoint& point, const Weights& w, const WeightsMoments& m, Rng& rng,
                      EsdaScratch& scratch, EsdaCounts& counts);

/// Permutation inference of one global statistic from its counts over P permutations.
struct PermutationInference {
  double mean = 0, sd = 0;  ///< of the permuted values
  double z = 0;             ///< (value - mean) / sd
  double p = 0;             ///< folded one-sided pseudo p-value
};
PermutationInference permutation_inference(const std::array<double, 4>& counts, double permutations,
                                           double value, double expected);

/// LISA inference per unit from the conditional-permutation counts.
struct LisaInference {
  std::vector<double> p, q;  ///< pseudo p-values; Benjamini-Hochberg q-values over the units
  std::vector<std::string> cluster, cluster_fdr;  ///< cluster_label at p < alpha, at q < alpha
};
LisaInference lisa_inference(const LocalMoran& local, std::span<const double> upper,
                             std::span<const double> lower, double permutations, double alpha);

struct EsdaResult {
  /// kOk (a global statistic that is not defined for the values carries its own status).
  Status status;
  EsdaPoint point;
  std::size_t permutations = 0;
  EsdaCounts counts{0};
  /// Of Moran's I, Geary's C, Getis-Ord G.
  std::array<PermutationInference, 3> permutation;
  LisaInference lisa;
  EsdaOptions options;
  /// One paragraph: Moran's I, Geary's C and Getis-Ord G with their z and pseudo p-values, the
  /// LISA clusters at p and at FDR q < alpha, and the status.
  std::string brief_report() const;
};

/// ESDA of x on W: the statistics and their permutation inference, permutation q drawn from part
/// `part` of key.stream(q) (file comment). Throws revest::Error on bad options or data.
EsdaResult esda(std::span<const double> x, const Weights& w, const EsdaOptions& options,
                const RngKey& key, std::uint32_t part = 0);

}  // namespace revest::spatial
