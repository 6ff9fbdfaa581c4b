#pragma once
/// \file options_serialization.hpp
/// \brief Boost.Serialization of the typed options that cross the ranks: the eight job-options
/// structs of src/analyses, the families' option structs they hold (dea::ThreeStageOptions,
/// index::EntropyTopsisOptions, realopt::ProcessOptions and ProjectDesign, spatial::ModelOptions,
/// LogDetOptions, EsdaOptions, WeightsSpec, Formula, Term) and AnalysisSpec.
///
/// Non-intrusive free functions, here rather than beside the structs: the families are an
/// installed library whose public headers need no Boost, and only the job runner sends options
/// between ranks. Every field of every struct is written; a field added to a struct must be added
/// here too, and to tests/analyses/options_serialization_test.cpp, which sets every field to a
/// value other than its default and compares the round trip with ==. Enums go as their
/// underlying integers.
#include <cstdint>
#include <utility>
#include <variant>

#include <boost/serialization/split_free.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include "analyses/analysis_spec.hpp"
#include "core/error.hpp"

namespace boost::serialization {

// ---- the families' options ----

template <class Ar>
void serialize(Ar& ar, revest::dea::ThreeStageOptions& o, unsigned) {
  ar& o.stages& o.returns& o.orientation& o.sfa_distribution& o.zero_slacks& o.slack_scale& o
      .confidence& o.bandwidth& o.bandwidth_rule& o.efficient_tolerance& o.slack_tolerance& o
      .bootstrap& o.truncated_regression;
}

template <class Ar>
void serialize(Ar& ar, revest::index::EntropyTopsisOptions& o, unsigned) {
  ar& o.weight_scope& o.confidence& o.shift;
}

template <class Ar>
void serialize(Ar& ar, revest::realopt::ProcessOptions& o, unsigned) {
  ar& o.kind& o.mean_reversion_speed& o.long_run_ratio& o.jump_intensity& o.jump_mean& o.jump_sd;
}

template <class Ar>
void serialize(Ar& ar, revest::realopt::ProjectDesign& o, unsigned) {
  ar& o.defer& o.stage& o.expand& o.abandon& o.expand_scale& o.expand_cost& o.abandon_salvage& o
      .pilot_cost& o.pilot_scale& o.scaleup_cost;
}

template <class Ar>
void serialize(Ar& ar, revest::spatial::LogDetOptions& o, unsigned) {
  ar& o.method& o.eigen_max_n& o.chebyshev_order& o.mc_probes& o.mc_terms& o.seed;
}

template <class Ar>
void serialize(Ar& ar, revest::spatial::ModelOptions& o, unsigned) {
  ar& o.information& o.dense_max_n& o.impact_draws& o.confidence& o.trace_order& o.sac_grid& o
      .logdet;
}

template <class Ar>
void serialize(Ar& ar, revest::spatial::EsdaOptions& o, unsigned) {
  ar& o.permutations& o.alpha;
}

template <class Ar>
void serialize(Ar& ar, revest::spatial::WeightsSpec& o, unsigned) {
  ar& o.text& o.type& o.k& o.distance_km& o.power& o.cutoff_km& o.kernel& o.bandwidth_km& o
      .variable& o.base& o.level& o.file& o.weight_column& o.from_column& o.to_column& o
      .row_standardise& o.islands_nearest;
}

template <class Ar>
void serialize(Ar& ar, revest::spatial::Term& o, unsigned) {
  ar& o.label& o.expression& o.variables& o.lag& o.factor;
}

template <class Ar>
void serialize(Ar& ar, revest::spatial::Formula& o, unsigned) {
  ar& o.text& o.y& o.x;
}

template <class Ar>
void serialize(Ar& ar, revest::did::CsOptions& o, unsigned) {
  ar& o.comparison& o.base& o.anticipation& o.balance_e& o.method;
}

template <class Ar>
void serialize(Ar& ar, revest::did::TwfeOptions& o, unsigned) {
  ar& o.leads& o.lags;
}

template <class Ar>
void serialize(Ar& ar, revest::did::WildBootstrapOptions& o, unsigned) {
  ar& o.type& o.weights& o.replications& o.pvalue& o.confidence& o.absorbed;
}

template <class Ar>
void serialize(Ar& ar, revest::threshold::ThresholdOptions& o, unsigned) {
  ar& o.max_thresholds& o.grid& o.trim& o.replications& o.bootstrap& o.confidence& o.refine;
}

// ---- the job analyses' options ----

template <class Ar>
void serialize(Ar& ar, revest::analyses::EntropyIndexOptions& o, unsigned) {
  ar& o.indicators& o.replications& o.method;
}

template <class Ar>
void serialize(Ar& ar, revest::analyses::ThreeStageDeaOptions& o, unsigned) {
  ar& o.inputs& o.outputs& o.environment& o.replications& o.method& o.malmquist& o
      .super_efficiency& o.malmquist_bootstrap;
}

template <class Ar>
void serialize(Ar& ar, revest::analyses::RealOptionsOptions& o, unsigned) {
  ar& o.process& o.project& o.exercise_per_year& o.basis& o.order& o.paths& o.regression_paths& o
      .real_world_paths& o.batches& o.antithetic& o.control_variate& o.upper_bound& o.upper_outer& o
      .upper_inner& o.counterfactual_dig_index;
}

template <class Ar>
void serialize(Ar& ar, revest::analyses::SpatialModelsOptions& o, unsigned) {
  ar& o.weights& o.models& o.formulas& o.cross_section& o.effects& o.bias_correction& o.key& o
      .method;
}

template <class Ar>
void serialize(Ar& ar, revest::analyses::SpatialEsdaOptions& o, unsigned) {
  ar& o.variables& o.weights& o.cross_section& o.permutations_per_task& o.method;
}

template <class Ar>
void serialize(Ar& ar, revest::analyses::PanelThresholdOptions& o, unsigned) {
  ar& o.outcome& o.regime_dependent& o.controls& o.time_effects& o.threshold_variable& o
      .replications_per_task& o.method;
}

template <class Ar>
void serialize(Ar& ar, revest::analyses::DidOptions& o, unsigned) {
  ar& o.outcome& o.timing& o.covariates& o.estimators& o.cs& o.event& o.cluster& o
      .multiplier_replications& o.wild& o.weights& o.confidence& o.replications_per_task;
}

template <class Ar>
void serialize(Ar& ar, revest::factors::TobitOptions& o, unsigned) {
  ar& o.censoring& o.censor_tolerance;
}

template <class Ar>
void serialize(Ar& ar, revest::analyses::EfficiencyFactorsOptions& o, unsigned) {
  ar& o.scores_from& o.stage& o.score_variable& o.environment& o.models& o.tobit& o.cluster& o
      .per_year& o.pooled& o.year_effects& o.l1& o.l2& o.replications_per_task& o.confidence& o
      .efficient_tolerance& o.seed;
  // std::optional (Boost 1.74 serializes boost::optional only): a flag, then the value.
  bool has = o.source.has_value();
  ar& has;
  if constexpr (Ar::is_loading::value) {
    if (has)
      o.source.emplace();
    else
      o.source.reset();
  }
  if (has) ar&* o.source;
}

// ---- AnalysisSpec: the name, the index of the options' kind, the options ----

template <class Ar>
void save(Ar& ar, const revest::analyses::AnalysisSpec& s, unsigned) {
  const std::uint32_t which = static_cast<std::uint32_t>(s.options.index());
  ar << s.name << which;
  std::visit([&](const auto& o) { ar << o; }, s.options);
}

template <class Ar>
void load(Ar& ar, revest::analyses::AnalysisSpec& s, unsigned) {
  using Options = revest::analyses::AnalysisOptions;
  std::uint32_t which = 0;
  ar >> s.name >> which;
  REVEST_REQUIRE(which < std::variant_size_v<Options>,
                 "analysis '" << s.name << "': options of unknown kind " << which << " received");
  // Alternative `which`, default-constructed, then read in place.
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((which == I ? (void)s.options.template emplace<I>() : (void)0), ...);
  }
  (std::make_index_sequence<std::variant_size_v<Options>>{});
  std::visit([&](auto& o) { ar >> o; }, s.options);
}

template <class Ar>
void serialize(Ar& ar, revest::analyses::AnalysisSpec& s, unsigned version) {
  split_free(ar, s, version);
}

}  // namespace boost::serialization
