#pragma once
/// \file formula.hpp
/// \brief Regression formulas "y ~ x1 + log(x2)": a dependent variable and regressors, each a
/// variable name with an optional natural-log transform. A pure function of the text; the job
/// adapter (analyses/spatial_models.hpp) reads the named variables from the panel.
///
/// \test tests/spatial/formula_test.cpp
#include <string>
#include <vector>

namespace revest::spatial {

/// A variable, optionally log-transformed (`log(v)` needs v > 0).
struct Term {
  std::string variable;
  bool log = false;
  std::string label() const { return log ? "log(" + variable + ")" : variable; }
  bool operator==(const Term&) const = default;
};

/// A parsed formula. A constant is not written: whoever builds the design adds it.
struct Formula {
  std::string text;  ///< as written
  Term y;
  std::vector<Term> x;
  bool operator==(const Formula&) const = default;
};

/// Parses "y ~ x1 + log(x2)"; throws revest::Error naming `where` (no '~' or more than one, a bad
/// term, a term on both sides or twice).
Formula parse_formula(const std::string& text, const std::string& where);

}  // namespace revest::spatial
