#pragma once
/// \file analyses.hpp
/// \brief The registry of analysis kinds: builds an Analysis from its typed options, and tells
/// which panel variables (with which domains) a job needs.
#include <memory>
#include <vector>

#include "analyses/analysis_spec.hpp"
#include "core/analysis.hpp"
#include "driver/archive.hpp"
#include "io/job.hpp"
#include "io/panel.hpp"

namespace revest::driver {

/// Panel variables every analysis of `job` needs, with the domain each requires. `specs`: the
/// typed options of job.analyses, in the same order (analyses::parse_analysis); the TOML of
/// job.analyses gives the messages their file and line.
io::PanelRequirements panel_requirements(const io::Job& job,
                                         const std::vector<analyses::AnalysisSpec>& specs,
                                         const io::IndicatorSystem& ind);

/// Builds the analysis `spec` describes on the inputs (checking its options against the data).
std::unique_ptr<Analysis> make_analysis(const analyses::AnalysisSpec& spec, const Inputs& inputs);

}  // namespace revest::driver
