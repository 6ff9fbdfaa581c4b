// ln|I - rho W| by every method against a dense LU determinant on the real county graphs.
#include <gtest/gtest.h>

#include <cmath>

#include "southwest.hpp"
#include "spatial/logdet.hpp"
#include "test_support.hpp"

namespace revest::spatial {
namespace {

double dense_logdet(const Weights& w, double rho) {
  Eigen::MatrixXd a = -rho * Eigen::MatrixXd(w.W);
  a.diagonal().array() += 1.0;
  return std::log(a.partialPivLu().determinant());  // positive inside the interval
}

TEST(LogDetTest, ExactMethodsAgreeWithDenseDeterminant) {
  for (const char* spec : {"queen", "knn k=6", "inverse_distance cutoff=200 islands=nearest"}) {
    const Weights w = test::southwest_weights(spec);
    LogDetOptions o;
    o.method = LogDetMethod::kEigen;
    const LogDet eig(w, o);
    o.method = LogDetMethod::kSparse;
    const LogDet sp(w, o);
    o.method = LogDetMethod::kSparsePetsc;  // MUMPS LU through PETSc, also for symmetric W
    const LogDet spp(w, o);
    EXPECT_EQ(spp.method(), LogDetMethod::kSparsePetsc);
    EXPECT_NEAR(eig.interval().second, 1.0, 1e-10) << spec;  // row-standardised: lambda_max = 1
    for (double rho : {-0.6, -0.2, 0.3, 0.7, 0.95}) {
      // log det of a 512 x 512 matrix: a few hundred, accurate to ~1e-12 relative.
      const double ref = dense_logdet(w, rho);
      EXPECT_NEAR(eig(rho), ref, 1e-9 * std::max(1.0, std::abs(ref))) << spec << " rho " << rho;
      EXPECT_NEAR(sp(rho), ref, 1e-9 * std::max(1.0, std::abs(ref))) << spec << " rho " << rho;
      EXPECT_NEAR(spp(rho), ref, 1e-9 * std::max(1.0, std::abs(ref))) << spec << " rho " << rho;
      // Derivatives: tr(B) and tr(B^2) from eigenvalues against finite differences of the dense one.
      const double h = 1e-4;
      const double d1 = -(dense_logdet(w, rho + h) - dense_logdet(w, rho - h)) / (2 * h);
      EXPECT_NEAR(eig.trace_b(rho), d1, 1e-5 * std::max(1.0, std::abs(d1)));
      EXPECT_NEAR(sp.trace_b(rho), d1, 1e-5 * std::max(1.0, std::abs(d1)));
      const double h2 = 1e-3;
      const double d2 =
          -(dense_logdet(w, rho + h2) - 2 * ref + dense_logdet(w, rho - h2)) / (h2 * h2);
      EXPECT_NEAR(eig.trace_b2(rho), d2, 1e-3 * std::max(1.0, std::abs(d2)));
      EXPECT_NEAR(sp.trace_b2(rho), eig.trace_b2(rho), 1e-3 * std::max(1.0, std::abs(d2)));
    }
  }
}

TEST(LogDetTest, ApproximationsAreCloseOverTheUsualRange) {
  const Weights w = test::southwest_weights("queen");
  LogDetOptions o;
  o.method = LogDetMethod::kEigen;
  const LogDet eig(w, o);
  o.method = LogDetMethod::kChebyshev;
  o.chebyshev_order = 12;
  const LogDet ch(w, o);
  o.method = LogDetMethod::kMonteCarlo;
  o.mc_probes = 64;
  o.mc_terms = 80;
  o.seed = 11;
  const LogDet mc(w, o);
  for (double rho : {-0.5, 0.0, 0.3, 0.6, 0.8}) {
    const double ref = eig(rho);
    // Pace and LeSage (2004) report Chebyshev errors far below 1 in ln-likelihood units for
    // rho <= 0.9; Barry and Pace (1999) Monte Carlo errors of a few units at n ~ 3000. Tolerances:
    // 0.5 (Chebyshev, degree 12) and 2.0 + 2 % (Monte Carlo, 64 probes).
    EXPECT_NEAR(ch(rho), ref, 0.5) << rho;
    EXPECT_NEAR(mc(rho), ref, 2.0 + 0.02 * std::abs(ref)) << rho;
  }
  // Traces: exact from eigenvalues against Monte Carlo.
  const auto te = eig.traces(6);
  LogDetOptions o2;
  o2.method = LogDetMethod::kSparse;
  o2.mc_probes = 200;
  const LogDet sp(w, o2);
  const auto tm = sp.traces(6);
  EXPECT_NEAR(te[1], 0.0, 1e-12);
  EXPECT_NEAR(tm[2], te[2], 1e-12);  // exact in both
  for (int j = 3; j <= 6; ++j) EXPECT_NEAR(tm[j], te[j], 0.01) << j;
}

}  // namespace
}  // namespace revest::spatial
