#pragma once
/// \file logdet.hpp
/// \brief ln|I - rho W| and the traces of powers of W that ML spatial models need.
///
/// Methods (the one used is reported with every estimate):
///  - `eigen`: exact, from the eigenvalues of W (symmetric eigensolver on D^-1/2 S D^-1/2 when W
///    is a row-standardised symmetric matrix, general eigensolver otherwise; Ord 1975). O(n^3)
///    once per matrix; the default for n <= 2000.
///  - `sparse`: exact, from a sparse Cholesky (LDL', Eigen) factorisation of
///    I - rho D^-1/2 S D^-1/2, or, when W is not similar to a symmetric matrix, a sparse LU of
///    I - rho W by MUMPS through PETSc (spatial/logdet_petsc.hpp) (Pace and Barry 1997), with the
///    symbolic analysis done once. The default for n > 2000. (The distributed large-n path in
///    src/spatial/sar_distributed.hpp factorises with MUMPS across ranks.)
///  - `sparse_petsc`: exact, the MUMPS LU through PETSc for every W, symmetric or not (for a
///    symmetric W, `sparse`'s Eigen LDL' is about twice as fast: 26 vs 54 ms per factorisation at
///    n = 40,000; this method is there to run every large-n fit through PETSc).
///  - `chebyshev`: Pace and LeSage (2004) Chebyshev approximation of degree `chebyshev_order` on
///    the eigenvalue range [-1, 1] (row-standardised W), from traces of powers of W.
///  - `monte_carlo`: Barry and Pace (1999): -sum_{j<=m} rho^j tr(W^j) / j with Monte Carlo
///    traces (`mc_probes` Rademacher probes keyed by the given seed, exact tr(W) and tr(W^2)).
///
/// The derivatives tr(B) and tr(B^2), B = W (I - rho W)^-1, are exact from eigenvalues and
/// otherwise from central differences of the log-determinant (sparse) or its series.
///
/// \test tests/spatial/logdet_test.cpp: all methods against a dense determinant on the county
/// graph; traces against dense powers.
#include <Eigen/Dense>
#include <atomic>
#include <complex>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "spatial/weights.hpp"

namespace revest::spatial {

enum class LogDetMethod { kAuto, kEigen, kSparse, kSparsePetsc, kChebyshev, kMonteCarlo };
const char* to_string(LogDetMethod m);
LogDetMethod logdet_method_from_string(const std::string& s);

struct LogDetOptions {
  /// The method (file comment). Default kAuto: kEigen up to eigen_max_n units, kSparse above.
  LogDetMethod method = LogDetMethod::kAuto;
  /// Largest n for which `auto` picks `eigen`. Default 2000.
  std::size_t eigen_max_n = 2000;
  /// Degree of the Chebyshev approximation, in [2, 500]. Default 8.
  int chebyshev_order = 8;
  /// Monte Carlo: probes (>= 1) and series length (in [2, 500]). Defaults 32 and 60.
  int mc_probes = 32;
  int mc_terms = 60;
  /// Seed of the Monte Carlo probes (the approximation is a deterministic function of it).
  /// Default 0.
  std::uint64_t seed = 0;

  /// Throws revest::Error naming the field that is out of range.
  void validate() const;
  bool operator==(const LogDetOptions&) const = default;
};

class LogDet {
 public:
  LogDet(const Weights& w, const LogDetOptions& opt);
  ~LogDet();
  LogDet(const LogDet&) = delete;
  LogDet& operator=(const LogDet&) = delete;

  /// ln|I - rho W| (rho strictly inside interval()).
  double operator()(double rho) const;
  /// tr(W (I - rho W)^-1) = -d/drho ln|I - rho W|.
  double trace_b(double rho) const;
  /// tr((W (I - rho W)^-1)^2) = -d^2/drho^2 ln|I - rho W|.
  double trace_b2(double rho) const;
  /// Open interval of admissible rho: (1 / lambda_min, 1 / lambda_max) from the eigenvalues;
  /// otherwise (-1, 1) for row-standardised W and (-1, 1) / lambda_max (the Perron root, by power
  /// iteration) for unstandardised W.
  std::pair<double, double> interval() const { return interval_; }
  LogDetMethod method() const { return method_; }
  bool has_eigenvalues() const { return !eig_.empty(); }
  const std::vector<std::complex<double>>& eigenvalues() const { return eig_; }
  /// tr(W^j) / n for j = 0..m: exact from eigenvalues when there are some, else exact for j <= 2
  /// and Monte Carlo (mc_probes probes) above.
  std::vector<double> traces(int m) const;
  /// (1/n) 1' W^j 1 for j = 0..m (exact; 1 for every j when W is row-standardised).
  std::vector<double> row_sum_powers(int m) const;
  std::size_t size() const { return n_; }
  /// Number of log-determinant evaluations so far (factorisations for `sparse`).
  std::size_t evaluations() const { return evaluations_.load(); }

 private:
  struct Sparse;
  const Weights& w_;
  LogDetOptions opt_;
  LogDetMethod method_;
  std::size_t n_;
  std::vector<std::complex<double>> eig_;
  std::pair<double, double> interval_;
  std::vector<double> mc_traces_;  // tr(W^j)/n, j = 0..mc_terms (chebyshev / monte_carlo)
  std::vector<double> cheb_power_traces_;
  std::unique_ptr<Sparse> sparse_;
  mutable std::atomic<std::size_t> evaluations_{0};
  double series(double rho) const;
};

}  // namespace revest::spatial
