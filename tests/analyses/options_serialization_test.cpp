// Boost.Serialization round trips of the typed options that cross the ranks
// (src/analyses/options_serialization.hpp): every options struct of the job analyses and of the
// families they hold, with every field set to a value other than its default, through a text and
// a binary archive, must compare equal (==) to what was sent; and AnalysisSpec of every kind.
#include "analyses/options_serialization.hpp"

#include <gtest/gtest.h>

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/archive/text_iarchive.hpp>
#include <boost/archive/text_oarchive.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "spatial/formula.hpp"

namespace revest::analyses {
namespace {

template <class OA, class IA, class T>
T round_trip(const T& in) {
  std::stringstream ss(std::ios::in | std::ios::out | std::ios::binary);
  {
    OA oa(ss);
    oa << in;
  }
  T out;
  IA ia(ss);
  ia >> out;
  return out;
}

/// `x` is not the default and comes back equal from a text and a binary archive.
template <class T>
void expect_round_trip(const T& x) {
  EXPECT_FALSE(x == T{}) << "set every field to a value other than its default";
  EXPECT_TRUE((round_trip<boost::archive::text_oarchive, boost::archive::text_iarchive>(x) == x));
  EXPECT_TRUE(
      (round_trip<boost::archive::binary_oarchive, boost::archive::binary_iarchive>(x) == x));
}

// ---- every field changed, one struct at a time: a field the serialization forgot comes back at
// its default and fails the comparison.

dea::ThreeStageOptions three_stage() {
  dea::ThreeStageOptions o;
  o.stages = 1;
  o.returns = dea::Returns::kNdrs;
  o.orientation = dea::Orientation::kOutput;
  o.sfa_distribution = sfa::Distribution::kTruncatedNormal;
  o.zero_slacks = dea::ZeroSlacks::kInclude;
  o.slack_scale = dea::SlackScale::kRatio;
  o.confidence = 0.9;
  o.bandwidth = 0.0123456789012345678;
  o.bandwidth_rule = dea::BandwidthRule::kBenchmarking;
  o.efficient_tolerance = 3e-9;
  o.slack_tolerance = 1.0 / 3.0;
  o.bootstrap = dea::BootstrapScope::kThreeStage;
  o.truncated_regression = false;
  return o;
}

index::EntropyTopsisOptions entropy_topsis() {
  index::EntropyTopsisOptions o;
  o.weight_scope = index::WeightScope::kPooled;
  o.confidence = 0.8;
  o.shift = 1e-300;
  return o;
}

realopt::ProcessOptions process() {
  realopt::ProcessOptions o;
  o.kind = realopt::ProcessKind::kJumpDiffusion;
  o.mean_reversion_speed = 0.7;
  o.long_run_ratio = 1.5;
  o.jump_intensity = 0.9;
  o.jump_mean = 0.05;
  o.jump_sd = 0.35;
  return o;
}

realopt::ProjectDesign project() {
  realopt::ProjectDesign o;
  o.defer = false;
  o.stage = false;
  o.expand = false;
  o.abandon = false;
  o.expand_scale = 2.5;
  o.expand_cost = 0.45;
  o.abandon_salvage = 0.25;
  o.pilot_cost = 0.3;
  o.pilot_scale = 0.2;
  o.scaleup_cost = 0.8;
  return o;
}

spatial::LogDetOptions logdet() {
  spatial::LogDetOptions o;
  o.method = spatial::LogDetMethod::kMonteCarlo;
  o.eigen_max_n = 17;
  o.chebyshev_order = 12;
  o.mc_probes = 64;
  o.mc_terms = 90;
  o.seed = 0xFEDCBA9876543210ull;  // every bit of a 64-bit seed
  return o;
}

spatial::ModelOptions model() {
  spatial::ModelOptions o;
  o.information = spatial::Information::kObserved;
  o.dense_max_n = 99;
  o.impact_draws = 7;
  o.confidence = 0.99;
  o.trace_order = 150;
  o.sac_grid = 21;
  o.logdet = logdet();
  return o;
}

spatial::EsdaOptions esda() {
  spatial::EsdaOptions o;
  o.permutations = 499;
  o.alpha = 0.1;
  return o;
}

spatial::WeightsSpec weights() {
  spatial::WeightsSpec o;
  o.text = "economic variable=gdp_pc base=knn, 中文 \"quoted\"";
  o.type = spatial::WeightsType::kEconomic;
  o.k = 4;
  o.distance_km = 55.5;
  o.power = 2.0;
  o.cutoff_km = 300.0;
  o.kernel = spatial::Kernel::kExponential;
  o.bandwidth_km = 150.0;
  o.variable = "gdp_pc";
  o.base = spatial::WeightsType::kKnn;
  o.level = spatial::BlockLevel::kProvince;
  o.file = "../data/县 weights.gwt";
  o.weight_column = "w";
  o.from_column = "src";
  o.to_column = "dst";
  o.row_standardise = false;
  o.islands_nearest = true;
  return o;
}

spatial::Formula formula() {
  spatial::Formula f;
  // Every field of Term set: an expression, its variables, a lag, a factor.
  f = spatial::parse_formula("log(y) ~ x1 + I(x2^2):x1 + lag(x1, 2) + factor(province)", "t");
  EXPECT_EQ(f.x[2].lag, 2);
  EXPECT_EQ(f.x[3].factor, "province");
  EXPECT_EQ(f.x[1].variables, (std::vector<std::string>{"x2", "x1"}));
  return f;
}

EntropyIndexOptions entropy_index() {
  EntropyIndexOptions o;
  o.indicators = {"broadband", "ecommerce", ""};
  o.replications = 4294967296ull;  // 2^32: more than 32 bits
  o.method = entropy_topsis();
  return o;
}

ThreeStageDeaOptions three_stage_dea() {
  ThreeStageDeaOptions o;
  o.inputs = {"labour", "capital"};
  o.outputs = {"output"};
  o.environment = {"urbanisation", "road_density", "gdp_pc"};
  o.replications = 16;
  o.method = three_stage();
  o.malmquist = true;
  o.super_efficiency = true;
  return o;
}

RealOptionsOptions real_options() {
  RealOptionsOptions o;
  o.process = process();
  o.project = project();
  o.exercise_per_year = 12;
  o.basis = realopt::Basis::kLaguerreUnweighted;
  o.order = 3;
  o.paths = 400;
  o.regression_paths = 600;
  o.real_world_paths = 0;
  o.batches = 2;
  o.antithetic = false;
  o.control_variate = false;
  o.upper_bound = true;
  o.upper_outer = 40;
  o.upper_inner = 20;
  o.counterfactual_dig_index = 0.25;
  return o;
}

SpatialModelsOptions spatial_models() {
  SpatialModelsOptions o;
  spatial::WeightsSpec queen;
  queen.text = "queen";
  o.weights = {weights(), queen};
  o.models = {spatial::Model::kSac, spatial::Model::kOls, spatial::Model::kSdem};
  o.formulas = {formula(), formula()};
  o.formulas[1].text = "y ~ x1";
  o.formulas[1].x.pop_back();
  o.formulas[1].x.pop_back();
  o.formulas[1].x.pop_back();
  o.cross_section = CrossSection::kPanel;
  o.effects = spatial::Effects::kUnit;
  o.bias_correction = false;
  o.key = "x1";
  o.method = model();
  return o;
}

SpatialEsdaOptions spatial_esda() {
  SpatialEsdaOptions o;
  o.variables = {"dig_index", "industry_va"};
  o.weights = {weights()};
  o.cross_section = CrossSection::kMean;
  o.permutations_per_task = 33;
  o.method = esda();
  return o;
}

DidOptions did_options() {
  DidOptions o;
  o.outcome = "industry_va";
  o.timing = "pilot_year_2";
  o.covariates = {"urbanisation", "road_density"};
  o.estimators = {DidEstimator::kSpillover, DidEstimator::kCallawaySantAnna};
  o.cs.comparison = did::ComparisonGroup::kNotYetTreated;
  o.cs.base = did::BasePeriod::kUniversal;
  o.cs.anticipation = 2;
  o.cs.balance_e = 3;
  o.cs.method = did::CovariateMethod::kIpw;
  o.event.leads = 6;
  o.event.lags = 2;
  o.cluster = ClusterLevel::kProvince;
  o.multiplier_replications = 77;
  o.wild.type = did::WildType::kUnrestricted;
  o.wild.weights = did::WildWeights::kMammen;
  o.wild.replications = 555;
  o.wild.pvalue = did::PValueType::kEqualTailed;
  o.wild.confidence = 0.9;
  o.wild.absorbed = 3;
  o.weights = {weights()};
  o.confidence = 0.9;
  o.replications_per_task = 13;
  return o;
}

PanelThresholdOptions panel_threshold_options() {
  PanelThresholdOptions o;
  o.outcome = "industry_va";
  o.regime_dependent = {"dig_index", "urbanisation"};
  o.controls = {"road_density"};
  o.time_effects = false;
  o.threshold_variable = "gdp_pc";
  o.replications_per_task = 17;
  o.method.max_thresholds = 5;
  o.method.grid = 123;
  o.method.trim = {0.02, 0.03};
  o.method.replications = 77;
  o.method.bootstrap = threshold::BootstrapKind::kWild;
  o.method.confidence = 0.9;
  o.method.refine = false;
  return o;
}

EfficiencyFactorsOptions efficiency_factors_options(bool with_source = true) {
  EfficiencyFactorsOptions o;
  o.scores_from = with_source ? "efficiency" : "";
  o.stage = 1;
  o.score_variable = with_source ? "" : "score";
  o.environment = {"terrain", "gdp_pc"};
  o.models = {FactorModel::kSw2, FactorModel::kOls};
  o.tobit.censoring = factors::Censoring::kBoth;
  o.tobit.censor_tolerance = 1e-6;
  o.cluster = FactorCluster::kProvince;
  o.per_year = false;
  o.pooled = true;
  o.year_effects = false;
  o.l1 = 33;
  o.l2 = 444;
  o.replications_per_task = 7;
  o.confidence = 0.9;
  o.efficient_tolerance = 1e-5;
  o.seed = 0x123456789abcdefULL;
  if (with_source) o.source = three_stage_dea();
  return o;
}

TEST(OptionsSerialization, FamilyOptions) {
  expect_round_trip(three_stage());
  expect_round_trip(entropy_topsis());
  expect_round_trip(process());
  expect_round_trip(project());
  expect_round_trip(logdet());
  expect_round_trip(model());
  expect_round_trip(esda());
  expect_round_trip(weights());
  expect_round_trip(formula());
}

TEST(OptionsSerialization, JobAnalysesOptions) {
  expect_round_trip(entropy_index());
  expect_round_trip(three_stage_dea());
  expect_round_trip(real_options());
  expect_round_trip(spatial_models());
  expect_round_trip(spatial_esda());
  expect_round_trip(did_options());
  expect_round_trip(panel_threshold_options());
  expect_round_trip(efficiency_factors_options(true));
  expect_round_trip(efficiency_factors_options(false));
}

// The comparison itself sees every field: a round trip that lost one would not pass unnoticed.
TEST(OptionsSerialization, EqualityComparesEveryField) {
  RealOptionsOptions a = real_options(), b = a;
  b.project.scaleup_cost = 0.81;
  EXPECT_FALSE(a == b);
  SpatialModelsOptions c = spatial_models(), d = c;
  d.method.logdet.seed ^= 1;
  EXPECT_FALSE(c == d);
  d = c;
  d.formulas[0].x[1].lag = 3;
  EXPECT_FALSE(c == d);
}

TEST(OptionsSerialization, AnalysisSpecOfEveryKind) {
  const std::vector<AnalysisSpec> specs = {{"digital_index", entropy_index()},
                                           {"efficiency", three_stage_dea()},
                                           {"investment", real_options()},
                                           {"spillovers", spatial_models()},
                                           {"clusters", spatial_esda()},
                                           {"pilot", did_options()},
                                           {"threshold", panel_threshold_options()},
                                           {"factors", efficiency_factors_options()}};
  const std::vector<std::string> kinds = {"entropy_index",   "three_stage_dea",   "real_options",
                                          "spatial_models",  "spatial_esda",      "did",
                                          "panel_threshold", "efficiency_factors"};
  for (std::size_t k = 0; k < specs.size(); ++k) {
    EXPECT_EQ(specs[k].kind(), kinds[k]);
    const AnalysisSpec t =
        round_trip<boost::archive::text_oarchive, boost::archive::text_iarchive>(specs[k]);
    const AnalysisSpec b =
        round_trip<boost::archive::binary_oarchive, boost::archive::binary_iarchive>(specs[k]);
    EXPECT_TRUE(t == specs[k]) << kinds[k];
    EXPECT_TRUE(b == specs[k]) << kinds[k];
    EXPECT_EQ(b.kind(), kinds[k]);
  }
  // All together, as the driver sends them.
  EXPECT_TRUE((round_trip<boost::archive::binary_oarchive, boost::archive::binary_iarchive>(
                   specs) == specs));
}

}  // namespace
}  // namespace revest::analyses
