#include "io/job.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using revest::io::AnalysisConfig;
using revest::io::Job;
using revest::io::job_from_effective;
using revest::io::load_job;
using revest::io::OptionView;
using revest::io::Schedule;
using revest::test::error_of;
using revest::test::read_file;
using testing::AllOf;
using testing::HasSubstr;
using testing::Not;

namespace {

const fs::path kSource = REVEST_SOURCE_DIR;
const fs::path kDefaults = kSource / "config" / "defaults.toml";
const fs::path kSmoke = kSource / "jobs" / "smoke.toml";
const fs::path kSouthwest = kSource / "jobs" / "southwest.toml";

/// A fresh directory per test, REVEST_BINARY_DIR/test-output/io/job/<Suite>.<Test>, with an empty
/// jobs/ subdirectory.
fs::path test_dir() {
  const fs::path d = revest::test::test_dir("io/job");
  fs::create_directories(d / "jobs");
  return d;
}

/// Writes `text` as DIR/jobs/job.toml (a fresh DIR per test) and returns the path.
fs::path write_job(const std::string& text) {
  return revest::test::write_file(test_dir() / "jobs", "job.toml", text);
}

/// Loads `text` as a job and returns the error, which must contain "JOBFILE:LINE:".
std::string job_error_at(const std::string& text, int line) {
  const fs::path p = write_job(text);
  const std::string msg = error_of([&] { load_job(p, kDefaults); });
  EXPECT_THAT(msg, HasSubstr(p.string() + ":" + std::to_string(line) + ":"));
  return msg;
}

/// 1-based line of the first line of `file` that starts with `prefix` after the line starting
/// with `after` (0 if none).
int line_of(const fs::path& file, const std::string& prefix, const std::string& after = "") {
  std::istringstream in(read_file(file));
  std::string l;
  int n = 0;
  bool armed = after.empty();
  while (std::getline(in, l)) {
    ++n;
    if (!armed) {
      armed = l.rfind(after, 0) == 0;
      continue;
    }
    if (l.rfind(prefix, 0) == 0) return n;
  }
  return 0;
}

const AnalysisConfig* find_analysis(const Job& job, const std::string& name) {
  for (const auto& a : job.analyses)
    if (a.name == name) return &a;
  return nullptr;
}

/// Checks the effective analyses of `job` against its file and the defaults: every default key is
/// present, a key set in the job has the job's value (an integer converted to float where the
/// default is a float), any other key the default value.
void expect_options_are_job_over_defaults(const Job& job, const fs::path& job_file) {
  const toml::table raw = toml::parse_file(job_file.string());
  const toml::table defaults = toml::parse_file(kDefaults.string());
  const toml::array* arr = raw["analysis"].as_array();
  ASSERT_NE(arr, nullptr);
  ASSERT_EQ(job.analyses.size(), arr->size());
  for (std::size_t k = 0; k < arr->size(); ++k) {
    const toml::table& at = *(*arr)[k].as_table();
    const std::string kind = at["kind"].value_or(std::string());
    const AnalysisConfig& a = job.analyses[k];  // file order is kept
    EXPECT_EQ(a.kind, kind);
    EXPECT_EQ(a.name, at["name"].value_or(kind));
    const toml::table* def = defaults["analysis"][kind].as_table();
    ASSERT_NE(def, nullptr) << kind;
    toml::table expected = *def;
    for (auto&& [key, v] : at) {
      if (key.str() == "kind" || key.str() == "name") continue;
      if (def->get(key.str())->is_floating_point() && v.is_integer())
        expected.insert_or_assign(key.str(), static_cast<double>(v.as_integer()->get()));
      else
        expected.insert_or_assign(key.str(), v);
    }
    EXPECT_EQ(a.options, expected) << "analysis " << a.name << "\noptions:\n"
                                   << a.options << "\nexpected:\n"
                                   << expected;
  }
}

/// effective_toml() -> job_from_effective() -> effective_toml() is the identity, and the rebuilt
/// job has the same values (doubles bit for bit).
void expect_effective_round_trip(const Job& job) {
  const std::string eff = job.effective_toml();
  const Job back = job_from_effective(eff, job.text);
  EXPECT_EQ(back.effective_toml(), eff);
  EXPECT_EQ(back.text, job.text);
  EXPECT_EQ(back.name, job.name);
  EXPECT_EQ(back.seed, job.seed);
  EXPECT_EQ(back.output, job.output);
  EXPECT_EQ(back.geography, job.geography);
  EXPECT_EQ(back.panel, job.panel);
  EXPECT_EQ(back.indicators, job.indicators);
  EXPECT_EQ(back.first_year, job.first_year);
  EXPECT_EQ(back.last_year, job.last_year);
  EXPECT_EQ(back.schedule, job.schedule);
  EXPECT_EQ(std::bit_cast<std::uint64_t>(back.progress_seconds),
            std::bit_cast<std::uint64_t>(job.progress_seconds));
  EXPECT_EQ(back.chunk_tasks, job.chunk_tasks);
  ASSERT_EQ(back.analyses.size(), job.analyses.size());
  for (std::size_t a = 0; a < job.analyses.size(); ++a) {
    EXPECT_EQ(back.analyses[a].kind, job.analyses[a].kind);
    EXPECT_EQ(back.analyses[a].name, job.analyses[a].name);
    EXPECT_EQ(back.analyses[a].options, job.analyses[a].options) << job.analyses[a].name;
  }
  // Once more: a fixed point.
  EXPECT_EQ(job_from_effective(back.effective_toml(), job.text).effective_toml(), eff);
}

const char* kMinimal = "name = \"t\"\nseed = 1\n";

}  // namespace

