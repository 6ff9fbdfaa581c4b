#include "index/entropy_index.hpp"

#include <algorithm>
#include <boost/random/uniform_int_distribution.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <set>
#include <sstream>
#include <utility>

#include "core/error.hpp"
#include "core/stats.hpp"
#include "index/entropy_topsis.hpp"

namespace revest::index {
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
    if (o.weight_scope != "per_year" && o.weight_scope != "pooled")
      return "weight_scope: '" + o.weight_scope + "' is not one of \"per_year\", \"pooled\"";
  } else if (key == "replications") {
    constexpr std::size_t kMax = std::size_t{1} << 32;  // replication index is a 32-bit stream id
    if (o.replications < 1 || o.replications > kMax) {
      os << "replications: " << o.replications << " is not in [1, 2^32]";
      return os.str();
    }
  } else if (key == "confidence") {
    if (!(o.confidence > 0.0 && o.confidence < 1.0)) {
      os << "confidence: " << o.confidence << " is not in (0, 1)";
      return os.str();
    }
  } else if (key == "shift") {
    if (!(std::isfinite(o.shift) && o.shift >= 0.0)) {
      os << "shift: " << o.shift << " must be finite and >= 0";
      return os.str();
    }
  }
  return {};
}

// Names used in failure messages (optional).
struct Labels {
  const std::vector<std::string>* indicators = nullptr;
  const std::vector<int>* years = nullptr;
};

std::string column_label(const Labels& labels, Eigen::Index j) {
  if (labels.indicators && static_cast<std::size_t>(j) < labels.indicators->size())
    return "indicator '" + (*labels.indicators)[static_cast<std::size_t>(j)] + "'";
  return "indicator column " + std::to_string(j);
}

std::string year_label(const Labels& labels, std::size_t t) {
  if (labels.years && t < labels.years->size()) return "year " + std::to_string((*labels.years)[t]);
  return "year index " + std::to_string(t);
}

