#pragma once
/// \file spatial_models.hpp
/// \brief The job analysis `spatial_models`: a robustness grid of weights x models x formulas x
/// cross-sections of the panel, one runtime task per specification, and the archive's tables.
///
/// An adapter: the job's options (TOML) become SpatialModelsOptions (typed: spatial::WeightsSpec,
/// spatial::Model, spatial::Formula, spatial::ModelOptions); the panel's variables of each
/// cross-section become y and X (spatial_inputs.hpp); task t fits its specification with
/// spatial::fit_model (cross-sections) or spatial::fit_panel_model ("panel") on the weights' shared
/// log-determinant, its impacts drawn from the task's stream; summarize() turns the stored rows
/// into the tables `specifications`, `coefficients`, `impacts`, `robustness` and `weights`.
///
/// Formulas are written "y ~ x1 + x2 + log(x3)" over panel variables (spatial/formula.hpp). A
/// cross-section is one year of the job's panel ("each_year", "last_year") or the county means
/// over the job's years ("mean"); "panel" fits spatial panel models with fixed effects over all
/// the job's years. Options and their defaults: config/defaults.toml, [analysis.spatial_models].
///
/// \test tests/analyses/spatial_models_test.cpp (option errors, task layout, summaries against
/// direct calls); tests/driver (rank invariance and resume of jobs/smoke.toml, which has it).
#include <cstdint>
#include <string>
#include <vector>

#include "analyses/spatial_inputs.hpp"
#include "core/analysis.hpp"
#include "io/geography.hpp"
#include "io/job.hpp"
#include "io/panel.hpp"
#include "spatial/formula.hpp"
#include "spatial/models.hpp"
#include "spatial/weights.hpp"

namespace revest::analyses {

struct SpatialModelsOptions {
  /// Weights specs (spatial/weights.hpp), parsed; their text is their label. Required.
  std::vector<spatial::WeightsSpec> weights;
  /// Models, in the job's order. Required.
  std::vector<spatial::Model> models;
  /// Formulas, parsed; their text is their label. Required.
  std::vector<spatial::Formula> formulas;
  /// Default kEachYear.
  CrossSection cross_section = CrossSection::kEachYear;
  /// Panel (cross_section kPanel): fixed effects. Default kTwoWay.
  spatial::Effects effects = spatial::Effects::kTwoWay;
  /// Panel: the Lee-Yu (2010) correction. Default true.
  bool bias_correction = true;
  /// The key regressor of the robustness summary; empty (default) = each formula's first.
  std::string key;
  /// The method's options (information, impact_draws, confidence and logdet.method from the job;
  /// the rest at their defaults, spatial/models.hpp).
  spatial::ModelOptions method;

  /// From a job's [[analysis]] table; errors name the file, line and option.
  static SpatialModelsOptions from(const io::OptionView& view);
  bool operator==(const SpatialModelsOptions&) const = default;
  /// Panel variables the analysis reads (the formulas' and the economic weights'), in order of
  /// first use.
  std::vector<std::string> panel_variables() const;
};

class SpatialModelsAnalysis : public Analysis {
 public:
  SpatialModelsAnalysis(std::string name, const io::Geography& geo, const io::Panel& panel,
                        SpatialModelsOptions options, const WeightsFileTexts& weights_files = {});
  std::string kind() const override { return "spatial_models"; }
  std::string name() const override { return name_; }
  std::size_t num_tasks() const override;
  std::vector<ReplicationSpec> replication_specs() const override;
  TaskOutcome run_task(std::size_t task, Rng& rng,
                       std::span<const std::span<double>> out) const override;
  std::vector<Table> summarize(ReplicationReader& reader) const override;

  /// Specification of task t: indices of weights, model, formula, cross-section.
  struct Spec {
    std::size_t w, m, f, c;
  };
  Spec spec(std::size_t task) const;
  /// Fits specification `task` directly (what run_task stores).
  spatial::FitResult fit(std::size_t task, Rng* rng) const;

 private:
  std::string name_;
  const io::Geography& geo_;
  const io::Panel& panel_;
  SpatialModelsOptions opt_;
  CrossSections cs_;
  WeightsSet weights_;
  /// The design of every formula (index f) and cross-section (index c): y and the regressor
  /// columns (factors expanded), computed once from the panel.
  struct Design {
    std::vector<double> y;
    std::vector<std::vector<double>> x;
  };
  std::vector<std::vector<Design>> designs_;
  std::vector<std::vector<std::string>> columns_;  ///< regressor labels of each formula
  std::size_t kx_ = 0;                             // most regressor columns of any formula
};

}  // namespace revest::analyses