// ---- the bundled jobs ----------------------------------------------------------------------

TEST(BundledJobs, SmokeEffectiveValues) {
  const Job job = load_job(kSmoke, kDefaults);
  EXPECT_EQ(job.file, kSmoke.string());
  EXPECT_EQ(job.text, read_file(kSmoke));
  EXPECT_EQ(job.name, "smoke");
  EXPECT_EQ(job.seed, 7u);
  EXPECT_EQ(job.output, (kSource / "results" / "smoke.h5").lexically_normal());
  // [data] is not set in smoke.toml except years: paths come from the defaults, resolved against
  // config/.
  EXPECT_EQ(job.geography, (kSource / "data" / "southwest").lexically_normal());
  EXPECT_EQ(job.panel, (kSource / "data" / "synthetic" / "panel.csv").lexically_normal());
  EXPECT_EQ(job.indicators, (kSource / "config" / "indicators.toml").lexically_normal());
  EXPECT_EQ(job.first_year, 2018);
  EXPECT_EQ(job.last_year, 2022);
  EXPECT_EQ(job.schedule, Schedule::kStatic);
  EXPECT_EQ(job.progress_seconds, 10.0);  // default
  EXPECT_EQ(job.chunk_tasks, 8u);
  const AnalysisConfig* a = find_analysis(job, "digital_index");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->kind, "entropy_index");
  const OptionView opt(*a);
  EXPECT_EQ(opt.get_int("replications"), 40);                                     // from the job
  EXPECT_EQ(opt.get_choice("weight_scope", {"per_year", "pooled"}), "per_year");  // defaults
  EXPECT_EQ(opt.get_double("confidence"), 0.95);
  EXPECT_EQ(opt.get_double("shift"), 0.0);
  EXPECT_TRUE(opt.get_strings("indicators").empty());
  // Where each option came from: the job line, or the defaults line marked "(default)".
  EXPECT_THAT(
      a->where.at("replications"),
      HasSubstr(kSmoke.string() + ":" +
                std::to_string(line_of(kSmoke, "replications", "name = \"digital_index\"")) + ":"));
  EXPECT_THAT(
      a->where.at("weight_scope"),
      AllOf(
          HasSubstr(kDefaults.string() + ":" +
                    std::to_string(line_of(kDefaults, "weight_scope", "[analysis.entropy_index]")) +
                    ":"),
          HasSubstr("(default)")));
  expect_options_are_job_over_defaults(job, kSmoke);
}

