#include "synth/generate.hpp"

#include <Eigen/Sparse>
#include <Eigen/SparseLU>
#include <algorithm>
#include <array>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/poisson_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <cmath>
#include <fstream>
#include <limits>
#include <numeric>
#include <sstream>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "io/csv.hpp"

namespace revest::synth {
namespace {

// ------------------------------------------------------------------------------------------------
// Fixed constants of the DGP. Every one of them is also reported in true_parameters (see
// data/README.md for the equations they enter).
// ------------------------------------------------------------------------------------------------

/// Trends are counted from this calendar year whatever the panel's first year: s = year - 2011.
constexpr int kBaseYear = 2011;

/// How the upland gradient w_i in [0, kUplandCap] of a county is measured (see upland()).
enum class Gradient {
  kNone,   // w = 0
  kBasin,  // distance from the Sichuan basin: w = max(0, r - 0.8), r the elliptic distance
  kWest,   // w = max(0, ref_lon - lon) / span
};

/// Province calibration (level in 2011 and geography). The rural income levels are the 2011
/// provincial rural per-capita net incomes, rounded (statistical yearbooks 2012); GDP per capita
/// is about 85 % of the 2011 provincial average (counties without the main cities); the rest are
/// design choices that give realistic county magnitudes.
struct Province {
  const char* name;       // province_en
  double dig_alpha;       // province effect of D
  double cropland_share;  // cropland share of a flat, rural county
  double terrain_base;    // ruggedness (TRI, m) where the upland gradient w is 0
  Gradient gradient;      // how w is measured
  double west_ref;        // kWest: reference longitude, degrees E
  double west_span;       // kWest: degrees per unit of w
  double terrain_slope;   // d ln TRI / d w
  double cropland_slope;  // - d ln cropland share / d w
  double gdp_pc_2011;     // GDP per capita of a rural county in 2011, yuan
  double income_2011;     // rural per-capita income target in 2011, yuan
};
constexpr std::array<Province, 5> kProvinces = {{
    {"Sichuan", -0.75, 0.55, 30.0, Gradient::kBasin, 0, 0, 1.2, 0.5, 22000.0, 6100.0},
    {"Chongqing", -0.45, 0.45, 60.0, Gradient::kBasin, 0, 0, 1.0, 0.5, 30000.0, 6500.0},
    {"Guizhou", -0.90, 0.45, 110.0, Gradient::kNone, 0, 0, 0, 0, 15000.0, 4150.0},
    {"Yunnan", -0.95, 0.40, 110.0, Gradient::kWest, 103.0, 4.0, 0.8, 0.6, 17000.0, 4700.0},
    {"Tibet", -1.50, 0.20, 120.0, Gradient::kNone, 0, 0, 0, 0, 18000.0, 4900.0},
}};

// Upland gradient: the Sichuan basin is the ellipse centred at (105.5 E, 30.3 N) with semi-axes
// 2.0 degrees of longitude and 1.5 of latitude; w grows outside 0.8 of it, capped at 1.5.
constexpr double kBasinLon = 105.5, kBasinLat = 30.3, kBasinAxisLon = 2.0, kBasinAxisLat = 1.5,
                 kBasinInner = 0.8, kUplandCap = 1.5;

// Plateau counties (all of Tibet and the prefectures below) are rougher and farm much less.
constexpr std::array<const char*, 4> kPlateauPrefectures = {"甘孜藏族自治州", "阿坝藏族羌族自治州",
                                                            "迪庆藏族自治州", "怒江傈僳族自治州"};
constexpr double kPlateauTerrain = 0.5;    // shift of ln TRI on the plateau
constexpr double kPlateauCropland = 0.15;  // cropland multiplier on the plateau

// Terrain: ln TRI = ln base_p + terrain_slope_p w + 0.5 plateau + s,
// s = (I - rho_T W)^{-1} eta.
constexpr double kTerrainRho = 0.7;
constexpr double kTerrainSigma = 0.25;

// Cropland c_i (km^2) = max(floor, A_i share_p exp(-cropland_slope_p w) 0.15^plateau
//                                  (1 - 0.7 urban) / (1 + (TRI/150)^1.5) exp(0.2 zeta)),
// with the effective area A_i = area / (1 + area / 8000): very large units are mostly pasture,
// forest or bare land.
constexpr double kCroplandAreaScale = 8000.0;
constexpr double kCroplandTerrainScale = 150.0;
constexpr double kCroplandTerrainPower = 1.5;
constexpr double kCroplandUrban = 0.7;
constexpr double kCroplandSigma = 0.2;
constexpr double kCroplandFloor = 30.0;

// Latent digital development D.
constexpr double kDigUrban = 0.5;  // kappa: shift of D per unit of the urban score

/// An evaluation-index indicator as a monotone function of D:
///   loglinear: exp(a + b D + sd n);  logistic: cap * logistic(a + b D + sd n);
///   stock:     a cumulative count, x_t = x_{t-1} + Poisson(exp(a + b D_t)), x_{-1} = 0 (new
///              certifications each year add to the stock, as Taobao villages do).
enum class Link { kLogLinear, kLogistic, kStock };
struct IndexSpec {
  const char* name;
  Link link;
  double cap, a, b, sd;
};
constexpr std::array<IndexSpec, 8> kIndex = {{
    {"broadband_users", Link::kLogistic, 120.0, 0.2, 1.1, 0.2},
    {"mobile_penetration", Link::kLogLinear, 0.0, 4.4427, 0.22, 0.06},  // a = ln 85
    {"ecommerce_sales", Link::kLogLinear, 0.0, 6.8024, 1.1, 0.3},       // a = ln 900
    {"taobao_villages", Link::kStock, 0.0, -2.0, 1.5, 0.0},
    {"digital_finance", Link::kLogLinear, 0.0, 4.5539, 0.2, 0.05},  // a = ln 95
    {"express_points", Link::kLogLinear, 0.0, 0.4055, 0.8, 0.25},   // a = ln 1.5
    {"fibre_village_share", Link::kLogistic, 100.0, 1.2, 1.8, 0.35},
    {"internet_gap", Link::kLogistic, 60.0, -0.3, -0.8, 0.2},  // cost indicator: falls with D
}};

// Environment variables (see README for the equations).
constexpr double kInfraLevel = 20.0, kInfraDig = 0.45, kInfraCounty = 0.10, kInfraYear = 0.06;
constexpr double kLitA = -0.1, kLitDig = 0.7, kLitUrban = 0.4, kLitYear = 0.2;
constexpr double kFiscA = -1.6, kFiscDig = 0.15, kFiscUrban = -0.5, kFiscCounty = 0.2,
                 kFiscYear = 0.1;
constexpr double kGdpGrowth = 0.085, kGdpSpatial = 0.3, kGdpUrban = 0.5, kGdpCounty = 0.25,
                 kGdpYear = 0.03;

// Controls.
constexpr double kUrbA = -0.9, kUrbUrban = 1.6, kUrbTrend = 0.045, kUrbSpatial = 0.25,
                 kUrbCounty = 0.3, kUrbYear = 0.03;
constexpr double kRoadLevel = 0.9, kRoadTerrain = -0.5, kRoadUrban = 0.4, kRoadTrend = 0.025,
                 kRoadCounty = 0.2, kRoadYear = 0.02;

// DEA technology.
constexpr std::size_t kNumInputs = 5;
constexpr std::array<const char*, kNumInputs> kInputs = {
    "rural_labour", "sown_area", "machinery_power", "fertiliser", "digital_investment"};
constexpr std::array<double, kNumInputs> kInputBase = {0.025, 0.10, 0.035, 15.0, 1.2};  // per km^2
constexpr std::array<double, kNumInputs> kInputTrend = {-0.025, 0.003, 0.03, -0.012, 0.15};
constexpr double kInputMixSigma = 0.15;   // county-specific input mix, sd of ln x*_k
constexpr double kInputYearSigma = 0.05;  // year-to-year wiggle of ln x*_k
constexpr double kDigInvSpatial = 0.6;    // loading of ln x*_digital_investment on e_it
constexpr double kFrontierA0 = 6000.0;    // frontier level A_2011
constexpr double kFrontierGrowth = 0.05;  // frontier shift per year (nominal)

constexpr std::size_t kNumEnv = 5;
constexpr std::array<const char*, kNumEnv> kEnv = {"dig_infra", "dig_literacy", "fiscal_support",
                                                   "terrain", "gdp_pc"};
/// delta[k][j]: excess of ln x_k per unit of environment variable j (panel units: ports per 100
/// persons, score points, percentage points, metres of TRI, yuan). Negative = favourable.
/// gdp_pc has a zero coefficient on purpose (a placebo for the second-stage regressions).
constexpr std::array<std::array<double, kNumEnv>, kNumInputs> kDelta = {{
    {-0.005, -0.003, -0.006, 0.0007, 0.0},
    {-0.0015, -0.0015, -0.007, 0.0004, 0.0},
    {-0.003, -0.002, -0.004, 0.0009, 0.0},
    {-0.003, -0.0035, -0.009, 0.0006, 0.0},
    {-0.008, -0.004, -0.003, 0.0003, 0.0},
}};

// Outputs: agri_output = Q cos(theta), rural_income = s2 Q sin(theta),
// theta = atan(I_target / (s2 Q)).
constexpr double kIncomeScale = 0.4;  // s2, yuan of rural income per unit of Q
constexpr double kIncomeGrowth = 0.10, kIncomeSpatial = 0.15, kIncomeUrban = 0.2,
                 kIncomeCounty = 0.10, kIncomeYear = 0.03;

// Outcome industry_va.
constexpr double kVaIntercept = 10.4, kVaCropland = 0.8, kVaCroplandRef = 300.0, kVaUrban = 0.4,
                 kVaCountySigma = 0.3;
constexpr double kVaYearTrend = 0.07, kVaYearSigma = 0.02;
constexpr double kVaBetaUrbanisation = 0.01, kVaBetaRoad = 0.15;

// Real options, by mode (primary, secondary, tertiary).
constexpr double kRoDigRef = 0.5;  // dig_index at which the base parameters apply
struct ModeSpec {
  double v0_share;         // V0 as a share of the mode's economic base
  double cost_ratio;       // I / V0 at dig_index = kRoDigRef
  double sigma;            // volatility at kRoDigRef
  double mu;               // real-world drift at kRoDigRef
  double required_return;  // risk-adjusted expected return
  double eta_cost, eta_vol, eta_drift;
};
constexpr std::array<ModeSpec, 3> kModes = {{
    {0.20, 1.10, 0.25, 0.030, 0.08, -0.4, -0.3, 0.020},
    {0.25, 1.15, 0.30, 0.035, 0.09, -0.3, -0.2, 0.015},
    {1.50, 1.05, 0.35, 0.040, 0.10, -0.5, -0.4, 0.030},
}};
constexpr double kRoV0Sigma = 0.15, kRoCostSigma = 0.10, kRoVolSigma = 0.10;
constexpr double kRoTertiaryTerrainRef = 100.0, kRoTertiaryTerrainPower = 0.25;

// Threshold split required of gamma (Hansen's trimming is 15 %; 20 % leaves a margin).
constexpr double kMinShareEachSide = 0.2;

double logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }

/// Collects the true parameters with their notes.
class ParamLog {
 public:
  void add(std::string name, double value, std::string note) {
    values.emplace_back(std::move(name), value);
    notes.push_back(std::move(note));
  }
  std::vector<std::pair<std::string, double>> values;
  std::vector<std::string> notes;
};

/// Solves (I - rho W) X = B for a row-standardised W given by its neighbour lists.
Eigen::MatrixXd solve_sar(const std::vector<std::vector<std::uint32_t>>& adj, double rho,
                          const Eigen::MatrixXd& b) {
  const auto n = static_cast<Eigen::Index>(adj.size());
  std::vector<Eigen::Triplet<double>> trip;
  for (Eigen::Index i = 0; i < n; ++i) {
    trip.emplace_back(i, i, 1.0);
    const double w = 1.0 / static_cast<double>(adj[i].size());
    for (auto j : adj[i]) trip.emplace_back(i, static_cast<Eigen::Index>(j), -rho * w);
  }
  Eigen::SparseMatrix<double> a(n, n);
  a.setFromTriplets(trip.begin(), trip.end());
  a.makeCompressed();
  Eigen::SparseLU<Eigen::SparseMatrix<double>> lu;
  lu.analyzePattern(a);
  lu.factorize(a);
  REVEST_REQUIRE(lu.info() == Eigen::Success, "generate: I - rho W is singular for rho = " << rho);
  Eigen::MatrixXd x = lu.solve(b);
  REVEST_REQUIRE(lu.info() == Eigen::Success, "generate: SAR solve failed for rho = " << rho);
  return x;
}

const Province& province_of(const io::County& c) {
  for (const auto& p : kProvinces)
    if (c.province_en == p.name) return p;
  REVEST_FAIL("generate: county " << c.adcode_ref << " (" << c.name_ref << ") is in province '"
                                  << c.province_en
                                  << "', which has no calibration (Sichuan, Chongqing, Guizhou, "
                                     "Yunnan, Tibet)");
}

/// Urban score in [0, 1]: 0.5 for a district (name ends in 区), 0.25 for a county-level city
/// (市), plus 0.5 if the unit is smaller than 500 km^2.
double urban_score(const io::County& c) {
  double s = 0;
  if (c.name_ref.ends_with("区")) s += 0.5;
  if (c.name_ref.ends_with("市")) s += 0.25;
  if (c.area_km2 < 500.0) s += 0.5;
  return std::min(s, 1.0);
}

/// Upland gradient w in [0, kUplandCap] of a county (0 on the Sichuan basin floor).
double upland(const io::County& c, const Province& p) {
  double w = 0;
  if (p.gradient == Gradient::kBasin) {
    const double dx = (c.lon - kBasinLon) / kBasinAxisLon, dy = (c.lat - kBasinLat) / kBasinAxisLat;
    w = std::max(0.0, std::sqrt(dx * dx + dy * dy) - kBasinInner);
  } else if (p.gradient == Gradient::kWest) {
    w = std::max(0.0, p.west_ref - c.lon) / p.west_span;
  }
  return std::min(w, kUplandCap);
}

/// True for a plateau county: all of Tibet and the prefectures in kPlateauPrefectures.
bool plateau(const io::County& c) {
  if (c.province_en == "Tibet") return true;
  return std::find(kPlateauPrefectures.begin(), kPlateauPrefectures.end(), c.prefecture) !=
         kPlateauPrefectures.end();
}

/// Stream of component `what` for county `c` (keyed by its 2022 code).
Rng county_stream(std::uint64_t seed, std::string_view what, const io::County& c) {
  return Rng(seed, what, static_cast<std::uint32_t>(c.adcode_ref));
}

}  // namespace