EntropyIndexResult compute(const Eigen::MatrixXd& raw, std::size_t N, std::size_t T,
                           const std::vector<int>& direction, const EntropyIndexOptions& options,
                           const std::vector<std::size_t>* county_sample, const Labels& labels) {
  std::string why;
  REVEST_REQUIRE(options.is_valid(&why), "entropy index: invalid options: " << why);
  REVEST_REQUIRE(N >= 1 && T >= 1, "entropy index: need N >= 1 counties and T >= 1 years, got N = "
                                       << N << ", T = " << T);
  REVEST_REQUIRE(static_cast<std::size_t>(raw.rows()) == N * T,
                 "entropy index: raw matrix has " << raw.rows() << " rows, expected N*T = " << N * T);
  const Eigen::Index K = raw.cols();
  REVEST_REQUIRE(K >= 1, "entropy index: raw matrix has no columns");
  REVEST_REQUIRE(direction.size() == static_cast<std::size_t>(K),
                 "entropy index: " << direction.size() << " directions for " << K << " indicators");

  std::vector<std::size_t> all;
  if (!county_sample) {
    all.resize(N);
    std::iota(all.begin(), all.end(), std::size_t{0});
  }
  const std::vector<std::size_t>& sample = county_sample ? *county_sample : all;
  REVEST_REQUIRE(!sample.empty(), "entropy index: the county sample is empty");
  for (std::size_t c : sample)
    REVEST_REQUIRE(c < N, "entropy index: county index " << c << " in the sample is >= N = " << N);
  const bool pooled = options.weight_scope == "pooled";
  const std::size_t rows_per_weight = pooled ? sample.size() * T : sample.size();
  REVEST_REQUIRE(rows_per_weight >= 2, "entropy index: entropy weights need at least 2 rows, the "
                                           << (pooled ? "pooled sample" : "sample of a year")
                                           << " has " << rows_per_weight);

  EntropyIndexResult res;
  // Step 2: bounds over the sampled county-years.
  Eigen::VectorXd lo = Eigen::VectorXd::Constant(K, std::numeric_limits<double>::infinity());
  Eigen::VectorXd hi = -lo;
  std::vector<Eigen::Index> sample_rows;  // row of (sample[s], t), ordered s-major
  sample_rows.reserve(sample.size() * T);
  for (std::size_t c : sample)
    for (std::size_t t = 0; t < T; ++t) sample_rows.push_back(static_cast<Eigen::Index>(c * T + t));
  for (Eigen::Index r : sample_rows)
    for (Eigen::Index j = 0; j < K; ++j) {
      const double v = raw(r, j);
      REVEST_REQUIRE(std::isfinite(v), "entropy index: raw value (" << r << ", " << j
                                                                    << ") is not finite");
      lo(j) = std::min(lo(j), v);
      hi(j) = std::max(hi(j), v);
    }
  for (Eigen::Index j = 0; j < K; ++j)
    if (!(hi(j) > lo(j))) {
      std::ostringstream os;
      os << column_label(labels, j) << " is constant (" << lo(j)
         << ") over the sampled counties; it cannot be standardised";
      res.failure = os.str();
      return res;
    }
  const Eigen::MatrixXd X = minmax_standardize(raw, direction, lo, hi);  // all rows, clipped

  // Step 3: entropy weights from the sampled rows.
  Eigen::MatrixXd W(static_cast<Eigen::Index>(T), K);
  if (pooled) {
    const Eigen::VectorXd w = entropy_weights_from_standardized(X(sample_rows, Eigen::all), options.shift);
    for (std::size_t t = 0; t < T; ++t) W.row(static_cast<Eigen::Index>(t)) = w.transpose();
  } else {
    std::vector<Eigen::Index> rows(sample.size());
    for (std::size_t t = 0; t < T; ++t) {
      for (std::size_t s = 0; s < sample.size(); ++s)
        rows[s] = static_cast<Eigen::Index>(sample[s] * T + t);
      W.row(static_cast<Eigen::Index>(t)) =
          entropy_weights_from_standardized(X(rows, Eigen::all), options.shift).transpose();
    }
  }
  for (std::size_t t = 0; t < T; ++t)
    if (!W.row(static_cast<Eigen::Index>(t)).allFinite()) {
      res.failure = "entropy weights are undefined in " +
                    (pooled ? std::string("the pooled sample") : year_label(labels, t)) +
                    ": every indicator is constant among the sampled counties";
      return res;
    }

  // Steps 4-5: closeness of every county with fixed ideals (1 = best, 0 = worst), ranks per year.
  const Eigen::VectorXd best = Eigen::VectorXd::Ones(K), worst = Eigen::VectorXd::Zero(K);
  Eigen::MatrixXd S(static_cast<Eigen::Index>(T), static_cast<Eigen::Index>(N));
  Eigen::MatrixXd Rk(S.rows(), S.cols());
  for (std::size_t t = 0; t < T; ++t) {
    const auto ti = static_cast<Eigen::Index>(t);
    const Eigen::MatrixXd Xt =
        X(Eigen::seqN(ti, static_cast<Eigen::Index>(N), static_cast<Eigen::Index>(T)), Eigen::all);
    const Eigen::VectorXd c = topsis_closeness(Xt, W.row(ti).transpose(), best, worst);
    if (!c.allFinite()) {
      res.failure = "TOPSIS closeness is undefined in " + year_label(labels, t);
      return res;
    }
    S.row(ti) = c.transpose();
    const std::vector<double> r = stats::rank_descending(std::span<const double>(c.data(), N));
    for (std::size_t i = 0; i < N; ++i) Rk(ti, static_cast<Eigen::Index>(i)) = r[i];
  }
  res.weights = std::move(W);
  res.scores = std::move(S);
  res.ranks = std::move(Rk);
  return res;
}

// Writes an Eigen matrix row-major into a span of matching size.
void write_row_major(const Eigen::MatrixXd& m, std::span<double> out) {
  REVEST_REQUIRE(out.size() == static_cast<std::size_t>(m.size()),
                 "internal error: replication row of " << out.size() << " values for a "
                                                        << m.rows() << " x " << m.cols() << " result");
  std::size_t p = 0;
  for (Eigen::Index r = 0; r < m.rows(); ++r)
    for (Eigen::Index c = 0; c < m.cols(); ++c) out[p++] = m(r, c);
}

}  // namespace

// ---- options ----

bool EntropyIndexOptions::is_valid(std::string* why) const {
  for (const char* key : kOptionKeys) {
    std::string msg = check_option(*this, key);
    if (!msg.empty()) {
      if (why) *why = std::move(msg);
      return false;
    }
  }
  return true;
}

