#include "driver/analyses.hpp"

#include <algorithm>
#include <functional>
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
    // Every variable of `vars`, an error naming the option `key_of(variable)` that gave it.
    auto need_each = [&](const std::vector<std::string>& vars, const std::string& who,
                         const std::function<std::string(const std::string&)>& key_of) {
      for (const auto& v : vars) {
        try {
          need(v, who + " '" + a.name + "'");
        } catch (const Error& e) {
          REVEST_FAIL(opt.where(key_of(v)) << ": " << e.what());
        }
      }
    };
    auto in = [](const std::vector<std::string>& list, const std::string& v) {
      return std::find(list.begin(), list.end(), v) != list.end();
    };
    if (const auto* d = std::get_if<analyses::DidOptions>(&options))
      need_each(d->panel_variables(), "DID", [&](const std::string& v) -> std::string {
        if (v == d->outcome) return "outcome";
        if (v == d->timing) return "timing";
        return in(d->covariates, v) ? "covariates" : "weights";
      });
    if (const auto* t = std::get_if<analyses::PanelThresholdOptions>(&options))
      need_each(t->panel_variables(), "panel threshold", [&](const std::string& v) -> std::string {
        if (v == t->outcome) return "outcome";
        if (v == t->threshold_variable) return "threshold_variable";
        return in(t->controls, v) ? "controls" : "regime_dependent";
      });
    if (const auto* f = std::get_if<analyses::EfficiencyFactorsOptions>(&options)) {
      // An empty `environment` written in the job is refused by EfficiencyFactorsOptions::from.
      const auto env = f->resolved_environment(ind);
      REVEST_REQUIRE(!env.empty(), opt.where("environment")
                                       << ": no variables given and none in the indicator system "
                                          "has use \"environment\"");
      need_each(env, "efficiency factors", [](const std::string&) { return "environment"; });
      if (!f->score_variable.empty())
        need_each({f->score_variable}, "efficiency factors",
                  [](const std::string&) { return "score_variable"; });
      // The scores_from analysis is in the job: its variables are required there.
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
    std::unique_ptr<Analysis> operator()(const analyses::PanelThresholdOptions& o) const {
      return std::make_unique<analyses::PanelThresholdAnalysis>(name, in.geo, in.panel, o);
    }
    std::unique_ptr<Analysis> operator()(const analyses::EfficiencyFactorsOptions& o) const {
      return std::make_unique<analyses::EfficiencyFactorsAnalysis>(name, in.geo, in.panel,
                                                                   in.indicators, o);
    }
    std::unique_ptr<Analysis> operator()(const analyses::RealOptionsOptions& o) const {
      return std::make_unique<analyses::RealOptionsAnalysis>(name, in.geo, in.projects, o);
    }
  };
  return std::visit(Make{spec.name, in}, spec.options);
}

}  // namespace revest::driver
