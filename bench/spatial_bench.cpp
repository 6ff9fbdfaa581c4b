// Spatial benchmarks (issue 5, section 7); bench/run.sh runs them beside R spatialreg / spdep on
// the same data (bench/spatialreg_bench.R) and writes bench/RESULTS.md.
//
//   bench_spatial sar DIR [--symmetric] [--repeat R]
//       SAR by ML (serial, exact log-determinant: eigenvalues up to 2,000 units, sparse above) on
//       DIR/data.csv (y, x1, x2) and DIR/neighbours.csv (from, to, 1-based), as written by
//       `revest sar-large --write-csv`; --symmetric uses the union of the links (as spdep's
//       make.sym.nb), so spatialreg's Cholesky method applies. Prints the fastest of R runs.
//   bench_spatial counties DIR [--repeat R]
//       SAR with standard errors and 1,000 simulated impact draws on the 512 counties (queen), on
//       the generated panel's last year; writes DIR/data.csv and DIR/neighbours.csv for R.
//   bench_spatial moran DIR PERMUTATIONS [--symmetric]
//       Moran's I of y with a permutation test.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "analyses/spatial_inputs.hpp"
#include "core/rng.hpp"
#include "io/csv.hpp"
#include "io/geography.hpp"
#include "spatial/esda.hpp"
#include "spatial/logdet.hpp"
#include "spatial/models.hpp"
#include "synth/generate.hpp"

using namespace revest;
using namespace revest::spatial;

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Data {
  Eigen::VectorXd y;
  Eigen::MatrixXd X;
  Weights w;
};

Data load(const std::string& dir, bool symmetric) {
  const io::CsvTable d = io::read_csv(dir + "/data.csv");
  const io::CsvTable e = io::read_csv(dir + "/neighbours.csv");
  const std::size_t n = d.rows.size();
  Data out;
  out.y.resize(static_cast<Eigen::Index>(n));
  out.X.resize(static_cast<Eigen::Index>(n), 3);
  for (std::size_t i = 0; i < n; ++i) {
    const auto r = static_cast<Eigen::Index>(i);
    out.y[r] = d.number(i, 0);
    out.X(r, 0) = 1;
    out.X(r, 1) = d.number(i, 1);
    out.X(r, 2) = d.number(i, 2);
  }
  std::vector<Triplet> t;
  for (std::size_t r = 0; r < e.rows.size(); ++r) {
    const auto a = static_cast<std::uint32_t>(e.integer(r, 0) - 1),
               b = static_cast<std::uint32_t>(e.integer(r, 1) - 1);
    t.push_back({a, b, 1.0});
    if (symmetric) t.push_back({b, a, 1.0});
  }
  WeightsSpec spec;
  spec.text = symmetric ? "knn (symmetrised)" : "knn";
  out.w = make_weights(n, std::move(t), spec, {});
  return out;
}

int repeat_of(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--repeat") return std::atoi(argv[i + 1]);
  return 5;
}

