#include "spatial/spatial_analysis.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <sstream>

#include "core/error.hpp"
#include "core/suggest.hpp"
#include "core/stats.hpp"

namespace revest::spatial {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kPanel = -2;  // year_index of the stacked panel "cross-section"

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

Term parse_term(const std::string& raw, const std::string& where, const std::string& text) {
  std::string t = trim(raw);
  Term term;
  if (t.rfind("log(", 0) == 0) {
    REVEST_REQUIRE(t.back() == ')', where << ": formula '" << text << "': unbalanced log( in '" << t << "'");
    term.log = true;
    t = trim(t.substr(4, t.size() - 5));
  }
  REVEST_REQUIRE(!t.empty() && t.find_first_of("()+~* ") == std::string::npos,
                 where << ": formula '" << text << "': bad term '" << raw
                       << "' (a panel variable or log(variable))");
  term.variable = t;
  return term;
}

/// Column builder for summary tables (description and units: see Column).
struct Cols {
  std::vector<Column> cols;
  std::map<std::string, std::size_t> at;
  template <class T>
  std::vector<T>& get(const std::string& name, const std::string& desc = "", const std::string& units = "") {
    auto it = at.find(name);
    if (it == at.end()) {
      at[name] = cols.size();
      cols.push_back(Column{name, std::vector<T>{}, desc, units});
      it = at.find(name);
    }
    return std::get<std::vector<T>>(cols[it->second].data);
  }
  void d(const std::string& name, double v, const std::string& desc = "", const std::string& units = "") {
    get<double>(name, desc, units).push_back(v);
  }
  void i(const std::string& name, std::int64_t v, const std::string& desc = "", const std::string& units = "") {
    get<std::int64_t>(name, desc, units).push_back(v);
  }
  void s(const std::string& name, std::string v, const std::string& desc = "") {
    get<std::string>(name, desc).push_back(std::move(v));
  }
  Table table(std::string name, std::string desc) {
    Table t{std::move(name), std::move(desc), std::move(cols)};
    t.check();
    return t;
  }
};

double median(std::vector<double> v) {
  if (v.empty()) return kNaN;
  return stats::quantile(v, 0.5);
}

LogDetOptions logdet_options(const std::string& method, const std::string& name) {
  LogDetOptions o;
  o.method = logdet_method_from_string(method);
  o.seed = stream_id(name);  // Monte Carlo trace probes: a fixed function of the analysis name
  return o;
}

}  // namespace

Formula parse_formula(const std::string& text, const std::string& where) {
  Formula f;
  f.text = text;
  const auto tilde = text.find('~');
  REVEST_REQUIRE(tilde != std::string::npos && text.find('~', tilde + 1) == std::string::npos,
                 where << ": formula '" << text << "' needs exactly one '~' (y ~ x1 + x2)");
  f.y = parse_term(text.substr(0, tilde), where, text);
  std::string rhs = text.substr(tilde + 1);
  std::size_t pos = 0;
  while (true) {
    const auto plus = rhs.find('+', pos);
    f.x.push_back(parse_term(rhs.substr(pos, plus == std::string::npos ? std::string::npos : plus - pos), where, text));
    if (plus == std::string::npos) break;
    pos = plus + 1;
  }
  for (std::size_t a = 0; a < f.x.size(); ++a) {
    REVEST_REQUIRE(f.x[a].label() != f.y.label(),
                   where << ": formula '" << text << "': " << f.y.label() << " on both sides");
    for (std::size_t b = a + 1; b < f.x.size(); ++b)
      REVEST_REQUIRE(f.x[a].label() != f.x[b].label(),
                     where << ": formula '" << text << "': " << f.x[a].label() << " appears twice");
  }
  return f;
}

SpatialModelsOptions SpatialModelsOptions::from(const io::OptionView& v) {
  SpatialModelsOptions o;
  o.weights = v.get_strings("weights");
  REVEST_REQUIRE(!o.weights.empty(), v.where("weights") << ": give at least one weights spec");
  for (const auto& w : o.weights) (void)parse_weights_spec(w, v.where("weights"));
  o.models = v.get_strings("models");
  REVEST_REQUIRE(!o.models.empty(), v.where("models") << ": give at least one model");
  for (const auto& m : o.models) {
    try {
      (void)model_from_string(m);
    } catch (const Error& e) {
      REVEST_FAIL(v.where("models") << ": " << e.what());
    }
  }
  o.formulas = v.get_strings("formulas");
  REVEST_REQUIRE(!o.formulas.empty(), v.where("formulas") << ": give at least one formula");
  std::vector<Formula> parsed;
  for (const auto& f : o.formulas) parsed.push_back(parse_formula(f, v.where("formulas")));
  o.cross_section = v.get_choice("cross_section", {"each_year", "last_year", "mean", "panel"});
  o.effects = v.get_choice("effects", {"none", "unit", "time", "twoway"});
  o.bias_correction = v.get_bool("bias_correction");
  o.key = v.get_string("key");
  o.logdet = v.get_choice("logdet", {"auto", "eigen", "sparse", "sparse_petsc", "chebyshev", "monte_carlo"});
  o.information = v.get_choice("information", {"auto", "expected", "observed"});
  const auto draws = v.get_int("impact_draws");
  REVEST_REQUIRE(draws >= 0 && draws <= 1000000, v.where("impact_draws") << ": must be in [0, 1e6]");
  o.impact_draws = static_cast<int>(draws);
  o.confidence = v.get_double("confidence");
  REVEST_REQUIRE(o.confidence > 0 && o.confidence < 1, v.where("confidence") << ": must be in (0, 1)");
  if (!o.key.empty()) {
    std::vector<std::string> regressors;  // of every formula, for a "did you mean"
    for (const Formula& f : parsed)
      for (const Term& t : f.x) regressors.push_back(t.label());
    REVEST_REQUIRE(std::find(regressors.begin(), regressors.end(), o.key) != regressors.end(),
                   v.where("key") << ": '" << o.key << "' is not a regressor of any formula"
                                  << did_you_mean(o.key, regressors));
    for (const Formula& f : parsed) {
      const bool has = std::any_of(f.x.begin(), f.x.end(), [&](const Term& t) { return t.label() == o.key; });
      REVEST_REQUIRE(has, v.where("key") << ": '" << o.key << "' is not a regressor of formula '"
                                         << f.text << "' (the key must be in every formula)");
    }
  }
  return o;
}

