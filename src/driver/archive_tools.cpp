#include "driver/archive_tools.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <ostream>
#include <sstream>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "driver/assemble.hpp"
#include "driver/checksums.hpp"
#include "driver/output_lock.hpp"
#include "driver/runtime.hpp"

namespace revest::driver {

using h5::Handle;

namespace {

std::string fingerprint_of(hid_t f) {
  Handle meta(h5::check(H5Gopen2(f, "/meta", H5P_DEFAULT), "open /meta"));
  return h5::read_text(meta, "config_fingerprint");
}

std::vector<std::string> input_shas(hid_t f) {
  Handle meta(h5::check(H5Gopen2(f, "/meta", H5P_DEFAULT), "open /meta"));
  const Table t = h5::read_table(meta, "inputs");
  return std::get<std::vector<std::string>>(t.columns[1].data);
}

std::string job_path_of(hid_t f) {
  Handle meta(h5::check(H5Gopen2(f, "/meta", H5P_DEFAULT), "open /meta"));
  return h5::attr_string(meta, "job_path");
}

}  // namespace

void merge_shards(const MergeOptions& opt, std::ostream& log) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::filesystem::path> files = opt.files;
  int K = opt.shards;
  if (files.empty()) {
    REVEST_REQUIRE(K >= 2, "merge: give --shards K (K >= 2) or the shard files");
    for (int k = 0; k < K; ++k) files.push_back(shard_path(opt.output, ShardSpec{k, K}));
  } else {
    if (K == 0) K = static_cast<int>(files.size());
    REVEST_REQUIRE(static_cast<int>(files.size()) == K,
                   "merge: " << files.size() << " shard files given for --shards " << K);
  }
  for (const auto& p : files) {
    std::error_code ec;
    REVEST_REQUIRE(!(std::filesystem::exists(p, ec) && std::filesystem::exists(opt.output, ec) &&
                     std::filesystem::equivalent(p, opt.output, ec)),
                   "merge: the output " << opt.output.string() << " is one of the shards ("
                                        << p.string() << "); choose another --output");
  }
  if (opt.output.has_parent_path()) std::filesystem::create_directories(opt.output.parent_path());
  // One writer per archive (output_lock.hpp), held until the merged archive is in place.
  OutputLock lock(opt.output);
  const auto out_state = archive_state(opt.output);
  REVEST_REQUIRE(out_state != ArchiveState::kComplete || opt.force,
                 opt.output.string()
                     << ": a complete archive already exists (use --force to overwrite it)");
  REVEST_REQUIRE(out_state != ArchiveState::kNotAnArchive || opt.force,
                 opt.output.string()
                     << ": file exists and is not a revest archive (use --force to overwrite it)");

