#include "dea/malmquist.hpp"

#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <cmath>
#include <limits>
#include <sstream>

#include "core/error.hpp"

namespace revest::dea {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double geomean(const std::vector<double>& v) {
  double s = 0;
  std::size_t k = 0;
  for (double x : v)
    if (std::isfinite(x) && x > 0) {
      s += std::log(x);
      ++k;
    }
  return k ? std::exp(s / static_cast<double>(k)) : kNaN;
}

}  // namespace

void MalmquistOptions::validate() const {
  REVEST_REQUIRE(
      efficient_tolerance >= 0 && efficient_tolerance < 1e-3,
      "Malmquist options: efficient_tolerance must be in [0, 1e-3), got " << efficient_tolerance);
}

namespace {

/// The index from the six score vectors of a pair of periods (NaN where an LP failed).
MalmquistResult combine(std::vector<double> e00, std::vector<double> e01, std::vector<double> e10,
                        std::vector<double> e11, std::vector<double> v00, std::vector<double> v11,
                        const MalmquistOptions& options) {
  MalmquistResult r;
  r.options = options;
  r.e00 = std::move(e00);
  r.e01 = std::move(e01);
  r.e10 = std::move(e10);
  r.e11 = std::move(e11);
  r.v00 = std::move(v00);
  r.v11 = std::move(v11);
  std::size_t failed = 0;
  for (std::size_t i = 0; i < r.e00.size(); ++i) {
    const double tfp = std::sqrt(r.e01[i] / r.e00[i] * r.e11[i] / r.e10[i]);
    const double ec = r.e11[i] / r.e00[i];
    const double tc = std::sqrt(r.e01[i] / r.e11[i] * r.e00[i] / r.e10[i]);
    const double pe = r.v11[i] / r.v00[i];
    r.tfpch.push_back(tfp);
    r.effch.push_back(ec);
    r.techch.push_back(tc);
    r.pech.push_back(pe);
    r.sech.push_back(ec / pe);
    failed += !std::isfinite(tfp) || !std::isfinite(pe);
  }
  if (failed > 0)
    r.status =
        Status::Make(StatusCode::kNumericalFailure, std::to_string(failed) +
                                                        " unit(s) without a finite index (an LP "
                                                        "that neither solver solved)");
  return r;
}

}  // namespace