bool flag(int argc, char** argv, const char* f) {
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == f) return true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_spatial sar|counties|moran DIR ...\n");
    return 2;
  }
  const std::string cmd = argv[1], dir = argv[2];
  const int R = repeat_of(argc, argv);
  if (cmd == "sar") {
    const double t0 = now();
    const Data d = load(dir, flag(argc, argv, "--symmetric"));
    const double t_load = now() - t0;
    double best = 1e300;
    FitResult f;
    std::string method;
    std::size_t evals = 0;
    for (int r = 0; r < R; ++r) {
      const double t1 = now();
      const LogDet ld(d.w, {});  // part of the fit: eigenvalues or the sparse symbolic analysis
      ModelOptions mo;
      mo.impact_draws = 0;
      f = fit_model(Model::kSar, d.y, d.X, {"(Intercept)", "x1", "x2"}, true, d.w, ld, mo, nullptr);
      best = std::min(best, now() - t1);
      method = to_string(ld.method());
      evals = ld.evaluations();
    }
    std::printf(
        "revest SAR n=%zu logdet=%s (%zu evaluations) information=%s: %.4f s (fastest of %d; load "
        "%.2f s); rho %.6f se %.6f LL %.4f\n",
        d.w.size(), method.c_str(), evals, f.information.c_str(), best, R, t_load, f.rho, f.rho_se,
        f.loglik);
    return f.status.ok() ? 0 : 1;
  }
  if (cmd == "counties") {
    const io::Geography geo =
        io::load_geography(std::string(REVEST_SOURCE_DIR) + "/data/southwest");
    const synth::SyntheticData data = synth::generate(geo, synth::GenerateOptions{});
    const std::size_t N = geo.size(), T = data.panel.num_years();
    const auto& yv = data.panel.var("industry_va");
    const auto& x1 = data.panel.var("dig_index");
    const auto& x2 = data.panel.var("urbanisation");
    Eigen::VectorXd y(static_cast<Eigen::Index>(N));
    Eigen::MatrixXd X(static_cast<Eigen::Index>(N), 3);
    for (std::size_t i = 0; i < N; ++i) {
      const auto r = static_cast<Eigen::Index>(i);
      y[r] = yv[i * T + T - 1];
      X(r, 0) = 1;
      X(r, 1) = x1[i * T + T - 1];
      X(r, 2) = x2[i * T + T - 1];
    }
    const Weights w =
        build_weights(parse_weights_spec("queen", "bench"), analyses::spatial_units(geo));
    std::filesystem::create_directories(dir);
    {
      std::ofstream d(dir + "/data.csv"), nb(dir + "/neighbours.csv");
      d.precision(17);
      d << "y,x1,x2\n";
      for (Eigen::Index i = 0; i < y.size(); ++i)
        d << y[i] << ',' << X(i, 1) << ',' << X(i, 2) << '\n';
      nb << "from,to\n";
      for (int i = 0; i < w.W.outerSize(); ++i)
        for (SpMat::InnerIterator it(w.W, i); it; ++it) nb << i + 1 << ',' << it.col() + 1 << '\n';
    }
    double best = 1e300;
    FitResult f;
    for (int r = 0; r < R; ++r) {
      const double t1 = now();
      const LogDet ld(w, {});
      ModelOptions mo;
      mo.impact_draws = 1000;
      Rng rng(1, "bench/impacts", static_cast<std::uint32_t>(r));
      f = fit_model(Model::kSar, y, X, {"(Intercept)", "dig_index", "urbanisation"}, true, w, ld,
                    mo, &rng);
      best = std::min(best, now() - t1);
    }
    std::printf(
        "revest SAR counties n=%zu (eigen, expected information, 1000 impact draws): %.4f s "
        "(fastest of %d); rho %.6f se %.6f; total impact of dig_index %.4f (sd %.4f)\n",
        N, best, R, f.rho, f.rho_se, f.impacts.total[0], f.impacts.sd(0, 2));
    return f.status.ok() ? 0 : 1;
  }
  if (cmd == "moran") {
    const int P = argc > 3 ? std::atoi(argv[3]) : 999;
    const Data d = load(dir, flag(argc, argv, "--symmetric"));
    std::vector<double> x(d.y.data(), d.y.data() + d.y.size());
    double best = 1e300, p = 0, I = 0;
    for (int r = 0; r < R; ++r) {
      const double t1 = now();
      const WeightsMoments wm(d.w);
      const double obs = global_values(x, d.w, wm.S0).moran;
      Rng rng(1, "bench/moran", static_cast<std::uint32_t>(r));
      std::vector<double> v = x;
      double up = 0;
      for (int q = 0; q < P; ++q) {
        for (std::size_t i = v.size() - 1; i > 0; --i)
          std::swap(v[i], v[uniform_index(rng, i + 1)]);
        up += global_values(v, d.w, wm.S0).moran >= obs;
      }
      best = std::min(best, now() - t1);
      p = (up + 1) / (P + 1.0);
      I = obs;
    }
    std::printf("revest Moran n=%zu, %d permutations: %.4f s (fastest of %d); I %.6f p %.4f\n",
                d.w.size(), P, best, R, I, p);
    return 0;
  }
  std::fprintf(stderr, "unknown command %s\n", cmd.c_str());
  return 2;
}