TEST(BundledJobs, SouthwestEffectiveValues) {
  const Job job = load_job(kSouthwest, kDefaults);
  EXPECT_EQ(job.name, "southwest");
  EXPECT_EQ(job.seed, 20261128u);
  EXPECT_EQ(job.output, (kSource / "results" / "southwest.h5").lexically_normal());
  EXPECT_EQ(job.geography, (kSource / "data" / "southwest").lexically_normal());
  EXPECT_EQ(job.indicators, (kSource / "config" / "indicators.toml").lexically_normal());
  EXPECT_EQ(job.first_year, 2011);
  EXPECT_EQ(job.last_year, 2022);
  EXPECT_EQ(job.schedule, Schedule::kStatic);
  EXPECT_EQ(job.chunk_tasks, 0u);  // default: automatic
  const AnalysisConfig* a = find_analysis(job, "digital_index");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(OptionView(*a).get_int("replications"), 2000);
  expect_options_are_job_over_defaults(job, kSouthwest);
}

TEST(BundledJobs, EffectiveRoundTrip) {
  expect_effective_round_trip(load_job(kSmoke, kDefaults));
  expect_effective_round_trip(load_job(kSouthwest, kDefaults));
}

TEST(BundledJobs, LoadingIsDeterministic) {
  EXPECT_EQ(load_job(kSmoke, kDefaults).effective_toml(),
            load_job(kSmoke, kDefaults).effective_toml());
}

// The effective configuration is documented as "every default filled in": every top-level key
// of the defaults (e.g. `description`, "copied into the archive") is in it.
TEST(BundledJobs, EffectiveConfigurationHasEveryTopLevelDefault) {
  const Job job = load_job(kSouthwest, kDefaults);
  const toml::table eff = toml::parse(job.effective_toml());
  const toml::table defaults = toml::parse_file(kDefaults.string());
  for (auto&& [k, v] : defaults)
    EXPECT_TRUE(eff.contains(k.str())) << "effective configuration lacks '" << k.str() << "'";
  EXPECT_THAT(eff["description"].value_or(std::string()), HasSubstr("Southwest China"));
}

// ---- paths ---------------------------------------------------------------------------------

TEST(Job, PathsResolvedRelativeToTheJobFile) {
  const fs::path p = write_job(std::string(kMinimal) +
                               "output = \"out/{name}-final.h5\"\n"
                               "[data]\n"
                               "panel = \"../panels/p.csv\"\n"
                               "geography = \"/abs/geo\"\n");
  const fs::path dir = p.parent_path();  // DIR/jobs
  const Job job = load_job(p, kDefaults);
  EXPECT_EQ(job.output, (dir / "out" / "t-final.h5").lexically_normal());
  EXPECT_EQ(job.panel, (dir.parent_path() / "panels" / "p.csv").lexically_normal());
  EXPECT_EQ(job.geography, fs::path("/abs/geo"));
  // Not in the job: from the defaults, relative to config/.
  EXPECT_EQ(job.indicators, (kSource / "config" / "indicators.toml").lexically_normal());
}

TEST(Job, DefaultOutputUsesTheJobName) {
  const Job job = load_job(write_job("name = \"my-run.2\"\nseed = 0\n"), kDefaults);
  EXPECT_EQ(job.seed, 0u);  // 0 is an ordinary seed
  EXPECT_EQ(job.output, (kSource / "results" / "my-run.2.h5").lexically_normal());
}

