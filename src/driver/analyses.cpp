#include "driver/analyses.hpp"

#include <algorithm>
#include <variant>

#include "core/error.hpp"

namespace revest::driver {

io::PanelRequirements panel_requirements(const io::Job& job,
                                         const std::vector<analyses::AnalysisSpec>& specs,
                                         const io::IndicatorSystem& ind) {
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
  REVEST_ASSERT(specs.size() == job.analyses.size());
  for (std::size_t k = 0; k < specs.size(); ++k) {
    const io::AnalysisConfig& a = job.analyses[k];
    const io::OptionView opt(a);
    const analyses::AnalysisOptions& options = specs[k].options;
    if (const auto* ei = std::get_if<analyses::EntropyIndexOptions>(&options)) {
      const auto vars = ei->resolved_indicators(ind);
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
    } else if (const auto* ts = std::get_if<analyses::ThreeStageDeaOptions>(&options)) {
      const analyses::ThreeStageDeaOptions& o = *ts;
      const struct {
        const char* key;
        const std::vector<std::string>& given;
        const char* use;
      } lists[] = {{"inputs", o.inputs, "dea_input"},
                   {"outputs", o.outputs, "dea_output"},
                   {"environment", o.environment, "environment"}};
      for (const auto& [which, given, use] : lists) {
        // One stage needs no environment: its variables are read only when given (SW2007).
        if (o.method.stages == 1 && std::string(which) == "environment" &&
            o.resolved(which, ind).empty())
          continue;
        // An empty list written in the job is not "use the default": say so rather than fall
        // back to the indicator system silently.
        REVEST_REQUIRE(!given.empty() || !opt.given(which),
                       opt.where(which) << ": an empty list; three-stage DEA needs at least one "
                                           "variable here (leave the option out to use every "
                                           "indicator whose uses contain \""
                                        << use << "\")");
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
    } else if (std::holds_alternative<analyses::SpatialModelsOptions>(options) ||
               std::holds_alternative<analyses::SpatialEsdaOptions>(options)) {
      const auto* models = std::get_if<analyses::SpatialModelsOptions>(&options);
      const std::vector<std::string> vars =
          models ? models->panel_variables()
                 : std::get<analyses::SpatialEsdaOptions>(options).panel_variables();
      const std::string key = models ? "formulas" : "variables";
      for (const auto& v : vars) {
        try {
          need(v, "spatial analysis '" + a.name + "'");
        } catch (const Error& e) {
          REVEST_FAIL(opt.where(key) << ": " << e.what());
        }
      }
    }
    if (const auto* d = std::get_if<analyses::DidOptions>(&options)) {
      for (const auto& v : d->panel_variables()) {
        try {
          need(v, "DID '" + a.name + "'");
        } catch (const Error& e) {
          const std::string key =
              v == d->outcome  ? "outcome"
              : v == d->timing ? "timing"
              : std::find(d->covariates.begin(), d->covariates.end(), v) != d->covariates.end()
                  ? "covariates"
                  : "weights";
          REVEST_FAIL(opt.where(key) << ": " << e.what());
        }
      }
    }
    // real_options reads projects.csv, not the panel.
  }
  return req;
}

std::unique_ptr<Analysis> make_analysis(const analyses::AnalysisSpec& spec, const Inputs& in) {
  struct Make {
    const std::string& name;
    const Inputs& in;
    std::unique_ptr<Analysis> operator()(const analyses::EntropyIndexOptions& o) const {
      return std::make_unique<analyses::EntropyIndexAnalysis>(name, in.geo, in.panel, in.indicators,
                                                              o);
    }
    std::unique_ptr<Analysis> operator()(const analyses::ThreeStageDeaOptions& o) const {
      return std::make_unique<analyses::ThreeStageDeaAnalysis>(name, in.geo, in.panel,
                                                               in.indicators, o);
    }
    std::unique_ptr<Analysis> operator()(const analyses::SpatialModelsOptions& o) const {
      return std::make_unique<analyses::SpatialModelsAnalysis>(name, in.geo, in.panel, o,
                                                               in.weights_files);
    }
    std::unique_ptr<Analysis> operator()(const analyses::SpatialEsdaOptions& o) const {
      return std::make_unique<analyses::SpatialEsdaAnalysis>(name, in.geo, in.panel, o,
                                                             in.weights_files);
    }
    std::unique_ptr<Analysis> operator()(const analyses::DidOptions& o) const {
      return std::make_unique<analyses::DidAnalysis>(name, in.geo, in.panel, o, in.weights_files);
    }
    std::unique_ptr<Analysis> operator()(const analyses::RealOptionsOptions& o) const {
      return std::make_unique<analyses::RealOptionsAnalysis>(name, in.geo, in.projects, o);
    }
  };
  return std::visit(Make{spec.name, in}, spec.options);
}

}  // namespace revest::driver
