#include "analyses/three_stage_dea.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "core/error.hpp"
#include "core/replication_summary.hpp"

namespace revest::analyses {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const char* default_use(const std::string& which) {
  if (which == "inputs") return "dea_input";
  if (which == "outputs") return "dea_output";
  return "environment";
}

void write(std::span<double> out, std::size_t offset, const std::vector<double>& v) {
  std::copy(v.begin(), v.end(), out.begin() + static_cast<std::ptrdiff_t>(offset));
}

std::string peers_string(const std::vector<std::pair<int, double>>& peers,
                         const std::vector<std::int64_t>& adcode) {
  std::ostringstream os;
  os.precision(6);
  for (std::size_t k = 0; k < peers.size(); ++k)
    os << (k ? ";" : "") << adcode[static_cast<std::size_t>(peers[k].first)] << ":"
       << peers[k].second;
  return os.str();
}

/// A choice option turned into its enum (the parser's own message names the option's line).
template <class F>
auto choice(const io::OptionView& view, const std::string& key,
            const std::vector<std::string>& allowed, F parse) {
  return parse(view.get_choice(key, allowed));
}

}  // namespace

// ---- options ----

ThreeStageDeaOptions ThreeStageDeaOptions::from(const io::OptionView& view) {
  ThreeStageDeaOptions o;
  dea::ThreeStageOptions& m = o.method;
  o.inputs = view.get_strings("inputs");
  o.outputs = view.get_strings("outputs");
  o.environment = view.get_strings("environment");
  m.returns = choice(view, "returns", {"vrs", "crs"}, dea::returns_from_string);
  m.sfa_distribution = choice(view, "sfa_distribution", {"half_normal", "truncated_normal"},
                              sfa::distribution_from_string);
  m.zero_slacks = choice(view, "zero_slacks", {"exclude", "include"}, dea::zero_slacks_from_string);
  m.slack_scale = choice(view, "slack_scale", {"level", "ratio"}, dea::slack_scale_from_string);
  m.bootstrap =
      choice(view, "bootstrap", {"scores", "three_stage"}, dea::bootstrap_scope_from_string);
  const std::int64_t reps = view.get_int("replications");
  REVEST_REQUIRE(reps >= 1 && reps <= (std::int64_t{1} << 32),
                 view.where("replications") << ": must be in [1, 2^32], got " << reps);
  o.replications = static_cast<std::size_t>(reps);
  m.confidence = view.get_double("confidence");
  REVEST_REQUIRE(m.confidence > 0 && m.confidence < 1,
                 view.where("confidence") << ": " << m.confidence << " is not in (0, 1)");
  m.bandwidth = view.get_double("bandwidth");
  REVEST_REQUIRE(std::isfinite(m.bandwidth) && m.bandwidth >= 0,
                 view.where("bandwidth")
                     << ": must be >= 0 (0 = rule of thumb), got " << m.bandwidth);
  m.bandwidth_rule = choice(view, "bandwidth_rule", {"silverman", "benchmarking"},
                            dea::bandwidth_rule_from_string);
  m.efficient_tolerance = view.get_double("efficient_tolerance");
  REVEST_REQUIRE(m.efficient_tolerance >= 0 && m.efficient_tolerance < 1e-3,
                 view.where("efficient_tolerance")
                     << ": must be in [0, 1e-3), got " << m.efficient_tolerance);
  m.slack_tolerance = view.get_double("slack_tolerance");
  REVEST_REQUIRE(m.slack_tolerance >= 0 && m.slack_tolerance < 1e-2,
                 view.where("slack_tolerance")
                     << ": must be in [0, 1e-2), got " << m.slack_tolerance);
  m.truncated_regression = view.get_bool("truncated_regression");
  m.validate();
  return o;
}

std::vector<std::string> ThreeStageDeaOptions::resolved(const std::string& which,
                                                        const io::IndicatorSystem& s) const {
  const std::vector<std::string>& given = which == "inputs"    ? inputs
                                          : which == "outputs" ? outputs
                                                               : environment;
  if (!given.empty()) return given;
  return s.used_by(default_use(which));
}

