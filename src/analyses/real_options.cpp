#include "analyses/real_options.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "core/error.hpp"
#include "core/stats.hpp"

namespace revest::analyses {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t kModes = io::kModes.size();
}  // namespace

RealOptionsOptions RealOptionsOptions::from(const io::OptionView& view) {
  RealOptionsOptions o;
  realopt::ProcessOptions& pr = o.process;
  realopt::ProjectDesign& pj = o.project;
  pr.kind = realopt::process_kind_from_string(
      view.get_choice("process", {"gbm", "mean_reverting", "jump_diffusion"}));
  pr.mean_reversion_speed = view.get_double("mean_reversion_speed");
  pr.long_run_ratio = view.get_double("long_run_ratio");
  pr.jump_intensity = view.get_double("jump_intensity");
  pr.jump_mean = view.get_double("jump_mean");
  pr.jump_sd = view.get_double("jump_sd");
  const std::vector<std::string> options = view.get_strings("options");
  for (const auto& s : options)
    REVEST_REQUIRE(s == "defer" || s == "stage" || s == "expand" || s == "abandon",
                   view.where("options")
                       << ": unknown option '" << s << "' (defer, stage, expand, abandon)");
  auto has = [&](const char* name) {
    return std::find(options.begin(), options.end(), name) != options.end();
  };
  pj.defer = has("defer");
  pj.stage = has("stage");
  pj.expand = has("expand");
  pj.abandon = has("abandon");
  pj.expand_scale = view.get_double("expand_scale");
  REVEST_REQUIRE(pj.expand_scale > 1.0, view.where("expand_scale") << ": must be > 1");
  pj.expand_cost = view.get_double("expand_cost");
  pj.abandon_salvage = view.get_double("abandon_salvage");
  pj.pilot_cost = view.get_double("pilot_cost");
  pj.pilot_scale = view.get_double("pilot_scale");
  REVEST_REQUIRE(pj.pilot_scale >= 0.0 && pj.pilot_scale < 1.0, view.where("pilot_scale")
                                                                    << ": must be in [0, 1)");
  pj.scaleup_cost = view.get_double("scaleup_cost");
  for (const char* k : {"expand_cost", "abandon_salvage", "pilot_cost", "scaleup_cost"})
    REVEST_REQUIRE(view.get_double(k) >= 0.0, view.where(k) << ": must be >= 0");
  const std::int64_t per_year = view.get_int("exercise_per_year");
  REVEST_REQUIRE(per_year >= 1 && per_year <= 1000, view.where("exercise_per_year")
                                                        << ": must be in [1, 1000]");
  o.exercise_per_year = static_cast<int>(per_year);
  o.basis = realopt::basis_from_string(view.get_choice(
      "basis", {"spline", "monomial", "log_monomial", "laguerre", "laguerre_unweighted"}));
  const std::int64_t order = view.get_int("order");
  REVEST_REQUIRE(order >= 1 && order <= 16, view.where("order") << ": must be in [1, 16]");
  o.order = static_cast<int>(order);
  const std::int64_t batches = view.get_int("batches");
  REVEST_REQUIRE(batches >= 1 && batches <= 100000, view.where("batches") << ": must be >= 1");
  o.batches = static_cast<std::size_t>(batches);
  auto count = [&](const char* key, std::int64_t minimum) {
    const std::int64_t v = view.get_int(key);
    REVEST_REQUIRE(v >= minimum, view.where(key) << ": must be >= " << minimum);
    return static_cast<std::size_t>(v);
  };
  o.paths = count("paths", 2 * batches);
  o.regression_paths = count("regression_paths", 2 * batches);
  o.real_world_paths = count("real_world_paths", 0);
  o.antithetic = view.get_bool("antithetic");
  o.control_variate = view.get_bool("control_variate");
  o.upper_bound = view.get_bool("upper_bound");
  o.upper_outer = count("upper_outer", 2);
  o.upper_inner = count("upper_inner", 2);
  o.counterfactual_dig_index = view.get_double("counterfactual_dig_index");
  REVEST_REQUIRE(o.counterfactual_dig_index >= 0.0 && o.counterfactual_dig_index < 1.0,
                 view.where("counterfactual_dig_index") << ": must be in [0, 1)");
  if (pr.kind == realopt::ProcessKind::kMeanReverting) {
    REVEST_REQUIRE(pr.mean_reversion_speed > 0.0, view.where("mean_reversion_speed")
                                                      << ": must be > 0");
    REVEST_REQUIRE(pr.long_run_ratio > 0.0, view.where("long_run_ratio") << ": must be > 0");
  }
  if (pr.kind == realopt::ProcessKind::kJumpDiffusion)
    REVEST_REQUIRE(pr.jump_intensity >= 0.0 && pr.jump_sd >= 0.0,
                   view.where("jump_intensity") << ": intensity and jump_sd must be >= 0");
  pr.validate();
  pj.validate();
  return o;
}

