#include "io/indicators.hpp"

#include <toml++/toml.h>
#include <algorithm>

#include "core/error.hpp"
#include "core/suggest.hpp"
#include "io/job.hpp"

namespace revest::io {

const char* to_string(Domain d) {
  switch (d) {
    case Domain::kAny:
      return "any";
    case Domain::kNonNegative:
      return "nonnegative";
    case Domain::kPositive:
      return "positive";
  }
  return "any";
}

Domain domain_from_string(const std::string& s) {
  if (s == "any") return Domain::kAny;
  if (s == "nonnegative") return Domain::kNonNegative;
  if (s == "positive") return Domain::kPositive;
  REVEST_FAIL("unknown domain '" << s << "' (expected any, nonnegative or positive)");
}

bool Indicator::used_by(const std::string& use) const {
  return std::find(uses.begin(), uses.end(), use) != uses.end();
}

const Indicator* IndicatorSystem::find(const std::string& name) const {
  for (const auto& i : indicators)
    if (i.name == name) return &i;
  return nullptr;
}

const Indicator& IndicatorSystem::get(const std::string& name, const std::string& context) const {
  const Indicator* i = find(name);
  if (!i) {
    std::vector<std::string> names;
    for (const auto& ind : indicators) names.push_back(ind.name);
    REVEST_FAIL(context << ": unknown indicator '" << name << "' (not in the indicator system"
                        << (source.empty() ? std::string() : " " + source) << ")"
                        << did_you_mean(name, names));
  }
  return *i;
}

std::vector<std::string> IndicatorSystem::used_by(const std::string& use) const {
  std::vector<std::string> out;
  for (const auto& i : indicators)
    if (i.used_by(use)) out.push_back(i.name);
  return out;
}

IndicatorSystem load_indicators(const std::filesystem::path& path) {
  toml::table root;
  try {
    root = toml::parse_file(path.string());
  } catch (const toml::parse_error& e) {
    REVEST_FAIL(path.string() << ":" << e.source().begin.line << ":" << e.source().begin.column
                              << ": " << e.description());
  }
  IndicatorSystem sys;
  sys.source = path.string();
  for (auto&& [k, v] : root)
    REVEST_REQUIRE(k.str() == "indicator",
                   where(v) << ": unknown key '" << k.str() << "' (expected [[indicator]] tables)");
  const toml::array* arr = root["indicator"].as_array();
  REVEST_REQUIRE(arr && !arr->empty(), path.string() << ": no [[indicator]] tables");
  static const std::vector<std::string> known = {"name",      "label",  "unit", "group",
                                                 "direction", "domain", "uses", "description"};
  for (const toml::node& n : *arr) {
    const toml::table* t = n.as_table();
    REVEST_REQUIRE(t, where(n) << ": [[indicator]] must be a table");
    for (auto&& [k, v] : *t)
      REVEST_REQUIRE(std::find(known.begin(), known.end(), std::string(k.str())) != known.end(),
                     where(v) << ": unknown indicator key '" << k.str() << "'");
    Indicator ind;
    auto str = [&](const char* key, bool required) -> std::string {
      const toml::node* x = t->get(key);
      if (!x) {
        REVEST_REQUIRE(!required, where(n) << ": indicator is missing '" << key << "'");
        return {};
      }
      REVEST_REQUIRE(x->is_string(), where(*x) << ": '" << key << "' must be a string");
      return x->as_string()->get();
    };
    ind.name = str("name", true);
    REVEST_REQUIRE(!ind.name.empty(), where(*t->get("name"))
                                          << ": indicator 'name' must not be empty");
    ind.label = str("label", false);
    ind.unit = str("unit", false);
    ind.group = str("group", false);
    ind.description = str("description", false);
    const std::string dom = str("domain", false);
    try {
      ind.domain = dom.empty() ? Domain::kAny : domain_from_string(dom);
    } catch (const Error& e) {
      REVEST_FAIL(where(*t->get("domain")) << ": " << e.what());
    }
    if (const toml::node* d = t->get("direction")) {
      REVEST_REQUIRE(
          d->is_integer() && (d->as_integer()->get() == 1 || d->as_integer()->get() == -1),
          where(*d) << ": 'direction' must be 1 (benefit) or -1 (cost)");
      ind.direction = static_cast<int>(d->as_integer()->get());
    }
    if (const toml::node* u = t->get("uses")) {
      const toml::array* ua = u->as_array();
      REVEST_REQUIRE(ua, where(*u) << ": 'uses' must be an array of strings");
      for (const toml::node& s : *ua) {
        REVEST_REQUIRE(s.is_string(), where(s) << ": 'uses' must be an array of strings");
        ind.uses.push_back(s.as_string()->get());
      }
    }
    REVEST_REQUIRE(!sys.find(ind.name), where(n) << ": duplicate indicator '" << ind.name << "'");
    sys.indicators.push_back(std::move(ind));
  }
  return sys;
}

}  // namespace revest::io
