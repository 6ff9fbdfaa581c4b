#pragma once
/// \file generate.hpp
/// \brief `revest generate`: a synthetic, calibrated county x year panel for the real 512
/// Southwest county-level units, with every true parameter stored beside the data.
///
/// The data-generating process (DGP) is written out with all equations and parameter values in
/// data/README.md; this header is its API. In short, for county i and year t:
///   - a latent digital development D_it = alpha_province + kappa * urban_i + trend * (year - 2011)
///     + e_it, where each year's spatial component e_t = (I - rho W)^{-1} eps_t uses the
///     row-standardised queen matrix W of the real neighbour graph (eps_t is AR(1) over years with
///     iid N(0, sigma_eps^2) margins, so every year is an exact SAR(rho) field);
///   - eight evaluation-index indicators, five environment variables and two controls that are
///     monotone functions of D (plus county terrain and urbanity) with noise;
///   - an input-oriented DEA technology Q = A_t prod_k x*_k^alpha_k with observed inputs
///     x_k = x*_k exp(u + g_k + v_k): half-normal managerial inefficiency u common to all inputs,
///     an environmental excess g_k linear in the environment variables, noise v_k; two outputs
///     on the frontier of x* along a county-specific output-mix angle;
///   - a staggered digital-village pilot (cohorts 2016, 2019, 2020, never-treated), selected with
///     probability increasing in mean D, and a log rural industry value-added outcome with a
///     treatment effect tau and a Hansen threshold in dig_index = logistic(D);
///   - real-option project parameters per county and mode (primary, secondary, tertiary).
///
/// Every random draw comes from its own counter-based stream Rng(seed, "generate/<component>",
/// adcode_ref of the county) or Rng(seed, "generate/<component>", year), so the output is a pure
/// function of (geography, options) and a county's draws do not depend on which other counties
/// are present or in which order.
///
/// \test tests/synth/generate_test.cpp checks determinism (bit for bit), the domains of every
/// variable of config/indicators.toml, the SAR parameter recovered by maximum likelihood, the
/// Moran's I of the spatial component against its theoretical value, the efficiency range, the
/// threshold split, the staggered pilot and the files written by write_synthetic.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/geography.hpp"
#include "io/panel.hpp"

namespace revest::synth {

/// What `generate` may vary. Everything not here is a fixed, documented constant of the DGP (see
/// data/README.md); all of them are reported in SyntheticData::true_parameters.
struct GenerateOptions {
  /// Seed of every random stream. Required in spirit: there is no "random" seed and 0 is an
  /// ordinary seed. The default 20261128 is the seed of the bundled data/synthetic/ files.
  std::uint64_t seed = 20261128;
  /// First calendar year of the panel (inclusive). Default 2011.
  int first_year = 2011;
  /// Last calendar year of the panel (inclusive). Default 2022.
  int last_year = 2022;

  /// Spatial autoregressive parameter rho of the latent digital development's spatial component,
  /// e_t = (I - rho W)^{-1} eps_t. Default 0.6. Must lie in (-1, 1).
  double sar_rho = 0.6;
  /// Standard deviation of the SAR innovations eps_it. Default 0.4.
  double dig_sigma_eps = 0.4;
  /// Year-to-year autocorrelation phi of the innovations: eps_t = phi eps_{t-1} +
  /// sqrt(1 - phi^2) xi_t, so each year's margin stays N(0, sigma_eps^2). Default 0.8, in [0, 1).
  double dig_phi = 0.8;
  /// Common trend of D per calendar year. Default 0.12.
  double dig_trend = 0.12;

  /// Scale sigma_u of the half-normal managerial inefficiency u = |N(0, sigma_u^2)|. Default 0.3.
  double sigma_u = 0.3;
  /// Standard deviation of the input noise v_k ~ N(0, sigma_v^2). Default 0.05. May be 0.
  double sigma_v = 0.05;
  /// Frontier output elasticities alpha_k of rural_labour, sown_area, machinery_power,
  /// fertiliser, digital_investment. Default {0.25, 0.30, 0.15, 0.15, 0.10} (sum 0.95,
  /// decreasing returns to scale). Each must be positive.
  std::vector<double> frontier_alpha = {0.25, 0.30, 0.15, 0.15, 0.10};

  /// Effect of the digital-village pilot on industry_va (log points) in each cohort's first
  /// treated year, one per pilot cohort. Default {0.06, 0.08, 0.10}.
  std::vector<double> did_cohort_effects = {0.10, 0.15, 0.20};
  /// Growth of the effect per year since adoption (log points per year): a county of cohort g
  /// gains did_cohort_effects[g] + did_effect_growth (t - g) in year t >= g. Default 0.02.
  double did_effect_growth = 0.03;
  /// Spillover on an untreated county (log points) per unit of exposure, the share of its queen
  /// neighbours that are pilots in that year: did_spillover x share. Default 0.05.
  double did_spillover = 0.10;
  /// Pilot cohorts (calendar years of first treatment), ascending, each in (first_year,
  /// last_year]. Default {2016, 2019, 2020}.
  std::vector<int> pilot_cohorts = {2016, 2019, 2020};
  /// Share of the treated counties in each cohort (same length as pilot_cohorts, sums to 1).
  /// Default {0.3, 0.3, 0.4}.
  std::vector<double> pilot_cohort_shares = {0.3, 0.3, 0.4};
  /// Average selection probability into the pilot (any cohort). Default 0.45.
  double pilot_share = 0.45;
  /// Slope of the selection logit in the standardised county mean of D. Default 0: pilots
  /// chosen at random among counties, so that parallel trends hold by design and the DID
  /// estimators can be checked against the truth. > 0: more developed counties are more likely
  /// to be selected; their outcome trends differ (industry_va depends on dig_index through the
  /// threshold term), so unconditional parallel trends fail (a test case for conditional
  /// designs and pre-tests).
  double pilot_selection_slope = 0.0;

