#include "analyses/three_stage_dea.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <span>

#include "core/error.hpp"
#include "core/memory_replications.hpp"
#include "core/rng.hpp"
#include "dea/dea_test_support.hpp"
#include "synth/dea_design.hpp"
#include "test_support.hpp"

using namespace revest;
using namespace revest::analyses;

namespace {

constexpr std::size_t kN = 150;

// Known truth: synth::make_dea_design (two inputs, one output, an environment z1 that raises
// input use, a placebo z2, managerial efficiency exp(-u)), 150 counties, 2021-2022.
using Fixture = synth::DeaDesignData;
Fixture make_fixture() { return synth::make_dea_design(synth::DeaDesign{}); }

ThreeStageDeaOptions small_options() {
  ThreeStageDeaOptions o;
  o.replications = 20;
  return o;
}

}  // namespace

TEST(ThreeStageDeaAnalysis, PointEstimates) {
  const Fixture f = make_fixture();
  const ThreeStageDeaAnalysis a("eff", f.geo, f.panel, f.system, small_options());
  ASSERT_EQ(a.years().size(), 2u);
  EXPECT_EQ(a.inputs(), (std::vector<std::string>{"x1", "x2"}));
  std::vector<double> th1, th3, truth;
  for (std::size_t t = 0; t < 2; ++t) {
    const dea::ThreeStageResult& Y = a.years()[t].r;
    // Stage 1 is the plain VRS DEA of the observed data.
    dea::DeaOptions o;
    const dea::DeaResult d = dea::solve_dea(Y.x, Y.y, o);
    for (std::size_t i = 0; i < kN; ++i) {
      EXPECT_NEAR(Y.stage1.farrell[i], d.farrell[i], 1e-12);
      EXPECT_GT(Y.stage3.farrell[i], 0.0);
      EXPECT_LE(Y.stage3.farrell[i], 1.0 + 1e-9);
      EXPECT_LE(Y.stage1.farrell[i], 1.0 + 1e-9);
      EXPECT_LE(Y.stage1_crs[i], Y.stage1.farrell[i] + 1e-9);  // CRS <= VRS
      th1.push_back(Y.stage1.farrell[i]);
      th3.push_back(Y.stage3.farrell[i]);
      truth.push_back(f.eff_true[i * 2 + t]);
    }
    // Adjusted inputs never fall below the observed ones; slacks are non-negative.
    EXPECT_TRUE(((Y.x_adj - Y.x).array() >= -1e-12).all());
    EXPECT_TRUE((Y.slack1.array() >= -1e-9).all());
    for (std::size_t k = 0; k < 2; ++k) {
      const std::string st = Y.stage2[k].status_name();
      EXPECT_TRUE(st == "converged" || st == "boundary_gamma_0" || st == "boundary_gamma_1" ||
                  st == "no_variation" || st == "no_convergence")
          << st;
      if (st != "no_variation") {
        EXPECT_TRUE(Y.stage2[k].fit.beta.allFinite());
      }
    }
    EXPECT_GT(Y.h1, 0.0);
    EXPECT_TRUE(Y.truncreg.ok()) << Y.truncreg.status.to_string();
    // The analysis is the library on the year's matrices.
    const auto lib = dea::three_stage(Y.x, Y.y, Y.z, a.options().method);
    EXPECT_EQ(lib.stage3.farrell, Y.stage3.farrell);
    EXPECT_EQ(lib.h1, Y.h1);
  }
  // Known truth: both stages track the managerial efficiency.
  EXPECT_GT(test::corr(th1, truth), 0.7);
  EXPECT_GT(test::corr(th3, truth), 0.7);
}

