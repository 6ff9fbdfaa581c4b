#include "analyses/analysis_spec.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace revest::analyses {

std::string AnalysisSpec::kind() const {
  struct Kind {
    const char* operator()(const EntropyIndexOptions&) const { return "entropy_index"; }
    const char* operator()(const ThreeStageDeaOptions&) const { return "three_stage_dea"; }
    const char* operator()(const RealOptionsOptions&) const { return "real_options"; }
    const char* operator()(const SpatialModelsOptions&) const { return "spatial_models"; }
    const char* operator()(const SpatialEsdaOptions&) const { return "spatial_esda"; }
    const char* operator()(const DidOptions&) const { return "did"; }
    const char* operator()(const PanelThresholdOptions&) const { return "panel_threshold"; }
    const char* operator()(const EfficiencyFactorsOptions&) const { return "efficiency_factors"; }
  };
  return std::visit(Kind{}, options);
}

std::vector<spatial::WeightsSpec> weights_specs(const AnalysisSpec& spec) {
  if (const auto* m = std::get_if<SpatialModelsOptions>(&spec.options)) return m->weights;
  if (const auto* e = std::get_if<SpatialEsdaOptions>(&spec.options)) return e->weights;
  if (const auto* d = std::get_if<DidOptions>(&spec.options)) return d->weights;
  return {};
}

std::vector<std::string> weights_files_of(const std::vector<AnalysisSpec>& specs) {
  std::vector<spatial::WeightsSpec> all;
  for (const AnalysisSpec& s : specs) {
    const auto w = weights_specs(s);
    all.insert(all.end(), w.begin(), w.end());
  }
  return weights_files_of(all);
}

AnalysisSpec parse_analysis(const io::AnalysisConfig& cfg) {
  const io::OptionView view(cfg);
  AnalysisSpec spec;
  spec.name = cfg.name;
  if (cfg.kind == "entropy_index") {
    spec.options = EntropyIndexOptions::from(view);
  } else if (cfg.kind == "three_stage_dea") {
    spec.options = ThreeStageDeaOptions::from(view);
  } else if (cfg.kind == "real_options") {
    spec.options = RealOptionsOptions::from(view);
  } else if (cfg.kind == "spatial_models") {
    spec.options = SpatialModelsOptions::from(view);
  } else if (cfg.kind == "spatial_esda") {
    spec.options = SpatialEsdaOptions::from(view);
  } else if (cfg.kind == "did") {
    spec.options = DidOptions::from(view);
  } else if (cfg.kind == "panel_threshold") {
    spec.options = PanelThresholdOptions::from(view);
  } else if (cfg.kind == "efficiency_factors") {
    spec.options = EfficiencyFactorsOptions::from(view);
  } else {
    REVEST_FAIL("analysis '" << cfg.name << "': unknown kind '" << cfg.kind << "'");
  }
  return spec;
}

std::vector<AnalysisSpec> parse_analyses(const io::Job& job) {
  std::vector<AnalysisSpec> specs;
  for (const auto& a : job.analyses) specs.push_back(parse_analysis(a));
  for (std::size_t k = 0; k < specs.size(); ++k) {
    auto* f = std::get_if<EfficiencyFactorsOptions>(&specs[k].options);
    if (!f) continue;
    f->seed = job.seed;
    if (f->scores_from.empty()) continue;
    const io::OptionView view(job.analyses[k]);
    const auto it = std::find_if(specs.begin(), specs.end(),
                                 [&](const AnalysisSpec& s) { return s.name == f->scores_from; });
    REVEST_REQUIRE(it != specs.end(), view.where("scores_from")
                                          << ": the job has no analysis named '" << f->scores_from
                                          << "'");
    const auto* source = std::get_if<ThreeStageDeaOptions>(&it->options);
    REVEST_REQUIRE(source, view.where("scores_from")
                               << ": '" << f->scores_from << "' is a " << it->kind()
                               << " analysis; the scores come from a three_stage_dea analysis");
    f->source = *source;
  }
  return specs;
}

}  // namespace revest::analyses
