#include "analyses/spatial_models.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "analyses/table_builder.hpp"
#include "core/error.hpp"
#include "core/stats.hpp"
#include "core/suggest.hpp"

namespace revest::analyses {

using spatial::FitResult;
using spatial::Formula;
using spatial::Model;
using spatial::Term;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double median(std::vector<double> v) {
  if (v.empty()) return kNaN;
  return stats::quantile(v, 0.5);
}

/// The log-determinant options of an analysis: the job's method; the Monte Carlo trace probes
/// keyed by a fixed function of the analysis name.
spatial::LogDetOptions logdet_options(spatial::LogDetOptions o, const std::string& name) {
  o.seed = stream_id(name);
  return o;
}

}  // namespace

SpatialModelsOptions SpatialModelsOptions::from(const io::OptionView& v) {
  SpatialModelsOptions o;
  o.weights = weights_option(v);
  const auto models = v.get_strings("models");
  REVEST_REQUIRE(!models.empty(), v.where("models") << ": give at least one model");
  for (const auto& m : models) {
    try {
      o.models.push_back(spatial::model_from_string(m));
    } catch (const Error& e) {
      REVEST_FAIL(v.where("models") << ": " << e.what());
    }
  }
  const auto formulas = v.get_strings("formulas");
  REVEST_REQUIRE(!formulas.empty(), v.where("formulas") << ": give at least one formula");
  for (const auto& f : formulas)
    o.formulas.push_back(spatial::parse_formula(f, v.where("formulas")));
  o.cross_section = cross_section_from_string(
      v.get_choice("cross_section", {"each_year", "last_year", "mean", "panel"}));
  o.effects =
      spatial::effects_from_string(v.get_choice("effects", {"none", "unit", "time", "twoway"}));
  o.bias_correction = v.get_bool("bias_correction");
  o.key = v.get_string("key");
  o.method.logdet.method = spatial::logdet_method_from_string(v.get_choice(
      "logdet", {"auto", "eigen", "sparse", "sparse_petsc", "chebyshev", "monte_carlo"}));
  o.method.information = spatial::information_from_string(
      v.get_choice("information", {"auto", "expected", "observed"}));
  const auto draws = v.get_int("impact_draws");
  REVEST_REQUIRE(draws >= 0 && draws <= 1000000, v.where("impact_draws")
                                                     << ": must be in [0, 1e6]");
  o.method.impact_draws = static_cast<int>(draws);
  o.method.confidence = v.get_double("confidence");
  REVEST_REQUIRE(o.method.confidence > 0 && o.method.confidence < 1, v.where("confidence")
                                                                         << ": must be in (0, 1)");
  if (!o.key.empty()) {
    std::vector<std::string> regressors;  // of every formula, for a "did you mean"
    for (const Formula& f : o.formulas)
      for (const Term& t : f.x)
        if (!t.is_factor()) regressors.push_back(t.label);
    REVEST_REQUIRE(std::find(regressors.begin(), regressors.end(), o.key) != regressors.end(),
                   v.where("key") << ": '" << o.key << "' is not a regressor of any formula"
                                  << did_you_mean(o.key, regressors));
    for (const Formula& f : o.formulas) {
      const bool has =
          std::any_of(f.x.begin(), f.x.end(), [&](const Term& t) { return t.label == o.key; });
      REVEST_REQUIRE(has, v.where("key") << ": '" << o.key << "' is not a regressor of formula '"
                                         << f.text << "' (the key must be in every formula)");
    }
  }
  o.method.validate();
  return o;
}

std::vector<std::string> SpatialModelsOptions::panel_variables() const {
  std::vector<std::string> vars;
  for (const Formula& f : formulas)
    for (auto& v : formula_variables(f)) vars.push_back(std::move(v));
  return with_weights_variables(std::move(vars), weights);
}