std::vector<std::string> EntropyIndexOptions::resolved_indicators(
    const io::IndicatorSystem& system) const {
  return indicators.empty() ? system.used_by("index") : indicators;
}

EntropyIndexOptions EntropyIndexOptions::from(const io::OptionView& view) {
  EntropyIndexOptions o;
  o.indicators = view.get_strings("indicators");
  o.weight_scope = view.get_choice("weight_scope", {"per_year", "pooled"});
  const std::int64_t reps = view.get_int("replications");
  REVEST_REQUIRE(reps >= 1, view.where("replications") << ": must be at least 1, got " << reps);
  o.replications = static_cast<std::size_t>(reps);
  o.confidence = view.get_double("confidence");
  o.shift = view.get_double("shift");
  for (const char* key : kOptionKeys) {
    const std::string msg = check_option(o, key);
    REVEST_REQUIRE(msg.empty(), view.where(key) << ": " << msg);
  }
  return o;
}

// ---- numeric driver ----

EntropyIndexResult compute_entropy_index(const Eigen::MatrixXd& raw, std::size_t N, std::size_t T,
                                         const std::vector<int>& direction,
                                         const EntropyIndexOptions& options,
                                         const std::vector<std::size_t>* county_sample) {
  return compute(raw, N, T, direction, options, county_sample, Labels{});
}

// ---- summaries ----

// ---- analysis ----

