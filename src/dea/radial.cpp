#include "dea/radial.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>

namespace revest::dea {
namespace {
constexpr double kPriceTol = 1e-9;   // reduced costs below -kPriceTol improve (scaled data)
constexpr double kPivotTol = 1e-11;  // smallest usable pivot element
constexpr double kFeasTol = 1e-9;    // primal feasibility of the final basis
constexpr int kRefactorEvery = 16;
constexpr int kBlandAfter = 50;
constexpr int kMaxPivots = 600;
constexpr Eigen::Index kBlock = 64;

// Pricing kernel: d[t] = sum_i A[t + i ld] pi[i] for t < w (A column-major, R columns), summed in
// column order. With R known at compile time the loop over columns unrolls and the loop over t
// vectorises; Eigen's general matrix-vector product spends most of its time in set-up at these
// sizes (R <= 16, w <= 512).
// On x86-64 a second copy is compiled for AVX2 (4 doubles per instruction instead of SSE2's 2)
// and chosen at run time. Only separate multiplies and adds are used (no FMA: the AVX2 copy is
// compiled without it), in the same order for every element, so both copies give the same bits
// and results do not depend on the node a rank runs on.
template <int R>
inline void price_rows_body(const double* __restrict A, Eigen::Index ld, Eigen::Index w,
                            const double* __restrict pi, double* __restrict d) {
  for (Eigen::Index t = 0; t < w; ++t) {
    double acc = A[t] * pi[0];
    for (int i = 1; i < R; ++i) acc += A[t + i * ld] * pi[i];
    d[t] = acc;
  }
}
// Pivot update of the explicit inverse (R x R, column-major, leading dimension ld), column by
// column: row p of column j becomes B(p, j) - alpha[p] B(p_out, j) / alpha[p_out], and row p_out
// becomes B(p_out, j) / alpha[p_out].
template <int R>
inline void pivot_inverse_body(double* __restrict B, Eigen::Index ld,
                               const double* __restrict alpha, int p_out) {
  const double piv = alpha[p_out];
  for (int j = 0; j < R; ++j) {
    double* __restrict col = B + j * ld;
    const double r = col[p_out] / piv;
    for (int p = 0; p < R; ++p) col[p] -= alpha[p] * r;
    col[p_out] = r;
  }
}
// Gauss-Jordan inversion with partial pivoting of the R x R column-major matrix M (overwritten)
// into X (both with leading dimension R); false if a pivot is not above tol. Row k is scaled by
// its pivot, then f_i times row k is subtracted from every other row i, column by column.
template <int R>
inline bool invert_body(double* __restrict M, double* __restrict X, double tol) {
  for (int j = 0; j < R; ++j)
    for (int i = 0; i < R; ++i) X[i + j * R] = i == j ? 1.0 : 0.0;
  double f[R];
  for (int k = 0; k < R; ++k) {
    int piv = k;
    double big = std::abs(M[k + k * R]);
    for (int i = k + 1; i < R; ++i) {
      const double v = std::abs(M[i + k * R]);
      if (v > big) {
        big = v;
        piv = i;
      }
    }
    if (!(big > tol)) return false;
    if (piv != k)
      for (int j = 0; j < R; ++j) {
        std::swap(M[k + j * R], M[piv + j * R]);
        std::swap(X[k + j * R], X[piv + j * R]);
      }
    const double inv = 1.0 / M[k + k * R];
    for (int j = 0; j < R; ++j) {
      M[k + j * R] *= inv;
      X[k + j * R] *= inv;
    }
    for (int i = 0; i < R; ++i) f[i] = i == k ? 0.0 : M[i + k * R];
    for (int j = 0; j < R; ++j) {
      const double mk = M[k + j * R], xk = X[k + j * R];
      for (int i = 0; i < R; ++i) {
        M[i + j * R] -= f[i] * mk;
        X[i + j * R] -= f[i] * xk;
      }
    }
  }
  return true;
}
template <int R>
bool invert(double* M, double* X, double tol) {
  return invert_body<R>(M, X, tol);
}
template <int R>
void price_rows(const double* A, Eigen::Index ld, Eigen::Index w, const double* pi, double* d) {
  price_rows_body<R>(A, ld, w, pi, d);
}
template <int R>
void pivot_inverse(double* B, Eigen::Index ld, const double* alpha, int p_out) {
  pivot_inverse_body<R>(B, ld, alpha, p_out);
}
#if defined(__x86_64__) && defined(__GNUC__)
#define REVEST_RADIAL_AVX2 1
template <int R>
__attribute__((target("avx2,no-fma"))) void price_rows_avx2(const double* A, Eigen::Index ld,
                                                            Eigen::Index w, const double* pi,
                                                            double* d) {
  price_rows_body<R>(A, ld, w, pi, d);
}
template <int R>
__attribute__((target("avx2,no-fma"))) bool invert_avx2(double* M, double* X, double tol) {
  return invert_body<R>(M, X, tol);
}
template <int R>
__attribute__((target("avx2,no-fma"))) void pivot_inverse_avx2(double* B, Eigen::Index ld,
                                                               const double* alpha, int p_out) {
  pivot_inverse_body<R>(B, ld, alpha, p_out);
}
#endif
template <int... R>
constexpr std::array<RadialSolver::Kernels, sizeof...(R)> kernel_table(
    std::integer_sequence<int, R...>) {
  return {RadialSolver::Kernels{&price_rows<R + 1>, &pivot_inverse<R + 1>, &invert<R + 1>}...};
}
constexpr auto kKernels = kernel_table(std::make_integer_sequence<int, RadialSolver::kMaxRows>{});
#ifdef REVEST_RADIAL_AVX2
template <int... R>
constexpr std::array<RadialSolver::Kernels, sizeof...(R)> kernel_table_avx2(
    std::integer_sequence<int, R...>) {
  return {RadialSolver::Kernels{&price_rows_avx2<R + 1>, &pivot_inverse_avx2<R + 1>,
                                &invert_avx2<R + 1>}...};
}
constexpr auto kKernelsAvx2 =
    kernel_table_avx2(std::make_integer_sequence<int, RadialSolver::kMaxRows>{});
#endif
}  // namespace

RadialSolver::Kernels RadialSolver::kernels(int rows, bool allow_avx2) {
  const auto k = static_cast<std::size_t>(std::clamp(rows, 1, kMaxRows) - 1);
#ifdef REVEST_RADIAL_AVX2
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (allow_avx2 && avx2) return kKernelsAvx2[k];
#else
  (void)allow_avx2;
#endif
  return kKernels[k];
}

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
  kernels_ = kernels(rows_);
  xo_.resize(m_);
  yo_.resize(s_);
  cols_ = 1 + n_ + m_ + s_ + (returns_ == Returns::kNirs || returns_ == Returns::kNdrs ? 1 : 0);
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
  for (int j = 0; j < n_; ++j)
    unknown_[static_cast<std::size_t>(j)] = unknown_pos_[static_cast<std::size_t>(j)] = j;
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
    a[m_ + s_] = returns_ == Returns::kNirs ? 1.0 : -1.0;  // NIRS slack, NDRS surplus
  }
}