namespace {
enum FitField {
  fOk,
  fRho,
  fRhoSe,
  fLambda,
  fLambdaSe,
  fSigma2Ml,
  fLogLik,
  fAic,
  fLr,
  fLrP,
  fWald,
  fWaldP,
  fLmRes,
  fLmResP,
  fLmErr,
  fLmLag,
  fRlmErr,
  fRlmLag,
  fSarma,
  fPErr,
  fPLag,
  fPRerr,
  fPRlag,
  fPSarma,
  fParams,
  fLogLikOls,
  fLocalMaxima,
  fSecondGap,
  fSecondRho,
  fSecondLambda,
  fSigma2Unbiased,
  kFitFields
};

/// Description and units of a fit field's column in the specifications table.
std::pair<const char*, const char*> fit_field_doc(int field) {
  switch (field) {
    case fRho:
      return {"spatial lag coefficient rho (SAR, SDM, SAC; NaN for other models)", "1"};
    case fRhoSe:
      return {"asymptotic standard error of rho", "1"};
    case fLambda:
      return {"spatial error coefficient lambda (SEM, SDEM, SAC; NaN for other models)", "1"};
    case fLambdaSe:
      return {"asymptotic standard error of lambda", "1"};
    case fLogLik:
      return {"maximised log-likelihood", ""};
    case fAic:
      return {"Akaike information criterion, -2 loglik + 2 parameters", ""};
    case fLr:
      return {"LR statistic against OLS on the same design, 2 (loglik - loglik_ols)", "1"};
    case fLrP:
      return {"chi-square p-value of lr_vs_ols", "1"};
    case fWald:
      return {"Wald statistic of rho = 0 (lambda = 0 for SEM and SDEM), (estimate / se)^2", "1"};
    case fWaldP:
      return {"chi-square(1) p-value of wald", "1"};
    case fLmRes:
      return {"LM test of remaining spatial autocorrelation in the residuals (SAR, SDM)", "1"};
    case fLmResP:
      return {"chi-square(1) p-value of lm_residual", "1"};
    case fLmErr:
      return {"LM error test of the OLS residuals (OLS, SLX)", "1"};
    case fLmLag:
      return {"LM lag test (OLS, SLX)", "1"};
    case fRlmErr:
      return {"robust LM error test (OLS, SLX)", "1"};
    case fRlmLag:
      return {"robust LM lag test (OLS, SLX)", "1"};
    case fSarma:
      return {"LM SARMA test (OLS, SLX)", "1"};
    case fPErr:
      return {"chi-square(1) p-value of lm_error", "1"};
    case fPLag:
      return {"chi-square(1) p-value of lm_lag", "1"};
    case fPRerr:
      return {"chi-square(1) p-value of rlm_error", "1"};
    case fPRlag:
      return {"chi-square(1) p-value of rlm_lag", "1"};
    case fPSarma:
      return {"chi-square(2) p-value of sarma", "1"};
    case fLogLikOls:
      return {"log-likelihood of OLS on the same design (the LR reference)", ""};
    default:
      return {"", ""};
  }
}
}  // namespace

SpatialModelsAnalysis::SpatialModelsAnalysis(std::string name, const io::Geography& geo,
                                             const io::Panel& panel, SpatialModelsOptions options,
                                             const WeightsFileTexts& weights_files)
    : name_(std::move(name)),
      geo_(geo),
      panel_(panel),
      opt_(std::move(options)),
      // Spatial weights link every unit of the geography: one missing in a year would change W.
      cs_(make_cross_sections(io::require_balanced(panel, geo, "spatial_models '" + name_ + "'"),
                              opt_.cross_section)),
      weights_(opt_.weights, geo, panel, logdet_options(opt_.method.logdet, name_), weights_files) {
  // The designs, now: a missing variable or a log of a non-positive value is a job error.
  for (const Formula& f : opt_.formulas) {
    designs_.emplace_back();
    columns_.emplace_back();
    for (std::size_t c = 0; c < cs_.labels.size(); ++c) {
      Design d;
      d.y = term_columns(panel_, f.y, cs_.year_index[c], geo_).columns.front();
      std::vector<std::string> labels;
      for (const auto& t : f.x) {
        DesignColumns dc = term_columns(panel_, t, cs_.year_index[c], geo_);
        for (std::size_t k = 0; k < dc.columns.size(); ++k) {
          labels.push_back(dc.labels[k]);
          d.x.push_back(std::move(dc.columns[k]));
        }
      }
      // A factor's levels are those of the whole panel: every cross-section has the same columns.
      REVEST_REQUIRE(c == 0 || labels == columns_.back(),
                     "formula '" << f.text << "': the factor levels differ between cross-sections "
                                 << cs_.labels[0] << " and " << cs_.labels[c]
                                 << " (a factor over a panel variable whose values change)");
      columns_.back() = std::move(labels);
      designs_.back().push_back(std::move(d));
    }
    kx_ = std::max(kx_, columns_.back().size());
  }
}

std::size_t SpatialModelsAnalysis::num_tasks() const {
  return weights_.w.size() * opt_.models.size() * opt_.formulas.size() * cs_.labels.size();
}

SpatialModelsAnalysis::Spec SpatialModelsAnalysis::spec(std::size_t t) const {
  Spec s{};
  s.c = t % cs_.labels.size();
  t /= cs_.labels.size();
  s.f = t % opt_.formulas.size();
  t /= opt_.formulas.size();
  s.m = t % opt_.models.size();
  s.w = t / opt_.models.size();
  return s;
}

