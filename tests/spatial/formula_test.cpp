// Regression formulas (src/spatial/formula.hpp): parsing and its errors.
#include <gtest/gtest.h>

#include "spatial/formula.hpp"
#include "test_support.hpp"

namespace revest::spatial {
namespace {

TEST(FormulaTest, ParsesAndRejects) {
  const Formula f = parse_formula("y ~ a + log(b) +c", "job.toml:3");
  EXPECT_EQ(f.y.variable, "y");
  ASSERT_EQ(f.x.size(), 3u);
  EXPECT_TRUE(f.x[1].log);
  EXPECT_EQ(f.x[1].label(), "log(b)");
  EXPECT_NE(test::error_of([] { parse_formula("y = a", "w"); }).find("exactly one '~'"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { parse_formula("y ~ a + a", "w"); }).find("appears twice"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { parse_formula("y ~ y", "w"); }).find("on both sides"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { parse_formula("y ~ a*b", "w"); }).find("bad term"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { parse_formula("y ~ log(a", "w"); }).find("unbalanced"),
            std::string::npos);
}

}  // namespace
}  // namespace revest::spatial
