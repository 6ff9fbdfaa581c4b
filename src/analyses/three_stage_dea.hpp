#pragma once
/// \file three_stage_dea.hpp
/// \brief The job analysis `three_stage_dea`: three-stage DEA (dea/three_stage.hpp) of every
/// year of the panel, its bootstrap as runtime tasks, and the archive's tables.
///
/// An adapter: the job's options (TOML) become dea::ThreeStageOptions; the panel's variables for
/// each year become the matrices x, y, z; task r runs dea::three_stage_replication for every year
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

/// Point estimates of one year.
struct ThreeStageYear {
  int year = 0;
  dea::ThreeStageResult r;
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
  std::string name_;
  ThreeStageDeaOptions options_;
  std::vector<std::string> inputs_, outputs_, env_;
  std::size_t N_ = 0, T_ = 0;
  std::vector<std::int64_t> adcode_;
  std::vector<std::string> county_name_, province_;
  std::vector<ThreeStageYear> years_;
};

}  // namespace revest::analyses
