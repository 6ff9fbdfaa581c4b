#pragma once
/// \file real_options.hpp
/// \brief Analysis `real_options`: LSM valuation of digital investment in every county x
/// industry mode (primary, secondary, tertiary), mode matching, and the value of digital
/// empowerment.
///
/// **Projects** come from projects.csv (io/projects.hpp): V0, investment cost I, sigma, real-world
/// drift mu, required return, payout yield delta = required_return - mu, r and the horizon, with
/// the semi-elasticities through which the county's digital index d lowers the cost, raises the
/// drift and lowers the volatility (data/README.md, section 8). Each project carries the embedded
/// options listed in `options`, valued jointly (lsm.hpp):
///   - "defer":   invest on any exercise date up to the horizon (else only at t = 0);
///   - "stage":   invest in two steps, a pilot (cost pilot_cost I, owning pilot_scale V) and a
///                scale-up (cost scaleup_cost I, to the full project), both deferrable;
///   - "expand":  after investing, scale the project by expand_scale at cost expand_cost I;
///   - "abandon": after investing, sell for abandon_salvage I per unit of the project owned.
///
/// **Tasks.** Task t values county t % N in batch t / N (batch-major, so that the contiguous blocks
/// of tasks the runtime gives each rank mix counties of every cost): every mode, at the county's
/// digital index and at the counterfactual index `counterfactual_dig_index`, with
/// paths / batches pricing paths and regression_paths / batches regression paths (an
/// independent exercise rule per batch). The six valuations of a task use common random numbers
/// (copies of the task's stream), so mode differences and the value of digital empowerment are
/// estimated with less noise than the values themselves.
///
/// **Summary.** Per county x mode (`valuation`): static NPV V0 - I, option-adjusted value (mean
/// over batches) with its standard error (between batches: it includes the rule's estimation
/// error), option premium, the value without digital empowerment and the difference, the
/// probability and mean time of investing under the real-world measure, the dual upper bound if
/// asked. Per county (`matching`): the best mode (highest mean value), the share of batches in
/// which each mode is best, and the best mode without digital empowerment. `boundary`: the
/// investment threshold V*(t) per county, mode and exercise date (mean over batches).
#include <span>
#include <string>
#include <vector>

#include "core/analysis.hpp"
#include "io/geography.hpp"
#include "io/job.hpp"
#include "io/projects.hpp"
#include "realopt/lsm.hpp"

namespace revest::realopt {

struct RealOptionsOptions {
  std::string process = "gbm";
  double mean_reversion_speed = 0.3, long_run_ratio = 1.0;
  double jump_intensity = 0.2, jump_mean = -0.1, jump_sd = 0.2;
  std::vector<std::string> options = {"defer", "stage", "expand", "abandon"};
  double expand_scale = 1.3, expand_cost = 0.35, abandon_salvage = 0.5;
  double pilot_cost = 0.15, pilot_scale = 0.1, scaleup_cost = 0.9;
  int exercise_per_year = 4;
  std::string basis = "log_monomial";
  int order = 8;
  std::size_t paths = 100000, regression_paths = 100000, real_world_paths = 20000;
  std::size_t batches = 10;
  bool antithetic = true, control_variate = true;
  bool upper_bound = false;
  std::size_t upper_outer = 500, upper_inner = 200;
  double counterfactual_dig_index = 0.0;
  static RealOptionsOptions from(const io::OptionView& view);
  bool has(const std::string& option) const;
};

/// The project of one county x mode under `o` (cost I, horizon H).
Project make_project(const RealOptionsOptions& o, double investment, double horizon);
/// Its process (risk-neutral drift r - delta; real-world premium mu - (r - delta)).
Process make_process(const RealOptionsOptions& o, const io::ProjectParams& p);

class RealOptionsAnalysis : public Analysis {
 public:
  RealOptionsAnalysis(std::string name, const io::Geography& geo, const io::Projects& projects,
                      RealOptionsOptions options);
  std::string kind() const override { return "real_options"; }
  std::string name() const override { return name_; }
  std::size_t num_tasks() const override { return N_ * options_.batches; }
  std::vector<ReplicationSpec> replication_specs() const override;
  TaskOutcome run_task(std::size_t task, Rng& rng,
                       std::span<const std::span<double>> out) const override;
  std::vector<Table> summarize(ReplicationReader& reader) const override;

  /// Fields of each valuation in the `values` row.
  enum Field { kValue, kSe, kValuePlain, kSePlain, kEuropean, kProbability, kTime, kUpper, kUpperSe, kFields };
  static constexpr std::size_t kScenarios = 2;  ///< 0: the county's digital index; 1: counterfactual

  /// The LSM settings of one batch's valuation of a project with this horizon (paths per batch).
  LsmOptions lsm_options(double horizon) const;

 private:
  std::string name_;
  RealOptionsOptions options_;
  std::size_t N_ = 0;
  std::size_t dates_ = 0;  ///< largest number of exercise dates over the projects
  std::vector<std::int64_t> adcode_;
  std::vector<std::string> county_name_;
  io::Projects projects_;
};

}  // namespace revest::realopt
