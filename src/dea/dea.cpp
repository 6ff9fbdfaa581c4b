#include "dea/dea.hpp"

#include <coin/ClpSimplex.hpp>
#include <coin/CoinPackedMatrix.hpp>

#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>

#include "core/error.hpp"

namespace revest::dea {

const char* to_string(Returns r) {
  switch (r) {
    case Returns::kCrs:
      return "crs";
    case Returns::kVrs:
      return "vrs";
    case Returns::kNirs:
      return "nirs";
    case Returns::kNdrs:
      return "ndrs";
  }
  return "?";
}
const char* to_string(Orientation o) { return o == Orientation::kInput ? "input" : "output"; }
Returns returns_from_string(const std::string& s) {
  if (s == "crs") return Returns::kCrs;
  if (s == "vrs") return Returns::kVrs;
  if (s == "nirs") return Returns::kNirs;
  if (s == "ndrs") return Returns::kNdrs;
  REVEST_FAIL("unknown returns to scale '" << s << "' (crs, vrs, nirs or ndrs)");
}
Orientation orientation_from_string(const std::string& s) {
  if (s == "input") return Orientation::kInput;
  if (s == "output") return Orientation::kOutput;
  REVEST_FAIL("unknown orientation '" << s << "' (input or output)");
}
const char* lp_status_name(StatusCode c) {
  switch (c) {
    case StatusCode::kOk:
      return "optimal";
    case StatusCode::kInfeasible:
      return "infeasible";
    case StatusCode::kUnbounded:
      return "unbounded";
    default:
      return "solver_failure";
  }
}

void DeaOptions::validate() const {
  REVEST_REQUIRE(peer_tolerance >= 0 && peer_tolerance < 1e-3,
                 "DEA options: peer_tolerance must be in [0, 1e-3), got " << peer_tolerance);
  REVEST_REQUIRE(
      efficient_tolerance >= 0 && efficient_tolerance < 1e-3,
      "DEA options: efficient_tolerance must be in [0, 1e-3), got " << efficient_tolerance);
  REVEST_REQUIRE(slack_tolerance >= 0 && slack_tolerance < 1e-2,
                 "DEA options: slack_tolerance must be in [0, 1e-2), got " << slack_tolerance);
}

std::string DeaResult::brief_report() const {
  std::ostringstream os;
  const bool input = options.orientation == Orientation::kInput;
  std::size_t n = farrell.size(), solved = 0, eff = 0;
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (unit_status[i] != StatusCode::kOk) continue;
    ++solved;
    sum += efficiency[i];
    eff += farrell[i] == 1.0;
  }
  os << "DEA (" << to_string(options.returns) << ", " << to_string(options.orientation)
     << (options.super_efficiency ? ", super-efficiency" : "") << "): " << n << " units, " << solved
     << " solved, " << eff << " efficient (score 1 within " << options.efficient_tolerance
     << "), mean " << (input ? "input" : "output") << " efficiency "
     << (solved ? sum / static_cast<double>(solved) : std::numeric_limits<double>::quiet_NaN())
     << "; " << lps_solved << " LPs; status " << status.to_string() << ".";
  return os.str();
}

void check_dea_data(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, const char* what,
                    const std::vector<std::string>& labels) {
  REVEST_REQUIRE(x.rows() == y.rows(), "DEA: " << what << " inputs have " << x.rows()
                                               << " rows but outputs " << y.rows());
  auto name = [&](Eigen::Index r) {
    return static_cast<std::size_t>(r) < labels.size()
               ? labels[static_cast<std::size_t>(r)]
               : std::string(what) + " unit " + std::to_string(r);
  };
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    for (Eigen::Index c = 0; c < x.cols(); ++c)
      REVEST_REQUIRE(std::isfinite(x(r, c)) && x(r, c) > 0,
                     "DEA: " << name(r) << ": input " << c + 1 << " is " << x(r, c)
                             << " (inputs must be positive and finite)");
    for (Eigen::Index c = 0; c < y.cols(); ++c)
      REVEST_REQUIRE(std::isfinite(y(r, c)) && y(r, c) > 0,
                     "DEA: " << name(r) << ": output " << c + 1 << " is " << y(r, c)
                             << " (outputs must be positive and finite)");
  }
}