  // Every shard present, complete, and the one it claims to be.
  std::vector<std::string> problems;
  std::vector<int> rerun;
  std::vector<std::filesystem::path> ordered(static_cast<std::size_t>(K));
  std::string job_path;
  for (const auto& p : files) {
    const auto st = archive_state(p);
    if (st == ArchiveState::kAbsent || st == ArchiveState::kNotAnArchive) {
      // Named by convention: the index is known even without the file.
      int k = -1;
      for (int j = 0; j < K; ++j)
        if (p == shard_path(opt.output, ShardSpec{j, K})) k = j;
      problems.push_back(
          (k >= 0 ? "shard " + std::to_string(k) + "/" + std::to_string(K) + " ("
                  : std::string("(")) +
          p.string() +
          "): " + (st == ArchiveState::kAbsent ? "missing" : "not a revest archive, or corrupt"));
      if (k >= 0) rerun.push_back(k);
      continue;
    }
    Handle f = archive_open(p, false);
    const ShardSpec s = archive_shard(f);
    if (job_path.empty()) job_path = job_path_of(f);
    if (s.count != K) {
      problems.push_back(p.string() + ": is shard " + s.str() + ", not one of " +
                         std::to_string(K));
      continue;
    }
    if (!ordered[static_cast<std::size_t>(s.index)].empty()) {
      problems.push_back(p.string() + ": shard " + s.str() + " given twice (also " +
                         ordered[static_cast<std::size_t>(s.index)].string() + ")");
      continue;
    }
    ordered[static_cast<std::size_t>(s.index)] = p;
    if (st == ArchiveState::kIncomplete) {
      std::size_t left = 0;
      Handle an(h5::check(H5Gopen2(f, "/analyses", H5P_DEFAULT), "open /analyses"));
      for (const auto& name : h5::attr_strings(an, "order")) {
        const auto status = archive_read_status(f, name);
        const auto mine = shard_tasks(status.size(), s);
        for (auto t : mine) left += status[t] == static_cast<std::int32_t>(TaskStatus::kNotRun);
      }
      problems.push_back("shard " + s.str() + " (" + p.string() + "): incomplete, " +
                         std::to_string(left) + " task(s) not run (interrupted or failed)");
      rerun.push_back(s.index);
    }
  }
  for (int k = 0; k < K; ++k)
    if (ordered[static_cast<std::size_t>(k)].empty() &&
        std::find(rerun.begin(), rerun.end(), k) == rerun.end() && !opt.files.empty()) {
      problems.push_back("shard " + std::to_string(k) + "/" + std::to_string(K) +
                         ": not among the files given");
      rerun.push_back(k);
    }
  if (!problems.empty()) {
    std::sort(rerun.begin(), rerun.end());
    std::ostringstream os;
    os << "merge into " << opt.output.string() << " refused: " << problems.size() << " of " << K
       << " shard(s) not usable (nothing was written; the other shards are kept):";
    for (const auto& p : problems) os << "\n  " << p;
    if (!rerun.empty()) {
      std::string list;
      for (auto k : rerun) list.append(list.empty() ? "" : ",").append(std::to_string(k));
      os << "\nre-run just shard(s) " << list << ": `revest submit JOB --shards " << K
         << "` (submits only the missing shards, then the merge), or by hand `revest run JOB "
            "--shard K/"
         << K << " --resume -o " << opt.output.string() << "` for K in " << list;
      if (!job_path.empty()) os << " (JOB: " << job_path << ")";
    }
    REVEST_FAIL(os.str());
  }

  // Same job, same data.
  std::string fp0;
  std::vector<std::string> sha0;
  for (int k = 0; k < K; ++k) {
    Handle f = archive_open(ordered[static_cast<std::size_t>(k)], false);
    if (k == 0) {
      fp0 = fingerprint_of(f);
      sha0 = input_shas(f);
      continue;
    }
    REVEST_REQUIRE(fingerprint_of(f) == fp0,
                   ordered[static_cast<std::size_t>(k)].string()
                       << ": written by a different job configuration than " << ordered[0].string()
                       << "; shards of different runs cannot be merged");
    REVEST_REQUIRE(input_shas(f) == sha0, ordered[static_cast<std::size_t>(k)].string()
                                              << ": written from other input data than "
                                              << ordered[0].string());
  }

  ScratchDir scratch("merge");
  LoadedJob L = load_from_archive(ordered[0], scratch.path(), opt.output, /*build_analyses=*/true);
  const auto layouts = layouts_of(L.job, L.analyses);
  AssembleOptions ao;
  ao.merge = true;
  ao.summarize = [&](std::size_t ai, ReplicationReader& reader) {
    return L.analyses[ai]->summarize(reader);
  };
  ao.end_time = now_iso8601();
  ao.info.mpi_size = 1;
  const ArchiveSize disk = estimate_archive_size(layouts, input_bytes(L.files));
  if (L.job.check_free_space && !opt.ignore_free_space)
    ao.reserve_bytes = final_reservation(disk.final);
  ao.space_hint =
      "Free space on " + existing_directory(opt.output).string() +
      (ao.reserve_bytes
           ? " (writing the merged archive reserves " + format_bytes(ao.reserve_bytes) +
                 "; with --ignore-free-space it is written without reserving that room)"
           : " (the merged archive takes about " + format_bytes(disk.final) + " uncompressed)");
  ao.resume_hint = "The shards are kept: run " +
                   (opt.files.empty() ? "`revest merge --shards " + std::to_string(K) + " -o " +
                                            opt.output.string() + "`"
                                      : std::string("the same `revest merge`")) +
                   " again";
  const std::string digest = assemble_archive(ordered, opt.output, layouts, ao);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  log << "merged " << K << " shards into " << opt.output.string() << " (" << layouts.size()
      << " analyses, " << std::filesystem::file_size(opt.output) / 1e6 << " MB, " << secs
      << " s)\n";
  log << "archive digest: " << digest << "\n";
  if (opt.remove_shards)
    for (const auto& p : ordered) std::filesystem::remove(p);
}

