// Regression formulas (src/spatial/formula.hpp): R's notation (Chambers and Hastie 1992, as R's
// terms() expands it), the evaluation of terms with muParser, factor dummies, and the errors,
// which name the term and its position.
#include "spatial/formula.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "test_support.hpp"

namespace revest::spatial {
namespace {

std::vector<std::string> labels(const Formula& f) {
  std::vector<std::string> out;
  for (const auto& t : f.x) out.push_back(t.label);
  return out;
}

TEST(FormulaTest, PlainTermsAndFunctions) {
  const Formula f = parse_formula("y ~ a + log(b) +c + exp( a ) + sqrt(c)", "job.toml:3");
  EXPECT_EQ(f.y.label, "y");
  EXPECT_EQ(f.y.variables, std::vector<std::string>{"y"});
  EXPECT_EQ(labels(f), (std::vector<std::string>{"a", "log(b)", "c", "exp(a)", "sqrt(c)"}));
  EXPECT_EQ(f.x[1].expression, "log(b)");
  EXPECT_EQ(f.x[1].variables, std::vector<std::string>{"b"});
  const Formula g = parse_formula("log(y) ~ x", "w");
  EXPECT_EQ(g.y.label, "log(y)");
}

// R: y ~ a*b is y ~ a + b + a:b; a*b*c adds every interaction, main effects first.
TEST(FormulaTest, InteractionsExpandAsInR) {
  const Formula f = parse_formula("y ~ inc * hoval", "w");
  EXPECT_EQ(labels(f), (std::vector<std::string>{"inc", "hoval", "inc:hoval"}));
  EXPECT_EQ(f.x[2].expression, "(inc)*(hoval)");
  EXPECT_EQ(f.x[2].variables, (std::vector<std::string>{"inc", "hoval"}));
  const Formula g = parse_formula("y ~ a*b*c", "w");
  EXPECT_EQ(labels(g), (std::vector<std::string>{"a", "b", "c", "a:b", "a:c", "b:c", "a:b:c"}));
  const Formula h = parse_formula("y ~ a + a:log(b)", "w");
  EXPECT_EQ(labels(h), (std::vector<std::string>{"a", "a:log(b)"}));
  EXPECT_EQ(h.x[1].expression, "(a)*(log(b))");
}

TEST(FormulaTest, IdentityLagAndFactor) {
  const Formula f =
      parse_formula("y ~ I(hoval^2) + I(inc / hoval) + lag(inc,1) + factor(province)", "w");
  EXPECT_EQ(labels(f), (std::vector<std::string>{"I(hoval^2)", "I(inc/hoval)", "lag(inc, 1)",
                                                 "factor(province)"}));
  EXPECT_EQ(f.x[0].expression, "hoval^2");
  EXPECT_EQ(f.x[1].variables, (std::vector<std::string>{"inc", "hoval"}));
  EXPECT_EQ(f.x[2].lag, 1);
  EXPECT_EQ(f.x[2].variables, std::vector<std::string>{"inc"});
  EXPECT_TRUE(f.x[3].is_factor());
  EXPECT_EQ(f.x[3].factor, "province");
  // muParser's built-in functions and constants are not variables.
  const Formula g = parse_formula("y ~ I(abs(x - _pi))", "w");
  EXPECT_EQ(g.x[0].variables, std::vector<std::string>{"x"});
}

// Evaluation against closed forms, and the row named when a value is not finite.
TEST(FormulaTest, EvaluatesTermsRowByRow) {
  const Formula f = parse_formula("y ~ I(a^2 + b/2) + log(a):b + sqrt(b)", "w");
  const std::vector<double> a = {1, 2, 3}, b = {4, 6, 8};
  auto row = [](std::size_t r) { return "row " + std::to_string(r); };
  const auto v0 = evaluate_term(f.x[0], {a, b}, row);
  EXPECT_EQ(v0, (std::vector<double>{3, 7, 13}));
  const auto v1 = evaluate_term(f.x[1], {a, b}, row);
  for (std::size_t r = 0; r < 3; ++r) EXPECT_DOUBLE_EQ(v1[r], std::log(a[r]) * b[r]);
  // A plain log is the natural log to the last bit (what R computes).
  const Formula g = parse_formula("y ~ log(a)", "w");
  const auto lg = evaluate_term(g.x[0], {a}, row);
  for (std::size_t r = 0; r < 3; ++r) EXPECT_EQ(lg[r], std::log(a[r]));
  const std::vector<double> bad = {1, 0, 2};
  EXPECT_NE(test::error_of([&] {
              evaluate_term(g.x[0], {bad}, row);
            }).find("formula term 'log(a)' is -inf for row 1 (a = 0): not finite"),
            std::string::npos);
}

TEST(FormulaTest, FactorDummiesAsInR) {
  const Formula f = parse_formula("y ~ factor(province)", "w");
  const FactorColumns fc = factor_columns(f.x[0], {"Yunnan", "Sichuan", "Guizhou", "Sichuan"});
  // Treatment contrasts: the first level in sorted order (Guizhou) is the reference.
  EXPECT_EQ(fc.labels,
            (std::vector<std::string>{"factor(province)Sichuan", "factor(province)Yunnan"}));
  EXPECT_EQ(fc.columns[0], (std::vector<double>{0, 1, 0, 1}));
  EXPECT_EQ(fc.columns[1], (std::vector<double>{1, 0, 0, 0}));
  // Numeric levels sort as numbers (2 before 10), as R's factor() of a number does.
  const Formula g = parse_formula("y ~ factor(group)", "w");
  EXPECT_EQ(factor_columns(g.x[0], {"10", "2", "2"}).labels,
            std::vector<std::string>{"factor(group)10"});
  EXPECT_NE(test::error_of([&] {
              factor_columns(g.x[0], {"1", "1"});
            }).find("one level only"),
            std::string::npos);
}

TEST(FormulaTest, ErrorsNameTheTermAndPosition) {
  auto err = [](const std::string& text) {
    return test::error_of([&] { parse_formula(text, "job.toml:3"); });
  };
  EXPECT_NE(err("y = a").find("job.toml:3: formula 'y = a': needs exactly one '~'"),
            std::string::npos);
  EXPECT_NE(err("y ~ a + a").find("a appears twice"), std::string::npos);
  EXPECT_NE(err("y ~ y").find("y on both sides"), std::string::npos);
  EXPECT_NE(err("y ~ log(a").find("unbalanced parentheses"), std::string::npos);
  EXPECT_NE(err("y ~ a + cosh(b)").find("term 'cosh(b)' (position 9): unknown function 'cosh'"),
            std::string::npos)
      << err("y ~ a + cosh(b)");
  EXPECT_NE(err("y ~ a + I(b +* 2)")
                .find("term 'I(b +* 2)' (position 9): the expression 'b +* 2' "
                      "is malformed"),
            std::string::npos)
      << err("y ~ a + I(b +* 2)");
  EXPECT_NE(err("y ~ a + + b").find("an empty term"), std::string::npos);
  EXPECT_NE(err("y ~ a + 2").find("numbers and operators go inside I(...)"), std::string::npos);
  EXPECT_NE(err("y ~ a - 1").find("term 'a - 1'"), std::string::npos);
  EXPECT_NE(err("y ~ a + 1").find("the constant is always included"), std::string::npos);
  EXPECT_NE(err("y ~ lag(a, 0)").find("k >= 1"), std::string::npos);
  EXPECT_NE(err("y ~ factor(province):a").find("factor() inside an interaction"),
            std::string::npos);
  EXPECT_NE(err("y ~ lag(a, 1):b").find("lag() inside an interaction"), std::string::npos);
  EXPECT_NE(err("factor(g) ~ a").find("the left-hand side is one"), std::string::npos);
  EXPECT_NE(err("y ~ I(2 + 3)").find("reads no variable"), std::string::npos);
}

}  // namespace
}  // namespace revest::spatial
