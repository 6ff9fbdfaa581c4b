#include "spatial/formula.hpp"

#include <muParser.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <cmath>
#include <deque>
#include <map>
#include <sstream>

#include "core/error.hpp"

namespace revest::spatial {

namespace {

/// A piece of the formula's text with its offset (0-based) in the formula.
struct Piece {
  std::string text;
  std::size_t at = 0;
};

Piece trim(const Piece& p) {
  const auto b = p.text.find_first_not_of(" \t");
  if (b == std::string::npos) return {"", p.at};
  const auto e = p.text.find_last_not_of(" \t");
  return {p.text.substr(b, e - b + 1), p.at + b};
}

/// Reports a problem with a term: "WHERE: formula 'TEXT': term 'TERM' (position N): WHAT".
class Context {
 public:
  Context(std::string where, std::string text) : where_(std::move(where)), text_(std::move(text)) {}
  [[noreturn]] void fail(const Piece& p, const std::string& what) const {
    REVEST_FAIL(where_ << ": formula '" << text_ << "': term '" << p.text << "' (position "
                       << p.at + 1 << "): " << what);
  }
  [[noreturn]] void fail(const std::string& what) const {
    REVEST_FAIL(where_ << ": formula '" << text_ << "': " << what);
  }

 private:
  std::string where_, text_;
};

/// Splits at `sep` outside parentheses; checks that parentheses balance.
std::vector<Piece> split_top(const Piece& p, char sep, const Context& ctx) {
  std::vector<Piece> out;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t k = 0; k < p.text.size(); ++k) {
    const char c = p.text[k];
    if (c == '(') ++depth;
    if (c == ')' && --depth < 0) ctx.fail(p, "a ')' without its '('");
    if (c == sep && depth == 0) {
      out.push_back({p.text.substr(start, k - start), p.at + start});
      start = k + 1;
    }
  }
  if (depth != 0) ctx.fail(p, "unbalanced parentheses");
  out.push_back({p.text.substr(start), p.at + start});
  return out;
}

bool is_identifier(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

std::string without_blanks(const std::string& s) {
  std::string out;
  for (char c : s)
    if (c != ' ' && c != '\t') out += c;
  return out;
}

/// The variables an expression reads, in order of appearance, by muParser's own parse (so that
/// its built-in functions and constants are not variables). Throws on a malformed expression.
std::vector<std::string> expression_variables(const std::string& expr, const Piece& p,
                                              const Context& ctx) {
  mu::Parser parser;
  std::deque<double> storage;
  parser.SetVarFactory(
      [](const mu::char_type*, void* user) -> double* {
        auto* s = static_cast<std::deque<double>*>(user);
        s->push_back(1.0);
        return &s->back();
      },
      &storage);
  try {
    parser.SetExpr(expr);
    const mu::varmap_type used = parser.GetUsedVar();
    // Order of appearance: scan identifiers of the text.
    std::vector<std::string> vars;
    std::string cur;
    auto flush = [&] {
      if (!cur.empty() && used.count(cur) && std::find(vars.begin(), vars.end(), cur) == vars.end())
        vars.push_back(cur);
      cur.clear();
    };
    for (char c : expr) {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '_')
        cur += c;
      else
        flush();
    }
    flush();
    return vars;
  } catch (const mu::Parser::exception_type& e) {
    ctx.fail(p, "the expression '" + expr + "' is malformed: " + e.GetMsg());
  }
}

/// One term that is not an interaction.
Term parse_atom(const Piece& raw, const Context& ctx) {
  const Piece p = trim(raw);
  if (p.text.empty()) ctx.fail(raw, "an empty term (two '+' in a row, or a '+' at an end)");
  Term t;
  if (is_identifier(p.text)) {
    t.label = t.expression = p.text;
    t.variables = {p.text};
    return t;
  }
  const auto open = p.text.find('(');
  if (open == std::string::npos || p.text.back() != ')')
    ctx.fail(p,
             "not a variable, a function call (log, exp, sqrt, I, lag, factor) or an "
             "interaction (a:b, a*b); numbers and operators go inside I(...)");
  const std::string fn = trim({p.text.substr(0, open), 0}).text;
  const Piece inner = trim({p.text.substr(open + 1, p.text.size() - open - 2), p.at + open + 1});
  if (inner.text.empty()) ctx.fail(p, fn + "() of nothing");
  if (fn == "lag") {
    const auto args = split_top(inner, ',', ctx);
    const std::string x = args.size() == 2 ? trim(args[0]).text : std::string();
    const std::string k = args.size() == 2 ? trim(args[1]).text : std::string();
    int lag = 0;
    const auto r = std::from_chars(k.data(), k.data() + k.size(), lag);
    if (args.size() != 2 || !is_identifier(x) || r.ec != std::errc() ||
        r.ptr != k.data() + k.size() || lag < 1)
      ctx.fail(p, "lag(variable, k) takes a panel variable and a whole number of periods k >= 1");
    t.label = "lag(" + x + ", " + std::to_string(lag) + ")";
    t.expression = x;
    t.variables = {x};
    t.lag = lag;
    return t;
  }
  if (fn == "factor") {
    if (!is_identifier(inner.text))
      ctx.fail(p,
               "factor(g) takes one grouping: a unit attribute (province, prefecture) or a "
               "panel variable");
    t.label = "factor(" + inner.text + ")";
    t.factor = inner.text;
    return t;
  }
  if (fn == "I") {
    t.expression = inner.text;
  } else if (fn == "log" || fn == "exp" || fn == "sqrt") {
    t.expression = fn + "(" + inner.text + ")";
  } else {
    ctx.fail(p, "unknown function '" + fn +
                    "' (log, exp, sqrt, I, lag, factor; other functions go inside I(...))");
  }
  t.label = without_blanks(p.text);
  t.variables = expression_variables(t.expression, p, ctx);
  if (t.variables.empty())
    ctx.fail(p, "the term reads no variable (a constant is always included)");
  return t;
}

/// The interaction of atoms: their product.
Term interaction(const std::vector<Term>& parts, const Piece& p, const Context& ctx) {
  Term t;
  for (std::size_t k = 0; k < parts.size(); ++k) {
    const Term& a = parts[k];
    if (a.is_factor()) ctx.fail(p, "a factor() inside an interaction is not supported");
    if (a.lag != 0)
      ctx.fail(p,
               "lag() inside an interaction is not supported: interact lagged variables through "
               "a lagged column of the panel");
    t.label += (k ? ":" : "") + a.label;
    t.expression += (k ? "*(" : "(") + a.expression + ")";
    for (const auto& v : a.variables)
      if (std::find(t.variables.begin(), t.variables.end(), v) == t.variables.end())
        t.variables.push_back(v);
  }
  return t;
}

/// The terms of one '+'-separated piece: an atom, an interaction a:b, or a crossing a*b.
std::vector<Term> parse_piece(const Piece& raw, const Context& ctx) {
  const Piece p = trim(raw);
  const auto crossed = split_top(p, '*', ctx);
  if (crossed.size() > 1) {
    // a*b*c: every non-empty subset, by size, then in order (R's order: main effects first).
    std::vector<Term> atoms;
    for (const auto& c : crossed) {
      const auto inner = split_top(trim(c), ':', ctx);
      if (inner.size() > 1) ctx.fail(p, "mix of ':' and '*' in one term: write it out");
      atoms.push_back(parse_atom(c, ctx));
    }
    const std::size_t m = atoms.size();
    if (m > 10) ctx.fail(p, "more than 10 crossed terms");
    std::vector<Term> out;
    for (std::size_t size = 1; size <= m; ++size)
      for (std::size_t mask = 1; mask < (std::size_t{1} << m); ++mask) {
        if (static_cast<std::size_t>(std::popcount(mask)) != size) continue;
        std::vector<Term> parts;
        for (std::size_t k = 0; k < m; ++k)
          if (mask & (std::size_t{1} << k)) parts.push_back(atoms[k]);
        out.push_back(size == 1 ? parts.front() : interaction(parts, p, ctx));
      }
    return out;
  }
  const auto inter = split_top(p, ':', ctx);
  if (inter.size() > 1) {
    std::vector<Term> parts;
    parts.reserve(inter.size());
    for (const auto& c : inter) parts.push_back(parse_atom(c, ctx));
    return {interaction(parts, p, ctx)};
  }
  return {parse_atom(p, ctx)};
}

}  // namespace

