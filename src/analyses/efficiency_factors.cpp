#include "analyses/efficiency_factors.hpp"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include "analyses/did.hpp"
#include "analyses/table_builder.hpp"
#include "core/error.hpp"

namespace revest::analyses {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const std::vector<std::string>& model_names() {
  static const std::vector<std::string> names{
      "tobit", "fractional_logit", "fractional_probit", "ols", "sw1", "sw2"};
  return names;
}

/// Cluster ids per county (empty: none): did's cluster_ids at the level.
std::vector<int> county_clusters(const io::Geography& geo, FactorCluster c) {
  switch (c) {
    case FactorCluster::kNone:
      return {};
    case FactorCluster::kCounty:
      return cluster_ids(geo, ClusterLevel::kCounty);
    case FactorCluster::kPrefecture:
      return cluster_ids(geo, ClusterLevel::kPrefecture);
    case FactorCluster::kProvince:
      break;
  }
  return cluster_ids(geo, ClusterLevel::kProvince);
}

}  // namespace

const char* to_string(FactorModel m) { return model_names()[static_cast<std::size_t>(m)].c_str(); }

FactorModel factor_model_from_string(const std::string& s) {
  const auto& n = model_names();
  const auto it = std::find(n.begin(), n.end(), s);
  REVEST_REQUIRE(it != n.end(), "unknown model '"
                                    << s
                                    << "' (tobit, fractional_logit, fractional_probit, ols, sw1 "
                                       "or sw2)");
  return static_cast<FactorModel>(it - n.begin());
}

const char* to_string(FactorCluster c) {
  switch (c) {
    case FactorCluster::kNone:
      return "none";
    case FactorCluster::kCounty:
      return "county";
    case FactorCluster::kPrefecture:
      return "prefecture";
    case FactorCluster::kProvince:
      return "province";
  }
  return "?";
}

FactorCluster factor_cluster_from_string(const std::string& s) {
  for (auto c : {FactorCluster::kNone, FactorCluster::kCounty, FactorCluster::kPrefecture,
                 FactorCluster::kProvince})
    if (s == to_string(c)) return c;
  REVEST_FAIL("unknown clustering '" << s << "' (none, county, prefecture or province)");
}

EfficiencyFactorsOptions EfficiencyFactorsOptions::from(const io::OptionView& v) {
  EfficiencyFactorsOptions o;
  o.scores_from = v.get_string("scores_from");
  o.score_variable = v.get_string("score_variable");
  REVEST_REQUIRE(o.scores_from.empty() != o.score_variable.empty(),
                 v.where(o.scores_from.empty() ? "scores_from" : "score_variable")
                     << ": give exactly one of scores_from (a three_stage_dea analysis of the job) "
                        "and score_variable (a panel column of scores)");
  const auto stage = v.get_int("stage");
  REVEST_REQUIRE(stage == 1 || stage == 3, v.where("stage") << ": must be 1 or 3, got " << stage);
  o.stage = static_cast<int>(stage);
  o.environment = v.get_strings("environment");
  REVEST_REQUIRE(!v.given("environment") || !o.environment.empty(),
                 v.where("environment")
                     << ": an empty list (leave the option out to use every indicator whose "
                        "uses contain \"environment\")");
  o.models.clear();
  for (const auto& m : v.get_strings("models")) {
    try {
      const FactorModel f = factor_model_from_string(m);
      REVEST_REQUIRE(!o.has(f), "'" << m << "' twice");
      o.models.push_back(f);
    } catch (const Error& e) {
      REVEST_FAIL(v.where("models") << ": " << e.what());
    }
  }
  REVEST_REQUIRE(!o.models.empty(), v.where("models") << ": give at least one model");
  REVEST_REQUIRE(
      o.score_variable.empty() || (!o.has(FactorModel::kSw1) && !o.has(FactorModel::kSw2)),
      v.where("models") << ": sw1 and sw2 re-run the DEA of the scores, which a panel column "
                           "(score_variable) does not have: take the scores from a "
                           "three_stage_dea analysis (scores_from), or leave sw1 and sw2 out");
  o.tobit.censoring = v.get_choice("censoring", {"upper", "both"}, factors::censoring_from_string);
  o.tobit.censor_tolerance = v.get_double("censor_tolerance");
  REVEST_REQUIRE(o.tobit.censor_tolerance >= 0 && o.tobit.censor_tolerance < 1e-3,
                 v.where("censor_tolerance") << ": must be in [0, 1e-3)");
  o.cluster = v.get_choice("cluster", {"none", "county", "prefecture", "province"},
                           factor_cluster_from_string);
  o.per_year = v.get_bool("per_year");
  o.pooled = v.get_bool("pooled");
  REVEST_REQUIRE(o.per_year || o.pooled,
                 v.where("pooled") << ": per_year and pooled are both false: nothing to estimate");
  o.year_effects = v.get_bool("year_effects");
  const auto l1 = v.get_int("l1");
  REVEST_REQUIRE(l1 >= 1 && l1 <= 1000000, v.where("l1") << ": must be in [1, 1e6]");
  o.l1 = static_cast<std::size_t>(l1);
  const auto l2 = v.get_int("l2");
  REVEST_REQUIRE(l2 >= 2 && l2 <= 1000000, v.where("l2") << ": must be in [2, 1e6]");
  o.l2 = static_cast<std::size_t>(l2);
  const auto pt = v.get_int("replications_per_task");
  REVEST_REQUIRE(pt >= 1 && pt <= 1000000, v.where("replications_per_task")
                                               << ": must be in [1, 1e6]");
  o.replications_per_task = static_cast<std::size_t>(pt);
  o.confidence = v.get_double("confidence");
  REVEST_REQUIRE(o.confidence > 0 && o.confidence < 1, v.where("confidence")
                                                           << ": must be in (0, 1)");
  o.efficient_tolerance = v.get_double("efficient_tolerance");
  REVEST_REQUIRE(o.efficient_tolerance >= 0 && o.efficient_tolerance < 1e-3,
                 v.where("efficient_tolerance") << ": must be in [0, 1e-3)");
  o.tobit.validate();
  return o;
}

