#include "analyses/did.hpp"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <limits>
#include <map>

#include "analyses/table_builder.hpp"
#include "core/error.hpp"

namespace revest::analyses {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t kSums = 5;  // n0, n1, a0, a1, a2 of a wild draw

// Clustered influence functions: rows summed within clusters (a county-level cluster is the unit).
Eigen::MatrixXd by_cluster(const Eigen::MatrixXd& psi, const std::vector<int>& cluster,
                           std::size_t clusters) {
  Eigen::MatrixXd out = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(clusters), psi.cols());
  for (Eigen::Index i = 0; i < psi.rows(); ++i)
    out.row(cluster[static_cast<std::size_t>(i)]) += psi.row(i);
  return out;
}

double normal_p(double z) {
  if (!std::isfinite(z)) return kNaN;
  return 2 * boost::math::cdf(boost::math::complement(boost::math::normal(), std::abs(z)));
}

}  // namespace

const char* to_string(DidEstimator e) {
  switch (e) {
    case DidEstimator::kTwfe:
      return "twfe";
    case DidEstimator::kEventStudy:
      return "event_study";
    case DidEstimator::kBacon:
      return "bacon";
    case DidEstimator::kCallawaySantAnna:
      return "cs";
    case DidEstimator::kSunAbraham:
      return "sun_abraham";
    case DidEstimator::kTwoStage:
      return "two_stage";
    case DidEstimator::kSpillover:
      return "spillover";
  }
  return "?";
}

DidEstimator did_estimator_from_string(const std::string& s) {
  for (DidEstimator e : {DidEstimator::kTwfe, DidEstimator::kEventStudy, DidEstimator::kBacon,
                         DidEstimator::kCallawaySantAnna, DidEstimator::kSunAbraham,
                         DidEstimator::kTwoStage, DidEstimator::kSpillover})
    if (s == to_string(e)) return e;
  REVEST_FAIL("unknown DID estimator '"
              << s << "' (twfe, event_study, bacon, cs, sun_abraham, two_stage, spillover)");
}

const char* to_string(ClusterLevel c) {
  return c == ClusterLevel::kCounty     ? "county"
         : c == ClusterLevel::kProvince ? "province"
                                        : "prefecture";
}

ClusterLevel cluster_level_from_string(const std::string& s) {
  if (s == "county") return ClusterLevel::kCounty;
  if (s == "prefecture") return ClusterLevel::kPrefecture;
  if (s == "province") return ClusterLevel::kProvince;
  REVEST_FAIL("unknown clustering level '" << s << "' (county, prefecture or province)");
}

DidOptions DidOptions::from(const io::OptionView& v) {
  DidOptions o;
  o.outcome = v.get_string("outcome");
  REVEST_REQUIRE(!o.outcome.empty(), v.where("outcome") << ": give the panel outcome");
  o.timing = v.get_string("timing");
  REVEST_REQUIRE(!o.timing.empty(), v.where("timing")
                                        << ": give the panel column of the first treated year");
  o.covariates = v.get_strings("covariates");
  for (const std::string& s : v.get_strings("estimators")) {
    try {
      const DidEstimator e = did_estimator_from_string(s);
      REVEST_REQUIRE(!o.has(e), "'" << s << "' is listed twice");
      o.estimators.push_back(e);
    } catch (const Error& e) {
      REVEST_FAIL(v.where("estimators") << ": " << e.what());
    }
  }
  REVEST_REQUIRE(!o.estimators.empty(), v.where("estimators") << ": give at least one estimator");
  o.cs.comparison = v.get_choice("comparison", {"never_treated", "not_yet_treated"},
                                 did::comparison_group_from_string);
  o.cs.base = v.get_choice("base_period", {"varying", "universal"}, did::base_period_from_string);
  o.cs.method = v.get_choice("method", {"dr", "reg", "ipw"}, did::covariate_method_from_string);
  const auto ant = v.get_int("anticipation");
  REVEST_REQUIRE(ant >= 0 && ant <= 50, v.where("anticipation") << ": must be in [0, 50]");
  o.cs.anticipation = static_cast<int>(ant);
  const auto be = v.get_int("balance_e");
  REVEST_REQUIRE(be >= -1 && be <= 100, v.where("balance_e")
                                            << ": must be -1 (off) or in [0, 100]");
  o.cs.balance_e = static_cast<int>(be);
  const auto leads = v.get_int("leads"), lags = v.get_int("lags");
  REVEST_REQUIRE(leads >= 1 && leads <= 50, v.where("leads") << ": must be in [1, 50]");
  REVEST_REQUIRE(lags >= 0 && lags <= 50, v.where("lags") << ": must be in [0, 50]");
  o.event.leads = static_cast<int>(leads);
  o.event.lags = static_cast<int>(lags);
  o.cluster =
      v.get_choice("cluster", {"county", "prefecture", "province"}, cluster_level_from_string);
  const auto mb = v.get_int("multiplier_replications");
  REVEST_REQUIRE(mb == 0 || (mb >= 2 && mb <= 10000000),
                 v.where("multiplier_replications") << ": must be 0 (none) or in [2, 1e7]");
  o.multiplier_replications = static_cast<std::size_t>(mb);
  const auto wb = v.get_int("wild_replications");
  REVEST_REQUIRE(wb >= 0 && wb <= 10000000, v.where("wild_replications")
                                                << ": must be 0 (none) or in [1, 1e7]");
  o.wild.replications = static_cast<std::size_t>(wb);
  o.wild.type = v.get_choice("wild_type", {"wcr", "wcu"}, did::wild_type_from_string);
  o.wild.weights =
      v.get_choice("wild_weights", {"rademacher", "mammen", "webb"}, did::wild_weights_from_string);
  o.wild.pvalue =
      v.get_choice("wild_pvalue", {"symmetric", "equal_tailed"}, did::pvalue_type_from_string);
  o.confidence = v.get_double("confidence");
  REVEST_REQUIRE(o.confidence > 0 && o.confidence < 1, v.where("confidence")
                                                           << ": must be in (0, 1)");
  o.wild.confidence = o.confidence;
  const auto pt = v.get_int("replications_per_task");
  REVEST_REQUIRE(pt >= 1 && pt <= 1000000, v.where("replications_per_task")
                                               << ": must be in [1, 1e6]");
  o.replications_per_task = static_cast<std::size_t>(pt);
  if (o.has(DidEstimator::kSpillover)) o.weights = weights_option(v);
  o.cs.validate();
  o.event.validate();
  return o;
}