std::vector<std::string> SpatialModelsOptions::variables() const {
  std::vector<std::string> out;
  auto add = [&](const std::string& s) {
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  };
  for (const auto& ft : formulas) {
    const Formula f = parse_formula(ft, "formulas");
    add(f.y.variable);
    for (const auto& t : f.x) add(t.variable);
  }
  for (const auto& w : weights) {
    const WeightsSpec s = parse_weights_spec(w, "weights");
    if (s.type == "economic") add(s.variable);
  }
  return out;
}

SpatialEsdaOptions SpatialEsdaOptions::from(const io::OptionView& v) {
  SpatialEsdaOptions o;
  o.variables = v.get_strings("variables");
  REVEST_REQUIRE(!o.variables.empty(), v.where("variables") << ": give at least one variable");
  o.weights = v.get_strings("weights");
  REVEST_REQUIRE(!o.weights.empty(), v.where("weights") << ": give at least one weights spec");
  for (const auto& w : o.weights) (void)parse_weights_spec(w, v.where("weights"));
  o.cross_section = v.get_choice("cross_section", {"each_year", "last_year", "mean"});
  const auto p = v.get_int("permutations");
  REVEST_REQUIRE(p >= 1 && p <= 10000000, v.where("permutations") << ": must be in [1, 1e7]");
  o.permutations = static_cast<std::size_t>(p);
  const auto pp = v.get_int("permutations_per_task");
  REVEST_REQUIRE(pp >= 1 && pp <= 1000000, v.where("permutations_per_task") << ": must be in [1, 1e6]");
  o.permutations_per_task = static_cast<std::size_t>(pp);
  o.alpha = v.get_double("alpha");
  REVEST_REQUIRE(o.alpha > 0 && o.alpha < 1, v.where("alpha") << ": must be in (0, 1)");
  return o;
}

CrossSections make_cross_sections(const io::Panel& panel, const std::string& kind) {
  CrossSections c;
  REVEST_REQUIRE(panel.num_years() > 0, "spatial analysis: the panel has no years");
  if (kind == "each_year") {
    for (std::size_t t = 0; t < panel.num_years(); ++t) {
      c.labels.push_back(std::to_string(panel.years[t]));
      c.year_index.push_back(static_cast<int>(t));
    }
  } else if (kind == "last_year") {
    c.labels.push_back(std::to_string(panel.years.back()));
    c.year_index.push_back(static_cast<int>(panel.num_years() - 1));
  } else if (kind == "panel") {
    c.labels.push_back("panel " + std::to_string(panel.years.front()) + "-" + std::to_string(panel.years.back()));
    c.year_index.push_back(kPanel);
  } else {
    c.labels.push_back("mean " + std::to_string(panel.years.front()) + "-" + std::to_string(panel.years.back()));
    c.year_index.push_back(-1);
  }
  return c;
}

std::vector<double> cross_section_values(const io::Panel& panel, const Term& term, int year_index,
                                         const io::Geography& geo) {
  REVEST_REQUIRE(panel.has(term.variable), "spatial analysis: variable '" << term.variable
                                                                          << "' is not in the panel");
  const std::size_t v = panel.variable_index(term.variable), T = panel.num_years();
  std::vector<double> out(panel.num_counties);
  for (std::size_t i = 0; i < panel.num_counties; ++i) {
    auto value = [&](std::size_t t) {
      const double x = panel.at(v, i, t);
      if (!term.log) return x;
      REVEST_REQUIRE(x > 0, "spatial analysis: log(" << term.variable << ") of county "
                                                     << geo.counties[i].adcode << " ("
                                                     << geo.counties[i].name << ") in "
                                                     << panel.years[t] << ": value " << x
                                                     << " is not positive");
      return std::log(x);
    };
    if (year_index == kPanel) {
      // All years, stacked period by period: row t N + i.
      out.resize(panel.num_counties * T);
      for (std::size_t t = 0; t < T; ++t) out[t * panel.num_counties + i] = value(t);
    } else if (year_index >= 0) {
      out[i] = value(static_cast<std::size_t>(year_index));
    } else {
      double s = 0;
      for (std::size_t t = 0; t < T; ++t) s += value(t);
      out[i] = s / static_cast<double>(T);
    }
  }
  return out;
}

WeightsSet::WeightsSet(const std::vector<std::string>& specs, const std::string& where,
                       const io::Geography& geo, const io::Panel& panel, LogDetOptions ldo) {
  for (const auto& text : specs) {
    const WeightsSpec s = parse_weights_spec(text, where);
    std::vector<double> means;
    if (s.type == "economic") means = cross_section_values(panel, Term{s.variable, false}, -1, geo);
    w.push_back(std::make_unique<Weights>(build_weights(s, geo, means)));
    ld.push_back(std::make_unique<LogDet>(*w.back(), ldo));
  }
}

