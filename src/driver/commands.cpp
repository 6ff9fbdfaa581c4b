#include "driver/commands.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>

#include "core/error.hpp"
#include "driver/archive.hpp"
#include "driver/checksums.hpp"
#include "driver/h5.hpp"
#include "io/csv.hpp"

#ifndef REVEST_SOURCE_DIR_DEFAULT
#define REVEST_SOURCE_DIR_DEFAULT "."
#endif

namespace revest::driver {

using h5::Handle;

std::filesystem::path find_defaults(const std::string& explicit_path,
                                    const std::filesystem::path& job) {
  if (!explicit_path.empty()) return explicit_path;
  if (const char* env = std::getenv("REVEST_DEFAULTS")) return env;
  const auto near =
      std::filesystem::absolute(job).parent_path() / ".." / "config" / "defaults.toml";
  if (std::filesystem::exists(near)) return near.lexically_normal();
  return std::filesystem::path(REVEST_SOURCE_DIR_DEFAULT) / "config" / "defaults.toml";
}

std::filesystem::path find_templates(const std::filesystem::path& job) {
  if (const char* env = std::getenv("REVEST_TEMPLATES")) return env;
  const auto near = std::filesystem::absolute(job).parent_path() / ".." / "slurm";
  if (std::filesystem::exists(near / "run.sbatch.in")) return near.lexically_normal();
  return std::filesystem::path(REVEST_SOURCE_DIR_DEFAULT) / "slurm";
}

namespace {

std::vector<std::string> list_children(hid_t g) {
  std::vector<std::string> names;
  H5G_info_t info;
  H5Gget_info(g, &info);
  for (hsize_t k = 0; k < info.nlinks; ++k) {
    char buf[512];
    // Creation order where tracked, else by name.
    ssize_t n = H5Lget_name_by_idx(g, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, k, buf, sizeof buf,
                                   H5P_DEFAULT);
    if (n < 0)
      n = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, k, buf, sizeof buf, H5P_DEFAULT);
    if (n >= 0) names.emplace_back(buf);
  }
  return names;
}

std::string cell(const Column& c, std::size_t r) {
  return std::visit(
      [&](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::vector<double>>)
          return io::format_double(v[r]);
        else if constexpr (std::is_same_v<T, std::vector<std::int64_t>>)
          return std::to_string(v[r]);
        else
          return v[r];
      },
      c.data);
}

void write_table_csv(const Table& t, const std::filesystem::path& path) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  REVEST_REQUIRE(out, path.string() << ": cannot open for writing");
  for (std::size_t c = 0; c < t.columns.size(); ++c)
    out << (c ? "," : "") << io::csv_escape(t.columns[c].name);
  out << "\n";
  const std::size_t n = t.columns.empty() ? 0 : t.columns[0].size();
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t c = 0; c < t.columns.size(); ++c)
      out << (c ? "," : "") << io::csv_escape(cell(t.columns[c], r));
    out << "\n";
  }
  REVEST_REQUIRE(out.good(), path.string() << ": write failed");
}

std::vector<std::string> read_messages(hid_t f, const std::string& analysis, std::size_t n) {
  const std::string buf = archive_read_messages(f, analysis, n);
  std::vector<std::string> out;
  for (std::size_t k = 0; k < n; ++k) {
    const char* s = buf.data() + k * kMessageLength;
    out.emplace_back(s, strnlen(s, kMessageLength));
  }
  return out;
}

}  // namespace

