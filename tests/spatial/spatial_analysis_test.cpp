// The job-level spatial analyses (spatial_models, spatial_esda): options and their errors, task
// layout, and summaries that equal direct calls of the estimators.
#include <gtest/gtest.h>

#include <toml++/toml.h>

#include "core/memory_replications.hpp"
#include "io/geography.hpp"
#include "spatial/spatial_analysis.hpp"
#include "synth/generate.hpp"
#include "test_support.hpp"

namespace revest::spatial {
namespace {

const io::Geography& geo() {
  static const io::Geography g = io::load_geography(std::string(REVEST_SOURCE_DIR) + "/data/southwest");
  return g;
}

const io::Panel& panel() {
  static const synth::SyntheticData d = synth::generate(geo(), synth::GenerateOptions{});
  return d.panel;
}

io::AnalysisConfig config(const std::string& kind, const std::string& text) {
  io::AnalysisConfig cfg;
  cfg.kind = kind;
  cfg.name = "sp";
  cfg.options = toml::parse(std::string_view(text), std::string_view("job.toml"));
  return cfg;
}

const char* kModels =
    "weights = [\"queen\", \"knn k=4\"]\n"
    "models = [\"sar\", \"sem\", \"ols\"]\n"
    "formulas = [\"industry_va ~ dig_index + urbanisation\"]\n"
    "cross_section = \"last_year\"\n"
    "effects = \"twoway\"\n"
    "bias_correction = true\n"
    "key = \"\"\n"
    "logdet = \"auto\"\n"
    "information = \"auto\"\n"
    "impact_draws = 20\n"
    "confidence = 0.95\n";

std::string with(const std::string& base, const std::string& key, const std::string& value) {
  std::string s = base;
  const auto p = s.find(key + " = ");
  const auto e = s.find('\n', p);
  return s.replace(p, e - p, key + " = " + value);
}

TEST(FormulaTest, ParsesAndRejects) {
  const Formula f = parse_formula("y ~ a + log(b) +c", "job.toml:3");
  EXPECT_EQ(f.y.variable, "y");
  ASSERT_EQ(f.x.size(), 3u);
  EXPECT_TRUE(f.x[1].log);
  EXPECT_EQ(f.x[1].label(), "log(b)");
  EXPECT_NE(test::error_of([] { parse_formula("y = a", "w"); }).find("exactly one '~'"), std::string::npos);
  EXPECT_NE(test::error_of([] { parse_formula("y ~ a + a", "w"); }).find("appears twice"), std::string::npos);
  EXPECT_NE(test::error_of([] { parse_formula("y ~ y", "w"); }).find("on both sides"), std::string::npos);
  EXPECT_NE(test::error_of([] { parse_formula("y ~ a*b", "w"); }).find("bad term"), std::string::npos);
  EXPECT_NE(test::error_of([] { parse_formula("y ~ log(a", "w"); }).find("unbalanced"), std::string::npos);
}

TEST(SpatialModelsOptionsTest, ErrorsNameTheOption) {
  auto err = [](const std::string& text) {
    const auto c = config("spatial_models", text);
    return test::error_of([&] { SpatialModelsOptions::from(io::OptionView(c)); });
  };
  EXPECT_NE(err(with(kModels, "models", "[\"sarx\"]")).find("unknown spatial model 'sarx'"), std::string::npos);
  EXPECT_NE(err(with(kModels, "weights", "[\"queen k=3\"]")).find("does not apply"), std::string::npos);
  EXPECT_NE(err(with(kModels, "key", "\"road_density\"")).find("is not a regressor"), std::string::npos);
  // A typo in the key is named with the regressor it was probably meant to be (issue 16).
  EXPECT_NE(err(with(kModels, "key", "\"dig_indx\"")).find("(did you mean 'dig_index'?)"), std::string::npos)
      << err(with(kModels, "key", "\"dig_indx\""));
  {
    std::string two = with(kModels, "formulas",
                           "[\"industry_va ~ dig_index + urbanisation\", \"industry_va ~ urbanisation\"]");
    two = with(two, "key", "\"dig_index\"");
    EXPECT_NE(err(two).find("the key must be in every formula"), std::string::npos) << err(two);
  }
  EXPECT_NE(err(with(kModels, "cross_section", "\"decade\"")).find("cross_section"), std::string::npos);
  EXPECT_NE(err(with(kModels, "formulas", "[]")).find("at least one formula"), std::string::npos);
  // Unknown panel variable and log of a non-positive value: errors at construction.
  const auto c = config("spatial_models", with(kModels, "formulas", "[\"industry_va ~ nonsense\"]"));
  const auto o = SpatialModelsOptions::from(io::OptionView(c));
  EXPECT_NE(test::error_of([&] { SpatialModelsAnalysis("sp", geo(), panel(), o, 0); }).find("'nonsense' is not in the panel"),
            std::string::npos);
  const auto c2 = config("spatial_models", with(kModels, "formulas", "[\"industry_va ~ log(pilot)\"]"));
  const auto o2 = SpatialModelsOptions::from(io::OptionView(c2));
  EXPECT_NE(test::error_of([&] { SpatialModelsAnalysis("sp", geo(), panel(), o2, 0); }).find("is not positive"),
            std::string::npos);
}

TEST(SpatialModelsAnalysisTest, TasksAreSpecificationsAndSummariesMatchDirectFits) {
  const auto c = config("spatial_models", kModels);
  const SpatialModelsAnalysis a("sp", geo(), panel(), SpatialModelsOptions::from(io::OptionView(c)), 0);
  ASSERT_EQ(a.num_tasks(), 6u);  // 2 weights x 3 models x 1 formula x 1 cross-section
  MemoryReplications rep = run_serial(a, 11);
  const auto tables = a.summarize(rep);
  ASSERT_EQ(tables.size(), 5u);
  const Table& specs = tables[0];
  EXPECT_EQ(specs.name, "specifications");
  const auto col = [&](const Table& t, const std::string& name) -> const Column& {
    for (const auto& cc : t.columns)
      if (cc.name == name) return cc;
    throw std::runtime_error("no column " + name);
  };
  const auto& rho = std::get<std::vector<double>>(col(specs, "rho").data);
  const auto& model = std::get<std::vector<std::string>>(col(specs, "model").data);
  const auto& kb = std::get<std::vector<double>>(col(specs, "key_coef").data);
  ASSERT_EQ(rho.size(), 6u);
  for (std::size_t t = 0; t < 6; ++t) {
    Rng rng(11, "sp", static_cast<std::uint32_t>(t));
    const SpatialFit f = a.fit(t, &rng);
    ASSERT_TRUE(f.ok);
    EXPECT_EQ(model[t], to_string(f.model));
    if (has_rho(f.model)) {
      EXPECT_EQ(rho[t], f.rho);  // bit for bit
    } else {
      EXPECT_TRUE(std::isnan(rho[t]));
    }
    EXPECT_EQ(kb[t], f.coef[1]);  // dig_index
    // sigma^2: by ML (SSE / n) for every model, unbiased (SSE / (n - k)) for OLS only here.
    EXPECT_EQ(std::get<std::vector<double>>(col(specs, "sigma2_ml").data)[t], f.sigma2_ml);
    const double s2u = std::get<std::vector<double>>(col(specs, "sigma2_unbiased").data)[t];
    if (f.model == Model::kOls) {
      EXPECT_EQ(s2u, f.sigma2_unbiased);
      EXPECT_NEAR(s2u, f.sigma2_ml * 512.0 / (512.0 - 3.0), 1e-12 * s2u);
    } else {
      EXPECT_TRUE(std::isnan(s2u));
    }
  }
  for (const auto& cc : specs.columns) EXPECT_NE(cc.name, "sigma2");  // named apart
  // Robustness: one row per model plus "all".
  const Table& rob = tables[3];
  EXPECT_EQ(rob.name, "robustness");
  EXPECT_EQ(std::get<std::vector<std::string>>(col(rob, "models").data).size(), 4u);
  const Table& w = tables[4];
  EXPECT_EQ(std::get<std::vector<std::int64_t>>(col(w, "links").data)[1], 512 * 4);
}

// SAC on the bundled panel's last year with queen weights: its concentrated log-likelihood has two
// local maxima (models_test.cpp, SacGlobalMaximumTest.BundledDataQueen2022), which the
// specifications table reports in local_maxima / second_mode_* and in its description.
TEST(SpatialModelsAnalysisTest, SacMultimodalityIsReported) {
  const auto c = config("spatial_models",
                        with(with(with(kModels, "models", "[\"sac\", \"sar\"]"), "weights", "[\"queen\"]"),
                             "formulas", "[\"industry_va ~ dig_index + urbanisation + road_density\"]"));
  const SpatialModelsAnalysis a("sp", geo(), panel(), SpatialModelsOptions::from(io::OptionView(c)), 0);
  ASSERT_EQ(a.num_tasks(), 2u);
  MemoryReplications rep = run_serial(a, 11);
  const auto tables = a.summarize(rep);
  const Table& specs = tables[0];
  const auto col = [&](const std::string& name) -> const std::vector<double>& {
    for (const auto& cc : specs.columns)
      if (cc.name == name) return std::get<std::vector<double>>(cc.data);
    throw std::runtime_error("no column " + name);
  };
  Rng rng(11, "sp", 0);
  const SpatialFit f = a.fit(0, &rng);
  ASSERT_TRUE(f.ok) << f.message;
  ASSERT_EQ(f.model, Model::kSac);
  EXPECT_EQ(f.local_maxima, 2);
  EXPECT_EQ(col("local_maxima")[0], 2.0);
  EXPECT_EQ(col("second_mode_gap")[0], f.second_mode_gap);
  EXPECT_GT(col("second_mode_gap")[0], 1.0);  // about 2 (models_test)
  EXPECT_EQ(col("second_mode_rho")[0], f.second_mode_rho);
  EXPECT_EQ(col("second_mode_lambda")[0], f.second_mode_lambda);
  EXPECT_TRUE(std::isnan(col("local_maxima")[1]));  // SAR: not searched
  EXPECT_NE(specs.description.find("1 of 1 SAC fits have a multimodal"), std::string::npos) << specs.description;
}

TEST(SpatialModelsAnalysisTest, PanelCrossSection) {
  const auto c = config("spatial_models", with(with(kModels, "cross_section", "\"panel\""), "models", "[\"sdm\"]"));
  const SpatialModelsAnalysis a("sp", geo(), panel(), SpatialModelsOptions::from(io::OptionView(c)), 0);
  ASSERT_EQ(a.num_tasks(), 2u);
  const SpatialFit f = a.fit(0, nullptr);
  ASSERT_TRUE(f.ok) << f.message;
  EXPECT_EQ(f.n, 512u * 12u);  // 2011-2022
  EXPECT_EQ(f.names.front(), "dig_index");  // no constant with fixed effects
  EXPECT_EQ(f.names.back(), "lag.urbanisation");
}

const char* kEsda =
    "variables = [\"dig_index\"]\n"
    "weights = [\"queen\"]\n"
    "cross_section = \"last_year\"\n"
    "permutations = 99\n"
    "permutations_per_task = 25\n"
    "alpha = 0.05\n";

TEST(SpatialEsdaAnalysisTest, PermutationTasksAndSummaries) {
  const auto c = config("spatial_esda", kEsda);
  const SpatialEsdaAnalysis a("cl", geo(), panel(), SpatialEsdaOptions::from(io::OptionView(c)), 0);
  ASSERT_EQ(a.num_tasks(), 4u);  // 25 + 25 + 25 + 24
  MemoryReplications rep = run_serial(a, 3);
  const auto tables = a.summarize(rep);
  const Table& g = tables[0];
  const auto& value = std::get<std::vector<double>>(g.columns[4].data);
  const auto& perms = std::get<std::vector<std::int64_t>>(g.columns[12].data);
  const auto& pperm = std::get<std::vector<double>>(g.columns.back().data);
  ASSERT_EQ(value.size(), 3u);  // Moran, Geary, G
  const auto& pv = panel().var("dig_index");
  std::vector<double> x(512);
  for (std::size_t i = 0; i < 512; ++i) x[i] = pv[i * panel().num_years() + panel().num_years() - 1];
  const Weights w = build_weights(parse_weights_spec("queen", "t"), geo());
  EXPECT_EQ(value[0], moran(x, w, WeightsMoments(w)).value);
  EXPECT_EQ(perms[0], 99);
  // dig_index is a spatially autocorrelated field (SAR rho = 0.6): no permutation reaches it.
  EXPECT_DOUBLE_EQ(pperm[0], 1.0 / 100.0);
  const Table& lisa = tables[1];
  EXPECT_EQ(std::get<std::vector<std::string>>(lisa.columns[4].data).size(), 512u);
  // Same seed, same result.
  MemoryReplications rep2 = run_serial(a, 3);
  EXPECT_EQ(rep2.read_columns(1, 0, 1024), rep.read_columns(1, 0, 1024));
}

// Every permutation draws from its own stream (seed, analysis, permutation), so how the
// permutations are split into tasks changes nothing: counts, pseudo p-values, q-values and cluster
// labels are identical; the permutation mean and sd are sums taken in another grouping, equal to
// rounding. A different seed gives different permutations.
TEST(SpatialEsdaAnalysisTest, TaskSplitDoesNotChangeTheResults) {
  const std::string two = with(kEsda, "variables", "[\"dig_index\", \"industry_va\"]");
  auto tables = [&](const std::string& per_task, std::uint64_t seed) {
    const auto c = config("spatial_esda", with(two, "permutations_per_task", per_task));
    const SpatialEsdaAnalysis a("cl", geo(), panel(), SpatialEsdaOptions::from(io::OptionView(c)), 0);
    MemoryReplications rep = run_serial(a, seed);
    return std::make_pair(a.num_tasks(), a.summarize(rep));
  };
  const auto [t25, a] = tables("25", 3);
  const auto [t7, b] = tables("7", 3);
  const auto [t99, d] = tables("99", 4);
  EXPECT_EQ(t25, 4u);
  EXPECT_EQ(t7, 15u);
  EXPECT_EQ(t99, 1u);
  ASSERT_EQ(a.size(), b.size());
  bool seed_matters = false;
  for (std::size_t t = 0; t < a.size(); ++t) {
    ASSERT_EQ(a[t].columns.size(), b[t].columns.size());
    for (std::size_t c = 0; c < a[t].columns.size(); ++c) {
      const Column& x = a[t].columns[c];
      const Column& y = b[t].columns[c];
      if (const auto* xd = std::get_if<std::vector<double>>(&x.data)) {
        const auto& yd = std::get<std::vector<double>>(y.data);
        const auto& dd = std::get<std::vector<double>>(d[t].columns[c].data);
        ASSERT_EQ(xd->size(), yd.size());
        const bool sums = x.name.find("mean") != std::string::npos || x.name.find("sd") != std::string::npos ||
                          x.name.find("z_perm") != std::string::npos;
        for (std::size_t i = 0; i < xd->size(); ++i) {
          if (sums)
            EXPECT_NEAR((*xd)[i], yd[i], 1e-12 * std::max(1.0, std::abs(yd[i]))) << a[t].name << "." << x.name;
          else
            EXPECT_EQ((*xd)[i], yd[i]) << a[t].name << "." << x.name << " row " << i;
          seed_matters |= !((*xd)[i] == dd[i]);
        }
      } else {
        EXPECT_EQ(x.data, y.data) << a[t].name << "." << x.name;
      }
    }
  }
  EXPECT_TRUE(seed_matters);
}

}  // namespace
}  // namespace revest::spatial
