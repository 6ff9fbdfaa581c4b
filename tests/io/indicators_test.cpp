#include "io/indicators.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using revest::io::Domain;
using revest::io::domain_from_string;
using revest::io::Indicator;
using revest::io::IndicatorSystem;
using revest::io::load_indicators;
using revest::test::error_of;
using revest::test::replaced;
using testing::AllOf;
using testing::HasSubstr;

namespace {

const fs::path kIndicators = fs::path(REVEST_SOURCE_DIR) / "config" / "indicators.toml";

const IndicatorSystem& real_system() {
  static const IndicatorSystem sys = load_indicators(kIndicators);
  return sys;
}

/// A fresh directory per test: REVEST_BINARY_DIR/test-output/io/indicators/<Suite>.<Test>.
fs::path test_dir() { return revest::test::test_dir("io/indicators"); }

/// Writes `text` as indicators.toml into a fresh test_dir() and returns the path.
fs::path write_toml(const std::string& text) {
  return revest::test::write_file(test_dir(), "indicators.toml", text);
}

/// Loads `text` as an indicator file and returns the error; the message must name the file and
/// `line` ("PATH:LINE:").
std::string error_at_line(const std::string& text, int line) {
  const fs::path p = write_toml(text);
  const std::string msg = error_of([&] { load_indicators(p); });
  EXPECT_THAT(msg, HasSubstr(p.string() + ":" + std::to_string(line) + ":"));
  return msg;
}

// Two good indicators; lines 1-8 and 10-17.
const std::string kGood =
    "[[indicator]]\n"                    // 1
    "name = \"broadband\"\n"             // 2
    "label = \"Broadband users\"\n"      // 3
    "unit = \"per 100 households\"\n"    // 4
    "group = \"digital_economy\"\n"      // 5
    "direction = 1\n"                    // 6
    "domain = \"positive\"\n"            // 7
    "uses = [\"index\"]\n"               // 8
    "\n"                                 // 9
    "[[indicator]]\n"                    // 10
    "name = \"gap\"\n"                   // 11
    "direction = -1\n"                   // 12
    "domain = \"nonnegative\"\n"         // 13
    "uses = [\"index\", \"control\"]\n"  // 14
    "description = \"a cost\"\n";        // 15

}  // namespace

// ---- the real indicator system (config/indicators.toml) ---------------------------------------

TEST(RealIndicators, Loads) {
  const IndicatorSystem& sys = real_system();
  EXPECT_GE(sys.indicators.size(), 20u);
  for (const Indicator& i : sys.indicators) {
    EXPECT_FALSE(i.name.empty());
    EXPECT_FALSE(i.label.empty()) << i.name;
    EXPECT_FALSE(i.unit.empty()) << i.name;
    EXPECT_FALSE(i.group.empty()) << i.name;
    EXPECT_FALSE(i.description.empty()) << i.name;
    EXPECT_FALSE(i.uses.empty()) << i.name;
  }
}

TEST(RealIndicators, NamesAreUnique) {
  std::set<std::string> names;
  for (const Indicator& i : real_system().indicators)
    EXPECT_TRUE(names.insert(i.name).second) << "duplicate " << i.name;
}

TEST(RealIndicators, DirectionsAreBenefitOrCost) {
  for (const Indicator& i : real_system().indicators)
    EXPECT_TRUE(i.direction == 1 || i.direction == -1) << i.name << " " << i.direction;
}

TEST(RealIndicators, IndexIndicatorsExistAndIncludeACost) {
  const IndicatorSystem& sys = real_system();
  const auto index = sys.used_by("index");
  ASSERT_GE(index.size(), 2u);
  bool cost = false;
  for (const auto& name : index) {
    const Indicator* ind = sys.find(name);
    ASSERT_NE(ind, nullptr) << name;
    EXPECT_TRUE(ind->used_by("index"));
    EXPECT_EQ(&sys.get(name, "test"), ind);
    cost = cost || ind->direction == -1;
  }
  EXPECT_TRUE(cost) << "the evaluation index needs at least one cost indicator";
  // used_by keeps file order.
  std::vector<std::string> in_order;
  for (const Indicator& i : sys.indicators)
    if (i.used_by("index")) in_order.push_back(i.name);
  EXPECT_EQ(index, in_order);
}