Table WeightsSet::summary_table(bool with_logdet) const {
  Cols c;
  for (std::size_t k = 0; k < w.size(); ++k) {
    const WeightsSummary& s = w[k]->summary;
    c.s("weights", w[k]->label, "weights spec");
    c.i("n", static_cast<std::int64_t>(s.n), "units");
    c.i("links", static_cast<std::int64_t>(s.links), "non-zero off-diagonal entries");
    c.d("mean_degree", s.mean_degree, "mean number of neighbours per unit");
    c.i("min_degree", s.min_degree, "fewest neighbours of a unit");
    c.i("max_degree", s.max_degree, "most neighbours of a unit");
    std::ostringstream hist;
    for (std::size_t d = 0; d < s.degree_counts.size(); ++d)
      if (s.degree_counts[d]) hist << (hist.tellp() > 0 ? " " : "") << d << ':' << s.degree_counts[d];
    c.s("degree_distribution", hist.str(), "degree:count pairs");
    c.i("symmetric", s.symmetric_values ? 1 : 0, "1 if W (before row standardisation) is symmetric");
    c.i("symmetric_pattern", s.symmetric_pattern ? 1 : 0, "1 if j is a neighbour of i whenever i is one of j");
    c.i("components", static_cast<std::int64_t>(s.components), "connected components");
    c.i("islands_linked", static_cast<std::int64_t>(s.islands_linked.size()),
        "units without neighbours linked to their nearest unit (islands=nearest)");
    c.d("percent_nonzero", s.percent_nonzero, "non-zero entries of W, in percent of n^2", "%");
    c.i("row_standardised", w[k]->row_standardised ? 1 : 0, "1 if W is row-standardised (each row sums to 1)");
    if (!with_logdet) continue;
    c.s("logdet", to_string(ld[k]->method()), "log-determinant method");
    c.d("rho_min", ld[k]->interval().first, "lower end of the admissible rho interval", "1");
    c.d("rho_max", ld[k]->interval().second, "upper end of the admissible rho interval", "1");
  }
  return c.table("weights", "summary of every weights matrix of the analysis");
}

// ---------------------------------------------------------------------------------------------
// spatial_models

namespace {
enum FitField {
  fOk, fRho, fRhoSe, fLambda, fLambdaSe, fSigma2Ml, fLogLik, fAic, fLr, fLrP, fWald, fWaldP,
  fLmRes, fLmResP, fLmErr, fLmLag, fRlmErr, fRlmLag, fSarma, fPErr, fPLag, fPRerr, fPRlag,
  fPSarma, fParams, fLogLikOls, fLocalMaxima, fSecondGap, fSecondRho, fSecondLambda,
  fSigma2Unbiased, kFitFields
};

/// Description and units of a fit field's column in the specifications table.
std::pair<const char*, const char*> fit_field_doc(int field) {
  switch (field) {
    case fRho: return {"spatial lag coefficient rho (SAR, SDM, SAC; NaN for other models)", "1"};
    case fRhoSe: return {"asymptotic standard error of rho", "1"};
    case fLambda: return {"spatial error coefficient lambda (SEM, SDEM, SAC; NaN for other models)", "1"};
    case fLambdaSe: return {"asymptotic standard error of lambda", "1"};
    case fLogLik: return {"maximised log-likelihood", ""};
    case fAic: return {"Akaike information criterion, -2 loglik + 2 parameters", ""};
    case fLr: return {"LR statistic against OLS on the same design, 2 (loglik - loglik_ols)", "1"};
    case fLrP: return {"chi-square p-value of lr_vs_ols", "1"};
    case fWald: return {"Wald statistic of rho = 0 (lambda = 0 for SEM and SDEM), (estimate / se)^2", "1"};
    case fWaldP: return {"chi-square(1) p-value of wald", "1"};
    case fLmRes: return {"LM test of remaining spatial autocorrelation in the residuals (SAR, SDM)", "1"};
    case fLmResP: return {"chi-square(1) p-value of lm_residual", "1"};
    case fLmErr: return {"LM error test of the OLS residuals (OLS, SLX)", "1"};
    case fLmLag: return {"LM lag test (OLS, SLX)", "1"};
    case fRlmErr: return {"robust LM error test (OLS, SLX)", "1"};
    case fRlmLag: return {"robust LM lag test (OLS, SLX)", "1"};
    case fSarma: return {"LM SARMA test (OLS, SLX)", "1"};
    case fPErr: return {"chi-square(1) p-value of lm_error", "1"};
    case fPLag: return {"chi-square(1) p-value of lm_lag", "1"};
    case fPRerr: return {"chi-square(1) p-value of rlm_error", "1"};
    case fPRlag: return {"chi-square(1) p-value of rlm_lag", "1"};
    case fPSarma: return {"chi-square(2) p-value of sarma", "1"};
    case fLogLikOls: return {"log-likelihood of OLS on the same design (the LR reference)", ""};
    default: return {"", ""};
  }
}
}

SpatialModelsAnalysis::SpatialModelsAnalysis(std::string name, const io::Geography& geo,
                                             const io::Panel& panel, SpatialModelsOptions options,
                                             std::uint64_t /*seed*/)
    : name_(std::move(name)),
      geo_(geo),
      panel_(panel),
      opt_(std::move(options)),
      cs_(make_cross_sections(panel, opt_.cross_section)),
      weights_(opt_.weights, "analysis '" + name_ + "' weights", geo, panel,
               logdet_options(opt_.logdet, name_)) {
  for (const auto& m : opt_.models) models_.push_back(model_from_string(m));
  for (const auto& f : opt_.formulas) {
    formulas_.push_back(parse_formula(f, "analysis '" + name_ + "' formulas"));
    kx_ = std::max(kx_, formulas_.back().x.size());
    // Check the data now (a missing variable or a log of a non-positive value is a job error).
    for (std::size_t c = 0; c < cs_.labels.size(); ++c) {
      (void)cross_section_values(panel_, formulas_.back().y, cs_.year_index[c], geo_);
      for (const auto& t : formulas_.back().x) (void)cross_section_values(panel_, t, cs_.year_index[c], geo_);
    }
  }
}