bool EfficiencyFactorsOptions::has(FactorModel m) const {
  return std::find(models.begin(), models.end(), m) != models.end();
}

std::vector<std::string> EfficiencyFactorsOptions::resolved_environment(
    const io::IndicatorSystem& s) const {
  return environment.empty() ? s.used_by("environment") : environment;
}

bool EfficiencyFactorsAnalysis::with_sw() const {
  return opt_.has(FactorModel::kSw1) || opt_.has(FactorModel::kSw2);
}

RngKey EfficiencyFactorsAnalysis::key(const Sample& s) const {
  return RngKey(opt_.seed, name_ + "/" + s.label);
}

EfficiencyFactorsAnalysis::EfficiencyFactorsAnalysis(std::string name, const io::Geography& geo,
                                                     const io::Panel& panel,
                                                     const io::IndicatorSystem& indicators,
                                                     EfficiencyFactorsOptions options)
    : name_(std::move(name)), opt_(std::move(options)) {
  const std::string ctx = "efficiency_factors '" + name_ + "'";
  const std::size_t N = geo.size(), T = panel.num_years();
  for (const auto& c : geo.counties) {
    adcode_.push_back(c.adcode_ref);
    county_name_.push_back(c.name_ref);
  }
  years_ = panel.years;
  auto where = [&](std::size_t i, std::size_t t) {
    std::ostringstream os;
    os << "county " << county_name_[i] << " (" << adcode_[i] << "), year " << panel.years[t];
    return os.str();
  };
  // Scores per year (NaN where not observed) and, for Simar-Wilson, the DEA data of each year.
  std::vector<std::vector<double>> theta(T, std::vector<double>(N, kNaN));
  std::vector<Eigen::MatrixXd> dea_x(T), dea_y(T);
  dea::Returns returns = dea::Returns::kVrs;
  if (opt_.source) {
    ThreeStageDeaOptions src = *opt_.source;
    REVEST_REQUIRE(opt_.stage == 1 || src.method.stages == 3,
                   ctx << ": stage = 3, but the analysis '" << opt_.scores_from
                       << "' has one stage only (set stage = 1)");
    REVEST_REQUIRE(src.method.orientation == dea::Orientation::kInput,
                   ctx << ": the analysis '" << opt_.scores_from
                       << "' is output-oriented; the regressions explain input-oriented scores "
                          "theta in (0, 1]");
    src.malmquist = false;
    src.super_efficiency = false;
    returns = src.method.returns;
    const ThreeStageDeaAnalysis a(opt_.scores_from, geo, panel, indicators, src);
    for (std::size_t t = 0; t < T; ++t) {
      const ThreeStageYear& Y = a.years()[t];
      const dea::DeaResult& r = opt_.stage == 1 ? Y.r.stage1 : Y.r.stage3;
      for (std::size_t q = 0; q < Y.units.size(); ++q) {
        REVEST_REQUIRE(std::isfinite(r.farrell[q]),
                       ctx << ": the stage-" << opt_.stage << " DEA of " << where(Y.units[q], t)
                           << " failed (" << to_string(r.unit_status[q])
                           << "): no score to explain");
        theta[t][Y.units[q]] = r.farrell[q];
      }
      dea_x[t] = opt_.stage == 1 ? Y.r.x : Y.r.x_adj;
      dea_y[t] = Y.r.y;
    }
  } else {
    REVEST_REQUIRE(panel.has(opt_.score_variable),
                   ctx << ": score_variable '" << opt_.score_variable << "' is not in the panel");
    const std::size_t v = panel.variable_index(opt_.score_variable);
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t i : panel.units_in(t)) {
        const double s = panel.at(v, i, t);
        REVEST_REQUIRE(std::isfinite(s) && s > 0 && s <= 1 + opt_.tobit.censor_tolerance,
                       ctx << ": " << opt_.score_variable << " = " << s << " for " << where(i, t)
                           << " (efficiency scores must be in (0, 1])");
        theta[t][i] = std::min(s, 1.0);
      }
  }
  // The environment of every observed county-year.
  const std::vector<std::string> env = opt_.resolved_environment(indicators);
  REVEST_REQUIRE(!env.empty(), ctx << ": no environment variables (option 'environment' or use "
                                      "\"environment\" in the indicator system)");
  std::vector<std::size_t> venv;
  for (const auto& e : env) {
    REVEST_REQUIRE(panel.has(e), ctx << ": environment variable '" << e << "' is not in the panel");
    venv.push_back(panel.variable_index(e));
  }
  const std::vector<int> cl = county_clusters(geo, opt_.cluster);
  factors::SwAlgorithm2Options sw;
  sw.returns = returns;
  sw.l1 = opt_.l1;
  sw.l2 = opt_.l2;
  sw.confidence = opt_.confidence;
  sw.efficient_tolerance = opt_.efficient_tolerance;
  std::vector<std::vector<std::size_t>> units_in(T);
  for (std::size_t t = 0; t < T; ++t) units_in[t] = panel.units_in(t);
  // Builds a sample of the rows (county, year index).
  auto make = [&](std::string label, int year,
                  const std::vector<std::pair<std::size_t, std::size_t>>& rows, bool dummies) {
    Sample s;
    s.label = std::move(label);
    s.year = year;
    const auto n = static_cast<Eigen::Index>(rows.size());
    std::vector<std::size_t> dummy_years;
    if (dummies)
      for (std::size_t t = 1; t < T; ++t) dummy_years.push_back(t);
    const auto k = static_cast<Eigen::Index>(1 + env.size() + dummy_years.size());
    REVEST_REQUIRE(n > k + 1, ctx << ": " << n << " observations in " << s.label
                                  << " are too few for " << k << " regressors");
    s.theta.resize(n);
    s.X = Eigen::MatrixXd::Zero(n, k);
    s.terms.push_back("(intercept)");
    s.terms.insert(s.terms.end(), env.begin(), env.end());
    for (std::size_t t : dummy_years) s.terms.push_back("year " + std::to_string(panel.years[t]));
    for (Eigen::Index r = 0; r < n; ++r) {
      const auto [i, t] = rows[static_cast<std::size_t>(r)];
      s.unit.push_back(i);
      s.year_index.push_back(t);
      s.theta[r] = theta[t][i];
      s.X(r, 0) = 1.0;
      for (std::size_t j = 0; j < venv.size(); ++j) {
        const double z = panel.at(venv[j], i, t);
        REVEST_REQUIRE(std::isfinite(z),
                       ctx << ": no value of " << env[j] << " for " << where(i, t));
        s.X(r, static_cast<Eigen::Index>(1 + j)) = z;
      }
      for (std::size_t d = 0; d < dummy_years.size(); ++d)
        if (t == dummy_years[d]) s.X(r, static_cast<Eigen::Index>(1 + env.size() + d)) = 1.0;
      if (!cl.empty() && (year == 0 || opt_.cluster != FactorCluster::kCounty))
        s.cluster.push_back(cl[i]);
    }
    if (with_sw()) {
      Eigen::MatrixXd x(n, dea_x[rows[0].second].cols()), y(n, dea_y[rows[0].second].cols());
      std::vector<int> frontier;
      for (Eigen::Index r = 0; r < n; ++r) {
        const auto [i, t] = rows[static_cast<std::size_t>(r)];
        // The county's row in its year's DEA matrices: its rank among that year's units.
        const std::vector<std::size_t>& units = units_in[t];
        const auto q = std::lower_bound(units.begin(), units.end(), i) - units.begin();
        x.row(r) = dea_x[t].row(q);
        y.row(r) = dea_y[t].row(q);
        frontier.push_back(static_cast<int>(t));
      }
      try {
        s.sw.emplace(x, y, s.X.rightCols(k - 1), sw, frontier);
      } catch (const Error& e) {
        REVEST_FAIL(ctx << ", " << s.label << ": " << e.what());
      }
    }
    s.offset = row_size_;
    if (opt_.has(FactorModel::kSw2)) row_size_ += rows.size();
    const std::size_t params = s.X.cols() + 1;  // constant, environment (, dummies), sigma
    s.offset_sw1 = row2_size_;
    if (opt_.has(FactorModel::kSw1)) row2_size_ += params;
    s.offset_sw2 = row2_size_;
    if (opt_.has(FactorModel::kSw2)) row2_size_ += params;
    samples_.push_back(std::move(s));
  };
  if (opt_.per_year)
    for (std::size_t t = 0; t < T; ++t) {
      std::vector<std::pair<std::size_t, std::size_t>> rows;
      for (std::size_t i : units_in[t]) rows.emplace_back(i, t);
      make(std::to_string(panel.years[t]), panel.years[t], rows, false);
    }
  if (opt_.pooled) {
    std::vector<std::pair<std::size_t, std::size_t>> rows;
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t i : units_in[t]) rows.emplace_back(i, t);
    make("pooled", 0, rows, opt_.year_effects && T > 1);
  }
  row_size_ = std::max<std::size_t>(row_size_, 1);
  row2_size_ = std::max<std::size_t>(row2_size_, 1);
}