// ------------------------------------------------------------------------------------------------

bool GenerateOptions::is_valid(std::string* why) const {
  auto fail = [&](const std::string& msg) {
    if (why) *why = msg;
    return false;
  };
  auto finite = [](double x) { return std::isfinite(x); };
  if (first_year < 1990 || last_year > 2100 || last_year <= first_year)
    return fail("years must satisfy 1990 <= first_year < last_year <= 2100 (got " +
                std::to_string(first_year) + ".." + std::to_string(last_year) + ")");
  if (!finite(sar_rho) || !(std::abs(sar_rho) < 1.0))
    return fail("sar_rho must lie in (-1, 1) (got " + io::format_double(sar_rho) + ")");
  if (!finite(dig_sigma_eps) || !(dig_sigma_eps > 0)) return fail("dig_sigma_eps must be > 0");
  if (!finite(dig_phi) || dig_phi < 0 || dig_phi >= 1) return fail("dig_phi must lie in [0, 1)");
  if (!finite(dig_trend)) return fail("dig_trend must be finite");
  if (!finite(sigma_u) || !(sigma_u > 0)) return fail("sigma_u must be > 0");
  if (!finite(sigma_v) || sigma_v < 0) return fail("sigma_v must be >= 0");
  if (frontier_alpha.size() != kNumInputs)
    return fail("frontier_alpha needs " + std::to_string(kNumInputs) + " elasticities (got " +
                std::to_string(frontier_alpha.size()) + ")");
  for (double a : frontier_alpha)
    if (!finite(a) || !(a > 0)) return fail("frontier_alpha elements must be > 0");
  if (did_cohort_effects.size() != pilot_cohorts.size())
    return fail("did_cohort_effects must have one effect per pilot cohort");
  for (double e : did_cohort_effects)
    if (!finite(e)) return fail("did_cohort_effects must be finite");
  if (!finite(did_effect_growth)) return fail("did_effect_growth must be finite");
  if (!finite(did_spillover)) return fail("did_spillover must be finite");
  if (pilot_cohorts.empty()) return fail("pilot_cohorts must not be empty");
  if (pilot_cohorts.size() != pilot_cohort_shares.size())
    return fail("pilot_cohort_shares must have one share per cohort");
  for (std::size_t k = 0; k < pilot_cohorts.size(); ++k) {
    if (pilot_cohorts[k] <= first_year || pilot_cohorts[k] > last_year)
      return fail("pilot cohort " + std::to_string(pilot_cohorts[k]) +
                  " must lie in (first_year, last_year] so that every cohort has pre- and "
                  "post-treatment years");
    if (k > 0 && pilot_cohorts[k] <= pilot_cohorts[k - 1])
      return fail("pilot_cohorts must be strictly ascending");
    if (!finite(pilot_cohort_shares[k]) || !(pilot_cohort_shares[k] > 0))
      return fail("pilot_cohort_shares must be > 0");
  }
  const double sum = std::accumulate(pilot_cohort_shares.begin(), pilot_cohort_shares.end(), 0.0);
  if (std::abs(sum - 1.0) > 1e-9) return fail("pilot_cohort_shares must sum to 1");
  if (!finite(pilot_share) || !(pilot_share > 0 && pilot_share < 1))
    return fail("pilot_share must lie in (0, 1)");
  if (!finite(pilot_selection_slope)) return fail("pilot_selection_slope must be finite");
  if (!finite(threshold_gamma) || !(threshold_gamma > 0 && threshold_gamma < 1))
    return fail("threshold_gamma must lie in (0, 1) (dig_index is a logistic transform)");
  if (!finite(threshold_theta1) || !finite(threshold_theta2))
    return fail("threshold slopes must be finite");
  if (!finite(va_sigma) || va_sigma < 0) return fail("va_sigma must be >= 0");
  if (!finite(riskless_rate) || !(riskless_rate > 0) || riskless_rate >= 0.2)
    return fail("riskless_rate must lie in (0, 0.2)");
  if (!finite(project_horizon) || !(project_horizon > 0))
    return fail("project_horizon must be > 0");
  return true;
}