TEST(ThreeStageDeaAnalysis, ReplicationsAreReproducibleAndFinite) {
  const Fixture f = make_fixture();
  const ThreeStageDeaAnalysis a("eff", f.geo, f.panel, f.system, small_options());
  const auto specs = a.replication_specs();
  ASSERT_EQ(specs.size(), 2u);
  auto run = [&](std::size_t task) {
    std::vector<std::vector<double>> rows;
    for (const auto& s : specs) rows.emplace_back(s.row_size(), std::nan(""));
    std::vector<std::span<double>> spans(rows.begin(), rows.end());
    Rng rng(5, a.name(), static_cast<std::uint32_t>(task));
    const TaskOutcome o = a.run_task(task, rng, spans);
    EXPECT_EQ(o.status, TaskStatus::kOk) << o.message;
    return rows;
  };
  const auto r0 = run(0), r0b = run(0), r1 = run(1);
  EXPECT_EQ(r0, r0b);
  EXPECT_NE(r0[0], r1[0]);
  double mean_shift = 0;
  for (std::size_t t = 0; t < 2; ++t)
    for (std::size_t i = 0; i < kN; ++i) {
      const double b1 = r0[0][(t * 2) * kN + i];
      ASSERT_TRUE(std::isfinite(b1));
      EXPECT_GT(b1, 0.0);
      mean_shift += (b1 - a.years()[t].r.stage1.farrell[i]) / (2.0 * kN);
    }
  // The pseudo frontier lies outside the DEA frontier: bootstrap scores exceed the estimates on
  // average (DEA's upward bias; Simar & Wilson 1998).
  EXPECT_GT(mean_shift, 0.0);
}

TEST(ThreeStageDeaAnalysis, BadDataNamesCountyAndYear) {
  Fixture f = make_fixture();
  f.panel.values[1][7 * 2 + 1] = 0.0;  // x2 of County 7 in 2022
  try {
    ThreeStageDeaAnalysis a("eff", f.geo, f.panel, f.system, small_options());
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("County 7"), std::string::npos) << m;
    EXPECT_NE(m.find("2022"), std::string::npos) << m;
    EXPECT_NE(m.find("x2"), std::string::npos) << m;
  }
  f = make_fixture();
  f.system.indicators.pop_back();
  f.system.indicators.pop_back();  // no environment
  EXPECT_THROW(ThreeStageDeaAnalysis("eff", f.geo, f.panel, f.system, small_options()), Error);
}

// bootstrap = "three_stage": the first year's stage-1 draws are the same as with "scores" (same
// stream, drawn first; later years differ because "scores" also draws a stage-3 pseudo-sample);
// stage 3 re-runs DEA and SFA on the pseudo-sample, so its rows differ; all finite.
TEST(ThreeStageDeaAnalysis, WholeProcedureBootstrap) {
  const Fixture f = make_fixture();
  ThreeStageDeaOptions o = small_options();
  o.method.truncated_regression = false;
  const ThreeStageDeaAnalysis plain("eff", f.geo, f.panel, f.system, o);
  o.method.bootstrap = dea::BootstrapScope::kThreeStage;
  const ThreeStageDeaAnalysis whole("eff", f.geo, f.panel, f.system, o);
  auto run = [&](const ThreeStageDeaAnalysis& a) {
    std::vector<double> row(a.replication_specs()[0].row_size(), std::nan(""));
    std::vector<std::span<double>> spans{std::span<double>(row)};
    Rng rng(5, a.name(), 3);
    const TaskOutcome out = a.run_task(3, rng, spans);
    EXPECT_EQ(out.status, TaskStatus::kOk) << out.message;
    return row;
  };
  const auto p = run(plain), w = run(whole), w2 = run(whole);
  EXPECT_EQ(w, w2);
  std::size_t differ = 0;
  for (std::size_t t = 0; t < 2; ++t)
    for (std::size_t i = 0; i < kN; ++i) {
      if (t == 0) {
        EXPECT_EQ(p[i], w[i]);  // stage 1 of the first year
      }
      const double s3 = w[(t * 2 + 1) * kN + i];
      ASSERT_TRUE(std::isfinite(s3));
      EXPECT_GT(s3, 0.0);
      differ += s3 != p[(t * 2 + 1) * kN + i];
    }
  EXPECT_GT(differ, kN);
}

