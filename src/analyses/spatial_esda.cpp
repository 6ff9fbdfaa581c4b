#include "analyses/spatial_esda.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "analyses/table_builder.hpp"
#include "core/error.hpp"

namespace revest::analyses {

SpatialEsdaOptions SpatialEsdaOptions::from(const io::OptionView& v) {
  SpatialEsdaOptions o;
  o.variables = v.get_strings("variables");
  REVEST_REQUIRE(!o.variables.empty(), v.where("variables") << ": give at least one variable");
  o.weights = weights_option(v);
  o.cross_section =
      cross_section_from_string(v.get_choice("cross_section", {"each_year", "last_year", "mean"}));
  const auto p = v.get_int("permutations");
  REVEST_REQUIRE(p >= 1 && p <= 10000000, v.where("permutations") << ": must be in [1, 1e7]");
  o.method.permutations = static_cast<std::size_t>(p);
  const auto pp = v.get_int("permutations_per_task");
  REVEST_REQUIRE(pp >= 1 && pp <= 1000000, v.where("permutations_per_task")
                                               << ": must be in [1, 1e6]");
  o.permutations_per_task = static_cast<std::size_t>(pp);
  o.method.alpha = v.get_double("alpha");
  REVEST_REQUIRE(o.method.alpha > 0 && o.method.alpha < 1, v.where("alpha")
                                                               << ": must be in (0, 1)");
  o.method.validate();
  return o;
}

std::vector<std::string> SpatialEsdaOptions::panel_variables() const {
  return with_weights_variables(variables, weights);
}

SpatialEsdaAnalysis::SpatialEsdaAnalysis(std::string name, const io::Geography& geo,
                                         const io::Panel& panel, SpatialEsdaOptions options,
                                         const WeightsFileTexts& weights_files)
    : name_(std::move(name)),
      geo_(geo),
      opt_(std::move(options)),
      // Spatial weights link every unit of the geography: one missing in a year would change W.
      cs_(make_cross_sections(io::require_balanced(panel, geo, "spatial_esda '" + name_ + "'"),
                              opt_.cross_section)),
      weights_(opt_.weights, geo, panel, std::nullopt, weights_files) {
  for (const auto& w : weights_.w) moments_.emplace_back(*w);
  for (std::size_t w = 0; w < weights_.w.size(); ++w)
    for (std::size_t v = 0; v < opt_.variables.size(); ++v)
      for (std::size_t c = 0; c < cs_.labels.size(); ++c) {
        const std::vector<double> x =
            cross_section_values(panel, opt_.variables[v], cs_.year_index[c], geo);
        const auto [lo, hi] = std::minmax_element(x.begin(), x.end());
        const bool constant = *hi - *lo <= 1e-12 * std::max(std::abs(*lo), std::abs(*hi));
        REVEST_REQUIRE(!constant, "analysis '"
                                      << name_ << "': variable '" << opt_.variables[v]
                                      << "' is constant across counties (up to rounding) in "
                                      << cs_.labels[c]);
        combos_.push_back({w, v, c, spatial::esda_point(x, *weights_.w[w], moments_[w])});
      }
}

std::size_t SpatialEsdaAnalysis::num_tasks() const {
  return (opt_.method.permutations + opt_.permutations_per_task - 1) / opt_.permutations_per_task;
}

std::vector<ReplicationSpec> SpatialEsdaAnalysis::replication_specs() const {
  return {{"global",
           {combos_.size(), 3, 4},
           "per combination (weights x variable x cross-section) and statistic (Moran's I, Geary's "
           "C, Getis-Ord G): permutations >= observed, <= observed, sum and sum of squares of the "
           "permuted values minus the statistic's expected value under randomisation"},
          {"lisa",
           {combos_.size(), geo_.size(), 2},
           "per combination and county: conditional permutations with local Moran >= observed and "
           "<= observed"}};
}

TaskOutcome SpatialEsdaAnalysis::run_task(std::size_t task, Rng& rng,
                                          std::span<const std::span<double>> out) const {
  const std::size_t begin = task * opt_.permutations_per_task;
  const std::size_t end = std::min(opt_.method.permutations, begin + opt_.permutations_per_task);
  const std::size_t n = geo_.size();
  for (std::size_t k = 0; k < combos_.size(); ++k) {
    const Combo& c = combos_[k];
    const spatial::Weights& w = *weights_.w[c.w];
    spatial::EsdaScratch scratch(w);
    spatial::EsdaCounts counts(n);
    // Permutation q of combination k draws from part k of the stream (seed, analysis, q),
    // whatever the task that holds it.
    for (std::size_t q = begin; q < end; ++q) {
      Rng r = rng.for_replication(static_cast<std::uint32_t>(q), static_cast<std::uint32_t>(k));
      spatial::esda_permutation(c.point, w, moments_[c.w], r, scratch, counts);
    }
    for (std::size_t s = 0; s < 3; ++s)
      std::copy(counts.global[s].begin(), counts.global[s].end(), &out[0][k * 12 + s * 4]);
    double* l = &out[1][k * n * 2];
    for (std::size_t i = 0; i < n; ++i) {
      l[2 * i] = counts.lisa_upper[i];
      l[2 * i + 1] = counts.lisa_lower[i];
    }
  }
  return {};
}

std::vector<Table> SpatialEsdaAnalysis::summarize(ReplicationReader& reader) const {
  const std::size_t T = num_tasks(), n = geo_.size(), C = combos_.size();
  // Permutations of the tasks that completed (a failed task's rows are NaN and are left out; the
  // tables report how many permutations were used).
  const auto status = reader.status();
  double P = 0;
  for (std::size_t t = 0; t < T; ++t)
    if (status[t] == TaskStatus::kOk)
      P += static_cast<double>(
          std::min(opt_.method.permutations, (t + 1) * opt_.permutations_per_task) -
          t * opt_.permutations_per_task);
  auto ok = [&](std::size_t t) { return status[t] == TaskStatus::kOk; };
  const auto g = reader.read_columns(0, 0, C * 12);
  TableBuilder glob, lisa;
  const char* stat_names[3] = {"moran_i", "geary_c", "getis_ord_g"};
  for (std::size_t k = 0; k < C; ++k) {
    const Combo& c = combos_[k];
    const spatial::Weights& w = *weights_.w[c.w];
    const spatial::EsdaPoint& pt = c.point;
    for (std::size_t s = 0; s < 3; ++s) {
      std::array<double, 4> sum{};
      for (std::size_t t = 0; t < T; ++t)
        for (std::size_t q = 0; q < 4 && ok(t); ++q) sum[q] += g[t * C * 12 + k * 12 + s * 4 + q];
      const spatial::GlobalStatistic& st = pt.global[s];
      const spatial::PermutationInference pi =
          spatial::permutation_inference(sum, P, st.value, pt.expected[s]);
      glob.s("weights", w.label, "weights spec (a row of the weights table)");
      glob.s("variable", opt_.variables[c.v], "panel variable");
      glob.s("cross_section", cs_.labels[c.c], "the year, or 'mean FIRST-LAST' (county means)");
      glob.s("statistic", stat_names[s], "moran_i, geary_c or getis_ord_g");
      glob.d("value", st.value, "the statistic on the observed values", "1");
      glob.d("expected", st.expected, "its expected value without spatial autocorrelation", "1");
      glob.d("var_normal", st.var_normal,
             "variance under normality (Getis-Ord G: its only variance)", "1");
      glob.d("z_normal", st.z_normal, "(value - expected) / sqrt(var_normal)", "1");
      glob.d("p_normal", st.p_normal, "two-sided", "1");
      glob.d("var_randomisation", st.var_random, "variance under randomisation", "1");
      glob.d("z_randomisation", st.z_random, "(value - expected) / sqrt(var_randomisation)", "1");
      glob.d("p_randomisation", st.p_random, "two-sided", "1");
      glob.i("permutations", static_cast<std::int64_t>(P),
             "permutations used (those of completed tasks)");
      glob.d("permutation_mean", pi.mean, "mean of the statistic over the permutations", "1");
      glob.d("permutation_sd", pi.sd, "standard deviation of the statistic over the permutations",
             "1");
      glob.d("z_permutation", pi.z, "(value - permutation_mean) / permutation_sd", "1");
      glob.d("p_permutation", pi.p, "folded one-sided pseudo p-value (1 + min(#>=, #<=)) / (1 + P)",
             "1");
    }
    // LISA: sum the counts over tasks.
    const auto l = reader.read_columns(1, k * n * 2, (k + 1) * n * 2);
    std::vector<double> upper(n, 0.0), lower(n, 0.0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t t = 0; t < T; ++t) {
        if (!ok(t)) continue;
        upper[i] += l[t * n * 2 + 2 * i];
        lower[i] += l[t * n * 2 + 2 * i + 1];
      }
    const spatial::LisaInference li =
        spatial::lisa_inference(pt.local, upper, lower, P, opt_.method.alpha);
    for (std::size_t i = 0; i < n; ++i) {
      const auto r = static_cast<Eigen::Index>(i);
      lisa.s("weights", w.label, "weights spec (a row of the weights table)");
      lisa.s("variable", opt_.variables[c.v], "panel variable");
      lisa.s("cross_section", cs_.labels[c.c], "the year, or 'mean FIRST-LAST' (county means)");
      lisa.i("adcode", geo_.counties[i].adcode_ref, "2022 county code");
      lisa.s("county", geo_.counties[i].name_ref, "2022 official county name");
      lisa.s("province", geo_.counties[i].province_en, "province (English)");
      lisa.d("value", pt.x[i], "the variable's value (units of the variable: /data/indicators)");
      lisa.d("z", pt.local.z[r], "deviation from the mean");
      lisa.d("spatial_lag", pt.local.lag[r], "sum_j w_ij z_j");
      lisa.d("local_moran", pt.local.I[r],
             "local Moran I_i = z_i spatial_lag_i / (sum_j z_j^2 / n)", "1");
      lisa.d("p_permutation", li.p[i], "conditional permutation, folded one-sided pseudo p-value",
             "1");
      lisa.d("q_fdr", li.q[i], "Benjamini-Hochberg adjusted over the counties of this combination",
             "1");
      lisa.s("cluster", li.cluster[i], "HH / LL / HL / LH at p < alpha, else ns");
      lisa.s("cluster_fdr", li.cluster_fdr[i], "the same at FDR q < alpha");
    }
  }
  std::vector<Table> out;
  out.push_back(glob.table("global",
                           "global Moran's I, Geary's C and Getis-Ord G (analytical moments under "
                           "normality and randomisation, and permutation inference)"));
  out.push_back(lisa.table("lisa",
                           "local Moran per county with conditional-permutation pseudo p-values, "
                           "FDR and cluster labels"));
  out.push_back(weights_.summary_table());
  out.push_back(weights_.matrices_table());
  return out;
}

}  // namespace revest::analyses