inline double RadialSolver::fixed_reduced_cost(int f, const Vec& pi) const {
  // f = 0: theta (1 - pi' x_o); f = 1..m+s: an input slack or output surplus (pi_(f-1));
  // f = m+s+1: the NIRS convexity slack (-pi_(m+s)) or NDRS surplus (pi_(m+s)).
  if (f == 0) return 1.0 - pi.head(m_).dot(xo_);
  if (f <= m_ + s_) return pi[f - 1];
  return returns_ == Returns::kNirs ? -pi[m_ + s_] : pi[m_ + s_];
}

double RadialSolver::reduced_cost(int c, const Vec& pi) const {
  if (c >= 1 && c <= n_) return -pi.dot(alam_.col(c - 1));
  return fixed_reduced_cost(c == 0 ? 0 : c - n_, pi);
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
  // Gauss-Jordan elimination with partial pivoting on the (at most 16 x 16) basis, in place on a
  // stack array (kernels_.invert).
  std::array<double, static_cast<std::size_t>(kMaxRows) * kMaxRows> M;
  double norm_b = 0.0;  // 1-norm of the basis
  Vec a;
  for (int p = 0; p < rows_; ++p) {
    column(basis_[static_cast<std::size_t>(p)], a);
    std::copy(a.data(), a.data() + rows_, M.data() + static_cast<std::ptrdiff_t>(p) * rows_);
    norm_b = std::max(norm_b, a.cwiseAbs().sum());
  }
  binv_.resize(rows_, rows_);
  if (!kernels_.invert(M.data(), binv_.data(), 1e-14 * norm_b)) return false;
  // Exact 1-norm reciprocal condition number (the matrix is tiny).
  const double rcond = 1.0 / (norm_b * binv_.cwiseAbs().colwise().sum().maxCoeff());
  if (!(rcond > 1e-13)) return false;
  xb_ = binv_ * rhs_;
  return binv_.allFinite();
}