bool DidOptions::has(DidEstimator e) const {
  return std::find(estimators.begin(), estimators.end(), e) != estimators.end();
}

std::vector<std::string> DidOptions::panel_variables() const {
  std::vector<std::string> v{outcome, timing};
  for (const auto& c : covariates)
    if (std::find(v.begin(), v.end(), c) == v.end()) v.push_back(c);
  return with_weights_variables(v, weights);
}

did::StaggeredPanel staggered_panel(const io::Panel& panel, const io::Geography& geo,
                                    const DidOptions& o, const std::string& who) {
  const std::size_t N = geo.size(), T = panel.num_years();
  auto unit = [&](std::size_t i) {
    return "county " + std::to_string(geo.counties[i].adcode_ref) + " (" +
           geo.counties[i].name_ref + ")";
  };
  did::StaggeredPanel p;
  p.periods = panel.years;
  p.y.resize(static_cast<Eigen::Index>(N), static_cast<Eigen::Index>(T));
  p.first_treat.assign(N, 0);
  const std::size_t vy = panel.variable_index(o.outcome), vg = panel.variable_index(o.timing);
  for (std::size_t i = 0; i < N; ++i) {
    p.unit_names.push_back(unit(i));
    std::optional<double> g;
    int g_year = 0;
    for (std::size_t t = 0; t < T; ++t) {
      const bool seen = panel.is_observed(i, t);
      p.y(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(t)) =
          seen ? panel.at(vy, i, t) : kNaN;
      if (!seen) continue;
      const double gi = panel.at(vg, i, t);
      REVEST_REQUIRE(std::isfinite(gi) && gi >= 0 && gi == std::floor(gi) && gi < 1e5,
                     who << ": " << unit(i) << " has " << o.timing << " = " << gi << " in "
                         << panel.years[t]
                         << " (the first treated year, an integer; 0 = never treated)");
      REVEST_REQUIRE(!g || *g == gi, who << ": " << unit(i) << " has " << o.timing << " = " << *g
                                         << " in " << g_year << " but " << gi << " in "
                                         << panel.years[t]
                                         << " (a unit's first treated year must not change)");
      if (!g) {
        g = gi;
        g_year = panel.years[t];
      }
    }
    p.first_treat[i] = g ? static_cast<int>(*g) : 0;
  }
  for (const std::string& c : o.covariates) {
    const std::size_t vc = panel.variable_index(c);
    Eigen::MatrixXd x(static_cast<Eigen::Index>(N), static_cast<Eigen::Index>(T));
    for (std::size_t i = 0; i < N; ++i)
      for (std::size_t t = 0; t < T; ++t)
        x(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(t)) =
            panel.is_observed(i, t) ? panel.at(vc, i, t) : kNaN;
    p.covariates.push_back(std::move(x));
  }
  return p;
}

std::vector<int> cluster_ids(const io::Geography& geo, ClusterLevel level) {
  std::vector<int> id(geo.size());
  std::map<std::string, int> seen;
  for (std::size_t i = 0; i < geo.size(); ++i) {
    if (level == ClusterLevel::kCounty) {
      id[i] = static_cast<int>(i);
      continue;
    }
    const io::County& c = geo.counties[i];
    const std::string& key = level == ClusterLevel::kProvince ? c.province_en : c.prefecture;
    REVEST_REQUIRE(!key.empty(), "clustering by " << to_string(level) << ": county " << c.adcode_ref
                                                  << " (" << c.name_ref << ") has no "
                                                  << to_string(level) << " in the geography");
    const auto it = seen.emplace(key, static_cast<int>(seen.size())).first;
    id[i] = it->second;
  }
  return id;
}

