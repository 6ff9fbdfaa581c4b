#pragma once
/// \file real_options.hpp
/// \brief The job analysis `real_options`: LSM valuation of digital investment in every county x
/// industry mode (primary, secondary, tertiary), mode matching, and the value of digital
/// empowerment.
///
/// An adapter: the job's options (TOML) become realopt::ProcessOptions, realopt::ProjectDesign and
/// per-batch realopt::LsmOptions; each county x mode row of projects.csv (io/projects.hpp) becomes
/// a realopt::Process and realopt::Project; task t runs realopt::value_lsm for every mode and
/// scenario; summarize() turns the stored valuations into the tables `valuation`, `matching`
/// (realopt::match_modes) and `boundary`.
///
/// **Projects** come from projects.csv (io/projects.hpp): V0, investment cost I, sigma, real-world
/// drift mu, required return, payout yield delta = required_return - mu, r and the horizon, with
/// the semi-elasticities through which the county's digital index d lowers the cost, raises the
/// drift and lowers the volatility (data/README.md, section 8). Each project carries the embedded
/// options listed in `options`, valued jointly (realopt/investment.hpp, realopt/lsm.hpp):
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
/// estimated with less noise than the values themselves. Each is
/// realopt::value(project, process, lsm_options(horizon), RngKey(seed, name), t).
///
/// **Summary.** Per county x mode (`valuation`): static NPV V0 - I, option-adjusted value (mean
/// over batches) with its standard error (between batches: it includes the rule's estimation
/// error), option premium, the value without digital empowerment and the difference, the
/// probability and mean time of investing under the real-world measure, the dual upper bound if
/// asked. Per county (`matching`): the best mode (highest mean value), the share of batches in
/// which each mode is best, and the best mode without digital empowerment. `boundary`: the
/// investment threshold V*(t) per county, mode and exercise date (mean over batches).
///
/// \test tests/analyses/real_options_test.cpp
#include <span>
#include <string>
#include <vector>

#include "core/analysis.hpp"
#include "io/geography.hpp"
#include "io/job.hpp"
#include "io/projects.hpp"
#include "realopt/investment.hpp"
#include "realopt/lsm.hpp"

namespace revest::analyses {

struct RealOptionsOptions {
  /// The process of V. Defaults in realopt::ProcessOptions (GBM).
  realopt::ProcessOptions process;
  /// The embedded options (default: all four) and their terms (realopt::ProjectDesign).
  realopt::ProjectDesign project;
  /// Exercise (decision) dates per year, in [1, 1000]; the horizon comes from projects.csv.
  /// Default 4.
  int exercise_per_year = 4;
  /// Regression basis. Default kLogMonomial (chosen against lattice values, config/defaults.toml).
  realopt::Basis basis = realopt::Basis::kLogMonomial;
  /// Number of non-constant basis functions, in [1, 16]. Default 8.
  int order = 8;
  /// Pricing, regression and real-world paths over all batches (each batch gets its share,
  /// rounded up to an even number); paths and regression_paths >= 2 x batches. Defaults 100,000,
  /// 100,000 and 20,000 (0: no real-world figures).
  std::size_t paths = 100000, regression_paths = 100000, real_world_paths = 20000;
  /// Batches: independent exercise rules per county, in [1, 100000]. Default 10.
  std::size_t batches = 10;
  /// Antithetic variates and the control variate (realopt::LsmOptions). Defaults true.
  bool antithetic = true, control_variate = true;
  /// The dual upper bound, with its outer paths over all batches and inner paths (>= 2 each).
  /// Defaults false, 500, 200.
  bool upper_bound = false;
  std::size_t upper_outer = 500, upper_inner = 200;
  /// The digital index of the counterfactual scenario, in [0, 1). Default 0.
  double counterfactual_dig_index = 0.0;

  /// From a job's [[analysis]] table; errors name the file, line and option.
  static RealOptionsOptions from(const io::OptionView& view);
  bool operator==(const RealOptionsOptions&) const = default;
};

/// The process of one county x mode of projects.csv (risk-neutral drift r - delta; real-world
/// premium mu - (r - delta)).
realopt::Process process_of(const RealOptionsOptions& o, const io::ProjectParams& p);

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
  enum Field {
    kValue,
    kSe,
    kValuePlain,
    kSePlain,
    kEuropean,
    kProbability,
    kTime,
    kUpper,
    kUpperSe,
    kFields
  };
  static constexpr std::size_t kScenarios =
      2;  ///< 0: the county's digital index; 1: counterfactual

  /// The LSM settings of one batch's valuation of a project with this horizon (paths per batch).
  realopt::LsmOptions lsm_options(double horizon) const;
  const RealOptionsOptions& options() const { return options_; }

 private:
  std::string name_;
  RealOptionsOptions options_;
  std::size_t N_ = 0;
  std::size_t dates_ = 0;  ///< largest number of exercise dates over the projects
  std::vector<std::int64_t> adcode_;
  std::vector<std::string> county_name_;
  io::Projects projects_;
};

}  // namespace revest::analyses
