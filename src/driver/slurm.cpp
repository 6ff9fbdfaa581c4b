#include "driver/slurm.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <ostream>
#include <sstream>

#include "core/error.hpp"
#include "driver/archive.hpp"
#include "driver/runtime.hpp"

extern char** environ;

namespace revest::driver {

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string slurm_job_name(const std::string& text) {
  std::string out;
  for (char c : text)
    out +=
        (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-') ? c : '_';
  return out.empty() ? std::string("revest") : out;
}

std::string render_template(const std::string& templ,
                            const std::vector<std::pair<std::string, std::string>>& values,
                            const std::string& name) {
  std::string out;
  std::size_t line = 1;
  for (std::size_t i = 0; i < templ.size();) {
    if (templ[i] == '@') {
      const auto j = templ.find('@', i + 1);
      if (j != std::string::npos) {
        const std::string key = templ.substr(i + 1, j - i - 1);
        bool is_key = !key.empty();
        for (char c : key)
          is_key = is_key && (std::isupper(static_cast<unsigned char>(c)) || c == '_');
        if (is_key) {
          const auto it = std::find_if(values.begin(), values.end(),
                                       [&](const auto& kv) { return kv.first == key; });
          REVEST_REQUIRE(it != values.end(),
                         name << ":" << line << ": unknown placeholder @" << key << "@");
          out += it->second;
          i = j + 1;
          continue;
        }
      }
    }
    if (templ[i] == '\n') ++line;
    out += templ[i++];
  }
  return out;
}

namespace {

struct Captured {
  int status = -1;
  std::string out, err;
};

/// Runs argv[0] (found on PATH) with `argv`, without a shell; captures its output. The pipes are
/// close-on-exec (dup2 clears the flag on the child's 1 and 2), so the child inherits nothing else.
Captured run_capture(const std::vector<std::string>& argv) {
  int out_pipe[2], err_pipe[2];
  REVEST_REQUIRE(::pipe2(out_pipe, O_CLOEXEC) == 0 && ::pipe2(err_pipe, O_CLOEXEC) == 0,
                 "pipe2() failed");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  Captured c;
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    REVEST_FAIL("cannot run " << argv[0] << ": " << std::strerror(rc)
                              << " (is SLURM installed and on PATH?)");
  }
  auto drain = [](int fd, std::string& s) {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
  };
  drain(out_pipe[0], c.out);  // sbatch's output is short: reading one pipe then the other is safe
  drain(err_pipe[0], c.err);
  int st = 0;
  ::waitpid(pid, &st, 0);
  c.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return c;
}

std::string read_text_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  REVEST_REQUIRE(in, p.string() << ": cannot read the batch script template (set --templates DIR)");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_script(const std::filesystem::path& p, const std::string& text) {
  const auto tmp = p.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    REVEST_REQUIRE(out.good(), tmp << ": cannot write");
  }
  std::filesystem::permissions(
      tmp, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
               std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
               std::filesystem::perms::others_exec);
  std::filesystem::rename(tmp, p);
}

std::string command_line(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s.append(s.empty() ? "" : " ").append(shell_quote(a));
  return s;
}

}  // namespace

