#include "io/job.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.hpp"

namespace revest::io {

std::string where(const toml::node& node) {
  const auto& src = node.source();
  std::ostringstream os;
  os << (src.path ? *src.path : std::string("<job>"));
  if (src.begin.line > 0) os << ":" << src.begin.line << ":" << src.begin.column;
  return os.str();
}

const char* to_string(Schedule s) { return s == Schedule::kStatic ? "static" : "dynamic"; }

namespace {

const char* type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    default:
      return "date/time";
  }
}

const char* article(const char* noun) {
  return (noun[0] == 'a' || noun[0] == 'i' || noun[0] == 'e' || noun[0] == 'o' || noun[0] == 'u')
             ? "an "
             : "a ";
}

toml::table parse_toml_file(const std::filesystem::path& path) {
  try {
    return toml::parse_file(path.string());
  } catch (const toml::parse_error& e) {
    REVEST_FAIL(path.string() << ":" << e.source().begin.line << ":" << e.source().begin.column
                              << ": TOML syntax error: " << e.description());
  }
}

/// Merges `job` over `defaults` (the schema) into `out`: unknown keys and type mismatches are
/// errors naming the job file and line. Keys in `skip` are left out. `context` names the
/// enclosing table for messages. Iterates the parsed job nodes themselves (toml++ copies drop
/// source positions), recording each job key's position in `where_out` (dotted key -> FILE:LINE:COL).
void merge(const toml::table& job, const toml::table& defaults, toml::table& out,
           const std::string& context, const std::vector<std::string>& skip,
           std::map<std::string, std::string>* where_out, const std::string& prefix = "") {
  for (auto&& [k, v] : defaults)
    if (std::find(skip.begin(), skip.end(), std::string(k.str())) == skip.end())
      out.insert_or_assign(k.str(), v);
  for (auto&& [k, v] : job) {
    const std::string key(k.str());
    if (std::find(skip.begin(), skip.end(), key) != skip.end()) continue;
    const toml::node* d = defaults.get(key);
    REVEST_REQUIRE(
        d, where(v) << ": unknown key '" << key << "'"
                    << (prefix.empty() ? "" : " in [" + prefix.substr(0, prefix.size() - 1) + "]")
                    << context);
    const bool num_ok = d->is_floating_point() && v.is_integer();
    REVEST_REQUIRE(d->type() == v.type() || num_ok,
                   where(v) << ": key '" << key << "'" << context << " must be "
                            << article(type_name(d->type())) << type_name(d->type()) << ", not "
                            << article(type_name(v.type())) << type_name(v.type()));
    if (where_out) (*where_out)[prefix + key] = where(v);
    if (d->is_table()) {
      toml::table sub;
      merge(*v.as_table(), *d->as_table(), sub, context, {}, where_out, prefix + key + ".");
      out.insert_or_assign(key, std::move(sub));
    } else if (num_ok) {
      toml::value<double> f(static_cast<double>(v.as_integer()->get()));
      out.insert_or_assign(key, f);
    } else {
      out.insert_or_assign(key, v);
    }
  }
}

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& p) {
  std::filesystem::path q(p);
  if (q.is_absolute()) return q.lexically_normal();
  return (base / q).lexically_normal();
}

void set_path(toml::table& t, const std::string& key, const std::filesystem::path& job_dir,
              const std::filesystem::path& defaults_dir, const toml::table& job_section,
              const std::string& name = "") {
  std::string raw = t[key].value_or(std::string());
  if (!name.empty()) {
    const auto pos = raw.find("{name}");
    if (pos != std::string::npos) raw.replace(pos, 6, name);
  }
  const bool from_job = job_section.contains(key);
  t.insert_or_assign(key, resolve(from_job ? job_dir : defaults_dir, raw).string());
}

