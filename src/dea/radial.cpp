#include "dea/radial.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace revest::dea {
namespace {
constexpr double kPriceTol = 1e-9;   // reduced costs below -kPriceTol improve (scaled data)
constexpr double kPivotTol = 1e-11;  // smallest usable pivot element
constexpr double kFeasTol = 1e-9;    // primal feasibility of the final basis
constexpr int kRefactorEvery = 16;
constexpr int kBlandAfter = 50;
constexpr int kMaxPivots = 600;
constexpr Eigen::Index kBlock = 32;
}  // namespace

RadialSolver::RadialSolver(const Eigen::MatrixXd& x_ref, const Eigen::MatrixXd& y_ref,
                           Returns returns)
    : returns_(returns),
      n_(static_cast<int>(x_ref.rows())),
      m_(static_cast<int>(x_ref.cols())),
      s_(static_cast<int>(y_ref.cols())) {
  // Each input and output is scaled by its largest reference value: theta is invariant to units.
  xt_ = x_ref.transpose();
  yt_ = y_ref.transpose();
  sx_ = xt_.rowwise().maxCoeff();
  sy_ = yt_.rowwise().maxCoeff();
  for (int i = 0; i < m_; ++i) xt_.row(i) /= sx_[i];
  for (int r = 0; r < s_; ++r) yt_.row(r) /= sy_[r];
  rows_ = m_ + s_ + (returns_ == Returns::kCrs ? 0 : 1);
  if (rows_ > kMaxRows) return;  // too large for the fixed-size basis: solve() is never ok
  xo_.resize(m_);
  yo_.resize(s_);
  cols_ = 1 + n_ + m_ + s_ + (returns_ == Returns::kNirs ? 1 : 0);
  in_basis_.assign(static_cast<std::size_t>(cols_), 0);
  in_candidates_.assign(static_cast<std::size_t>(n_), 0);
  rhs_ = Vec::Zero(rows_);
  alam_.resize(rows_, n_);
  alam_.topRows(m_) = -xt_;
  alam_.middleRows(m_, s_) = yt_;
  if (returns_ != Returns::kCrs) alam_.row(m_ + s_).setOnes();
  acand_.resize(n_, rows_);
  aunk_ = -alam_.transpose();
  unknown_.resize(static_cast<std::size_t>(n_));
  unknown_pos_.resize(static_cast<std::size_t>(n_));
  for (int j = 0; j < n_; ++j) unknown_[static_cast<std::size_t>(j)] = unknown_pos_[static_cast<std::size_t>(j)] = j;
  dcand_.resize(kBlock);
  dall_.resize(n_);
  if (returns_ != Returns::kCrs) rhs_[m_ + s_] = 1.0;
}

void RadialSolver::column(int c, Vec& a) const {
  a.setZero(rows_);
  if (c == 0) {
    a.head(m_) = xo_;
  } else if (c <= n_) {
    a = alam_.col(c - 1);
  } else if (c <= n_ + m_) {
    a[c - n_ - 1] = -1.0;
  } else if (c <= n_ + m_ + s_) {
    a[m_ + (c - n_ - m_ - 1)] = -1.0;
  } else {
    a[m_ + s_] = 1.0;  // NIRS convexity slack
  }
}

double RadialSolver::reduced_cost(int c, const Vec& pi) const {
  if (c == 0) return 1.0 - pi.head(m_).dot(xo_);
  if (c <= n_) return -pi.dot(alam_.col(c - 1));
  if (c <= n_ + m_) return pi[c - n_ - 1];
  if (c <= n_ + m_ + s_) return pi[m_ + (c - n_ - m_ - 1)];
  return -pi[m_ + s_];
}

void RadialSolver::remember_basis() {
  for (int p = 0; p < rows_; ++p) {
    const int c = basis_[static_cast<std::size_t>(p)];
    if (c < 1 || c > n_ || xb_[p] <= 1e-12) continue;  // peers only (lambda > 0)
    const int j = c - 1;
    if (in_candidates_[static_cast<std::size_t>(j)]) continue;
    in_candidates_[static_cast<std::size_t>(j)] = 1;
    drop_unknown(j);
    acand_.row(static_cast<Eigen::Index>(candidate_.size())) = -alam_.col(j).transpose();
    candidate_.push_back(j);
  }
}