namespace {

/// The envelopment LP of one reference set. Columns: 0 = score (theta or phi), 1..n = lambda.
/// Rows: m input rows, s output rows, and one convexity row for VRS / NIRS / NDRS.
class EnvelopmentModel {
 public:
  EnvelopmentModel(const Eigen::MatrixXd& xr, const Eigen::MatrixXd& yr, const DeaOptions& o)
      : n_(static_cast<int>(xr.rows())),
        m_(static_cast<int>(xr.cols())),
        s_(static_cast<int>(yr.cols())),
        opt_(o),
        xr_(xr),
        yr_(yr) {
    const double inf = COIN_DBL_MAX;
    const int rows = m_ + s_ + (o.returns == Returns::kCrs ? 0 : 1);
    CoinPackedMatrix mat(true, 0, 0);  // column-ordered
    mat.setDimensions(rows, 0);
    std::vector<double> collb(static_cast<std::size_t>(n_) + 1, 0.0),
        colub(static_cast<std::size_t>(n_) + 1, inf), obj(static_cast<std::size_t>(n_) + 1, 0.0);
    // Score column: placeholder coefficients (set per unit), explicitly present so they can be
    // modified in place.
    {
      std::vector<int> idx;
      std::vector<double> val;
      const int first = o.orientation == Orientation::kInput ? 0 : m_;
      const int count = o.orientation == Orientation::kInput ? m_ : s_;
      for (int k = 0; k < count; ++k) {
        idx.push_back(first + k);
        val.push_back(-1.0);
      }
      mat.appendCol(static_cast<int>(idx.size()), idx.data(), val.data());
      collb[0] = -inf;
      obj[0] = o.orientation == Orientation::kInput ? 1.0 : -1.0;  // min theta / max phi
    }
    for (int j = 0; j < n_; ++j) {
      std::vector<int> idx;
      std::vector<double> val;
      for (int i = 0; i < m_; ++i) {
        idx.push_back(i);
        val.push_back(xr(j, i));
      }
      for (int r = 0; r < s_; ++r) {
        idx.push_back(m_ + r);
        val.push_back(yr(j, r));
      }
      if (o.returns != Returns::kCrs) {
        idx.push_back(m_ + s_);
        val.push_back(1.0);
      }
      mat.appendCol(static_cast<int>(idx.size()), idx.data(), val.data());
    }
    std::vector<double> rowlb(static_cast<std::size_t>(rows)),
        rowub(static_cast<std::size_t>(rows));
    for (int i = 0; i < m_; ++i) {
      rowlb[static_cast<std::size_t>(i)] = -inf;
      rowub[static_cast<std::size_t>(i)] = 0.0;
    }
    for (int r = 0; r < s_; ++r) {
      rowlb[static_cast<std::size_t>(m_) + static_cast<std::size_t>(r)] = 0.0;
      rowub[static_cast<std::size_t>(m_) + static_cast<std::size_t>(r)] = inf;
    }
    if (o.returns == Returns::kVrs) rowlb.back() = rowub.back() = 1.0;
    if (o.returns == Returns::kNirs) {
      rowlb.back() = -inf;
      rowub.back() = 1.0;
    }
    if (o.returns == Returns::kNdrs) {
      rowlb.back() = 1.0;
      rowub.back() = inf;
    }
    lp_.setLogLevel(0);
    lp_.loadProblem(mat, collb.data(), colub.data(), obj.data(), rowlb.data(), rowub.data());
    lp_.setOptimizationDirection(1.0);
  }