DidAnalysis::DidAnalysis(std::string name, const io::Geography& geo, const io::Panel& panel,
                         DidOptions options, const WeightsFileTexts& weights_files)
    : name_(std::move(name)), opt_(std::move(options)) {
  const std::string who = "analysis '" + name_ + "'";
  panel_ = staggered_panel(panel, geo, opt_, who);
  cluster_ = cluster_ids(geo, opt_.cluster);
  clusters_ = static_cast<std::size_t>(*std::max_element(cluster_.begin(), cluster_.end())) + 1;
  REVEST_REQUIRE(clusters_ >= 2, who << ": one " << to_string(opt_.cluster)
                                     << " only: clustered inference needs two clusters or more");
  const std::vector<int>& cl = cluster_;
  // A library error becomes one naming the analysis and the estimator.
  auto run = [&](DidEstimator e, auto&& f) {
    try {
      f();
    } catch (const Error& err) {
      REVEST_FAIL(who << " (" << to_string(e) << "): " << err.what());
    }
  };
  std::vector<Eigen::MatrixXd> psi_blocks;
  auto family = [&](const std::string& est, const std::string& what, const Eigen::MatrixXd& psi) {
    Eigen::Index begin = 0;
    for (const auto& f : families_) begin = std::max(begin, f.begin + f.size);
    families_.push_back({est, what, begin, psi.cols()});
    psi_blocks.push_back(by_cluster(psi, cl, clusters_));
  };
  did::WildBootstrapOptions wopt = opt_.wild;
  auto test = [&](const std::string& est, const std::string& term, int e, const did::TwfeDesign& d,
                  const Eigen::VectorXd& a) {
    if (opt_.wild.replications == 0) return;
    wopt.absorbed = d.absorbed;
    auto p = std::make_shared<did::WildProblem>(d.X, d.y, d.cluster, a, wopt);
    REVEST_REQUIRE(p->clusters() == clusters_,
                   "the regression of " << est << " has observations in " << p->clusters()
                                        << " of the " << clusters_ << " " << to_string(opt_.cluster)
                                        << " clusters: the wild bootstrap needs every cluster");
    tested_.push_back({est, term, e, std::move(p)});
  };
  auto unit_vector = [](Eigen::Index k, Eigen::Index j) {
    Eigen::VectorXd a = Eigen::VectorXd::Zero(k);
    a[j] = 1;
    return a;
  };
  for (DidEstimator e : opt_.estimators) {
    switch (e) {
      case DidEstimator::kTwfe:
        run(e, [&] {
          const did::TwfeDesign d = did::twfe_design(panel_, false, panel_.covariates, cl);
          twfe_ = did::fit_twfe(d);
          test("twfe", d.terms[0], 0, d, unit_vector(d.X.cols(), 0));
        });
        break;
      case DidEstimator::kEventStudy:
        run(e, [&] {
          const did::TwfeDesign d =
              did::twfe_design(panel_, true, panel_.covariates, cl, opt_.event);
          event_ = did::fit_twfe(d);
          for (std::size_t j = 0; j < d.terms.size(); ++j)
            if (d.terms[j].rfind("event_time", 0) == 0)
              test("event_study", d.terms[j], d.event_time[j], d,
                   unit_vector(d.X.cols(), static_cast<Eigen::Index>(j)));
        });
        break;
      case DidEstimator::kBacon:
        run(e, [&] { bacon_ = did::bacon_decomposition(panel_); });
        break;
      case DidEstimator::kCallawaySantAnna:
        run(e, [&] {
          cs_ = did::callaway_santanna(panel_, opt_.cs);
          pretest_ = did::parallel_trends_pretest(*cs_);
          family("cs", "att_gt", cs_->influence);
          family("cs", "simple", cs_->simple.influence);
          family("cs", "group", cs_->group.influence);
          family("cs", "dynamic", cs_->dynamic.influence);
          family("cs", "calendar", cs_->calendar.influence);
        });
        break;
      case DidEstimator::kSunAbraham:
        run(e, [&] {
          sa_ = did::sun_abraham(panel_, cl);
          for (std::size_t j = 0; j < sa_->event_time.size(); ++j)
            test("sun_abraham", "event_time " + std::to_string(sa_->event_time[j]),
                 sa_->event_time[j], sa_->design, sa_->weights.col(static_cast<Eigen::Index>(j)));
        });
        break;
      case DidEstimator::kTwoStage:
        run(e, [&] {
          two_stage_ = did::two_stage_did(panel_, nullptr, {.spillover = false}, cl);
          const Eigen::Index cells = static_cast<Eigen::Index>(two_stage_->cells.size());
          family("two_stage", "att_gt", two_stage_->influence.leftCols(cells));
          family("two_stage", "dynamic", two_stage_->dynamic.influence);
        });
        break;
      case DidEstimator::kSpillover:
        run(e, [&] {
          weights_ =
              std::make_unique<WeightsSet>(opt_.weights, geo, panel, std::nullopt, weights_files);
          for (const auto& w : weights_->w) {
            const std::string est = "spillover " + w->label;
            const Eigen::SparseMatrix<double> W = w->W;  // column-major, as src/did takes it
            const did::SpilloverResult s = did::spillover_did(panel_, W, panel_.covariates, cl);
            const Eigen::Index k = s.design.X.cols();
            for (Eigen::Index j = 0; j < 3; ++j)
              test(est + " twfe", s.design.terms[static_cast<std::size_t>(j)], 0, s.design,
                   unit_vector(k, j));
            Eigen::VectorXd a = unit_vector(k, 0);
            a[2] = s.mean_exposure_treated;
            test(est + " twfe", "direct_at_mean_exposure", 0, s.design, a);
            spill_twfe_.push_back(s);
            did::TwoStageResult ts = did::two_stage_did(panel_, &W, {}, cl);
            const Eigen::Index cells = static_cast<Eigen::Index>(ts.cells.size());
            const Eigen::Index K = ts.influence.cols();
            family(est + " two_stage", "att_gt", ts.influence.leftCols(cells));
            family(est + " two_stage", "dynamic", ts.influence.middleCols(cells, K - cells - 2));
            family(est + " two_stage", "spillover", ts.influence.rightCols(2));
            spill_two_stage_.push_back(std::move(ts));
          }
        });
        break;
    }
  }
  Eigen::Index K = 0;
  for (const auto& b : psi_blocks) K += b.cols();
  psi_.resize(static_cast<Eigen::Index>(clusters_), K);
  Eigen::Index at = 0;
  for (const auto& b : psi_blocks) {
    psi_.middleCols(at, b.cols()) = b;
    at += b.cols();
  }
  if (!tested_.empty()) wild_plan_ = did::wild_draw_plan(clusters_, opt_.wild);
}