std::size_t SpatialModelsAnalysis::num_tasks() const {
  return weights_.w.size() * models_.size() * formulas_.size() * cs_.labels.size();
}

SpatialModelsAnalysis::Spec SpatialModelsAnalysis::spec(std::size_t t) const {
  Spec s{};
  s.c = t % cs_.labels.size();
  t /= cs_.labels.size();
  s.f = t % formulas_.size();
  t /= formulas_.size();
  s.m = t % models_.size();
  s.w = t / models_.size();
  return s;
}

std::vector<ReplicationSpec> SpatialModelsAnalysis::replication_specs() const {
  const std::size_t K = 1 + 2 * kx_;
  return {{"fit", {kFitFields}, "per specification: ok, rho, rho_se, lambda, lambda_se, sigma2 by ML (SSE / n), loglik, aic, LR, LR p, Wald, Wald p, LM residual, p, LM error, LM lag, robust LM error, robust LM lag, SARMA and their p-values, parameters, OLS loglik, SAC: local maxima of the concentrated log-likelihood, loglik gap to the second one, its rho and lambda, unbiased sigma2 (SSE / (n - k), OLS and SLX)"},
          {"coef", {K}, "coefficients: constant, regressors, then lag.<regressor> (Durbin models); NaN where absent"},
          {"se", {K}, "standard errors, same layout as coef"},
          {"impacts", {kx_, 3, 4}, "regressor x (direct, indirect, total) x (estimate, simulated sd, lower, upper)"}};
}

SpatialFit SpatialModelsAnalysis::fit(std::size_t task, Rng* rng) const {
  const Spec s = spec(task);
  const Formula& f = formulas_[s.f];
  const int yi = cs_.year_index[s.c];
  const bool panel = yi == kPanel;
  const Effects effects = effects_from_string(opt_.effects);
  const bool constant = !panel || effects == Effects::kNone;
  const std::size_t T = panel ? panel_.num_years() : 1;
  const auto n = static_cast<Eigen::Index>(geo_.size() * T);
  const std::vector<double> yv = cross_section_values(panel_, f.y, yi, geo_);
  Eigen::VectorXd y = Eigen::Map<const Eigen::VectorXd>(yv.data(), n);
  const Eigen::Index off = constant ? 1 : 0;
  Eigen::MatrixXd X(n, static_cast<Eigen::Index>(f.x.size()) + off);
  std::vector<std::string> names;
  if (constant) {
    X.col(0).setOnes();
    names.push_back("(Intercept)");
  }
  for (std::size_t j = 0; j < f.x.size(); ++j) {
    const std::vector<double> xv = cross_section_values(panel_, f.x[j], yi, geo_);
    X.col(static_cast<Eigen::Index>(j) + off) = Eigen::Map<const Eigen::VectorXd>(xv.data(), n);
    names.push_back(f.x[j].label());
  }
  ModelOptions mo;
  mo.information = opt_.information;
  mo.impact_draws = opt_.impact_draws;
  mo.confidence = opt_.confidence;
  if (panel)
    return fit_panel_model(models_[s.m], y, X, names, constant, T, effects, opt_.bias_correction,
                           *weights_.w[s.w], *weights_.ld[s.w], mo, rng);
  return fit_model(models_[s.m], y, X, names, true, *weights_.w[s.w], *weights_.ld[s.w], mo, rng);
}

TaskOutcome SpatialModelsAnalysis::run_task(std::size_t task, Rng& rng,
                                            std::span<const std::span<double>> out) const {
  const SpatialFit f = fit(task, &rng);
  if (!f.ok) return {TaskStatus::kNumericalFailure, f.message};
  auto& r = out[0];
  r[fOk] = 1;
  r[fRho] = f.rho;
  r[fRhoSe] = f.rho_se;
  r[fLambda] = f.lambda;
  r[fLambdaSe] = f.lambda_se;
  r[fSigma2Ml] = f.sigma2_ml;
  r[fSigma2Unbiased] = f.sigma2_unbiased;
  r[fLogLik] = f.loglik;
  r[fAic] = f.aic;
  r[fLr] = f.lr;
  r[fLrP] = f.lr_p;
  r[fWald] = f.wald;
  r[fWaldP] = f.wald_p;
  r[fLmRes] = f.lm_residual;
  r[fLmResP] = f.lm_residual_p;
  const bool ols = f.model == Model::kOls || f.model == Model::kSlx;
  const double lm[] = {f.lm.lm_error, f.lm.lm_lag, f.lm.rlm_error, f.lm.rlm_lag, f.lm.sarma,
                       f.lm.p_error,  f.lm.p_lag,  f.lm.p_rerror,  f.lm.p_rlag,  f.lm.p_sarma};
  for (int k = 0; k < 10; ++k) r[fLmErr + k] = ols ? lm[k] : kNaN;
  r[fParams] = static_cast<double>(f.parameters);
  r[fLogLikOls] = f.loglik_ols;
  if (f.model == Model::kSac) {
    r[fLocalMaxima] = f.local_maxima;
    r[fSecondGap] = f.second_mode_gap;
    r[fSecondRho] = f.second_mode_rho;
    r[fSecondLambda] = f.second_mode_lambda;
  }
  // Coefficients: constant and regressors in place; lag.<x_j> at 1 + kx + j.
  const Formula& fm = formulas_[spec(task).f];
  for (std::size_t j = 0; j < f.names.size(); ++j) {
    std::size_t slot = 0;  // "(Intercept)"
    const bool lag = f.names[j].rfind("lag.", 0) == 0;
    const std::string base = lag ? f.names[j].substr(4) : f.names[j];
    for (std::size_t q = 0; q < fm.x.size(); ++q)
      if (fm.x[q].label() == base) slot = lag ? 1 + kx_ + q : 1 + q;
    out[1][slot] = f.coef[static_cast<Eigen::Index>(j)];
    out[2][slot] = f.se[static_cast<Eigen::Index>(j)];
  }
  const Impacts& im = f.impacts;
  for (std::size_t q = 0; q < im.names.size(); ++q) {
    const auto m = static_cast<Eigen::Index>(q);
    const double est[3] = {im.direct[m], im.indirect[m], im.total[m]};
    for (int e = 0; e < 3; ++e) {
      double* cell = &out[3][(q * 3 + static_cast<std::size_t>(e)) * 4];
      cell[0] = est[e];
      if (im.draws > 0) {
        cell[1] = im.sd(m, e);
        cell[2] = im.lower(m, e);
        cell[3] = im.upper(m, e);
      }
    }
  }
  return {};
}

