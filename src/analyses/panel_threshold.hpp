#pragma once
/// \file panel_threshold.hpp
/// \brief The job analysis `panel_threshold`: Hansen's (1999) fixed-effects panel threshold
/// regression of a panel outcome (threshold/panel_threshold.hpp), its bootstrap replications
/// split into runtime tasks, and the archive's tables.
///
/// An adapter: the job's options (TOML) become PanelThresholdOptions (threshold::
/// ThresholdOptions); the panel's outcome, regime-dependent regressors, controls and threshold
/// variable become a threshold::ThresholdData, one row per observed unit-year (an unbalanced
/// panel simply has fewer rows for some units: the within transformation uses each unit's own
/// years). The models with 0 .. K thresholds are estimated in the constructor on every rank (a
/// grid search costs about one regression); task t holds bootstrap replications [t P, (t + 1) P),
/// and replication b of the test of m thresholds is threshold::ThresholdProblem::bootstrap_F
/// drawing from part m of the stream (seed, analysis, b), as the library's panel_threshold does
/// with the job's key: the archive is the same for any number of ranks, and the library
/// reproduces it.
///
/// Tables: `tests` (F, bootstrap p-value and critical values per number of thresholds),
/// `thresholds` (estimates and likelihood-ratio intervals), `slopes` (per model and regime,
/// homoskedastic and cluster-robust standard errors), `regimes` (bounds and observations),
/// `lr_curve` (the LR statistic over the grid for each new threshold, for plots). Options and
/// defaults: config/defaults.toml, [analysis.panel_threshold].
///
/// \test tests/analyses/panel_threshold_test.cpp (options, summaries against the library with the
/// job's key, the task split, truth recovery on the bundled panel); tests/driver (rank invariance
/// of jobs/smoke.toml, which has it).
#include <string>
#include <vector>

#include "core/analysis.hpp"
#include "io/geography.hpp"
#include "io/job.hpp"
#include "io/panel.hpp"
#include "threshold/panel_threshold.hpp"

namespace revest::analyses {

struct PanelThresholdOptions {
  /// Panel outcome. Required (defaults.toml: industry_va).
  std::string outcome;
  /// Regime-dependent regressors (their slopes change at the thresholds). Required.
  std::vector<std::string> regime_dependent;
  /// Regime-independent controls. Default none.
  std::vector<std::string> controls;
  /// Year effects (a dummy per year but the first among the controls: two-way fixed effects).
  /// Default true.
  bool time_effects = true;
  /// The threshold variable. Required (defaults.toml: dig_index).
  std::string threshold_variable;
  /// Replications per runtime task, in [1, 1e6]. Default 50.
  std::size_t replications_per_task = 50;
  /// The method's options (max_thresholds, grid, trim, replications, bootstrap, confidence,
  /// refine).
  threshold::ThresholdOptions method;

  static PanelThresholdOptions from(const io::OptionView& view);
  bool operator==(const PanelThresholdOptions&) const = default;
  std::vector<std::string> panel_variables() const;
};

/// The rows of the analysis: one per observed unit-year with every variable finite (a unit-year
/// with a missing value is an error naming the unit, the year and the variable).
threshold::ThresholdData threshold_data(const io::Panel& panel, const io::Geography& geo,
                                        const PanelThresholdOptions& options,
                                        const std::string& who);

class PanelThresholdAnalysis : public Analysis {
 public:
  PanelThresholdAnalysis(std::string name, const io::Geography& geo, const io::Panel& panel,
                         PanelThresholdOptions options);
  std::string kind() const override { return "panel_threshold"; }
  std::string name() const override { return name_; }
  std::size_t num_tasks() const override;
  std::vector<ReplicationSpec> replication_specs() const override;
  TaskOutcome run_task(std::size_t task, Rng& rng,
                       std::span<const std::span<double>> out) const override;
  std::vector<Table> summarize(ReplicationReader& reader) const override;

  const threshold::ThresholdProblem& problem() const { return problem_; }

 private:
  std::string name_;
  PanelThresholdOptions opt_;
  threshold::ThresholdProblem problem_;
  std::vector<threshold::ThresholdModel> models_;  // m = 0 .. K
  std::vector<double> F_;                          // m = 1 .. K
  std::vector<Eigen::VectorXd> fitted_, resid_;    // the m - 1 threshold model, m = 1 .. K
};

}  // namespace revest::analyses
