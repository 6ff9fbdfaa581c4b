#pragma once
/// \file analyses.hpp
/// \brief The registry of analysis kinds: builds an Analysis from its job configuration, and
/// tells which panel variables (with which domains) a job needs.
#include <memory>

#include "core/analysis.hpp"
#include "driver/archive.hpp"
#include "io/job.hpp"
#include "io/panel.hpp"

namespace revest::driver {

/// Panel variables every analysis of `job` needs, with the domain each requires.
io::PanelRequirements panel_requirements(const io::Job& job, const io::IndicatorSystem& ind);

/// Builds the analysis described by `cfg` (validating its options; errors name the job line).
std::unique_ptr<Analysis> make_analysis(const io::AnalysisConfig& cfg, const Inputs& inputs);

}  // namespace revest::driver