// Issue 16 through the job analysis: with 60 % of the units efficient the interval's upper bound
// was theta for 98 of 100 units; the bandwidths are in the archive (table `bandwidths`).
TEST(ThreeStageDeaAnalysis, MostUnitsEfficientIntervalsAreNotDegenerate) {
  const synth::DeaDesign d = test::mostly_efficient_design();
  const auto data = synth::make_dea_design(d);
  ThreeStageDeaOptions o;
  o.replications = 200;
  o.method.truncated_regression = false;
  const ThreeStageDeaAnalysis a("eff", data.geo, data.panel, data.system, o);
  MemoryReplications reps(a);
  for (std::size_t b = 0; b < o.replications; ++b) reps.run(a, 7, b);
  const auto tables = a.summarize(reps);
  auto column = [&](const std::string& table, const std::string& name) {
    for (const auto& t : tables)
      if (t.name == table)
        for (const auto& c : t.columns)
          if (c.name == name) return c.data;
    ADD_FAILURE() << table << "/" << name;
    return decltype(Column::data){};
  };
  const auto theta = std::get<std::vector<double>>(column("efficiency", "stage1_vrs"));
  const auto hi = std::get<std::vector<double>>(column("efficiency", "stage1_ci_hi"));
  int efficient = 0, hi_at_theta = 0;
  for (std::size_t i = 0; i < theta.size(); ++i) {
    efficient += theta[i] == 1.0;
    hi_at_theta += std::abs(hi[i] - theta[i]) < 1e-9;
  }
  EXPECT_GE(efficient, 55);
  EXPECT_LE(hi_at_theta, 5);
  // The bandwidths are in the archive, per year and stage.
  const auto h = std::get<std::vector<double>>(column("bandwidths", "bandwidth"));
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0], a.years()[0].r.h1);
  EXPECT_GT(h[0], 0.01);
}