const char* to_string(ProjectMode m) {
  switch (m) {
    case ProjectMode::kPrimary:
      return "primary";
    case ProjectMode::kSecondary:
      return "secondary";
    case ProjectMode::kTertiary:
      return "tertiary";
  }
  return "primary";
}

ProjectMode project_mode_from_string(const std::string& s) {
  if (s == "primary") return ProjectMode::kPrimary;
  if (s == "secondary") return ProjectMode::kSecondary;
  if (s == "tertiary") return ProjectMode::kTertiary;
  REVEST_FAIL("unknown project mode '" << s << "' (expected primary, secondary or tertiary)");
}

double SyntheticData::parameter(std::string_view name) const {
  for (const auto& [k, v] : true_parameters)
    if (k == name) return v;
  REVEST_FAIL("synthetic data: no true parameter '" << name << "'");
}

// ------------------------------------------------------------------------------------------------

SyntheticData generate(const io::Geography& geo, const GenerateOptions& opt) {
  std::string why;
  REVEST_REQUIRE(opt.is_valid(&why), "generate: invalid options: " << why);
  const std::size_t n = geo.size();
  REVEST_REQUIRE(n >= 2, "generate: the geography has " << n << " counties (need at least 2)");
  const auto adj = io::Geography::adjacency(geo.queen, n);
  for (std::size_t i = 0; i < n; ++i)
    REVEST_REQUIRE(!adj[i].empty(), "generate: county " << geo.counties[i].adcode_ref << " ("
                                                        << geo.counties[i].name_ref
                                                        << ") has no queen neighbour");
  const int years = opt.last_year - opt.first_year + 1;
  const std::size_t nt = static_cast<std::size_t>(years);
  const std::uint64_t seed = opt.seed;
  using boost::random::normal_distribution;
  normal_distribution<double> stdnorm(0.0, 1.0);
  auto at = [nt](std::size_t i, std::size_t t) { return i * nt + t; };
  auto s_of = [&](std::size_t t) {
    return static_cast<double>(opt.first_year + static_cast<int>(t) - kBaseYear);
  };

  ParamLog par;
  SyntheticData out;
  out.options = opt;
  for (io::Panel* p : {&out.panel, &out.truth}) {
    for (int y = opt.first_year; y <= opt.last_year; ++y) p->years.push_back(y);
    p->num_counties = n;
  }
  auto var = [&]() { return std::vector<double>(n * nt, 0.0); };

  // ---- county geography: province, urban score, terrain, cropland ------------------------------
  std::vector<const Province*> prov(n);
  std::vector<double> urban(n), terrain(n), cropland(n), upland_w(n), plateau_v(n);
  {
    Eigen::MatrixXd eta(n, 1);
    for (std::size_t i = 0; i < n; ++i) {
      prov[i] = &province_of(geo.counties[i]);
      urban[i] = urban_score(geo.counties[i]);
      Rng rng = county_stream(seed, "generate/terrain", geo.counties[i]);
      eta(static_cast<Eigen::Index>(i), 0) = kTerrainSigma * stdnorm(rng);
    }
    const Eigen::MatrixXd field = solve_sar(adj, kTerrainRho, eta);
    for (std::size_t i = 0; i < n; ++i) {
      const auto& c = geo.counties[i];
      const Province& p = *prov[i];
      const double w = upland(c, p);
      const bool high = plateau(c);
      upland_w[i] = w;
      plateau_v[i] = high ? 1.0 : 0.0;
      terrain[i] =
          std::exp(std::log(p.terrain_base) + p.terrain_slope * w + (high ? kPlateauTerrain : 0.0) +
                   field(static_cast<Eigen::Index>(i), 0));
      Rng rng = county_stream(seed, "generate/cropland", c);
      const double z = stdnorm(rng);
      const double rugged =
          1.0 + std::pow(terrain[i] / kCroplandTerrainScale, kCroplandTerrainPower);
      const double area_eff = c.area_km2 / (1.0 + c.area_km2 / kCroplandAreaScale);
      cropland[i] = std::max(
          kCroplandFloor, area_eff * p.cropland_share * std::exp(-p.cropland_slope * w) *
                              (high ? kPlateauCropland : 1.0) * (1.0 - kCroplandUrban * urban[i]) /
                              rugged * std::exp(kCroplandSigma * z));
    }
  }

  // ---- latent digital development D ------------------------------------------------------------
  Eigen::MatrixXd eps(n, nt);
  for (std::size_t i = 0; i < n; ++i) {
    Rng rng = county_stream(seed, "generate/dig_eps", geo.counties[i]);
    const double c = std::sqrt(1.0 - opt.dig_phi * opt.dig_phi);
    double prev = 0;
    for (std::size_t t = 0; t < nt; ++t) {
      const double xi = stdnorm(rng);
      prev = t == 0 ? opt.dig_sigma_eps * xi : opt.dig_phi * prev + c * opt.dig_sigma_eps * xi;
      eps(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(t)) = prev;
    }
  }
  const Eigen::MatrixXd espat = solve_sar(adj, opt.sar_rho, eps);
  std::vector<double> D = var(), E = var(), EPS = var(), dig = var();
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t t = 0; t < nt; ++t) {
      const auto ii = static_cast<Eigen::Index>(i), tt = static_cast<Eigen::Index>(t);
      E[at(i, t)] = espat(ii, tt);
      EPS[at(i, t)] = eps(ii, tt);
      D[at(i, t)] =
          prov[i]->dig_alpha + kDigUrban * urban[i] + opt.dig_trend * s_of(t) + E[at(i, t)];
      dig[at(i, t)] = logistic(D[at(i, t)]);
    }

  // ---- evaluation-index indicators -------------------------------------------------------------
  std::vector<std::vector<double>> index(kIndex.size(), var());
  for (std::size_t i = 0; i < n; ++i) {
    Rng rng = county_stream(seed, "generate/index", geo.counties[i]);
    Rng rng_pois = county_stream(seed, "generate/taobao", geo.counties[i]);
    for (std::size_t t = 0; t < nt; ++t)
      for (std::size_t j = 0; j < kIndex.size(); ++j) {
        const IndexSpec& s = kIndex[j];
        const double d = D[at(i, t)];
        double x = 0;
        switch (s.link) {
          case Link::kLogLinear:
            x = std::exp(s.a + s.b * d + s.sd * stdnorm(rng));
            break;
          case Link::kLogistic:
            x = s.cap * logistic(s.a + s.b * d + s.sd * stdnorm(rng));
            break;
          case Link::kStock: {
            boost::random::poisson_distribution<int, double> pois(std::exp(s.a + s.b * d));
            const double before = t > 0 ? index[j][at(i, t - 1)] : 0.0;
            x = before + static_cast<double>(pois(rng_pois));
            break;
          }
        }
        index[j][at(i, t)] = x;
      }
  }

  // ---- environment variables and controls ------------------------------------------------------
  std::vector<double> infra = var(), literacy = var(), fiscal = var(), terr = var(), gdp = var(),
                      urbanisation = var(), road = var();
  for (std::size_t i = 0; i < n; ++i) {
    Rng rng = county_stream(seed, "generate/environment", geo.counties[i]);
    const double z_infra = stdnorm(rng), z_fisc = stdnorm(rng), z_gdp = stdnorm(rng);
    Rng rc = county_stream(seed, "generate/controls", geo.counties[i]);
    const double z_urb = stdnorm(rc), z_road = stdnorm(rc);
    for (std::size_t t = 0; t < nt; ++t) {
      const std::size_t k = at(i, t);
      const double s = s_of(t);
      const double w_infra = stdnorm(rng), w_lit = stdnorm(rng), w_fisc = stdnorm(rng),
                   w_gdp = stdnorm(rng);
      infra[k] =
          kInfraLevel * std::exp(kInfraDig * D[k] + kInfraCounty * z_infra + kInfraYear * w_infra);
      literacy[k] =
          100.0 * logistic(kLitA + kLitDig * D[k] + kLitUrban * urban[i] + kLitYear * w_lit);
      fiscal[k] = 100.0 * logistic(kFiscA + kFiscDig * D[k] + kFiscUrban * urban[i] +
                                   kFiscCounty * z_fisc + kFiscYear * w_fisc);
      terr[k] = terrain[i];
      gdp[k] = prov[i]->gdp_pc_2011 *
               std::exp(kGdpGrowth * s + kGdpSpatial * E[k] + kGdpUrban * urban[i] +
                        kGdpCounty * z_gdp + kGdpYear * w_gdp);
      const double w_urb = stdnorm(rc), w_road = stdnorm(rc);
      urbanisation[k] =
          100.0 * logistic(kUrbA + kUrbUrban * urban[i] + kUrbTrend * s + kUrbSpatial * E[k] +
                           kUrbCounty * z_urb + kUrbYear * w_urb);
      road[k] = kRoadLevel * std::exp(kRoadTerrain * (std::log(terrain[i]) - std::log(100.0)) +
                                      kRoadUrban * urban[i] + kRoadTrend * s +
                                      kRoadCounty * z_road + kRoadYear * w_road);
    }
  }

  // ---- DEA technology --------------------------------------------------------------------------
  const auto& alpha = opt.frontier_alpha;
  const double alpha_sum = std::accumulate(alpha.begin(), alpha.end(), 0.0);
  std::array<std::vector<double>, kNumInputs> xstar, lin, g, v, x;
  for (std::size_t k = 0; k < kNumInputs; ++k) xstar[k] = lin[k] = g[k] = v[k] = x[k] = var();
  std::vector<double> u = var(), q = var(), theta = var(), income_target = var(), agri = var(),
                      income = var();
  const std::array<const std::vector<double>*, kNumEnv> env = {&infra, &literacy, &fiscal, &terr,
                                                               &gdp};
  std::array<double, kNumInputs> lin_min;
  lin_min.fill(std::numeric_limits<double>::infinity());
  for (std::size_t i = 0; i < n; ++i) {
    Rng rf = county_stream(seed, "generate/frontier", geo.counties[i]);
    std::array<double, kNumInputs> mix;
    for (auto& m : mix) m = kInputMixSigma * stdnorm(rf);
    Rng ru = county_stream(seed, "generate/inefficiency", geo.counties[i]);
    Rng rv = county_stream(seed, "generate/input_noise", geo.counties[i]);
    Rng ri = county_stream(seed, "generate/income", geo.counties[i]);
    const double z_inc = stdnorm(ri);
    for (std::size_t t = 0; t < nt; ++t) {
      const std::size_t c = at(i, t);
      const double s = s_of(t);
      double lnq = std::log(kFrontierA0) + kFrontierGrowth * s;
      for (std::size_t k = 0; k < kNumInputs; ++k) {
        double ln = std::log(kInputBase[k] * cropland[i]) + kInputTrend[k] * s + mix[k] +
                    kInputYearSigma * stdnorm(rf);
        if (k == kNumInputs - 1) ln += kDigInvSpatial * E[c];
        xstar[k][c] = std::exp(ln);
        lnq += alpha[k] * ln;
        double l = 0;
        for (std::size_t j = 0; j < kNumEnv; ++j) l += kDelta[k][j] * (*env[j])[c];
        lin[k][c] = l;
        lin_min[k] = std::min(lin_min[k], l);
        v[k][c] = opt.sigma_v * stdnorm(rv);
      }
      u[c] = opt.sigma_u * std::abs(stdnorm(ru));
      q[c] = std::exp(lnq);
      income_target[c] =
          prov[i]->income_2011 *
          std::exp(kIncomeGrowth * s + kIncomeSpatial * E[c] + kIncomeUrban * urban[i] +
                   kIncomeCounty * z_inc + kIncomeYear * stdnorm(ri));
      theta[c] = std::atan(income_target[c] / (kIncomeScale * q[c]));
      agri[c] = q[c] * std::cos(theta[c]);
      income[c] = kIncomeScale * q[c] * std::sin(theta[c]);
    }
  }
  std::vector<double> eff_m = var(), eff_in = var(), eff_in_nonoise = var(), eff_out = var();
  for (std::size_t c = 0; c < n * nt; ++c) {
    double sum_all = 0, sum_env = 0;
    for (std::size_t k = 0; k < kNumInputs; ++k) {
      g[k][c] = lin[k][c] - lin_min[k];
      x[k][c] = xstar[k][c] * std::exp(u[c] + g[k][c] + v[k][c]);
      sum_all += alpha[k] * (u[c] + g[k][c] + v[k][c]);
      sum_env += alpha[k] * g[k][c];
    }
    eff_m[c] = std::exp(-u[c]);
    eff_in[c] = std::exp(-sum_all / alpha_sum);
    eff_in_nonoise[c] = std::exp(-u[c] - sum_env / alpha_sum);
    eff_out[c] = std::exp(-sum_all);
  }

  // ---- digital-village pilot -------------------------------------------------------------------
  std::vector<double> dbar(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t t = 0; t < nt; ++t) dbar[i] += D[at(i, t)];
    dbar[i] /= static_cast<double>(nt);
  }
  const double dbar_mean = std::accumulate(dbar.begin(), dbar.end(), 0.0) / static_cast<double>(n);
  double dbar_var = 0;
  for (double d : dbar) dbar_var += (d - dbar_mean) * (d - dbar_mean);
  const double dbar_sd = std::sqrt(dbar_var / static_cast<double>(n - 1));
  const double sel_a = std::log(opt.pilot_share / (1.0 - opt.pilot_share));
  std::vector<double> prob(n), cohort(n, 0.0);
  std::vector<std::size_t> cohort_count(opt.pilot_cohorts.size(), 0);
  for (std::size_t i = 0; i < n; ++i) {
    prob[i] = logistic(sel_a + opt.pilot_selection_slope * (dbar[i] - dbar_mean) / dbar_sd);
    Rng rng = county_stream(seed, "generate/pilot", geo.counties[i]);
    const double u1 = rng.uniform01(), u2 = rng.uniform01();
    if (u1 >= prob[i]) continue;
    double cum = 0;
    std::size_t k = 0;
    for (; k + 1 < opt.pilot_cohorts.size(); ++k) {
      cum += opt.pilot_cohort_shares[k];
      if (u2 < cum) break;
    }
    cohort[i] = opt.pilot_cohorts[k];
    ++cohort_count[k];
  }
  std::vector<double> pilot = var(), pilot_year = var(), prob_v = var();
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t t = 0; t < nt; ++t) {
      pilot_year[at(i, t)] = cohort[i];
      pilot[at(i, t)] = cohort[i] > 0 && opt.first_year + static_cast<int>(t) >= cohort[i] ? 1 : 0;
      prob_v[at(i, t)] = prob[i];
    }
  // The pilot's effects: direct on a pilot county (by cohort, growing with the years since
  // adoption), spillover on an untreated county in proportion to its share of pilot neighbours.
  std::vector<double> did_direct = var(), did_spill = var(), exposure = var();
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t t = 0; t < nt; ++t) {
      const int year = opt.first_year + static_cast<int>(t);
      if (pilot[at(i, t)] > 0) {
        const auto k =
            static_cast<std::size_t>(std::find(opt.pilot_cohorts.begin(), opt.pilot_cohorts.end(),
                                               static_cast<int>(cohort[i])) -
                                     opt.pilot_cohorts.begin());
        did_direct[at(i, t)] = opt.did_cohort_effects[k] +
                               opt.did_effect_growth * (year - static_cast<int>(cohort[i]));
        continue;
      }
      double treated_neighbours = 0;
      for (std::size_t j : adj[i]) treated_neighbours += pilot[at(j, t)];
      exposure[at(i, t)] = treated_neighbours / static_cast<double>(adj[i].size());
      did_spill[at(i, t)] = opt.did_spillover * exposure[at(i, t)];
    }

  // ---- threshold check and outcome -------------------------------------------------------------
  std::size_t below = 0;
  for (double d : dig) below += d <= opt.threshold_gamma;
  const double share_below = static_cast<double>(below) / static_cast<double>(n * nt);
  if (share_below < kMinShareEachSide || share_below > 1.0 - kMinShareEachSide) {
    std::vector<double> sorted = dig;
    std::sort(sorted.begin(), sorted.end());
    const double q20 = sorted[static_cast<std::size_t>(0.2 * static_cast<double>(sorted.size()))];
    const double q80 = sorted[static_cast<std::size_t>(0.8 * static_cast<double>(sorted.size()))];
    REVEST_FAIL("generate: threshold_gamma = " << opt.threshold_gamma << " leaves "
                                               << 100.0 * share_below
                                               << " % of the county-years at or below it; choose "
                                                  "it between the 20 % and 80 % quantiles of "
                                                  "dig_index ("
                                               << q20 << ", " << q80 << ")");
  }
  std::vector<double> year_fe(nt);
  for (std::size_t t = 0; t < nt; ++t) {
    Rng rng(seed, "generate/year_fe",
            static_cast<std::uint32_t>(opt.first_year + static_cast<int>(t)));
    year_fe[t] = kVaYearTrend * s_of(t) + kVaYearSigma * stdnorm(rng);
  }
  std::vector<double> va = var(), va_fe = var(), va_yfe = var(), va_noise = var();
  for (std::size_t i = 0; i < n; ++i) {
    Rng rng = county_stream(seed, "generate/outcome", geo.counties[i]);
    const double fe = kVaIntercept + kVaCropland * std::log(cropland[i] / kVaCroplandRef) +
                      kVaUrban * urban[i] + kVaCountySigma * stdnorm(rng);
    for (std::size_t t = 0; t < nt; ++t) {
      const std::size_t c = at(i, t);
      const double d = dig[c];
      const double thr =
          d <= opt.threshold_gamma ? opt.threshold_theta1 * d : opt.threshold_theta2 * d;
      va_noise[c] = opt.va_sigma * stdnorm(rng);
      va_fe[c] = fe;
      va_yfe[c] = year_fe[t];
      va[c] = fe + year_fe[t] + did_direct[c] + did_spill[c] + thr +
              kVaBetaUrbanisation * urbanisation[c] + kVaBetaRoad * road[c] + va_noise[c];
    }
  }

  // ---- real-option projects (calibrated on the last year) -------------------------------------
  const std::size_t tl = nt - 1;
  out.projects.reserve(3 * n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = at(i, tl);
    Rng rng = county_stream(seed, "generate/projects", geo.counties[i]);
    const double base[3] = {
        agri[c],
        std::exp(va[c]),
        index[2][c] * x[0][c] *
            std::pow(terrain[i] / kRoTertiaryTerrainRef, kRoTertiaryTerrainPower),
    };
    for (std::size_t m = 0; m < 3; ++m) {
      const ModeSpec& ms = kModes[m];
      const double z_v = stdnorm(rng), z_i = stdnorm(rng), z_s = stdnorm(rng);
      const double dd = dig[c] - kRoDigRef;
      ProjectParams p;
      p.adcode = geo.counties[i].adcode_ref;
      p.county = i;
      p.mode = static_cast<ProjectMode>(m);
      p.v0 = ms.v0_share * base[m] * std::exp(kRoV0Sigma * z_v);
      p.investment = p.v0 * ms.cost_ratio * std::exp(ms.eta_cost * dd + kRoCostSigma * z_i);
      p.sigma = ms.sigma * std::exp(ms.eta_vol * dd + kRoVolSigma * z_s);
      p.mu = ms.mu + ms.eta_drift * dd;
      p.required_return = ms.required_return;
      p.delta = p.required_return - p.mu;
      p.r = opt.riskless_rate;
      p.horizon = opt.project_horizon;
      p.dig_index = dig[c];
      p.cost_semi_elasticity = ms.eta_cost;
      p.drift_semi_elasticity = ms.eta_drift;
      p.vol_semi_elasticity = ms.eta_vol;
      out.projects.push_back(p);
    }
  }

  // ---- observed panel (order of config/indicators.toml) ----------------------------------------
  for (std::size_t k = 0; k < kNumInputs; ++k) out.panel.add(kInputs[k], x[k]);
  out.panel.add("agri_output", agri);
  out.panel.add("rural_income", income);
  out.panel.add("dig_infra", infra);
  out.panel.add("dig_literacy", literacy);
  out.panel.add("fiscal_support", fiscal);
  out.panel.add("terrain", terr);
  out.panel.add("gdp_pc", gdp);
  for (std::size_t j = 0; j < kIndex.size(); ++j) out.panel.add(kIndex[j].name, index[j]);
  out.panel.add("pilot", pilot);
  out.panel.add("pilot_year", pilot_year);
  out.panel.add("industry_va", va);
  out.panel.add("dig_index", dig);
  out.panel.add("urbanisation", urbanisation);
  out.panel.add("road_density", road);

  // ---- truth panel -----------------------------------------------------------------------------
  auto county_const = [&](const std::vector<double>& per_county) {
    std::vector<double> r = var();
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t t = 0; t < nt; ++t) r[at(i, t)] = per_county[i];
    return r;
  };
  out.truth.add("urban_score", county_const(urban));
  out.truth.add("upland", county_const(upland_w));
  out.truth.add("plateau", county_const(plateau_v));
  out.truth.add("cropland", county_const(cropland));
  out.truth.add("dig_latent", D);
  out.truth.add("dig_spatial", E);
  out.truth.add("dig_innovation", EPS);
  out.truth.add("ineff_u", u);
  out.truth.add("eff_managerial", eff_m);
  out.truth.add("eff_input_nonoise", eff_in_nonoise);
  out.truth.add("eff_input", eff_in);
  out.truth.add("eff_output", eff_out);
  out.truth.add("frontier_output", q);
  out.truth.add("output_angle", theta);
  out.truth.add("income_target", income_target);
  for (std::size_t k = 0; k < kNumInputs; ++k)
    out.truth.add(std::string("frontier_") + kInputs[k], xstar[k]);
  for (std::size_t k = 0; k < kNumInputs; ++k)
    out.truth.add(std::string("excess_") + kInputs[k], g[k]);
  for (std::size_t k = 0; k < kNumInputs; ++k)
    out.truth.add(std::string("noise_") + kInputs[k], v[k]);
  out.truth.add("pilot_prob", prob_v);
  out.truth.add("va_county_fe", va_fe);
  out.truth.add("va_year_fe", va_yfe);
  out.truth.add("va_noise", va_noise);
  out.truth.add("did_direct", did_direct);
  out.truth.add("did_spillover", did_spill);
  out.truth.add("did_exposure", exposure);

  // Always-on guard (cheap): no NaN or infinity may leave the generator.
  for (const io::Panel* p : {&out.panel, &out.truth})
    for (std::size_t vi = 0; vi < p->variables.size(); ++vi)
      for (double val : p->values[vi])
        REVEST_REQUIRE(std::isfinite(val), "generate: internal error: variable '"
                                               << p->variables[vi] << "' is not finite");

  // ---- true parameters -------------------------------------------------------------------------
  par.add("first_year", opt.first_year, "first year of the panel");
  par.add("last_year", opt.last_year, "last year of the panel");
  par.add("base_year", kBaseYear, "trends are counted as s = year - base_year");
  // Latent digital development.
  par.add("sar_rho", opt.sar_rho,
          "SAR parameter of the spatial component e_t = (I - rho W)^-1 eps_t, W = row-standardised "
          "queen");
  par.add("dig_sigma_eps", opt.dig_sigma_eps,
          "sd of the SAR innovations eps_it (each year's margin)");
  par.add("dig_phi", opt.dig_phi, "AR(1) coefficient of eps_it over years");
  par.add("dig_trend", opt.dig_trend, "trend of D per year");
  par.add("dig_urban", kDigUrban, "shift of D per unit of the urban score");
  for (const auto& p : kProvinces)
    par.add(std::string("dig_alpha_") + p.name, p.dig_alpha,
            std::string("province effect of D, ") + p.name);
  // Terrain and cropland.
  par.add("terrain_rho", kTerrainRho, "SAR parameter of the ln terrain field");
  par.add("terrain_sigma", kTerrainSigma, "sd of the ln terrain innovations");
  par.add("basin_lon", kBasinLon, "centre of the Sichuan basin ellipse, degrees E");
  par.add("basin_lat", kBasinLat, "centre of the Sichuan basin ellipse, degrees N");
  par.add("basin_axis_lon", kBasinAxisLon, "semi-axis of the basin ellipse, degrees of longitude");
  par.add("basin_axis_lat", kBasinAxisLat, "semi-axis of the basin ellipse, degrees of latitude");
  par.add("basin_inner", kBasinInner, "upland gradient w = max(0, r - inner) outside the basin");
  par.add("upland_cap", kUplandCap, "cap of the upland gradient w");
  for (const auto& p : kProvinces) {
    const std::string nm = p.name;
    par.add("terrain_base_" + nm, p.terrain_base, "terrain ruggedness where w = 0, m, " + nm);
    par.add("terrain_slope_" + nm, p.terrain_slope, "d ln terrain / d w, " + nm);
    par.add("cropland_slope_" + nm, p.cropland_slope, "- d ln cropland share / d w, " + nm);
    par.add("cropland_share_" + nm, p.cropland_share,
            "cropland share of a flat rural county, " + nm);
    if (p.gradient == Gradient::kWest) {
      par.add("west_ref_" + nm, p.west_ref,
              "w = max(0, west_ref - lon) / west_span: reference longitude, " + nm);
      par.add("west_span_" + nm, p.west_span, "degrees of longitude per unit of w, " + nm);
    }
  }
  par.add("plateau_terrain", kPlateauTerrain,
          "shift of ln terrain in plateau counties (Tibet, Ganzi, Aba, Diqing, Nujiang)");
  par.add("plateau_cropland", kPlateauCropland, "cropland multiplier in plateau counties");
  par.add("cropland_area_scale", kCroplandAreaScale,
          "effective area = area / (1 + area / scale), km^2");
  par.add("cropland_terrain_scale", kCroplandTerrainScale,
          "terrain (m) at which the cropland share halves");
  par.add("cropland_terrain_power", kCroplandTerrainPower,
          "power of terrain in the cropland share");
  par.add("cropland_urban", kCroplandUrban, "cropland reduction per unit of urban score");
  par.add("cropland_sigma", kCroplandSigma, "sd of the county cropland noise (log)");
  par.add("cropland_floor", kCroplandFloor, "minimum cropland, km^2");
  // Index indicators.
  for (const auto& s : kIndex) {
    const std::string nm = std::string("idx_") + s.name;
    const char* link = s.link == Link::kLogLinear  ? "exp(a + b D + sd n)"
                       : s.link == Link::kLogistic ? "cap logistic(a + b D + sd n)"
                                                   : "stock: x_{t-1} + Poisson(exp(a + b D_t))";
    par.add(nm + "_a", s.a, std::string(s.name) + " = " + link + ": intercept a");
    par.add(nm + "_b", s.b, std::string(s.name) + ": loading b on D");
    if (s.link != Link::kStock) par.add(nm + "_sd", s.sd, std::string(s.name) + ": noise sd");
    if (s.link == Link::kLogistic)
      par.add(nm + "_cap", s.cap, std::string(s.name) + ": upper bound cap");
  }
  // Environment and controls.
  par.add("env_infra_level", kInfraLevel,
          "dig_infra = level exp(b D + c z_i + w n_it): level, ports per 100 persons");
  par.add("env_infra_dig", kInfraDig, "dig_infra: loading on D");
  par.add("env_infra_county_sd", kInfraCounty, "dig_infra: county effect sd (log)");
  par.add("env_infra_year_sd", kInfraYear, "dig_infra: yearly noise sd (log)");
  par.add("env_literacy_a", kLitA, "dig_literacy = 100 logistic(a + b D + c urban + w n_it): a");
  par.add("env_literacy_dig", kLitDig, "dig_literacy: loading on D");
  par.add("env_literacy_urban", kLitUrban, "dig_literacy: loading on urban score");
  par.add("env_literacy_year_sd", kLitYear, "dig_literacy: noise sd");
  par.add("env_fiscal_a", kFiscA,
          "fiscal_support = 100 logistic(a + b D + c urban + z_i + n_it): a");
  par.add("env_fiscal_dig", kFiscDig, "fiscal_support: loading on D");
  par.add("env_fiscal_urban", kFiscUrban, "fiscal_support: loading on urban score");
  par.add("env_fiscal_county_sd", kFiscCounty, "fiscal_support: county effect sd");
  par.add("env_fiscal_year_sd", kFiscYear, "fiscal_support: yearly noise sd");
  for (const auto& p : kProvinces)
    par.add(std::string("gdp_pc_2011_") + p.name, p.gdp_pc_2011,
            std::string("GDP per capita level in 2011, yuan, ") + p.name);
  par.add("gdp_pc_growth", kGdpGrowth, "ln gdp_pc growth per year");
  par.add("gdp_pc_spatial", kGdpSpatial, "ln gdp_pc loading on e_it");
  par.add("gdp_pc_urban", kGdpUrban, "ln gdp_pc loading on urban score");
  par.add("gdp_pc_county_sd", kGdpCounty, "ln gdp_pc county effect sd");
  par.add("gdp_pc_year_sd", kGdpYear, "ln gdp_pc yearly noise sd");
  par.add("urbanisation_a", kUrbA, "urbanisation = 100 logistic(a + ...): a");
  par.add("urbanisation_urban", kUrbUrban, "urbanisation: loading on urban score");
  par.add("urbanisation_trend", kUrbTrend, "urbanisation: trend per year (logit)");
  par.add("urbanisation_spatial", kUrbSpatial, "urbanisation: loading on e_it");
  par.add("urbanisation_county_sd", kUrbCounty, "urbanisation: county effect sd (logit)");
  par.add("urbanisation_year_sd", kUrbYear, "urbanisation: yearly noise sd (logit)");
  par.add("road_density_level", kRoadLevel, "road_density level at terrain 100 m, km per km^2");
  par.add("road_density_terrain", kRoadTerrain, "road_density: elasticity to terrain");
  par.add("road_density_urban", kRoadUrban, "road_density: loading on urban score (log)");
  par.add("road_density_trend", kRoadTrend, "road_density: growth per year (log)");
  par.add("road_density_county_sd", kRoadCounty, "road_density: county effect sd (log)");
  par.add("road_density_year_sd", kRoadYear, "road_density: yearly noise sd (log)");
  // DEA.
  par.add("frontier_A0", kFrontierA0, "frontier level A in 2011 (Q in 10k yuan)");
  par.add("frontier_growth", kFrontierGrowth, "frontier shift per year: A_t = A0 exp(growth s)");
  par.add("frontier_returns_to_scale", alpha_sum, "sum of the output elasticities alpha_k");
  for (std::size_t k = 0; k < kNumInputs; ++k) {
    const std::string nm = kInputs[k];
    par.add("alpha_" + nm, alpha[k], "frontier output elasticity of " + nm);
    par.add("input_base_" + nm, kInputBase[k],
            "frontier " + nm + " per km^2 of cropland in 2011 (panel units)");
    par.add("input_trend_" + nm, kInputTrend[k], "trend of ln frontier " + nm + " per year");
  }
  par.add("input_mix_sd", kInputMixSigma, "sd of the county-specific ln frontier input mix");
  par.add("input_year_sd", kInputYearSigma, "sd of the yearly ln frontier input noise");
  par.add("input_digital_spatial", kDigInvSpatial,
          "loading of ln frontier digital_investment on e_it");
  par.add("sigma_u", opt.sigma_u, "scale of the half-normal managerial inefficiency u");
  par.add("sigma_v", opt.sigma_v, "sd of the input noise v_k");
  par.add(
      "mean_eff_managerial_theory",
      2.0 * std::exp(opt.sigma_u * opt.sigma_u / 2) * 0.5 * std::erfc(opt.sigma_u / std::sqrt(2.0)),
      "E exp(-u) = 2 exp(sigma_u^2/2) Phi(-sigma_u)");
  for (std::size_t k = 0; k < kNumInputs; ++k)
    for (std::size_t j = 0; j < kNumEnv; ++j)
      par.add(std::string("delta_") + kInputs[k] + "__" + kEnv[j], kDelta[k][j],
              std::string("excess of ln ") + kInputs[k] + " per unit of " + kEnv[j]);
  for (std::size_t k = 0; k < kNumInputs; ++k)
    par.add(std::string("g_shift_") + kInputs[k], -lin_min[k],
            std::string("g = shift + sum_j delta_kj z_j for ") + kInputs[k] +
                " (= -min of the linear part)");
  par.add("income_scale", kIncomeScale, "s2: rural_income = s2 Q sin(theta), yuan per unit of Q");
  for (const auto& p : kProvinces)
    par.add(std::string("income_2011_") + p.name, p.income_2011,
            std::string("rural income target level in 2011, yuan, ") + p.name);
  par.add("income_growth", kIncomeGrowth, "ln income target growth per year");
  par.add("income_spatial", kIncomeSpatial, "ln income target loading on e_it");
  par.add("income_urban", kIncomeUrban, "ln income target loading on urban score");
  par.add("income_county_sd", kIncomeCounty, "ln income target county effect sd");
  par.add("income_year_sd", kIncomeYear, "ln income target yearly noise sd");
  // Pilot and outcome.
  par.add("pilot_share", opt.pilot_share,
          "average selection probability (logit intercept = logit(share))");
  par.add("pilot_selection_slope", opt.pilot_selection_slope,
          "selection logit slope on the standardised county mean of D");
  par.add("pilot_dbar_mean", dbar_mean,
          "mean over counties of the county mean of D (standardisation)");
  par.add("pilot_dbar_sd", dbar_sd, "sd over counties of the county mean of D (standardisation)");
  std::size_t treated = 0;
  for (std::size_t k = 0; k < opt.pilot_cohorts.size(); ++k) {
    const std::string y = std::to_string(opt.pilot_cohorts[k]);
    par.add("pilot_cohort_" + y + "_share", opt.pilot_cohort_shares[k],
            "share of treated counties in cohort " + y);
    par.add("pilot_cohort_" + y + "_counties", static_cast<double>(cohort_count[k]),
            "realised number of counties in cohort " + y);
    treated += cohort_count[k];
  }
  par.add("pilot_never_treated_counties", static_cast<double>(n - treated),
          "realised number of never-treated counties");
  for (std::size_t k = 0; k < opt.pilot_cohorts.size(); ++k) {
    const std::string y = std::to_string(opt.pilot_cohorts[k]);
    par.add("did_cohort_" + y + "_effect", opt.did_cohort_effects[k],
            "effect of the pilot on industry_va in cohort " + y + "'s first year (log points)");
  }
  par.add("did_effect_growth", opt.did_effect_growth,
          "growth of the pilot's effect per year since adoption (log points per year)");
  par.add("did_spillover", opt.did_spillover,
          "spillover on an untreated county per unit of exposure (share of queen neighbours "
          "that are pilots; log points)");
  {
    double direct = 0, treated_cy = 0, spill = 0, share = 0, exposed = 0;
    for (std::size_t c = 0; c < n * nt; ++c) {
      if (pilot[c] > 0) {
        direct += did_direct[c];
        ++treated_cy;
      } else if (exposure[c] > 1e-9) {
        spill += did_spill[c];
        share += exposure[c];
        ++exposed;
      }
    }
    par.add("did_att_overall", treated_cy > 0 ? direct / treated_cy : 0.0,
            "true mean direct effect over the pilot county-years (two-stage overall ATT)");
    par.add(
        "did_mean_exposure_untreated", exposed > 0 ? share / exposed : 0.0,
        "mean exposure (queen share of pilot neighbours) of the exposed untreated county-years");
    par.add("did_average_spillover", exposed > 0 ? spill / exposed : 0.0,
            "true mean spillover over the exposed untreated county-years");
    par.add("did_exposed_untreated_county_years", exposed,
            "untreated county-years with at least one pilot neighbour");
  }
  par.add("threshold_gamma", opt.threshold_gamma,
          "threshold of dig_index in the industry_va equation");
  par.add("threshold_theta1", opt.threshold_theta1, "slope on dig_index where dig_index <= gamma");
  par.add("threshold_theta2", opt.threshold_theta2, "slope on dig_index where dig_index > gamma");
  par.add("threshold_share_below", share_below,
          "realised share of county-years with dig_index <= gamma");
  par.add("va_beta_urbanisation", kVaBetaUrbanisation,
          "industry_va coefficient on urbanisation (per pp)");
  par.add("va_beta_road_density", kVaBetaRoad,
          "industry_va coefficient on road_density (per km/km^2)");
  par.add("va_sigma", opt.va_sigma, "sd of the industry_va noise");
  par.add("va_fe_intercept", kVaIntercept,
          "county FE = a + b ln(cropland/ref) + c urban + sd n: a");
  par.add("va_fe_cropland", kVaCropland, "county FE: b");
  par.add("va_fe_cropland_ref", kVaCroplandRef, "county FE: reference cropland, km^2");
  par.add("va_fe_urban", kVaUrban, "county FE: c");
  par.add("va_fe_sd", kVaCountySigma, "county FE: sd of the county noise");
  par.add("va_year_trend", kVaYearTrend, "year FE = trend s + sd n_t: trend");
  par.add("va_year_sd", kVaYearSigma, "year FE: sd");
  for (std::size_t t = 0; t < nt; ++t)
    par.add("va_year_fe_" + std::to_string(opt.first_year + static_cast<int>(t)), year_fe[t],
            "realised year fixed effect of industry_va");
  // Real options.
  par.add("ro_r", opt.riskless_rate, "riskless rate, per year");
  par.add("ro_horizon", opt.project_horizon, "life of the investment opportunities, years");
  par.add("ro_dig_ref", kRoDigRef, "dig_index at which the base mode parameters apply");
  par.add("ro_v0_sd", kRoV0Sigma, "sd of the ln V0 county noise");
  par.add("ro_cost_sd", kRoCostSigma, "sd of the ln I county noise");
  par.add("ro_vol_sd", kRoVolSigma, "sd of the ln sigma county noise");
  par.add("ro_tertiary_terrain_ref", kRoTertiaryTerrainRef, "tertiary base: terrain reference, m");
  par.add("ro_tertiary_terrain_power", kRoTertiaryTerrainPower,
          "tertiary base: scenery elasticity to terrain");
  for (std::size_t m = 0; m < 3; ++m) {
    const std::string nm = std::string("ro_") + to_string(static_cast<ProjectMode>(m)) + "_";
    const ModeSpec& ms = kModes[m];
    par.add(nm + "v0_share", ms.v0_share, "V0 as a share of the mode's economic base");
    par.add(nm + "cost_ratio", ms.cost_ratio, "I / V0 at dig_index = ro_dig_ref");
    par.add(nm + "sigma", ms.sigma, "volatility at dig_index = ro_dig_ref");
    par.add(nm + "mu", ms.mu, "real-world drift at dig_index = ro_dig_ref");
    par.add(nm + "required_return", ms.required_return,
            "risk-adjusted expected return; delta = required_return - mu");
    par.add(nm + "cost_semi_elasticity", ms.eta_cost, "d ln I / d dig_index");
    par.add(nm + "vol_semi_elasticity", ms.eta_vol, "d ln sigma / d dig_index");
    par.add(nm + "drift_semi_elasticity", ms.eta_drift, "d mu / d dig_index");
  }
  out.true_parameters = std::move(par.values);
  out.parameter_notes = std::move(par.notes);
  return out;
}