std::vector<Table> SpatialModelsAnalysis::summarize(ReplicationReader& reader) const {
  const std::size_t N = num_tasks(), K = 1 + 2 * kx_;
  const auto status = reader.status();
  const auto fit = reader.read_columns(0, 0, kFitFields);
  const auto coef = reader.read_columns(1, 0, K);
  const auto se = reader.read_columns(2, 0, K);
  const auto imp = reader.read_columns(3, 0, kx_ * 12);
  Cols specs, coefs, imps, rob;
  const char* effects[3] = {"direct", "indirect", "total"};
  // Robustness accumulators per (formula, model name or "all").
  struct Acc {
    std::vector<double> b, total;
    std::size_t n = 0, ok = 0, positive = 0, significant = 0, total_excludes_zero = 0, total_n = 0;
  };
  std::map<std::pair<std::size_t, std::string>, Acc> acc;
  std::size_t sac_fits = 0, sac_multimodal = 0;
  for (std::size_t t = 0; t < N; ++t) {
    const Spec s = spec(t);
    const Formula& f = formulas_[s.f];
    const double* r = &fit[t * kFitFields];
    const bool ok = status[t] == TaskStatus::kOk;
    const std::string key = opt_.key.empty() ? f.x.front().label() : opt_.key;
    std::size_t key_q = 0;
    for (std::size_t q = 0; q < f.x.size(); ++q)
      if (f.x[q].label() == key) key_q = q;
    const double kb = coef[t * K + 1 + key_q], ks = se[t * K + 1 + key_q];
    const double* ktot = &imp[t * kx_ * 12 + (key_q * 3 + 2) * 4];
    specs.i("spec", static_cast<std::int64_t>(t), "specification (task) index");
    specs.s("weights", weights_.w[s.w]->label, "weights spec (a row of the weights table)");
    specs.s("model", opt_.models[s.m], "ols, slx, sar, sem, sdm, sdem or sac");
    specs.s("formula", f.text, "y ~ x1 + x2 + ... (log(v): natural log of v)");
    specs.s("cross_section", cs_.labels[s.c], "the year, 'mean FIRST-LAST' (county means) or 'panel FIRST-LAST'");
    specs.s("status", to_string(status[t]), "task status: ok, no_convergence, numerical_failure or infeasible");
    const bool is_panel = cs_.year_index[s.c] == kPanel;
    specs.s("effects", is_panel ? opt_.effects : "none", "fixed effects (panel) ");
    specs.i("n", static_cast<std::int64_t>(geo_.size() * (is_panel ? panel_.num_years() : 1)),
            "observations (counties x years)");
    for (auto [nm, idx] : std::initializer_list<std::pair<const char*, int>>{
             {"rho", fRho}, {"rho_se", fRhoSe}, {"lambda", fLambda}, {"lambda_se", fLambdaSe}})
      specs.d(nm, r[idx], fit_field_doc(idx).first, fit_field_doc(idx).second);
    specs.d("sigma2_ml", r[fSigma2Ml],
            "sigma^2 by maximum likelihood, SSE / n, for every model (what loglik is evaluated at; n: effective "
            "observations, for panels net of the fixed effects)");
    specs.d("sigma2_unbiased", r[fSigma2Unbiased],
            "OLS and SLX: SSE / (n - k), k coefficients, the unbiased estimate their standard errors use; NaN for the ML models");
    for (auto [nm, idx] : std::initializer_list<std::pair<const char*, int>>{
             {"loglik", fLogLik}, {"aic", fAic}, {"lr_vs_ols", fLr},
             {"lr_p", fLrP}, {"wald", fWald}, {"wald_p", fWaldP}, {"lm_residual", fLmRes},
             {"lm_residual_p", fLmResP}, {"lm_error", fLmErr}, {"lm_error_p", fPErr},
             {"lm_lag", fLmLag}, {"lm_lag_p", fPLag}, {"rlm_error", fRlmErr},
             {"rlm_error_p", fPRerr}, {"rlm_lag", fRlmLag}, {"rlm_lag_p", fPRlag},
             {"sarma", fSarma}, {"sarma_p", fPSarma}, {"loglik_ols", fLogLikOls}})
      specs.d(nm, r[idx], fit_field_doc(idx).first, fit_field_doc(idx).second);
    specs.d("local_maxima", r[fLocalMaxima],
            "SAC: distinct local maxima of the log-likelihood concentrated in (rho, lambda) (grid search, "
            "then refinement; > 1: multimodal, the global maximum is reported); NaN for the other models", "1");
    specs.d("second_mode_gap", r[fSecondGap], "SAC with local_maxima > 1: loglik minus the second-highest local maximum", "1");
    specs.d("second_mode_rho", r[fSecondRho], "SAC with local_maxima > 1: rho at the second-highest local maximum", "1");
    specs.d("second_mode_lambda", r[fSecondLambda], "SAC with local_maxima > 1: lambda at the second-highest local maximum", "1");
    if (ok && models_[s.m] == Model::kSac) {
      ++sac_fits;
      sac_multimodal += r[fLocalMaxima] > 1;
    }
    specs.s("logdet", models_[s.m] == Model::kOls || models_[s.m] == Model::kSlx
                          ? "none" : to_string(weights_.ld[s.w]->method()),
            "log-determinant method (none for OLS and SLX)");
    specs.s("key", key, "the key regressor of the robustness summary");
    specs.d("key_coef", kb, "coefficient of the key regressor");
    specs.d("key_se", ks, "asymptotic standard error of key_coef");
    specs.d("key_total", ktot[0], "total impact of the key regressor");
    specs.d("key_total_lower", ktot[2], "lower percentile bound of key_total (simulated; NaN without impact draws)");
    specs.d("key_total_upper", ktot[3], "upper percentile bound of key_total (simulated; NaN without impact draws)");
    // Coefficients (long).
    std::vector<std::string> names = {"(Intercept)"};
    for (const auto& x : f.x) names.push_back(x.label());
    for (std::size_t j = 0; j < K; ++j) {
      const double b = coef[t * K + j];
      if (std::isnan(b)) continue;
      const std::string term = j <= kx_ ? (j < names.size() ? names[j] : "?")
                                        : "lag." + f.x[j - 1 - kx_].label();
      const double sj = se[t * K + j], z = b / sj;
      coefs.i("spec", static_cast<std::int64_t>(t), "specification index (row of the specifications table)");
      coefs.s("term", term, "(Intercept), a regressor, or lag.<regressor> (W x, Durbin models)");
      coefs.d("estimate", b, "ML estimate");
      coefs.d("se", sj, "asymptotic standard error");
      coefs.d("z", z, "estimate / se", "1");
      coefs.d("p", std::erfc(std::abs(z) / std::sqrt(2.0)), "two-sided normal p-value", "1");
    }
    for (std::size_t q = 0; q < f.x.size(); ++q)
      for (int e = 0; e < 3; ++e) {
        const double* cell = &imp[t * kx_ * 12 + (q * 3 + static_cast<std::size_t>(e)) * 4];
        if (std::isnan(cell[0])) continue;
        imps.i("spec", static_cast<std::int64_t>(t), "specification index (row of the specifications table)");
        imps.s("variable", f.x[q].label(), "regressor");
        imps.s("effect", effects[e], "direct, indirect (spillover) or total");
        imps.d("estimate", cell[0], "impact: mean over units of the effect of a unit change of the regressor");
        imps.d("sd", cell[1], "sd of the simulated distribution");
        imps.d("lower", cell[2], "lower percentile bound");
        imps.d("upper", cell[3], "upper percentile bound");
      }
    for (const std::string& group : {opt_.models[s.m], std::string("all")}) {
      Acc& a = acc[{s.f, group}];
      ++a.n;
      if (!ok) continue;
      ++a.ok;
      a.b.push_back(kb);
      a.positive += kb > 0;
      a.significant += std::abs(kb / ks) > 1.959963984540054;
      if (!std::isnan(ktot[0])) a.total.push_back(ktot[0]);
      if (!std::isnan(ktot[2]) && !std::isnan(ktot[3])) {  // intervals exist only with impact draws
        ++a.total_n;
        a.total_excludes_zero += (ktot[2] > 0 || ktot[3] < 0);
      }
    }
  }
  for (auto& [k, a] : acc) {
    const Formula& f = formulas_[k.first];
    rob.s("formula", f.text, "y ~ x1 + x2 + ...");
    rob.s("models", k.second, "the model of this row, or 'all' (every model of the analysis)");
    rob.s("key", opt_.key.empty() ? f.x.front().label() : opt_.key, "the key regressor");
    rob.i("specifications", static_cast<std::int64_t>(a.n), "specifications in the row's group (weights x cross-sections)");
    rob.i("converged", static_cast<std::int64_t>(a.ok), "of them, those with status ok");
    auto mm = [&](const std::vector<double>& v, const std::string& p, const std::string& what) {
      rob.d(p + "_min", v.empty() ? kNaN : *std::min_element(v.begin(), v.end()), "smallest " + what);
      rob.d(p + "_median", median(v), "median " + what);
      rob.d(p + "_max", v.empty() ? kNaN : *std::max_element(v.begin(), v.end()), "largest " + what);
    };
    mm(a.b, "coef", "key coefficient over the converged specifications");
    rob.d("share_positive", a.ok ? double(a.positive) / double(a.ok) : kNaN,
          "share of converged specifications with a positive key coefficient", "1");
    rob.d("share_significant_5pct", a.ok ? double(a.significant) / double(a.ok) : kNaN,
          "share of specifications with |z| > 1.96 for the key coefficient", "1");
    mm(a.total, "total_impact", "total impact of the key regressor over the converged specifications");
    rob.d("share_total_ci_excludes_0", a.total_n ? double(a.total_excludes_zero) / double(a.total_n) : kNaN,
          "share of specifications whose simulated interval of the total impact excludes 0", "1");
  }
  std::vector<Table> out;
  std::string specs_desc = "one row per specification (weights x model x formula x cross-section): spatial parameters, fit, LR / Wald / LM tests, the key regressor's coefficient and total impact";
  if (sac_multimodal > 0)
    specs_desc += "; " + std::to_string(sac_multimodal) + " of " + std::to_string(sac_fits) +
                  " SAC fits have a multimodal concentrated log-likelihood (local_maxima > 1: the global maximum is reported, second_mode_gap above the next)";
  out.push_back(specs.table("specifications", specs_desc));
  out.push_back(coefs.table("coefficients", "coefficients of every specification with asymptotic standard errors"));
  out.push_back(imps.table("impacts", "LeSage-Pace direct / indirect / total impacts with simulated sd and percentile intervals"));
  out.push_back(rob.table("robustness", "per formula and model (and over all models): range of the key coefficient and its total impact across weights and cross-sections, shares positive / significant"));
  out.push_back(weights_.summary_table());
  return out;
}