// A one-year job's summaries are the library's bootstrap of that year, bit for bit: the job's task
// r draws from Rng(seed, name, r) = RngKey(seed, name).stream(r).
TEST(ThreeStageDeaAnalysis, OneYearJobEqualsTheLibraryBootstrap) {
  synth::DeaDesign d;
  d.n = 80;
  d.years = {2021};
  const auto f = synth::make_dea_design(d);
  ThreeStageDeaOptions o;
  o.replications = 12;
  const ThreeStageDeaAnalysis a("eff", f.geo, f.panel, f.system, o);
  MemoryReplications reps(a);
  for (std::size_t b = 0; b < o.replications; ++b) reps.run(a, 99, b);
  const auto tables = a.summarize(reps);
  const dea::ThreeStageBootstrap B =
      dea::three_stage_bootstrap(a.years()[0].r, RngKey(99, "eff"), 12);
  int checked = 0;
  for (const auto& t : tables) {
    if (t.name != "efficiency") continue;
    for (const auto& c : t.columns) {
      if (c.name == "stage1_ci_lo") {
        EXPECT_EQ(std::get<std::vector<double>>(c.data), B.stage1.lower);
        ++checked;
      }
      if (c.name == "stage3_bias") {
        EXPECT_EQ(std::get<std::vector<double>>(c.data), B.stage3.bias);
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 2);
}

// stages = 1 with no environment (issue 18): the job analysis runs the DEA and its bootstrap
// only: one stage in the replications, no stage-2 tables, and the stage-1 columns of the
// three-stage run with the same seed (stage 1 draws first from each replication's stream); output
// slacks and each unit's returns to scale are reported. Three stages without an environment are
// an error pointing to stages = 1.
TEST(ThreeStageDeaAnalysis, StagesOneNeedsNoEnvironment) {
  synth::DeaDesign d;
  d.n = 60;
  d.years = {2021};
  const auto f = synth::make_dea_design(d);
  ThreeStageDeaOptions one;
  one.replications = 6;
  one.method.stages = 1;
  one.environment = {"x1"};                 // not used: stages = 1 ...
  one.method.truncated_regression = false;  // ... and no SW2007
  ThreeStageDeaOptions three;
  three.replications = 6;
  const ThreeStageDeaAnalysis a1("eff", f.geo, f.panel, f.system, one);
  const ThreeStageDeaAnalysis a3("eff", f.geo, f.panel, f.system, three);
  ASSERT_EQ(a1.replication_specs().size(), 1u);
  EXPECT_EQ(a1.replication_specs()[0].shape, (std::vector<std::size_t>{1, 1, 60}));
  MemoryReplications r1(a1), r3(a3);
  for (std::size_t b = 0; b < 6; ++b) {
    r1.run(a1, 5, b);
    r3.run(a3, 5, b);
  }
  const auto t1 = a1.summarize(r1), t3 = a3.summarize(r3);
  std::vector<std::string> names1;
  for (const auto& t : t1) names1.push_back(t.name);
  EXPECT_EQ(names1,
            (std::vector<std::string>{"efficiency", "slacks", "output_slacks", "bandwidths"}));
  auto column = [](const Table& t, const std::string& name) -> const Column* {
    for (const auto& c : t.columns)
      if (c.name == name) return &c;
    return nullptr;
  };
  for (const char* c : {"stage1_vrs", "stage1_crs", "stage1_scale", "stage1_rts", "stage1_bias",
                        "stage1_ci_lo", "stage1_ci_hi"}) {
    ASSERT_NE(column(t1[0], c), nullptr) << c;
    EXPECT_EQ(column(t1[0], c)->data, column(t3[0], c)->data) << c;
  }
  EXPECT_EQ(column(t1[0], "stage3_vrs"), nullptr);
  EXPECT_EQ(column(t1[1], "x_adjusted"), nullptr);
  const auto& rts = std::get<std::vector<std::string>>(column(t1[0], "stage1_rts")->data);
  for (const auto& r : rts) EXPECT_TRUE(r == "crs" || r == "irs" || r == "drs") << r;
  // Output slacks: one row per county and output, non-negative, exactly 0 for most units.
  const auto& os = std::get<std::vector<double>>(column(t1[2], "slack1")->data);
  ASSERT_EQ(os.size(), 60u);
  for (double s : os) EXPECT_GE(s, 0.0);
  // Output orientation: efficiencies 1 / phi, named so in the table.
  ThreeStageDeaOptions out = one;
  out.method.orientation = dea::Orientation::kOutput;
  const ThreeStageDeaAnalysis ao("eff", f.geo, f.panel, f.system, out);
  MemoryReplications ro(ao);
  for (std::size_t b = 0; b < 6; ++b) ro.run(ao, 5, b);
  const auto to = ao.summarize(ro);
  EXPECT_NE(to[0].description.find("output efficiency"), std::string::npos) << to[0].description;
  for (double e : std::get<std::vector<double>>(column(to[0], "stage1_vrs")->data)) {
    EXPECT_GT(e, 0.0);
    EXPECT_LE(e, 1.0);
  }
  // Three stages with no environment: the error says what to do.
  ThreeStageDeaOptions bad = three;
  bad.environment.clear();
  io::IndicatorSystem none = f.system;
  for (auto& ind : none.indicators)
    ind.uses.erase(std::remove(ind.uses.begin(), ind.uses.end(), std::string("environment")),
                   ind.uses.end());
  EXPECT_NE(test::error_of([&] {
              ThreeStageDeaAnalysis("eff", f.geo, f.panel, none, bad);
            }).find("stages = 1 runs the DEA and its bootstrap without"),
            std::string::npos);
}

// malmquist = true (issue 18): a table of the Malmquist index between consecutive years, the
// library's dea::malmquist on each pair of years' observed data.
TEST(ThreeStageDeaAnalysis, MalmquistTable) {
  const Fixture f = make_fixture();  // 2021-2022
  ThreeStageDeaOptions o = small_options();
  o.replications = 2;
  o.malmquist = true;
  const ThreeStageDeaAnalysis a("eff", f.geo, f.panel, f.system, o);
  MemoryReplications reps(a);
  for (std::size_t b = 0; b < 2; ++b) reps.run(a, 3, b);
  const auto tables = a.summarize(reps);
  const Table* mq = nullptr;
  for (const auto& t : tables)
    if (t.name == "malmquist") mq = &t;
  ASSERT_NE(mq, nullptr);
  auto col = [&](const std::string& name) -> const std::vector<double>& {
    for (const auto& c : mq->columns)
      if (c.name == name) return std::get<std::vector<double>>(c.data);
    throw std::runtime_error("no column " + name);
  };
  const auto& tfp = col("tfpch");
  ASSERT_EQ(tfp.size(), kN);
  const dea::MalmquistResult lib =
      dea::malmquist(a.years()[0].r.x, a.years()[0].r.y, a.years()[1].r.x, a.years()[1].r.y);
  EXPECT_EQ(tfp, lib.tfpch);
  EXPECT_EQ(col("sech"), lib.sech);
  for (std::size_t i = 0; i < kN; ++i)
    EXPECT_NEAR(tfp[i], col("effch")[i] * col("techch")[i], 1e-12 * tfp[i]);
  // The bootstrap (malmquist_bootstrap, on by default): task b's replications of the pair are
  // the library's malmquist_bootstrap with the analysis's key and part 1 (the pair's part).
  const std::size_t slot = a.replication_specs().size() - 1;
  ASSERT_EQ(a.replication_specs()[slot].name, "malmquist");
  const dea::MalmquistBootstrapResult boot =
      dea::malmquist_bootstrap(a.years()[0].r.x, a.years()[0].r.y, a.years()[1].r.x,
                               a.years()[1].r.y, {}, RngKey(3, "eff"), 2, 1);
  for (std::size_t b = 0; b < 2; ++b) {
    const auto row = reps.row(slot, b);
    for (std::size_t i = 0; i < kN; ++i) {
      const auto bb = static_cast<Eigen::Index>(b), ii = static_cast<Eigen::Index>(i);
      ASSERT_EQ(row[i], boot.tfpch(bb, ii)) << b << " " << i;
      ASSERT_EQ(row[kN + i], boot.effch(bb, ii));
      ASSERT_EQ(row[2 * kN + i], boot.techch(bb, ii));
    }
  }
  // Its summary columns: the basic interval around the point estimate of two replications.
  const auto& lo = col("tfpch_ci_lo");
  const auto& hi = col("tfpch_ci_hi");
  for (std::size_t i = 0; i < kN; ++i) {
    EXPECT_LE(lo[i], hi[i]);
    const double a0 = boot.tfpch(0, static_cast<Eigen::Index>(i));
    const double a1 = boot.tfpch(1, static_cast<Eigen::Index>(i));
    // Type-7 quantiles of two values: q_lo = min + 0.025 |a1 - a0|, q_hi = min + 0.975 |a1 - a0|.
    EXPECT_NEAR(hi[i], 2 * tfp[i] - std::min(a0, a1) - 0.025 * std::abs(a1 - a0), 1e-12);
    EXPECT_NEAR(lo[i], 2 * tfp[i] - std::min(a0, a1) - 0.975 * std::abs(a1 - a0), 1e-12);
  }
  // One year: an error that says why.
  synth::DeaDesign d;
  d.years = {2021};
  const auto one = synth::make_dea_design(d);
  EXPECT_NE(test::error_of([&] {
              ThreeStageDeaAnalysis("eff", one.geo, one.panel, one.system, o);
            }).find("the Malmquist index needs two years or more"),
            std::string::npos);
}

// super_efficiency = true (issue 18): the library's Andersen-Petersen scores as a column: above 1
// exactly for the efficient units, equal to the ordinary score for the others, NaN with status
// "infeasible" where the VRS LP has no solution.
TEST(ThreeStageDeaAnalysis, SuperEfficiencyColumn) {
  synth::DeaDesign d;
  d.n = 60;
  d.years = {2021};
  const auto f = synth::make_dea_design(d);
  ThreeStageDeaOptions o;
  o.replications = 2;
  o.method.stages = 1;
  o.super_efficiency = true;
  const ThreeStageDeaAnalysis a("eff", f.geo, f.panel, f.system, o);
  MemoryReplications reps(a);
  for (std::size_t b = 0; b < 2; ++b) reps.run(a, 3, b);
  const Table eff = a.summarize(reps)[0];
  const std::vector<double>* sup = nullptr;
  const std::vector<std::string>* status = nullptr;
  for (const auto& c : eff.columns) {
    if (c.name == "stage1_super") sup = &std::get<std::vector<double>>(c.data);
    if (c.name == "stage1_super_status") status = &std::get<std::vector<std::string>>(c.data);
  }
  ASSERT_NE(sup, nullptr);
  ASSERT_NE(status, nullptr);
  const dea::ThreeStageResult& Y = a.years()[0].r;
  std::size_t efficient = 0;
  for (std::size_t i = 0; i < 60; ++i) {
    const double e = Y.stage1.efficiency[i];
    if ((*status)[i] == "infeasible") {
      EXPECT_TRUE(std::isnan((*sup)[i]));
      EXPECT_EQ(e, 1.0);  // only an efficient unit can be beyond the others' reach
    } else if (e == 1.0) {
      EXPECT_GE((*sup)[i], 1.0);
      ++efficient;
    } else {
      EXPECT_NEAR((*sup)[i], e, 1e-9);
    }
  }
  EXPECT_GT(efficient, 0u);
}

// An unbalanced panel (issue 18, [data] unbalanced = "allow"): each year's DEA uses the units
// observed that year, the same scores as the DEA of those units alone; a missing unit-year has no
// row in the tables and NaN replications; the Malmquist index uses the units observed in both
// years. Analyses that need every unit in every year refuse the panel, naming the unit-year.
TEST(ThreeStageDeaAnalysis, UnbalancedPanel) {
  Fixture f = make_fixture();  // 2021-2022
  const std::size_t T = 2;
  f.panel.observed.assign(kN * T, 1);
  for (std::size_t i = 0; i < kN; i += 7) {  // every 7th county lacks 2022, every 11th 2021
    f.panel.observed[i * T + 1] = 0;
    for (auto& v : f.panel.values) v[i * T + 1] = std::nan("");
  }
  for (std::size_t i = 3; i < kN; i += 11) {
    f.panel.observed[i * T + 0] = 0;
    for (auto& v : f.panel.values) v[i * T + 0] = std::nan("");
  }
  ThreeStageDeaOptions o = small_options();
  o.replications = 2;
  o.malmquist = true;
  const ThreeStageDeaAnalysis a("eff", f.geo, f.panel, f.system, o);
  std::size_t both = 0;
  for (std::size_t t = 0; t < T; ++t) {
    const ThreeStageYear& Y = a.years()[t];
    EXPECT_EQ(Y.units, f.panel.units_in(t));
    EXPECT_LT(Y.units.size(), kN);
    // The same scores as the DEA of that year's units alone.
    dea::DeaOptions vrs;
    const dea::DeaResult d = dea::solve_dea(Y.r.x, Y.r.y, vrs);
    ASSERT_EQ(d.farrell.size(), Y.units.size());
    for (std::size_t q = 0; q < Y.units.size(); ++q)
      EXPECT_NEAR(Y.r.stage1.farrell[q], d.farrell[q], 1e-12);
  }
  for (std::size_t i = 0; i < kN; ++i)
    both += f.panel.is_observed(i, 0) && f.panel.is_observed(i, 1);
  MemoryReplications reps(a);
  for (std::size_t b = 0; b < 2; ++b) reps.run(a, 3, b);
  // A missing unit-year's replications are NaN; an observed one's finite.
  const auto row = reps.row(0, 0);                        // [year][stage][unit]
  EXPECT_TRUE(std::isnan(row[(1 * 2 + 0) * kN + 0]));     // unit 0, 2022
  EXPECT_TRUE(std::isfinite(row[(0 * 2 + 0) * kN + 0]));  // unit 0, 2021
  EXPECT_TRUE(std::isnan(row[(0 * 2 + 1) * kN + 3]));     // unit 3, 2021, stage 3
  const auto tables = a.summarize(reps);
  auto rows = [](const Table& t) {
    return std::visit([](const auto& v) { return v.size(); }, t.columns.front().data);
  };
  for (const auto& t : tables) {
    const std::size_t observed = 2 * kN - (kN + 6) / 7 - (kN - 3 + 10) / 11;  // 300 - 22 - 14
    if (t.name == "efficiency") {
      EXPECT_EQ(rows(t), observed);
    } else if (t.name == "malmquist") {
      EXPECT_EQ(rows(t), both);
    } else if (t.name == "slacks") {
      EXPECT_EQ(rows(t), 2 * observed);  // two inputs
    }
  }
  // The Malmquist index of the units observed in both years, by the library.
  const Table* mq = nullptr;
  for (const auto& t : tables)
    if (t.name == "malmquist") mq = &t;
  ASSERT_NE(mq, nullptr);
  std::vector<Eigen::Index> r0, r1;
  for (std::size_t i = 0; i < kN; ++i)
    if (a.years()[0].row[i] >= 0 && a.years()[1].row[i] >= 0) {
      r0.push_back(a.years()[0].row[i]);
      r1.push_back(a.years()[1].row[i]);
    }
  const dea::MalmquistResult lib =
      dea::malmquist(a.years()[0].r.x(r0, Eigen::all), a.years()[0].r.y(r0, Eigen::all),
                     a.years()[1].r.x(r1, Eigen::all), a.years()[1].r.y(r1, Eigen::all));
  for (const auto& c : mq->columns) {
    if (c.name == "tfpch") {
      EXPECT_EQ(std::get<std::vector<double>>(c.data), lib.tfpch);
    }
  }
  // The entropy index needs a balanced panel: the error names the unit-year.
  EXPECT_NE(test::error_of([&] {
              f.panel.require_balanced(f.geo, "entropy_index 'idx'");
            }).find("entropy_index 'idx' needs a balanced panel, but unit"),
            std::string::npos);
}
