// The job analysis spatial_esda (src/analyses/spatial_esda.hpp): permutation tasks, summaries
// against direct calls, the task split, and the library's esda() with the job's key.
#include "analyses/spatial_esda.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/memory_replications.hpp"
#include "spatial_test_support.hpp"
#include "test_support.hpp"

namespace revest::analyses {
namespace {

using namespace spatial;

const char* kEsda =
    "variables = [\"dig_index\"]\n"
    "weights = [\"queen\"]\n"
    "cross_section = \"last_year\"\n"
    "permutations = 99\n"
    "permutations_per_task = 25\n"
    "alpha = 0.05\n";

TEST(SpatialEsdaAnalysisTest, PermutationTasksAndSummaries) {
  const auto c = test::analysis_config("spatial_esda", kEsda);
  const SpatialEsdaAnalysis a("cl", test::southwest(), test::generated_panel(),
                              SpatialEsdaOptions::from(io::OptionView(c)));
  ASSERT_EQ(a.num_tasks(), 4u);  // 25 + 25 + 25 + 24
  MemoryReplications rep = run_serial(a, 3);
  const auto tables = a.summarize(rep);
  const Table& g = tables[0];
  const auto& value = std::get<std::vector<double>>(g.columns[4].data);
  const auto& perms = std::get<std::vector<std::int64_t>>(g.columns[12].data);
  const auto& pperm = std::get<std::vector<double>>(g.columns.back().data);
  ASSERT_EQ(value.size(), 3u);  // Moran, Geary, G
  const auto& pv = test::generated_panel().var("dig_index");
  const std::size_t T = test::generated_panel().num_years();
  std::vector<double> x(512);
  for (std::size_t i = 0; i < 512; ++i) x[i] = pv[i * T + T - 1];
  const Weights w = test::southwest_weights("queen");
  EXPECT_EQ(value[0], moran(x, w, WeightsMoments(w)).value);
  EXPECT_EQ(perms[0], 99);
  // dig_index is a spatially autocorrelated field (SAR rho = 0.6): no permutation reaches it.
  EXPECT_DOUBLE_EQ(pperm[0], 1.0 / 100.0);
  const Table& lisa = tables[1];
  EXPECT_EQ(std::get<std::vector<std::string>>(lisa.columns[4].data).size(), 512u);
  // Same seed, same result.
  MemoryReplications rep2 = run_serial(a, 3);
  EXPECT_EQ(rep2.read_columns(1, 0, 1024), rep.read_columns(1, 0, 1024));
}

// Every permutation draws from its own stream (seed, analysis, permutation), so how the
// permutations are split into tasks changes nothing: counts, pseudo p-values, q-values and cluster
// labels are identical; the permutation mean and sd are sums taken in another grouping, equal to
// rounding. A different seed gives different permutations.
TEST(SpatialEsdaAnalysisTest, TaskSplitDoesNotChangeTheResults) {
  const std::string two = test::with_option(kEsda, "variables", "[\"dig_index\", \"industry_va\"]");
  auto tables = [&](const std::string& per_task, std::uint64_t seed) {
    const auto c = test::analysis_config("spatial_esda",
                                         test::with_option(two, "permutations_per_task", per_task));
    const SpatialEsdaAnalysis a("cl", test::southwest(), test::generated_panel(),
                                SpatialEsdaOptions::from(io::OptionView(c)));
    MemoryReplications rep = run_serial(a, seed);
    return std::make_pair(a.num_tasks(), a.summarize(rep));
  };
  const auto [t25, a] = tables("25", 3);
  const auto [t7, b] = tables("7", 3);
  const auto [t99, d] = tables("99", 4);
  EXPECT_EQ(t25, 4u);
  EXPECT_EQ(t7, 15u);
  EXPECT_EQ(t99, 1u);
  ASSERT_EQ(a.size(), b.size());
  bool seed_matters = false;
  for (std::size_t t = 0; t < a.size(); ++t) {
    ASSERT_EQ(a[t].columns.size(), b[t].columns.size());
    for (std::size_t c = 0; c < a[t].columns.size(); ++c) {
      const Column& x = a[t].columns[c];
      const Column& y = b[t].columns[c];
      if (const auto* xd = std::get_if<std::vector<double>>(&x.data)) {
        const auto& yd = std::get<std::vector<double>>(y.data);
        const auto& dd = std::get<std::vector<double>>(d[t].columns[c].data);
        ASSERT_EQ(xd->size(), yd.size());
        const bool sums = x.name.find("mean") != std::string::npos ||
                          x.name.find("sd") != std::string::npos ||
                          x.name.find("z_perm") != std::string::npos;
        for (std::size_t i = 0; i < xd->size(); ++i) {
          if (sums)
            EXPECT_NEAR((*xd)[i], yd[i], 1e-12 * std::max(1.0, std::abs(yd[i])))
                << a[t].name << "." << x.name;
          else
            EXPECT_EQ((*xd)[i], yd[i]) << a[t].name << "." << x.name << " row " << i;
          seed_matters |= !((*xd)[i] == dd[i]);
        }
      } else {
        EXPECT_EQ(x.data, y.data) << a[t].name << "." << x.name;
      }
    }
  }
  EXPECT_TRUE(seed_matters);
}

// The library's esda() with the job's key (seed, analysis name) and a combination's index as the
// stream part reproduces the job's permutation inference of that combination: the counts, hence
// the pseudo p-values, q-values and cluster labels, exactly; the permutation mean and sd up to the
// grouping of their sums into tasks.
TEST(SpatialEsdaAnalysisTest, LibraryEsdaWithTheJobsKeyReproducesTheJob) {
  const std::vector<std::string> vars = {"dig_index", "industry_va"};
  const auto c = test::analysis_config(
      "spatial_esda", test::with_option(kEsda, "variables", "[\"dig_index\", \"industry_va\"]"));
  const SpatialEsdaAnalysis a("cl", test::southwest(), test::generated_panel(),
                              SpatialEsdaOptions::from(io::OptionView(c)));
  MemoryReplications rep = run_serial(a, 3);
  const auto tables = a.summarize(rep);
  auto col = [&](const Table& t, const std::string& name) -> const Column& {
    for (const auto& cc : t.columns)
      if (cc.name == name) return cc;
    throw std::runtime_error("no column " + name);
  };
  auto same = [](double x, double y) { return (std::isnan(x) && std::isnan(y)) || x == y; };
  const auto& gp = std::get<std::vector<double>>(col(tables[0], "p_permutation").data);
  const auto& gm = std::get<std::vector<double>>(col(tables[0], "permutation_mean").data);
  const auto& lp = std::get<std::vector<double>>(col(tables[1], "p_permutation").data);
  const auto& lq = std::get<std::vector<double>>(col(tables[1], "q_fdr").data);
  const auto& lc = std::get<std::vector<std::string>>(col(tables[1], "cluster").data);
  const Weights w = test::southwest_weights("queen");
  EsdaOptions o;
  o.permutations = 99;
  const std::size_t T = test::generated_panel().num_years();
  // One weights matrix and one cross-section: combination k is variable k.
  for (std::size_t k = 0; k < vars.size(); ++k) {
    const auto& pv = test::generated_panel().var(vars[k]);
    std::vector<double> x(512);
    for (std::size_t i = 0; i < 512; ++i) x[i] = pv[i * T + T - 1];
    const EsdaResult r = esda(x, w, o, RngKey(3, "cl"), static_cast<std::uint32_t>(k));
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    for (std::size_t s = 0; s < 3; ++s) {
      EXPECT_TRUE(same(gp[k * 3 + s], r.permutation[s].p)) << vars[k] << " statistic " << s;
      if (!std::isnan(gm[k * 3 + s])) {
        EXPECT_NEAR(gm[k * 3 + s], r.permutation[s].mean,
                    1e-12 * std::max(1.0, std::abs(gm[k * 3 + s])));
      }
    }
    for (std::size_t i = 0; i < 512; ++i) {
      EXPECT_EQ(lp[k * 512 + i], r.lisa.p[i]) << vars[k] << " county " << i;
      EXPECT_EQ(lq[k * 512 + i], r.lisa.q[i]) << vars[k] << " county " << i;
      EXPECT_EQ(lc[k * 512 + i], r.lisa.cluster[i]) << vars[k] << " county " << i;
    }
  }
}

}  // namespace
}  // namespace revest::analyses