Formula parse_formula(const std::string& text, const std::string& where) {
  const Context ctx(where, text);
  Formula f;
  f.text = text;
  const auto tilde = text.find('~');
  if (tilde == std::string::npos || text.find('~', tilde + 1) != std::string::npos)
    ctx.fail("needs exactly one '~' (y ~ x1 + x2)");
  const Piece lhs{text.substr(0, tilde), 0};
  const auto lhs_terms = parse_piece(lhs, ctx);
  if (lhs_terms.size() != 1 || lhs_terms[0].is_factor() || lhs_terms[0].lag != 0 ||
      lhs_terms[0].label.find(':') != std::string::npos)
    ctx.fail(trim(lhs), "the left-hand side is one variable, function or I() term");
  f.y = lhs_terms[0];
  for (const Piece& piece : split_top({text.substr(tilde + 1), tilde + 1}, '+', ctx)) {
    const Piece p = trim(piece);
    if (p.text == "1" || p.text == "0" || p.text == "-1")
      ctx.fail(p, "the constant is always included (and cannot be removed)");
    for (Term& t : parse_piece(piece, ctx)) {
      if (t.label == f.y.label) ctx.fail(p, f.y.label + " on both sides");
      // R drops a repeated term; a term written twice is more likely a mistake: say so.
      for (const Term& u : f.x)
        if (u.label == t.label) ctx.fail(p, t.label + " appears twice");
      f.x.push_back(std::move(t));
    }
  }
  return f;
}