std::vector<MalmquistResult> malmquist_sequence(
    const std::vector<Eigen::MatrixXd>& x, const std::vector<Eigen::MatrixXd>& y,
    const MalmquistOptions& options, const std::vector<std::vector<std::string>>& labels) {
  options.validate();
  const std::size_t T = x.size();
  REVEST_REQUIRE(T == y.size() && T >= 2,
                 "Malmquist index: needs two periods or more with inputs "
                 "and outputs ("
                     << x.size() << " and " << y.size() << " given)");
  REVEST_REQUIRE(
      labels.empty() || labels.size() == T - 1,
      "Malmquist index: " << labels.size() << " label lists for " << T - 1 << " pairs of periods");
  for (std::size_t t = 1; t < T; ++t)
    REVEST_REQUIRE(
        x[t].rows() == x[0].rows() && y[t].rows() == x[0].rows() && y[0].rows() == x[0].rows() &&
            x[t].cols() == x[0].cols() && y[t].cols() == y[0].cols(),
        "Malmquist index: periods "
            << t - 1 << " and " << t << " need the same units, inputs and outputs ("
            << x[t - 1].rows() << " x " << x[t - 1].cols() << " / " << y[t - 1].cols() << " and "
            << x[t].rows() << " x " << x[t].cols() << " / " << y[t].cols() << ")");
  const auto n = static_cast<std::size_t>(x[0].rows());
  REVEST_REQUIRE(x[0].cols() >= 1 && y[0].cols() >= 1 &&
                     n >= static_cast<std::size_t>(x[0].cols() + y[0].cols()),
                 "Malmquist index: " << n << " units for " << x[0].cols() << " inputs and "
                                     << y[0].cols()
                                     << " outputs (need at least inputs + outputs, "
                                        "and one of each)");
  static const std::vector<std::string> none;
  for (std::size_t t = 0; t < T; ++t)
    check_dea_data(x[t], y[t], "evaluated", labels.empty() ? none : labels[t == 0 ? 0 : t - 1]);
  // The radial scores by RadialSolver, Clp the fallback (scores_against_reference); a score
  // within efficient_tolerance of 1 is exactly 1, as solve_dea's. Under CRS the input and output
  // scores are equal; the VRS scores of the output orientation come from Clp's output LPs.
  auto snap = [&](std::vector<double> v) {
    for (double& e : v)
      if (std::abs(e - 1.0) <= options.efficient_tolerance) e = 1.0;
    return v;
  };
  auto crs = [&](std::size_t eval, std::size_t ref) {
    return snap(
        scores_against_reference(x[eval], y[eval], x[ref], y[ref], Returns::kCrs, eval == ref));
  };
  auto vrs = [&](std::size_t t) {
    if (options.orientation == Orientation::kInput)
      return snap(scores_against_reference(x[t], y[t], x[t], y[t], Returns::kVrs, true));
    DeaOptions o;
    o.returns = Returns::kVrs;
    o.orientation = Orientation::kOutput;
    o.slacks = false;
    o.efficient_tolerance = options.efficient_tolerance;
    const DeaResult d = solve_dea(x[t], y[t], o);
    std::vector<double> v(n, std::numeric_limits<double>::quiet_NaN());
    for (std::size_t i = 0; i < n; ++i)
      if (d.unit_status[i] == StatusCode::kOk) v[i] = d.efficiency[i];
    return v;
  };
  std::vector<std::vector<double>> own_crs, own_vrs;
  for (std::size_t t = 0; t < T; ++t) {
    own_crs.push_back(crs(t, t));
    own_vrs.push_back(vrs(t));
  }
  std::vector<MalmquistResult> out;
  for (std::size_t t = 1; t < T; ++t)
    out.push_back(combine(own_crs[t - 1], crs(t, t - 1), crs(t - 1, t), own_crs[t], own_vrs[t - 1],
                          own_vrs[t], options));
  return out;
}

MalmquistResult malmquist(const Eigen::MatrixXd& x0, const Eigen::MatrixXd& y0,
                          const Eigen::MatrixXd& x1, const Eigen::MatrixXd& y1,
                          const MalmquistOptions& options, const std::vector<std::string>& labels) {
  std::vector<std::vector<std::string>> l;
  if (!labels.empty()) l.push_back(labels);
  return malmquist_sequence({x0, x1}, {y0, y1}, options, l).front();
}

std::string MalmquistResult::brief_report() const {
  std::ostringstream os;
  os << "Malmquist index (" << to_string(options.orientation) << ", CRS) of " << tfpch.size()
     << " units: geometric means tfpch " << geomean(tfpch) << " = effch " << geomean(effch)
     << " x techch " << geomean(techch) << "; pech " << geomean(pech) << ", sech " << geomean(sech)
     << "; status " << status.to_string() << ".";
  return os.str();
}

// ---- bootstrap (Simar & Wilson 1999) ----

double malmquist_bandwidth(std::size_t n) {
  REVEST_REQUIRE(n >= 1, "Malmquist bootstrap: no unit with a score");
  return std::pow(4.0 / (5.0 * static_cast<double>(n)), 1.0 / 6.0);
}

double malmquist_bandwidth(const MalmquistResult& point) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < point.e00.size(); ++i)
    n += std::isfinite(point.e00[i]) && std::isfinite(point.e11[i]);
  return malmquist_bandwidth(n);
}