// ---------------------------------------------------------------------------------------------
// spatial_esda

SpatialEsdaAnalysis::SpatialEsdaAnalysis(std::string name, const io::Geography& geo,
                                         const io::Panel& panel, SpatialEsdaOptions options,
                                         std::uint64_t /*seed*/)
    : name_(std::move(name)),
      geo_(geo),
      opt_(std::move(options)),
      cs_(make_cross_sections(panel, opt_.cross_section)),
      weights_(opt_.weights, "analysis '" + name_ + "' weights", geo, panel,
               logdet_options("sparse", name_)) {
  for (const auto& w : weights_.w) moments_.emplace_back(*w);
  for (std::size_t w = 0; w < weights_.w.size(); ++w)
    for (std::size_t v = 0; v < opt_.variables.size(); ++v)
      for (std::size_t c = 0; c < cs_.labels.size(); ++c) {
        Combo k{w, v, c, cross_section_values(panel, Term{opt_.variables[v], false}, cs_.year_index[c], geo), {}, {}, {}};
        const auto [lo, hi] = std::minmax_element(k.x.begin(), k.x.end());
        const bool constant = *hi - *lo <= 1e-12 * std::max(std::abs(*lo), std::abs(*hi));
        REVEST_REQUIRE(!constant, "analysis '" << name_ << "': variable '" << opt_.variables[v]
                                               << "' is constant across counties (up to rounding) in "
                                               << cs_.labels[c]);
        const Weights& wm = *weights_.w[w];
        k.local = local_moran(k.x, wm);
        const GlobalValues o = global_values(k.x, wm, moments_[w].S0);
        k.observed = {o.moran, o.geary, o.g};
        k.expected = {moran(k.x, wm, moments_[w]).expected, geary(k.x, wm, moments_[w]).expected,
                      getis_ord(k.x, wm, moments_[w]).expected};
        combos_.push_back(std::move(k));
      }
}

