#include "spatial/logdet.hpp"

#include <Eigen/Eigenvalues>
#include <Eigen/SparseCholesky>
#include <Eigen/SparseLU>
#include <cmath>
#include <mutex>
#include <numbers>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "spatial/logdet_petsc.hpp"

namespace revest::spatial {

const char* to_string(LogDetMethod m) {
  switch (m) {
    case LogDetMethod::kAuto:
      return "auto";
    case LogDetMethod::kEigen:
      return "eigen";
    case LogDetMethod::kSparse:
      return "sparse";
    case LogDetMethod::kSparsePetsc:
      return "sparse_petsc";
    case LogDetMethod::kChebyshev:
      return "chebyshev";
    case LogDetMethod::kMonteCarlo:
      return "monte_carlo";
  }
  return "?";
}

LogDetMethod logdet_method_from_string(const std::string& s) {
  for (auto m : {LogDetMethod::kAuto, LogDetMethod::kEigen, LogDetMethod::kSparse,
                 LogDetMethod::kSparsePetsc, LogDetMethod::kChebyshev, LogDetMethod::kMonteCarlo})
    if (s == to_string(m)) return m;
  REVEST_FAIL("unknown log-determinant method '"
              << s << "' (auto, eigen, sparse, sparse_petsc, chebyshev, monte_carlo)");
}

void LogDetOptions::validate() const {
  REVEST_REQUIRE(method == LogDetMethod::kAuto || method == LogDetMethod::kEigen ||
                     method == LogDetMethod::kSparse || method == LogDetMethod::kSparsePetsc ||
                     method == LogDetMethod::kChebyshev || method == LogDetMethod::kMonteCarlo,
                 "log-determinant options: unknown method");
  REVEST_REQUIRE(
      chebyshev_order >= 2 && chebyshev_order <= 500,
      "log-determinant options: chebyshev_order must be in [2, 500], got " << chebyshev_order);
  REVEST_REQUIRE(mc_probes >= 1,
                 "log-determinant options: mc_probes must be >= 1, got " << mc_probes);
  REVEST_REQUIRE(mc_terms >= 2 && mc_terms <= 500,
                 "log-determinant options: mc_terms must be in [2, 500], got " << mc_terms);
}

struct LogDet::Sparse {
  using ColMat = Eigen::SparseMatrix<double, Eigen::ColMajor, int>;
  bool symmetric = false;
  ColMat base;  // S~ (symmetric form) or W
  ColMat identity;
  Eigen::SimplicialLDLT<ColMat, Eigen::Lower, Eigen::AMDOrdering<int>> ldlt;
  std::unique_ptr<PetscLu> lu;
  std::mutex mu;
  double logdet(double rho) {
    std::lock_guard<std::mutex> lock(mu);
    if (symmetric) {
      const ColMat a = identity - rho * base;
      ldlt.factorize(a);
      REVEST_REQUIRE(ldlt.info() == Eigen::Success,
                     "sparse Cholesky of I - rho W failed at rho = " << rho);
      const auto d = ldlt.vectorD();
      double s = 0;
      for (Eigen::Index i = 0; i < d.size(); ++i) {
        if (!(d[i] > 0)) return -std::numeric_limits<double>::infinity();
        s += std::log(d[i]);
      }
      return s;
    }
    // PETSc is not thread-safe: one lock for every PetscLu of the process.
    static std::mutex petsc_mu;
    std::lock_guard<std::mutex> petsc_lock(petsc_mu);
    return lu->logdet(rho);
  }
};

LogDet::LogDet(const Weights& w, const LogDetOptions& opt)
    : w_(w), opt_(opt), method_(opt.method), n_(w.size()) {
  opt.validate();
  REVEST_REQUIRE(n_ >= 2, "weights '" << w.label << "': need at least 2 units");
  if (method_ == LogDetMethod::kAuto)
    method_ = n_ <= opt.eigen_max_n ? LogDetMethod::kEigen : LogDetMethod::kSparse;
  interval_ = rho_interval(w);
  if (method_ != LogDetMethod::kEigen && !w.row_standardised) {
    // The row-sum bound 1 / max row sum is far inside (1 / lambda_min, 1 / lambda_max) for
    // unstandardised weights: take the Perron root lambda_max (W >= 0) by power iteration on
    // (I + W) / 2, whose dominant eigenvalue (1 + lambda_max) / 2 is strictly dominant; then
    // rho in (-1 / lambda_max, 1 / lambda_max) (|lambda| <= lambda_max for every eigenvalue).
    Eigen::VectorXd v = Eigen::VectorXd::Ones(static_cast<Eigen::Index>(n_)), u;
    v.normalize();
    double mu = 0;
    for (int it = 0; it < 100000; ++it) {
      u = 0.5 * (v + w.W * v);
      const double next = u.norm();
      v = u / next;
      if (std::abs(next - mu) <= 1e-13 * next) {
        mu = next;
        break;
      }
      mu = next;
    }
    const double lmax = (2 * mu - 1) * (1 + 1e-9);  // a hair above: keeps I - rho W non-singular
    REVEST_REQUIRE(lmax > 0, "weights '" << w.label << "': no positive eigenvalue");
    interval_ = {-1.0 / lmax, 1.0 / lmax};
  }
  if (method_ == LogDetMethod::kEigen) {
    const int n = static_cast<int>(n_);
    if (w.symmetric_similar) {
      const Eigen::MatrixXd s = Eigen::MatrixXd(w.symmetric_form());
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(s, Eigen::EigenvaluesOnly);
      REVEST_REQUIRE(es.info() == Eigen::Success,
                     "eigenvalues of weights '" << w.label << "' failed");
      eig_.resize(n_);
      for (int i = 0; i < n; ++i) eig_[static_cast<std::size_t>(i)] = es.eigenvalues()[i];
    } else {
      const Eigen::MatrixXd dense = Eigen::MatrixXd(w.W);
      Eigen::EigenSolver<Eigen::MatrixXd> es(dense, false);
      REVEST_REQUIRE(es.info() == Eigen::Success,
                     "eigenvalues of weights '" << w.label << "' failed");
      eig_.assign(es.eigenvalues().data(), es.eigenvalues().data() + n);
    }
    double lo = 0, hi = 0;
    for (const auto& l : eig_) {
      // Only real eigenvalues bound the interval in which I - rho W stays non-singular with a
      // positive determinant (complex ones come in conjugate pairs with |1 - rho l|^2 > 0).
      if (std::abs(l.imag()) > 1e-10 * std::max(1.0, std::abs(l.real()))) continue;
      lo = std::min(lo, l.real());
      hi = std::max(hi, l.real());
    }
    REVEST_REQUIRE(lo < 0 && hi > 0, "weights '" << w.label << "': eigenvalues do not bracket 0");
    interval_ = {1.0 / lo, 1.0 / hi};
  } else if (method_ == LogDetMethod::kSparse || method_ == LogDetMethod::kSparsePetsc) {
    sparse_ = std::make_unique<Sparse>();
    sparse_->symmetric = method_ == LogDetMethod::kSparse && w.symmetric_similar;
    sparse_->base = sparse_->symmetric ? Sparse::ColMat(w.symmetric_form()) : Sparse::ColMat(w.W);
    sparse_->identity.resize(static_cast<int>(n_), static_cast<int>(n_));
    sparse_->identity.setIdentity();
    const Sparse::ColMat a = sparse_->identity - 0.5 * sparse_->base;
    if (sparse_->symmetric)
      sparse_->ldlt.analyzePattern(a);
    else
      sparse_->lu = std::make_unique<PetscLu>(w.W);
  } else {
    mc_traces_ = traces(method_ == LogDetMethod::kChebyshev ? opt.chebyshev_order : opt.mc_terms);
  }
}

LogDet::~LogDet() = default;

std::vector<double> LogDet::traces(int m) const {
  std::vector<double> t(static_cast<std::size_t>(m) + 1, 0.0);
  t[0] = 1.0;
  const double n = static_cast<double>(n_);
  if (!eig_.empty()) {
    for (int j = 1; j <= m; ++j) {
      std::complex<double> s = 0;
      for (const auto& l : eig_) s += std::pow(l, j);
      t[static_cast<std::size_t>(j)] = s.real() / n;
    }
    return t;
  }
  // Exact tr(W) and tr(W^2); Monte Carlo (Rademacher probes) for higher powers.
  const SpMat& W = w_.W;
  double tr1 = 0, tr2 = 0;
  const SpMat wt = SpMat(W.transpose());
  for (int i = 0; i < W.outerSize(); ++i) {
    for (SpMat::InnerIterator it(W, i); it; ++it) {
      if (it.col() == i) tr1 += it.value();
      tr2 += it.value() * wt.coeff(i, static_cast<int>(it.col()));
    }
  }
  if (m >= 1) t[1] = tr1 / n;
  if (m >= 2) t[2] = tr2 / n;
  if (m <= 2) return t;
  const int p = opt_.mc_probes;
  Eigen::VectorXd u(static_cast<int>(n_)), v(static_cast<int>(n_)), tmp(static_cast<int>(n_));
  for (int r = 0; r < p; ++r) {
    Rng rng(opt_.seed, "spatial/trace_probes", static_cast<std::uint32_t>(r));
    for (Eigen::Index i = 0; i < u.size(); ++i) u[i] = (rng() & 1u) ? 1.0 : -1.0;
    v = u;
    for (int j = 1; j <= m; ++j) {
      tmp = W * v;
      v.swap(tmp);
      if (j > 2) t[static_cast<std::size_t>(j)] += u.dot(v) / (n * p);
    }
  }
  return t;
}

std::vector<double> LogDet::row_sum_powers(int m) const {
  std::vector<double> q(static_cast<std::size_t>(m) + 1, 1.0);
  if (w_.row_standardised) return q;
  Eigen::VectorXd v = Eigen::VectorXd::Ones(static_cast<int>(n_)), tmp;
  for (int j = 1; j <= m; ++j) {
    tmp = w_.W * v;
    v.swap(tmp);
    q[static_cast<std::size_t>(j)] = v.sum() / static_cast<double>(n_);
  }
  return q;
}

double LogDet::series(double rho) const {
  const double n = static_cast<double>(n_);
  const double r = -1.0 / interval_.first;  // scale: eigenvalues of W / r lie in [-1, 1]
  if (method_ == LogDetMethod::kMonteCarlo) {
    double s = 0, p = 1;
    for (std::size_t j = 1; j < mc_traces_.size(); ++j) {
      p *= rho;
      s -= p * mc_traces_[j] / static_cast<double>(j);
    }
    return n * s;
  }
  // Chebyshev (Pace and LeSage 2004): ln(1 - a x) on x in [-1, 1], a = rho r, by its Chebyshev
  // interpolant of degree q; tr T_k(W / r) from the traces of powers.
  const int q = static_cast<int>(mc_traces_.size()) - 1;
  const double a = rho * r;
  std::vector<double> c(static_cast<std::size_t>(q) + 1, 0.0);
  for (int j = 0; j <= q; ++j) {
    const double x = std::cos(std::numbers::pi * (j + 0.5) / (q + 1));
    const double f = std::log(1.0 - a * x);
    double tkm2 = 0, tkm1 = 0;
    for (int k = 0; k <= q; ++k) {
      const double tk = k == 0 ? 1.0 : (k == 1 ? x : 2 * x * tkm1 - tkm2);
      c[static_cast<std::size_t>(k)] += 2.0 / (q + 1) * f * tk;
      tkm2 = tkm1;
      tkm1 = tk;
    }
  }
  // Monomial coefficients of T_k, and tr((W/r)^j)/n.
  std::vector<std::vector<double>> T(static_cast<std::size_t>(q) + 1);
  T[0] = {1.0};
  if (q >= 1) T[1] = {0.0, 1.0};
  for (int k = 2; k <= q; ++k) {
    T[k].assign(static_cast<std::size_t>(k) + 1, 0.0);
    for (std::size_t i = 0; i < T[k - 1].size(); ++i) T[k][i + 1] += 2 * T[k - 1][i];
    for (std::size_t i = 0; i < T[k - 2].size(); ++i) T[k][i] -= T[k - 2][i];
  }
  double s = -0.5 * c[0];
  for (int k = 0; k <= q; ++k) {
    double trk = 0;
    for (std::size_t i = 0; i < T[k].size(); ++i)
      trk += T[k][i] * mc_traces_[i] / std::pow(r, static_cast<double>(i));
    s += c[static_cast<std::size_t>(k)] * trk;
  }
  return n * s;
}

double LogDet::operator()(double rho) const {
  ++evaluations_;
  if (!eig_.empty()) {
    double s = 0;
    for (const auto& l : eig_) {
      if (l.imag() == 0.0) {
        s += std::log(1.0 - rho * l.real());
      } else {
        s += std::log(std::abs(1.0 - rho * l));  // conjugate pairs: the arguments cancel
      }
    }
    return s;
  }
  if (sparse_) return sparse_->logdet(rho);
  return series(rho);
}

double LogDet::trace_b(double rho) const {
  if (!eig_.empty()) {
    std::complex<double> s = 0;
    for (const auto& l : eig_) s += l / (1.0 - rho * l);
    return s.real();
  }
  // Central difference with a step that stays inside the admissible interval.
  const double h = std::min(1e-4, 0.25 * std::min(rho - interval_.first, interval_.second - rho));
  return -((*this)(rho + h) - (*this)(rho - h)) / (2 * h);
}

double LogDet::trace_b2(double rho) const {
  if (!eig_.empty()) {
    std::complex<double> s = 0;
    for (const auto& l : eig_) {
      const auto b = l / (1.0 - rho * l);
      s += b * b;
    }
    return s.real();
  }
  const double h = std::min(1e-3, 0.25 * std::min(rho - interval_.first, interval_.second - rho));
  return -((*this)(rho + h) - 2 * (*this)(rho) + (*this)(rho - h)) / (h * h);
}

}  // namespace revest::spatial
