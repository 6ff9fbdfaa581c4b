#pragma once
/// \file spatial_esda.hpp
/// \brief The job analysis `spatial_esda`: global and local spatial autocorrelation
/// (spatial/esda.hpp) of every weights x variable x cross-section of the panel, the permutations
/// split into runtime tasks, and the archive's tables.
///
/// An adapter: the job's options (TOML) become SpatialEsdaOptions (spatial::WeightsSpec,
/// spatial::EsdaOptions); each combination k (weights-major, then variable, then cross-section)
/// becomes a spatial::EsdaPoint of the county values; task t holds permutations [t P_t, (t + 1)
/// P_t) (P_t = permutations_per_task), and permutation q of combination k is
/// spatial::esda_permutation drawn from part k of the stream (seed, analysis, q), whatever the task
/// that holds it. summarize() sums the tasks' counts into the tables `global`, `lisa` and
/// `weights` (spatial::permutation_inference, spatial::lisa_inference).
///
/// \test tests/analyses/spatial_esda_test.cpp (task layout, summaries against direct calls, the
/// task split changes nothing, spatial::esda with the job's key reproduces the job);
/// tests/driver (rank invariance and resume of jobs/smoke.toml, which has it).
#include <cstdint>
#include <string>
#include <vector>

#include "analyses/spatial_inputs.hpp"
#include "core/analysis.hpp"
#include "io/geography.hpp"
#include "io/job.hpp"
#include "io/panel.hpp"
#include "spatial/esda.hpp"
#include "spatial/weights.hpp"

namespace revest::analyses {

struct SpatialEsdaOptions {
  /// Panel variables. Required.
  std::vector<std::string> variables;
  /// Weights specs (spatial/weights.hpp), parsed; their text is their label. Required.
  std::vector<spatial::WeightsSpec> weights;
  /// kEachYear (default), kLastYear or kMean (no kPanel).
  CrossSection cross_section = CrossSection::kEachYear;
  /// Permutations per runtime task, in [1, 1e6]. Default 100.
  std::size_t permutations_per_task = 100;
  /// The method's options: permutations (default 9999) and alpha (default 0.05).
  spatial::EsdaOptions method;

  /// From a job's [[analysis]] table; errors name the file, line and option.
  static SpatialEsdaOptions from(const io::OptionView& view);
  bool operator==(const SpatialEsdaOptions&) const = default;
  /// Panel variables the analysis reads (the variables and the economic weights'), in order of
  /// first use.
  std::vector<std::string> panel_variables() const;
};

class SpatialEsdaAnalysis : public Analysis {
 public:
  SpatialEsdaAnalysis(std::string name, const io::Geography& geo, const io::Panel& panel,
                      SpatialEsdaOptions options, const WeightsFileTexts& weights_files = {});
  std::string kind() const override { return "spatial_esda"; }
  std::string name() const override { return name_; }
  std::size_t num_tasks() const override;
  std::vector<ReplicationSpec> replication_specs() const override;
  TaskOutcome run_task(std::size_t task, Rng& rng,
                       std::span<const std::span<double>> out) const override;
  std::vector<Table> summarize(ReplicationReader& reader) const override;

 private:
  /// Combination k: indices of weights, variable, cross-section, and the statistics of its values.
  struct Combo {
    std::size_t w, v, c;
    spatial::EsdaPoint point;
  };
  std::string name_;
  const io::Geography& geo_;
  SpatialEsdaOptions opt_;
  CrossSections cs_;
  WeightsSet weights_;
  std::vector<Combo> combos_;
  std::vector<spatial::WeightsMoments> moments_;
};

}  // namespace revest::analyses