// ---- analysis ----

ThreeStageDeaAnalysis::ThreeStageDeaAnalysis(std::string name, const io::Geography& geo,
                                             const io::Panel& panel,
                                             const io::IndicatorSystem& indicators,
                                             ThreeStageDeaOptions options)
    : name_(std::move(name)), options_(std::move(options)) {
  const std::string ctx = "three_stage_dea '" + name_ + "'";
  inputs_ = options_.resolved("inputs", indicators);
  outputs_ = options_.resolved("outputs", indicators);
  env_ = options_.resolved("environment", indicators);
  REVEST_REQUIRE(!inputs_.empty(), ctx << ": no inputs (option 'inputs' or use \"dea_input\")");
  REVEST_REQUIRE(!outputs_.empty(), ctx << ": no outputs (option 'outputs' or use \"dea_output\")");
  REVEST_REQUIRE(!env_.empty(), ctx << ": no environment variables (option 'environment' or use "
                                       "\"environment\")");
  N_ = panel.num_counties;
  T_ = panel.num_years();
  REVEST_REQUIRE(geo.size() == N_,
                 ctx << ": the panel has " << N_ << " counties, the geography " << geo.size());
  const std::size_t m = inputs_.size(), s = outputs_.size(), p = env_.size();
  REVEST_REQUIRE(N_ >= m + s + p + 2, ctx << ": " << N_ << " counties are too few for " << m
                                          << " inputs, " << s << " outputs and " << p
                                          << " environment variables");
  for (const auto& c : geo.counties) {
    adcode_.push_back(c.adcode_ref);
    county_name_.push_back(c.name_ref);
    province_.push_back(c.province_en);
  }
  auto fill = [&](const std::vector<std::string>& vars, std::size_t t, bool positive,
                  Eigen::MatrixXd& M) {
    M.resize(static_cast<Eigen::Index>(N_), static_cast<Eigen::Index>(vars.size()));
    for (std::size_t k = 0; k < vars.size(); ++k) {
      REVEST_REQUIRE(panel.has(vars[k]),
                     ctx << ": variable '" << vars[k] << "' is not in the panel");
      const auto v = panel.variable_index(vars[k]);
      for (std::size_t i = 0; i < N_; ++i) {
        const double val = panel.at(v, i, t);
        REVEST_REQUIRE(std::isfinite(val) && (!positive || val > 0),
                       ctx << ": " << vars[k] << " = " << val << " for county " << county_name_[i]
                           << " (" << adcode_[i] << "), year " << panel.years[t]
                           << (positive ? " (DEA inputs and outputs must be positive)" : ""));
        M(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k)) = val;
      }
    }
  };
  years_.resize(T_);
  for (std::size_t t = 0; t < T_; ++t) {
    ThreeStageYear& Y = years_[t];
    Y.year = panel.years[t];
    Eigen::MatrixXd x, y, z;
    fill(inputs_, t, true, x);
    fill(outputs_, t, true, y);
    fill(env_, t, false, z);
    dea::ThreeStageNames names;
    names.units.resize(N_);
    for (std::size_t i = 0; i < N_; ++i)
      names.units[i] = "county " + county_name_[i] + " (" + std::to_string(adcode_[i]) +
                       "), year " + std::to_string(Y.year);
    names.inputs = inputs_;
    names.environment = env_;
    names.context = ctx;
    names.period = "year " + std::to_string(Y.year);
    Y.r = dea::three_stage(x, y, z, options_.method, names);
  }
}

std::vector<ReplicationSpec> ThreeStageDeaAnalysis::replication_specs() const {
  std::vector<ReplicationSpec> specs{
      {"scores",
       {T_, 2, N_},
       "bootstrap DEA score (" + std::string(dea::to_string(options_.method.returns)) +
           ", input) of each county (last index) in stage 1 / stage 3 (middle index) and year "
           "(first index)",
       "1"}};
  if (options_.method.truncated_regression)
    specs.push_back(
        {"truncreg",
         {T_, env_.size() + 2},
         "SW2007 bootstrap estimates per year: intercept, environment coefficients, sigma"});
  return specs;
}