Job job_from_table(const toml::table& eff) {
  Job job;
  job.name = eff["name"].value_or(std::string());
  job.seed = static_cast<std::uint64_t>(eff["seed"].value_or(std::int64_t{0}));
  job.output = eff["output"].value_or(std::string());
  job.description = eff["description"].value_or(std::string());
  const toml::table& data = *eff["data"].as_table();
  job.geography = data["geography"].value_or(std::string());
  // Absent in archives of revest < 0.2 (no polygon geographies then).
  job.geography_id = data["geography_id"].value_or(std::string());
  job.geography_name = data["geography_name"].value_or(std::string());
  job.geography_snap_m = data["geography_snap_m"].value_or(0.0);
  job.drop_unmatched = data["unmatched_units"].value_or(std::string("error")) == "drop";
  // Absent in archives of revest < 0.3 (balanced panels only then).
  job.allow_unbalanced = data["unbalanced"].value_or(std::string("error")) == "allow";
  job.panel = data["panel"].value_or(std::string());
  job.indicators = data["indicators"].value_or(std::string());
  job.projects = data["projects"].value_or(std::string());
  job.first_year = static_cast<int>(data["years"][0].value_or(std::int64_t{0}));
  job.last_year = static_cast<int>(data["years"][1].value_or(std::int64_t{0}));
  const toml::table& rt = *eff["runtime"].as_table();
  job.schedule = rt["schedule"].value_or(std::string("static")) == "dynamic" ? Schedule::kDynamic
                                                                             : Schedule::kStatic;
  job.progress_seconds = rt["progress_seconds"].value_or(10.0);
  job.chunk_tasks = static_cast<std::size_t>(rt["chunk_tasks"].value_or(std::int64_t{0}));
  job.checkpoint_seconds = rt["checkpoint_seconds"].value_or(10.0);
  job.check_free_space = rt["check_free_space"].value_or(true);  // absent in older archives
  if (const toml::table* sl = eff["slurm"].as_table()) {  // absent in archives of revest < 0.6
    SlurmOptions& o = job.slurm;
    const SlurmOptions d;
    o.nodes = static_cast<int>((*sl)["nodes"].value_or(std::int64_t{d.nodes}));
    o.ntasks = static_cast<int>((*sl)["ntasks"].value_or(std::int64_t{d.ntasks}));
    o.cpus_per_task =
        static_cast<int>((*sl)["cpus_per_task"].value_or(std::int64_t{d.cpus_per_task}));
    o.time = (*sl)["time"].value_or(d.time);
    o.mem_per_cpu = (*sl)["mem_per_cpu"].value_or(d.mem_per_cpu);
    o.partition = (*sl)["partition"].value_or(d.partition);
    o.account = (*sl)["account"].value_or(d.account);
    o.qos = (*sl)["qos"].value_or(d.qos);
    o.signal_seconds =
        static_cast<int>((*sl)["signal_seconds"].value_or(std::int64_t{d.signal_seconds}));
    o.requeue = (*sl)["requeue"].value_or(d.requeue);
    o.max_requeues = static_cast<int>((*sl)["max_requeues"].value_or(std::int64_t{d.max_requeues}));
    o.shards = static_cast<int>((*sl)["shards"].value_or(std::int64_t{d.shards}));
    if (const toml::array* ex = (*sl)["extra"].as_array())
      for (const toml::node& n : *ex) o.extra.push_back(n.value_or(std::string()));
  }
  if (const toml::array* arr = eff["analysis"].as_array())
    for (const toml::node& n : *arr) {
      AnalysisConfig a;
      a.options = *n.as_table();
      a.kind = a.options["kind"].value_or(std::string());
      a.name = a.options["name"].value_or(std::string());
      a.options.erase("kind");
      a.options.erase("name");
      job.analyses.push_back(std::move(a));
    }
  return job;
}

