#pragma once
/// \file efficiency_factors.hpp
/// \brief The job analysis `efficiency_factors`: which environment variables explain the DEA
/// efficiency scores? Tobit, fractional response QML (logit and probit), OLS and the Simar-Wilson
/// (2007) truncated regression (Algorithms 1 and 2) side by side, per year and for the pooled
/// panel (factors/regressions.hpp, factors/simar_wilson.hpp).
///
/// An adapter. The scores are the stage-1 or stage-3 scores of a three_stage_dea analysis of the
/// same job (`scores_from`, `stage`: its point estimates are recomputed here from its options, so
/// they are the same numbers; stage 3 with the adjusted inputs), or a column of the panel
/// (`score_variable`: theta in (0, 1]; the Simar-Wilson models then cannot run, they re-run the
/// DEA). Samples: each year (its observed counties) and the pooled panel (every observed county-
/// year, year dummies with `year_effects`; the Simar-Wilson pooled model evaluates each county-
/// year against its own year's frontier, SwAlgorithm2's frontier groups).
///
/// Replications, in two phases (Analysis::phase_boundary). Tasks 0 .. l1 - 1 are Algorithm 2's
/// bias-correcting L1 replications: for every sample, every unit's DEA against the pseudo-sample
/// drawn from part 1 of stream (seed, "<name>/<sample>", b) (the sample is the year or "pooled").
/// Then every rank's prepare() computes the bias-corrected scores and the second truncated
/// regression from all L1 rows, and the next tasks, replications_per_task each, are the L2
/// replications of Algorithm 2 (part 2 of the same streams) and Algorithm 1's (part 3). Both
/// loops are split across the ranks; the archive is the same for any number of ranks, and
/// factors::sw_algorithm2 / sw_algorithm1 with RngKey(seed, "<name>/<sample>") reproduce each
/// sample's results. (In a sharded run shard 0 computes all its tasks: driver shard_tasks.)
///
/// Tables: `estimates` (per sample, model and term: estimate, model-based and robust / cluster-
/// robust standard errors, interval: Wald from the robust standard error, or the bootstrap
/// percentile interval for the Simar-Wilson models), `partial_effects` (average partial effects
/// on E[theta | z] of Tobit, fractional and OLS), `fits` (observations, censoring, log-likelihood,
/// replications used, status) and `scores` (per county-year: theta, delta = 1 / theta and
/// Algorithm 2's bias-corrected delta per year and pooled). The Simar-Wilson models regress delta
/// = 1 / theta >= 1: their coefficients have the opposite sign of the others'.
///
/// \test tests/analyses/efficiency_factors_test.cpp (options and their errors, the scores of the
/// source analysis, the tables against the library with the job's streams, the known environment
/// effects of the bundled panel); tests/driver (rank invariance of jobs/smoke.toml, which has it).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyses/three_stage_dea.hpp"
#include "core/analysis.hpp"
#include "factors/regressions.hpp"
#include "factors/simar_wilson.hpp"
#include "io/geography.hpp"
#include "io/indicators.hpp"
#include "io/job.hpp"
#include "io/panel.hpp"

namespace revest::analyses {

/// The regressions of the analysis.
enum class FactorModel {
  kTobit,             ///< "tobit": two-limit Tobit (factors::tobit)
  kFractionalLogit,   ///< "fractional_logit": Papke-Wooldridge QML, logit link
  kFractionalProbit,  ///< "fractional_probit": probit link
  kOls,               ///< "ols": OLS with robust standard errors
  kSw1,               ///< "sw1": Simar-Wilson (2007) Algorithm 1
  kSw2,               ///< "sw2": Simar-Wilson (2007) Algorithm 2 (double bootstrap)
};
const char* to_string(FactorModel m);
FactorModel factor_model_from_string(const std::string& s);  ///< throws revest::Error

/// Clusters of the robust standard errors (Tobit, fractional, OLS).
enum class FactorCluster { kNone, kCounty, kPrefecture, kProvince };
const char* to_string(FactorCluster c);
FactorCluster factor_cluster_from_string(const std::string& s);  ///< throws revest::Error

struct EfficiencyFactorsOptions {
  /// The three_stage_dea analysis of the job whose scores are explained. Default "" (then
  /// score_variable is required; exactly one of the two is given).
  std::string scores_from;
  /// Its stage-1 (observed inputs) or stage-3 (adjusted inputs) scores. Default 3.
  int stage = 3;
  /// A panel column of efficiency scores theta in (0, 1] instead. Default "".
  std::string score_variable;
  /// Environment variables (regressors); empty (default) = every indicator with use
  /// "environment".
  std::vector<std::string> environment;
  /// Models, in table order. Default all six.
  std::vector<FactorModel> models{FactorModel::kTobit,
                                  FactorModel::kFractionalLogit,
                                  FactorModel::kFractionalProbit,
                                  FactorModel::kOls,
                                  FactorModel::kSw1,
                                  FactorModel::kSw2};
  /// Tobit censoring: at 1 (default) or at 0 and 1; scores within censor_tolerance of a limit
  /// count as censored (default 1e-9).
  factors::TobitOptions tobit;
  /// Clusters of the pooled models' robust standard errors. Default county (its years are
  /// correlated). Per year, county clusters are single observations: heteroskedasticity-robust.
  FactorCluster cluster = FactorCluster::kCounty;
  bool per_year = true;      ///< a model per year. Default true.
  bool pooled = true;        ///< a model of all county-years. Default true.
  bool year_effects = true;  ///< year dummies in the pooled models. Default true.
  /// Simar-Wilson: L1 (bias correction, runtime tasks), L2 (and Algorithm 1's replications),
  /// interval level, and the tolerance above 1 of delta for an inefficient (regressed) unit.
  /// Defaults 100, 2000, 0.95, 1e-7. L2 replications per runtime task: default 50.
  std::size_t l1 = 100, l2 = 2000, replications_per_task = 50;
  double confidence = 0.95;
  double efficient_tolerance = 1e-7;
  /// Set when the job is parsed (parse_analyses), not options of the [[analysis]] table: the
  /// job's seed (the streams of summarize()) and the options of the analysis `scores_from`.
  std::uint64_t seed = 0;
  std::optional<ThreeStageDeaOptions> source;

