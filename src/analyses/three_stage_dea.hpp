#pragma once
/// \file three_stage_dea.hpp
/// \brief The job analysis `three_stage_dea`: three-stage DEA (dea/three_stage.hpp) of every
/// year of the panel, its bootstrap as runtime tasks, and the archive's tables.
///
/// An adapter: the job's options (TOML) become dea::ThreeStageOptions; the panel's variables for
/// each year become the matrices x, y, z of the units observed that year (an unbalanced panel,
/// [data] unbalanced = "allow": each year's DEA, stage 2 and bootstrap use that year's units;
/// the Malmquist index of two years the units observed in both; missing unit-years have no rows
/// in the tables and NaN replications); task r runs dea::three_stage_replication for every year
/// in turn, all drawing from the task's one stream; summarize() turns the stored replications into
/// the tables `efficiency`, `slacks`, `stage2_coefficients`, `stage2_fits`, `bandwidths` and
/// `truncated_regression`.
///
/// \test tests/analyses/three_stage_dea_test.cpp
#include <cstdint>
#include <string>
#include <vector>

#include "core/analysis.hpp"
#include "dea/malmquist.hpp"
#include "dea/three_stage.hpp"
#include "io/geography.hpp"
#include "io/indicators.hpp"
#include "io/job.hpp"
#include "io/panel.hpp"

namespace revest::analyses {

struct ThreeStageDeaOptions {
  /// DEA inputs; empty (default) = every indicator with use "dea_input".
  std::vector<std::string> inputs;
  /// DEA outputs; empty (default) = every indicator with use "dea_output".
  std::vector<std::string> outputs;
  /// Environment of stage 2; empty (default) = every indicator with use "environment".
  std::vector<std::string> environment;
  /// Bootstrap replications (tasks). Default 2000.
  std::size_t replications = 2000;
  /// The method's options (defaults in dea::ThreeStageOptions and config/defaults.toml).
  dea::ThreeStageOptions method;
  /// The Malmquist index of each county between consecutive years (dea/malmquist.hpp) on the
  /// observed data, table `malmquist`. Needs two years or more. Default false.
  bool malmquist = false;
  /// With malmquist: the Simar-Wilson (1999) bootstrap of tfpch, effch and techch
  /// (dea::malmquist_replication), one replication per task beside the DEA's, with bias-corrected
  /// values and intervals in table `malmquist`. Default true.
  bool malmquist_bootstrap = true;
  /// Andersen-Petersen super-efficiency of the stage-1 scores (the main model without the unit
  /// itself in the reference set; efficient units score above 1, an infeasible LP is NaN with its
  /// status): columns stage1_super and stage1_super_status. Point estimates. Default false.
  bool super_efficiency = false;

  /// From a job's [[analysis]] table; errors name the file, line and option.
  static ThreeStageDeaOptions from(const io::OptionView& view);
  bool operator==(const ThreeStageDeaOptions&) const = default;
  /// Resolved variable lists ("inputs", "outputs", "environment"; defaults from the indicator
  /// system).
  std::vector<std::string> resolved(const std::string& which, const io::IndicatorSystem& s) const;
};

/// Point estimates of one year, on the units observed that year (all of them in a balanced panel).
struct ThreeStageYear {
  int year = 0;
  /// The units (geography order) whose rows r holds, ascending; row[i]: unit i's row in r, or -1
  /// when the panel has no row of unit i in this year.
  std::vector<std::size_t> units;
  std::vector<std::ptrdiff_t> row;
  dea::ThreeStageResult r;
};

/// The Malmquist index between two consecutive years, on the units observed in both.
struct ThreeStageMalmquist {
  std::vector<std::size_t> units;   ///< geography order, ascending
  std::vector<std::ptrdiff_t> row;  ///< unit i's position in r, or -1
  Eigen::MatrixXd x0, y0, x1, y1;   ///< their observed inputs and outputs in the two years
  dea::MalmquistResult r;
};

class ThreeStageDeaAnalysis : public Analysis {
 public:
  ThreeStageDeaAnalysis(std::string name, const io::Geography& geo, const io::Panel& panel,
                        const io::IndicatorSystem& indicators, ThreeStageDeaOptions options);
  std::string kind() const override { return "three_stage_dea"; }
  std::string name() const override { return name_; }
  std::size_t num_tasks() const override { return options_.replications; }
  std::vector<ReplicationSpec> replication_specs() const override;
  TaskOutcome run_task(std::size_t task, Rng& rng,
                       std::span<const std::span<double>> out) const override;
  std::vector<Table> summarize(ReplicationReader& reader) const override;

  const std::vector<ThreeStageYear>& years() const { return years_; }
  const ThreeStageDeaOptions& options() const { return options_; }
  std::size_t num_counties() const { return N_; }
  const std::vector<std::string>& inputs() const { return inputs_; }
  const std::vector<std::string>& environment() const { return env_; }

 private:
  std::size_t num_stages() const;  ///< stages bootstrapped: 2 (stages 1 and 3) or 1
  bool with_truncreg() const;      ///< SW2007 runs: the option, and environment variables given
  bool with_malmquist_bootstrap() const {
    return options_.malmquist && options_.malmquist_bootstrap;
  }
  /// The index between consecutive years of the observed data (element t - 1: years t - 1, t).
  std::vector<ThreeStageMalmquist> compute_malmquist() const;
  std::string name_;
  ThreeStageDeaOptions options_;
  std::vector<std::string> inputs_, outputs_, env_;
  std::size_t N_ = 0, T_ = 0;
  std::vector<std::int64_t> adcode_;
  std::vector<std::string> county_name_, province_;
  std::vector<ThreeStageYear> years_;
  /// compute_malmquist(), computed at start-up when the bootstrap's tasks need it (their draws
  /// start from the own-period scores); else empty and the summary computes it.
  std::vector<ThreeStageMalmquist> malmquist_;
};

}  // namespace revest::analyses