toml::table effective_table(const Job& job) {
  toml::table t;
  t.insert("name", job.name);
  t.insert("seed", static_cast<std::int64_t>(job.seed));
  t.insert("output", job.output.string());
  t.insert("description", job.description);
  toml::table data;
  data.insert("geography", job.geography.string());
  data.insert("geography_id", job.geography_id);
  data.insert("geography_name", job.geography_name);
  data.insert("geography_snap_m", job.geography_snap_m);
  data.insert("unmatched_units", std::string(job.drop_unmatched ? "drop" : "error"));
  data.insert("unbalanced", std::string(job.allow_unbalanced ? "allow" : "error"));
  data.insert("panel", job.panel.string());
  data.insert("indicators", job.indicators.string());
  data.insert("projects", job.projects.string());
  data.insert("years", toml::array{job.first_year, job.last_year});
  t.insert("data", std::move(data));
  toml::table rt;
  rt.insert("schedule", std::string(to_string(job.schedule)));
  rt.insert("progress_seconds", job.progress_seconds);
  rt.insert("chunk_tasks", static_cast<std::int64_t>(job.chunk_tasks));
  rt.insert("checkpoint_seconds", job.checkpoint_seconds);
  rt.insert("check_free_space", job.check_free_space);
  t.insert("runtime", std::move(rt));
  toml::table sl;
  sl.insert("nodes", static_cast<std::int64_t>(job.slurm.nodes));
  sl.insert("ntasks", static_cast<std::int64_t>(job.slurm.ntasks));
  sl.insert("cpus_per_task", static_cast<std::int64_t>(job.slurm.cpus_per_task));
  sl.insert("time", job.slurm.time);
  sl.insert("mem_per_cpu", job.slurm.mem_per_cpu);
  sl.insert("partition", job.slurm.partition);
  sl.insert("account", job.slurm.account);
  sl.insert("qos", job.slurm.qos);
  sl.insert("signal_seconds", static_cast<std::int64_t>(job.slurm.signal_seconds));
  sl.insert("requeue", job.slurm.requeue);
  sl.insert("max_requeues", static_cast<std::int64_t>(job.slurm.max_requeues));
  sl.insert("shards", static_cast<std::int64_t>(job.slurm.shards));
  toml::array extra;
  for (const auto& e : job.slurm.extra) extra.push_back(e);
  sl.insert("extra", std::move(extra));
  t.insert("slurm", std::move(sl));
  toml::array analyses;
  for (const auto& a : job.analyses) {
    toml::table at;
    at.insert("kind", a.kind);
    at.insert("name", a.name);
    for (auto&& [k, v] : a.options) at.insert(k.str(), v);
    analyses.push_back(std::move(at));
  }
  t.insert("analysis", std::move(analyses));
  return t;
}

}  // namespace

std::string Job::effective_toml() const {
  std::ostringstream os;
  os << "# effective configuration of job '" << name << "' (defaults filled in)\n"
     << effective_table(*this) << "\n";
  return os.str();
}

std::string Job::fingerprint_toml() const {
  toml::table t = effective_table(*this);
  t.erase("output");
  t.erase("slurm");
  // Whether the free space is checked changes no result (and archives of earlier revests, which
  // have no such key, stay resumable).
  t["runtime"].as_table()->erase("check_free_space");
  toml::table& data = *t["data"].as_table();
  for (const char* k : {"geography", "panel", "indicators", "projects"}) data.erase(k);
  std::ostringstream os;
  os << t << "\n";
  return os.str();
}