  /// Solves unit (x, y); `self` >= 0 removes that reference unit. Fills one row of `res`.
  void solve(const Eigen::RowVectorXd& x, const Eigen::RowVectorXd& y, int self, std::size_t k,
             DeaResult& res) {
    const bool input = opt_.orientation == Orientation::kInput;
    // Per-unit data: score column and right-hand sides.
    if (input) {
      for (int i = 0; i < m_; ++i) lp_.modifyCoefficient(i, 0, -x(i));
      for (int r = 0; r < s_; ++r) lp_.setRowBounds(m_ + r, y(r), COIN_DBL_MAX);
    } else {
      for (int i = 0; i < m_; ++i) lp_.setRowBounds(i, -COIN_DBL_MAX, x(i));
      for (int r = 0; r < s_; ++r) lp_.modifyCoefficient(m_ + r, 0, -y(r));
    }
    lp_.setColumnBounds(0, -COIN_DBL_MAX, COIN_DBL_MAX);
    for (int j = 1; j <= n_; ++j) lp_.setObjectiveCoefficient(j, 0.0);
    lp_.setObjectiveCoefficient(0, input ? 1.0 : -1.0);
    if (self >= 0) lp_.setColumnBounds(self + 1, 0.0, 0.0);
    lp_.primal();
    ++res.lps_solved;
    StatusCode st = status();
    if (st != StatusCode::kOk) {
      // A warm start from the previous unit's basis can mislead Clp on badly scaled data: retry
      // once from the slack basis with the dual simplex before reporting a status.
      lp_.allSlackBasis(true);
      lp_.dual();
      ++res.lps_solved;
      st = status();
    }
    double score = std::numeric_limits<double>::quiet_NaN();
    if (st == StatusCode::kOk) {
      score = lp_.getColSolution()[0];
      if (opt_.slacks) {
        // Phase 2: fix the score, maximise the slack sum = minimise sum_j l_j c_j with
        // c_j = sum_i x_ij - sum_r y_rj (the constant terms do not matter).
        phase1_.assign(lp_.getColSolution(), lp_.getColSolution() + n_ + 1);
        lp_.setColumnBounds(0, score, score);
        lp_.setObjectiveCoefficient(0, 0.0);
        for (int j = 0; j < n_; ++j)
          lp_.setObjectiveCoefficient(j + 1, xr_.row(j).sum() - yr_.row(j).sum());
        lp_.primal();
        ++res.lps_solved;
        // Phase 2 starts at a feasible point (the phase-1 optimum), so a failure is numerical
        // (theta fixed at its computed optimum can be infeasible by rounding): keep the phase-1
        // solution, whose slacks are valid though not maximal.
        phase2_failed_ = status() != StatusCode::kOk;
      }
    }
    if (self >= 0) lp_.setColumnBounds(self + 1, 0.0, COIN_DBL_MAX);
    const auto ki = static_cast<Eigen::Index>(k);
    res.unit_status[k] = st;
    if (st != StatusCode::kOk) {
      res.farrell[k] = res.efficiency[k] = std::numeric_limits<double>::quiet_NaN();
      res.input_slacks.row(ki).setConstant(std::numeric_limits<double>::quiet_NaN());
      res.output_slacks.row(ki).setConstant(std::numeric_limits<double>::quiet_NaN());
      res.input_targets.row(ki).setConstant(std::numeric_limits<double>::quiet_NaN());
      res.output_targets.row(ki).setConstant(std::numeric_limits<double>::quiet_NaN());
      // A failed solve can leave a poor basis: start the next unit from scratch.
      lp_.allSlackBasis(true);
      return;
    }
    const double* sol = phase2_failed_ ? phase1_.data() : lp_.getColSolution();
    phase2_failed_ = false;
    Eigen::Map<const Eigen::VectorXd> lambda(sol + 1, n_);
    const Eigen::RowVectorXd xl = lambda.transpose() * xr_, yl = lambda.transpose() * yr_;
    if (opt_.slacks) {
      // Slacks from the LP's own score (the point phase 2 solved at), then classified: below the
      // tolerance relative to the unit's own input (output) a slack is zero.
      const Eigen::RowVectorXd xs = (input ? score * x : x) - xl;
      const Eigen::RowVectorXd ys = yl - (input ? y : score * y);
      for (int i = 0; i < m_; ++i)
        res.input_slacks(ki, i) = xs(i) <= opt_.slack_tolerance * x(i) ? 0.0 : xs(i);
      for (int r = 0; r < s_; ++r)
        res.output_slacks(ki, r) = ys(r) <= opt_.slack_tolerance * y(r) ? 0.0 : ys(r);
    } else {
      res.input_slacks.row(ki).setZero();
      res.output_slacks.row(ki).setZero();
    }
    if (std::abs(score - 1.0) <= opt_.efficient_tolerance) score = 1.0;  // efficient: exactly 1
    res.farrell[k] = score;
    res.efficiency[k] = input ? score : 1.0 / score;
    res.input_targets.row(ki) = (input ? score * x : x) - res.input_slacks.row(ki);
    res.output_targets.row(ki) = (input ? y : score * y) + res.output_slacks.row(ki);
    auto& peers = res.peers[k];
    peers.clear();
    for (int j = 0; j < n_; ++j)
      if (lambda(j) > opt_.peer_tolerance) peers.emplace_back(j, lambda(j));
  }