bool RadialSolver::accurate(const Vec& pi) const {
  Vec r = -rhs_, a;
  double dual = 0.0;
  for (int p = 0; p < rows_; ++p) {
    const int c = basis_[static_cast<std::size_t>(p)];
    column(c, a);
    r += xb_[p] * a;
    dual = std::max(dual, std::abs((c == 0 ? 1.0 : 0.0) - pi.dot(a)));
  }
  return r.lpNorm<Eigen::Infinity>() <= 1e-10 && dual <= 1e-10;
}

bool RadialSolver::refactor() {
  // Gauss-Jordan elimination with partial pivoting on the (at most 16 x 16) basis: no heap
  // allocation, unlike a general LU followed by inverse().
  Mat B(rows_, rows_);
  Vec a;
  for (int p = 0; p < rows_; ++p) {
    column(basis_[static_cast<std::size_t>(p)], a);
    B.col(p) = a;
  }
  const double norm_b = B.cwiseAbs().colwise().sum().maxCoeff();
  Mat M = B;
  binv_ = Mat::Identity(rows_, rows_);
  for (int k = 0; k < rows_; ++k) {
    Eigen::Index piv = 0;
    const double big = M.col(k).tail(rows_ - k).cwiseAbs().maxCoeff(&piv);
    if (!(big > 1e-14 * norm_b)) return false;
    piv += k;
    if (piv != k) {
      M.row(k).swap(M.row(piv));
      binv_.row(k).swap(binv_.row(piv));
    }
    const double inv = 1.0 / M(k, k);
    M.row(k) *= inv;
    binv_.row(k) *= inv;
    for (int i = 0; i < rows_; ++i) {
      if (i == k || M(i, k) == 0.0) continue;
      const double f = M(i, k);
      M.row(i) -= f * M.row(k);
      binv_.row(i) -= f * binv_.row(k);
    }
  }
  // Exact 1-norm reciprocal condition number (the matrix is tiny).
  const double rcond = 1.0 / (norm_b * binv_.cwiseAbs().colwise().sum().maxCoeff());
  if (!(rcond > 1e-13)) return false;
  xb_ = binv_ * rhs_;
  return binv_.allFinite();
}

void RadialSolver::drop_if_dominated(int k, double theta) {
  // When (x_o, y_o) lies on the ray of reference unit k (same outputs, inputs a common multiple
  // c of x_k, as for the Simar-Wilson twin of a pseudo-observation), unit k's own score is
  // theta * c. A score below 1 means unit k is dominated by a combination of other units, so its
  // column can never improve any later LP on this reference set: it leaves the full pricing.
  if (unknown_pos_[static_cast<std::size_t>(k)] < 0) return;
  if (yo_ != yt_.col(k)) return;
  const Eigen::ArrayXd ratio = xo_.array() / xt_.col(k).array();
  const double c = ratio.maxCoeff();
  if (c - ratio.minCoeff() > 1e-12 * c) return;
  if (theta * c < 1.0 - 1e-8) drop_unknown(k);
}

void RadialSolver::drop_unknown(int j) {
  const int pos = unknown_pos_[static_cast<std::size_t>(j)];
  if (pos < 0) return;
  const int last = static_cast<int>(unknown_.size()) - 1;
  const int moved = unknown_[static_cast<std::size_t>(last)];
  unknown_[static_cast<std::size_t>(pos)] = moved;
  unknown_pos_[static_cast<std::size_t>(moved)] = pos;
  aunk_.row(pos) = aunk_.row(last);
  unknown_.pop_back();
  unknown_pos_[static_cast<std::size_t>(j)] = -1;
}