// ------------------------------------------------------------------------------------------------

namespace {
/// A TOML float: format_double's shortest round-trip text, with ".0" added to integral values.
std::string toml_float(double x) {
  std::string s = io::format_double(x);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}
}  // namespace

void write_synthetic(const SyntheticData& data, const io::Geography& geo,
                     const std::filesystem::path& dir) {
  REVEST_REQUIRE(data.panel.num_counties == geo.size(), "write_synthetic: the data have "
                                                            << data.panel.num_counties
                                                            << " counties but the geography has "
                                                            << geo.size());
  std::filesystem::create_directories(dir);
  io::write_panel(dir / "panel.csv", geo, data.panel);
  io::write_panel(dir / "truth_panel.csv", geo, data.truth);

  {
    const auto path = dir / "projects.csv";
    std::ofstream os(path, std::ios::binary);
    REVEST_REQUIRE(os, path.string() << ": cannot open for writing");
    os << "adcode,mode,v0,investment,sigma,mu,required_return,delta,r,horizon,dig_index,"
          "cost_semi_elasticity,drift_semi_elasticity,vol_semi_elasticity\n";
    for (const auto& p : data.projects) {
      os << p.adcode << "," << to_string(p.mode);
      for (double v :
           {p.v0, p.investment, p.sigma, p.mu, p.required_return, p.delta, p.r, p.horizon,
            p.dig_index, p.cost_semi_elasticity, p.drift_semi_elasticity, p.vol_semi_elasticity})
        os << "," << io::format_double(v);
      os << "\n";
    }
    REVEST_REQUIRE(os.good(), path.string() << ": write failed");
  }

  {
    const auto path = dir / "truth.toml";
    std::ofstream os(path, std::ios::binary);
    REVEST_REQUIRE(os, path.string() << ": cannot open for writing");
    os << "# True parameters of the synthetic panel written by `revest generate`.\n"
          "# The data-generating process and every symbol are documented in data/README.md.\n"
          "# Values are shortest round-trip decimals: reading them back gives the exact "
          "doubles.\n\n";
    os << "# Seed of every random stream (Rng(seed, \"generate/<component>\", adcode or year)).\n";
    if (data.options.seed <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      os << "seed = " << data.options.seed << "\n";
    else
      os << "seed = \"" << data.options.seed << "\"  # above 2^63 - 1: kept as a string\n";
    os << "# Number of counties in the panel.\ncounties = " << geo.size() << "\n\n";
    for (std::size_t k = 0; k < data.true_parameters.size(); ++k) {
      const auto& [name, value] = data.true_parameters[k];
      if (k < data.parameter_notes.size() && !data.parameter_notes[k].empty())
        os << "# " << data.parameter_notes[k] << "\n";
      // Years and counts are written as TOML integers, everything else as floats.
      const bool integral = (name.ends_with("_year") || name.ends_with("_counties")) &&
                            value == std::floor(value) && std::abs(value) < 1e15;
      os << name << " = "
         << (integral ? std::to_string(static_cast<long long>(value)) : toml_float(value)) << "\n";
    }
    REVEST_REQUIRE(os.good(), path.string() << ": write failed");
  }
}

}  // namespace revest::synth
