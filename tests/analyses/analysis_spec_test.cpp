// parse_analysis (src/analyses/analysis_spec.hpp): a job's [[analysis]] tables become the typed
// options of their kind, the same as each kind's own from(); an unknown kind is an error.
#include "analyses/analysis_spec.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <type_traits>
#include <variant>

#include "test_support.hpp"

namespace revest::analyses {
namespace {

const std::filesystem::path kSource = REVEST_SOURCE_DIR;

TEST(ParseAnalysis, EveryKindOfTheSmokeJob) {
  const io::Job job =
      io::load_job(kSource / "jobs" / "smoke.toml", kSource / "config" / "defaults.toml");
  std::set<std::string> kinds;
  for (const auto& cfg : job.analyses) {
    const AnalysisSpec spec = parse_analysis(cfg);
    EXPECT_EQ(spec.name, cfg.name);
    EXPECT_EQ(spec.kind(), cfg.kind);
    kinds.insert(spec.kind());
    // The options equal what the kind's own from() reads.
    std::visit(
        [&](const auto& o) {
          EXPECT_TRUE(o == std::decay_t<decltype(o)>::from(io::OptionView(cfg)));
        },
        spec.options);
  }
  EXPECT_EQ(kinds.size(), std::variant_size_v<AnalysisOptions>) << "the smoke job has every kind";
}

// parse_analyses: the smoke job's efficiency_factors analysis gets the job's seed and the options
// of its scores_from analysis; the others are parse_analysis's.
TEST(ParseAnalysis, ParseAnalysesResolvesTheSourceOfEfficiencyFactors) {
  const io::Job job =
      io::load_job(kSource / "jobs" / "smoke.toml", kSource / "config" / "defaults.toml");
  const std::vector<AnalysisSpec> specs = parse_analyses(job);
  ASSERT_EQ(specs.size(), job.analyses.size());
  bool found = false;
  for (std::size_t k = 0; k < specs.size(); ++k) {
    const auto* f = std::get_if<EfficiencyFactorsOptions>(&specs[k].options);
    if (!f) {
      EXPECT_TRUE(specs[k] == parse_analysis(job.analyses[k]));
      continue;
    }
    found = true;
    EXPECT_EQ(f->seed, job.seed);
    ASSERT_TRUE(f->source.has_value());
    for (const auto& s : specs) {
      if (s.name == f->scores_from) {
        EXPECT_TRUE(*f->source == std::get<ThreeStageDeaOptions>(s.options));
      }
    }
  }
  EXPECT_TRUE(found);
}

TEST(ParseAnalysis, ErrorsNameTheAnalysis) {
  io::AnalysisConfig cfg;
  cfg.kind = "nope";
  cfg.name = "mine";
  EXPECT_NE(
      test::error_of([&] { parse_analysis(cfg); }).find("analysis 'mine': unknown kind 'nope'"),
      std::string::npos);
}

}  // namespace
}  // namespace revest::analyses