std::vector<double> evaluate_term(const Term& term,
                                  const std::vector<std::span<const double>>& columns,
                                  const std::function<std::string(std::size_t)>& row_name) {
  REVEST_REQUIRE(!term.is_factor() && columns.size() == term.variables.size(),
                 "formula term '" << term.label << "': " << columns.size() << " columns for "
                                  << term.variables.size() << " variables");
  const std::size_t n = columns.empty() ? 0 : columns.front().size();
  std::vector<double> values(term.variables.size(), 0.0), out(n);
  mu::Parser parser;
  for (std::size_t v = 0; v < term.variables.size(); ++v)
    parser.DefineVar(term.variables[v], &values[v]);
  try {
    parser.SetExpr(term.expression);
    for (std::size_t r = 0; r < n; ++r) {
      for (std::size_t v = 0; v < values.size(); ++v) values[v] = columns[v][r];
      out[r] = parser.Eval();
      if (!std::isfinite(out[r])) {
        std::ostringstream vals;
        for (std::size_t v = 0; v < values.size(); ++v)
          vals << (v ? ", " : "") << term.variables[v] << " = " << values[v];
        REVEST_FAIL("formula term '" << term.label << "' is " << out[r] << " for " << row_name(r)
                                     << " (" << vals.str()
                                     << "): not finite (a log of a value <= 0, a square root of "
                                        "a negative value, a division by zero?)");
      }
    }
  } catch (const mu::Parser::exception_type& e) {
    REVEST_FAIL("formula term '" << term.label << "': " << e.GetMsg());
  }
  return out;
}

FactorColumns factor_columns(const Term& term, const std::vector<std::string>& levels) {
  std::vector<std::string> distinct = levels;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  auto number = [](const std::string& s, double& v) {
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
  };
  double a = 0, b = 0;
  if (std::all_of(distinct.begin(), distinct.end(),
                  [&](const std::string& s) { return number(s, a); }))
    std::sort(distinct.begin(), distinct.end(), [&](const std::string& x, const std::string& y) {
      number(x, a);
      number(y, b);
      return a < b;
    });
  REVEST_REQUIRE(distinct.size() >= 2, "formula term '" << term.label << "': " << term.factor
                                                        << " has one level only ('"
                                                        << (distinct.empty() ? "" : distinct[0])
                                                        << "'): no contrast to estimate");
  FactorColumns fc;
  for (std::size_t l = 1; l < distinct.size(); ++l) {
    fc.labels.push_back(term.label + distinct[l]);
    std::vector<double> col(levels.size());
    for (std::size_t r = 0; r < levels.size(); ++r) col[r] = levels[r] == distinct[l] ? 1.0 : 0.0;
    fc.columns.push_back(std::move(col));
  }
  return fc;
}

}  // namespace revest::spatial
