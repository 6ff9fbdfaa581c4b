// The job analysis spatial_models (src/analyses/spatial_models.hpp): options and their errors,
// task layout, and summaries that equal direct calls of the library's estimators.
#include "analyses/spatial_models.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/memory_replications.hpp"
#include "spatial_test_support.hpp"
#include "test_support.hpp"

namespace revest::analyses {
namespace {

using namespace spatial;

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

TEST(SpatialModelsOptionsTest, ErrorsNameTheOption) {
  auto err = [](const std::string& text) {
    const auto c = test::analysis_config("spatial_models", text);
    return test::error_of([&] { SpatialModelsOptions::from(io::OptionView(c)); });
  };
  EXPECT_NE(
      err(test::with_option(kModels, "models", "[\"sarx\"]")).find("unknown spatial model 'sarx'"),
      std::string::npos);
  EXPECT_NE(err(test::with_option(kModels, "weights", "[\"queen k=3\"]")).find("does not apply"),
            std::string::npos);
  EXPECT_NE(err(test::with_option(kModels, "key", "\"road_density\"")).find("is not a regressor"),
            std::string::npos);
  // A typo in the key is named with the regressor it was probably meant to be (issue 16).
  EXPECT_NE(
      err(test::with_option(kModels, "key", "\"dig_indx\"")).find("(did you mean 'dig_index'?)"),
      std::string::npos)
      << err(test::with_option(kModels, "key", "\"dig_indx\""));
  {
    std::string two = test::with_option(
        kModels, "formulas",
        "[\"industry_va ~ dig_index + urbanisation\", \"industry_va ~ urbanisation\"]");
    two = test::with_option(two, "key", "\"dig_index\"");
    EXPECT_NE(err(two).find("the key must be in every formula"), std::string::npos) << err(two);
  }
  EXPECT_NE(err(test::with_option(kModels, "cross_section", "\"decade\"")).find("cross_section"),
            std::string::npos);
  EXPECT_NE(err(test::with_option(kModels, "formulas", "[]")).find("at least one formula"),
            std::string::npos);
  // Unknown panel variable and log of a non-positive value: errors at construction.
  const auto c = test::analysis_config(
      "spatial_models", test::with_option(kModels, "formulas", "[\"industry_va ~ nonsense\"]"));
  const auto o = SpatialModelsOptions::from(io::OptionView(c));
  EXPECT_NE(test::error_of([&] {
              SpatialModelsAnalysis("sp", test::southwest(), test::generated_panel(), o);
            }).find("'nonsense' is not in the panel"),
            std::string::npos);
  const auto c2 = test::analysis_config(
      "spatial_models", test::with_option(kModels, "formulas", "[\"industry_va ~ log(pilot)\"]"));
  const auto o2 = SpatialModelsOptions::from(io::OptionView(c2));
  EXPECT_NE(test::error_of([&] {
              SpatialModelsAnalysis("sp", test::southwest(), test::generated_panel(), o2);
            }).find("formula term 'log(pilot)' is -inf for county"),
            std::string::npos);
}

TEST(SpatialModelsAnalysisTest, TasksAreSpecificationsAndSummariesMatchDirectFits) {
  const auto c = test::analysis_config("spatial_models", kModels);
  const SpatialModelsAnalysis a("sp", test::southwest(), test::generated_panel(),
                                SpatialModelsOptions::from(io::OptionView(c)));
  ASSERT_EQ(a.num_tasks(), 6u);  // 2 weights x 3 models x 1 formula x 1 cross-section
  MemoryReplications rep = run_serial(a, 11);
  const auto tables = a.summarize(rep);
  ASSERT_EQ(tables.size(), 6u);
  // The last two: the weights' summaries and the matrices themselves, one row per link.
  ASSERT_EQ(tables[4].name, "weights");
  ASSERT_EQ(tables[5].name, "weights_matrices");
  const auto& links = std::get<std::vector<std::int64_t>>(tables[4].columns[2].data);
  ASSERT_EQ(tables[4].columns[2].name, "links");
  EXPECT_EQ(static_cast<std::int64_t>(tables[5].columns[0].size()), links[0] + links[1]);
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
    const FitResult f = a.fit(t, &rng);
    ASSERT_TRUE(f.status.ok());
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
  const auto c = test::analysis_config(
      "spatial_models",
      test::with_option(
          test::with_option(test::with_option(kModels, "models", "[\"sac\", \"sar\"]"), "weights",
                            "[\"queen\"]"),
          "formulas", "[\"industry_va ~ dig_index + urbanisation + road_density\"]"));
  const SpatialModelsAnalysis a("sp", test::southwest(), test::generated_panel(),
                                SpatialModelsOptions::from(io::OptionView(c)));
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
  const FitResult f = a.fit(0, &rng);
  ASSERT_TRUE(f.status.ok()) << f.status.to_string();
  ASSERT_EQ(f.model, Model::kSac);
  EXPECT_EQ(f.local_maxima, 2);
  EXPECT_EQ(col("local_maxima")[0], 2.0);
  EXPECT_EQ(col("second_mode_gap")[0], f.second_mode_gap);
  EXPECT_GT(col("second_mode_gap")[0], 1.0);  // about 2 (models_test)
  EXPECT_EQ(col("second_mode_rho")[0], f.second_mode_rho);
  EXPECT_EQ(col("second_mode_lambda")[0], f.second_mode_lambda);
  EXPECT_TRUE(std::isnan(col("local_maxima")[1]));  // SAR: not searched
  EXPECT_NE(specs.description.find("1 of 1 SAC fits have a multimodal"), std::string::npos)
      << specs.description;
}

TEST(SpatialModelsAnalysisTest, PanelCrossSection) {
  const auto c = test::analysis_config(
      "spatial_models", test::with_option(test::with_option(kModels, "cross_section", "\"panel\""),
                                          "models", "[\"sdm\"]"));
  const SpatialModelsAnalysis a("sp", test::southwest(), test::generated_panel(),
                                SpatialModelsOptions::from(io::OptionView(c)));
  ASSERT_EQ(a.num_tasks(), 2u);
  const FitResult f = a.fit(0, nullptr);
  ASSERT_TRUE(f.status.ok()) << f.status.to_string();
  EXPECT_EQ(f.n, 512u * 12u);               // 2011-2022
  EXPECT_EQ(f.names.front(), "dig_index");  // no constant with fixed effects
  EXPECT_EQ(f.names.back(), "lag.urbanisation");
}

// Formulas in R's notation (issue 18): an interaction, a power through I(), a lag and a factor of
// the provinces give the design a user would build by hand, and the fit on it (bit for bit); the
// coefficient table names the columns as R does.
TEST(SpatialModelsAnalysisTest, FormulaTermsBuildTheDesignByHand) {
  const auto c = test::analysis_config(
      "spatial_models",
      test::with_option(
          test::with_option(test::with_option(kModels, "models", "[\"sar\"]"), "weights",
                            "[\"queen\"]"),
          "formulas",
          "[\"industry_va ~ dig_index * urbanisation + I(road_density^2) + lag(dig_index, 1) + "
          "factor(province)\"]"));
  const io::Panel& panel = test::generated_panel();
  const SpatialModelsAnalysis a("sp", test::southwest(), panel,
                                SpatialModelsOptions::from(io::OptionView(c)));
  ASSERT_EQ(a.num_tasks(), 1u);
  const FitResult f = a.fit(0, nullptr);
  ASSERT_TRUE(f.status.ok()) << f.status.to_string();
  const std::vector<std::string> want = {"(Intercept)",
                                         "dig_index",
                                         "urbanisation",
                                         "dig_index:urbanisation",
                                         "I(road_density^2)",
                                         "lag(dig_index, 1)",
                                         "factor(province)Guizhou",
                                         "factor(province)Sichuan",
                                         "factor(province)Tibet",
                                         "factor(province)Yunnan"};
  EXPECT_EQ(f.names, want);
  // By hand: the last year T-1, its lag T-2; provinces sorted (Chongqing is the reference).
  const io::Geography& geo = test::southwest();
  const std::size_t N = geo.size(), T = panel.num_years();
  Eigen::MatrixXd X(static_cast<Eigen::Index>(N), 10);
  Eigen::VectorXd y(static_cast<Eigen::Index>(N));
  const auto v = [&](const char* name, std::size_t i, std::size_t t) {
    return panel.at(panel.variable_index(name), i, t);
  };
  const char* provinces[4] = {"Guizhou", "Sichuan", "Tibet", "Yunnan"};
  for (std::size_t i = 0; i < N; ++i) {
    const auto r = static_cast<Eigen::Index>(i);
    y[r] = v("industry_va", i, T - 1);
    const double d = v("dig_index", i, T - 1), u = v("urbanisation", i, T - 1);
    const double rd = v("road_density", i, T - 1);
    X.row(r) << 1.0, d, u, d * u, std::pow(rd, 2.0), v("dig_index", i, T - 2), 0, 0, 0, 0;
    for (int p = 0; p < 4; ++p) X(r, 6 + p) = geo.counties[i].province_en == provinces[p];
  }
  const auto w = spatial::build_weights(spatial::parse_weights_spec("queen", "t"),
                                        analyses::spatial_units(geo));
  const spatial::LogDet ld(w, spatial::LogDetOptions{});
  const FitResult g =
      spatial::fit_model(Model::kSar, y, X, want, true, w, ld, ModelOptions{}, nullptr);
  ASSERT_TRUE(g.status.ok());
  EXPECT_EQ(f.coef, g.coef);
  EXPECT_EQ(f.rho, g.rho);
}

}  // namespace
}  // namespace revest::analyses