std::size_t DidAnalysis::num_tasks() const {
  const std::size_t mb = psi_.cols() > 0 ? opt_.multiplier_replications : 0;
  const std::size_t b = std::max(mb, wild_plan_.draws);
  return std::max<std::size_t>(1,
                               (b + opt_.replications_per_task - 1) / opt_.replications_per_task);
}

std::vector<ReplicationSpec> DidAnalysis::replication_specs() const {
  const std::size_t P = opt_.replications_per_task;
  const auto K = std::max<std::size_t>(1, static_cast<std::size_t>(psi_.cols()));
  const std::size_t C = std::max<std::size_t>(1, tested_.size());
  return {{"multiplier",
           {P, K},
           "per replication of the task (b = task x replications_per_task + row) and influence-"
           "function column (families table order): the multiplier bootstrap draw sum_c v_c psi_c "
           "over clusters c (Mammen weights); NaN beyond multiplier_replications"},
          {"wild_sums",
           {P, C, kSums},
           "per wild bootstrap draw and tested coefficient: n0, n1, a0, a1, a2 with t*(r) = (n0 + "
           "d n1) / sqrt(m (a0 + 2 d a1 + d^2 a2)), d = estimate - r (did::WildProblem::DrawSums); "
           "NaN beyond the draws"},
          {"wild_t",
           {P, C},
           "per wild bootstrap draw and tested coefficient: the bootstrap t statistic under the "
           "null that the coefficient is 0",
           "1"}};
}

TaskOutcome DidAnalysis::run_task(std::size_t task, Rng& rng,
                                  std::span<const std::span<double>> out) const {
  const std::size_t P = opt_.replications_per_task, b0 = task * P;
  const auto K = static_cast<std::size_t>(psi_.cols());
  // Multiplier: replications [b0, b1) from part 1 of their streams.
  const std::size_t mb = K > 0 ? opt_.multiplier_replications : 0;
  if (b0 < mb) {
    const std::size_t b1 = std::min(mb, b0 + P);
    const Eigen::MatrixXd D = did::multiplier_draws(psi_, b0, b1, rng, 1);
    for (std::size_t b = 0; b < b1 - b0; ++b)
      for (std::size_t k = 0; k < K; ++k)
        out[0][b * K + k] = D(static_cast<Eigen::Index>(b), static_cast<Eigen::Index>(k));
  }
  // Wild: draws [b0, b1), shared by every tested coefficient, from part 2.
  const std::size_t C = tested_.size();
  if (b0 < wild_plan_.draws) {
    const std::size_t b1 = std::min(wild_plan_.draws, b0 + P);
    Eigen::MatrixXd V(static_cast<Eigen::Index>(b1 - b0), static_cast<Eigen::Index>(clusters_));
    for (std::size_t b = b0; b < b1; ++b)
      V.row(static_cast<Eigen::Index>(b - b0)) =
          did::wild_draw(clusters_, opt_.wild, wild_plan_, b, rng, 2).transpose();
    for (std::size_t c = 0; c < C; ++c) {
      const did::WildProblem& p = *tested_[c].problem;
      const did::WildProblem::DrawSums s = p.sums(V);
      const Eigen::VectorXd t = p.t_from(s, 0.0);
      for (std::size_t b = 0; b < b1 - b0; ++b) {
        const auto r = static_cast<Eigen::Index>(b);
        double* w = &out[1][(b * C + c) * kSums];
        w[0] = s.n0[r];
        w[1] = s.n1[r];
        w[2] = s.a0[r];
        w[3] = s.a1[r];
        w[4] = s.a2[r];
        out[2][b * C + c] = t[r];
      }
    }
  }
  return {};
}

