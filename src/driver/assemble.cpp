#include "driver/assemble.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <new>
#include <sstream>

#include "core/error.hpp"
#include "driver/checksums.hpp"

namespace revest::driver {

using h5::Handle;

namespace {

/// Selects rows [r0, r1) of a dataset of dimensions `dims` in `fs`; returns the matching memory space.
Handle select_rows(hid_t fs, const std::vector<hsize_t>& dims, hsize_t r0, hsize_t r1) {
  std::vector<hsize_t> start(dims.size(), 0), count(dims);
  start[0] = r0;
  count[0] = r1 - r0;
  H5Sselect_hyperslab(fs, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
  return Handle(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr));
}

void write_rows(hid_t d, const std::vector<hsize_t>& dims, hsize_t r0, hsize_t r1,
                const double* buf) {
  Handle fs(H5Dget_space(d));
  Handle ms = select_rows(fs, dims, r0, r1);
  h5::check_status(H5Dwrite(d, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, buf), "write rows");
}

herr_t add_storage(hid_t loc, const char* name, const H5O_info_t* info, void* data) {
  if (info->type != H5O_TYPE_DATASET) return 0;
  Handle d(H5Dopen2(loc, name, H5P_DEFAULT));
  if (d.get() >= 0) *static_cast<std::uint64_t*>(data) += H5Dget_storage_size(d);
  return 0;
}

/// What the final archive certainly takes for the copies of a source's /meta and /data: their
/// stored bytes, a quarter more and 1 MiB for HDF5's own structures.
std::uint64_t copied_bytes(hid_t src) {
  std::uint64_t n = 0;
  for (const char* g : {"/meta", "/data"}) {
    Handle group(H5Gopen2(src, g, H5P_DEFAULT));
    if (group.get() >= 0) H5Ovisit(group, H5_INDEX_NAME, H5_ITER_INC, add_storage, &n);
  }
  return n + n / 4 + (std::uint64_t{1} << 20);
}

void fsync_path(const std::filesystem::path& p, bool directory) {
  const int fd = ::open(p.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void read_rows(hid_t f, const std::string& path, const std::vector<hsize_t>& dims, hsize_t r0,
               hsize_t r1, double* buf) {
  Handle d(h5::check(H5Dopen2(f, path.c_str(), H5P_DEFAULT), "open " + path));
  Handle fs(H5Dget_space(d));
  Handle ms = select_rows(fs, dims, r0, r1);
  h5::check_status(H5Dread(d, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, buf), "read " + path);
}

namespace {

/// Writes the whole final archive into `out` (just created, empty) and returns its digest. Every
/// HDF5 object it opens is closed when it returns or throws, before `out` is.
std::string write_final(hid_t out, const std::filesystem::path& tmp, std::vector<Handle>& src,
                        const std::vector<std::filesystem::path>& sources,
                        const std::vector<AnalysisLayout>& layouts, const AssembleOptions& opt) {
  h5::attr(out, "format", std::string("revest-archive"));
  h5::attr(out, "format_version", kArchiveFormatVersion);
  h5::attr(out, "complete", std::int64_t{0});
  h5::attr(out, "shard_index", static_cast<std::int64_t>(opt.shard.index));
  h5::attr(out, "shard_count", static_cast<std::int64_t>(opt.shard.count));

  // /meta and /data as the first source has them; the run-segment log becomes an attribute.
  h5::check_status(H5Ocopy(src[0], "/meta", out, "/meta", H5P_DEFAULT, H5P_DEFAULT), "copy /meta");
  h5::check_status(H5Ocopy(src[0], "/data", out, "/data", H5P_DEFAULT, H5P_DEFAULT), "copy /data");
  {
    Handle meta(h5::check(H5Gopen2(out, "/meta", H5P_DEFAULT), "open /meta"));
    std::vector<std::string> segs;
    for (std::size_t k = 0; k < src.size(); ++k)
      for (const auto& s : archive_segments(src[k]))
        segs.push_back(opt.merge ? "shard " + archive_shard(src[k]).str() + ": " + s : s);
    if (h5::exists(meta, "segments")) H5Ldelete(meta, "segments", H5P_DEFAULT);
    h5::attr(meta, "run_segments", segs);
    h5::attr(meta, "end_time", opt.end_time);
    h5::attr(meta, "wall_seconds", opt.wall_seconds);
    h5::attr(meta, "cpu_seconds", opt.cpu_seconds);
    if (opt.merge) {
      std::vector<std::string> from;
      from.reserve(sources.size());
      for (const auto& p : sources) from.push_back(p.string());
      h5::attr(meta, "merged_from", from);
    } else {
      h5::attr(meta, "mpi_size", static_cast<std::int64_t>(opt.info.mpi_size));
      h5::attr(meta, "hosts", opt.info.hosts);
    }
  }

  Handle an = h5::group(out, "/analyses");
  std::vector<std::string> names;
  names.reserve(layouts.size());
  for (const auto& a : layouts) names.push_back(a.name);
  h5::attr(an, "order", names);
  for (std::size_t ai = 0; ai < layouts.size(); ++ai) {
    const AnalysisLayout& a = layouts[ai];
    create_analysis_datasets(out, a, /*work=*/false);
    const std::size_t n = a.num_tasks;
    std::vector<int> owner(n, -1);
    std::vector<std::int32_t> status(n, static_cast<std::int32_t>(TaskStatus::kNotRun));
    std::string messages(std::max<std::size_t>(n, 1) * kMessageLength, '\0');
    for (std::size_t k = 0; k < src.size(); ++k) {
      const auto st = archive_read_status(src[k], a.name);
      REVEST_REQUIRE(st.size() == n, sources[k].string() << ": analysis '" << a.name << "' has "
                                                         << st.size() << " tasks, the job " << n);
      const std::string msg = archive_read_messages(src[k], a.name, n);
      for (std::size_t t = 0; t < n; ++t) {
        if (st[t] == static_cast<std::int32_t>(TaskStatus::kNotRun)) continue;
        REVEST_REQUIRE(owner[t] < 0, "analysis '"
                                         << a.name << "' task " << t << " was computed by both "
                                         << sources[static_cast<std::size_t>(owner[t])].string()
                                         << " and " << sources[k].string()
                                         << " (shards of different splits?)");
        owner[t] = static_cast<int>(k);
        status[t] = st[t];
        std::memcpy(messages.data() + t * kMessageLength, msg.data() + t * kMessageLength,
                    kMessageLength);
      }
    }
    if (opt.merge) {
      const auto missing = static_cast<std::size_t>(std::count(owner.begin(), owner.end(), -1));
      REVEST_REQUIRE(missing == 0, "analysis '" << a.name << "': " << missing << " of " << n
                                                << " tasks were computed by no shard");
    }
    const std::size_t cr = a.chunk_rows();
    for (const auto& spec : a.specs) {
      const std::string path = "/analyses/" + a.name + "/replications/" + spec.name;
      std::vector<hsize_t> dims{n};
      for (auto d : spec.shape) dims.push_back(d);
      const std::size_t w = spec.row_size();
      Handle dout(h5::check(H5Dopen2(out, path.c_str(), H5P_DEFAULT), "open " + path));
      std::vector<double> buf;
      for (std::size_t b0 = 0; b0 < n; b0 += cr) {
        const std::size_t b1 = std::min(n, b0 + cr);
        if (std::all_of(owner.begin() + static_cast<std::ptrdiff_t>(b0),
                        owner.begin() + static_cast<std::ptrdiff_t>(b1),
                        [](int o) { return o < 0; }))
          continue;  // nothing computed here (another shard's slice): the chunk stays unallocated
        buf.assign((b1 - b0) * w, std::numeric_limits<double>::quiet_NaN());
        for (std::size_t r0 = b0; r0 < b1;) {
          std::size_t r1 = r0 + 1;
          while (r1 < b1 && owner[r1] == owner[r0]) ++r1;
          if (owner[r0] >= 0 && w > 0)
            read_rows(src[static_cast<std::size_t>(owner[r0])], path, dims, r0, r1,
                      buf.data() + (r0 - b0) * w);
          r0 = r1;
        }
        if (w > 0) write_rows(dout, dims, b0, b1, buf.data());
      }
    }
    {
      Handle g(h5::check(H5Gopen2(out, ("/analyses/" + a.name).c_str(), H5P_DEFAULT),
                         "open analysis " + a.name));
      if (n) {
        Handle d(h5::check(H5Dopen2(g, "status", H5P_DEFAULT), "open status"));
        h5::check_status(
            H5Dwrite(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, status.data()),
            "write status");
        Handle dm(h5::check(H5Dopen2(g, "status_message", H5P_DEFAULT), "open status_message"));
        Handle t = h5::fixed_string_type(kMessageLength);
        h5::check_status(H5Dwrite(dm, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, messages.data()),
                         "write status_message");
      }
    }
  }

  // Summaries, read back from the rows just written.
  for (std::size_t ai = 0; ai < layouts.size(); ++ai) {
    const double w = ai < opt.analysis_wall.size() ? opt.analysis_wall[ai] : 0.0;
    const double c = ai < opt.analysis_cpu.size() ? opt.analysis_cpu[ai] : 0.0;
    std::vector<Table> tables;
    if (opt.summarize) {
      ArchiveReader reader(out, layouts[ai]);
      tables = opt.summarize(ai, reader);
    }
    if (opt.summarize || w > 0 || c > 0) archive_write_summary(out, layouts[ai], tables, w, c);
    if (!opt.summarize) {  // a shard: no summary group
      Handle g(h5::check(H5Gopen2(out, ("/analyses/" + layouts[ai].name).c_str(), H5P_DEFAULT),
                         "open analysis"));
      if (H5Lexists(g, "summary", H5P_DEFAULT) > 0) H5Ldelete(g, "summary", H5P_DEFAULT);
    }
  }

  // complete=1 now, so that the checksums cover it: DEST is complete only once renamed anyway.
  // Then a checksum on every dataset and attribute, computed from what is in the file.
  h5::attr(out, "complete", std::int64_t{1});
  std::string digest = write_checksums(out);
  h5::check_status(H5Fflush(out, H5F_SCOPE_GLOBAL), "flush " + tmp.string());
  return digest;
}

}  // namespace

std::string assemble_archive(const std::vector<std::filesystem::path>& sources,
                             const std::filesystem::path& dest,
                             const std::vector<AnalysisLayout>& layouts,
                             const AssembleOptions& opt) {
  h5::quiet();
  REVEST_REQUIRE(!sources.empty(), "assemble: no source archive");
  std::vector<Handle> src;
  src.reserve(sources.size());
  for (const auto& p : sources) src.push_back(archive_open(p, false));
  const std::filesystem::path tmp = dest.string() + ".tmp";
  std::string digest;
  h5::clear_failure_errno();
  int failed_errno = 0;    // the system error that stopped the writing, if any
  bool reserving = false;  // it happened while reserving the disk space, before any writing
  std::uint64_t reserved = 0;
  std::uint64_t written = 0;  // bytes of DEST.tmp when it did
  try {
    Handle fcpl(H5Pcreate(H5P_FILE_CREATE));
    H5Pset_obj_track_times(fcpl, 0);
    H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
    H5Pset_fapl_sec2(fapl);
    Handle out(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, fcpl, fapl));
    if (out.get() < 0) failed_errno = errno;
    REVEST_REQUIRE(
        out.get() >= 0, tmp.string()
                            << ": cannot create (check the directory is writable and has space)");
    // Room reserved before anything is written: the whole archive's if asked, and at least what
    // the copies of /meta and /data take, so that H5Ocopy never meets a full disk (its error path
    // crashed in H5T_close_real when it did).
    reserved = std::max(opt.reserve_bytes, copied_bytes(src[0]));
    if (const int err = reserve_space(tmp, reserved); err == ENOSPC || err == EDQUOT) {
      failed_errno = err;
      reserving = true;
      REVEST_FAIL("cannot reserve " << format_bytes(reserved));
    }
    try {
      digest = write_final(out, tmp, src, sources, layouts, opt);
    } catch (...) {
      // Before HDF5 closes the file (when `out` goes). On a full disk, closing needs room to flush
      // what HDF5 still holds in memory, and an H5Fclose that fails leaves a broken file identifier
      // behind, which crashed HDF5's own clean-up in MPI_Finalize (a segmentation fault in
      // H5F__close_cb). So: empty the half-written file, which gives its blocks back, and flush
      // again, now with room (after a failed flush HDF5 1.10's close fails unless a flush succeeded
      // since), so that the close succeeds; the file is removed below.
      failed_errno = h5::failure_errno();
      std::error_code ec;
      written = std::filesystem::file_size(tmp, ec);
      if (::truncate(tmp.c_str(), 0) != 0 && !failed_errno) failed_errno = errno;
      H5Fflush(out, H5F_SCOPE_GLOBAL);
      throw;
    }
    // A checked close: HDF5 may still write here. (The flush before it wrote everything it held.)
    const hid_t id = out.get();
    out.release();
    h5::check_status(H5Fclose(id), "close " + tmp.string());
  } catch (const std::exception& e) {
    std::error_code ec;
    std::filesystem::remove(tmp,
                            ec);  // nothing half-written stays behind, and its space is free again
    const std::string then = opt.resume_hint.empty() ? std::string() : " " + opt.resume_hint + ".";
    if (failed_errno == ENOSPC || failed_errno == EDQUOT) {
      std::ostringstream os;
      os << "disk full: "
         << (failed_errno == EDQUOT ? "the disk quota is exceeded" : "no space left") << " on "
         << existing_directory(dest).string();
      if (reserving)
        os << ": the final archive " << dest.string()
           << (reserved == opt.reserve_bytes ? " may take up to " : " needs about ")
           << format_bytes(reserved)
           << (reserved == opt.reserve_bytes
                   ? " (its datasets uncompressed and a margin, reserved before it is written)"
                   : " for the job and data it embeds alone")
           << " and " << format_bytes(free_bytes(dest)) << " are free; nothing was written";
      else
        os << " while writing the final archive " << tmp.string() << " (" << format_bytes(written)
           << " written, then " << e.what() << "; removed, " << format_bytes(free_bytes(dest))
           << " free now)";
      os << "; " << dest.string() << " is as it was."
         << (opt.space_hint.empty() ? "" : " " + opt.space_hint + ".") << then;
      REVEST_FAIL(os.str());
    }
    if (dynamic_cast<const std::bad_alloc*>(&e))
      REVEST_FAIL("out of memory while writing the final archive "
                  << tmp.string() << " (removed; " << dest.string()
                  << " is as it was); give this process more memory." << then);
    REVEST_FAIL("writing the final archive " << tmp.string() << " failed (removed; "
                                             << dest.string() << " is as it was): " << e.what()
                                             << "." << then);
  }
  src.clear();
  release_unused_space(tmp);
  fsync_path(tmp, false);
  std::error_code ec;
  std::filesystem::rename(tmp, dest, ec);
  REVEST_REQUIRE(
      !ec, "cannot rename " << tmp.string() << " to " << dest.string() << ": " << ec.message());
  fsync_path(dest.has_parent_path() ? dest.parent_path() : std::filesystem::path("."), true);
  return digest;
}

}  // namespace revest::driver
