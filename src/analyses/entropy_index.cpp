#include "analyses/entropy_index.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <sstream>
#include <utility>

#include "core/error.hpp"

namespace revest::analyses {
namespace {

constexpr const char* kOptionKeys[] = {"indicators", "weight_scope", "replications", "confidence",
                                       "shift"};

// Problem with option `key` of `o`, or "" if it is fine.
std::string check_option(const EntropyIndexOptions& o, const std::string& key) {
  std::ostringstream os;
  if (key == "indicators") {
    std::set<std::string> seen;
    for (const auto& name : o.indicators) {
      if (name.empty()) return "indicators: an indicator name is empty";
      if (!seen.insert(name).second) return "indicators: '" + name + "' is listed twice";
    }
  } else if (key == "weight_scope") {
    const auto s = o.method.weight_scope;
    if (s != index::WeightScope::kPerYear && s != index::WeightScope::kPooled)
      return "weight_scope: " + std::to_string(static_cast<int>(s)) +
             " is not one of \"per_year\", \"pooled\"";
  } else if (key == "replications") {
    constexpr std::size_t kMax = std::size_t{1} << 32;  // replication index is a 32-bit stream id
    if (o.replications < 1 || o.replications > kMax) {
      os << "replications: " << o.replications << " is not in [1, 2^32]";
      return os.str();
    }
  } else if (key == "confidence") {
    if (!(o.method.confidence > 0.0 && o.method.confidence < 1.0)) {
      os << "confidence: " << o.method.confidence << " is not in (0, 1)";
      return os.str();
    }
  } else if (key == "shift") {
    if (!(std::isfinite(o.method.shift) && o.method.shift >= 0.0)) {
      os << "shift: " << o.method.shift << " must be finite and >= 0";
      return os.str();
    }
  }
  return {};
}

}  // namespace

// ---- options ----

void EntropyIndexOptions::validate() const {
  for (const char* key : kOptionKeys) {
    const std::string msg = check_option(*this, key);
    REVEST_REQUIRE(msg.empty(), msg);
  }
  method.validate();
}

std::vector<std::string> EntropyIndexOptions::resolved_indicators(
    const io::IndicatorSystem& system) const {
  return indicators.empty() ? system.used_by("index") : indicators;
}

EntropyIndexOptions EntropyIndexOptions::from(const io::OptionView& view) {
  EntropyIndexOptions o;
  o.indicators = view.get_strings("indicators");
  o.method.weight_scope =
      index::weight_scope_from_string(view.get_choice("weight_scope", {"per_year", "pooled"}));
  const std::int64_t reps = view.get_int("replications");
  REVEST_REQUIRE(reps >= 1, view.where("replications") << ": must be at least 1, got " << reps);
  o.replications = static_cast<std::size_t>(reps);
  o.method.confidence = view.get_double("confidence");
  o.method.shift = view.get_double("shift");
  for (const char* key : kOptionKeys) {
    const std::string msg = check_option(o, key);
    REVEST_REQUIRE(msg.empty(), view.where(key) << ": " << msg);
  }
  o.method.validate();
  return o;
}

// ---- analysis ----

EntropyIndexAnalysis::EntropyIndexAnalysis(std::string name, const io::Geography& geo,
                                           const io::Panel& panel,
                                           const io::IndicatorSystem& indicators,
                                           EntropyIndexOptions options)
    : name_(std::move(name)), options_(std::move(options)) {
  const std::string ctx = "entropy_index '" + name_ + "'";
  REVEST_REQUIRE(!name_.empty(), "entropy_index: the analysis name is empty");
  // The index standardises and weighs over every unit-year and resamples whole units.
  panel.require_balanced(geo, ctx);
  try {
    options_.validate();
  } catch (const Error& e) {
    REVEST_FAIL(ctx << ": invalid option " << e.what());
  }

  N_ = panel.num_counties;
  T_ = panel.num_years();
  data_.units = N_;
  data_.periods = T_;
  data_.years = panel.years;
  const std::vector<int>& years = data_.years;
  std::vector<std::string>& chosen = data_.indicators;  // in column order
  REVEST_REQUIRE(geo.size() == N_, ctx << ": the panel has " << N_
                                       << " counties but the geography has " << geo.size());
  REVEST_REQUIRE(N_ >= 2, ctx << ": needs at least 2 counties, the panel has " << N_);
  REVEST_REQUIRE(T_ >= 1, ctx << ": the panel has no years");

  // Indicators and their directions.
  chosen = options_.resolved_indicators(indicators);
  if (options_.indicators.empty()) {
    REVEST_REQUIRE(chosen.size() >= 2,
                   ctx << ": needs at least 2 indicators; no 'indicators' option is given and the "
                          "indicator system has "
                       << chosen.size() << " indicator(s) with \"index\" in their uses");
  } else {
    REVEST_REQUIRE(chosen.size() >= 2, ctx << ": needs at least 2 indicators, option "
                                              "'indicators' lists "
                                           << chosen.size());
  }
  for (const auto& ind_name : chosen) {
    const io::Indicator* ind = indicators.find(ind_name);
    REVEST_REQUIRE(ind != nullptr,
                   ctx << ": unknown indicator '" << ind_name << "' (not in the indicator system)");
    REVEST_REQUIRE(ind->direction == 1 || ind->direction == -1,
                   ctx << ": indicator '" << ind_name << "' has direction " << ind->direction
                       << " (must be +1 or -1)");
    REVEST_REQUIRE(panel.has(ind_name),
                   ctx << ": indicator '" << ind_name << "' is not a variable of the panel");
    data_.direction.push_back(ind->direction);
  }

  // Raw matrix, county-major rows.
  const auto K = static_cast<Eigen::Index>(chosen.size());
  data_.raw.resize(static_cast<Eigen::Index>(N_ * T_), K);
  for (Eigen::Index k = 0; k < K; ++k) {
    const std::string& ind_name = chosen[static_cast<std::size_t>(k)];
    const std::vector<double>& v = panel.values[panel.variable_index(ind_name)];
    REVEST_REQUIRE(v.size() == N_ * T_, ctx << ": panel variable '" << ind_name << "' has "
                                            << v.size() << " values, expected " << N_ * T_);
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (std::size_t r = 0; r < v.size(); ++r) {
      REVEST_REQUIRE(std::isfinite(v[r]),
                     ctx << ": indicator '" << ind_name << "' is not finite for "
                         << geo.counties[r / T_].name_ref << " (" << geo.counties[r / T_].adcode_ref
                         << ") in " << years[r % T_]);
      data_.raw(static_cast<Eigen::Index>(r), k) = v[r];
      lo = std::min(lo, v[r]);
      hi = std::max(hi, v[r]);
    }
    REVEST_REQUIRE(hi > lo, ctx << ": indicator '" << ind_name
                                << "' is constant over the whole panel (every value is " << lo
                                << "); it carries no information and cannot be standardised");
  }

  adcode_.reserve(N_);
  county_name_.reserve(N_);
  province_.reserve(N_);
  for (const auto& c : geo.counties) {
    adcode_.push_back(c.adcode_ref);
    county_name_.push_back(c.name_ref);
    province_.push_back(c.province_en);
  }

  point_ = index::entropy_topsis(data_, options_.method);
  REVEST_REQUIRE(point_.status.ok(),
                 ctx << ": the index is undefined on the full panel: " << point_.status.message);
}

std::vector<ReplicationSpec> EntropyIndexAnalysis::replication_specs() const {
  const std::size_t K = data_.indicators.size();
  return {
      {"weights", {T_, K}, "entropy weight of each indicator (column) in each year (row)", "1"},
      {"scores", {T_, N_}, "TOPSIS closeness of each county (column) in each year (row)", "1"},
      {"ranks", {T_, N_}, "rank of each county (column) within each year (row), 1 = best", "1"},
  };
}

TaskOutcome EntropyIndexAnalysis::run_task(std::size_t task, Rng& rng,
                                           std::span<const std::span<double>> out) const {
  REVEST_REQUIRE(out.size() == 3, "internal error: entropy_index run_task got "
                                      << out.size() << " output rows, expected 3");
  const index::EntropyIndexResult r =
      index::entropy_topsis_replication(data_, options_.method, rng);
  if (!r.status.ok())
    return {TaskStatus::kNumericalFailure, "degenerate resample: " + r.status.message};
  using RowMajor =
      Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
  const auto T = static_cast<Eigen::Index>(T_), N = static_cast<Eigen::Index>(N_);
  RowMajor(out[0].data(), T, static_cast<Eigen::Index>(data_.indicators.size())) = r.weights;
  RowMajor(out[1].data(), T, N) = r.scores;
  RowMajor(out[2].data(), T, N) = r.ranks;
  return {};
}

std::vector<Table> EntropyIndexAnalysis::summarize(ReplicationReader& reader) const {
  const std::size_t K = data_.indicators.size();
  REVEST_REQUIRE(reader.num_tasks() == num_tasks(),
                 "entropy_index '" << name_ << "': the archive holds " << reader.num_tasks()
                                   << " replications, the analysis has " << num_tasks());
  const std::size_t block = summary_block_columns(reader.num_tasks());
  const double conf = options_.method.confidence;
  const ReplicationColumnSummary sw = summarize_replication_columns(reader, 0, T_ * K, conf, block);
  const ReplicationColumnSummary ss =
      summarize_replication_columns(reader, 1, T_ * N_, conf, block);
  const ReplicationColumnSummary sr =
      summarize_replication_columns(reader, 2, T_ * N_, conf, block);

  std::ostringstream level;
  level << conf;

  Table weights;
  weights.name = "weights";
  weights.description =
      "Entropy weights: full-sample point estimate and bootstrap over counties (" +
      std::to_string(num_tasks()) +
      " replications, weight_scope = " + index::to_string(options_.method.weight_scope) + ")";
  {
    std::vector<std::int64_t> year;
    std::vector<std::string> indicator;
    std::vector<double> w, mean, se, lo, hi;
    for (std::size_t t = 0; t < T_; ++t)
      for (std::size_t k = 0; k < K; ++k) {
        const std::size_t f = t * K + k;  // flattened index in the "weights" rows
        year.push_back(data_.years[t]);
        indicator.push_back(data_.indicators[k]);
        w.push_back(point_.weights(static_cast<Eigen::Index>(t), static_cast<Eigen::Index>(k)));
        mean.push_back(sw.mean[f]);
        se.push_back(sw.se[f]);
        lo.push_back(sw.lo[f]);
        hi.push_back(sw.hi[f]);
      }
    weights.columns = {
        {"year", std::move(year), "year"},
        {"indicator", std::move(indicator), "indicator (panel variable)"},
        {"weight", std::move(w), "entropy weight, full sample", "1"},
        {"boot_mean", std::move(mean), "mean of the bootstrap weights", "1"},
        {"se", std::move(se), "bootstrap standard error", "1"},
        {"ci_lo", std::move(lo), "lower end of the " + level.str() + " percentile interval", "1"},
        {"ci_hi", std::move(hi), "upper end of the " + level.str() + " percentile interval", "1"},
    };
  }

  Table scores;
  scores.name = "scores";
  scores.description =
      "Entropy-weight TOPSIS index of each county and year: full-sample score and rank with "
      "bootstrap standard errors and percentile intervals (" +
      std::to_string(num_tasks()) + " replications over counties)";
  {
    std::vector<std::int64_t> adcode, year;
    std::vector<std::string> name, province;
    std::vector<double> score, se, lo, hi, rank, rank_lo, rank_hi;
    for (std::size_t i = 0; i < N_; ++i)
      for (std::size_t t = 0; t < T_; ++t) {
        const std::size_t f = t * N_ + i;  // flattened index in the "scores"/"ranks" rows
        const auto ti = static_cast<Eigen::Index>(t), ii = static_cast<Eigen::Index>(i);
        adcode.push_back(adcode_[i]);
        name.push_back(county_name_[i]);
        province.push_back(province_[i]);
        year.push_back(data_.years[t]);
        score.push_back(point_.scores(ti, ii));
        se.push_back(ss.se[f]);
        lo.push_back(ss.lo[f]);
        hi.push_back(ss.hi[f]);
        rank.push_back(point_.ranks(ti, ii));
        rank_lo.push_back(sr.lo[f]);
        rank_hi.push_back(sr.hi[f]);
      }
    scores.columns = {
        {"adcode", std::move(adcode), "2022 official county code"},
        {"name", std::move(name), "2022 official county name"},
        {"province", std::move(province), "province (English)"},
        {"year", std::move(year), "year"},
        {"score", std::move(score), "TOPSIS closeness, full sample (0 = worst, 1 = best)", "1"},
        {"se", std::move(se), "bootstrap standard error of the score", "1"},
        {"ci_lo", std::move(lo),
         "lower end of the " + level.str() + " percentile interval of the score", "1"},
        {"ci_hi", std::move(hi),
         "upper end of the " + level.str() + " percentile interval of the score", "1"},
        {"rank", std::move(rank), "rank within the year, full sample (1 = best)", "1"},
        {"rank_lo", std::move(rank_lo),
         "better end of the " + level.str() + " percentile interval of the rank", "1"},
        {"rank_hi", std::move(rank_hi),
         "worse end of the " + level.str() + " percentile interval of the rank", "1"},
    };
  }
  weights.check();
  scores.check();
  return {std::move(weights), std::move(scores)};
}

}  // namespace revest::analyses
