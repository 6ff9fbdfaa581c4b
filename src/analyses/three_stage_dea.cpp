#include "analyses/three_stage_dea.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "analyses/table_builder.hpp"
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

/// v[q] to out[offset + units[q]]: one value per observed unit into a row of all units (the
/// others stay NaN, as the runtime pre-fills them).
void scatter(std::span<double> out, std::size_t offset, const std::vector<double>& v,
             const std::vector<std::size_t>& units) {
  for (std::size_t q = 0; q < units.size(); ++q) out[offset + units[q]] = v[q];
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

}  // namespace

// ---- options ----

ThreeStageDeaOptions ThreeStageDeaOptions::from(const io::OptionView& view) {
  ThreeStageDeaOptions o;
  dea::ThreeStageOptions& m = o.method;
  o.inputs = view.get_strings("inputs");
  o.outputs = view.get_strings("outputs");
  o.environment = view.get_strings("environment");
  const std::int64_t stages = view.get_int("stages");
  REVEST_REQUIRE(stages == 1 || stages == 3, view.where("stages")
                                                 << ": must be 1 or 3, got " << stages);
  m.stages = static_cast<int>(stages);
  m.returns = view.get_choice("returns", {"vrs", "crs", "nirs", "ndrs"}, dea::returns_from_string);
  m.orientation = view.get_choice("orientation", {"input", "output"}, dea::orientation_from_string);
  REVEST_REQUIRE(m.orientation == dea::Orientation::kInput || m.stages == 1,
                 view.where("orientation")
                     << ": output orientation needs stages = 1 (stage 2 explains and adjusts the "
                        "inputs: three-stage DEA is input-oriented)");
  m.sfa_distribution = view.get_choice("sfa_distribution", {"half_normal", "truncated_normal"},
                                       sfa::distribution_from_string);
  m.zero_slacks =
      view.get_choice("zero_slacks", {"exclude", "include"}, dea::zero_slacks_from_string);
  m.slack_scale = view.get_choice("slack_scale", {"level", "ratio"}, dea::slack_scale_from_string);
  m.bootstrap =
      view.get_choice("bootstrap", {"scores", "three_stage"}, dea::bootstrap_scope_from_string);
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
  m.bandwidth_rule = view.get_choice("bandwidth_rule", {"silverman", "benchmarking"},
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
  o.malmquist = view.get_bool("malmquist");
  o.malmquist_bootstrap = view.get_bool("malmquist_bootstrap");
  o.super_efficiency = view.get_bool("super_efficiency");
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
  REVEST_REQUIRE(!env_.empty() || options_.method.stages == 1,
                 ctx << ": no environment variables (option 'environment' or use "
                        "\"environment\"): three stages need at least one (stage 2 explains the "
                        "slacks by it); stages = 1 runs the DEA and its bootstrap without");
  N_ = panel.num_counties;
  T_ = panel.num_years();
  REVEST_REQUIRE(geo.size() == N_,
                 ctx << ": the panel has " << N_ << " counties, the geography " << geo.size());
  const std::size_t m = inputs_.size(), s = outputs_.size(), p = env_.size();
  for (const auto& c : geo.counties) {
    adcode_.push_back(c.adcode_ref);
    county_name_.push_back(c.name_ref);
    province_.push_back(c.province_en);
  }
  // Each year's matrices hold the units observed that year (all of them in a balanced panel).
  auto fill = [&](const std::vector<std::string>& vars, std::size_t t,
                  const std::vector<std::size_t>& units, bool positive, Eigen::MatrixXd& M) {
    M.resize(static_cast<Eigen::Index>(units.size()), static_cast<Eigen::Index>(vars.size()));
    for (std::size_t k = 0; k < vars.size(); ++k) {
      REVEST_REQUIRE(panel.has(vars[k]),
                     ctx << ": variable '" << vars[k] << "' is not in the panel");
      const auto v = panel.variable_index(vars[k]);
      for (std::size_t q = 0; q < units.size(); ++q) {
        const std::size_t i = units[q];
        const double val = panel.at(v, i, t);
        REVEST_REQUIRE(std::isfinite(val) && (!positive || val > 0),
                       ctx << ": " << vars[k] << " = " << val << " for county " << county_name_[i]
                           << " (" << adcode_[i] << "), year " << panel.years[t]
                           << (positive ? " (DEA inputs and outputs must be positive)" : ""));
        M(static_cast<Eigen::Index>(q), static_cast<Eigen::Index>(k)) = val;
      }
    }
  };
  years_.resize(T_);
  for (std::size_t t = 0; t < T_; ++t) {
    ThreeStageYear& Y = years_[t];
    Y.year = panel.years[t];
    Y.units = panel.units_in(t);
    Y.row.assign(N_, -1);
    for (std::size_t q = 0; q < Y.units.size(); ++q)
      Y.row[Y.units[q]] = static_cast<std::ptrdiff_t>(q);
    const std::size_t n = Y.units.size();
    REVEST_REQUIRE(n >= m + s + p + 2,
                   ctx << ": " << n << " counties"
                       << (panel.balanced() ? "" : " observed in year " + std::to_string(Y.year))
                       << " are too few for " << m << " inputs, " << s << " outputs and " << p
                       << " environment variables");
    Eigen::MatrixXd x, y, z;
    fill(inputs_, t, Y.units, true, x);
    fill(outputs_, t, Y.units, true, y);
    fill(env_, t, Y.units, false, z);
    dea::ThreeStageNames names;
    for (std::size_t i : Y.units)
      names.units.push_back("county " + county_name_[i] + " (" + std::to_string(adcode_[i]) +
                            "), year " + std::to_string(Y.year));
    names.inputs = inputs_;
    names.environment = env_;
    names.context = ctx;
    names.period = "year " + std::to_string(Y.year);
    Y.r = dea::three_stage(x, y, z, options_.method, names);
  }
  // Super-efficiency and the Malmquist index without its bootstrap are point estimates that only
  // the summary uses: they are computed there (by the rank that writes it), not on every rank at
  // start-up. The bootstrap's tasks draw around the index's own-period scores.
  REVEST_REQUIRE(!options_.malmquist || T_ >= 2,
                 ctx << ": the Malmquist index needs two years or more (the job has " << T_ << ")");
  if (with_malmquist_bootstrap()) malmquist_ = compute_malmquist();
}

std::vector<ThreeStageMalmquist> ThreeStageDeaAnalysis::compute_malmquist() const {
  // The analysis's orientation (CRS scores are the same in both; pech and sech are not).
  dea::MalmquistOptions mo;
  mo.orientation = options_.method.orientation;
  mo.efficient_tolerance = options_.method.efficient_tolerance;
  // Each pair of years: the units observed in both, their rows of each year's matrices.
  std::vector<ThreeStageMalmquist> pairs(T_ - 1);
  std::vector<std::vector<std::string>> labels(T_ - 1);
  bool all_units = true;
  for (std::size_t t = 1; t < T_; ++t) {
    ThreeStageMalmquist& P = pairs[t - 1];
    const ThreeStageYear &A = years_[t - 1], &B = years_[t];
    P.row.assign(N_, -1);
    std::vector<Eigen::Index> ra, rb;
    for (std::size_t i = 0; i < N_; ++i) {
      if (A.row[i] < 0 || B.row[i] < 0) continue;
      P.row[i] = static_cast<std::ptrdiff_t>(P.units.size());
      P.units.push_back(i);
      ra.push_back(A.row[i]);
      rb.push_back(B.row[i]);
      labels[t - 1].push_back("county " + county_name_[i] + " (" + std::to_string(adcode_[i]) +
                              "), years " + std::to_string(A.year) + "-" + std::to_string(B.year));
    }
    REVEST_REQUIRE(P.units.size() >= 2, "three_stage_dea '"
                                            << name_ << "': the Malmquist index of years " << A.year
                                            << "-" << B.year << " needs units observed "
                                            << "in both years (" << P.units.size() << ")");
    all_units = all_units && P.units.size() == N_;
    P.x0 = A.r.x(ra, Eigen::all);
    P.y0 = A.r.y(ra, Eigen::all);
    P.x1 = B.r.x(rb, Eigen::all);
    P.y1 = B.r.y(rb, Eigen::all);
  }
  if (all_units) {
    // A balanced panel: every year's own DEAs once for all pairs.
    std::vector<Eigen::MatrixXd> x, y;
    for (const ThreeStageYear& Y : years_) {
      x.push_back(Y.r.x);
      y.push_back(Y.r.y);
    }
    std::vector<dea::MalmquistResult> r = dea::malmquist_sequence(x, y, mo, labels);
    for (std::size_t t = 1; t < T_; ++t) pairs[t - 1].r = std::move(r[t - 1]);
  } else {
    for (ThreeStageMalmquist& P : pairs)
      P.r = dea::malmquist(P.x0, P.y0, P.x1, P.y1, mo,
                           labels[static_cast<std::size_t>(&P - pairs.data())]);
  }
  return pairs;
}

std::size_t ThreeStageDeaAnalysis::num_stages() const {
  return options_.method.stages == 3 ? 2 : 1;
}

bool ThreeStageDeaAnalysis::with_truncreg() const {
  return options_.method.truncated_regression && !env_.empty();
}

std::vector<ReplicationSpec> ThreeStageDeaAnalysis::replication_specs() const {
  std::vector<ReplicationSpec> specs{
      {"scores",
       {T_, num_stages(), N_},
       "bootstrap DEA score (" + std::string(dea::to_string(options_.method.returns)) + ", " +
           std::string(dea::to_string(options_.method.orientation)) +
           ") of each county (last index) in " +
           (num_stages() == 2 ? "stage 1 / stage 3 (middle index)" : "stage 1") +
           " and year (first index)",
       "1"}};
  if (with_truncreg())
    specs.push_back(
        {"truncreg",
         {T_, env_.size() + 2},
         "SW2007 bootstrap estimates per year: intercept, environment coefficients, sigma"});
  if (with_malmquist_bootstrap())
    specs.push_back({"malmquist",
                     {T_ - 1, 3, N_},
                     "Simar-Wilson (1999) bootstrap Malmquist indices tfpch, effch, techch "
                     "(middle index) of each county (last index) between consecutive years "
                     "(first index: years t, t + 1)",
                     "1"});
  return specs;
}

TaskOutcome ThreeStageDeaAnalysis::run_task(std::size_t task, Rng& rng,
                                            std::span<const std::span<double>> out) const {
  const std::size_t p = env_.size(), S = num_stages();
  for (std::size_t t = 0; t < T_; ++t) {
    const dea::ThreeStageResult& Y = years_[t].r;
    const dea::ThreeStageReplication rep = dea::three_stage_replication(Y, rng);
    if (!rep.status.ok()) return {TaskStatus::kNumericalFailure, rep.status.message};
    scatter(out[0], (t * S + 0) * N_, rep.stage1, years_[t].units);
    if (S == 2) scatter(out[0], (t * S + 1) * N_, rep.stage3, years_[t].units);
    if (with_truncreg() && Y.truncreg.ok())
      write(out[1], t * (p + 2),
            std::vector<double>(rep.truncreg.data(), rep.truncreg.data() + rep.truncreg.size()));
  }
  if (with_malmquist_bootstrap()) {
    // Pair (t - 1, t) draws from part t of this replication's stream, independent of the DEA's
    // draws (part 0) and of the other pairs: dea::malmquist_bootstrap with the analysis's key and
    // part t reproduces them.
    const std::size_t slot = with_truncreg() ? 2 : 1;
    for (std::size_t t = 1; t < T_; ++t) {
      Rng pair_rng =
          rng.for_replication(static_cast<std::uint32_t>(task), static_cast<std::uint32_t>(t));
      const ThreeStageMalmquist& P = malmquist_[t - 1];
      const double h = dea::malmquist_bandwidth(P.r);
      const dea::MalmquistDraw d =
          dea::malmquist_replication(P.x0, P.y0, P.x1, P.y1, P.r, h, pair_rng);
      scatter(out[slot], ((t - 1) * 3 + 0) * N_, d.tfpch, P.units);
      scatter(out[slot], ((t - 1) * 3 + 1) * N_, d.effch, P.units);
      scatter(out[slot], ((t - 1) * 3 + 2) * N_, d.techch, P.units);
    }
  }
  return {};
}

std::vector<Table> ThreeStageDeaAnalysis::summarize(ReplicationReader& reader) const {
  const std::size_t m = inputs_.size(), p = env_.size();
  const std::size_t block = summary_block_columns(reader.num_tasks());
  const double conf = options_.method.confidence;
  const std::size_t S = num_stages();
  const auto sc = summarize_replication_columns(reader, 0, T_ * S * N_, conf, block);
  std::ostringstream lv;
  lv << conf * 100 << "%";
  const std::string level = lv.str(), main = dea::to_string(options_.method.returns);
  const bool main_extra = main != "vrs" && main != "crs";  // nirs, ndrs: a column of its own
  const double tol = options_.method.efficient_tolerance;

  Table eff{"efficiency",
            std::string(S == 2 ? "three-stage DEA" : "DEA (stages = 1)") +
                " per county and year: " + dea::to_string(options_.method.orientation) +
                " efficiency (" + main +
                " main model with bootstrap; crs and vrs, scale = crs / vrs, returns to scale), "
                "SW98 bootstrap bias, bias-corrected score, variance and " +
                level + " intervals (SW 2000)" + (S == 2 ? " at stage 1 and stage 3" : ""),
            {}};
  {
    std::vector<std::int64_t> adcode, year;
    std::vector<std::int64_t> nboot[2];
    std::vector<std::string> name, province, status[2], peers[2], rts[2], super_status;
    std::vector<double> super;
    std::vector<dea::DeaResult> super_by_year;  // per year
    if (options_.super_efficiency) {
      dea::DeaOptions so;
      so.returns = options_.method.returns;
      so.orientation = options_.method.orientation;
      so.slacks = false;
      so.super_efficiency = true;
      so.efficient_tolerance = options_.method.efficient_tolerance;
      for (const ThreeStageYear& Y : years_)
        super_by_year.push_back(dea::solve_dea(Y.r.x, Y.r.y, so));
    }
    std::vector<double> cols[2][9];
    // Peers are rows of a year's matrices: their codes are those of the year's units.
    std::vector<std::vector<std::int64_t>> year_adcode(T_);
    for (std::size_t t = 0; t < T_; ++t)
      for (std::size_t i : years_[t].units) year_adcode[t].push_back(adcode_[i]);
    for (std::size_t i = 0; i < N_; ++i)
      for (std::size_t t = 0; t < T_; ++t) {
        if (years_[t].row[i] < 0) continue;  // not observed this year: no row
        const auto li = static_cast<std::size_t>(years_[t].row[i]);
        const dea::ThreeStageResult& Y = years_[t].r;
        adcode.push_back(adcode_[i]);
        name.push_back(county_name_[i]);
        province.push_back(province_[i]);
        year.push_back(years_[t].year);
        if (options_.super_efficiency) {
          super.push_back(super_by_year[t].efficiency[li]);
          super_status.push_back(dea::lp_status_name(super_by_year[t].unit_status[li]));
        }
        for (std::size_t st = 0; st < S; ++st) {
          const dea::DeaResult& d = st == 0 ? Y.stage1 : Y.stage3;
          const std::vector<double>& crs = st == 0 ? Y.stage1_crs : Y.stage3_crs;
          const std::vector<double>& vrs = st == 0 ? Y.stage1_vrs : Y.stage3_vrs;
          const std::vector<double>& nirs = st == 0 ? Y.stage1_nirs : Y.stage3_nirs;
          status[st].push_back(dea::lp_status_name(d.unit_status[li]));
          peers[st].push_back(peers_string(d.peers[li], year_adcode[t]));
          rts[st].push_back(dea::returns_to_scale(crs[li], vrs[li], nirs[li], tol));
          const double v = d.efficiency[li];
          const std::size_t f = (t * S + st) * N_ + i;
          const double vals[9] = {vrs[li],
                                  crs[li],
                                  crs[li] / vrs[li],
                                  v,
                                  sc.mean[f] - v,
                                  2 * v - sc.mean[f],
                                  sc.se[f] * sc.se[f],
                                  2 * v - sc.hi[f],
                                  2 * v - sc.lo[f]};
          for (int c = 0; c < 9; ++c) cols[st][c].push_back(vals[c]);
          nboot[st].push_back(static_cast<std::int64_t>(sc.n[f]));
        }
      }
    eff.columns = {{"adcode", adcode, "2022 official county code"},
                   {"name", name, "2022 official county name"},
                   {"province", province, "province (English)"},
                   {"year", year, "year"}};
    for (std::size_t st = 0; st < S; ++st) {
      const std::string K = st == 0 ? "stage1_" : "stage3_";
      const std::string P = st == 0 ? "stage 1" : "stage 3";
      const std::string B = " of the " + main + " score (SW98 bootstrap)";
      const std::string names[9] = {"vrs", "crs", "scale", main,   "bias",
                                    "bc",  "var", "ci_lo", "ci_hi"};
      const std::string ori = dea::to_string(options_.method.orientation);
      const std::string desc[9] = {P + " VRS " + ori + " efficiency",
                                   P + " CRS " + ori + " efficiency",
                                   P + " scale efficiency (CRS / VRS)",
                                   P + " " + main + " " + ori + " efficiency (the main model)",
                                   P + " bias" + B,
                                   P + " bias-corrected score" + B,
                                   P + " variance" + B,
                                   P + " lower end of the " + level + " interval" + B,
                                   P + " upper end of the " + level + " interval" + B};
      for (int c = 0; c < 9; ++c) {
        if (c == 3 && !main_extra) continue;  // the main model is the vrs or crs column
        eff.columns.push_back({K + names[c], cols[st][c], desc[c], "1"});
        if (c == 2)
          eff.columns.push_back(
              {K + "rts", rts[st],
               P + " returns to scale: crs (CRS = VRS: scale efficient), drs (NIRS = VRS: "
                   "decreasing) or irs (increasing); equal within efficient_tolerance"});
      }
    }
    if (options_.super_efficiency) {
      eff.columns.push_back({"stage1_super", super,
                             "stage-1 Andersen-Petersen super-efficiency (" + main +
                                 ", the unit left out of its reference set): above 1 for "
                                 "efficient units; NaN when the LP is infeasible",
                             "1"});
      eff.columns.push_back({"stage1_super_status", super_status,
                             "its LP status: optimal, or infeasible (common under VRS: no "
                             "combination of the others reaches the unit's outputs)"});
    }
    for (std::size_t st = 0; st < S; ++st) {
      const std::string K = st == 0 ? "stage1_" : "stage3_";
      const std::string P = st == 0 ? "stage-1" : "stage-3";
      eff.columns.push_back({K + "boot_n", nboot[st], P + " replications with a score"});
    }
    for (std::size_t st = 0; st < S; ++st) {
      const std::string K = st == 0 ? "stage1_" : "stage3_";
      const std::string P = st == 0 ? "stage-1" : "stage-3";
      eff.columns.push_back({K + "status", status[st], P + " LP status (" + main + ")"});
    }
    for (std::size_t st = 0; st < S; ++st) {
      const std::string K = st == 0 ? "stage1_" : "stage3_";
      const std::string P = st == 0 ? "stage-1" : "stage-3";
      eff.columns.push_back({K + "peers", peers[st], P + " peers adcode:lambda (" + main + ")"});
    }
  }

  Table slacks{"slacks",
               "per county, year and input: observed input, stage-1 total slack (" + main + ")" +
                   (S == 2 ? ", adjusted input (stage 2), stage-3 total slack" : ""),
               {}};
  {
    std::vector<std::int64_t> adcode, year;
    std::vector<std::string> input;
    std::vector<double> x, s1, xa, s3;
    for (std::size_t i = 0; i < N_; ++i)
      for (std::size_t t = 0; t < T_; ++t)
        for (std::size_t k = 0; k < m; ++k) {
          if (years_[t].row[i] < 0) continue;
          const auto ii = static_cast<Eigen::Index>(years_[t].row[i]);
          const auto kk = static_cast<Eigen::Index>(k);
          const dea::ThreeStageResult& Y = years_[t].r;
          adcode.push_back(adcode_[i]);
          year.push_back(years_[t].year);
          input.push_back(inputs_[k]);
          x.push_back(Y.x(ii, kk));
          s1.push_back(Y.slack1(ii, kk));
          if (S == 2) {
            xa.push_back(Y.x_adj(ii, kk));
            s3.push_back(Y.slack3(ii, kk));
          }
        }
    slacks.columns = {{"adcode", adcode, "2022 official county code"},
                      {"year", year, "year"},
                      {"input", input, "DEA input"},
                      {"x", x, "observed input"},
                      {"slack1", s1, "stage-1 total slack (radial + non-radial)"}};
    if (S == 2) {
      slacks.columns.push_back(
          {"x_adjusted", xa, "input adjusted for environment and noise (stage 2)"});
      slacks.columns.push_back({"slack3", s3, "stage-3 total slack"});
    }
  }

  Table oslacks{"output_slacks",
                "per county, year and output: observed output and its slack (" + main +
                    ", the max-slack phase at the optimal radial score)" +
                    (S == 2 ? " at stage 1 and stage 3" : ""),
                {}};
  {
    std::vector<std::int64_t> adcode, year;
    std::vector<std::string> output;
    std::vector<double> yv, s1, s3;
    for (std::size_t i = 0; i < N_; ++i)
      for (std::size_t t = 0; t < T_; ++t)
        for (std::size_t r = 0; r < outputs_.size(); ++r) {
          if (years_[t].row[i] < 0) continue;
          const auto ii = static_cast<Eigen::Index>(years_[t].row[i]);
          const auto rr = static_cast<Eigen::Index>(r);
          const dea::ThreeStageResult& Y = years_[t].r;
          adcode.push_back(adcode_[i]);
          year.push_back(years_[t].year);
          output.push_back(outputs_[r]);
          yv.push_back(Y.y(ii, rr));
          s1.push_back(Y.stage1.output_slacks(ii, rr));
          if (S == 2) s3.push_back(Y.stage3.output_slacks(ii, rr));
        }
    oslacks.columns = {{"adcode", adcode, "2022 official county code"},
                       {"year", year, "year"},
                       {"output", output, "DEA output"},
                       {"y", yv, "observed output"},
                       {"slack1", s1,
                        "stage-1 output slack (shortfall beyond the radial contraction; exactly 0 "
                        "below slack_tolerance x output)"}};
    if (S == 2) oslacks.columns.push_back({"slack3", s3, "stage-3 output slack"});
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
    for (std::size_t t = 0; t < (S == 2 ? T_ : 0); ++t)
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
  std::vector<Table> tables{std::move(eff), std::move(slacks), std::move(oslacks)};
  if (S == 2) {
    tables.push_back(std::move(coef));
    tables.push_back(std::move(fits));
  }

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
      for (int st = 1; st <= (S == 2 ? 3 : 1); st += 2) {
        const dea::ThreeStageResult& Y = years_[t].r;
        const dea::DeaResult& d = st == 1 ? Y.stage1 : Y.stage3;
        std::int64_t fin = 0, eff1 = 0;
        for (double v : d.efficiency) {
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

  if (options_.malmquist) {
    const std::vector<ThreeStageMalmquist> by_pair =
        malmquist_.empty() ? compute_malmquist() : malmquist_;
    const bool boot = with_malmquist_bootstrap();
    const std::size_t slot = with_truncreg() ? 2 : 1;
    const auto mb =
        boot ? summarize_replication_columns(reader, slot, (T_ - 1) * 3 * N_, conf, block)
             : ReplicationColumnSummary{};
    TableBuilder mq;
    for (std::size_t i = 0; i < N_; ++i)
      for (std::size_t t = 1; t < T_; ++t) {
        if (by_pair[t - 1].row[i] < 0) continue;  // not observed in both years
        const dea::MalmquistResult& r = by_pair[t - 1].r;
        const auto q = static_cast<std::size_t>(by_pair[t - 1].row[i]);
        mq.i("adcode", adcode_[i], "2022 official county code");
        mq.s("name", county_name_[i], "2022 official county name");
        mq.i("from_year", years_[t - 1].year, "period 0");
        mq.i("to_year", years_[t].year, "period 1");
        mq.d("tfpch", r.tfpch[q],
             "Malmquist total factor productivity change, sqrt(e01/e00 * e11/e10); > 1: growth",
             "1");
        mq.d("effch", r.effch[q], "efficiency change e11 / e00 (catching up)", "1");
        mq.d("techch", r.techch[q], "technical change sqrt(e01/e11 * e00/e10) (frontier shift)",
             "1");
        mq.d(
            "pech", r.pech[q],
            "pure (VRS, the analysis's orientation) efficiency change v11 / v00 (not bootstrapped)",
            "1");
        mq.d("sech", r.sech[q], "scale efficiency change effch / pech (not bootstrapped)", "1");
        mq.d("e00", r.e00[q], "CRS efficiency, period-0 data, period-0 frontier", "1");
        mq.d("e01", r.e01[q], "period-1 data against the period-0 frontier (may exceed 1)", "1");
        mq.d("e10", r.e10[q], "period-0 data against the period-1 frontier (may exceed 1)", "1");
        mq.d("e11", r.e11[q], "period-1 data, period-1 frontier", "1");
        if (!boot) continue;
        const double point[3] = {r.tfpch[q], r.effch[q], r.techch[q]};
        const char* names[3] = {"tfpch", "effch", "techch"};
        for (std::size_t k = 0; k < 3; ++k) {
          const std::size_t f = ((t - 1) * 3 + k) * N_ + i;
          const std::string n = names[k];
          mq.d(n + "_bc", 2 * point[k] - mb.mean[f],
               n + " bias-corrected by the bootstrap (2 " + n + " - bootstrap mean)", "1");
          mq.d(n + "_ci_lo", 2 * point[k] - mb.hi[f],
               "lower end of the " + level + " interval of " + n +
                   " (Simar-Wilson 1999 bootstrap, basic interval)",
               "1");
          mq.d(n + "_ci_hi", 2 * point[k] - mb.lo[f],
               "upper end of the " + level + " interval of " + n +
                   "; an interval without 1: a "
                   "significant change",
               "1");
        }
        mq.i("boot_n", static_cast<std::int64_t>(mb.n[((t - 1) * 3) * N_ + i]),
             "replications with a finite tfpch");
        mq.d("bandwidth", dea::malmquist_bandwidth(r),
             "bivariate kernel bandwidth (4 / (5 n))^(1/6) of the bootstrap", "1");
      }
    tables.push_back(mq.table(
        "malmquist",
        std::string("Malmquist productivity index of each county between consecutive years (Fare "
                    "et al. 1994; CRS distance functions of the observed data, VRS in the "
                    "analysis's orientation for pech): tfpch = effch x techch, effch = pech x "
                    "sech") +
            (boot ? "; Simar-Wilson (1999) bootstrap of tfpch, effch and techch (pairs of "
                    "own-period scores drawn from a reflected bivariate kernel), " +
                        level + " basic intervals"
                  : "; point estimates (malmquist_bootstrap = false)")));
  }

  if (with_truncreg()) {
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