realopt::Process process_of(const RealOptionsOptions& o, const io::ProjectParams& p) {
  return realopt::make_process(o.process, p.v0, p.r, p.delta, p.sigma, p.mu);
}

RealOptionsAnalysis::RealOptionsAnalysis(std::string name, const io::Geography& geo,
                                         const io::Projects& projects, RealOptionsOptions options)
    : name_(std::move(name)), options_(options), N_(geo.size()), projects_(projects) {
  REVEST_REQUIRE(projects_.num_counties() == N_,
                 "real options '" << name_ << "': " << projects_.source << " has "
                                  << projects_.num_counties() << " counties, the geography " << N_);
  for (const auto& c : geo.counties) {
    adcode_.push_back(c.adcode_ref);
    county_name_.push_back(c.name_ref);
  }
  // Validate every project and scenario now (a clear error before any task runs).
  for (std::size_t i = 0; i < N_; ++i)
    for (std::size_t m = 0; m < kModes; ++m) {
      const io::ProjectParams& pp = projects_.at(i, m);
      for (std::size_t s = 0; s < kScenarios; ++s) {
        const io::ProjectParams q =
            s == 0 ? pp : pp.at_dig_index(options_.counterfactual_dig_index);
        std::ostringstream what;
        what << projects_.source << ": county " << adcode_[i] << " mode " << io::kModes[m]
             << (s == 0 ? "" : " (counterfactual digital index)");
        process_of(options_, q).validate(what.str());
        realopt::make_project(options_.project, q.investment, q.horizon).validate(what.str());
      }
      dates_ =
          std::max<std::size_t>(dates_, static_cast<std::size_t>(lsm_options(pp.horizon).dates()));
    }
}

realopt::LsmOptions RealOptionsAnalysis::lsm_options(double horizon) const {
  realopt::LsmOptions o;
  o.horizon = horizon;
  o.dates_per_year = options_.exercise_per_year;
  o.basis = options_.basis;
  o.order = options_.order;
  auto per_batch = [&](std::size_t total) {
    std::size_t n = (total + options_.batches - 1) / options_.batches;
    return n + (n % 2);  // even, for antithetic pairs
  };
  o.regression_paths = per_batch(options_.regression_paths);
  o.pricing_paths = per_batch(options_.paths);
  o.real_world_paths = options_.real_world_paths ? per_batch(options_.real_world_paths) : 0;
  o.antithetic = options_.antithetic;
  o.control_variate = options_.control_variate;
  o.upper_bound = options_.upper_bound;
  o.upper_outer = per_batch(options_.upper_outer);
  o.upper_inner = options_.upper_inner;
  return o;
}

std::vector<ReplicationSpec> RealOptionsAnalysis::replication_specs() const {
  return {{"values",
           {kScenarios, kModes, kFields},
           "per task (batch * counties + county): scenario (0: county's digital index, 1: "
           "counterfactual) x mode (primary, "
           "secondary, tertiary) x field (value, se, value without control variate, its se, "
           "European value, real-world probability of investing, mean time of investing, dual "
           "upper bound, its se)"},
          {"boundary",
           {kModes, dates_ + 1},
           "per batch: investment threshold V*(t_k) of each mode at the county's digital index "
           "(NaN: no threshold in the simulated range)"}};
}

