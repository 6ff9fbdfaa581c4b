#include "dea/malmquist.hpp"

#include <cmath>
#include <sstream>

#include "core/error.hpp"

namespace revest::dea {

void MalmquistOptions::validate() const {
  REVEST_REQUIRE(
      efficient_tolerance >= 0 && efficient_tolerance < 1e-3,
      "Malmquist options: efficient_tolerance must be in [0, 1e-3), got " << efficient_tolerance);
}

MalmquistResult malmquist(const Eigen::MatrixXd& x0, const Eigen::MatrixXd& y0,
                          const Eigen::MatrixXd& x1, const Eigen::MatrixXd& y1,
                          const MalmquistOptions& options, const std::vector<std::string>& labels) {
  options.validate();
  REVEST_REQUIRE(x0.rows() == x1.rows() && y0.rows() == y1.rows() && x0.rows() == y0.rows() &&
                     x0.cols() == x1.cols() && y0.cols() == y1.cols(),
                 "Malmquist index: periods 0 and 1 need the same units, inputs and outputs ("
                     << x0.rows() << " x " << x0.cols() << " / " << y0.cols() << " and "
                     << x1.rows() << " x " << x1.cols() << " / " << y1.cols() << ")");
  DeaOptions crs;
  crs.returns = Returns::kCrs;
  crs.orientation = options.orientation;
  crs.slacks = false;
  crs.efficient_tolerance = options.efficient_tolerance;
  DeaOptions vrs = crs;
  vrs.returns = Returns::kVrs;
  MalmquistResult r;
  r.options = options;
  const DeaResult d00 = solve_dea(x0, y0, x0, y0, crs, {}, labels);
  const DeaResult d01 = solve_dea(x1, y1, x0, y0, crs, {}, labels);
  const DeaResult d10 = solve_dea(x0, y0, x1, y1, crs, {}, labels);
  const DeaResult d11 = solve_dea(x1, y1, x1, y1, crs, {}, labels);
  const DeaResult w00 = solve_dea(x0, y0, x0, y0, vrs, {}, labels);
  const DeaResult w11 = solve_dea(x1, y1, x1, y1, vrs, {}, labels);
  r.e00 = d00.efficiency;
  r.e01 = d01.efficiency;
  r.e10 = d10.efficiency;
  r.e11 = d11.efficiency;
  r.v00 = w00.efficiency;
  r.v11 = w11.efficiency;
  std::size_t failed = 0;
  const auto n = static_cast<std::size_t>(x0.rows());
  for (std::size_t i = 0; i < n; ++i) {
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
  // The worst LP outcome of the six DEAs.
  for (const DeaResult* d : {&d00, &d01, &d10, &d11, &w00, &w11})
    if (!d->status.ok() && r.status.ok()) r.status = d->status;
  if (failed > 0 && r.status.ok())
    r.status = Status::Make(StatusCode::kNumericalFailure,
                            std::to_string(failed) + " unit(s) without a finite index");
  return r;
}

std::string MalmquistResult::brief_report() const {
  auto geomean = [](const std::vector<double>& v) {
    double s = 0;
    std::size_t k = 0;
    for (double x : v)
      if (std::isfinite(x) && x > 0) {
        s += std::log(x);
        ++k;
      }
    return k ? std::exp(s / static_cast<double>(k)) : std::nan("");
  };
  std::ostringstream os;
  os << "Malmquist index (" << to_string(options.orientation) << ", CRS) of " << tfpch.size()
     << " units: geometric means tfpch " << geomean(tfpch) << " = effch " << geomean(effch)
     << " x techch " << geomean(techch) << "; pech " << geomean(pech) << ", sech " << geomean(sech)
     << "; status " << status.to_string() << ".";
  return os.str();
}

}  // namespace revest::dea
