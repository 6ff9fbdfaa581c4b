// Study (not a test): how far below the exact value the LSM exercise rule leaves a project, per
// regression basis, over projects that span the bundled data/synthetic/projects.csv (issue 4).
//   build/bench/bench_realopt_rule
// Projects: the analysis's default project (defer, stage, expand, abandon; 5 states), V0 = 100,
// r = 0.03, 10 years x 4 decision dates, on GBM with sigma in {0.17, 0.29, 0.5} (the data's
// minimum, median and maximum), I / V0 in {0.7, 1.05, 1.6} and delta in {0.045, 0.065}: 18
// projects. Exact value: the Bermudan value on the same dates from a binomial lattice
// (realopt/lattice.hpp, 100 steps between dates; checked against Longstaff-Schwartz's FD values
// in tests/realopt/lattice_test.cpp). The LSM value is a low estimate: its shortfall is the rule's
// suboptimality (plus Monte Carlo noise, which averages out over the batches).
// Two settings: the analysis's defaults, 10 batches of 10,000 regression + 10,000 pricing paths
// (the mean over batches, as the `valuation` table reports it); and one batch of 100,000 + 100,000.
// Prints a markdown table: mean and worst relative error, and seconds per valuation.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "analyses/real_options.hpp"
#include "core/rng.hpp"
#include "realopt/investment.hpp"
#include "realopt/lattice.hpp"
#include "realopt/lsm.hpp"

using namespace revest::realopt;

int main() {
  struct Candidate {
    const char* name;
    Basis basis;
    int order;
  };
  const std::vector<Candidate> cands = {{"spline", Basis::kSpline, 5},
                                        {"monomial", Basis::kMonomial, 8},
                                        {"monomial", Basis::kMonomial, 12},
                                        {"log_monomial", Basis::kLogMonomial, 8},
                                        {"log_monomial", Basis::kLogMonomial, 12}};
  struct Setting {
    std::size_t paths;
    int batches;
  };
  const std::vector<Setting> settings = {{10000, 10}, {100000, 1}};
  const revest::analyses::RealOptionsOptions ro;
  struct Case {
    Process p;
    Project pr;
    double exact;
  };
  std::vector<Case> cases;
  for (double sigma : {0.17, 0.29, 0.5})
    for (double k : {0.7, 1.05, 1.6})
      for (double delta : {0.045, 0.065}) {
        Process p;
        p.v0 = 100;
        p.r = 0.03;
        p.delta = delta;
        p.sigma = sigma;
        const Project pr = make_project(ro.project, 100 * k, 10);
        cases.push_back({p, pr, lattice_value(p, pr, 10, 40, 100)});
      }
  std::printf(
      "| basis | order | regression + pricing paths per batch | batches | mean (LSM - exact) / "
      "exact | worst | seconds per valuation |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const Setting& st : settings)
    for (const Candidate& c : cands) {
      double sum = 0.0, worst = 0.0, sec = 0.0;
      for (std::size_t i = 0; i < cases.size(); ++i) {
        LsmOptions o;
        o.horizon = 10;
        o.dates_per_year = 4;
        o.basis = c.basis;
        o.order = c.order;
        o.regression_paths = o.pricing_paths = st.paths;
        o.boundary = false;
        double mean = 0.0;
        const auto t0 = std::chrono::steady_clock::now();
        for (int b = 0; b < st.batches; ++b) {
          revest::Rng rng(7, "bench/rule",
                          static_cast<std::uint32_t>(i * 100 + static_cast<std::size_t>(b)));
          mean += value_lsm(cases[i].p, cases[i].pr, o, rng).value / st.batches;
        }
        sec += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() /
               st.batches;
        const double rel = mean / cases[i].exact - 1.0;
        sum += rel;
        worst = std::min(worst, rel);
      }
      const double n = static_cast<double>(cases.size());
      std::printf("| %s | %d | %zu + %zu | %d | %+.2f %% | %+.2f %% | %.3f |\n", c.name, c.order,
                  st.paths, st.paths, st.batches, 100 * sum / n, 100 * worst, sec / n);
      std::fflush(stdout);
    }
}
