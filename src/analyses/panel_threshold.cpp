#include "analyses/panel_threshold.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "analyses/table_builder.hpp"
#include "core/error.hpp"

namespace revest::analyses {

PanelThresholdOptions PanelThresholdOptions::from(const io::OptionView& v) {
  PanelThresholdOptions o;
  o.outcome = v.get_string("outcome");
  REVEST_REQUIRE(!o.outcome.empty(), v.where("outcome") << ": give the panel outcome");
  o.regime_dependent = v.get_strings("regime_dependent");
  REVEST_REQUIRE(!o.regime_dependent.empty(),
                 v.where("regime_dependent") << ": give at least one regime-dependent regressor");
  o.controls = v.get_strings("controls");
  o.time_effects = v.get_bool("time_effects");
  o.threshold_variable = v.get_string("threshold_variable");
  REVEST_REQUIRE(!o.threshold_variable.empty(), v.where("threshold_variable")
                                                    << ": give the threshold variable");
  threshold::ThresholdOptions& m = o.method;
  const auto k = v.get_int("max_thresholds");
  REVEST_REQUIRE(k >= 1 && k <= 20, v.where("max_thresholds") << ": must be in [1, 20]");
  m.max_thresholds = static_cast<int>(k);
  const auto g = v.get_int("grid");
  REVEST_REQUIRE(g >= 10 && g <= 100000, v.where("grid") << ": must be in [10, 1e5]");
  m.grid = static_cast<std::size_t>(g);
  m.trim.clear();
  for (const double x : v.get_doubles("trim")) {
    REVEST_REQUIRE(x > 0 && x < 0.5, v.where("trim")
                                         << ": each share must be in (0, 0.5), got " << x);
    m.trim.push_back(x);
  }
  REVEST_REQUIRE(!m.trim.empty(), v.where("trim") << ": give at least one trimming share");
  const auto b = v.get_int("replications");
  REVEST_REQUIRE(b >= 0 && b <= 10000000, v.where("replications") << ": must be in [0, 1e7]");
  m.replications = static_cast<std::size_t>(b);
  m.bootstrap =
      v.get_choice("bootstrap", {"residual", "wild"}, threshold::bootstrap_kind_from_string);
  m.confidence = v.get_double("confidence");
  REVEST_REQUIRE(m.confidence > 0 && m.confidence < 1, v.where("confidence")
                                                           << ": must be in (0, 1)");
  m.refine = v.get_bool("refine");
  const auto pt = v.get_int("replications_per_task");
  REVEST_REQUIRE(pt >= 1 && pt <= 1000000, v.where("replications_per_task")
                                               << ": must be in [1, 1e6]");
  o.replications_per_task = static_cast<std::size_t>(pt);
  m.validate();
  return o;
}

std::vector<std::string> PanelThresholdOptions::panel_variables() const {
  std::vector<std::string> v{outcome};
  auto add = [&](const std::string& s) {
    if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
  };
  for (const auto& s : regime_dependent) add(s);
  for (const auto& s : controls) add(s);
  add(threshold_variable);
  return v;
}

threshold::ThresholdData threshold_data(const io::Panel& panel, const io::Geography& geo,
                                        const PanelThresholdOptions& o, const std::string& who) {
  const std::size_t N = geo.size(), T = panel.num_years();
  const std::size_t vy = panel.variable_index(o.outcome),
                    vq = panel.variable_index(o.threshold_variable);
  std::vector<std::size_t> vx, vz;
  for (const auto& s : o.regime_dependent) vx.push_back(panel.variable_index(s));
  for (const auto& s : o.controls) vz.push_back(panel.variable_index(s));
  std::vector<std::pair<std::size_t, std::size_t>> rows;
  for (std::size_t i = 0; i < N; ++i)
    for (std::size_t t = 0; t < T; ++t)
      if (panel.is_observed(i, t)) rows.emplace_back(i, t);
  threshold::ThresholdData d;
  const auto n = static_cast<Eigen::Index>(rows.size());
  d.y.resize(n);
  d.q.resize(n);
  d.x.resize(n, static_cast<Eigen::Index>(vx.size()));
  const std::size_t years = o.time_effects ? T - 1 : 0;
  d.z = Eigen::MatrixXd::Zero(n, static_cast<Eigen::Index>(vz.size() + years));
  auto value = [&](std::size_t v, std::size_t i, std::size_t t, const std::string& name) {
    const double x = panel.at(v, i, t);
    REVEST_REQUIRE(std::isfinite(x), who << ": county " << geo.counties[i].adcode_ref << " ("
                                         << geo.counties[i].name_ref << ") has no value of " << name
                                         << " in " << panel.years[t]);
    return x;
  };
  for (Eigen::Index r = 0; r < n; ++r) {
    const auto [i, t] = rows[static_cast<std::size_t>(r)];
    d.y[r] = value(vy, i, t, o.outcome);
    d.q[r] = value(vq, i, t, o.threshold_variable);
    for (std::size_t j = 0; j < vx.size(); ++j)
      d.x(r, static_cast<Eigen::Index>(j)) = value(vx[j], i, t, o.regime_dependent[j]);
    for (std::size_t j = 0; j < vz.size(); ++j)
      d.z(r, static_cast<Eigen::Index>(j)) = value(vz[j], i, t, o.controls[j]);
    if (o.time_effects && t > 0) d.z(r, static_cast<Eigen::Index>(vz.size() + t - 1)) = 1.0;
    d.unit.push_back(static_cast<int>(i));
  }
  d.x_names = o.regime_dependent;
  d.z_names = o.controls;
  for (std::size_t t = 1; t <= years; ++t) {
    std::ostringstream name;
    name << "year " << panel.years[t];
    d.z_names.push_back(name.str());
  }
  return d;
}

PanelThresholdAnalysis::PanelThresholdAnalysis(std::string name, const io::Geography& geo,
                                               const io::Panel& panel,
                                               PanelThresholdOptions options)
    : name_(std::move(name)),
      opt_(std::move(options)),
      problem_(threshold_data(panel, geo, opt_, "analysis '" + name_ + "'"), opt_.method) {
  const threshold::ThresholdResult r = threshold::threshold_estimates(problem_);
  models_ = r.models;
  for (const auto& t : r.tests) {
    F_.push_back(t.F);
    auto [f, e] =
        problem_.fit(problem_.data().y, models_[static_cast<std::size_t>(t.m - 1)].thresholds);
    fitted_.push_back(std::move(f));
    resid_.push_back(std::move(e));
  }
}

std::size_t PanelThresholdAnalysis::num_tasks() const {
  const std::size_t B = opt_.method.replications, P = opt_.replications_per_task;
  return std::max<std::size_t>(1, (B + P - 1) / P);
}

std::vector<ReplicationSpec> PanelThresholdAnalysis::replication_specs() const {
  return {{"F",
           {opt_.replications_per_task, static_cast<std::size_t>(opt_.method.max_thresholds)},
           "per replication of the task (b = task x replications_per_task + row) and number of "
           "thresholds m: the bootstrap F statistic of m thresholds against m - 1, under the "
           "estimated m - 1 threshold model; NaN beyond the replications",
           "1"}};
}

TaskOutcome PanelThresholdAnalysis::run_task(std::size_t task, Rng& rng,
                                             std::span<const std::span<double>> out) const {
  const std::size_t P = opt_.replications_per_task, K = F_.size();
  const std::size_t b0 = task * P, b1 = std::min(opt_.method.replications, b0 + P);
  for (std::size_t b = b0; b < b1; ++b)
    for (std::size_t m = 1; m <= K; ++m) {
      Rng r = rng.for_replication(static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(m));
      out[0][(b - b0) * K + m - 1] =
          problem_.bootstrap_F(static_cast<int>(m), fitted_[m - 1], resid_[m - 1], r);
    }
  return {};
}

std::vector<Table> PanelThresholdAnalysis::summarize(ReplicationReader& reader) const {
  const std::size_t P = opt_.replications_per_task, K = F_.size(), T = num_tasks();
  const auto status = reader.status();
  const auto raw = reader.read_columns(0, 0, P * K);
  TableBuilder tests, ths, slopes, regimes, lr;
  for (std::size_t m = 1; m <= K; ++m) {
    std::vector<double> fs;
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t j = 0; j < P; ++j)
        if (status[t] == TaskStatus::kOk && t * P + j < opt_.method.replications)
          fs.push_back(raw[t * P * K + j * K + m - 1]);
    threshold::ThresholdTest test;
    test.m = static_cast<int>(m);
    test.F = F_[m - 1];
    threshold::set_bootstrap(test, fs);
    const threshold::ThresholdModel& md = models_[m];
    tests.i("thresholds", static_cast<std::int64_t>(m),
            "m: the test of m thresholds against m - 1");
    tests.d("ssr", md.ssr, "sum of squared residuals with m thresholds");
    tests.d("F", test.F, "F = (S_{m-1} - S_m) / (S_m / (n - N))", "1");
    tests.d("p_bootstrap", test.pvalue, "bootstrap p-value (share of F* >= F)", "1");
    tests.d("crit90", test.crit90, "bootstrap critical value at 10 %", "1");
    tests.d("crit95", test.crit95, "bootstrap critical value at 5 %", "1");
    tests.d("crit99", test.crit99, "bootstrap critical value at 1 %", "1");
    tests.i("replications", static_cast<std::int64_t>(test.replications),
            "bootstrap replications used");
  }
  for (std::size_t m = 0; m < models_.size(); ++m) {
    const threshold::ThresholdModel& md = models_[m];
    for (std::size_t j = 0; j < md.thresholds.size(); ++j) {
      ths.i("model", static_cast<std::int64_t>(m), "number of thresholds of the model");
      ths.i("threshold", static_cast<std::int64_t>(j + 1), "its rank, ascending");
      ths.d("estimate", md.thresholds[j],
            "threshold (units of the threshold variable; refined when `refine`)");
      ths.d("lr_lower", md.intervals[j].first,
            "likelihood-ratio interval at the job's confidence (Hansen 1999)");
      ths.d("lr_upper", md.intervals[j].second,
            "likelihood-ratio interval at the job's confidence (Hansen 1999)");
    }
    for (const threshold::Slope& s : md.slopes) {
      slopes.i("model", static_cast<std::int64_t>(m), "number of thresholds of the model");
      slopes.s("term", s.term, "regressor (and its regime for regime-dependent ones)");
      slopes.i("regime", s.regime, "regime index (0: below the first threshold); -1 controls");
      slopes.d("estimate", s.estimate, "within (fixed-effects) coefficient");
      slopes.d("se", s.se, "homoskedastic standard error");
      slopes.d("se_cluster", s.se_cluster, "cluster-robust standard error by unit (CRV1)");
    }
    for (std::size_t r = 0; r < md.regime_counts.size(); ++r) {
      regimes.i("model", static_cast<std::int64_t>(m), "number of thresholds of the model");
      regimes.i("regime", static_cast<std::int64_t>(r), "regime index");
      regimes.d("lower", r == 0 ? -std::numeric_limits<double>::infinity() : md.thresholds[r - 1],
                "the regime holds lower < q <= upper");
      regimes.d(
          "upper",
          r == md.thresholds.size() ? std::numeric_limits<double>::infinity() : md.thresholds[r],
          "the regime holds lower < q <= upper");
      regimes.i("observations", static_cast<std::int64_t>(md.regime_counts[r]),
                "unit-years in the regime");
    }
    for (std::size_t c = 0; c < md.lr_gamma.size(); ++c) {
      lr.i("model", static_cast<std::int64_t>(m), "number of thresholds of the model");
      lr.d("gamma", md.lr_gamma[c], "grid value of the m-th threshold (others at the m - 1 model)");
      lr.d("lr", md.lr[c], "LR statistic (S(gamma) - min S) / sigma2_m", "1");
    }
  }
  std::vector<Table> out;
  out.push_back(tests.table("tests", "bootstrap F tests of m thresholds against m - 1"));
  out.push_back(ths.table("thresholds", "threshold estimates and likelihood-ratio intervals"));
  out.push_back(slopes.table("slopes", "slope tables of the models with 0 .. K thresholds"));
  out.push_back(regimes.table("regimes", "regimes of each model and their observations"));
  out.push_back(lr.table("lr_curve", "likelihood-ratio curves of each new threshold (plots)"));
  return out;
}

}  // namespace revest::analyses
