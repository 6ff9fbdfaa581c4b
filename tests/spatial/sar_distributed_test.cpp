// Distributed SAR on PETSc / MUMPS (src/spatial/sar_distributed.hpp), run at np = 1 and np > 1.
// Known truth: y generated from SAR(rho = 0.5) with beta = (1, 2, -1), sigma^2 = 1 on a 6-nearest-
// neighbour graph of n = 40,000 random points (issue 5's township scale). Checks: the estimates recover the truth (within 4
// standard errors), and agree with the serial exact sparse path (spatial::fit_model with the
// sparse-LU log-determinant, observed information) on the same data: rho within 2e-7 (both stop
// Brent at ~1.5e-8 relative), beta within 1e-5 relative, standard errors within 1e-3 relative
// (both take tr(B^2) by central differences of the log-determinant).
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>

#include "core/rng.hpp"
#include "spatial/logdet.hpp"
#include "spatial/models.hpp"
#include "spatial/sar_distributed.hpp"

namespace revest::spatial {
namespace {

Eigen::VectorXd gather(const Eigen::VectorXd& local, std::size_t n) {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::vector<int> counts(static_cast<std::size_t>(size)), displs(static_cast<std::size_t>(size));
  const int mine = static_cast<int>(local.size());
  MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
  for (int r = 1; r < size; ++r)
    displs[static_cast<std::size_t>(r)] =
        displs[static_cast<std::size_t>(r) - 1] + counts[static_cast<std::size_t>(r) - 1];
  Eigen::VectorXd out(static_cast<Eigen::Index>(n));
  MPI_Allgatherv(local.data(), mine, MPI_DOUBLE, out.data(), counts.data(), displs.data(),
                 MPI_DOUBLE, MPI_COMM_WORLD);
  return out;
}

TEST(SarDistributed, RecoversTruthAndAgreesWithTheSerialSparsePath) {
  const std::size_t n = 40000;
  const std::uint64_t seed = 17;
  const LargeSarProblem p = make_large_sar_problem(MPI_COMM_WORLD, n, 6, 0.5, seed);
  const LargeSarResult r = fit_sar_distributed(MPI_COMM_WORLD, p);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_NEAR(r.rho, 0.5, 4 * r.rho_se);
  for (Eigen::Index j = 0; j < 3; ++j)
    EXPECT_NEAR(r.beta[j], p.true_beta[j], 4 * r.beta_se[j]) << j;
  EXPECT_NEAR(r.sigma2, 1.0, 0.05);  // sd of sigma2_hat ~ sqrt(2 / n) = 0.01
  EXPECT_GT(r.logdet_evaluations, 5);
  // Serial exact sparse path on the gathered data.
  const Eigen::VectorXd y = gather(p.y, n);
  Eigen::MatrixXd X(static_cast<Eigen::Index>(n), 3);
  for (Eigen::Index j = 0; j < 3; ++j) X.col(j) = gather(Eigen::VectorXd(p.X.col(j)), n);
  std::vector<double> px(n), py(n);
  for (std::size_t i = 0; i < n; ++i) {
    Rng g(seed, "large_sar/points", static_cast<std::uint32_t>(i));
    px[i] = g.uniform01();
    py[i] = g.uniform01();
  }
  const spatial::Weights w = spatial::knn_plane(px, py, 6);
  spatial::LogDetOptions lo;
  lo.method = spatial::LogDetMethod::kSparse;
  const spatial::LogDet ld(w, lo);
  spatial::ModelOptions mo;
  mo.impact_draws = 0;
  const spatial::FitResult f = spatial::fit_model(spatial::Model::kSar, y, X, {"const", "x1", "x2"},
                                                  true, w, ld, mo, nullptr);
  ASSERT_TRUE(f.status.ok()) << f.status.to_string();
  EXPECT_EQ(f.information, "observed");
  EXPECT_EQ(f.logdet_method, "sparse");
  EXPECT_NEAR(r.rho, f.rho, 2e-7);
  for (Eigen::Index j = 0; j < 3; ++j) {
    EXPECT_NEAR(r.beta[j], f.coef[j], 1e-5 * std::abs(f.coef[j])) << j;
    EXPECT_NEAR(r.beta_se[j], f.se[j], 1e-3 * f.se[j]) << j;
  }
  EXPECT_NEAR(r.rho_se, f.rho_se, 1e-3 * f.rho_se);
  EXPECT_NEAR(r.loglik, f.loglik, 1e-6 * std::abs(f.loglik));
}

}  // namespace
}  // namespace revest::spatial
