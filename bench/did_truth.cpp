// Truth recovery of the DID estimators (issue 19, section 3) over many generated panels: the
// bundled generator (src/synth/generate.hpp; the 512 real counties, 2011-2022, pilots at random in
// cohorts 2016 / 2019 / 2020, effects by cohort growing with time, a spillover on untreated queen
// neighbours) with seeds 1 .. M; for each estimator of the overall effect on the pilot county-years
// and of the spillover: bias, RMSE, mean standard error and the coverage of its 95 % interval
// (analytic standard errors clustered by prefecture, as the job's default).
//   build/bench/bench_did_truth [M]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "analyses/did.hpp"
#include "analyses/spatial_inputs.hpp"
#include "io/geography.hpp"
#include "synth/generate.hpp"

using namespace revest;

namespace {

struct Tally {
  double err = 0, err2 = 0, se = 0;
  int cover = 0, n = 0;
  void add(double estimate, double se_, double truth) {
    err += estimate - truth;
    err2 += (estimate - truth) * (estimate - truth);
    se += se_;
    cover += std::abs(estimate - truth) <= 1.959964 * se_;
    ++n;
  }
};

}  // namespace

int main(int argc, char** argv) {
  const int M = argc > 1 ? std::atoi(argv[1]) : 200;
  const io::Geography geo = io::load_geography(REVEST_SOURCE_DIR "/data/southwest");
  const std::vector<int> cl = analyses::cluster_ids(geo, analyses::ClusterLevel::kPrefecture);
  const Eigen::SparseMatrix<double> W =
      spatial::build_weights(spatial::parse_weights_spec("queen", "bench"),
                             analyses::spatial_units(geo))
          .W;
  analyses::DidOptions o;
  o.outcome = "industry_va";
  std::map<std::string, Tally> att, spill;
  double truth_sum = 0;
  for (int m = 1; m <= M; ++m) {
    synth::GenerateOptions g;
    g.seed = static_cast<std::uint64_t>(m);
    const synth::SyntheticData d = synth::generate(geo, g);
    const double truth = d.parameter("did_att_overall");
    truth_sum += truth;
    const did::StaggeredPanel p = analyses::staggered_panel(d.panel, geo, o, "bench");
    const did::TwfeResult tw = did::fit_twfe(did::twfe_design(p, false, {}, cl));
    att["twfe"].add(tw.coefficients[0].estimate, tw.coefficients[0].se, truth);
    const did::CsResult cs = did::callaway_santanna(p);
    Eigen::VectorXd psi = Eigen::VectorXd::Zero(*std::max_element(cl.begin(), cl.end()) + 1);
    for (Eigen::Index i = 0; i < p.y.rows(); ++i)
      psi[cl[static_cast<std::size_t>(i)]] += cs.simple.influence(i, 0);
    att["cs (never treated)"].add(cs.simple.overall_att, psi.norm(), truth);
    did::CsOptions nyt;
    nyt.comparison = did::ComparisonGroup::kNotYetTreated;
    const did::CsResult cs2 = did::callaway_santanna(p, nyt);
    psi.setZero();
    for (Eigen::Index i = 0; i < p.y.rows(); ++i)
      psi[cl[static_cast<std::size_t>(i)]] += cs2.simple.influence(i, 0);
    att["cs (not yet treated)"].add(cs2.simple.overall_att, psi.norm(), truth);
    const did::TwoStageResult ts = did::two_stage_did(p, nullptr, {.spillover = false}, cl);
    att["two_stage"].add(ts.dynamic.overall_att, ts.dynamic.overall_se, truth);
    const did::TwoStageResult sp = did::two_stage_did(p, &W, {}, cl);
    att["two_stage + queen spillover"].add(sp.dynamic.overall_att, sp.dynamic.overall_se, truth);
    spill["two_stage + queen spillover"].add(sp.spillover, sp.spillover_se,
                                             d.parameter("did_spillover"));
    const did::SpilloverResult st = did::spillover_did(p, W, {}, cl);
    att["twfe + queen spillover (at mean exposure)"].add(st.direct_at_mean_exposure,
                                                         st.direct_at_mean_exposure_se, truth);
    spill["twfe + queen spillover"].add(st.fit.coefficients[1].estimate, st.fit.coefficients[1].se,
                                        d.parameter("did_spillover"));
    if (m % 20 == 0) std::fprintf(stderr, "%d panels\n", m);
  }
  std::printf(
      "%d generated panels (seeds 1..%d), mean true overall ATT %.4f, true spillover %.2f\n", M, M,
      truth_sum / M, 0.10);
  std::printf(
      "| estimand | estimator | bias | RMSE | mean s.e. | 95%% coverage "
      "|\n|---|---|---|---|---|---|\n");
  auto row = [&](const char* what, const std::string& name, const Tally& t) {
    std::printf("| %s | %s | %+.4f | %.4f | %.4f | %.3f |\n", what, name.c_str(), t.err / t.n,
                std::sqrt(t.err2 / t.n), t.se / t.n, static_cast<double>(t.cover) / t.n);
  };
  for (const auto& [k, t] : att) row("overall ATT", k, t);
  for (const auto& [k, t] : spill) row("spillover at full exposure", k, t);
  return 0;
}