void inspect_archive(const std::filesystem::path& path, std::ostream& out, std::size_t rows) {
  REVEST_REQUIRE(std::filesystem::exists(path), path.string() << ": no such file");
  const auto state = archive_state(path);
  REVEST_REQUIRE(state != ArchiveState::kNotAnArchive, path.string() << ": not a revest archive");
  Handle f = archive_open(path, false);
  Handle meta(H5Gopen2(f, "/meta", H5P_DEFAULT));
  out << "archive     " << path.string() << "\n";
  out << "status      "
      << (state == ArchiveState::kComplete
              ? "complete"
              : "INCOMPLETE (interrupted: finish it with `revest run JOB --resume`)")
      << "\n";
  out << "job         " << h5::attr_string(meta, "job_name") << "  ("
      << h5::attr_string(meta, "job_path") << ")\n";
  out << "seed        " << h5::attr_int(meta, "seed") << "\n";
  out << "build       revest " << h5::attr_string(meta, "revest_version") << " ("
      << h5::attr_string(meta, "git_describe") << "), " << h5::attr_string(meta, "compiler")
      << "\n";
  out << "mpi size    " << h5::attr_int(meta, "mpi_size") << "\n";
  out << "started     " << h5::attr_string(meta, "start_time") << "\n";
  if (h5::has_attr(meta, "end_time"))
    out << "finished    " << h5::attr_string(meta, "end_time") << "  (wall " << std::fixed
        << std::setprecision(1) << h5::attr_double(meta, "wall_seconds") << " s, cpu "
        << h5::attr_double(meta, "cpu_seconds") << " s)\n";
  out << std::defaultfloat << std::setprecision(6);
  const auto segments = archive_segments(f);
  out << "run segments " << segments.size() << "\n";
  for (const auto& seg : segments) out << "  " << seg << "\n";
  if (h5::has_attr(f, "shard_count") && h5::attr_int(f, "shard_count") > 1)
    out << "shard       " << h5::attr_int(f, "shard_index") << " of "
        << h5::attr_int(f, "shard_count") << " (0-based; merge the shards with `revest merge`)\n";
  if (h5::has_attr(meta, "merged_from"))
    out << "merged from " << h5::attr_strings(meta, "merged_from").size() << " shard archives\n";
  if (state == ArchiveState::kComplete) {
    // From the recorded checksums (no data read): `verify --digest` recomputes it from the contents.
    std::string digest;
    try {
      digest = recorded_digest(f);
    } catch (const Error& e) {
      digest = std::string("not available (") + e.what() + ")";
    }
    out << "digest      " << digest << "  (archive digest; `revest verify " << path.string()
        << " --digest D` recomputes it)\n";
  }
  const Table inputs = h5::read_table(meta, "inputs");
  out << "inputs:\n";
  for (std::size_t r = 0; r < inputs.columns[0].size(); ++r)
    out << "  " << cell(inputs.columns[1], r).substr(0, 16) << "  " << cell(inputs.columns[0], r)
        << "\n";
  Handle an(H5Gopen2(f, "/analyses", H5P_DEFAULT));
  for (const auto& name : h5::attr_strings(an, "order")) {
    Handle g(H5Gopen2(an, name.c_str(), H5P_DEFAULT));
    const auto st = archive_read_status(f, name);
    std::map<std::int32_t, std::size_t> counts;
    for (auto s : st) ++counts[s];
    out << "\nanalysis '" << name << "' (" << h5::attr_string(g, "kind") << "): " << st.size()
        << " tasks";
    for (auto [code, n] : counts)
      out << ", " << n << " " << to_string(static_cast<TaskStatus>(code));
    out << "\n";
    if (h5::has_attr(g, "wall_seconds"))
      out << "  wall " << std::fixed << std::setprecision(1) << h5::attr_double(g, "wall_seconds")
          << " s, cpu " << h5::attr_double(g, "cpu_seconds") << " s\n"
          << std::defaultfloat << std::setprecision(6);
    if (H5Lexists(g, "summary", H5P_DEFAULT) <= 0) continue;
    Handle s(H5Gopen2(g, "summary", H5P_DEFAULT));
    for (const auto& tn : h5::attr_strings(s, "tables")) {
      const Table t = h5::read_table(s, tn);
      const std::size_t n = t.columns.empty() ? 0 : t.columns[0].size();
      out << "  table '" << tn << "' (" << n << " rows): " << t.description << "\n    ";
      for (std::size_t c = 0; c < t.columns.size(); ++c) out << (c ? "," : "") << t.columns[c].name;
      out << "\n";
      for (std::size_t r = 0; r < std::min(n, rows); ++r) {
        out << "    ";
        for (std::size_t c = 0; c < t.columns.size(); ++c)
          out << (c ? "," : "") << cell(t.columns[c], r);
        out << "\n";
      }
    }
  }
}