TEST(Job, MinimalJobGetsEveryDefault) {
  const Job job = load_job(write_job(kMinimal), kDefaults);
  EXPECT_EQ(job.first_year, 2011);
  EXPECT_EQ(job.last_year, 2022);
  EXPECT_EQ(job.schedule, Schedule::kStatic);
  EXPECT_EQ(job.progress_seconds, 10.0);
  EXPECT_EQ(job.chunk_tasks, 0u);
  EXPECT_TRUE(job.analyses.empty());
  expect_effective_round_trip(job);
}

// [runtime] check_free_space: on by default, round-trips, and is no part of the fingerprint (it
// changes no result, and archives written before it existed stay resumable).
TEST(Job, CheckFreeSpaceIsNotPartOfTheFingerprint) {
  const Job on = load_job(write_job(kMinimal), kDefaults);
  EXPECT_TRUE(on.check_free_space);
  const Job off = load_job(
      write_job(std::string(kMinimal) + "[runtime]\ncheck_free_space = false\n"), kDefaults);
  EXPECT_FALSE(off.check_free_space);
  EXPECT_FALSE(job_from_effective(off.effective_toml(), off.text).check_free_space);
  expect_effective_round_trip(off);
  EXPECT_EQ(on.fingerprint_toml(), off.fingerprint_toml());
  EXPECT_THAT(on.fingerprint_toml(), Not(HasSubstr("check_free_space")));
  EXPECT_THAT(error_of([&] {
                load_job(write_job(std::string(kMinimal) + "[runtime]\ncheck_free_space = 1\n"),
                         kDefaults);
              }),
              HasSubstr("check_free_space"));
}

// ---- types -----------------------------------------------------------------------------------

TEST(Job, IntegerAcceptedWhereAFloatIsExpected) {
  const Job job = load_job(write_job(std::string(kMinimal) + "[runtime]\n"
                                                             "progress_seconds = 5\n"
                                                             "schedule = \"dynamic\"\n"
                                                             "[[analysis]]\n"
                                                             "kind = \"entropy_index\"\n"
                                                             "shift = 0\n"
                                                             "confidence = 1\n"),
                           kDefaults);
  EXPECT_EQ(job.progress_seconds, 5.0);
  EXPECT_EQ(job.schedule, Schedule::kDynamic);
  ASSERT_EQ(job.analyses.size(), 1u);
  EXPECT_EQ(job.analyses[0].name, "entropy_index");  // default name = kind
  EXPECT_TRUE(job.analyses[0].options["shift"].is_floating_point());
  EXPECT_TRUE(job.analyses[0].options["confidence"].is_floating_point());
  EXPECT_EQ(OptionView(job.analyses[0]).get_double("confidence"), 1.0);
  // The effective configuration keeps the default's type.
  const toml::table eff = toml::parse(job.effective_toml());
  EXPECT_TRUE(eff["runtime"]["progress_seconds"].is_floating_point());
  expect_effective_round_trip(job);
}

TEST(Job, EffectiveRoundTripOfAwkwardValues) {
  const Job job = load_job(write_job("name = \"awkward\"\n"
                                     "seed = 9223372036854775807\n"
                                     "output = \"a b/ü {name}.h5\"\n"
                                     "[runtime]\n"
                                     "progress_seconds = 2.718281828459045\n"
                                     "chunk_tasks = 123456789\n"
                                     "[[analysis]]\n"
                                     "kind = \"entropy_index\"\n"
                                     "name = \"a\"\n"
                                     "shift = 0.1\n"
                                     "confidence = 0.123456789012345678\n"
                                     "indicators = [\"x\", \"y \\\"q\\\"\"]\n"
                                     "[[analysis]]\n"
                                     "kind = \"entropy_index\"\n"
                                     "name = \"b\"\n"
                                     "shift = 1e-300\n"),
                           kDefaults);
  EXPECT_EQ(job.seed, 9223372036854775807u);
  EXPECT_EQ(job.output.filename(), "ü awkward.h5");
  expect_effective_round_trip(job);
  const Job back = job_from_effective(job.effective_toml(), job.text);
  EXPECT_EQ(OptionView(back.analyses[0]).get_double("confidence"), 0.123456789012345678);
  EXPECT_EQ(OptionView(back.analyses[1]).get_double("shift"), 1e-300);
  EXPECT_EQ(OptionView(back.analyses[0]).get_strings("indicators"),
            (std::vector<std::string>{"x", "y \"q\""}));
}