RadialSolver::Solution RadialSolver::solve(Eigen::Ref<const Eigen::VectorXd> x_o,
                                           Eigen::Ref<const Eigen::VectorXd> y_o, int start,
                                           const std::vector<int>& hint) {
  ++lps_;
  Solution sol;
  if (rows_ > kMaxRows) return sol;
  xo_ = x_o.cwiseQuotient(sx_);
  yo_ = y_o.cwiseQuotient(sy_);
  rhs_.segment(m_, s_) = yo_;

  // Start vertex from reference unit k.
  int k = start;
  if (k < 0) {
    double best = std::numeric_limits<double>::infinity();
    for (int j = 0; j < n_; ++j) {
      if (returns_ != Returns::kCrs && (yt_.col(j).array() < yo_.array()).any()) continue;
      const double t = (xt_.col(j).array() / xo_.array()).maxCoeff();
      if (t < best) {
        best = t;
        k = j;
      }
    }
    if (k < 0) return sol;
  } else if (k >= n_ || (returns_ != Returns::kCrs && (yt_.col(k).array() < yo_.array()).any())) {
    return sol;
  }
  {
    basis_.clear();
    Eigen::Index istar = 0, rstar = -1;
    (xt_.col(k).array() / xo_.array()).maxCoeff(&istar);
    if (returns_ == Returns::kCrs) (yo_.array() / yt_.col(k).array()).maxCoeff(&rstar);
    basis_.push_back(0);
    basis_.push_back(1 + k);
    for (int i = 0; i < m_; ++i)
      if (i != istar) basis_.push_back(1 + n_ + i);
    for (int r = 0; r < s_; ++r)
      if (r != rstar) basis_.push_back(1 + n_ + m_ + r);
    if (static_cast<int>(basis_.size()) != rows_ || !refactor()) return sol;
    if ((xb_.array() < -kFeasTol).any()) return sol;
  }
  std::fill(in_basis_.begin(), in_basis_.end(), 0);
  for (int c : basis_) in_basis_[static_cast<std::size_t>(c)] = 1;
  xb_ = xb_.cwiseMax(0.0);

  Vec pi(rows_), a(rows_), alpha(rows_);
  const int fixed_cols = 1 + m_ + s_ + (returns_ == Returns::kNirs ? 1 : 0);
  auto fixed_col = [&](int f) { return f == 0 ? 0 : n_ + f; };  // theta and the slack columns
  int pivots = 0, since_refactor = 0;
  bool hint_phase = !hint.empty();
  while (true) {
    // pi = c_B' B^-1 (only theta has a cost).
    pi.setZero();
    for (int p = 0; p < rows_; ++p)
      if (basis_[static_cast<std::size_t>(p)] == 0) pi = binv_.row(p).transpose();
    int q = -1;
    double dq = -kPriceTol;
    const bool bland = pivots >= kBlandAfter;
    if (bland) {
      for (int c = 0; c < cols_ && q < 0; ++c)
        if (!in_basis_[static_cast<std::size_t>(c)] && reduced_cost(c, pi) < -kPriceTol) q = c;
    } else {
      for (int f = 0; f < fixed_cols; ++f) {
        const int c = fixed_col(f);
        if (in_basis_[static_cast<std::size_t>(c)]) continue;
        const double d = reduced_cost(c, pi);
        if (d < dq) {
          dq = d;
          q = c;
        }
      }
      if (hint_phase) {
        for (int j : hint) {
          const int c = 1 + j;
          if (j < 0 || j >= n_ || in_basis_[static_cast<std::size_t>(c)]) continue;
          const double d = reduced_cost(c, pi);
          if (d < dq) {
            dq = d;
            q = c;
          }
        }
        if (q < 0) {
          hint_phase = false;
          continue;
        }
      }
      const auto nc = static_cast<Eigen::Index>(candidate_.size());
      if (q < 0 && nc > 0) {
        // Partial pricing: blocks of kBlock candidates from a rotating start; the most negative
        // reduced cost of the first block that has one enters.
        for (Eigen::Index done = 0; done < nc && q < 0; done += kBlock) {
          const Eigen::Index b0 = (block_start_ + done) % nc, w = std::min<Eigen::Index>(kBlock, nc - b0);
          dcand_.head(w).noalias() = acand_.middleRows(b0, w) * pi;
          for (Eigen::Index t = 0; t < w; ++t) {
            if (dcand_[t] < dq) {
              const int c = 1 + candidate_[static_cast<std::size_t>(b0 + t)];
              if (in_basis_[static_cast<std::size_t>(c)]) continue;
              dq = dcand_[t];
              q = c;
            }
          }
          if (q >= 0) block_start_ = b0;
          if (w < kBlock && q < 0) done -= kBlock - w;  // wrapped: continue from column 0
        }
      }
      if (q < 0 && !hint_phase) {
        // Price the whole reference set: the proof of optimality, or the most negative column
        // enters. The candidate list keeps only columns that are peers at an optimum (the
        // frontier of this reference set), so it stays short.
        const auto nu = static_cast<Eigen::Index>(unknown_.size());
        dall_.head(nu).noalias() = aunk_.topRows(nu) * pi;
        for (Eigen::Index t = 0; t < nu; ++t) {
          if (dall_[t] < dq) {
            dq = dall_[t];
            q = 1 + unknown_[static_cast<std::size_t>(t)];
          }
        }
      }
    }
    if (q < 0) {
      // Optimal for every column. Accept if the updated inverse is still accurate (primal and
      // dual residuals of the basis below 1e-10); otherwise refactorise and price again.
      if (since_refactor > 0 && !accurate(pi)) {
        if (!refactor()) return sol;
        since_refactor = 0;
        if ((xb_.array() < -kFeasTol).any()) return sol;
        xb_ = xb_.cwiseMax(0.0);
        continue;
      }
      for (int p = 0; p < rows_; ++p)
        if (basis_[static_cast<std::size_t>(p)] == 0) sol.theta = xb_[p];
      sol.ok = sol.theta > 0.0 && std::isfinite(sol.theta);
      sol.pivots = pivots;
      remember_basis();
      if (sol.ok && start >= 0) drop_if_dominated(start, sol.theta);
      return sol;
    }
    // Ratio test.
    column(q, a);
    alpha.noalias() = binv_ * a;
    int p_out = -1;
    double best = std::numeric_limits<double>::infinity();
    for (int p = 0; p < rows_; ++p) {
      if (alpha[p] <= kPivotTol) continue;
      const double r = xb_[p] / alpha[p];
      if (p_out < 0 || r < best - 1e-12 ||
          (r <= best + 1e-12 &&
           (bland ? basis_[static_cast<std::size_t>(p)] < basis_[static_cast<std::size_t>(p_out)]
                  : alpha[p] > alpha[p_out]))) {
        best = std::min(best, r);
        p_out = p;
      }
    }
    if (p_out < 0) return sol;  // unbounded: cannot happen for theta >= 0; fall back
    const double step = std::max(0.0, xb_[p_out] / alpha[p_out]);
    xb_ -= step * alpha;
    xb_[p_out] = step;
    xb_ = xb_.cwiseMax(0.0);
    const double piv = alpha[p_out];
    binv_.row(p_out) /= piv;
    for (int p = 0; p < rows_; ++p)
      if (p != p_out && alpha[p] != 0.0) binv_.row(p) -= alpha[p] * binv_.row(p_out);
    in_basis_[static_cast<std::size_t>(basis_[static_cast<std::size_t>(p_out)])] = 0;
    basis_[static_cast<std::size_t>(p_out)] = q;
    in_basis_[static_cast<std::size_t>(q)] = 1;
    ++pivots;
    if (++since_refactor >= kRefactorEvery) {
      if (!refactor()) return sol;
      since_refactor = 0;
      if ((xb_.array() < -kFeasTol).any()) return sol;
      xb_ = xb_.cwiseMax(0.0);
    }
    if (pivots > kMaxPivots) return sol;
  }
}

}  // namespace revest::dea