TaskOutcome RealOptionsAnalysis::run_task(std::size_t task, Rng& rng,
                                          std::span<const std::span<double>> out) const {
  const std::size_t i = task % N_;  // batch-major: task = batch * N + county
  for (std::size_t s = 0; s < kScenarios; ++s)
    for (std::size_t m = 0; m < kModes; ++m) {
      const io::ProjectParams& pp = projects_.at(i, m);
      const io::ProjectParams q = s == 0 ? pp : pp.at_dig_index(options_.counterfactual_dig_index);
      realopt::LsmOptions lo = lsm_options(q.horizon);
      lo.boundary = s == 0;
      Rng r = rng;  // common random numbers across modes and scenarios
      const realopt::Valuation res = realopt::value_lsm(
          process_of(options_, q), realopt::make_project(options_.project, q.investment, q.horizon),
          lo, r);
      if (!res.status.ok()) {
        std::ostringstream msg;
        msg << "county " << adcode_[i] << " mode " << io::kModes[m] << ": " << res.status.message;
        return {TaskStatus::kNumericalFailure, msg.str()};
      }
      double* row = out[0].data() + (s * kModes + m) * kFields;
      row[kValue] = res.value;
      row[kSe] = res.se;
      row[kValuePlain] = res.value_plain;
      row[kSePlain] = res.se_plain;
      row[kEuropean] = res.european;
      row[kProbability] = res.exercise_probability;
      row[kTime] = res.mean_exercise_time;
      row[kUpper] = res.upper;
      row[kUpperSe] = res.upper_se;
      if (s == 0)
        for (std::size_t k = 0; k < res.boundary.size() && k <= dates_; ++k)
          out[1][m * (dates_ + 1) + k] = res.boundary[k];
    }
  return {};
}