TEST(Job, FloatWhereAnIntegerIsExpectedIsAnError) {
  EXPECT_THAT(job_error_at(std::string(kMinimal) + "[runtime]\nchunk_tasks = 8.0\n", 4),
              AllOf(HasSubstr("'chunk_tasks'"), HasSubstr("integer"), HasSubstr("float")));
}

// ---- errors: each names the job file and the line of the offending key ---------------------

TEST(JobErrors, UnknownTopLevelKey) {
  EXPECT_THAT(job_error_at(std::string(kMinimal) + "colour = \"blue\"\n", 3),
              HasSubstr("unknown key 'colour'"));
}

TEST(JobErrors, UnknownKeyInData) {
  EXPECT_THAT(job_error_at(std::string(kMinimal) + "[data]\n"
                                                   "years = [2011, 2012]\n"
                                                   "panle = \"p.csv\"\n",
                           5),
              HasSubstr("unknown key 'panle'"));
}

TEST(JobErrors, UnknownKeyInRuntime) {
  EXPECT_THAT(job_error_at(std::string(kMinimal) + "[runtime]\nthreads = 4\n", 4),
              HasSubstr("unknown key 'threads'"));
}

TEST(JobErrors, UnknownKeyInAnalysis) {
  EXPECT_THAT(job_error_at(std::string(kMinimal) + "[[analysis]]\n"
                                                   "kind = \"entropy_index\"\n"
                                                   "name = \"idx\"\n"
                                                   "replicatoins = 10\n",
                           6),
              AllOf(HasSubstr("unknown key 'replicatoins'"), HasSubstr("analysis 'idx'"),
                    HasSubstr("entropy_index")));
}

TEST(JobErrors, StringForInteger) {
  EXPECT_THAT(job_error_at(std::string(kMinimal) + "[[analysis]]\n"
                                                   "kind = \"entropy_index\"\n"
                                                   "replications = \"40\"\n",
                           5),
              AllOf(HasSubstr("'replications'"), HasSubstr("integer"), HasSubstr("string")));
}

TEST(JobErrors, StringForIntegerInRuntime) {
  EXPECT_THAT(job_error_at(std::string(kMinimal) + "[runtime]\nchunk_tasks = \"8\"\n", 4),
              AllOf(HasSubstr("'chunk_tasks'"), HasSubstr("integer"), HasSubstr("string")));
}

TEST(JobErrors, StringForSeed) {
  EXPECT_THAT(job_error_at("name = \"t\"\nseed = \"7\"\n", 2),
              HasSubstr("'seed' must be an integer"));
}

TEST(JobErrors, ArrayForString) {
  EXPECT_THAT(job_error_at(std::string(kMinimal) + "[runtime]\nschedule = [\"static\"]\n", 4),
              AllOf(HasSubstr("'schedule'"), HasSubstr("string"), HasSubstr("array")));
}

TEST(JobErrors, ArrayForTopLevelString) {
  EXPECT_THAT(job_error_at(std::string(kMinimal) + "output = [\"a.h5\"]\n", 3),
              AllOf(HasSubstr("'output'"), HasSubstr("string"), HasSubstr("array")));
}

TEST(JobErrors, StringForArrayOfYears) {
  EXPECT_THAT(job_error_at(std::string(kMinimal) + "[data]\nyears = \"2011-2022\"\n", 4),
              AllOf(HasSubstr("'years'"), HasSubstr("array"), HasSubstr("string")));
}