std::size_t export_csv(const std::filesystem::path& path, const std::filesystem::path& dir) {
  const auto state = archive_state(path);
  REVEST_REQUIRE(state != ArchiveState::kAbsent, path.string() << ": no such file");
  REVEST_REQUIRE(state != ArchiveState::kNotAnArchive, path.string() << ": not a revest archive");
  Handle f = archive_open(path, false);
  std::size_t files = 0;
  {
    Handle d(H5Gopen2(f, "/data", H5P_DEFAULT));
    for (const auto& tn : list_children(d)) {
      write_table_csv(h5::read_table(d, tn), dir / "data" / (tn + ".csv"));
      ++files;
    }
    Handle meta(H5Gopen2(f, "/meta", H5P_DEFAULT));
    write_table_csv(h5::read_table(meta, "inputs"), dir / "meta" / "inputs.csv");
    std::ofstream(dir / "meta" / "effective_config.toml")
        << h5::read_text(meta, "effective_config");
    files += 2;
  }
  Handle an(H5Gopen2(f, "/analyses", H5P_DEFAULT));
  for (const auto& name : h5::attr_strings(an, "order")) {
    const auto st = archive_read_status(f, name);
    const auto msg = read_messages(f, name, st.size());
    std::vector<std::int64_t> task, code;
    std::vector<std::string> label;
    for (std::size_t k = 0; k < st.size(); ++k) {
      task.push_back(static_cast<std::int64_t>(k));
      code.push_back(st[k]);
      label.push_back(to_string(static_cast<TaskStatus>(st[k])));
    }
    write_table_csv(
        Table{
            "status",
            "",
            {{"task", task, ""}, {"code", code, ""}, {"status", label, ""}, {"message", msg, ""}}},
        dir / name / "status.csv");
    ++files;
    Handle g(H5Gopen2(an, name.c_str(), H5P_DEFAULT));
    if (H5Lexists(g, "summary", H5P_DEFAULT) <= 0) continue;
    Handle s(H5Gopen2(g, "summary", H5P_DEFAULT));
    for (const auto& tn : h5::attr_strings(s, "tables")) {
      write_table_csv(h5::read_table(s, tn), dir / name / (tn + ".csv"));
      ++files;
    }
  }
  return files;
}

}  // namespace revest::driver

namespace revest::driver {
namespace {
/// Attributes compare leaves out: checksums (the values themselves are compared) and timings.
bool compared_attribute(const std::string& name) {
  return name != kDatasetChecksum && name != kAttributeChecksums && name != "wall_seconds" &&
         name != "cpu_seconds";
}
}  // namespace

std::vector<std::string> compare_archives(const std::filesystem::path& a,
                                          const std::filesystem::path& b) {
  Handle fa = archive_open(a, false), fb = archive_open(b, false);
  std::vector<std::string> diffs;
  // Every object outside /meta (the run's provenance, which legitimately differs), the root included.
  auto objects = [](hid_t f) {
    std::vector<std::string> out;
    for (auto& o : h5::list_objects(f))
      if (o != "/meta" && o.rfind("/meta/", 0) != 0) out.push_back(std::move(o));
    return out;
  };
  const auto oa = objects(fa), ob = objects(fb);
  const auto in = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  for (const auto& o : oa)
    if (!in(ob, o)) diffs.push_back(o + ": only in " + a.string());
  for (const auto& o : ob)
    if (!in(oa, o)) diffs.push_back(o + ": only in " + b.string());
  for (const auto& o : oa) {
    if (!in(ob, o)) continue;
    Handle xa(h5::check(H5Oopen(fa, o.c_str(), H5P_DEFAULT), "open " + o));
    Handle xb(h5::check(H5Oopen(fb, o.c_str(), H5P_DEFAULT), "open " + o));
    const bool da = H5Iget_type(xa) == H5I_DATASET, db = H5Iget_type(xb) == H5I_DATASET;
    if (da != db) {
      diffs.push_back(o + ": a dataset in one archive, a group in the other");
      continue;
    }
    if (da) {
      if (h5::dims(fa, o) != h5::dims(fb, o)) {
        diffs.push_back(o + ": shapes differ");
      } else if (h5::sha256_dataset(fa, o) != h5::sha256_dataset(fb, o)) {
        // The canonical bytes of the values, streamed in blocks (replications can exceed memory).
        diffs.push_back(o + ": values differ");
      }
    }
    const auto na = h5::attribute_names(xa), nb = h5::attribute_names(xb);
    for (const auto& n : na) {
      if (!compared_attribute(n)) continue;
      if (!in(nb, n))
        diffs.push_back(o + "@" + n + ": attribute only in " + a.string());
      else if (h5::sha256_attribute(xa, n) != h5::sha256_attribute(xb, n))
        diffs.push_back(o + "@" + n + ": attribute differs");
    }
    for (const auto& n : nb)
      if (compared_attribute(n) && !in(na, n))
        diffs.push_back(o + "@" + n + ": attribute only in " + b.string());
  }
  return diffs;
}
}  // namespace revest::driver