std::vector<ReplicationSpec> SpatialModelsAnalysis::replication_specs() const {
  const std::size_t K = 1 + 2 * kx_;
  return {{"fit",
           {kFitFields},
           "per specification: ok, rho, rho_se, lambda, lambda_se, sigma2 by ML (SSE / n), loglik, "
           "aic, LR, LR p, Wald, Wald p, LM residual, p, LM error, LM lag, robust LM error, robust "
           "LM lag, SARMA and their p-values, parameters, OLS loglik, SAC: local maxima of the "
           "concentrated log-likelihood, loglik gap to the second one, its rho and lambda, "
           "unbiased sigma2 (SSE / (n - k), OLS and SLX)"},
          {"coef",
           {K},
           "coefficients: constant, regressors, then lag.<regressor> (Durbin models); NaN where "
           "absent"},
          {"se", {K}, "standard errors, same layout as coef"},
          {"impacts",
           {kx_, 3, 4},
           "regressor x (direct, indirect, total) x (estimate, simulated sd, lower, upper)"}};
}

FitResult SpatialModelsAnalysis::fit(std::size_t task, Rng* rng) const {
  const Spec s = spec(task);
  const int yi = cs_.year_index[s.c];
  const bool panel = yi == CrossSections::kPanelIndex;
  const Design& d = designs_[s.f][s.c];
  const std::vector<std::string>& labels = columns_[s.f];
  const spatial::Effects effects = opt_.effects;
  const bool constant = !panel || effects == spatial::Effects::kNone;
  const std::size_t T = panel ? panel_.num_years() : 1;
  const auto n = static_cast<Eigen::Index>(geo_.size() * T);
  Eigen::VectorXd y = Eigen::Map<const Eigen::VectorXd>(d.y.data(), n);
  const Eigen::Index off = constant ? 1 : 0;
  Eigen::MatrixXd X(n, static_cast<Eigen::Index>(labels.size()) + off);
  std::vector<std::string> names;
  if (constant) {
    X.col(0).setOnes();
    names.push_back("(Intercept)");
  }
  for (std::size_t j = 0; j < labels.size(); ++j) {
    X.col(static_cast<Eigen::Index>(j) + off) = Eigen::Map<const Eigen::VectorXd>(d.x[j].data(), n);
    names.push_back(labels[j]);
  }
  if (panel)
    return spatial::fit_panel_model(opt_.models[s.m], y, X, names, constant, T, effects,
                                    opt_.bias_correction, *weights_.w[s.w], *weights_.ld[s.w],
                                    opt_.method, rng);
  return spatial::fit_model(opt_.models[s.m], y, X, names, true, *weights_.w[s.w],
                            *weights_.ld[s.w], opt_.method, rng);
}