  /// Threshold gamma of dig_index in the industry_va equation. Default 0.5. Must leave between
  /// 20 % and 80 % of the county-years on each side (checked by generate).
  double threshold_gamma = 0.5;
  /// Slope of industry_va on dig_index where dig_index <= gamma. Default 0.4.
  double threshold_theta1 = 0.4;
  /// Slope of industry_va on dig_index where dig_index > gamma. Default 0.9.
  double threshold_theta2 = 0.9;
  /// Standard deviation of the industry_va noise. Default 0.05.
  double va_sigma = 0.05;

  /// Riskless rate r of the real-option projects (per year, continuous). Default 0.03.
  double riskless_rate = 0.03;
  /// Life of the investment opportunities in years. Default 10.
  double project_horizon = 10.0;

  /// True if the options are usable; otherwise false with the reason in *why (if not null).
  bool is_valid(std::string* why) const;
};

/// Production mode of a real-option project.
enum class ProjectMode { kPrimary = 0, kSecondary = 1, kTertiary = 2 };
/// "primary", "secondary" or "tertiary".
const char* to_string(ProjectMode m);
/// Inverse of to_string; throws revest::Error for anything else.
ProjectMode project_mode_from_string(const std::string& s);

/// Parameters of one county's investment opportunity in one production mode, calibrated from the
/// county's economy in the last panel year (formulas in data/README.md). The project value follows
/// dV = mu V dt + sigma V dW under the real-world measure and dV = (r - delta) V dt + sigma V dW
/// under the risk-neutral one, with payout yield delta = required_return - mu.
struct ProjectParams {
  std::int64_t adcode = 0;  ///< county's 2022 code (adcode_ref)
  std::size_t county = 0;   ///< index of the county in the geography
  ProjectMode mode = ProjectMode::kPrimary;
  double v0 = 0;               ///< present value of the project's cash flows now, 10k yuan
  double investment = 0;       ///< sunk investment cost I, 10k yuan
  double sigma = 0;            ///< volatility of V, per sqrt(year)
  double mu = 0;               ///< real-world expected growth rate of V, per year
  double required_return = 0;  ///< risk-adjusted expected return of V, per year
  double delta = 0;            ///< payout (convenience) yield = required_return - mu, per year
  double r = 0;                ///< riskless rate, per year (continuous compounding)
  double horizon = 0;          ///< years until the opportunity expires
  double dig_index = 0;        ///< the county's dig_index in the last year (calibration point)
  /// d ln(I) / d dig_index: semi-elasticity of the investment cost to the digital index.
  double cost_semi_elasticity = 0;
  /// d mu / d dig_index: effect of the digital index on the drift (per year per unit index).
  double drift_semi_elasticity = 0;
  /// d ln(sigma) / d dig_index: semi-elasticity of the volatility to the digital index.
  double vol_semi_elasticity = 0;
};

/// A generated data set: the observed panel, the latent truth behind it and the true parameters.
struct SyntheticData {
  /// The options it was generated with (the seed is kept exactly here, not as a double).
  GenerateOptions options;
  /// Observed county x year panel; one variable per [[indicator]] of config/indicators.toml,
  /// in that file's order.
  io::Panel panel;
  /// Latent per county-year quantities (same layout): D, its spatial component, inefficiency u,
  /// true efficiencies, frontier inputs and output, environmental excess and noise per input,
  /// outcome fixed effects, selection probabilities, ... (listed in data/README.md).
  io::Panel truth;
  /// Real-option projects: for each county (geography order) the primary, secondary and tertiary
  /// project, in that order.
  std::vector<ProjectParams> projects;
  /// Every scalar true parameter of the DGP (name, value), in a stable order.
  std::vector<std::pair<std::string, double>> true_parameters;
  /// One-line description (with unit) of each true parameter, same order as true_parameters.
  std::vector<std::string> parameter_notes;

  /// The value of true parameter `name`; throws revest::Error if there is none.
  double parameter(std::string_view name) const;
};

/// Generates the panel for all counties of `geo` (which needs its queen graph) and the years of
/// `opt`. Throws revest::Error if the options are invalid, a county's province has no
/// calibration (Sichuan, Chongqing, Guizhou, Yunnan, Tibet), a county has no queen neighbour, or
/// threshold_gamma does not leave 20 %..80 % of the observations on each side.
SyntheticData generate(const io::Geography& geo, const GenerateOptions& opt);

/// Writes `data` into `dir` (created if needed): panel.csv and truth_panel.csv (io::write_panel,
/// keyed by 2022 adcode and year), projects.csv (one row per county and mode) and truth.toml
/// (the seed, the years and every true parameter with a comment).
void write_synthetic(const SyntheticData& data, const io::Geography& geo,
                     const std::filesystem::path& dir);

}  // namespace revest::synth