std::size_t SpatialEsdaAnalysis::num_tasks() const {
  return (opt_.permutations + opt_.permutations_per_task - 1) / opt_.permutations_per_task;
}

std::vector<ReplicationSpec> SpatialEsdaAnalysis::replication_specs() const {
  return {{"global", {combos_.size(), 3, 4}, "per combination (weights x variable x cross-section) and statistic (Moran's I, Geary's C, Getis-Ord G): permutations >= observed, <= observed, sum and sum of squares of the permuted values minus the statistic's expected value under randomisation"},
          {"lisa", {combos_.size(), geo_.size(), 2}, "per combination and county: conditional permutations with local Moran >= observed and <= observed"}};
}

TaskOutcome SpatialEsdaAnalysis::run_task(std::size_t task, Rng& rng,
                                          std::span<const std::span<double>> out) const {
  const std::size_t begin = task * opt_.permutations_per_task;
  const std::size_t end = std::min(opt_.permutations, begin + opt_.permutations_per_task);
  std::fill(out[0].begin(), out[0].end(), 0.0);
  std::fill(out[1].begin(), out[1].end(), 0.0);
  const std::size_t n = geo_.size();
  std::vector<double> perm, up(n), lo(n);
  for (std::size_t k = 0; k < combos_.size(); ++k) {
    const Combo& c = combos_[k];
    const Weights& w = *weights_.w[c.w];
    const auto& ov = c.observed;
    const auto& ev = c.expected;
    LisaScratch scratch(w);
    double* g = &out[0][k * 12];
    std::fill(up.begin(), up.end(), 0.0);
    std::fill(lo.begin(), lo.end(), 0.0);
    // Permutation q of combination k draws from part k of the stream (seed, analysis, q),
    // whatever the task that holds it.
    for (std::size_t q = begin; q < end; ++q) {
      Rng r = rng.for_replication(static_cast<std::uint32_t>(q), static_cast<std::uint32_t>(k));
      perm = c.x;
      for (std::size_t i = n - 1; i > 0; --i) std::swap(perm[i], perm[uniform_index(r, i + 1)]);
      const GlobalValues v = global_values(perm, w, moments_[c.w].S0);
      const double pv[3] = {v.moran, v.geary, v.g};
      for (int s = 0; s < 3; ++s) {
        double* cell = g + s * 4;
        if (std::isnan(pv[s])) {
          cell[0] = cell[1] = cell[2] = cell[3] = kNaN;
          continue;
        }
        cell[0] += pv[s] >= ov[s];
        cell[1] += pv[s] <= ov[s];
        // Centred on the expected value, so that the variance in summarize() does not cancel.
        cell[2] += pv[s] - ev[s];
        cell[3] += (pv[s] - ev[s]) * (pv[s] - ev[s]);
      }
      lisa_permutation_draw(c.local, w, r, scratch, up, lo);
    }
    double* l = &out[1][k * n * 2];
    for (std::size_t i = 0; i < n; ++i) {
      l[2 * i] = up[i];
      l[2 * i + 1] = lo[i];
    }
  }
  return {};
}

