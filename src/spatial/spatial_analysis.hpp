#pragma once
/// \file spatial_analysis.hpp
/// \brief The job-level spatial analyses: `spatial_models` (a robustness grid of weights x models x
/// formulas x cross-sections, one runtime task per specification) and `spatial_esda` (global and
/// local spatial autocorrelation with permutation inference, permutations split into tasks).
///
/// Formulas are written "y ~ x1 + x2 + log(x3)" over panel variables; `log(v)` needs v > 0.
/// A cross-section is one year of the job's panel ("each_year", "last_year") or the county means
/// over the job's years ("mean"); "panel" fits spatial panel models with fixed effects over all
/// the job's years (models.hpp, fit_panel_model). Options and their defaults: config/defaults.toml,
/// [analysis.spatial_models] and [analysis.spatial_esda].
///
/// \test tests/spatial/spatial_analysis_test.cpp (option errors, task layout, summaries against
/// direct calls); tests/driver (rank invariance and resume of jobs/smoke.toml, which has both).
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "core/analysis.hpp"
#include "io/geography.hpp"
#include "io/indicators.hpp"
#include "io/job.hpp"
#include "io/panel.hpp"
#include "spatial/esda.hpp"
#include "spatial/logdet.hpp"
#include "spatial/models.hpp"
#include "spatial/weights.hpp"

namespace revest::spatial {

/// A parsed formula: dependent variable and regressors, each a panel variable with an optional
/// log transform.
struct Term {
  std::string variable;
  bool log = false;
  std::string label() const { return log ? "log(" + variable + ")" : variable; }
};
struct Formula {
  std::string text;
  Term y;
  std::vector<Term> x;
};
/// Parses "y ~ x1 + log(x2)"; throws revest::Error naming `where`.
Formula parse_formula(const std::string& text, const std::string& where);

struct SpatialModelsOptions {
  std::vector<std::string> weights;   ///< weights specs (weights.hpp)
  std::vector<std::string> models;    ///< ols, slx, sar, sem, sdm, sdem, sac
  std::vector<std::string> formulas;  ///< "y ~ x1 + ..."
  std::string cross_section = "each_year";  ///< each_year, last_year, mean, panel
  std::string effects = "twoway";           ///< panel: none, unit, time, twoway
  bool bias_correction = true;              ///< panel: Lee-Yu (2010)
  std::string key;  ///< the key regressor of the robustness summary (default: first regressor)
  std::string logdet = "auto";
  std::string information = "auto";
  int impact_draws = 1000;
  double confidence = 0.95;
  static SpatialModelsOptions from(const io::OptionView& view);
  /// Panel variables the analysis reads (formulas and economic weights).
  std::vector<std::string> variables() const;
};

struct SpatialEsdaOptions {
  std::vector<std::string> variables;
  std::vector<std::string> weights;
  std::string cross_section = "each_year";
  std::size_t permutations = 9999;
  std::size_t permutations_per_task = 100;
  double alpha = 0.05;
  static SpatialEsdaOptions from(const io::OptionView& view);
};

/// Cross-sections of a panel variable: one vector of county values per cross-section.
struct CrossSections {
  std::vector<std::string> labels;  ///< "2022" or "mean 2011-2022"
  std::vector<int> year_index;      ///< -1 for the mean
};
CrossSections make_cross_sections(const io::Panel& panel, const std::string& kind);
std::vector<double> cross_section_values(const io::Panel& panel, const Term& term, int year_index,
                                         const io::Geography& geo);

/// The weights of a job (built once per rank) with their log-determinants.
struct WeightsSet {
  std::vector<std::unique_ptr<Weights>> w;
  std::vector<std::unique_ptr<LogDet>> ld;
  WeightsSet(const std::vector<std::string>& specs, const std::string& where,
             const io::Geography& geo, const io::Panel& panel, LogDetOptions ldo);
  /// One row per matrix: its WeightsSummary and (with_logdet) the log-determinant method and rho
  /// interval.
  Table summary_table(bool with_logdet = true) const;
};

class SpatialModelsAnalysis : public Analysis {
 public:
  SpatialModelsAnalysis(std::string name, const io::Geography& geo, const io::Panel& panel,
                        SpatialModelsOptions options, std::uint64_t seed);
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
  SpatialFit fit(std::size_t task, Rng* rng) const;

 private:
  std::string name_;
  const io::Geography& geo_;
  const io::Panel& panel_;
  SpatialModelsOptions opt_;
  std::vector<Model> models_;
  std::vector<Formula> formulas_;
  CrossSections cs_;
  WeightsSet weights_;
  std::size_t kx_ = 0;  // most regressors of any formula
};

class SpatialEsdaAnalysis : public Analysis {
 public:
  SpatialEsdaAnalysis(std::string name, const io::Geography& geo, const io::Panel& panel,
                      SpatialEsdaOptions options, std::uint64_t seed);
  std::string kind() const override { return "spatial_esda"; }
  std::string name() const override { return name_; }
  std::size_t num_tasks() const override;
  std::vector<ReplicationSpec> replication_specs() const override;
  TaskOutcome run_task(std::size_t task, Rng& rng,
                       std::span<const std::span<double>> out) const override;
  std::vector<Table> summarize(ReplicationReader& reader) const override;

 private:
  struct Combo {
    std::size_t w, v, c;
    std::vector<double> x;
    LocalMoran local;
    /// Moran's I, Geary's C, Getis-Ord G: observed, and expected under randomisation.
    std::array<double, 3> observed, expected;
  };
  std::string name_;
  const io::Geography& geo_;
  SpatialEsdaOptions opt_;
  CrossSections cs_;
  WeightsSet weights_;
  std::vector<Combo> combos_;
  std::vector<WeightsMoments> moments_;
};

}  // namespace revest::spatial