std::size_t EfficiencyFactorsAnalysis::l1_tasks() const {
  return opt_.has(FactorModel::kSw2) ? opt_.l1 : 0;
}

std::size_t EfficiencyFactorsAnalysis::l2_tasks() const {
  const std::size_t P = opt_.replications_per_task;
  return with_sw() ? (opt_.l2 + P - 1) / P : 0;
}

std::size_t EfficiencyFactorsAnalysis::num_tasks() const {
  return std::max<std::size_t>(1, l1_tasks() + l2_tasks());
}

std::size_t EfficiencyFactorsAnalysis::phase_boundary() const {
  return opt_.has(FactorModel::kSw2) ? l1_tasks() : 0;
}

std::vector<ReplicationSpec> EfficiencyFactorsAnalysis::replication_specs() const {
  return {{"l1_delta",
           {row_size_},
           "Simar-Wilson Algorithm 2, L1 replication b = task (tasks 0 .. l1 - 1): delta* = 1 / "
           "theta* of every county-year of every sample against its pseudo-sample (samples in the "
           "order of the `fits` table, rows in the order of `scores`); NaN in the other tasks",
           "1"},
          {"l2",
           {opt_.replications_per_task, row2_size_},
           "Simar-Wilson replications (tasks l1 ..., replications_per_task each: b = (task - l1) "
           "x replications_per_task + row): per sample, Algorithm 1's (constant, environment, "
           "sigma) then Algorithm 2's L2 re-estimate; NaN in the L1 tasks and beyond l2",
           ""}};
}