std::vector<Table> SpatialEsdaAnalysis::summarize(ReplicationReader& reader) const {
  const std::size_t T = num_tasks(), n = geo_.size(), C = combos_.size();
  // Permutations of the tasks that completed (a failed task's rows are NaN and are left out; the
  // tables report how many permutations were used).
  const auto status = reader.status();
  double P = 0;
  for (std::size_t t = 0; t < T; ++t)
    if (status[t] == TaskStatus::kOk)
      P += static_cast<double>(std::min(opt_.permutations, (t + 1) * opt_.permutations_per_task) -
                               t * opt_.permutations_per_task);
  auto ok = [&](std::size_t t) { return status[t] == TaskStatus::kOk; };
  const auto g = reader.read_columns(0, 0, C * 12);
  Cols glob, lisa;
  const char* stat_names[3] = {"moran_i", "geary_c", "getis_ord_g"};
  for (std::size_t k = 0; k < C; ++k) {
    const Combo& c = combos_[k];
    const Weights& w = *weights_.w[c.w];
    const GlobalStatistic st[3] = {moran(c.x, w, moments_[c.w]), geary(c.x, w, moments_[c.w]),
                                   getis_ord(c.x, w, moments_[c.w])};
    for (int s = 0; s < 3; ++s) {
      double sum[4] = {0, 0, 0, 0};
      for (std::size_t t = 0; t < T; ++t)
        for (int q = 0; q < 4 && ok(t); ++q) sum[q] += g[t * C * 12 + k * 12 + static_cast<std::size_t>(s) * 4 + static_cast<std::size_t>(q)];
      const double dm = sum[2] / P, pm = c.expected[static_cast<std::size_t>(s)] + dm;  // sums centred in run_task
      const double psd = std::sqrt(std::max(0.0, sum[3] / P - dm * dm) * P / (P - 1));
      glob.s("weights", w.label, "weights spec (a row of the weights table)");
      glob.s("variable", opt_.variables[c.v], "panel variable");
      glob.s("cross_section", cs_.labels[c.c], "the year, or 'mean FIRST-LAST' (county means)");
      glob.s("statistic", stat_names[s], "moran_i, geary_c or getis_ord_g");
      glob.d("value", st[s].value, "the statistic on the observed values", "1");
      glob.d("expected", st[s].expected, "its expected value without spatial autocorrelation", "1");
      glob.d("var_normal", st[s].var_normal, "variance under normality (Getis-Ord G: its only variance)", "1");
      glob.d("z_normal", st[s].z_normal, "(value - expected) / sqrt(var_normal)", "1");
      glob.d("p_normal", st[s].p_normal, "two-sided", "1");
      glob.d("var_randomisation", st[s].var_random, "variance under randomisation", "1");
      glob.d("z_randomisation", st[s].z_random, "(value - expected) / sqrt(var_randomisation)", "1");
      glob.d("p_randomisation", st[s].p_random, "two-sided", "1");
      glob.i("permutations", static_cast<std::int64_t>(P), "permutations used (those of completed tasks)");
      glob.d("permutation_mean", pm, "mean of the statistic over the permutations", "1");
      glob.d("permutation_sd", psd, "standard deviation of the statistic over the permutations", "1");
      glob.d("z_permutation", (st[s].value - pm) / psd, "(value - permutation_mean) / permutation_sd", "1");
      glob.d("p_permutation", pseudo_p(sum[0], sum[1], P), "folded one-sided pseudo p-value (1 + min(#>=, #<=)) / (1 + P)", "1");
    }
    // LISA: sum the counts over tasks.
    const auto l = reader.read_columns(1, k * n * 2, (k + 1) * n * 2);
    std::vector<double> p(n);
    for (std::size_t i = 0; i < n; ++i) {
      double u = 0, lo = 0;
      for (std::size_t t = 0; t < T; ++t) {
        if (!ok(t)) continue;
        u += l[t * n * 2 + 2 * i];
        lo += l[t * n * 2 + 2 * i + 1];
      }
      p[i] = pseudo_p(u, lo, P);
    }
    const auto q = bh_adjust(p);
    for (std::size_t i = 0; i < n; ++i) {
      const auto r = static_cast<Eigen::Index>(i);
      lisa.s("weights", w.label, "weights spec (a row of the weights table)");
      lisa.s("variable", opt_.variables[c.v], "panel variable");
      lisa.s("cross_section", cs_.labels[c.c], "the year, or 'mean FIRST-LAST' (county means)");
      lisa.i("adcode", geo_.counties[i].adcode_ref, "2022 county code");
      lisa.s("county", geo_.counties[i].name_ref, "2022 official county name");
      lisa.s("province", geo_.counties[i].province_en, "province (English)");
      lisa.d("value", c.x[i], "the variable's value (units of the variable: /data/indicators)");
      lisa.d("z", c.local.z[r], "deviation from the mean");
      lisa.d("spatial_lag", c.local.lag[r], "sum_j w_ij z_j");
      lisa.d("local_moran", c.local.I[r], "local Moran I_i = z_i spatial_lag_i / (sum_j z_j^2 / n)", "1");
      lisa.d("p_permutation", p[i], "conditional permutation, folded one-sided pseudo p-value", "1");
      lisa.d("q_fdr", q[i], "Benjamini-Hochberg adjusted over the counties of this combination", "1");
      lisa.s("cluster", cluster_label(c.local.z[r], c.local.lag[r], p[i] < opt_.alpha), "HH / LL / HL / LH at p < alpha, else ns");
      lisa.s("cluster_fdr", cluster_label(c.local.z[r], c.local.lag[r], q[i] < opt_.alpha), "the same at FDR q < alpha");
    }
  }
  std::vector<Table> out;
  out.push_back(glob.table("global", "global Moran's I, Geary's C and Getis-Ord G (analytical moments under normality and randomisation, and permutation inference)"));
  out.push_back(lisa.table("lisa", "local Moran per county with conditional-permutation pseudo p-values, FDR and cluster labels"));
  out.push_back(weights_.summary_table(false));
  return out;
}

}  // namespace revest::spatial