TEST(JobErrors, ScalarForTable) {
  EXPECT_THAT(job_error_at(std::string(kMinimal) + "data = 3\n", 3),
              AllOf(HasSubstr("'data'"), HasSubstr("table")));
}

TEST(JobErrors, MissingName) {
  const fs::path p = write_job("seed = 1\n");
  EXPECT_THAT(error_of([&] { load_job(p, kDefaults); }),
              AllOf(HasSubstr(p.string()), HasSubstr("missing required key 'name'")));
}

TEST(JobErrors, EmptyName) {
  EXPECT_THAT(job_error_at("seed = 1\nname = \"\"\n", 2), HasSubstr("'name'"));
}

TEST(JobErrors, NameWithSpaces) {
  EXPECT_THAT(job_error_at("name = \"my job\"\nseed = 1\n", 1), HasSubstr("'name'"));
}

TEST(JobErrors, MissingSeed) {
  const fs::path p = write_job("name = \"t\"\n");
  EXPECT_THAT(error_of([&] { load_job(p, kDefaults); }),
              AllOf(HasSubstr(p.string()), HasSubstr("missing required key 'seed'")));
}

TEST(JobErrors, NegativeSeed) {
  EXPECT_THAT(job_error_at("name = \"t\"\nseed = -1\n", 2),
              HasSubstr("'seed' must be non-negative"));
}

TEST(JobErrors, FloatSeed) {
  EXPECT_THAT(job_error_at("name = \"t\"\nseed = 1.5\n", 2), HasSubstr("'seed'"));
}

TEST(JobErrors, MalformedTomlMissingValue) {
  EXPECT_THAT(job_error_at(std::string(kMinimal) + "[[analysis]]\n"
                                                   "kind = \"entropy_index\"\n"
                                                   "replications = \n"
                                                   "shift = 0.0\n",
                           5),
              HasSubstr("TOML syntax error"));
}

TEST(JobErrors, MalformedTomlUnterminatedString) {
  EXPECT_THAT(job_error_at(std::string(kMinimal) + "output = \"x.h5\n", 3),
              HasSubstr("TOML syntax error"));
}

TEST(JobErrors, MalformedTomlDuplicateKey) {
  EXPECT_THAT(job_error_at(std::string(kMinimal) + "seed = 2\n", 3),
              HasSubstr("TOML syntax error"));
}

TEST(JobErrors, YearsFirstAfterLast) {
  EXPECT_THAT(job_error_at(std::string(kMinimal) + "[data]\nyears = [2022, 2011]\n", 4),
              HasSubstr("first year after last year"));
}

TEST(JobErrors, YearsNotAPair) {
  EXPECT_THAT(job_error_at(std::string(kMinimal) + "[data]\nyears = [2011]\n", 4),
              HasSubstr("[first, last]"));
}

TEST(JobErrors, YearsNotIntegers) {
  EXPECT_THAT(job_error_at(std::string(kMinimal) + "[data]\nyears = [2011, \"2022\"]\n", 4),
              HasSubstr("[first, last]"));
}

TEST(JobErrors, UnknownAnalysisKindListsKnownKinds) {
  EXPECT_THAT(job_error_at(std::string(kMinimal) + "[[analysis]]\nkind = \"dea\"\n", 4),
              AllOf(HasSubstr("unknown analysis kind 'dea'"), HasSubstr("known:"),
                    HasSubstr("entropy_index")));
}

TEST(JobErrors, AnalysisWithoutKind) {
  EXPECT_THAT(job_error_at(std::string(kMinimal) + "[[analysis]]\nname = \"a\"\n", 3),
              HasSubstr("'kind'"));
}

TEST(JobErrors, AnalysisNotAnArrayOfTables) {
  EXPECT_THAT(job_error_at(std::string(kMinimal) + "analysis = 3\n", 3), HasSubstr("[[analysis]]"));
}