std::vector<std::optional<factors::SwAlgorithm2>> EfficiencyFactorsAnalysis::bias_corrected(
    ReplicationReader& reader) const {
  std::vector<std::optional<factors::SwAlgorithm2>> out(samples_.size());
  if (!opt_.has(FactorModel::kSw2)) return out;
  const auto status = reader.status();
  const std::size_t L1 = l1_tasks();
  for (std::size_t si = 0; si < samples_.size(); ++si) {
    const Sample& s = samples_[si];
    const std::size_t n = s.unit.size();
    const auto raw = reader.read_columns(0, s.offset, s.offset + n);
    Eigen::MatrixXd l1 = Eigen::MatrixXd::Constant(static_cast<Eigen::Index>(L1),
                                                   static_cast<Eigen::Index>(n), kNaN);
    for (std::size_t b = 0; b < L1; ++b)
      if (status[b] == TaskStatus::kOk)
        for (std::size_t i = 0; i < n; ++i)
          l1(static_cast<Eigen::Index>(b), static_cast<Eigen::Index>(i)) = raw[b * n + i];
    out[si].emplace(*s.sw);
    out[si]->bias_correct(l1);
  }
  return out;
}

void EfficiencyFactorsAnalysis::prepare(ReplicationReader& first_phase) {
  corrected_ = bias_corrected(first_phase);
}