TaskOutcome SpatialModelsAnalysis::run_task(std::size_t task, Rng& rng,
                                            std::span<const std::span<double>> out) const {
  const FitResult f = fit(task, &rng);
  if (!f.status.ok()) return {TaskStatus::kNumericalFailure, f.status.message};
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
  const std::vector<std::string>& cols = columns_[spec(task).f];
  for (std::size_t j = 0; j < f.names.size(); ++j) {
    std::size_t slot = 0;  // "(Intercept)"
    const bool lag = f.names[j].rfind("lag.", 0) == 0;
    const std::string base = lag ? f.names[j].substr(4) : f.names[j];
    for (std::size_t q = 0; q < cols.size(); ++q)
      if (cols[q] == base) slot = lag ? 1 + kx_ + q : 1 + q;
    out[1][slot] = f.coef[static_cast<Eigen::Index>(j)];
    out[2][slot] = f.se[static_cast<Eigen::Index>(j)];
  }
  const spatial::Impacts& im = f.impacts;
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
  TableBuilder specs, coefs, imps, rob;
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
    const Formula& f = opt_.formulas[s.f];
    const double* r = &fit[t * kFitFields];
    const bool ok = status[t] == TaskStatus::kOk;
    const std::vector<std::string>& cols = columns_[s.f];
    const std::string key = opt_.key.empty() ? cols.front() : opt_.key;
    std::size_t key_q = 0;
    for (std::size_t q = 0; q < cols.size(); ++q)
      if (cols[q] == key) key_q = q;
    const double kb = coef[t * K + 1 + key_q], ks = se[t * K + 1 + key_q];
    const double* ktot = &imp[t * kx_ * 12 + (key_q * 3 + 2) * 4];
    specs.i("spec", static_cast<std::int64_t>(t), "specification (task) index");
    specs.s("weights", weights_.w[s.w]->label, "weights spec (a row of the weights table)");
    const std::string model = spatial::to_string(opt_.models[s.m]);
    specs.s("model", model, "ols, slx, sar, sem, sdm, sdem or sac");
    specs.s("formula", f.text, "the formula as written (R's notation: src/spatial/formula.hpp)");
    specs.s("cross_section", cs_.labels[s.c],
            "the year, 'mean FIRST-LAST' (county means) or 'panel FIRST-LAST'");
    specs.s("status", to_string(status[t]),
            "task status: ok, no_convergence, numerical_failure or infeasible");
    const bool is_panel = cs_.year_index[s.c] == CrossSections::kPanelIndex;
    specs.s("effects", is_panel ? spatial::to_string(opt_.effects) : "none",
            "fixed effects (panel) ");
    specs.i("n", static_cast<std::int64_t>(geo_.size() * (is_panel ? panel_.num_years() : 1)),
            "observations (counties x years)");
    for (auto [nm, idx] : std::initializer_list<std::pair<const char*, int>>{
             {"rho", fRho}, {"rho_se", fRhoSe}, {"lambda", fLambda}, {"lambda_se", fLambdaSe}})
      specs.d(nm, r[idx], fit_field_doc(idx).first, fit_field_doc(idx).second);
    specs.d("sigma2_ml", r[fSigma2Ml],
            "sigma^2 by maximum likelihood, SSE / n, for every model (what loglik is evaluated at; "
            "n: effective "
            "observations, for panels net of the fixed effects)");
    specs.d("sigma2_unbiased", r[fSigma2Unbiased],
            "OLS and SLX: SSE / (n - k), k coefficients, the unbiased estimate their standard "
            "errors use; NaN for the ML models");
    for (auto [nm, idx] :
         std::initializer_list<std::pair<const char*, int>>{{"loglik", fLogLik},
                                                            {"aic", fAic},
                                                            {"lr_vs_ols", fLr},
                                                            {"lr_p", fLrP},
                                                            {"wald", fWald},
                                                            {"wald_p", fWaldP},
                                                            {"lm_residual", fLmRes},
                                                            {"lm_residual_p", fLmResP},
                                                            {"lm_error", fLmErr},
                                                            {"lm_error_p", fPErr},
                                                            {"lm_lag", fLmLag},
                                                            {"lm_lag_p", fPLag},
                                                            {"rlm_error", fRlmErr},
                                                            {"rlm_error_p", fPRerr},
                                                            {"rlm_lag", fRlmLag},
                                                            {"rlm_lag_p", fPRlag},
                                                            {"sarma", fSarma},
                                                            {"sarma_p", fPSarma},
                                                            {"loglik_ols", fLogLikOls}})
      specs.d(nm, r[idx], fit_field_doc(idx).first, fit_field_doc(idx).second);
    specs.d("local_maxima", r[fLocalMaxima],
            "SAC: distinct local maxima of the log-likelihood concentrated in (rho, lambda) (grid "
            "search, "
            "then refinement; > 1: multimodal, the global maximum is reported); NaN for the other "
            "models",
            "1");
    specs.d("second_mode_gap", r[fSecondGap],
            "SAC with local_maxima > 1: loglik minus the second-highest local maximum", "1");
    specs.d("second_mode_rho", r[fSecondRho],
            "SAC with local_maxima > 1: rho at the second-highest local maximum", "1");
    specs.d("second_mode_lambda", r[fSecondLambda],
            "SAC with local_maxima > 1: lambda at the second-highest local maximum", "1");
    if (ok && opt_.models[s.m] == Model::kSac) {
      ++sac_fits;
      sac_multimodal += r[fLocalMaxima] > 1;
    }
    specs.s("logdet",
            opt_.models[s.m] == Model::kOls || opt_.models[s.m] == Model::kSlx
                ? "none"
                : spatial::to_string(weights_.ld[s.w]->method()),
            "log-determinant method (none for OLS and SLX)");
    specs.s("key", key, "the key regressor of the robustness summary");
    specs.d("key_coef", kb, "coefficient of the key regressor");
    specs.d("key_se", ks, "asymptotic standard error of key_coef");
    specs.d("key_total", ktot[0], "total impact of the key regressor");
    specs.d("key_total_lower", ktot[2],
            "lower percentile bound of key_total (simulated; NaN without impact draws)");
    specs.d("key_total_upper", ktot[3],
            "upper percentile bound of key_total (simulated; NaN without impact draws)");
    // Coefficients (long).
    std::vector<std::string> names = {"(Intercept)"};
    for (const auto& x : columns_[s.f]) names.push_back(x);
    for (std::size_t j = 0; j < K; ++j) {
      const double b = coef[t * K + j];
      if (std::isnan(b)) continue;
      const std::string term =
          j <= kx_ ? (j < names.size() ? names[j] : "?") : "lag." + columns_[s.f][j - 1 - kx_];
      const double sj = se[t * K + j], z = b / sj;
      coefs.i("spec", static_cast<std::int64_t>(t),
              "specification index (row of the specifications table)");
      coefs.s("term", term, "(Intercept), a regressor, or lag.<regressor> (W x, Durbin models)");
      coefs.d("estimate", b, "ML estimate");
      coefs.d("se", sj, "asymptotic standard error");
      coefs.d("z", z, "estimate / se", "1");
      coefs.d("p", std::erfc(std::abs(z) / std::sqrt(2.0)), "two-sided normal p-value", "1");
    }
    for (std::size_t q = 0; q < columns_[s.f].size(); ++q)
      for (int e = 0; e < 3; ++e) {
        const double* cell = &imp[t * kx_ * 12 + (q * 3 + static_cast<std::size_t>(e)) * 4];
        if (std::isnan(cell[0])) continue;
        imps.i("spec", static_cast<std::int64_t>(t),
               "specification index (row of the specifications table)");
        imps.s("variable", columns_[s.f][q], "regressor");
        imps.s("effect", effects[e], "direct, indirect (spillover) or total");
        imps.d("estimate", cell[0],
               "impact: mean over units of the effect of a unit change of the regressor");
        imps.d("sd", cell[1], "sd of the simulated distribution");
        imps.d("lower", cell[2], "lower percentile bound");
        imps.d("upper", cell[3], "upper percentile bound");
      }
    for (const std::string& group : {model, std::string("all")}) {
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
    const Formula& f = opt_.formulas[k.first];
    rob.s("formula", f.text, "y ~ x1 + x2 + ...");
    rob.s("models", k.second, "the model of this row, or 'all' (every model of the analysis)");
    rob.s("key", opt_.key.empty() ? columns_[k.first].front() : opt_.key, "the key regressor");
    rob.i("specifications", static_cast<std::int64_t>(a.n),
          "specifications in the row's group (weights x cross-sections)");
    rob.i("converged", static_cast<std::int64_t>(a.ok), "of them, those with status ok");
    auto mm = [&](const std::vector<double>& v, const std::string& p, const std::string& what) {
      rob.d(p + "_min", v.empty() ? kNaN : *std::min_element(v.begin(), v.end()),
            "smallest " + what);
      rob.d(p + "_median", median(v), "median " + what);
      rob.d(p + "_max", v.empty() ? kNaN : *std::max_element(v.begin(), v.end()),
            "largest " + what);
    };
    mm(a.b, "coef", "key coefficient over the converged specifications");
    rob.d("share_positive", a.ok ? double(a.positive) / double(a.ok) : kNaN,
          "share of converged specifications with a positive key coefficient", "1");
    rob.d("share_significant_5pct", a.ok ? double(a.significant) / double(a.ok) : kNaN,
          "share of specifications with |z| > 1.96 for the key coefficient", "1");
    mm(a.total, "total_impact",
       "total impact of the key regressor over the converged specifications");
    rob.d("share_total_ci_excludes_0",
          a.total_n ? double(a.total_excludes_zero) / double(a.total_n) : kNaN,
          "share of specifications whose simulated interval of the total impact excludes 0", "1");
  }
  std::vector<Table> out;
  std::string specs_desc =
      "one row per specification (weights x model x formula x cross-section): spatial parameters, "
      "fit, LR / Wald / LM tests, the key regressor's coefficient and total impact";
  if (sac_multimodal > 0)
    specs_desc += "; " + std::to_string(sac_multimodal) + " of " + std::to_string(sac_fits) +
                  " SAC fits have a multimodal concentrated log-likelihood (local_maxima > 1: the "
                  "global maximum is reported, second_mode_gap above the next)";
  out.push_back(specs.table("specifications", specs_desc));
  out.push_back(coefs.table("coefficients",
                            "coefficients of every specification with asymptotic standard errors"));
  out.push_back(imps.table(
      "impacts",
      "LeSage-Pace direct / indirect / total impacts with simulated sd and percentile intervals"));
  out.push_back(
      rob.table("robustness",
                "per formula and model (and over all models): range of the key coefficient and its "
                "total impact across weights and cross-sections, shares positive / significant"));
  out.push_back(weights_.summary_table());
  out.push_back(weights_.matrices_table());
  return out;
}

}  // namespace revest::analyses