PseudoPairs draw_pseudo_pairs(const std::vector<double>& e00, const std::vector<double>& e11,
                              double h, Rng& rng) {
  REVEST_REQUIRE(e00.size() == e11.size(),
                 "Malmquist bootstrap: " << e00.size() << " and " << e11.size() << " scores");
  const std::size_t n = e00.size();
  std::vector<std::size_t> fin;  // units with both scores
  for (std::size_t i = 0; i < n; ++i)
    if (std::isfinite(e00[i]) && std::isfinite(e11[i])) fin.push_back(i);
  PseudoPairs out{std::vector<double>(n, kNaN), std::vector<double>(n, kNaN)};
  const std::size_t nf = fin.size();
  if (nf == 0) return out;
  // Sample covariance of the observed pairs (divisor nf - 1) and its Cholesky factor
  // [l11 0; l21 l22]; Sigma_R's factor is [l11 0; -l21 l22]. A degenerate period (every unit
  // efficient: no variance) gets a zero row.
  double ma = 0, mb = 0;
  for (std::size_t i : fin) {
    ma += e00[i] / static_cast<double>(nf);
    mb += e11[i] / static_cast<double>(nf);
  }
  double saa = 0, sab = 0, sbb = 0;
  for (std::size_t i : fin) {
    saa += (e00[i] - ma) * (e00[i] - ma);
    sab += (e00[i] - ma) * (e11[i] - mb);
    sbb += (e11[i] - mb) * (e11[i] - mb);
  }
  const double div = nf > 1 ? static_cast<double>(nf - 1) : 1.0;
  saa /= div;
  sab /= div;
  sbb /= div;
  const double l11 = std::sqrt(saa);
  const double l21 = l11 > 0 ? sab / l11 : 0.0;
  const double l22 = std::sqrt(std::max(0.0, sbb - l21 * l21));
  boost::random::uniform_int_distribution<std::size_t> pick(0, 4 * nf - 1);
  boost::random::normal_distribution<double> nd;
  // Drawn pairs of the reflected set: (a, b), (2 - a, b), (2 - a, 2 - b), (a, 2 - b).
  std::vector<double> da(n), db(n);
  std::vector<char> reflected_once(n);  // the second and fourth kinds: kernel Sigma_R
  double ca = 0, cb = 0;
  for (std::size_t i : fin) {
    const std::size_t j = pick(rng), kind = j / nf, u = fin[j % nf];
    da[i] = kind == 1 || kind == 2 ? 2.0 - e00[u] : e00[u];
    db[i] = kind >= 2 ? 2.0 - e11[u] : e11[u];
    reflected_once[i] = kind == 1 || kind == 3;
    ca += da[i] / static_cast<double>(nf);
    cb += db[i] / static_cast<double>(nf);
  }
  const double corr = 1.0 / std::sqrt(1.0 + h * h);
  for (std::size_t i : fin) {
    const double sign = reflected_once[i] ? -1.0 : 1.0;
    for (int attempt = 0; attempt < 1000; ++attempt) {
      const double z1 = nd(rng), z2 = nd(rng);
      const double ea = l11 * z1, eb = sign * l21 * z1 + l22 * z2;
      const double ga = ca + (da[i] + h * ea - ca) * corr;
      const double gb = cb + (db[i] + h * eb - cb) * corr;
      const double ta = ga <= 1.0 ? ga : 2.0 - ga, tb = gb <= 1.0 ? gb : 2.0 - gb;
      if (ta > 0.0 && tb > 0.0) {
        out.theta0[i] = ta;
        out.theta1[i] = tb;
        break;
      }
    }
  }
  return out;
}

MalmquistDraw malmquist_replication(const Eigen::MatrixXd& x0, const Eigen::MatrixXd& y0,
                                    const Eigen::MatrixXd& x1, const Eigen::MatrixXd& y1,
                                    const MalmquistResult& point, double h, Rng& rng) {
  const PseudoPairs d = draw_pseudo_pairs(point.e00, point.e11, h, rng);
  const Eigen::MatrixXd xs0 = rescale_rows(x0, point.e00, d.theta0);
  const Eigen::MatrixXd xs1 = rescale_rows(x1, point.e11, d.theta1);
  const std::vector<double> e00 = scores_against_reference(x0, y0, xs0, y0, Returns::kCrs, true);
  const std::vector<double> e01 = scores_against_reference(x1, y1, xs0, y0, Returns::kCrs, false);
  const std::vector<double> e10 = scores_against_reference(x0, y0, xs1, y1, Returns::kCrs, false);
  const std::vector<double> e11 = scores_against_reference(x1, y1, xs1, y1, Returns::kCrs, true);
  MalmquistDraw r;
  for (std::size_t i = 0; i < e00.size(); ++i) {
    r.tfpch.push_back(std::sqrt(e01[i] / e00[i] * e11[i] / e10[i]));
    r.effch.push_back(e11[i] / e00[i]);
    r.techch.push_back(std::sqrt(e01[i] / e11[i] * e00[i] / e10[i]));
  }
  return r;
}

