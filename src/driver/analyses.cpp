#include "driver/analyses.hpp"

#include "core/error.hpp"
#include "analyses/entropy_index.hpp"
#include "analyses/real_options.hpp"
#include "analyses/spatial_esda.hpp"
#include "analyses/spatial_models.hpp"
#include "analyses/three_stage_dea.hpp"

namespace revest::driver {

io::PanelRequirements panel_requirements(const io::Job& job, const io::IndicatorSystem& ind) {
  io::PanelRequirements req;
  req.first_year = job.first_year;
  req.last_year = job.last_year;
  auto need = [&](const std::string& var, const std::string& who) {
    const io::Indicator& i = ind.get(var, who);
    if (std::find(req.variables.begin(), req.variables.end(), var) == req.variables.end())
      req.variables.push_back(var);
    auto it = req.domains.find(var);
    if (it == req.domains.end() || static_cast<int>(i.domain) > static_cast<int>(it->second.first))
      req.domains[var] = {i.domain, who};
  };
  for (const auto& a : job.analyses) {
    const io::OptionView opt(a);
    if (a.kind == "entropy_index") {
      const auto vars = analyses::EntropyIndexOptions::from(opt).resolved_indicators(ind);
      REVEST_REQUIRE(!vars.empty(), opt.where("indicators")
                                        << ": no indicators given and none in the indicator system "
                                           "has use \"index\"");
      for (const auto& v : vars) {
        try {
          need(v, "entropy index '" + a.name + "'");
        } catch (const Error& e) {
          REVEST_FAIL(opt.where("indicators") << ": " << e.what());
        }
      }
    } else if (a.kind == "three_stage_dea") {
      const auto o = analyses::ThreeStageDeaOptions::from(opt);
      const struct {
        const char* key;
        const std::vector<std::string>& given;
        const char* use;
      } lists[] = {{"inputs", o.inputs, "dea_input"},
                   {"outputs", o.outputs, "dea_output"},
                   {"environment", o.environment, "environment"}};
      for (const auto& [which, given, use] : lists) {
        // An empty list written in the job is not "use the default": say so rather than fall
        // back to the indicator system silently.
        REVEST_REQUIRE(!given.empty() || !opt.given(which),
                       opt.where(which) << ": an empty list; three-stage DEA needs at least one "
                                           "variable here (leave the option out to use every "
                                           "indicator whose uses contain \"" << use << "\")");
        const auto vars = o.resolved(which, ind);
        REVEST_REQUIRE(!vars.empty(), opt.where(which) << ": no variables given and none in the "
                                                          "indicator system has the default use");
        for (const auto& v : vars) {
          try {
            need(v, "three-stage DEA '" + a.name + "' (" + which + ")");
          } catch (const Error& e) {
            REVEST_FAIL(opt.where(which) << ": " << e.what());
          }
        }
      }
    } else if (a.kind == "spatial_models" || a.kind == "spatial_esda") {
      const bool models = a.kind == "spatial_models";
      const std::vector<std::string> vars =
          models ? analyses::SpatialModelsOptions::from(opt).panel_variables()
                 : analyses::SpatialEsdaOptions::from(opt).panel_variables();
      const std::string key = models ? "formulas" : "variables";
      for (const auto& v : vars) {
        try {
          need(v, "spatial analysis '" + a.name + "'");
        } catch (const Error& e) {
          REVEST_FAIL(opt.where(key) << ": " << e.what());
        }
      }
    } else if (a.kind == "real_options") {
      (void)analyses::RealOptionsOptions::from(opt);  // reads projects.csv, not the panel
    } else {
      REVEST_FAIL("analysis '" << a.name << "': unknown kind '" << a.kind << "'");
    }
  }
  return req;
}

std::unique_ptr<Analysis> make_analysis(const io::AnalysisConfig& cfg, const Inputs& in) {
  const io::OptionView opt(cfg);
  if (cfg.kind == "entropy_index") {
    auto o = analyses::EntropyIndexOptions::from(opt);
    return std::make_unique<analyses::EntropyIndexAnalysis>(cfg.name, in.geo, in.panel, in.indicators,
                                                            std::move(o));
  }
  if (cfg.kind == "three_stage_dea") {
    auto o = analyses::ThreeStageDeaOptions::from(opt);
    return std::make_unique<analyses::ThreeStageDeaAnalysis>(cfg.name, in.geo, in.panel, in.indicators,
                                                         std::move(o));
  }
  if (cfg.kind == "spatial_models") {
    auto o = analyses::SpatialModelsOptions::from(opt);
    return std::make_unique<analyses::SpatialModelsAnalysis>(cfg.name, in.geo, in.panel, std::move(o));
  }
  if (cfg.kind == "spatial_esda") {
    auto o = analyses::SpatialEsdaOptions::from(opt);
    return std::make_unique<analyses::SpatialEsdaAnalysis>(cfg.name, in.geo, in.panel, std::move(o));
  }
  if (cfg.kind == "real_options") {
    auto o = analyses::RealOptionsOptions::from(opt);
    return std::make_unique<analyses::RealOptionsAnalysis>(cfg.name, in.geo, in.projects, std::move(o));
  }
  REVEST_FAIL("analysis '" << cfg.name << "': unknown kind '" << cfg.kind << "'");
}

}  // namespace revest::driver