namespace {

std::size_t compare_column(const Column& a, const Column& b) {
  std::size_t diff = 0;
  std::visit(
      [&](const auto& va) {
        using T = std::decay_t<decltype(va)>;
        const auto* vb = std::get_if<T>(&b.data);
        if (!vb || vb->size() != va.size()) {
          diff = std::max<std::size_t>(va.size(), 1);
          return;
        }
        for (std::size_t i = 0; i < va.size(); ++i) {
          if constexpr (std::is_same_v<T, std::vector<double>>) {
            // Bit for bit, on purpose: NaN payloads and signed zeros count as differences.
            // NOLINTNEXTLINE(bugprone-suspicious-memory-comparison)
            if (std::memcmp(&va[i], &(*vb)[i], sizeof(double)) != 0) ++diff;
          } else {
            if (va[i] != (*vb)[i]) ++diff;
          }
        }
      },
      a.data);
  return diff;
}

}  // namespace

std::size_t verify_archive(const std::filesystem::path& path, const VerifyOptions& opt,
                           std::ostream& out) {
  const auto state = archive_state(path);
  REVEST_REQUIRE(state != ArchiveState::kAbsent, path.string() << ": no such file");
  REVEST_REQUIRE(state != ArchiveState::kNotAnArchive, path.string()
                                                           << ": not a revest archive, or corrupt");
  std::string expected_digest = opt.digest;
  std::transform(expected_digest.begin(), expected_digest.end(), expected_digest.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  REVEST_REQUIRE(expected_digest.empty() ||
                     (expected_digest.size() == 64 &&
                      expected_digest.find_first_not_of("0123456789abcdef") == std::string::npos),
                 "--digest '" << opt.digest
                              << "': expected 64 hexadecimal digits (a SHA-256, as printed by "
                                 "`revest run` and `revest inspect`)");
  std::size_t problems = 0;
  if (state == ArchiveState::kIncomplete) {
    out << "INCOMPLETE: " << path.string()
        << " is the work file of an interrupted run (finish it with "
        << "`revest run JOB --resume`); only finished archives carry checksums\n";
    return 1;
  }
  Handle f = archive_open(path, false);
  // 1. Checksums of every dataset and attribute, and the digest recomputed from the contents.
  const ChecksumReport sums = verify_checksums(f);
  for (const auto& b : sums.problems) out << b << "\n";
  problems += sums.problems.size();
  out << "checksums: " << sums.datasets_intact << " of " << sums.datasets << " datasets intact\n";
  if (sums.attributes_recorded)
    out << "attributes: " << sums.attributes_intact << " of " << sums.attributes << " intact\n";
  else
    out << "attributes: " << sums.attributes
        << ", not checksummed one by one in this archive (format 1, written "
        << "before revest recorded attribute checksums); the digest covers them\n";
  if (sums.digest.empty()) {
    out << "archive digest: not computable (unreadable contents above)\n";
    if (!expected_digest.empty()) {
      out << "DIGEST the archive's digest cannot be computed, expected " << expected_digest << "\n";
      ++problems;
    }
  } else {
    out << "archive digest: " << sums.digest << "\n";
    if (!expected_digest.empty()) {
      if (sums.digest == expected_digest) {
        out << "digest: matches the expected value\n";
      } else {
        out << "DIGEST mismatch: the archive's contents give " << sums.digest << ", expected "
            << expected_digest << "\n";
        ++problems;
      }
    }
  }

  // 2. A sample of tasks re-run from the embedded job and data. A damaged archive (a deleted
  //    dataset, an unreadable embedded file) is a problem found, reported, not an error.
  ScratchDir scratch("verify");
  std::string load_error;
  // Initialised in place, never moved: the analyses refer to the inputs inside L.
  LoadedJob L = [&]() -> LoadedJob {
    try {
      return load_from_archive(path, scratch.path(), std::nullopt, /*build_analyses=*/true);
    } catch (const Error& e) {
      load_error = e.what();
      return LoadedJob{};
    }
  }();
  if (!load_error.empty()) {
    out << "TASKS cannot re-run any task from the embedded job and data: " << load_error << "\n";
    ++problems;
    out << "FAILED: " << problems << " problem(s)\n";
    return problems;
  }
  const auto layouts = layouts_of(L.job, L.analyses);
  const ShardSpec shard = archive_shard(f);
  std::size_t checked = 0;
  for (std::size_t ai = 0; ai < layouts.size(); ++ai) {
    const AnalysisLayout& lay = layouts[ai];
    Analysis& a = *L.analyses[ai];
    std::string list;
    bool prepared = false;  // a two-phase analysis: prepare() before its second phase's tasks
    try {
      const auto status = archive_read_status(f, lay.name);
      if (status.size() != lay.num_tasks) {
        out << "TASKS analysis '" << lay.name << "': " << status.size()
            << " tasks stored, the job has " << lay.num_tasks << "\n";
        ++problems;
        continue;
      }
      std::vector<std::size_t> candidates;
      for (std::size_t t = 0; t < status.size(); ++t)
        if (status[t] != static_cast<std::int32_t>(TaskStatus::kNotRun)) candidates.push_back(t);
      // Partial Fisher-Yates on a stream keyed by (seed, "verify/" + analysis).
      Rng rng(opt.seed, "verify/" + lay.name, 0);
      const std::size_t k = std::min(opt.sample, candidates.size());
      for (std::size_t i = 0; i < k; ++i) {
        const std::size_t j = i + static_cast<std::size_t>(
                                      rng.uniform01() * static_cast<double>(candidates.size() - i));
        std::swap(candidates[i], candidates[std::min(j, candidates.size() - 1)]);
      }
      candidates.resize(k);
      std::sort(candidates.begin(), candidates.end());
      for (auto t : candidates) {
        std::vector<std::vector<double>> rows;
        std::vector<std::span<double>> spans;
        for (const auto& spec : lay.specs)
          rows.emplace_back(spec.row_size(), std::numeric_limits<double>::quiet_NaN());
        spans.reserve(rows.size());
        for (auto& r : rows) spans.emplace_back(r.data(), r.size());
        if (!prepared && a.phase_boundary() > 0 && t >= a.phase_boundary()) {
          ArchiveReader first_phase(f, lay);
          a.prepare(first_phase);
          prepared = true;
        }
        Rng task_rng(L.job.seed, lay.name, static_cast<std::uint32_t>(t));
        const TaskOutcome o = a.run_task(t, task_rng, spans);
        if (o.status != TaskStatus::kOk)
          for (auto& r : rows)
            std::fill(r.begin(), r.end(), std::numeric_limits<double>::quiet_NaN());
        if (static_cast<std::int32_t>(o.status) != status[t]) {
          out << "TASK analysis '" << lay.name << "' task " << t << ": status "
              << to_string(o.status) << " on re-run, "
              << to_string(static_cast<TaskStatus>(status[t])) << " in the archive\n";
          ++problems;
        }
        for (std::size_t s = 0; s < lay.specs.size(); ++s) {
          // Row t as stored (ArchiveReader would mask failed rows, as the runtime fills them).
          const std::string dpath = "/analyses/" + lay.name + "/replications/" + lay.specs[s].name;
          std::vector<hsize_t> dims{lay.num_tasks};
          for (auto x : lay.specs[s].shape) dims.push_back(x);
          std::vector<double> stored(lay.specs[s].row_size());
          if (!stored.empty()) read_rows(f, dpath, dims, t, t + 1, stored.data());
          std::size_t ndiff = 0;
          double maxdiff = 0;
          for (std::size_t e = 0; e < stored.size(); ++e)
            // Bit for bit, as compare.
            // NOLINTNEXTLINE(bugprone-suspicious-memory-comparison)
            if (std::memcmp(&stored[e], &rows[s][e], sizeof(double)) != 0) {
              ++ndiff;
              if (std::isfinite(stored[e]) && std::isfinite(rows[s][e]))
                maxdiff = std::max(maxdiff, std::abs(stored[e] - rows[s][e]));
              else
                maxdiff = std::numeric_limits<double>::infinity();
            }
          if (ndiff) {
            out << "TASK analysis '" << lay.name << "' task " << t << ": replications/"
                << lay.specs[s].name << " differ in " << ndiff << " of " << stored.size()
                << " values (max |difference| " << maxdiff << ")\n";
            ++problems;
          }
        }
        list.append(list.empty() ? "" : ", ").append(std::to_string(t));
        ++checked;
      }
      out << "analysis '" << lay.name << "': re-ran task(s) " << (list.empty() ? "none" : list)
          << " of " << status.size() << "\n";
    } catch (const Error& e) {
      out << "TASKS analysis '" << lay.name << "': cannot re-run"
          << (list.empty() ? "" : " after task(s) " + list) << ": " << e.what() << "\n";
      ++problems;
    }
  }
  out << "tasks: " << checked << " re-run from the embedded job and data\n";

  // 3. Summaries recomputed from the stored replications.
  if (opt.summaries && !shard.sharded()) {
    std::size_t tables = 0;
    for (std::size_t ai = 0; ai < layouts.size(); ++ai) {
      const std::string where = "SUMMARY analysis '" + layouts[ai].name + "'";
      try {
        ArchiveReader reader(f, layouts[ai]);
        const auto recomputed = L.analyses[ai]->summarize(reader);
        const std::string gpath = "/analyses/" + layouts[ai].name + "/summary";
        if (!h5::exists(f, gpath)) {
          out << where << ": no summary group in the archive\n";
          ++problems;
          continue;
        }
        Handle g(h5::check(H5Gopen2(f, gpath.c_str(), H5P_DEFAULT), "open " + gpath));
        for (const auto& t : recomputed) {
          ++tables;
          if (!h5::exists(g, t.name)) {
            out << where << " table '" << t.name << "': missing from the archive\n";
            ++problems;
            continue;
          }
          Handle tg(h5::check(H5Gopen2(g, t.name.c_str(), H5P_DEFAULT), "open table " + t.name));
          for (const auto& c : t.columns) {
            // Column by column, so that a deleted column is named (and the others still checked).
            std::string what;
            if (!h5::exists(tg, c.name)) {
              what = "missing from the archive";
            } else if (const std::size_t nd = compare_column(c, h5::read_column(tg, c.name)); nd) {
              what = std::to_string(nd) + " value(s) differ from the recomputation";
            }
            if (!what.empty()) {
              out << where << " table '" << t.name << "' column '" << c.name << "': " << what
                  << "\n";
              ++problems;
            }
          }
        }
      } catch (const Error& e) {
        out << where << ": cannot recompute the summaries: " << e.what() << "\n";
        ++problems;
      }
    }
    out << "summaries: " << tables << " tables recomputed from the stored replications\n";
  }
  out << (problems ? "FAILED: " + std::to_string(problems) + " problem(s)"
                   : std::string("verified: no difference"))
      << "\n";
  return problems;
}

}  // namespace revest::driver