TEST(RealIndicators, AtLeastOneCostIndicator) {
  const auto& v = real_system().indicators;
  EXPECT_TRUE(
      std::any_of(v.begin(), v.end(), [](const Indicator& i) { return i.direction == -1; }));
}

TEST(RealIndicators, KnownEntries) {
  const IndicatorSystem& sys = real_system();
  const Indicator* gap = sys.find("internet_gap");
  ASSERT_NE(gap, nullptr);
  EXPECT_EQ(gap->direction, -1);
  EXPECT_EQ(gap->domain, Domain::kPositive);
  EXPECT_TRUE(gap->used_by("index"));
  const Indicator* taobao = sys.find("taobao_villages");
  ASSERT_NE(taobao, nullptr);
  EXPECT_EQ(taobao->domain, Domain::kNonNegative);
  // DEA inputs and outputs must be positive.
  for (const char* use : {"dea_input", "dea_output"}) {
    const auto names = sys.used_by(use);
    EXPECT_FALSE(names.empty()) << use;
    for (const auto& n : names) EXPECT_EQ(sys.find(n)->domain, Domain::kPositive) << n;
  }
  EXPECT_EQ(sys.find("no_such_indicator"), nullptr);
}

TEST(RealIndicators, GetUnknownNamesTheContext) {
  EXPECT_THAT(error_of([] { real_system().get("colour", "jobs/x.toml:12:5: analysis 'a'"); }),
              AllOf(HasSubstr("jobs/x.toml:12:5: analysis 'a'"), HasSubstr("'colour'")));
}

TEST(Indicators, DomainStrings) {
  for (Domain d : {Domain::kAny, Domain::kNonNegative, Domain::kPositive})
    EXPECT_EQ(domain_from_string(revest::io::to_string(d)), d);
  EXPECT_THAT(error_of([] { domain_from_string("Positive"); }), HasSubstr("unknown domain"));
}

// ---- fixtures --------------------------------------------------------------------------------

TEST(Indicators, GoodFixture) {
  const IndicatorSystem sys = load_indicators(write_toml(kGood));
  ASSERT_EQ(sys.indicators.size(), 2u);
  const Indicator& a = sys.indicators[0];
  EXPECT_EQ(a.name, "broadband");
  EXPECT_EQ(a.label, "Broadband users");
  EXPECT_EQ(a.unit, "per 100 households");
  EXPECT_EQ(a.group, "digital_economy");
  EXPECT_EQ(a.direction, 1);
  EXPECT_EQ(a.domain, Domain::kPositive);
  EXPECT_EQ(a.uses, (std::vector<std::string>{"index"}));
  const Indicator& b = sys.indicators[1];
  EXPECT_EQ(b.direction, -1);
  EXPECT_EQ(b.domain, Domain::kNonNegative);
  EXPECT_EQ(b.uses, (std::vector<std::string>{"index", "control"}));
  EXPECT_EQ(b.description, "a cost");
  EXPECT_EQ(sys.used_by("control"), (std::vector<std::string>{"gap"}));
  EXPECT_EQ(sys.used_by("index"), (std::vector<std::string>{"broadband", "gap"}));
}

TEST(Indicators, DefaultsForOptionalKeys) {
  const IndicatorSystem sys = load_indicators(write_toml("[[indicator]]\nname = \"x\"\n"));
  ASSERT_EQ(sys.indicators.size(), 1u);
  EXPECT_EQ(sys.indicators[0].direction, 1);
  EXPECT_EQ(sys.indicators[0].domain, Domain::kAny);
  EXPECT_TRUE(sys.indicators[0].uses.empty());
}

TEST(Indicators, UnknownIndicatorKeyNamesFileAndLine) {
  const std::string text =
      replaced(kGood, "uses = [\"index\", \"control\"]",
               "colour = \"red\"\nuses = [\"index\", \"control\"]");  // line 14
  EXPECT_THAT(error_at_line(text, 14), HasSubstr("unknown indicator key 'colour'"));
}

TEST(Indicators, UnknownTopLevelKeyNamesFileAndLine) {
  EXPECT_THAT(error_at_line("version = 2\n" + kGood, 1), HasSubstr("unknown key 'version'"));
}

TEST(Indicators, UnknownTopLevelTableNamesFileAndLine) {
  EXPECT_THAT(error_at_line(kGood + "\n[meta]\nauthor = \"x\"\n", 17),
              HasSubstr("unknown key 'meta'"));
}