Job load_job(const std::filesystem::path& job_path, const std::filesystem::path& defaults_path) {
  const toml::table defaults = parse_toml_file(defaults_path);
  std::string text;
  {
    std::ifstream in(job_path, std::ios::binary);
    REVEST_REQUIRE(in, job_path.string() << ": cannot open job file");
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  const std::string jp0 = job_path.string();
  toml::table job;
  try {
    job = toml::parse(std::string_view(text), std::string_view(jp0));
  } catch (const toml::parse_error& e) {
    REVEST_FAIL(job_path.string() << ":" << e.source().begin.line << ":" << e.source().begin.column
                                  << ": TOML syntax error: " << e.description());
  }
  const std::string jp = job_path.string();
  // Required keys.
  const toml::node* name = job.get("name");
  REVEST_REQUIRE(name, jp << ": missing required key 'name'");
  REVEST_REQUIRE(name->is_string() && !name->as_string()->get().empty(),
                 where(*name) << ": 'name' must be a non-empty string");
  const std::string job_name = name->as_string()->get();
  for (char c : job_name)
    REVEST_REQUIRE(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.',
                   where(*name) << ": 'name' may contain only letters, digits, '_', '-', '.'");
  const toml::node* seed = job.get("seed");
  REVEST_REQUIRE(seed, jp << ": missing required key 'seed' (a non-negative integer; revest never "
                             "takes a seed from the clock)");
  REVEST_REQUIRE(seed->is_integer(), where(*seed) << ": 'seed' must be an integer");
  REVEST_REQUIRE(seed->as_integer()->get() >= 0, where(*seed) << ": 'seed' must be non-negative");

  // Everything but name, seed and analysis is checked against the defaults.
  const toml::table& top_job = job;
  toml::table eff;
  merge(job, defaults, eff, "", {"name", "seed", "analysis"}, nullptr);
  eff.insert_or_assign("name", job_name);
  eff.insert_or_assign("seed", seed->as_integer()->get());

  const std::filesystem::path job_dir = job_path.parent_path();
  const std::filesystem::path def_dir = defaults_path.parent_path();
  set_path(eff, "output", job_dir, def_dir, top_job, job_name);
  {
    toml::table& data = *eff["data"].as_table();
    const toml::table empty;
    const toml::table* jd = top_job["data"].as_table();
    for (const char* k : {"geography", "panel", "indicators", "projects"})
      set_path(data, k, job_dir, def_dir, jd ? *jd : empty);
    const toml::node& un = (jd && jd->get("unmatched_units")) ? *jd->get("unmatched_units")
                                                              : *data.get("unmatched_units");
    const std::string unmatched = data["unmatched_units"].value_or(std::string());
    REVEST_REQUIRE(unmatched == "error" || unmatched == "drop",
                   where(un) << ": 'unmatched_units' must be \"error\" or \"drop\", got '"
                             << unmatched << "'");
    // Absent from the defaults of archives written before revest 0.3: "error".
    if (const toml::node* ub =
            (jd && jd->get("unbalanced")) ? jd->get("unbalanced") : data.get("unbalanced")) {
      const std::string unbalanced = ub->value_or(std::string());
      REVEST_REQUIRE(unbalanced == "error" || unbalanced == "allow",
                     where(*ub) << ": 'unbalanced' must be \"error\" or \"allow\", got '"
                                << unbalanced << "'");
    }
    const toml::array* years = data["years"].as_array();
    const toml::node& yn = (jd && jd->get("years")) ? *jd->get("years") : *data.get("years");
    REVEST_REQUIRE(
        years && years->size() == 2 && (*years)[0].is_integer() && (*years)[1].is_integer(),
        where(yn) << ": 'years' must be [first, last] (two integers)");
    REVEST_REQUIRE((*years)[0].as_integer()->get() <= (*years)[1].as_integer()->get(),
                   where(yn) << ": 'years': first year after last year");
  }
  {
    // Messages point at the job's own node when it sets the key, else at the default.
    const toml::table& rt = *eff["runtime"].as_table();
    const toml::table* jrt = job["runtime"].as_table();
    const toml::table* drt = defaults["runtime"].as_table();
    auto src = [&](const char* key) -> std::string {
      if (jrt && jrt->get(key)) return where(*jrt->get(key));
      return (drt && drt->get(key)) ? where(*drt->get(key)) + " (default)"
                                    : std::string("[runtime]");
    };
    const std::string s = rt["schedule"].value_or(std::string());
    REVEST_REQUIRE(s == "static" || s == "dynamic",
                   src("schedule")
                       << ": 'schedule' must be \"static\" or \"dynamic\", not \"" << s << "\"");
    REVEST_REQUIRE(rt["progress_seconds"].value_or(0.0) > 0,
                   src("progress_seconds") << ": 'progress_seconds' must be positive");
    REVEST_REQUIRE(rt["chunk_tasks"].value_or(std::int64_t{-1}) >= 0,
                   src("chunk_tasks") << ": 'chunk_tasks' must be >= 0");
    REVEST_REQUIRE(rt["checkpoint_seconds"].value_or(-1.0) >= 0,
                   src("checkpoint_seconds") << ": 'checkpoint_seconds' must be >= 0");
  }
  if (const toml::table* sl = eff["slurm"].as_table()) {
    const toml::table* jsl = job["slurm"].as_table();
    const toml::table* dsl = defaults["slurm"].as_table();
    auto src = [&](const char* key) -> std::string {
      if (jsl && jsl->get(key)) return where(*jsl->get(key));
      return (dsl && dsl->get(key)) ? where(*dsl->get(key)) + " (default)" : std::string("[slurm]");
    };
    for (const char* k : {"nodes", "max_requeues", "signal_seconds"})
      REVEST_REQUIRE((*sl)[k].value_or(std::int64_t{-1}) >= 0,
                     src(k) << ": '" << k << "' must be >= 0");
    for (const char* k : {"ntasks", "cpus_per_task", "shards"})
      REVEST_REQUIRE((*sl)[k].value_or(std::int64_t{0}) >= 1,
                     src(k) << ": '" << k << "' must be >= 1");
    // Values go into #SBATCH lines: a safe alphabet only (no spaces, quotes, newlines).
    auto safe = [](const std::string& v, bool allow_eq) {
      for (char c : v)
        if (!(std::isalnum(static_cast<unsigned char>(c)) ||
              std::string("._:,/@%+-").find(c) != std::string::npos || (allow_eq && c == '=')))
          return false;
      return true;
    };
    for (const char* k : {"time", "mem_per_cpu", "partition", "account", "qos"})
      REVEST_REQUIRE(safe((*sl)[k].value_or(std::string()), false),
                     src(k) << ": '" << k << "' may contain only letters, digits and ._:,/@%+-");
    REVEST_REQUIRE(!(*sl)["time"].value_or(std::string()).empty(),
                   src("time") << ": 'time' must not be empty");
    if (const toml::array* ex = (*sl)["extra"].as_array())
      for (const toml::node& n : *ex) {
        const std::string e = n.value_or(std::string());
        REVEST_REQUIRE(
            n.is_string() && e.size() > 2 && e.rfind("--", 0) == 0 && safe(e.substr(2), true),
            src("extra")
                << ": each entry of 'extra' must be one sbatch option \"--name[=value]\" of "
                   "letters, digits and ._:,/@%+=- (got \""
                << e << "\")");
      }
  }

  // Analyses.
  toml::array analyses;
  std::vector<std::map<std::string, std::string>> where_by_analysis;
  const toml::table* kinds = defaults["analysis"].as_table();
  if (const toml::node* an = job.get("analysis")) {
    const toml::array* arr = an->as_array();
    REVEST_REQUIRE(arr && arr->is_array_of_tables(),
                   where(*an) << ": 'analysis' must be an array of tables ([[analysis]])");
    std::vector<std::string> names;
    for (const toml::node& n : *arr) {
      const toml::table& at = *n.as_table();
      const toml::node* kind = at.get("kind");
      REVEST_REQUIRE(kind && kind->is_string(), where(n) << ": [[analysis]] needs a string 'kind'");
      const std::string k = kind->as_string()->get();
      const toml::table* kd = kinds ? (*kinds)[k].as_table() : nullptr;
      if (!kd) {
        std::string known;
        if (kinds)
          for (auto&& [kk, vv] : *kinds)
            known += (known.empty() ? "" : ", ") + std::string(kk.str());
        REVEST_FAIL(where(*kind) << ": unknown analysis kind '" << k << "' (known: " << known
                                 << ")");
      }
      std::string nm = k;
      if (const toml::node* nn = at.get("name")) {
        REVEST_REQUIRE(nn->is_string() && !nn->as_string()->get().empty(),
                       where(*nn) << ": analysis 'name' must be a non-empty string");
        nm = nn->as_string()->get();
        for (char c : nm)
          REVEST_REQUIRE(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-',
                         where(*nn)
                             << ": analysis name may contain only letters, digits, '_', '-'");
      }
      REVEST_REQUIRE(std::find(names.begin(), names.end(), nm) == names.end(),
                     where(n) << ": duplicate analysis name '" << nm
                              << "' (set a distinct 'name' for each analysis)");
      names.push_back(nm);
      toml::table merged;
      std::map<std::string, std::string> opt_where;
      merge(at, *kd, merged, " in analysis '" + nm + "' (kind " + k + ")", {"kind", "name"},
            &opt_where);
      for (auto&& [kk, vv] : *kd)
        if (!opt_where.count(std::string(kk.str())))
          opt_where[std::string(kk.str())] = io::where(vv) + " (default)";
      where_by_analysis.push_back(std::move(opt_where));
      toml::table full;
      full.insert("kind", k);
      full.insert("name", nm);
      for (auto&& [kk, vv] : merged) full.insert(kk.str(), vv);
      analyses.push_back(std::move(full));
    }
  }
  eff.insert_or_assign("analysis", std::move(analyses));
  Job out = job_from_table(eff);
  for (std::size_t a = 0; a < out.analyses.size(); ++a)
    out.analyses[a].where = where_by_analysis[a];
  out.file = job_path.string();
  out.text = std::move(text);
  return out;
}

Job job_from_effective(const std::string& effective_toml, const std::string& job_text) {
  toml::table eff;
  try {
    eff = toml::parse(std::string_view(effective_toml),
                      std::string_view("<effective configuration>"));
  } catch (const toml::parse_error& e) {
    REVEST_FAIL("effective configuration: " << e.description());
  }
  Job job = job_from_table(eff);
  job.text = job_text;
  return job;
}

// ---- OptionView ----

const toml::node& OptionView::node(const std::string& key) const {
  const toml::node* n = cfg_.options.get(key);
  REVEST_REQUIRE(n,
                 "analysis '" << cfg_.name << "': option '" << key
                              << "' is not defined (internal: missing from config/defaults.toml)");
  return *n;
}

std::string OptionView::where(const std::string& key) const {
  std::ostringstream os;
  auto it = cfg_.where.find(key);
  os << (it != cfg_.where.end() ? it->second : io::where(node(key))) << ": analysis '" << cfg_.name
     << "' option '" << key << "'";
  return os.str();
}

bool OptionView::given(const std::string& key) const {
  auto it = cfg_.where.find(key);
  static const std::string kDefault = " (default)";
  return it != cfg_.where.end() && !it->second.ends_with(kDefault);
}

std::string OptionView::get_string(const std::string& key) const {
  const toml::node& n = node(key);
  REVEST_REQUIRE(n.is_string(), where(key) << " must be a string");
  return n.as_string()->get();
}

std::int64_t OptionView::get_int(const std::string& key) const {
  const toml::node& n = node(key);
  REVEST_REQUIRE(n.is_integer(), where(key) << " must be an integer");
  return n.as_integer()->get();
}

double OptionView::get_double(const std::string& key) const {
  const toml::node& n = node(key);
  if (n.is_integer()) return static_cast<double>(n.as_integer()->get());
  REVEST_REQUIRE(n.is_floating_point(), where(key) << " must be a number");
  return n.as_floating_point()->get();
}

bool OptionView::get_bool(const std::string& key) const {
  const toml::node& n = node(key);
  REVEST_REQUIRE(n.is_boolean(), where(key) << " must be true or false");
  return n.as_boolean()->get();
}

std::vector<std::string> OptionView::get_strings(const std::string& key) const {
  const toml::node& n = node(key);
  const toml::array* a = n.as_array();
  REVEST_REQUIRE(a, where(key) << " must be an array of strings");
  std::vector<std::string> out;
  for (const toml::node& e : *a) {
    REVEST_REQUIRE(e.is_string(), where(key) << " must be an array of strings");
    out.push_back(e.as_string()->get());
  }
  return out;
}

std::vector<double> OptionView::get_doubles(const std::string& key) const {
  const toml::node& n = node(key);
  const toml::array* a = n.as_array();
  REVEST_REQUIRE(a, where(key) << " must be an array of numbers");
  std::vector<double> out;
  for (const toml::node& e : *a) {
    if (const auto* i = e.as_integer()) {
      out.push_back(static_cast<double>(i->get()));
    } else {
      REVEST_REQUIRE(e.is_floating_point(), where(key) << " must be an array of numbers");
      out.push_back(e.as_floating_point()->get());
    }
  }
  return out;
}

std::string OptionView::get_choice(const std::string& key,
                                   const std::vector<std::string>& allowed) const {
  std::string s = get_string(key);
  if (std::find(allowed.begin(), allowed.end(), s) != allowed.end()) return s;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "\"" : ", \"") + a + "\"";
  REVEST_FAIL(where(key) << " must be one of " << list << ", not \"" << s << "\"");
}

}  // namespace revest::io