std::vector<Table> DidAnalysis::summarize(ReplicationReader& reader) const {
  const std::size_t P = opt_.replications_per_task, T = num_tasks();
  const auto status = reader.status();
  const auto K = static_cast<std::size_t>(psi_.cols());
  const std::size_t C = tested_.size();
  const std::string est_desc =
      "estimator: cs (Callaway-Sant'Anna), two_stage (imputation, no spillovers), 'spillover W "
      "two_stage' / 'spillover W twfe' (with the exposure through weights W), twfe, event_study, "
      "sun_abraham";
  // ---- multiplier bootstrap: stack the rows of completed tasks ----
  std::vector<did::MultiplierResult> mult(families_.size());
  std::vector<double> se_analytic(K, kNaN);
  for (std::size_t k = 0; k < K; ++k)
    se_analytic[k] = psi_.col(static_cast<Eigen::Index>(k)).norm();
  std::size_t used_mult = 0;
  if (K > 0 && opt_.multiplier_replications > 0) {
    const auto raw = reader.read_columns(0, 0, P * K);
    std::vector<std::size_t> rows;
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t j = 0; j < P; ++j)
        if (status[t] == TaskStatus::kOk && t * P + j < opt_.multiplier_replications)
          rows.push_back(t * P * K + j * K);
    used_mult = rows.size();
    for (std::size_t f = 0; f < families_.size() && rows.size() >= 2; ++f) {
      const Family& fam = families_[f];
      Eigen::MatrixXd D(static_cast<Eigen::Index>(rows.size()), fam.size);
      for (std::size_t r = 0; r < rows.size(); ++r)
        for (Eigen::Index k = 0; k < fam.size; ++k)
          D(static_cast<Eigen::Index>(r), k) =
              raw[rows[r] + static_cast<std::size_t>(fam.begin + k)];
      // The band covers a family's keys; its last column (the overall) joins only for the
      // one-column families.
      const bool with_overall = fam.what != "att_gt" && fam.what != "spillover";
      const Eigen::Index band_cols = with_overall && fam.size > 1 ? fam.size - 1 : fam.size;
      mult[f] = did::multiplier_summary(D.leftCols(band_cols), opt_.confidence);
      Eigen::VectorXd se = Eigen::VectorXd::Constant(fam.size, kNaN);
      se.head(band_cols) = mult[f].se;
      if (band_cols < fam.size)
        se.tail(fam.size - band_cols) =
            did::multiplier_summary(D.rightCols(fam.size - band_cols), opt_.confidence).se;
      mult[f].se = se;
    }
  }
  auto fam_of = [&](const std::string& est, const std::string& what) -> std::size_t {
    for (std::size_t f = 0; f < families_.size(); ++f)
      if (families_[f].estimator == est && families_[f].what == what) return f;
    REVEST_FAIL("internal: no influence family " << est << " / " << what);
  };
  const double z = boost::math::quantile(boost::math::normal(), 0.5 + opt_.confidence / 2);
  TableBuilder att, agg, ev, coef, bac, spill, pre, overall, fams;
  // One row of the event-study table (every estimator's event-time effects side by side).
  auto event_row = [&](const std::string& est, int e, double estimate, double se, double p_w) {
    ev.s("estimator", est, est_desc);
    ev.i("event_time", e, "years since the first treated year", "year");
    ev.d("estimate", estimate, "the effect (units of the outcome)");
    ev.d("se", se, "standard error (cs, two_stage: analytic, clustered; regressions: CRV1)");
    ev.d("p_wild", p_w, "wild cluster bootstrap p-value (regressions only)", "1");
  };
  // One estimate with its analytic and bootstrap inference.
  auto inference = [&](TableBuilder& tb, std::size_t f, Eigen::Index k, double estimate,
                       bool band) {
    const std::size_t col = static_cast<std::size_t>(families_[f].begin + k);
    const double se = se_analytic[col];
    const double se_b = mult.empty() || mult[f].se.size() == 0 ? kNaN : mult[f].se[k];
    const double crit = band && mult[f].se.size() > 0 ? mult[f].crit : kNaN;
    tb.d("estimate", estimate, "the effect (units of the outcome)");
    tb.d("se", se,
         "analytic standard error from the influence functions, clustered at the job's level");
    tb.d("p", normal_p(estimate / se), "two-sided p-value, normal, analytic standard error", "1");
    tb.d("lower", estimate - z * se, "pointwise interval at the job's confidence, analytic se");
    tb.d("upper", estimate + z * se, "pointwise interval at the job's confidence, analytic se");
    tb.d("se_bootstrap", se_b,
         "multiplier bootstrap standard error (IQR / 1.349 of the draws; R did's mboot)");
    tb.d("band_crit", crit, "simultaneous (sup-t) critical value of the family's band", "1");
    const double sb = std::isfinite(se_b) ? se_b : se;
    tb.d("band_lower", estimate - crit * sb,
         "simultaneous band: estimate - band_crit x se_bootstrap");
    tb.d("band_upper", estimate + crit * sb,
         "simultaneous band: estimate + band_crit x se_bootstrap");
  };
  auto cells_table = [&](const std::string& est, const std::vector<did::AttCell>& cells) {
    const std::size_t f = fam_of(est, "att_gt");
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const did::AttCell& cell = cells[c];
      att.s("estimator", est, est_desc);
      att.i("group", cell.group, "cohort: first treated year", "year");
      att.i("period", cell.period, "calendar year", "year");
      att.i("base_period", cell.base, "base year of the comparison (0: not applicable, two_stage)",
            "year");
      att.i("event_time", cell.period - cell.group, "period - group", "year");
      att.i("post", cell.post ? 1 : 0, "1 when period >= group");
      inference(att, f, static_cast<Eigen::Index>(c), cell.att, true);
      att.i("treated", static_cast<std::int64_t>(cell.treated), "treated units in the cell");
      att.i("controls", static_cast<std::int64_t>(cell.controls),
            "comparison units (cs) or untreated units of the period (two_stage)");
    }
  };
  auto aggregate_rows = [&](const std::string& est, const std::string& what,
                            const did::CsAggregate& a) {
    const std::size_t f = fam_of(est, what);
    for (std::size_t k = 0; k <= a.key.size(); ++k) {
      const bool is_overall = k == a.key.size();
      agg.s("estimator", est, est_desc);
      agg.s("aggregation", what, "simple, group, dynamic (event time) or calendar (R did's aggte)");
      agg.s("key", is_overall ? "overall" : std::to_string(a.key[k]),
            "group (cohort), event time or calendar year; 'overall' the aggregate of the keys");
      inference(agg, f, static_cast<Eigen::Index>(k), is_overall ? a.overall_att : a.att[k],
                !is_overall || a.key.empty());
      if (what == "dynamic" && !is_overall)
        event_row(est, a.key[k], a.att[k],
                  se_analytic[static_cast<std::size_t>(families_[f].begin) + k], kNaN);
    }
  };
  // ---- wild bootstrap: p-values and intervals from the stacked per-draw sums ----
  std::vector<double> p_wild(C, kNaN), lo_wild(C, kNaN), hi_wild(C, kNaN);
  std::size_t used_wild = 0;
  if (C > 0 && wild_plan_.draws > 0) {
    const auto raw = reader.read_columns(1, 0, P * C * kSums);
    std::vector<std::size_t> rows;
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t j = 0; j < P; ++j)
        if (status[t] == TaskStatus::kOk && t * P + j < wild_plan_.draws)
          rows.push_back((t * P + j) * C * kSums);
    used_wild = rows.size();
    for (std::size_t c = 0; c < C && !rows.empty(); ++c) {
      did::WildProblem::DrawSums s;
      Eigen::VectorXd* to[kSums] = {&s.n0, &s.n1, &s.a0, &s.a1, &s.a2};
      for (std::size_t q = 0; q < kSums; ++q) {
        to[q]->resize(static_cast<Eigen::Index>(rows.size()));
        for (std::size_t r = 0; r < rows.size(); ++r)
          (*to[q])[static_cast<Eigen::Index>(r)] = raw[rows[r] + c * kSums + q];
      }
      const did::WildProblem& p = *tested_[c].problem;
      p_wild[c] = p.pvalue_from(s, 0.0);
      std::tie(lo_wild[c], hi_wild[c]) = p.interval_from(s);
    }
  }
  // The wild bootstrap's p-value and interval of a coefficient (NaN when it was not tested).
  struct Wild {
    double p = kNaN, lo = kNaN, hi = kNaN;
  };
  auto wild_of = [&](const std::string& est, const std::string& term) {
    for (std::size_t c = 0; c < C; ++c)
      if (tested_[c].estimator == est && tested_[c].term == term)
        return Wild{p_wild[c], lo_wild[c], hi_wild[c]};
    return Wild{};
  };
  auto coefficient_rows = [&](const std::string& est, const did::TwfeResult& fit,
                              bool event_study) {
    for (const did::TwfeCoefficient& c : fit.coefficients) {
      const Wild w = wild_of(est, c.term);
      coef.s("estimator", est, est_desc);
      coef.s("term", c.term, "regressor (D: the treatment dummy; event-study and covariate terms)");
      coef.d("estimate", c.estimate, "coefficient");
      coef.d("se", c.se, "CRV1 standard error clustered at the job's level");
      coef.d("t", c.t, "estimate / se", "1");
      coef.d("p", c.p, "two-sided p-value from t(G - 1)", "1");
      coef.d("p_wild", w.p, "wild cluster bootstrap p-value of the null coefficient = 0", "1");
      coef.d("wild_lower", w.lo, "wild bootstrap interval (test inversion)");
      coef.d("wild_upper", w.hi, "wild bootstrap interval (test inversion)");
      if (event_study && c.term.rfind("event_time", 0) == 0)
        event_row(est, c.event_time, c.estimate, c.se, w.p);
    }
  };
  auto overall_row = [&](const std::string& est, double estimate, double se, double se_b,
                         const Wild& w) {
    overall.s("estimator", est, est_desc);
    overall.d("estimate", estimate,
              "overall effect: cs simple ATT; two_stage mean over treated unit-periods; twfe the "
              "coefficient of D; spillover twfe the direct effect at the mean exposure");
    overall.d("se", se, "analytic (influence function) or CRV1 standard error, clustered");
    overall.d("lower", estimate - z * se, "pointwise interval, analytic / CRV1 se");
    overall.d("upper", estimate + z * se, "pointwise interval, analytic / CRV1 se");
    overall.d("se_bootstrap", se_b, "multiplier bootstrap standard error (cs, two_stage)");
    overall.d("p_wild", w.p, "wild cluster bootstrap p-value (regressions)", "1");
    overall.d("wild_lower", w.lo, "wild bootstrap interval (regressions)");
    overall.d("wild_upper", w.hi, "wild bootstrap interval (regressions)");
  };
  auto se_boot = [&](const std::string& est, const std::string& what, Eigen::Index k) {
    const std::size_t f = fam_of(est, what);
    return mult[f].se.size() > 0 ? mult[f].se[k] : kNaN;
  };
  for (DidEstimator e : opt_.estimators) {
    switch (e) {
      case DidEstimator::kTwfe: {
        coefficient_rows("twfe", *twfe_, false);
        overall_row("twfe", twfe_->coefficients[0].estimate, twfe_->coefficients[0].se, kNaN,
                    wild_of("twfe", twfe_->coefficients[0].term));
        break;
      }
      case DidEstimator::kEventStudy:
        coefficient_rows("event_study", *event_, true);
        break;
      case DidEstimator::kBacon:
        for (const did::BaconComparison& b : bacon_->comparisons) {
          bac.s("type", did::to_string(b.type),
                "treated_vs_never, earlier_vs_later (later not yet treated as controls) or "
                "later_vs_earlier (already-treated units as controls: the 'forbidden' comparison)");
          bac.i("treated_group", b.treated, "the treated timing group (first treated year)",
                "year");
          bac.i("control_group", b.control, "the control timing group (0: never treated)", "year");
          bac.d("estimate", b.estimate, "the 2 x 2 DID estimate");
          bac.d("weight", b.weight, "its weight in the TWFE coefficient (weights sum to 1)", "1");
        }
        break;
      case DidEstimator::kCallawaySantAnna: {
        cells_table("cs", cs_->cells);
        aggregate_rows("cs", "simple", cs_->simple);
        aggregate_rows("cs", "group", cs_->group);
        aggregate_rows("cs", "dynamic", cs_->dynamic);
        aggregate_rows("cs", "calendar", cs_->calendar);
        const std::size_t f = fam_of("cs", "simple");
        overall_row("cs", cs_->simple.overall_att,
                    se_analytic[static_cast<std::size_t>(families_[f].begin)],
                    se_boot("cs", "simple", 0), Wild{});
        pre.s("estimator", "cs", est_desc);
        pre.d("statistic", pretest_->statistic,
              "Wald statistic of the pre-treatment ATT(g, t) (R did's att_gt summary)", "1");
        pre.i("df", static_cast<std::int64_t>(pretest_->cells), "pre-treatment cells");
        pre.d("p", pretest_->pvalue, "chi-squared p-value of parallel pre-trends", "1");
        pre.s("note", pretest_->status.message, "why the test is not available, if it is not");
        break;
      }
      case DidEstimator::kSunAbraham:
        for (std::size_t j = 0; j < sa_->event_time.size(); ++j) {
          const std::string term = "event_time " + std::to_string(sa_->event_time[j]);
          event_row("sun_abraham", sa_->event_time[j], sa_->estimate[j], sa_->se[j],
                    wild_of("sun_abraham", term).p);
        }
        break;
      case DidEstimator::kTwoStage: {
        cells_table("two_stage", two_stage_->cells);
        aggregate_rows("two_stage", "dynamic", two_stage_->dynamic);
        const Eigen::Index last = static_cast<Eigen::Index>(two_stage_->dynamic.key.size());
        overall_row("two_stage", two_stage_->dynamic.overall_att, two_stage_->dynamic.overall_se,
                    se_boot("two_stage", "dynamic", last), Wild{});
        break;
      }
      case DidEstimator::kSpillover:
        for (std::size_t w = 0; w < spill_twfe_.size(); ++w) {
          const std::string est = "spillover " + weights_->w[w]->label;
          const did::SpilloverResult& s = spill_twfe_[w];
          const did::TwoStageResult& ts = spill_two_stage_[w];
          coefficient_rows(est + " twfe", s.fit, false);
          overall_row(est + " twfe", s.direct_at_mean_exposure, s.direct_at_mean_exposure_se, kNaN,
                      wild_of(est + " twfe", "direct_at_mean_exposure"));
          cells_table(est + " two_stage", ts.cells);
          aggregate_rows(est + " two_stage", "dynamic", ts.dynamic);
          const Eigen::Index last = static_cast<Eigen::Index>(ts.dynamic.key.size());
          overall_row(est + " two_stage", ts.dynamic.overall_att, ts.dynamic.overall_se,
                      se_boot(est + " two_stage", "dynamic", last), Wild{});
          const std::size_t f = fam_of(est + " two_stage", "spillover");
          for (int j = 0; j < 2; ++j) {
            spill.s("weights", weights_->w[w]->label, "weights spec of the exposure W D");
            spill.s("quantity", j == 0 ? "spillover_full_exposure" : "average_spillover",
                    "spillover_full_exposure: b_S, the effect on an untreated unit all of whose "
                    "neighbours are treated; average_spillover: b_S x mean exposure of the "
                    "exposed untreated county-years (two-stage estimator)");
            inference(spill, f, j, j == 0 ? ts.spillover : ts.average_spillover, true);
            spill.d("mean_exposure", ts.mean_exposure_untreated,
                    "mean exposure of the exposed untreated county-years", "1");
            spill.i("exposed", static_cast<std::int64_t>(ts.exposed_untreated),
                    "exposed untreated county-years");
          }
        }
        break;
    }
  }
  auto layout_row = [&](const std::string& est, const std::string& family, std::int64_t first,
                        std::int64_t columns, std::size_t replications) {
    fams.s("estimator", est, est_desc);
    fams.s("family", family,
           "att_gt, simple, group, dynamic, calendar or spillover (multiplier); 'wild: TERM' a "
           "coefficient of the wild bootstrap");
    fams.i("first_column", first,
           "first column of the family in its replication dataset (multiplier; for 'wild: TERM' "
           "rows the column of wild_t and the second index of wild_sums)");
    fams.i("columns", columns, "columns of the family");
    fams.i("replications", static_cast<std::int64_t>(replications),
           "bootstrap replications used (wild: the draws, all distinct ones when enumerated)");
    fams.i("clusters", static_cast<std::int64_t>(clusters_), "clusters of the job's level");
  };
  for (const Family& f : families_) layout_row(f.estimator, f.what, f.begin, f.size, used_mult);
  for (std::size_t c = 0; c < C; ++c)
    layout_row(tested_[c].estimator, "wild: " + tested_[c].term, static_cast<std::int64_t>(c), 1,
               used_wild);
  std::vector<Table> out;
  auto add = [&](TableBuilder& tb, const char* name, const char* desc) {
    if (!tb.cols.empty()) out.push_back(tb.table(name, desc));
  };
  add(overall, "overall",
      "one row per estimator: the headline effect of the treatment with analytic and bootstrap "
      "inference (compare TWFE with the heterogeneity-robust estimators)");
  add(att, "att_gt", "group-time average treatment effects ATT(g, t) (cs, two_stage)");
  add(agg, "aggregations", "aggregations of ATT(g, t): simple, group, dynamic and calendar");
  add(ev, "event_study", "event-time effects of every estimator side by side");
  add(coef, "coefficients",
      "regression coefficients (TWFE, event study, spillover TWFE) with CRV1 and wild cluster "
      "bootstrap inference");
  add(bac, "bacon", "Goodman-Bacon decomposition of the TWFE coefficient into 2 x 2 comparisons");
  add(spill, "spillovers", "spillover effects on untreated neighbours (two-stage estimator)");
  add(pre, "pretest", "Wald pre-test of parallel trends (Callaway-Sant'Anna pre-treatment cells)");
  add(fams, "bootstrap_layout",
      "the columns of the replication datasets: influence families (multiplier) and tested "
      "coefficients (wild, wild_t columns), with the replications used");
  if (weights_) {
    out.push_back(weights_->summary_table());
    out.push_back(weights_->matrices_table());
  }
  return out;
}

}  // namespace revest::analyses