void MalmquistBootstrapOptions::validate() const {
  index.validate();
  REVEST_REQUIRE(std::isfinite(bandwidth) && bandwidth >= 0,
                 "Malmquist bootstrap options: bandwidth must be >= 0 (0 = Simar-Wilson's rule), "
                 "got "
                     << bandwidth);
  REVEST_REQUIRE(confidence > 0 && confidence < 1,
                 "Malmquist bootstrap options: confidence must be in (0, 1), got " << confidence);
}

MalmquistBootstrapResult malmquist_bootstrap(const Eigen::MatrixXd& x0, const Eigen::MatrixXd& y0,
                                             const Eigen::MatrixXd& x1, const Eigen::MatrixXd& y1,
                                             const MalmquistBootstrapOptions& options,
                                             const RngKey& key, std::size_t replications,
                                             std::uint32_t part,
                                             const std::vector<std::string>& labels) {
  options.validate();
  REVEST_REQUIRE(replications >= 1, "Malmquist bootstrap: needs at least one replication");
  MalmquistBootstrapResult r;
  r.options = options;
  r.point = malmquist(x0, y0, x1, y1, options.index, labels);
  r.bandwidth = options.bandwidth > 0 ? options.bandwidth : malmquist_bandwidth(r.point);
  const auto n = static_cast<Eigen::Index>(x0.rows()), B = static_cast<Eigen::Index>(replications);
  r.tfpch.resize(B, n);
  r.effch.resize(B, n);
  r.techch.resize(B, n);
  for (Eigen::Index b = 0; b < B; ++b) {
    const auto rep = static_cast<std::uint32_t>(b);
    Rng rng = key.stream(rep).for_replication(rep, part);
    const MalmquistDraw d = malmquist_replication(x0, y0, x1, y1, r.point, r.bandwidth, rng);
    r.tfpch.row(b) = Eigen::Map<const Eigen::RowVectorXd>(d.tfpch.data(), n);
    r.effch.row(b) = Eigen::Map<const Eigen::RowVectorXd>(d.effch.data(), n);
    r.techch.row(b) = Eigen::Map<const Eigen::RowVectorXd>(d.techch.data(), n);
  }
  r.tfpch_summary = summarize_sw(r.point.tfpch, r.tfpch, options.confidence);
  r.effch_summary = summarize_sw(r.point.effch, r.effch, options.confidence);
  r.techch_summary = summarize_sw(r.point.techch, r.techch, options.confidence);
  r.status = r.point.status;
  for (std::size_t i = 0; i < static_cast<std::size_t>(n) && r.status.ok(); ++i)
    if (r.tfpch_summary.replicates[i] == 0)
      r.status = Status::Make(StatusCode::kNumericalFailure,
                              "unit " + (i < labels.size() ? labels[i] : std::to_string(i)) +
                                  " has no finite replication");
  return r;
}

std::string MalmquistBootstrapResult::brief_report() const {
  std::size_t up = 0, down = 0;
  for (std::size_t i = 0; i < tfpch_summary.lower.size(); ++i) {
    up += tfpch_summary.lower[i] > 1.0;
    down += tfpch_summary.upper[i] < 1.0;
  }
  std::ostringstream os;
  os << point.brief_report() << " Simar-Wilson (1999) bootstrap: " << tfpch.rows()
     << " replications, bandwidth " << bandwidth << "; tfpch interval (" << options.confidence * 100
     << "%) above 1 for " << up << " units, below 1 for " << down << "; status "
     << status.to_string() << ".";
  return os.str();
}

}  // namespace revest::dea