bool RadialSolver::start_inverse(int k, int istar, int rstar) {
  // The start basis (theta, lambda_k, the input slacks but istar's, the output surpluses but
  // rstar's) has a closed-form inverse. B z = b reads
  //   input i:  x_oi z_theta - x_ki z_lambda - [i != istar] z_si = b_i
  //   output r: y_kr z_lambda - [r != rstar] z_sr = b_(m+r)
  //   convexity (VRS, NIRS, NDRS): z_lambda = b_(m+s)
  // so z_lambda = b_(m+s) (CRS: b_(m+rstar) / y_k,rstar), z_theta = (b_istar + x_k,istar
  // z_lambda) / x_o,istar, and each slack follows from its row. Column j of B^-1 is z for b = e_j.
  const auto xk = xt_.col(k), yk = yt_.col(k);
  binv_.setZero(rows_, rows_);
  const int lam_row = returns_ == Returns::kCrs ? m_ + rstar : m_ + s_;
  const double zl =
      returns_ == Returns::kCrs ? 1.0 / yk[rstar] : 1.0;  // z_lambda for b = e_lam_row
  for (int j = 0; j < rows_; ++j) {
    const double zlj = j == lam_row ? zl : 0.0;
    const double ztj = ((j == istar ? 1.0 : 0.0) + xk[istar] * zlj) / xo_[istar];
    binv_(0, j) = ztj;
    binv_(1, j) = zlj;
    int p = 2;
    for (int i = 0; i < m_; ++i)
      if (i != istar) binv_(p++, j) = xo_[i] * ztj - xk[i] * zlj - (j == i ? 1.0 : 0.0);
    for (int r = 0; r < s_; ++r)
      if (r != rstar) binv_(p++, j) = yk[r] * zlj - (j == m_ + r ? 1.0 : 0.0);
  }
  // The same conditioning test as refactor(): 1-norm reciprocal condition number. (Written out
  // here rather than shared: in a helper it is not inlined into solve() and costs 5 % of the
  // solver's instructions, measured with callgrind.)
  double norm_b = std::max(1.0, xo_.cwiseAbs().sum());
  norm_b = std::max(
      norm_b, xk.cwiseAbs().sum() + yk.cwiseAbs().sum() + (returns_ == Returns::kCrs ? 0.0 : 1.0));
  const double rcond = 1.0 / (norm_b * binv_.cwiseAbs().colwise().sum().maxCoeff());
  if (!(rcond > 1e-13) || !binv_.allFinite()) return false;
  xb_ = binv_ * rhs_;
  return true;
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

RadialSolver::Solution RadialSolver::solve(const Eigen::Ref<const Eigen::VectorXd>& x_o,
                                           const Eigen::Ref<const Eigen::VectorXd>& y_o, int start,
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
  if (flagged_) {  // clear the flags of the last solve's basis (cheaper than all columns)
    for (int c : basis_) in_basis_[static_cast<std::size_t>(c)] = 0;
    flagged_ = false;
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
    if (static_cast<int>(basis_.size()) != rows_ ||
        !start_inverse(k, static_cast<int>(istar), static_cast<int>(rstar)))
      return sol;
    if ((xb_.array() < -kFeasTol).any()) return sol;
  }
  for (int c : basis_) in_basis_[static_cast<std::size_t>(c)] = 1;
  flagged_ = true;  // from here on, in_basis_ flags exactly the columns of basis_
  xb_ = xb_.cwiseMax(0.0);

  Vec pi(rows_), a(rows_), alpha(rows_);
  const int fixed_cols =
      1 + m_ + s_ + (returns_ == Returns::kNirs || returns_ == Returns::kNdrs ? 1 : 0);
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
        const double d = fixed_reduced_cost(f, pi);
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
          const Eigen::Index b0 = (block_start_ + done) % nc,
                             w = std::min<Eigen::Index>(kBlock, nc - b0);
          kernels_.price(acand_.data() + b0, acand_.outerStride(), w, pi.data(), dcand_.data());
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
        kernels_.price(aunk_.data(), aunk_.outerStride(), nu, pi.data(), dall_.data());
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
    // alpha = B^-1 a_q (a lambda column is read in place).
    const Eigen::Index ldb = binv_.outerStride();
    if (q >= 1 && q <= n_) {
      kernels_.price(binv_.data(), ldb, rows_, alam_.col(q - 1).data(), alpha.data());
    } else {
      column(q, a);
      kernels_.price(binv_.data(), ldb, rows_, a.data(), alpha.data());
    }
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
    // Product-form update of the inverse, column by column (contiguous): row p_out is divided by
    // the pivot, and alpha times that row is subtracted from the others.
    kernels_.pivot(binv_.data(), ldb, alpha.data(), p_out);
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