TEST(Indicators, DirectionTwo) {
  const std::string text = replaced(kGood, "direction = -1", "direction = 2 ");  // line 12
  EXPECT_THAT(error_at_line(text, 12), HasSubstr("'direction' must be 1 (benefit) or -1 (cost)"));
}

TEST(Indicators, DirectionZero) {
  const std::string text = replaced(kGood, "direction = 1", "direction = 0");  // line 6
  EXPECT_THAT(error_at_line(text, 6), HasSubstr("'direction'"));
}

TEST(Indicators, DirectionAsFloat) {
  const std::string text = replaced(kGood, "direction = 1", "direction = 1.0");  // line 6
  EXPECT_THAT(error_at_line(text, 6), HasSubstr("'direction'"));
}

TEST(Indicators, DirectionAsString) {
  const std::string text = replaced(kGood, "direction = 1", "direction = \"benefit\"");  // line 6
  EXPECT_THAT(error_at_line(text, 6), HasSubstr("'direction'"));
}

TEST(Indicators, BadDomain) {
  const std::string text = replaced(kGood, "\"nonnegative\"", "\"non-negative\"");  // line 13
  EXPECT_THAT(error_at_line(text, 13),
              AllOf(HasSubstr("unknown domain 'non-negative'"), HasSubstr("nonnegative")));
}

TEST(Indicators, DomainNotAString) {
  const std::string text = replaced(kGood, "\"positive\"", "2");  // line 7
  EXPECT_THAT(error_at_line(text, 7), HasSubstr("'domain' must be a string"));
}

TEST(Indicators, DuplicateNameNamesTheSecondTable) {
  const std::string text =
      replaced(kGood, "\"gap\"", "\"broadband\"");  // second table, lines 10-15
  const fs::path p = write_toml(text);
  const std::string msg = error_of([&] { load_indicators(p); });
  EXPECT_THAT(msg,
              AllOf(HasSubstr(p.string() + ":"), HasSubstr("duplicate indicator 'broadband'")));
  // The location is inside the second [[indicator]] table (its header or its name).
  EXPECT_THAT(msg, testing::AnyOf(HasSubstr(p.string() + ":10:"), HasSubstr(p.string() + ":11:")));
}

TEST(Indicators, MissingNameNamesTheTable) {
  const std::string text = replaced(kGood, "name = \"gap\"\n", "");  // second table: line 10
  EXPECT_THAT(error_at_line(text, 10), HasSubstr("missing 'name'"));
}

TEST(Indicators, NameNotAString) {
  const std::string text = replaced(kGood, "\"gap\"", "42");  // line 11
  EXPECT_THAT(error_at_line(text, 11), HasSubstr("'name' must be a string"));
}

TEST(Indicators, UsesNotAnArray) {
  const std::string text = replaced(kGood, "[\"index\"]", "\"index\"");  // line 8
  EXPECT_THAT(error_at_line(text, 8), HasSubstr("'uses' must be an array of strings"));
}

TEST(Indicators, UsesWithANumber) {
  const std::string text = replaced(kGood, "[\"index\"]", "[\"index\", 3]");  // line 8
  EXPECT_THAT(error_at_line(text, 8), HasSubstr("'uses' must be an array of strings"));
}

TEST(Indicators, SyntaxErrorNamesFileAndLine) {
  const std::string text =
      replaced(kGood, "label = \"Broadband users\"", "label = \"Broadband users");  // line 3
  EXPECT_THAT(error_at_line(text, 3), testing::Not(testing::IsEmpty()));
}

TEST(Indicators, IndicatorAsPlainTable) {
  const fs::path p = write_toml("[indicator]\nname = \"x\"\n");
  EXPECT_THAT(error_of([&] { load_indicators(p); }),
              AllOf(HasSubstr(p.string()), HasSubstr("[[indicator]]")));
}

TEST(Indicators, EmptyFile) {
  const fs::path p = write_toml("# nothing\n");
  EXPECT_THAT(error_of([&] { load_indicators(p); }),
              AllOf(HasSubstr(p.string()), HasSubstr("no [[indicator]] tables")));
}

TEST(Indicators, MissingFile) {
  const fs::path p = test_dir() / "nope.toml";
  EXPECT_THAT(error_of([&] { load_indicators(p); }), HasSubstr(p.string()));
}