  static EfficiencyFactorsOptions from(const io::OptionView& view);
  bool operator==(const EfficiencyFactorsOptions&) const = default;
  bool has(FactorModel m) const;
  /// The environment variables (the indicator system's "environment" ones when none are given).
  std::vector<std::string> resolved_environment(const io::IndicatorSystem& s) const;
};

class EfficiencyFactorsAnalysis : public Analysis {
 public:
  EfficiencyFactorsAnalysis(std::string name, const io::Geography& geo, const io::Panel& panel,
                            const io::IndicatorSystem& indicators,
                            EfficiencyFactorsOptions options);
  std::string kind() const override { return "efficiency_factors"; }
  std::string name() const override { return name_; }
  std::size_t num_tasks() const override;
  std::vector<ReplicationSpec> replication_specs() const override;
  TaskOutcome run_task(std::size_t task, Rng& rng,
                       std::span<const std::span<double>> out) const override;
  std::vector<Table> summarize(ReplicationReader& reader) const override;
  /// With sw2: the L1 tasks, then (after prepare) the L2 tasks.
  std::size_t phase_boundary() const override;
  void prepare(ReplicationReader& first_phase) override;

  /// One regression sample: a year, or the pooled panel.
  struct Sample {
    std::string label;                           ///< "2019", ..., or "pooled"
    int year = 0;                                ///< 0 for the pooled sample
    std::vector<std::size_t> unit, year_index;   ///< per row: county (geography order), year
    Eigen::VectorXd theta;                       ///< the scores
    Eigen::MatrixXd X;                           ///< constant, environment (and year dummies)
    std::vector<std::string> terms;              ///< names of X's columns
    std::vector<int> cluster;                    ///< empty: heteroskedasticity-robust
    std::optional<factors::SwAlgorithm2> sw;     ///< steps 1-2 (when a Simar-Wilson model runs)
    std::size_t offset = 0;                      ///< of its L1 draws in a task's row
    std::size_t offset_sw1 = 0, offset_sw2 = 0;  ///< of its replications in a row of `l2`
  };
  const std::vector<Sample>& samples() const { return samples_; }
  /// The random streams of a sample: RngKey(seed, "<name>/<label>").
  RngKey key(const Sample& s) const;

 private:
  bool with_sw() const;
  std::size_t l1_tasks() const;  ///< l1 with sw2, else 0
  std::size_t l2_tasks() const;  ///< ceil(l2 / replications_per_task) with sw1 or sw2, else 0
  /// Algorithm 2's state of every sample after the bias correction from the stored L1 rows
  /// (empty entries without sw2).
  std::vector<std::optional<factors::SwAlgorithm2>> bias_corrected(ReplicationReader& r) const;
  std::string name_;
  EfficiencyFactorsOptions opt_;
  std::vector<std::int64_t> adcode_;
  std::vector<std::string> county_name_;
  std::vector<int> years_;
  std::vector<Sample> samples_;
  std::size_t row_size_ = 0, row2_size_ = 0;
  std::vector<std::optional<factors::SwAlgorithm2>> corrected_;  ///< set by prepare()
};

}  // namespace revest::analyses