std::int64_t slurm_time_seconds(const std::string& t) {
  // "M", "M:S", "H:M:S", "D-H", "D-H:M", "D-H:M:S" (sbatch --time).
  std::int64_t days = 0;
  std::string rest = t;
  const auto dash = t.find('-');
  bool ok = !t.empty();
  std::vector<std::int64_t> f;
  try {
    if (dash != std::string::npos) {
      days = std::stoll(t.substr(0, dash));
      rest = t.substr(dash + 1);
    }
    std::size_t pos = 0;
    while (ok && pos <= rest.size()) {
      const auto colon = rest.find(':', pos);
      const std::string part =
          rest.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos);
      ok = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      });
      if (ok) f.push_back(std::stoll(part));
      if (colon == std::string::npos) break;
      pos = colon + 1;
    }
  } catch (const std::exception&) {
    ok = false;
  }
  ok = ok && !f.empty() && f.size() <= 3 && days >= 0;
  REVEST_REQUIRE(ok,
                 "time limit '" << t << "': expected minutes, M:S, H:M:S, D-H, D-H:M or D-H:M:S");
  if (dash != std::string::npos) {  // D-H[:M[:S]]
    std::int64_t s = days * 86400 + f[0] * 3600;
    if (f.size() > 1) s += f[1] * 60;
    if (f.size() > 2) s += f[2];
    return s;
  }
  if (f.size() == 1) return f[0] * 60;
  if (f.size() == 2) return f[0] * 60 + f[1];
  return f[0] * 3600 + f[1] * 60 + f[2];
}

namespace {

std::string parse_job_id(const Captured& c, const std::vector<std::string>& argv) {
  REVEST_REQUIRE(c.status == 0, "sbatch failed (exit " << c.status << "): " << c.err << c.out
                                                       << "\n  command: " << command_line(argv));
  std::string id = c.out.substr(0, c.out.find_first_of(";\n"));
  REVEST_REQUIRE(!id.empty() && std::all_of(id.begin(), id.end(),
                                            [](char ch) {
                                              return std::isdigit(static_cast<unsigned char>(ch));
                                            }),
                 "sbatch printed no job id: '" << c.out << "'");
  return id;
}

}  // namespace

