#pragma once
/// \file analysis_spec.hpp
/// \brief One analysis of a job as typed options: its name and the options struct of its kind.
///
/// Rank 0 parses a job's [[analysis]] tables once (parse_analysis: TOML -> the kind's options
/// struct, errors naming the job file and line); the specs cross the ranks with Boost.Serialization
/// (options_serialization.hpp), and every rank builds its analyses from them (driver/analyses.hpp,
/// make_analysis). No rank parses TOML but the one that read the job.
///
/// \test tests/analyses/options_serialization_test.cpp (every options type, and AnalysisSpec of
/// every kind, survives a text and a binary round trip); tests/driver/rank_invariance.sh (ranks
/// that received the specs compute what rank 0 computes).
#include <string>
#include <variant>
#include <vector>

#include "analyses/did.hpp"
#include "analyses/efficiency_factors.hpp"
#include "analyses/entropy_index.hpp"
#include "analyses/panel_threshold.hpp"
#include "analyses/real_options.hpp"
#include "analyses/spatial_esda.hpp"
#include "analyses/spatial_models.hpp"
#include "analyses/three_stage_dea.hpp"
#include "io/job.hpp"

namespace revest::analyses {

/// The options of one analysis; the alternative is its kind.
using AnalysisOptions = std::variant<EntropyIndexOptions, ThreeStageDeaOptions, RealOptionsOptions,
                                     SpatialModelsOptions, SpatialEsdaOptions, DidOptions,
                                     PanelThresholdOptions, EfficiencyFactorsOptions>;

struct AnalysisSpec {
  /// Unique within the job: names the archive group and the random streams.
  std::string name;
  AnalysisOptions options;
  /// "entropy_index", "three_stage_dea", "real_options", "spatial_models", "spatial_esda", "did",
  /// "panel_threshold" or "efficiency_factors": the kind of `options`.
  std::string kind() const;
  bool operator==(const AnalysisSpec&) const = default;
};

/// The weights specs of an analysis (spatial_models, spatial_esda and did; none for the others).
std::vector<spatial::WeightsSpec> weights_specs(const AnalysisSpec& spec);

/// The weights files the analyses read (gal, gwt, edges, matrix specs), each once, in order of
/// first use: the job's inputs of role weights_1, weights_2, ... (driver/runtime.hpp).
std::vector<std::string> weights_files_of(const std::vector<AnalysisSpec>& specs);

/// The typed options of a job's [[analysis]] table. Throws revest::Error naming the job file, line
/// and option on a bad value, or the analysis on an unknown kind.
AnalysisSpec parse_analysis(const io::AnalysisConfig& cfg);

/// The typed options of every analysis of a job (parse_analysis of each), with what one analysis
/// takes from the job or another analysis resolved: an efficiency_factors analysis gets the job's
/// seed and the options of its `scores_from` analysis, which must be a three_stage_dea analysis
/// of the job (else an error naming the job file, line and option).
std::vector<AnalysisSpec> parse_analyses(const io::Job& job);

}  // namespace revest::analyses
