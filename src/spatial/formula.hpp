#pragma once
/// \file formula.hpp
/// \brief Regression formulas in R's notation: "y ~ x1 + log(x2) + x1:x3 + I(x2^2) + lag(x1, 1) +
/// factor(province)". A pure function of the text (parse_formula); the job adapter
/// (analyses/spatial_inputs.hpp) evaluates the terms on the panel.
///
/// Terms of the right-hand side, separated by `+` (R's conventions, Chambers and Hastie 1992):
/// | term | columns |
/// |---|---|
/// | `x` | the variable x |
/// | `log(e)`, `exp(e)`, `sqrt(e)` | the function of the expression e (natural log) |
/// | `I(e)` | the arithmetic expression e: `+ - * /`, `^` (power), parentheses, numbers, variables and the functions above |
/// | `a:b` | the product of the terms a and b (each a variable, a function or I()) |
/// | `a*b` | a, b and a:b (three terms; `a*b*c` all interactions up to a:b:c) |
/// | `lag(x, k)` | x of k periods before (k >= 1; the panel must have them) |
/// | `factor(g)` | one dummy per level of g but the first (in sorted order): g a unit attribute of the geography (`province`, `prefecture`) or a panel variable with few values |
/// A constant is not written: whoever builds the design adds it. The left-hand side is one
/// variable, function or I() term. Expressions are evaluated with muParser (Debian's
/// libmuparser-dev), so an expression follows its grammar (`^` is the power, as in R).
///
/// Errors name the formula, the term and its character position (1-based in the formula).
///
/// \test tests/spatial/formula_test.cpp
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace revest::spatial {

/// One term: a column of the design (an expression of panel variables, optionally lagged), or a
/// factor's dummy columns.
struct Term {
  /// The term as it is named in tables: its text with blanks removed but after commas ("inc",
  /// "log(hoval)", "inc:hoval", "I(hoval^2)", "lag(inc, 1)", "factor(province)").
  std::string label;
  /// The muParser expression giving the column from the variables ("inc", "log(hoval)",
  /// "(inc)*(hoval)", "hoval^2"); empty for a factor.
  std::string expression;
  /// The panel variables the expression reads, each once, in order of appearance.
  std::vector<std::string> variables;
  /// lag(x, k): the value k periods before. Default 0.
  int lag = 0;
  /// factor(g): the grouping g; empty for any other term.
  std::string factor;
  bool is_factor() const { return !factor.empty(); }
  bool operator==(const Term&) const = default;
};

/// A parsed formula.
struct Formula {
  std::string text;  ///< as written
  Term y;
  std::vector<Term> x;  ///< in order, interactions expanded (a*b: a, b, a:b)
  bool operator==(const Formula&) const = default;
};

/// Parses a formula; throws revest::Error naming `where`, the formula, the term and its position
/// (no '~' or more than one, an unbalanced parenthesis, an unknown function, a malformed
/// expression, a term on both sides or twice, a factor or lag inside an interaction).
Formula parse_formula(const std::string& text, const std::string& where);

/// Evaluates an expression term on n rows: `columns[v]` holds variable term.variables[v] (already
/// lagged by the caller), each of n values. Throws revest::Error naming the term, the row
/// (`row_name(r)`) and the variables' values where the result is not finite (log of a value <= 0,
/// a division by zero, ...).
std::vector<double> evaluate_term(const Term& term,
                                  const std::vector<std::span<const double>>& columns,
                                  const std::function<std::string(std::size_t)>& row_name);

/// The dummy columns of a factor term from each row's level: one column per level but the
/// first (levels sorted as text, or as numbers when every level is a number), labelled
/// "factor(g)LEVEL" as R does. Throws if there is only one level.
struct FactorColumns {
  std::vector<std::string> labels;
  std::vector<std::vector<double>> columns;
};
FactorColumns factor_columns(const Term& term, const std::vector<std::string>& levels);

}  // namespace revest::spatial