std::vector<Table> RealOptionsAnalysis::summarize(ReplicationReader& reader) const {
  const std::size_t B = options_.batches, row = kScenarios * kModes * kFields;
  const std::vector<double> vals = reader.read_columns(0, 0, row);
  const std::size_t brow = kModes * (dates_ + 1);
  const std::vector<double> bnd = reader.read_columns(1, 0, brow);
  auto at = [&](std::size_t i, std::size_t b, std::size_t s, std::size_t m, Field f) {
    return vals[(b * N_ + i) * row + (s * kModes + m) * kFields + f];
  };
  auto batch_values = [&](std::size_t i, std::size_t s, std::size_t m, Field f) {
    std::vector<double> v(B);
    for (std::size_t b = 0; b < B; ++b) v[b] = at(i, b, s, m, f);
    return v;
  };
  // Standard error of a batch mean: between batches when B > 1, else the batch's own.
  auto batch_se = [&](const stats::MeanSd& mo, std::size_t i, std::size_t s, std::size_t m) {
    if (mo.n > 1) return mo.sd / std::sqrt(static_cast<double>(mo.n));
    return mo.n == 1 ? stats::mean_sd(batch_values(i, s, m, kSe)).mean : kNaN;
  };

  Table val{"valuation",
            "per county x mode: static NPV, option-adjusted value (LSM low estimate, mean over " +
                std::to_string(B) +
                " batches; se between batches), option premium, value without "
                "digital empowerment (counterfactual index " +
                std::to_string(options_.counterfactual_dig_index) +
                ") and the difference, real-world probability and mean time of investing, dual "
                "upper bound (if asked); money in the units of projects.csv (10k yuan)",
            {}};
  std::vector<std::int64_t> adcode, nbatch;
  std::vector<std::string> cname, mode;
  enum {
    cV0,
    cI,
    cSigma,
    cDelta,
    cNpv,
    cValue,
    cSe,
    cWithinSe,
    cPremium,
    cEuropean,
    cValueCf,
    cSeCf,
    cDigital,
    cDigitalSe,
    cProb,
    cTime,
    cUpper,
    cUpperSe,
    cNcols
  };
  std::vector<std::vector<double>> col(cNcols);
  for (std::size_t i = 0; i < N_; ++i)
    for (std::size_t m = 0; m < kModes; ++m) {
      const io::ProjectParams& pp = projects_.at(i, m);
      adcode.push_back(adcode_[i]);
      cname.push_back(county_name_[i]);
      mode.push_back(io::kModes[m]);
      const stats::MeanSd v = stats::mean_sd(batch_values(i, 0, m, kValue));
      const stats::MeanSd vc = stats::mean_sd(batch_values(i, 1, m, kValue));
      std::vector<double> diff(B);
      for (std::size_t b = 0; b < B; ++b) diff[b] = at(i, b, 0, m, kValue) - at(i, b, 1, m, kValue);
      const stats::MeanSd d = stats::mean_sd(diff);
      const stats::MeanSd within = stats::mean_sd(batch_values(i, 0, m, kSe));
      nbatch.push_back(static_cast<std::int64_t>(v.n));
      col[cV0].push_back(pp.v0);
      col[cI].push_back(pp.investment);
      col[cSigma].push_back(pp.sigma);
      col[cDelta].push_back(pp.delta);
      col[cNpv].push_back(pp.v0 - pp.investment);
      col[cValue].push_back(v.mean);
      col[cSe].push_back(batch_se(v, i, 0, m));
      col[cWithinSe].push_back(v.n ? within.mean / std::sqrt(static_cast<double>(v.n)) : kNaN);
      col[cPremium].push_back(v.mean - (pp.v0 - pp.investment));
      col[cEuropean].push_back(stats::mean_sd(batch_values(i, 0, m, kEuropean)).mean);
      col[cValueCf].push_back(vc.mean);
      col[cSeCf].push_back(batch_se(vc, i, 1, m));
      col[cDigital].push_back(d.mean);
      col[cDigitalSe].push_back(d.n > 1 ? d.sd / std::sqrt(static_cast<double>(d.n)) : kNaN);
      col[cProb].push_back(stats::mean_sd(batch_values(i, 0, m, kProbability)).mean);
      col[cTime].push_back(stats::mean_sd(batch_values(i, 0, m, kTime)).mean);
      col[cUpper].push_back(stats::mean_sd(batch_values(i, 0, m, kUpper)).mean);
      col[cUpperSe].push_back(stats::mean_sd(batch_values(i, 0, m, kUpperSe)).mean /
                              std::sqrt(static_cast<double>(std::max<std::size_t>(1, v.n))));
    }
  const std::string money = "10k yuan";  // as V0 and I in projects.csv (data/README.md section 8)
  val.columns = {
      {"adcode", adcode, "2022 official county code"},
      {"county", cname, "2022 official county name"},
      {"mode", mode, "industry mode: primary, secondary or tertiary"},
      {"v0", col[cV0], "project value today", money},
      {"investment", col[cI], "investment cost I", money},
      {"sigma", col[cSigma], "volatility of V", "1/sqrt(year)"},
      {"delta", col[cDelta], "payout yield", "1/year"},
      {"static_npv", col[cNpv], "V0 - I (invest now, no flexibility)", money},
      {"value", col[cValue], "option-adjusted value (all embedded options)", money},
      {"se", col[cSe], "standard error of value (between batches)", money},
      {"within_se", col[cWithinSe], "pricing-path standard error of value (within batches)", money},
      {"premium", col[cPremium], "value - static_npv", money},
      {"european", col[cEuropean], "closed-form European value of the first action (the control)",
       money},
      {"value_no_digital", col[cValueCf], "value at the counterfactual digital index", money},
      {"se_no_digital", col[cSeCf], "standard error of value_no_digital (between batches)", money},
      {"digital_value", col[cDigital], "value - value_no_digital (common random numbers)", money},
      {"digital_value_se", col[cDigitalSe], "standard error of digital_value (between batches)",
       money},
      {"invest_probability", col[cProb], "real-world probability of investing by the horizon", "1"},
      {"invest_time", col[cTime], "real-world mean time of investing, given investing", "year"},
      {"upper", col[cUpper], "Andersen-Broadie dual upper bound (NaN unless asked)", money},
      {"upper_se", col[cUpperSe], "standard error of upper", money},
      {"batches", nbatch, "successful batches"}};

  Table match{"matching",
              "per county: the mode with the highest option-adjusted value, the share of batches "
              "in which each mode is best, and the best mode without digital empowerment",
              {}};
  {
    std::vector<std::int64_t> ad;
    std::vector<std::string> nm, best, best_cf;
    std::vector<double> best_value, prob_best, p[3];
    for (std::size_t i = 0; i < N_; ++i) {
      Eigen::MatrixXd v(static_cast<Eigen::Index>(B), static_cast<Eigen::Index>(kModes));
      Eigen::MatrixXd vc(v.rows(), v.cols());
      for (std::size_t b = 0; b < B; ++b)
        for (std::size_t m = 0; m < kModes; ++m) {
          v(static_cast<Eigen::Index>(b), static_cast<Eigen::Index>(m)) = at(i, b, 0, m, kValue);
          vc(static_cast<Eigen::Index>(b), static_cast<Eigen::Index>(m)) = at(i, b, 1, m, kValue);
        }
      const realopt::ModeMatching mm = realopt::match_modes(v);
      const std::size_t bm = mm.best, bc = realopt::match_modes(vc).best;
      ad.push_back(adcode_[i]);
      nm.push_back(county_name_[i]);
      best.push_back(io::kModes[bm]);
      best_cf.push_back(io::kModes[bc]);
      best_value.push_back(mm.mean[bm]);
      prob_best.push_back(mm.share_best[bm]);
      for (std::size_t m = 0; m < kModes; ++m) p[m].push_back(mm.share_best[m]);
    }
    match.columns = {
        {"adcode", ad, "2022 official county code"},
        {"county", nm, "2022 official county name"},
        {"best_mode", best, "highest mean option-adjusted value"},
        {"best_value", best_value, "mean option-adjusted value of best_mode", "10k yuan"},
        {"prob_best", prob_best, "share of batches in which best_mode is best", "1"},
        {"prob_primary", p[0], "share of batches in which primary is best", "1"},
        {"prob_secondary", p[1], "share of batches in which secondary is best", "1"},
        {"prob_tertiary", p[2], "share of batches in which tertiary is best", "1"},
        {"best_mode_no_digital", best_cf, "best mode at the counterfactual digital index"}};
  }

  Table bt{"boundary",
           "investment threshold V*(t) per county, mode and exercise date: mean over batches of "
           "the value above which entering (investing, or the pilot when staged) is optimal",
           {}};
  {
    std::vector<std::int64_t> ad, nb;
    std::vector<std::string> md;
    std::vector<double> t, vs, vsd;
    for (std::size_t i = 0; i < N_; ++i)
      for (std::size_t m = 0; m < kModes; ++m) {
        const double H = projects_.at(i, m).horizon;
        const std::size_t K = static_cast<std::size_t>(lsm_options(H).dates());
        for (std::size_t k = 0; k <= K; ++k) {
          std::vector<double> v(B);
          for (std::size_t b = 0; b < B; ++b)
            v[b] = bnd[(b * N_ + i) * brow + m * (dates_ + 1) + k];
          const stats::MeanSd mo = stats::mean_sd(v);
          ad.push_back(adcode_[i]);
          md.push_back(io::kModes[m]);
          t.push_back(H * static_cast<double>(k) / static_cast<double>(K));
          vs.push_back(mo.mean);
          vsd.push_back(mo.sd);
          nb.push_back(static_cast<std::int64_t>(mo.n));
        }
      }
    bt.columns = {{"adcode", ad, "2022 official county code"},
                  {"mode", md, "industry mode: primary, secondary or tertiary"},
                  {"t", t, "exercise date", "year"},
                  {"v_star", vs, "mean threshold over the batches that have one", "10k yuan"},
                  {"v_star_sd", vsd, "sd across batches", "10k yuan"},
                  {"batches", nb, "batches with a threshold in their simulated range"}};
  }
  return {val, match, bt};
}

}  // namespace revest::analyses