EntropyIndexAnalysis::EntropyIndexAnalysis(std::string name, const io::Geography& geo,
                                           const io::Panel& panel,
                                           const io::IndicatorSystem& indicators,
                                           EntropyIndexOptions options)
    : name_(std::move(name)), options_(std::move(options)) {
  const std::string ctx = "entropy_index '" + name_ + "'";
  REVEST_REQUIRE(!name_.empty(), "entropy_index: the analysis name is empty");
  std::string why;
  REVEST_REQUIRE(options_.is_valid(&why), ctx << ": invalid option " << why);

  N_ = panel.num_counties;
  T_ = panel.num_years();
  years_ = panel.years;
  REVEST_REQUIRE(geo.size() == N_, ctx << ": the panel has " << N_
                                       << " counties but the geography has " << geo.size());
  REVEST_REQUIRE(N_ >= 2, ctx << ": needs at least 2 counties, the panel has " << N_);
  REVEST_REQUIRE(T_ >= 1, ctx << ": the panel has no years");

  // Indicators and their directions.
  indicators_ = options_.resolved_indicators(indicators);
  if (options_.indicators.empty()) {
    REVEST_REQUIRE(indicators_.size() >= 2,
                   ctx << ": needs at least 2 indicators; no 'indicators' option is given and the "
                          "indicator system has "
                       << indicators_.size() << " indicator(s) with \"index\" in their uses");
  } else {
    REVEST_REQUIRE(indicators_.size() >= 2, ctx << ": needs at least 2 indicators, option "
                                                   "'indicators' lists "
                                                << indicators_.size());
  }
  for (const auto& ind_name : indicators_) {
    const io::Indicator* ind = indicators.find(ind_name);
    REVEST_REQUIRE(ind != nullptr,
                   ctx << ": unknown indicator '" << ind_name << "' (not in the indicator system)");
    REVEST_REQUIRE(ind->direction == 1 || ind->direction == -1,
                   ctx << ": indicator '" << ind_name << "' has direction " << ind->direction
                       << " (must be +1 or -1)");
    REVEST_REQUIRE(panel.has(ind_name),
                   ctx << ": indicator '" << ind_name << "' is not a variable of the panel");
    direction_.push_back(ind->direction);
  }

  // Raw matrix, county-major rows.
  const auto K = static_cast<Eigen::Index>(indicators_.size());
  raw_.resize(static_cast<Eigen::Index>(N_ * T_), K);
  for (Eigen::Index k = 0; k < K; ++k) {
    const std::string& ind_name = indicators_[static_cast<std::size_t>(k)];
    const std::vector<double>& v = panel.values[panel.variable_index(ind_name)];
    REVEST_REQUIRE(v.size() == N_ * T_, ctx << ": panel variable '" << ind_name << "' has "
                                            << v.size() << " values, expected " << N_ * T_);
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (std::size_t r = 0; r < v.size(); ++r) {
      REVEST_REQUIRE(std::isfinite(v[r]), ctx << ": indicator '" << ind_name << "' is not finite for "
                                              << geo.counties[r / T_].name_ref << " ("
                                              << geo.counties[r / T_].adcode_ref << ") in "
                                              << years_[r % T_]);
      raw_(static_cast<Eigen::Index>(r), k) = v[r];
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

  point_ = compute(raw_, N_, T_, direction_, options_, nullptr, Labels{&indicators_, &years_});
  REVEST_REQUIRE(point_.ok(), ctx << ": the index is undefined on the full panel: " << point_.failure);
}

std::vector<ReplicationSpec> EntropyIndexAnalysis::replication_specs() const {
  const std::size_t K = indicators_.size();
  return {
      {"weights", {T_, K}, "entropy weight of each indicator (column) in each year (row)", "1"},
      {"scores", {T_, N_}, "TOPSIS closeness of each county (column) in each year (row)", "1"},
      {"ranks", {T_, N_}, "rank of each county (column) within each year (row), 1 = best", "1"},
  };
}

TaskOutcome EntropyIndexAnalysis::run_task(std::size_t task, Rng& rng,
                                           std::span<const std::span<double>> out) const {
  REVEST_REQUIRE(out.size() == 3, "internal error: entropy_index run_task got " << out.size()
                                                                                << " output rows, expected 3");
  boost::random::uniform_int_distribution<std::size_t> pick(0, N_ - 1);
  std::vector<std::size_t> sample(N_);
  for (auto& c : sample) c = pick(rng);
  const EntropyIndexResult r =
      compute(raw_, N_, T_, direction_, options_, &sample, Labels{&indicators_, &years_});
  if (!r.ok()) return {TaskStatus::kNumericalFailure, "degenerate resample: " + r.failure};
  write_row_major(r.weights, out[0]);
  write_row_major(r.scores, out[1]);
  write_row_major(r.ranks, out[2]);
  return {};
}

std::vector<Table> EntropyIndexAnalysis::summarize(ReplicationReader& reader) const {
  const std::size_t K = indicators_.size();
  REVEST_REQUIRE(reader.num_tasks() == num_tasks(),
                 "entropy_index '" << name_ << "': the archive holds " << reader.num_tasks()
                                   << " replications, the analysis has " << num_tasks());
  const std::size_t block = summary_block_columns(reader.num_tasks());
  const double conf = options_.confidence;
  const ReplicationColumnSummary sw = summarize_replication_columns(reader, 0, T_ * K, conf, block);
  const ReplicationColumnSummary ss = summarize_replication_columns(reader, 1, T_ * N_, conf, block);
  const ReplicationColumnSummary sr = summarize_replication_columns(reader, 2, T_ * N_, conf, block);

  std::ostringstream level;
  level << conf;

  Table weights;
  weights.name = "weights";
  weights.description = "Entropy weights: full-sample point estimate and bootstrap over counties (" +
                        std::to_string(num_tasks()) + " replications, weight_scope = " +
                        options_.weight_scope + ")";
  {
    std::vector<std::int64_t> year;
    std::vector<std::string> indicator;
    std::vector<double> w, mean, se, lo, hi;
    for (std::size_t t = 0; t < T_; ++t)
      for (std::size_t k = 0; k < K; ++k) {
        const std::size_t f = t * K + k;  // flattened index in the "weights" rows
        year.push_back(years_[t]);
        indicator.push_back(indicators_[k]);
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
        year.push_back(years_[t]);
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
        {"ci_lo", std::move(lo), "lower end of the " + level.str() + " percentile interval of the score", "1"},
        {"ci_hi", std::move(hi), "upper end of the " + level.str() + " percentile interval of the score", "1"},
        {"rank", std::move(rank), "rank within the year, full sample (1 = best)", "1"},
        {"rank_lo", std::move(rank_lo), "better end of the " + level.str() + " percentile interval of the rank", "1"},
        {"rank_hi", std::move(rank_hi), "worse end of the " + level.str() + " percentile interval of the rank", "1"},
    };
  }
  weights.check();
  scores.check();
  return {std::move(weights), std::move(scores)};
}

}  // namespace revest::index
