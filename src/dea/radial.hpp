#pragma once
/// \file radial.hpp
/// \brief A specialised solver for the radial (phase-1) input-oriented DEA score, for bootstraps.
///
/// The bootstrap solves millions of small envelopment LPs (m + s + 1 rows, n columns) that differ
/// only in the evaluated unit. RadialSolver is a dense revised primal simplex written for exactly
/// this LP:
///   theta* = min theta  s.t.  theta x_o - sum_j l_j x_j >= 0,  sum_j l_j y_j >= y_o,
///            sum_j l_j = 1 (VRS) | <= 1 (NIRS) | >= 1 (NDRS) | free (CRS),  l >= 0,
/// with the explicit inverse of the (m+s+1)^2 basis, updated at each pivot and refactorised by
/// Gauss-Jordan elimination every 16 pivots (the inner loops are compiled per row count, and for
/// AVX2 on x86-64 with identical results: see Kernels); an optimum is accepted only when the primal and dual residuals of the basis
/// are below 1e-10 (otherwise it refactorises and prices again). It starts from a feasible vertex built from a reference unit k with
/// y_k >= y_o (the evaluated unit's own pseudo-observation in the Simar-Wilson bootstrap, which
/// has the same outputs), prices a candidate list of columns in blocks of 64 (the units that were
/// peers in earlier solves: the frontier, found as it goes), and proves optimality by pricing every column of the
/// reference set against the final duals: the frontier restriction is therefore exact. That final
/// pricing skips the candidates (already priced) and the units known to be dominated: when the
/// evaluated point lies on the ray of the start unit k (as the observed unit and its pseudo-
/// observation do), unit k's own score follows from theta, and a score below 1 means unit k is
/// dominated by a combination of other units and can never lower theta in any later LP on this
/// reference set (Dula and others' "frontier first" reduction; exact). Dantzig's
/// rule, switching to Bland's rule after 50 pivots (no cycling). Any trouble (no start vertex,
/// iteration limit, a singular basis, a final check that fails) is reported as not ok and the
/// caller falls back to Clp (solve_dea), so results never depend on this solver's limits.
///
/// \test tests/dea/radial_test.cpp: equal to Clp (solve_dea, phase 1) to 1e-9 on random data sets
/// for CRS, VRS, NIRS and NDRS, on degenerate data (duplicates, ties, units on one ray), and on
/// Simar-Wilson pseudo-samples; the fallback cases.
#include <Eigen/Dense>
#include <cstddef>
#include <vector>

#include "dea/dea.hpp"

namespace revest::dea {

class RadialSolver {
 public:
  /// Largest number of LP rows (inputs + outputs + 1) handled; larger models are not ok (Clp).
  static constexpr int kMaxRows = 16;
  using Mat =
      Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor, kMaxRows, kMaxRows>;
  using Vec = Eigen::Matrix<double, Eigen::Dynamic, 1, Eigen::ColMajor, kMaxRows, 1>;
  /// The three inner loops, compiled for each row count 1..kMaxRows (and on x86-64 once more for
  /// AVX2, chosen at run time; separate multiplies and adds in a fixed order, so every copy gives
  /// the same bits):
  ///  - price: d[t] = sum_i A[t + i ld] pi[i], t < w (reduced costs of w row-per-unit columns,
  ///    and B^-1 a);
  ///  - pivot: the product-form update of the explicit inverse B (column-major, leading
  ///    dimension ld) for the pivot column alpha = B^-1 a_q in row p_out.
  struct Kernels {
    void (*price)(const double* A, Eigen::Index ld, Eigen::Index w, const double* pi, double* d);
    void (*pivot)(double* B, Eigen::Index ld, const double* alpha, int p_out);
    /// invert: Gauss-Jordan with partial pivoting of M (R x R, column-major, overwritten) into X;
    /// false if a pivot is not above tol.
    bool (*invert)(double* M, double* X, double tol);
  };
  static Kernels kernels(int rows, bool allow_avx2 = true);

  /// Reference set: rows are units (n x m inputs, n x s outputs), all positive (not checked
  /// here: the callers have validated the data). Input orientation only.
  RadialSolver(const Eigen::MatrixXd& x_ref, const Eigen::MatrixXd& y_ref, Returns returns);

  struct Solution {
    bool ok = false;  ///< false: use Clp for this unit
    double theta = 0.0;
    int pivots = 0;
  };
  /// Radial input score of (x_o, y_o). `start` is a reference unit with y_start >= y_o (VRS,
  /// NIRS; any unit for CRS), or -1 to search for one.
  /// `hint` (optional) lists reference units likely to be peers (e.g. the unit's peers in the DEA
  /// of the observed data): the simplex first works on those columns only, which saves pivots;
  /// the result does not depend on it.
  /// x_o, y_o: pass columns of column-major matrices (no copy).
  Solution solve(const Eigen::Ref<const Eigen::VectorXd>& x_o,
                 const Eigen::Ref<const Eigen::VectorXd>& y_o, int start = -1,
                 const std::vector<int>& hint = {});

  std::size_t candidates() const { return candidate_.size(); }
  std::size_t lps() const { return lps_; }
  /// Reference units found dominated so far (left out of the final pricing).
  std::size_t dominated() const {
    return static_cast<std::size_t>(n_) - unknown_.size() - candidate_.size();
  }

 private:
  // Column c of the standard-form matrix: 0 = theta, 1..n = lambda, then m input slacks, s output
  // surpluses, and (NIRS, NDRS) the convexity slack or surplus.
  void column(int c, Vec& a) const;
  bool refactor();
  bool start_inverse(int k, int istar, int rstar);
  bool accurate(const Vec& pi) const;
  void remember_basis();
  void drop_unknown(int j);
  void drop_if_dominated(int k, double theta);
  double reduced_cost(int c, const Vec& pi) const;
  // Reduced cost of the f-th fixed column (0: theta, then the slacks in column order).
  double fixed_reduced_cost(int f, const Vec& pi) const;

  Eigen::MatrixXd xt_, yt_;  // m x n, s x n (column per unit), scaled
  Eigen::VectorXd sx_, sy_;  // scale of each input / output (largest reference value)
  Eigen::MatrixXd alam_;     // rows x n: the lambda columns of the standard form
  // Negated, transposed lambda columns (one row per unit, so pricing is a column-major
  // matrix-vector product giving reduced costs directly):
  Eigen::MatrixXd acand_;  // capacity x rows: the candidates, in candidate_ order
  Eigen::MatrixXd aunk_;   // n x rows: units neither candidates nor known dominated
  std::vector<int> unknown_, unknown_pos_;  // their units; position of each unit (-1: gone)
  Eigen::VectorXd dcand_, dall_;
  Returns returns_;
  int n_, m_, s_, rows_, cols_;
  Vec xo_, yo_, rhs_;
  std::vector<int> basis_;
  std::vector<char> in_basis_, in_candidates_;
  bool flagged_ = false;  // in_basis_ flags the columns of basis_ (else no column is flagged)
  Kernels kernels_{};
  std::vector<int> candidate_;
  Mat binv_;
  Vec xb_;
  std::size_t lps_ = 0;
  Eigen::Index block_start_ = 0;
};

}  // namespace revest::dea