TEST(JobErrors, DuplicateAnalysisName) {
  EXPECT_THAT(job_error_at(std::string(kMinimal) + "[[analysis]]\n"              // 3
                                                   "kind = \"entropy_index\"\n"  // 4
                                                   "name = \"idx\"\n"            // 5
                                                   "[[analysis]]\n"              // 6
                                                   "kind = \"entropy_index\"\n"  // 7
                                                   "name = \"idx\"\n",           // 8
                           6),
              HasSubstr("duplicate analysis name 'idx'"));
}

TEST(JobErrors, DuplicateDefaultAnalysisName) {
  EXPECT_THAT(job_error_at(std::string(kMinimal) + "[[analysis]]\n"
                                                   "kind = \"entropy_index\"\n"
                                                   "[[analysis]]\n"
                                                   "kind = \"entropy_index\"\n",
                           5),
              HasSubstr("duplicate analysis name 'entropy_index'"));
}

TEST(JobErrors, BadAnalysisName) {
  EXPECT_THAT(job_error_at(std::string(kMinimal) + "[[analysis]]\n"
                                                   "kind = \"entropy_index\"\n"
                                                   "name = \"a/b\"\n",
                           5),
              HasSubstr("analysis name"));
}

TEST(JobErrors, BadSchedule) {
  EXPECT_THAT(job_error_at(std::string(kMinimal) + "[runtime]\nschedule = \"guided\"\n", 4),
              HasSubstr("'schedule' must be \"static\" or \"dynamic\""));
}

TEST(JobErrors, NonPositiveProgressSeconds) {
  EXPECT_THAT(job_error_at(std::string(kMinimal) + "[runtime]\nprogress_seconds = 0\n", 4),
              HasSubstr("'progress_seconds' must be positive"));
}

TEST(JobErrors, NegativeChunkTasks) {
  EXPECT_THAT(job_error_at(std::string(kMinimal) + "[runtime]\nchunk_tasks = -1\n", 4),
              HasSubstr("'chunk_tasks' must be >= 0"));
}

TEST(JobErrors, MissingJobFile) {
  const fs::path p = test_dir() / "jobs" / "nope.toml";
  EXPECT_THAT(error_of([&] { load_job(p, kDefaults); }),
              AllOf(HasSubstr(p.string()), HasSubstr("cannot open")));
}

TEST(JobErrors, MissingDefaultsFile) {
  const fs::path p = write_job(kMinimal);
  const fs::path d = p.parent_path() / "no-defaults.toml";
  EXPECT_THAT(error_of([&] { load_job(p, d); }), HasSubstr(d.string()));
}

// ---- OptionView ------------------------------------------------------------------------------

TEST(OptionViewErrors, ChoiceNamesTheJobLine) {
  const fs::path p = write_job(std::string(kMinimal) +
                               "[[analysis]]\n"
                               "kind = \"entropy_index\"\n"
                               "name = \"idx\"\n"
                               "weight_scope = \"yearly\"\n");  // line 6
  const Job job = load_job(p, kDefaults);
  const OptionView opt(job.analyses.at(0));
  EXPECT_THAT(
      error_of([&] {
        opt.get_choice("weight_scope", {"per_year", "pooled"});
      }),
      AllOf(HasSubstr(p.string() + ":6:"), HasSubstr("analysis 'idx' option 'weight_scope'"),
            HasSubstr("\"per_year\", \"pooled\""), HasSubstr("not \"yearly\""),
            Not(HasSubstr("(default)"))));
  EXPECT_EQ(opt.where("weight_scope").rfind(p.string() + ":6:", 0), 0u);
}