TaskOutcome EfficiencyFactorsAnalysis::run_task(std::size_t task, Rng& /*rng*/,
                                                std::span<const std::span<double>> out) const {
  if (task < l1_tasks()) {
    for (const Sample& s : samples_) {
      const Eigen::VectorXd d = s.sw->l1_replication(task, key(s).stream(0));
      std::copy(d.begin(), d.end(), out[0].begin() + static_cast<std::ptrdiff_t>(s.offset));
    }
    return {};
  }
  if (!with_sw()) return {};  // Tobit, fractional and OLS only: one task with nothing to do
  REVEST_REQUIRE(
      !opt_.has(FactorModel::kSw2) || corrected_.size() == samples_.size(),
      "efficiency_factors '" << name_ << "': an L2 task before prepare() (internal error)");
  const std::size_t P = opt_.replications_per_task, k = task - l1_tasks();
  for (std::size_t j = 0; j < P && k * P + j < opt_.l2; ++j) {
    const std::size_t b = k * P + j;
    for (std::size_t si = 0; si < samples_.size(); ++si) {
      const Sample& s = samples_[si];
      const Rng streams = key(s).stream(0);
      auto put = [&](std::size_t offset, const Eigen::VectorXd& v) {
        std::copy(v.begin(), v.end(),
                  out[1].begin() + static_cast<std::ptrdiff_t>(j * row2_size_ + offset));
      };
      if (opt_.has(FactorModel::kSw1)) put(s.offset_sw1, s.sw->alg1_replication(b, streams));
      if (opt_.has(FactorModel::kSw2))
        put(s.offset_sw2, corrected_[si]->l2_replication(b, streams));
    }
  }
  return {};
}