SubmitResult submit(const SubmitOptions& o, std::ostream& out) {
  // Validate everything now, not after hours in the queue.
  LoadedJob L = load_and_validate(o.job, o.defaults, o.output, /*build_analyses=*/true);
  std::size_t tasks = 0;
  for (const auto& a : L.analyses) tasks += a->num_tasks();
  io::SlurmOptions s = L.job.slurm;
  for (auto [dst, v] : {std::pair{&s.nodes, o.nodes},
                        {&s.ntasks, o.ntasks},
                        {&s.cpus_per_task, o.cpus_per_task},
                        {&s.shards, o.shards},
                        {&s.signal_seconds, o.signal_seconds},
                        {&s.max_requeues, o.max_requeues}})
    if (v >= 0) *dst = v;
  for (auto [dst, v] : {std::pair{&s.time, &o.time},
                        {&s.mem_per_cpu, &o.mem_per_cpu},
                        {&s.partition, &o.partition},
                        {&s.account, &o.account},
                        {&s.qos, &o.qos}})
    if (!v->empty()) *dst = *v;
  if (o.no_requeue) s.requeue = false;
  REVEST_REQUIRE(s.ntasks >= 1 && s.cpus_per_task >= 1 && s.shards >= 1 && s.nodes >= 0 &&
                     s.signal_seconds >= 0 && s.max_requeues >= 0,
                 "submit: --ntasks, --cpus-per-task, --shards must be >= 1; --nodes, --signal, "
                 "--max-requeues >= 0");
  auto safe = [](const std::string& v) {
    return std::all_of(v.begin(), v.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) ||
             std::string("._:,/@%+-").find(c) != std::string::npos;
    });
  };
  for (const auto& [k, v] :
       std::vector<std::pair<const char*, std::string>>{{"--time", s.time},
                                                        {"--mem-per-cpu", s.mem_per_cpu},
                                                        {"--partition", s.partition},
                                                        {"--account", s.account},
                                                        {"--qos", s.qos}})
    REVEST_REQUIRE(safe(v), "submit: " << k << " '" << v
                                       << "' may contain only letters, digits and ._:,/@%+-");

  const std::int64_t limit = slurm_time_seconds(s.time);
  REVEST_REQUIRE(s.signal_seconds < limit,
                 "submit: the warning signal ("
                     << s.signal_seconds
                     << " s before the limit) must come before the time limit itself (" << s.time
                     << " = " << limit << " s); lower --signal or raise --time");
  if (s.signal_seconds > 0 && 2 * (std::int64_t{s.signal_seconds} + 30) > limit)
    out << "warning: SIGUSR1 comes " << s.signal_seconds << "-" << s.signal_seconds + 30
        << " s before the " << limit << " s limit, so each run segment works at most "
        << std::max<std::int64_t>(0, limit - s.signal_seconds - 30) << "-"
        << limit - s.signal_seconds
        << " s before it checkpoints and is requeued (raise --time or lower --signal)\n";
  const std::filesystem::path output = std::filesystem::absolute(L.job.output).lexically_normal();
  const std::filesystem::path dir = o.script_dir.empty()
                                        ? output.parent_path() / (L.job.name + ".slurm")
                                        : std::filesystem::absolute(o.script_dir);
  std::filesystem::create_directories(dir);
  SubmitResult r;
  r.run_script = dir / "run.sbatch";
  r.merge_script = dir / "merge.sbatch";

  // What is left to do.
  if (archive_state(output) == ArchiveState::kComplete) {
    out << output.string()
        << " is already complete: nothing to submit (remove it, or give another --output, to "
        << "compute it again)\n";
    r.nothing_to_do = true;
    return r;
  }
  if (s.shards > 1)
    for (int k = 0; k < s.shards; ++k)
      if (archive_state(shard_path(output, ShardSpec{k, s.shards})) != ArchiveState::kComplete)
        r.shards.push_back(k);

  const std::string name = slurm_job_name(L.job.name);
  auto directives = [&](bool merge) {
    std::ostringstream d;
    d << "#SBATCH --job-name=" << name << (merge ? "-merge" : "") << "\n";
    d << "#SBATCH --output="
      << (merge ? "merge-%j.log" : (s.shards > 1 ? "run-%A_%a.log" : "run-%j.log")) << "\n";
    d << "#SBATCH --open-mode=append\n";
    if (merge) {
      d << "#SBATCH --ntasks=1\n";
    } else {
      if (s.nodes > 0) d << "#SBATCH --nodes=" << s.nodes << "\n";
      d << "#SBATCH --ntasks=" << s.ntasks << "\n";
      if (s.cpus_per_task > 1) d << "#SBATCH --cpus-per-task=" << s.cpus_per_task << "\n";
    }
    d << "#SBATCH --time=" << s.time << "\n";
    if (!s.mem_per_cpu.empty()) d << "#SBATCH --mem-per-cpu=" << s.mem_per_cpu << "\n";
    if (!s.partition.empty()) d << "#SBATCH --partition=" << s.partition << "\n";
    if (!s.account.empty()) d << "#SBATCH --account=" << s.account << "\n";
    if (!s.qos.empty()) d << "#SBATCH --qos=" << s.qos << "\n";
    if (!merge) {
      if (s.signal_seconds > 0) d << "#SBATCH --signal=USR1@" << s.signal_seconds << "\n";
      if (s.requeue)
        d << "#SBATCH --requeue\n";
      else
        d << "#SBATCH --no-requeue\n";
    }
    for (const auto& e : s.extra) d << "#SBATCH " << e << "\n";
    std::string text = d.str();
    text.pop_back();
    return text;
  };
  const std::filesystem::path revest = std::filesystem::absolute(o.revest);
  const std::vector<std::pair<std::string, std::string>> common = {
      {"REVEST", shell_quote(revest.string())},
      {"JOB", shell_quote(std::filesystem::absolute(o.job).lexically_normal().string())},
      {"DEFAULTS", shell_quote(std::filesystem::absolute(o.defaults).lexically_normal().string())},
      {"OUTPUT", shell_quote(output.string())},
      {"SHARDS", std::to_string(s.shards)},
      {"REQUEUE", s.requeue ? "1" : "0"},
      {"MAX_REQUEUES", std::to_string(s.max_requeues)},
      {"JOB_NAME", shell_quote(L.job.name)}};
  auto values = [&](bool merge) {
    auto v = common;
    v.emplace_back("SBATCH", directives(merge));
    return v;
  };
  const auto run_t = o.templates / "run.sbatch.in";
  const auto merge_t = o.templates / "merge.sbatch.in";
  write_script(r.run_script, render_template(read_text_file(run_t), values(false), run_t.string()));
  if (s.shards > 1)
    write_script(r.merge_script,
                 render_template(read_text_file(merge_t), values(true), merge_t.string()));

  out << "job '" << L.job.name << "': " << L.job.analyses.size() << " analyses, " << tasks
      << " tasks -> " << output.string() << "\n";
  // sbatch starts the job in --chdir, where the relative #SBATCH --output logs go.
  std::vector<std::string> run_cmd = {o.sbatch, "--parsable", "--chdir=" + dir.string()};
  if (s.shards > 1) {
    std::string arr;
    for (auto k : r.shards) arr.append(arr.empty() ? "" : ",").append(std::to_string(k));
    out << "shards: " << s.shards << " ("
        << (r.shards.empty() ? std::string("all complete")
                             : std::to_string(r.shards.size()) + " to run: " + arr)
        << "), each " << s.ntasks << " task(s), time limit " << s.time << "\n";
    if (!r.shards.empty()) run_cmd.push_back("--array=" + arr);
  } else {
    out << "resources: " << s.ntasks << " task(s), time limit " << s.time << "\n";
  }
  run_cmd.push_back(r.run_script.string());
  const bool run_needed = s.shards == 1 || !r.shards.empty();
  out << "scripts in " << dir.string() << " (logs there too)\n";
  if (o.dry_run) {
    if (run_needed) out << "dry run: would submit: " << command_line(run_cmd) << "\n";
    if (s.shards > 1) {
      out << "dry run: would submit: " << shell_quote(o.sbatch) << " --parsable "
          << shell_quote("--chdir=" + dir.string())
          << (run_needed ? " --dependency=afterok:<array job id> --kill-on-invalid-dep=yes " : " ")
          << shell_quote(r.merge_script.string()) << "\n";
      if (run_needed)
        out << "dry run: would submit: " << shell_quote(o.sbatch) << " --parsable "
            << shell_quote("--chdir=" + dir.string())
            << " --dependency=afternotok:<array job id> --kill-on-invalid-dep=yes "
            << shell_quote(r.merge_script.string())
            << "   (runs only if a shard failed: its log says which)\n";
    }
    return r;
  }
  if (run_needed) {
    r.run_job_id = parse_job_id(run_capture(run_cmd), run_cmd);
    out << "submitted " << (s.shards > 1 ? "array job " : "job ") << r.run_job_id << "\n";
  }
  if (s.shards > 1) {
    auto merge_cmd = [&](const std::string& dependency) {
      std::vector<std::string> cmd = {o.sbatch, "--parsable", "--chdir=" + dir.string()};
      if (!dependency.empty()) {
        cmd.push_back("--dependency=" + dependency + ":" + r.run_job_id);
        cmd.push_back("--kill-on-invalid-dep=yes");
      }
      cmd.push_back(r.merge_script.string());
      return cmd;
    };
    const auto mc = merge_cmd(run_needed ? "afterok" : "");
    r.merge_job_id = parse_job_id(run_capture(mc), mc);
    out << "submitted merge job " << r.merge_job_id
        << (run_needed ? " (runs after every shard succeeded)" : "") << "\n";
    if (run_needed) {
      // The same merge, run only if a shard failed (SLURM cancels the other): it refuses, and its
      // log names the failed shards and how to re-run just those.
      const auto dc = merge_cmd("afternotok");
      r.diagnose_job_id = parse_job_id(run_capture(dc), dc);
      out << "submitted job " << r.diagnose_job_id
          << " (runs only if a shard failed; its log names the shards to re-run)\n";
    }
  }
  return r;
}

}  // namespace revest::driver
