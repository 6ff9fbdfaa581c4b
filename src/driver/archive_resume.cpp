#include "driver/archive_resume.hpp"

#include "core/error.hpp"
#include "driver/archive_reader.hpp"
#include "driver/archive_segments.hpp"

namespace revest::driver {

using h5::Handle;

void archive_check_same_run(hid_t f, const std::filesystem::path& path, const io::Job& job,
                            const std::vector<InputFile>& files, ShardSpec shard) {
  const ShardSpec have = archive_shard(f);
  REVEST_REQUIRE(
      have.index == shard.index && have.count == shard.count,
      path.string() << ": the archive is "
                    << (have.sharded() ? "shard " + have.str() : std::string("an unsharded run"))
                    << ", not "
                    << (shard.sharded() ? "shard " + shard.str() : std::string("an unsharded run"))
                    << "; use the same --shard (or `revest merge` for shards)");
  Handle meta(h5::check(H5Gopen2(f, "/meta", H5P_DEFAULT), "open /meta"));
  REVEST_REQUIRE(
      h5::exists(meta, "config_fingerprint"),
      path.string() << ": archive has no configuration fingerprint (written by an older revest); "
                       "use --force to start over");
  REVEST_REQUIRE(
      h5::read_text(meta, "config_fingerprint") == job.fingerprint_toml(),
      path.string() << ": the archive was written by a different job configuration (compare "
                       "/meta/effective_config with `revest validate`); use --force to start over, "
                       "or another --output");
  const Table inputs = h5::read_table(meta, "inputs");
  const auto& sp = std::get<std::vector<std::string>>(inputs.columns[0].data);
  const auto& ss = std::get<std::vector<std::string>>(inputs.columns[1].data);
  REVEST_REQUIRE(sp.size() == files.size(),
                 path.string() << ": the archive was written from other input files; "
                                  "use --force to start over");
  // The job and defaults files are covered by the fingerprint (comments may change); the data
  // files must have the same content wherever they are now.
  for (std::size_t k = 0; k < files.size(); ++k)
    if (files[k].role != "job" && files[k].role != "defaults")
      REVEST_REQUIRE(ss[k] == files[k].sha256,
                     path.string()
                         << ": input " << files[k].path
                         << " has changed since the archive was written (SHA-256 "
                         << files[k].sha256.substr(0, 12) << " now, " << ss[k].substr(0, 12)
                         << " then, file " << sp[k] << "); use --force to start over");
}

std::vector<std::vector<std::size_t>> archive_pending(const std::filesystem::path& path,
                                                      const io::Job& job,
                                                      const std::vector<InputFile>& files,
                                                      const std::vector<AnalysisLayout>& layouts,
                                                      const RunInfo& info, ShardSpec shard) {
  Handle f = archive_open(path, true);
  archive_check_same_run(f, path, job, files, shard);
  REVEST_REQUIRE(h5::exists(f, "/meta/segments"),
                 path.string() << ": not a work file of an interrupted run (no /meta/segments); "
                                  "use --force to start over");
  // Raw data only (the segment log): a kill here cannot corrupt the file.
  write_segment(f, archive_segments(f).size(), segment_text(info));
  std::vector<std::vector<std::size_t>> pending;
  const std::vector<std::size_t> none;
  for (const auto& a : layouts) {
    const std::vector<std::int32_t> st = archive_read_status(f, a.name);
    REVEST_REQUIRE(st.size() == a.num_tasks, path.string() << ": analysis '" << a.name << "' has "
                                                           << st.size() << " tasks in the archive, "
                                                           << a.num_tasks << " in the job");
    std::vector<std::size_t> todo;
    for (std::size_t t : shard_tasks(a, shard))
      if (st[t] == static_cast<std::int32_t>(TaskStatus::kNotRun)) todo.push_back(t);
    pending.push_back(std::move(todo));
  }
  h5::check_status(H5Fflush(f, H5F_SCOPE_GLOBAL), "flush");
  return pending;
}

}  // namespace revest::driver