 private:
  StatusCode status() const {
    if (lp_.isProvenOptimal()) return StatusCode::kOk;
    if (lp_.isProvenPrimalInfeasible()) return StatusCode::kInfeasible;
    if (lp_.isProvenDualInfeasible()) return StatusCode::kUnbounded;
    return StatusCode::kNumericalFailure;
  }
  int n_, m_, s_;
  DeaOptions opt_;
  const Eigen::MatrixXd& xr_;
  const Eigen::MatrixXd& yr_;
  ClpSimplex lp_;
  std::vector<double> phase1_;
  bool phase2_failed_ = false;
};

}  // namespace

DeaResult solve_dea(const Eigen::MatrixXd& x_eval, const Eigen::MatrixXd& y_eval,
                    const Eigen::MatrixXd& x_ref, const Eigen::MatrixXd& y_ref,
                    const DeaOptions& options, const std::vector<int>& self,
                    const std::vector<std::string>& labels) {
  options.validate();
  check_dea_data(x_eval, y_eval, "evaluated", labels);
  check_dea_data(x_ref, y_ref, "reference", {});
  REVEST_REQUIRE(x_eval.cols() == x_ref.cols() && y_eval.cols() == y_ref.cols(),
                 "DEA: evaluated and reference units have different numbers of inputs or outputs");
  REVEST_REQUIRE(x_ref.cols() >= 1 && y_ref.cols() >= 1,
                 "DEA: needs at least one input and one output");
  REVEST_REQUIRE(x_ref.rows() >= x_ref.cols() + y_ref.cols(),
                 "DEA: " << x_ref.rows() << " reference units for " << x_ref.cols()
                         << " inputs and " << y_ref.cols()
                         << " outputs (need at least inputs + outputs)");
  REVEST_REQUIRE(self.empty() || self.size() == static_cast<std::size_t>(x_eval.rows()),
                 "DEA: `self` must have one entry per evaluated unit");
  const std::size_t n = static_cast<std::size_t>(x_eval.rows());
  DeaResult res;
  res.options = options;
  res.unit_status.assign(n, StatusCode::kOk);
  res.farrell.assign(n, 0.0);
  res.efficiency.assign(n, 0.0);
  res.input_slacks.resize(x_eval.rows(), x_eval.cols());
  res.output_slacks.resize(y_eval.rows(), y_eval.cols());
  res.input_targets.resize(x_eval.rows(), x_eval.cols());
  res.output_targets.resize(y_eval.rows(), y_eval.cols());
  res.peers.resize(n);
  EnvelopmentModel model(x_ref, y_ref, options);
  for (std::size_t k = 0; k < n; ++k) {
    const int s = options.super_efficiency && !self.empty() ? self[k] : -1;
    REVEST_REQUIRE(s < static_cast<int>(x_ref.rows()), "DEA: self index " << s << " out of range");
    model.solve(x_eval.row(static_cast<Eigen::Index>(k)), y_eval.row(static_cast<Eigen::Index>(k)),
                s, k, res);
  }
  // The overall status: the worst outcome, with the units counted.
  for (StatusCode c :
       {StatusCode::kNumericalFailure, StatusCode::kUnbounded, StatusCode::kInfeasible}) {
    std::size_t count = 0, first = n;
    for (std::size_t k = 0; k < n; ++k)
      if (res.unit_status[k] == c && count++ == 0) first = k;
    if (!count) continue;
    std::ostringstream os;
    os << count << " of " << n << " units: LP " << lp_status_name(c)
       << " (first: " << (first < labels.size() ? labels[first] : "unit " + std::to_string(first))
       << ")";
    res.status = Status::Make(c, os.str());
    break;
  }
  return res;
}

DeaResult solve_dea(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, const DeaOptions& options,
                    const std::vector<std::string>& labels) {
  std::vector<int> self(static_cast<std::size_t>(x.rows()));
  std::iota(self.begin(), self.end(), 0);
  return solve_dea(x, y, x, y, options, self, labels);
}

}  // namespace revest::dea
