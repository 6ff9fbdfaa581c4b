#pragma once
/// \file did.hpp
/// \brief The job analysis `did`: staggered difference-in-differences of a panel outcome on a
/// treatment-timing column (src/did), every estimator side by side, the multiplier and wild
/// bootstrap draws split into runtime tasks, and the archive's tables.
///
/// An adapter: the job's options (TOML) become DidOptions (did::CsOptions, did::TwfeOptions,
/// did::WildBootstrapOptions, spatial::WeightsSpec for the spillovers); the panel's outcome,
/// timing and covariates become a did::StaggeredPanel (rows: the geography's units; NaN where a
/// unit-year is missing); the clustering level becomes a cluster id per unit (county: each its
/// own; prefecture or province of the geography).
///
/// The estimates are computed once, in the constructor, on every rank (they cost milliseconds on
/// the 512 counties): TWFE, the TWFE event study, the Goodman-Bacon decomposition, Callaway-
/// Sant'Anna, Sun-Abraham, and, per weights spec, the TWFE spillover regression and the two-stage
/// spillover estimator (plus the two-stage estimator without spillovers). The replications are
/// the tasks: task t holds bootstrap replications [t P, (t + 1) P) (P = replications_per_task).
/// Replication b of the multiplier bootstrap draws one Mammen weight per cluster from part 1 of
/// the stream (seed, analysis, b) for the influence functions of every CS and two-stage estimate
/// (did::multiplier_draws); replication b of the wild cluster bootstrap is draw b of
/// did::wild_draw (enumerated when every distinct draw fits, else from part 2 of stream b), shared
/// by every tested coefficient, and stores the five per-draw sums that give t*(r) for any null r
/// (did::WildProblem::DrawSums), so that summarize() computes p-values and test-inversion
/// intervals from the stacked sums. The archive is therefore the same for any number of ranks.
///
/// Tables: `att_gt` (CS and two-stage ATT(g, t) with analytic and bootstrap standard errors and
/// simultaneous bands), `aggregations` (simple, group, dynamic, calendar and overall effects),
/// `event_study` (TWFE, Sun-Abraham, CS and two-stage event-time effects side by side),
/// `coefficients` (TWFE and spillover regression coefficients with CRV1 and wild bootstrap
/// inference), `bacon`, `spillovers`, `pretest`, `overall` (one row per estimator: the headline
/// comparison) and the weights tables. Options and defaults: config/defaults.toml,
/// [analysis.did].
///
/// \test tests/analyses/did_test.cpp (option errors, panel errors naming the unit, task layout,
/// summaries against direct library calls, the task split changes nothing); tests/driver (rank
/// invariance and resume of jobs/smoke.toml, which has it).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyses/spatial_inputs.hpp"
#include "core/analysis.hpp"
#include "did/bacon.hpp"
#include "did/callaway_santanna.hpp"
#include "did/twfe.hpp"
#include "did/two_stage.hpp"
#include "did/wild_bootstrap.hpp"
#include "io/geography.hpp"
#include "io/job.hpp"
#include "io/panel.hpp"

namespace revest::analyses {

/// The estimators a job can ask for.
enum class DidEstimator {
  kTwfe,
  kEventStudy,
  kBacon,
  kCallawaySantAnna,
  kSunAbraham,
  kTwoStage,
  kSpillover
};
const char* to_string(DidEstimator e);  ///< "twfe", "event_study", "bacon", "cs", "sun_abraham",
                                        ///< "two_stage", "spillover"
DidEstimator did_estimator_from_string(const std::string& s);  ///< throws revest::Error
/// Clustering level of the standard errors and bootstraps.
enum class ClusterLevel { kCounty, kPrefecture, kProvince };
const char* to_string(ClusterLevel c);  ///< "county", "prefecture", "province"
ClusterLevel cluster_level_from_string(const std::string& s);  ///< throws revest::Error

struct DidOptions {
  /// Panel outcome. Required (defaults.toml: industry_va).
  std::string outcome;
  /// Panel column of each unit's first treated year, 0 = never treated (constant within a unit).
  /// Default "pilot_year".
  std::string timing = "pilot_year";
  /// Panel covariates (conditional parallel trends for CS; regressors for TWFE and the
  /// regressions). Default none.
  std::vector<std::string> covariates;
  /// Estimators, in the job's order. Default all seven.
  std::vector<DidEstimator> estimators;
  /// Callaway-Sant'Anna: comparison group, base period, anticipation, balance_e, method.
  did::CsOptions cs;
  /// Event-study window (TWFE event study). Defaults 4 leads, 4 lags.
  did::TwfeOptions event;
  /// Clustering level. Default prefecture.
  ClusterLevel cluster = ClusterLevel::kPrefecture;
  /// Multiplier bootstrap replications (CS and two-stage); 0: none. Default 999.
  std::size_t multiplier_replications = 999;
  /// Wild cluster bootstrap of the regression coefficients: type (wcr), weights (webb),
  /// replications (9,999; 0: none), p-value type (symmetric), confidence (0.95).
  did::WildBootstrapOptions wild;
  /// Spillover weights specs (spatial/weights.hpp; row-standardised: exposure = share of
  /// neighbours treated). Default ["queen"].
  std::vector<spatial::WeightsSpec> weights;
  /// Level of the intervals and bands. Default 0.95.
  double confidence = 0.95;
  /// Bootstrap replications per runtime task, in [1, 1e6]. Default 250.
  std::size_t replications_per_task = 250;