TaskOutcome ThreeStageDeaAnalysis::run_task(std::size_t, Rng& rng,
                                            std::span<const std::span<double>> out) const {
  const std::size_t p = env_.size();
  for (std::size_t t = 0; t < T_; ++t) {
    const dea::ThreeStageResult& Y = years_[t].r;
    const dea::ThreeStageReplication rep = dea::three_stage_replication(Y, rng);
    if (!rep.status.ok()) return {TaskStatus::kNumericalFailure, rep.status.message};
    write(out[0], (t * 2 + 0) * N_, rep.stage1);
    write(out[0], (t * 2 + 1) * N_, rep.stage3);
    if (options_.method.truncated_regression && Y.truncreg.ok())
      write(out[1], t * (p + 2),
            std::vector<double>(rep.truncreg.data(), rep.truncreg.data() + rep.truncreg.size()));
  }
  return {};
}

std::vector<Table> ThreeStageDeaAnalysis::summarize(ReplicationReader& reader) const {
  const std::size_t m = inputs_.size(), p = env_.size();
  const std::size_t block = summary_block_columns(reader.num_tasks());
  const double conf = options_.method.confidence;
  const auto sc = summarize_replication_columns(reader, 0, T_ * 2 * N_, conf, block);
  std::ostringstream lv;
  lv << conf * 100 << "%";
  const std::string level = lv.str(), main = dea::to_string(options_.method.returns);
  const std::string other = main == "vrs" ? "crs" : "vrs";

  Table eff{"efficiency",
            "three-stage DEA per county and year: stage-1 and stage-3 input efficiency (" + main +
                " main model with bootstrap; " + other +
                "; scale = crs / vrs), SW98 bootstrap "
                "bias, bias-corrected score, variance and " +
                level + " intervals (SW 2000)",
            {}};
  {
    std::vector<std::int64_t> adcode, year, nboot1, nboot3;
    std::vector<std::string> name, province, status1, status3, peers1, peers3;
    std::vector<double> cols[16];
    for (std::size_t i = 0; i < N_; ++i)
      for (std::size_t t = 0; t < T_; ++t) {
        const dea::ThreeStageResult& Y = years_[t].r;
        adcode.push_back(adcode_[i]);
        name.push_back(county_name_[i]);
        province.push_back(province_[i]);
        year.push_back(years_[t].year);
        status1.push_back(dea::lp_status_name(Y.stage1.unit_status[i]));
        status3.push_back(dea::lp_status_name(Y.stage3.unit_status[i]));
        peers1.push_back(peers_string(Y.stage1.peers[i], adcode_));
        peers3.push_back(peers_string(Y.stage3.peers[i], adcode_));
        const double v1 = Y.stage1.farrell[i], o1 = Y.stage1_other[i];
        const double v3 = Y.stage3.farrell[i], o3 = Y.stage3_other[i];
        const double crs1 = main == "vrs" ? o1 : v1, vrs1 = main == "vrs" ? v1 : o1;
        const double crs3 = main == "vrs" ? o3 : v3, vrs3 = main == "vrs" ? v3 : o3;
        const std::size_t f1 = (t * 2 + 0) * N_ + i, f3 = (t * 2 + 1) * N_ + i;
        const double vals[16] = {vrs1,
                                 crs1,
                                 crs1 / vrs1,
                                 sc.mean[f1] - v1,
                                 2 * v1 - sc.mean[f1],
                                 sc.se[f1] * sc.se[f1],
                                 2 * v1 - sc.hi[f1],
                                 2 * v1 - sc.lo[f1],
                                 vrs3,
                                 crs3,
                                 crs3 / vrs3,
                                 sc.mean[f3] - v3,
                                 2 * v3 - sc.mean[f3],
                                 sc.se[f3] * sc.se[f3],
                                 2 * v3 - sc.hi[f3],
                                 2 * v3 - sc.lo[f3]};
        for (int c = 0; c < 16; ++c) cols[c].push_back(vals[c]);
        nboot1.push_back(static_cast<std::int64_t>(sc.n[f1]));
        nboot3.push_back(static_cast<std::int64_t>(sc.n[f3]));
      }
    eff.columns = {{"adcode", adcode, "2022 official county code"},
                   {"name", name, "2022 official county name"},
                   {"province", province, "province (English)"},
                   {"year", year, "year"}};
    const char* names[16] = {"stage1_vrs", "stage1_crs", "stage1_scale", "stage1_bias",
                             "stage1_bc",  "stage1_var", "stage1_ci_lo", "stage1_ci_hi",
                             "stage3_vrs", "stage3_crs", "stage3_scale", "stage3_bias",
                             "stage3_bc",  "stage3_var", "stage3_ci_lo", "stage3_ci_hi"};
    for (int st = 0; st < 2; ++st) {
      const std::string S = st == 0 ? "stage 1" : "stage 3";
      const std::string B = " of the " + main + " score (SW98 bootstrap)";
      const std::string desc[8] = {S + " VRS input efficiency",
                                   S + " CRS input efficiency",
                                   S + " scale efficiency (CRS / VRS)",
                                   S + " bias" + B,
                                   S + " bias-corrected score" + B,
                                   S + " variance" + B,
                                   S + " lower end of the " + level + " interval" + B,
                                   S + " upper end of the " + level + " interval" + B};
      for (int c = 0; c < 8; ++c)
        eff.columns.push_back({names[st * 8 + c], cols[st * 8 + c], desc[c], "1"});
    }
    eff.columns.push_back({"stage1_boot_n", nboot1, "stage-1 replications with a score"});
    eff.columns.push_back({"stage3_boot_n", nboot3, "stage-3 replications with a score"});
    eff.columns.push_back({"stage1_status", status1, "stage-1 LP status (" + main + ")"});
    eff.columns.push_back({"stage3_status", status3, "stage-3 LP status (" + main + ")"});
    eff.columns.push_back({"stage1_peers", peers1, "stage-1 peers adcode:lambda (" + main + ")"});
    eff.columns.push_back({"stage3_peers", peers3, "stage-3 peers adcode:lambda (" + main + ")"});
  }

  Table slacks{"slacks",
               "per county, year and input: observed input, stage-1 total slack (" + main +
                   "), adjusted input (stage 2), stage-3 total slack",
               {}};
  {
    std::vector<std::int64_t> adcode, year;
    std::vector<std::string> input;
    std::vector<double> x, s1, xa, s3;
    for (std::size_t i = 0; i < N_; ++i)
      for (std::size_t t = 0; t < T_; ++t)
        for (std::size_t k = 0; k < m; ++k) {
          const auto ii = static_cast<Eigen::Index>(i), kk = static_cast<Eigen::Index>(k);
          const dea::ThreeStageResult& Y = years_[t].r;
          adcode.push_back(adcode_[i]);
          year.push_back(years_[t].year);
          input.push_back(inputs_[k]);
          x.push_back(Y.x(ii, kk));
          s1.push_back(Y.slack1(ii, kk));
          xa.push_back(Y.x_adj(ii, kk));
          s3.push_back(Y.slack3(ii, kk));
        }
    slacks.columns = {{"adcode", adcode, "2022 official county code"},
                      {"year", year, "year"},
                      {"input", input, "DEA input"},
                      {"x", x, "observed input"},
                      {"slack1", s1, "stage-1 total slack (radial + non-radial)"},
                      {"x_adjusted", xa, "input adjusted for environment and noise (stage 2)"},
                      {"slack3", s3, "stage-3 total slack"}};
  }

  std::ostringstream zd;
  zd << "units with zero stage-1 total slack of this input (slack <= "
     << options_.method.slack_tolerance << " x input, option slack_tolerance)";
  const std::string zero_desc = zd.str();
  Table coef{
      "stage2_coefficients", "stage-2 SFA of each input's total slack on the environment", {}};
  Table fits{"stage2_fits", "stage-2 SFA fit per year and input (boundary policy in status)", {}};
  {
    std::vector<std::int64_t> year, fyear, nzero, nfit;
    std::vector<std::string> input, term, finput, status, message;
    std::vector<double> est, se, sig, sig_se, gam, gam_se, mu, ll, lr, lrp, meanu;
    for (std::size_t t = 0; t < T_; ++t)
      for (std::size_t k = 0; k < m; ++k) {
        const dea::ThreeStageResult& Y = years_[t].r;
        const sfa::SfaResult& r = Y.stage2[k].fit;
        const bool fitted = Y.stage2[k].fitted;
        for (std::size_t j = 0; j <= p; ++j) {
          year.push_back(years_[t].year);
          input.push_back(inputs_[k]);
          term.push_back(j == 0 ? "(intercept)" : env_[j - 1]);
          est.push_back(fitted ? r.beta[static_cast<Eigen::Index>(j)] : 0.0);
          se.push_back(fitted ? r.beta_se[static_cast<Eigen::Index>(j)] : kNaN);
        }
        fyear.push_back(years_[t].year);
        finput.push_back(inputs_[k]);
        status.push_back(Y.stage2[k].status_name());
        std::string msg = fitted ? r.status.message
                                 : "too few units with positive slack, or no variation: no "
                                   "adjustment of this input";
        if (r.boundary == sfa::Boundary::kGammaOne && fitted &&
            options_.method.slack_scale == dea::SlackScale::kLevel)
          msg +=
              " [slack levels: when unit sizes differ by orders of magnitude the slacks' lower "
              "envelope is near 0 at every environment and the fit ends at gamma = 1; "
              "slack_scale = \"ratio\" models the share of the input that is slack]";
        message.push_back(msg);
        sig.push_back(fitted ? r.sigma2 : kNaN);
        sig_se.push_back(fitted ? r.sigma2_se : kNaN);
        gam.push_back(fitted ? r.gamma : kNaN);
        gam_se.push_back(fitted ? r.gamma_se : kNaN);
        mu.push_back(fitted ? r.mu : kNaN);
        ll.push_back(fitted ? r.loglik : kNaN);
        lr.push_back(fitted ? r.lr_statistic : kNaN);
        lrp.push_back(fitted ? r.lr_pvalue : kNaN);
        meanu.push_back(fitted ? r.u_mean.mean() : 0.0);
        nzero.push_back(Y.stage2[k].zero_slack_units);
        nfit.push_back(Y.stage2[k].units);
      }
    coef.columns = {{"year", year, "year"},
                    {"input", input, "input whose total slack is the dependent variable"},
                    {"term", term, "regressor"},
                    {"estimate", est, "ML estimate"},
                    {"se", se, "asymptotic standard error (inverse Hessian)"}};
    fits.columns = {{"year", fyear, "year"},
                    {"input", finput, "input"},
                    {"status", status,
                     "converged | boundary_gamma_0 | boundary_gamma_1 | "
                     "no_convergence | no_variation"},
                    {"message", message, "optimiser / boundary explanation"},
                    {"sigma2", sig, "sigma_u^2 + sigma_v^2"},
                    {"sigma2_se", sig_se, "standard error"},
                    {"gamma", gam, "sigma_u^2 / sigma^2"},
                    {"gamma_se", gam_se, "standard error"},
                    {"mu", mu, "mean of the pre-truncation normal (0 for half-normal)"},
                    {"loglik", ll, "log-likelihood"},
                    {"lr_gamma0", lr, "one-sided LR statistic of gamma = 0"},
                    {"lr_pvalue", lrp, "p-value (mixed chi-square)"},
                    {"mean_u", meanu, "mean JLMS E[u|e]"},
                    {"zero_slack_units", nzero, zero_desc},
                    {"fit_units", nfit,
                     "units in the fit (zero_slacks = " +
                         std::string(dea::to_string(options_.method.zero_slacks)) +
                         "); every unit is adjusted"}};
  }
  std::vector<Table> tables{std::move(eff), std::move(slacks), std::move(coef), std::move(fits)};

  {
    Table bw{"bandwidths",
             "SW98 kernel bandwidth of every year and stage, the rule that chose it, and the "
             "efficient units (score within efficient_tolerance of 1) it was computed with",
             {}};
    std::vector<std::int64_t> year, stage, n_units, n_eff;
    std::vector<std::string> rule;
    std::vector<double> h;
    const std::string rule_name = options_.method.bandwidth > 0
                                      ? std::string("fixed")
                                      : std::string(dea::to_string(options_.method.bandwidth_rule));
    for (std::size_t t = 0; t < T_; ++t)
      for (int st = 1; st <= 3; st += 2) {
        const dea::ThreeStageResult& Y = years_[t].r;
        const dea::DeaResult& d = st == 1 ? Y.stage1 : Y.stage3;
        std::int64_t fin = 0, eff1 = 0;
        for (double v : d.farrell) {
          fin += std::isfinite(v);
          eff1 += std::isfinite(v) && std::abs(v - 1.0) <= options_.method.efficient_tolerance;
        }
        year.push_back(years_[t].year);
        stage.push_back(st);
        rule.push_back(rule_name);
        h.push_back(st == 1 ? Y.h1 : Y.h3);
        n_units.push_back(fin);
        n_eff.push_back(eff1);
      }
    bw.columns = {
        {"year", year, "year"},
        {"stage", stage, "DEA stage whose scores are bootstrapped (1 or 3)"},
        {"rule", rule, "bandwidth rule: silverman | benchmarking | fixed (option bandwidth)"},
        {"bandwidth", h,
         "kernel bandwidth h of the smoothed bootstrap (0: every unit "
         "efficient, nothing to smooth)",
         "1"},
        {"units", n_units, "units with a score"},
        {"efficient_units", n_eff, "units with score 1 (within efficient_tolerance)"}};
    tables.push_back(std::move(bw));
  }

  if (options_.method.truncated_regression) {
    const auto st = summarize_replication_columns(reader, 1, T_ * (p + 2), conf, block);
    Table tr{"truncated_regression",
             "Simar-Wilson (2007) Algorithm 1: truncated regression of 1 / stage-1 score on the "
             "environment, per year, with bootstrap percentile intervals",
             {}};
    std::vector<std::int64_t> year, nunits, nboot;
    std::vector<std::string> term, message;
    std::vector<double> est, se, bmean, bse, lo, hi;
    for (std::size_t t = 0; t < T_; ++t)
      for (std::size_t j = 0; j < p + 2; ++j) {
        const dea::ThreeStageResult& Y = years_[t].r;
        const std::size_t f = t * (p + 2) + j;
        year.push_back(years_[t].year);
        term.push_back(j == 0 ? "(intercept)" : j <= p ? env_[j - 1] : "sigma");
        const bool ok = Y.truncreg.ok();
        est.push_back(!ok      ? kNaN
                      : j <= p ? Y.truncreg.beta[static_cast<Eigen::Index>(j)]
                               : Y.truncreg.sigma);
        se.push_back(!ok      ? kNaN
                     : j <= p ? Y.truncreg.beta_se[static_cast<Eigen::Index>(j)]
                              : Y.truncreg.sigma_se);
        bmean.push_back(st.mean[f]);
        bse.push_back(st.se[f]);
        lo.push_back(st.lo[f]);
        hi.push_back(st.hi[f]);
        nunits.push_back(static_cast<std::int64_t>(Y.truncreg_units.size()));
        nboot.push_back(static_cast<std::int64_t>(st.n[f]));
        message.push_back(Y.truncreg.status.message);
      }
    tr.columns = {{"year", year, "year"},
                  {"term", term, "regressor (or sigma)"},
                  {"estimate", est, "truncated-normal ML estimate"},
                  {"se", se, "asymptotic standard error"},
                  {"boot_mean", bmean, "bootstrap mean"},
                  {"boot_se", bse, "bootstrap standard error"},
                  {"ci_lo", lo, "lower end of the " + level + " percentile interval"},
                  {"ci_hi", hi, "upper end of the " + level + " percentile interval"},
                  {"units", nunits, "units with 1 / score > 1 (the truncated sample)"},
                  {"boot_n", nboot, "replications that converged"},
                  {"message", message, "optimiser status of the point estimate"}};
    tables.push_back(std::move(tr));
  }
  for (const auto& t : tables) t.check();
  return tables;
}

}  // namespace revest::analyses