std::vector<Table> EfficiencyFactorsAnalysis::summarize(ReplicationReader& reader) const {
  const auto status = reader.status();
  TableBuilder est, ape, fits, scores;
  const double z = boost::math::quantile(boost::math::normal(), 0.5 + opt_.confidence / 2);
  // Algorithm 2's state after the bias correction (recomputed from the L1 rows: a resumed run
  // may not have called prepare()), the Simar-Wilson replications, the bias-corrected delta.
  const auto corrected = bias_corrected(reader);
  const std::vector<double> l2raw =
      with_sw() ? reader.read_columns(1, 0, opt_.replications_per_task * row2_size_)
                : std::vector<double>{};
  std::vector<Eigen::VectorXd> delta_bc(samples_.size());
  for (std::size_t si = 0; si < samples_.size(); ++si) {
    const Sample& s = samples_[si];
    // One row of `estimates`, and one of `fits`, for every model alike.
    auto est_row = [&](const std::string& model, const std::string& term, double estimate,
                       double se, double se_robust, double lower, double upper) {
      est.s("sample", s.label, "year of the cross-section, or pooled (every county-year)");
      est.s("model", model,
            "tobit, fractional_logit, fractional_probit, ols (on theta), sw1, sw2 (Simar-Wilson "
            "truncated regression of delta = 1 / theta: opposite signs)");
      est.s("term", term, "regressor, or sigma (Tobit, Simar-Wilson)");
      est.d("estimate", estimate, "coefficient (Simar-Wilson sw2: on the bias-corrected delta)");
      est.d("se", se, "model-based standard error (ML information; NaN where not valid)");
      est.d("se_robust", se_robust,
            "robust (clustered per `cluster`) standard error; Simar-Wilson: bootstrap sd");
      est.d("lower", lower,
            "interval at `confidence`: estimate -/+ z se_robust, or the bootstrap percentile "
            "interval (Simar-Wilson)");
      est.d("upper", upper, "upper end of the interval");
    };
    struct Fit {
      std::string status;
      std::size_t observations = 0, censored_lower = 0, censored_upper = 0, clusters = 0;
      double log_likelihood = kNaN, sigma = kNaN;
      std::size_t replications = 0;
    };
    auto fit_row = [&](const std::string& model, const Fit& f) {
      fits.s("sample", s.label, "year of the cross-section, or pooled");
      fits.s("model", model, "the model");
      fits.s("status", f.status, "ok, or the estimator's failure");
      fits.i("observations", static_cast<std::int64_t>(f.observations),
             "observations regressed (Simar-Wilson: the units with delta > 1)");
      fits.i("censored_lower", static_cast<std::int64_t>(f.censored_lower),
             "Tobit: observations censored at 0");
      fits.i("censored_upper", static_cast<std::int64_t>(f.censored_upper),
             "Tobit: observations censored at 1");
      fits.i("clusters", static_cast<std::int64_t>(f.clusters),
             "clusters of the robust standard errors (one per observation when not clustered; 0: "
             "Simar-Wilson)");
      fits.d("log_likelihood", f.log_likelihood,
             "log-likelihood (fractional: quasi-; Simar-Wilson: of the truncated regression)");
      fits.d("sigma", f.sigma, "Tobit / truncated regression sigma; OLS residual sd");
      fits.i("replications", static_cast<std::int64_t>(f.replications),
             "Simar-Wilson: bootstrap replications used (L2, or Algorithm 1's)");
    };
    for (const FactorModel m : opt_.models) {
      const std::string mname = to_string(m);
      if (m == FactorModel::kSw1 || m == FactorModel::kSw2) {
        factors::SwAlgorithm2Result r;
        std::size_t obs = 0;
        const std::size_t off = m == FactorModel::kSw2 ? s.offset_sw2 : s.offset_sw1;
        const auto Pn = static_cast<Eigen::Index>(s.sw->parameters());
        Eigen::MatrixXd draws =
            Eigen::MatrixXd::Constant(static_cast<Eigen::Index>(opt_.l2), Pn, kNaN);
        const std::size_t P = opt_.replications_per_task, L1 = l1_tasks();
        for (std::size_t k = 0; k < l2_tasks(); ++k)
          if (status[L1 + k] == TaskStatus::kOk)
            for (std::size_t j = 0; j < P && k * P + j < opt_.l2; ++j)
              for (Eigen::Index c = 0; c < Pn; ++c)
                draws(static_cast<Eigen::Index>(k * P + j), c) =
                    l2raw[(L1 + k) * P * row2_size_ + j * row2_size_ + off +
                          static_cast<std::size_t>(c)];
        if (m == FactorModel::kSw2) {
          r = factors::sw_algorithm2_summary(*corrected[si], draws);
          obs = corrected[si]->second_units().size();
          delta_bc[si] = corrected[si]->delta_bias_corrected();
        } else {
          r = factors::sw_algorithm1_summary(*s.sw, draws);
          obs = s.sw->first_units().size();
        }
        const bool ok = r.fit.ok();
        for (Eigen::Index j = 0; j < Pn; ++j) {
          const bool sigma = j == Pn - 1;
          est_row(mname, sigma ? "sigma" : s.terms[static_cast<std::size_t>(j)],
                  ok ? (sigma ? r.fit.sigma : r.fit.beta[j]) : kNaN,
                  ok ? (sigma ? r.fit.sigma_se : r.fit.beta_se[j]) : kNaN, r.boot_sd[j], r.lower[j],
                  r.upper[j]);
        }
        Fit f;
        f.status = r.status.ok() ? "ok" : r.status.to_string();
        f.observations = obs;
        if (ok) {
          f.log_likelihood = r.fit.loglik;
          f.sigma = r.fit.sigma;
        }
        f.replications = r.l2_used;
        fit_row(mname, f);
        continue;
      }
      factors::RegressionResult r;
      std::string st = "ok";
      try {
        switch (m) {
          case FactorModel::kTobit:
            r = factors::tobit(s.theta, s.X, s.terms, opt_.tobit, s.cluster);
            break;
          case FactorModel::kFractionalLogit:
            r = factors::fractional(s.theta, s.X, s.terms, factors::Link::kLogit, s.cluster);
            break;
          case FactorModel::kFractionalProbit:
            r = factors::fractional(s.theta, s.X, s.terms, factors::Link::kProbit, s.cluster);
            break;
          default:
            r = factors::ols(s.theta, s.X, s.terms, s.cluster);
        }
        if (!r.status.ok()) st = r.status.to_string();
      } catch (const Error& e) {
        st = e.what();
      }
      const bool ok = st == "ok";
      for (const factors::Coefficient& c : r.coefficients)
        est_row(mname, c.term, c.estimate, c.se, c.se_robust, c.estimate - z * c.se_robust,
                c.estimate + z * c.se_robust);
      for (const factors::Coefficient& c : r.partial_effects) {
        ape.s("sample", s.label, "year of the cross-section, or pooled");
        ape.s("model", mname, "tobit, fractional_logit, fractional_probit or ols");
        ape.s("term", c.term, "environment variable (or year dummy)");
        ape.d("ape", c.estimate,
              "average partial effect on E[theta | z] (units of theta per unit)");
        ape.d("se_robust", c.se_robust, "delta-method standard error (robust / clustered)");
      }
      Fit f;
      f.status = st;
      f.observations = ok ? r.observations : s.unit.size();
      f.censored_lower = r.censored_lower;
      f.censored_upper = r.censored_upper;
      f.clusters = r.clusters;
      if (ok) {
        f.log_likelihood = r.log_likelihood;
        f.sigma = r.sigma;
      }
      fit_row(mname, f);
    }
  }
  // Per county-year: the score and Algorithm 2's bias-corrected delta of its year and pooled.
  struct Score {
    double theta = kNaN, bc_year = kNaN, bc_pooled = kNaN;
  };
  std::map<std::pair<std::size_t, std::size_t>, Score> by_year_county;
  for (std::size_t si = 0; si < samples_.size(); ++si) {
    const Sample& s = samples_[si];
    for (std::size_t r = 0; r < s.unit.size(); ++r) {
      Score& e = by_year_county[{s.year_index[r], s.unit[r]}];
      e.theta = s.theta[static_cast<Eigen::Index>(r)];
      const double v = delta_bc[si].size() ? delta_bc[si][static_cast<Eigen::Index>(r)] : kNaN;
      (s.year == 0 ? e.bc_pooled : e.bc_year) = v;
    }
  }
  for (const auto& [k, e] : by_year_county) {
    const auto [t, i] = k;
    scores.i("adcode", adcode_[i], "county code");
    scores.s("county", county_name_[i], "county name");
    scores.i("year", years_[t], "year", "year");
    scores.d("theta", e.theta, "the efficiency score explained (input-oriented, in (0, 1])", "1");
    scores.d("delta", 1.0 / e.theta, "delta = 1 / theta", "1");
    scores.d("delta_bc_year", e.bc_year,
             "Simar-Wilson Algorithm 2 bias-corrected delta, the year's model (NaN: not run)", "1");
    scores.d("delta_bc_pooled", e.bc_pooled,
             "Simar-Wilson Algorithm 2 bias-corrected delta, the pooled model (NaN: not run)", "1");
  }
  std::vector<Table> out;
  out.push_back(est.table("estimates", "coefficients of every model, per sample"));
  if (!ape.cols.empty())  // only Simar-Wilson models: no partial effects
    out.push_back(ape.table("partial_effects", "average partial effects on E[theta | z]"));
  out.push_back(fits.table("fits", "one row per sample and model"));
  out.push_back(scores.table("scores", "scores and bias-corrected scores per county-year"));
  return out;
}

}  // namespace revest::analyses