TEST(OptionViewErrors, DefaultedKeyMentionsDefault) {
  const Job job = load_job(write_job(std::string(kMinimal) + "[[analysis]]\n"
                                                             "kind = \"entropy_index\"\n"
                                                             "name = \"idx\"\n"),
                           kDefaults);
  const OptionView opt(job.analyses.at(0));
  const std::string def_line =
      kDefaults.string() + ":" +
      std::to_string(line_of(kDefaults, "weight_scope", "[analysis.entropy_index]")) + ":";
  // A default the analysis does not accept (as if the defaults file were wrong).
  EXPECT_THAT(error_of([&] { opt.get_choice("weight_scope", {"pooled"}); }),
              AllOf(HasSubstr(def_line), HasSubstr("(default)"), HasSubstr("'weight_scope'")));
  // A default of the wrong type for the accessor.
  EXPECT_THAT(error_of([&] { opt.get_int("weight_scope"); }),
              AllOf(HasSubstr(def_line), HasSubstr("(default)"), HasSubstr("must be an integer")));
  EXPECT_THAT(error_of([&] { opt.get_bool("confidence"); }),
              AllOf(HasSubstr("(default)"), HasSubstr("'confidence'"), HasSubstr("true or false")));
  EXPECT_THAT(error_of([&] { opt.get_strings("replications"); }),
              AllOf(HasSubstr("(default)"), HasSubstr("array of strings")));
  EXPECT_THAT(error_of([&] { opt.get_double("weight_scope"); }),
              AllOf(HasSubstr("(default)"), HasSubstr("must be a number")));
  EXPECT_THAT(error_of([&] { opt.get_string("shift"); }),
              AllOf(HasSubstr("(default)"), HasSubstr("must be a string")));
}

TEST(OptionViewErrors, JobKeyOfTheWrongTypeForTheAccessor) {
  const fs::path p = write_job(std::string(kMinimal) +
                               "[[analysis]]\n"
                               "kind = \"entropy_index\"\n"
                               "replications = 40\n");  // line 5
  const Job job = load_job(p, kDefaults);
  const OptionView opt(job.analyses.at(0));
  EXPECT_EQ(opt.get_int("replications"), 40);
  EXPECT_EQ(opt.get_double("replications"), 40.0);  // integers are numbers
  EXPECT_THAT(error_of([&] { opt.get_string("replications"); }),
              AllOf(HasSubstr(p.string() + ":5:"), HasSubstr("must be a string"),
                    Not(HasSubstr("(default)"))));
}

TEST(OptionViewErrors, UndefinedOption) {
  const Job job = load_job(write_job(std::string(kMinimal) + "[[analysis]]\n"
                                                             "kind = \"entropy_index\"\n"),
                           kDefaults);
  EXPECT_THAT(error_of([&] { OptionView(job.analyses.at(0)).get_int("bandwidth"); }),
              AllOf(HasSubstr("'bandwidth'"), HasSubstr("not defined")));
}

// On the ranks that rebuild the job from the broadcast effective configuration there is no job
// file position; the message still names the analysis, the option and the bad value.
TEST(OptionViewErrors, RebuiltJobStillNamesOptionAndValue) {
  const Job job = load_job(write_job(std::string(kMinimal) + "[[analysis]]\n"
                                                             "kind = \"entropy_index\"\n"
                                                             "weight_scope = \"yearly\"\n"),
                           kDefaults);
  const Job back = job_from_effective(job.effective_toml(), job.text);
  ASSERT_EQ(back.analyses.size(), 1u);
  EXPECT_TRUE(back.analyses[0].where.empty());
  EXPECT_THAT(error_of([&] {
                OptionView(back.analyses[0]).get_choice("weight_scope", {"per_year", "pooled"});
              }),
              AllOf(HasSubstr("analysis 'entropy_index' option 'weight_scope'"),
                    HasSubstr("not \"yearly\"")));
}

TEST(JobFromEffective, SyntaxError) {
  EXPECT_THAT(error_of([] { job_from_effective("name = \n", ""); }),
              HasSubstr("effective configuration"));
}