  static DidOptions from(const io::OptionView& view);
  bool operator==(const DidOptions&) const = default;
  bool has(DidEstimator e) const;
  /// Panel variables the analysis reads: outcome, timing, covariates, economic weights' ones.
  std::vector<std::string> panel_variables() const;
};

/// The panel of the analysis: outcome, timing and covariates of the geography's units. Throws
/// revest::Error naming the unit and years where the timing is not constant, not an integer, or
/// not 0 / a year.
did::StaggeredPanel staggered_panel(const io::Panel& panel, const io::Geography& geo,
                                    const DidOptions& options, const std::string& who);
/// Cluster id per unit of `geo` at `level` (ids in order of first appearance).
std::vector<int> cluster_ids(const io::Geography& geo, ClusterLevel level);

class DidAnalysis : public Analysis {
 public:
  DidAnalysis(std::string name, const io::Geography& geo, const io::Panel& panel,
              DidOptions options, const WeightsFileTexts& weights_files = {});
  std::string kind() const override { return "did"; }
  std::string name() const override { return name_; }
  std::size_t num_tasks() const override;
  std::vector<ReplicationSpec> replication_specs() const override;
  TaskOutcome run_task(std::size_t task, Rng& rng,
                       std::span<const std::span<double>> out) const override;
  std::vector<Table> summarize(ReplicationReader& reader) const override;

  /// A block of influence-function columns bootstrapped together (one simultaneous band).
  struct Family {
    std::string estimator, what;  ///< e.g. "cs", "att_gt" | "dynamic" | ...
    Eigen::Index begin = 0, size = 0;
  };
  /// A coefficient tested by the wild bootstrap (null 0).
  struct Tested {
    std::string estimator, term;
    int event_time = 0;
    std::shared_ptr<const did::WildProblem> problem;
  };
  const did::CsResult* cs() const { return cs_ ? &*cs_ : nullptr; }
  const std::vector<Family>& families() const { return families_; }
  const std::vector<Tested>& tested() const { return tested_; }
  /// The clustered influence functions (clusters x columns) the multiplier bootstrap draws on.
  const Eigen::MatrixXd& cluster_influence() const { return psi_; }
  std::size_t wild_draws() const { return wild_plan_.draws; }

 private:
  std::string name_;
  DidOptions opt_;
  did::StaggeredPanel panel_;
  std::vector<int> cluster_;
  std::size_t clusters_ = 0;
  std::unique_ptr<WeightsSet> weights_;
  std::optional<did::CsResult> cs_;
  std::optional<did::PreTest> pretest_;
  std::optional<did::TwfeResult> twfe_, event_;
  std::optional<did::BaconResult> bacon_;
  std::optional<did::SunAbrahamResult> sa_;
  std::optional<did::TwoStageResult> two_stage_;      // without spillovers
  std::vector<did::SpilloverResult> spill_twfe_;      // per weights spec
  std::vector<did::TwoStageResult> spill_two_stage_;  // per weights spec
  std::vector<Family> families_;
  Eigen::MatrixXd psi_;
  std::vector<Tested> tested_;
  did::WildDrawPlan wild_plan_;
};

}  // namespace revest::analyses
