#include "spatial/formula.hpp"

#include "core/error.hpp"

namespace revest::spatial {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

Term parse_term(const std::string& raw, const std::string& where, const std::string& text) {
  std::string t = trim(raw);
  Term term;
  if (t.rfind("log(", 0) == 0) {
    REVEST_REQUIRE(t.back() == ')',
                   where << ": formula '" << text << "': unbalanced log( in '" << t << "'");
    term.log = true;
    t = trim(t.substr(4, t.size() - 5));
  }
  REVEST_REQUIRE(!t.empty() && t.find_first_of("()+~* ") == std::string::npos,
                 where << ": formula '" << text << "': bad term '" << raw
                       << "' (a panel variable or log(variable))");
  term.variable = t;
  return term;
}

}  // namespace

Formula parse_formula(const std::string& text, const std::string& where) {
  Formula f;
  f.text = text;
  const auto tilde = text.find('~');
  REVEST_REQUIRE(tilde != std::string::npos && text.find('~', tilde + 1) == std::string::npos,
                 where << ": formula '" << text << "' needs exactly one '~' (y ~ x1 + x2)");
  f.y = parse_term(text.substr(0, tilde), where, text);
  std::string rhs = text.substr(tilde + 1);
  std::size_t pos = 0;
  while (true) {
    const auto plus = rhs.find('+', pos);
    f.x.push_back(parse_term(
        rhs.substr(pos, plus == std::string::npos ? std::string::npos : plus - pos), where, text));
    if (plus == std::string::npos) break;
    pos = plus + 1;
  }
  for (std::size_t a = 0; a < f.x.size(); ++a) {
    REVEST_REQUIRE(f.x[a].label() != f.y.label(),
                   where << ": formula '" << text << "': " << f.y.label() << " on both sides");
    for (std::size_t b = a + 1; b < f.x.size(); ++b)
      REVEST_REQUIRE(f.x[a].label() != f.x[b].label(),
                     where << ": formula '" << text << "': " << f.x[a].label() << " appears twice");
  }
  return f;
}

}  // namespace revest::spatial
