#include "driver/assemble.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <limits>
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

void write_rows(hid_t d, const std::vector<hsize_t>& dims, hsize_t r0, hsize_t r1, const double* buf) {
  Handle fs(H5Dget_space(d));
  Handle ms = select_rows(fs, dims, r0, r1);
  h5::check_status(H5Dwrite(d, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, buf), "write rows");
}

void fsync_path(const std::filesystem::path& p, bool directory) {
  const int fd = ::open(p.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void read_rows(hid_t f, const std::string& path, const std::vector<hsize_t>& dims, hsize_t r0, hsize_t r1,
               double* buf) {
  Handle d(h5::check(H5Dopen2(f, path.c_str(), H5P_DEFAULT), "open " + path));
  Handle fs(H5Dget_space(d));
  Handle ms = select_rows(fs, dims, r0, r1);
  h5::check_status(H5Dread(d, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, buf), "read " + path);
}

std::string assemble_archive(const std::vector<std::filesystem::path>& sources, const std::filesystem::path& dest,
                             const std::vector<AnalysisLayout>& layouts, const AssembleOptions& opt) {
  h5::quiet();
  std::string digest;
  REVEST_REQUIRE(!sources.empty(), "assemble: no source archive");
  std::vector<Handle> src;
  for (const auto& p : sources) src.push_back(archive_open(p, false));
  const std::filesystem::path tmp = dest.string() + ".tmp";
  {
    Handle fcpl(H5Pcreate(H5P_FILE_CREATE));
    H5Pset_obj_track_times(fcpl, 0);
    H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
    H5Pset_fapl_sec2(fapl);
    Handle out(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, fcpl, fapl));
    REVEST_REQUIRE(out.get() >= 0, tmp.string() << ": cannot create (check the directory is writable and has space)");
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
        for (const auto& p : sources) from.push_back(p.string());
        h5::attr(meta, "merged_from", from);
      } else {
        h5::attr(meta, "mpi_size", static_cast<std::int64_t>(opt.info.mpi_size));
        h5::attr(meta, "hosts", opt.info.hosts);
      }
    }

    Handle an = h5::group(out, "/analyses");
    std::vector<std::string> names;
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
        REVEST_REQUIRE(st.size() == n, sources[k].string() << ": analysis '" << a.name << "' has " << st.size()
                                                           << " tasks, the job " << n);
        const std::string msg = archive_read_messages(src[k], a.name, n);
        for (std::size_t t = 0; t < n; ++t) {
          if (st[t] == static_cast<std::int32_t>(TaskStatus::kNotRun)) continue;
          REVEST_REQUIRE(owner[t] < 0, "analysis '" << a.name << "' task " << t << " was computed by both "
                                                    << sources[static_cast<std::size_t>(owner[t])].string() << " and "
                                                    << sources[k].string() << " (shards of different splits?)");
          owner[t] = static_cast<int>(k);
          status[t] = st[t];
          std::memcpy(messages.data() + t * kMessageLength, msg.data() + t * kMessageLength, kMessageLength);
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
          if (std::all_of(owner.begin() + static_cast<std::ptrdiff_t>(b0), owner.begin() + static_cast<std::ptrdiff_t>(b1),
                          [](int o) { return o < 0; }))
            continue;  // nothing computed here (another shard's slice): the chunk stays unallocated
          buf.assign((b1 - b0) * w, std::numeric_limits<double>::quiet_NaN());
          for (std::size_t r0 = b0; r0 < b1;) {
            std::size_t r1 = r0 + 1;
            while (r1 < b1 && owner[r1] == owner[r0]) ++r1;
            if (owner[r0] >= 0 && w > 0)
              read_rows(src[static_cast<std::size_t>(owner[r0])], path, dims, r0, r1, buf.data() + (r0 - b0) * w);
            r0 = r1;
          }
          if (w > 0) write_rows(dout, dims, b0, b1, buf.data());
        }
      }
      {
        Handle g(h5::check(H5Gopen2(out, ("/analyses/" + a.name).c_str(), H5P_DEFAULT), "open analysis " + a.name));
        if (n) {
          Handle d(h5::check(H5Dopen2(g, "status", H5P_DEFAULT), "open status"));
          h5::check_status(H5Dwrite(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, status.data()), "write status");
          Handle dm(h5::check(H5Dopen2(g, "status_message", H5P_DEFAULT), "open status_message"));
          Handle t = h5::fixed_string_type(kMessageLength);
          h5::check_status(H5Dwrite(dm, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, messages.data()), "write status_message");
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
        Handle g(h5::check(H5Gopen2(out, ("/analyses/" + layouts[ai].name).c_str(), H5P_DEFAULT), "open analysis"));
        if (H5Lexists(g, "summary", H5P_DEFAULT) > 0) H5Ldelete(g, "summary", H5P_DEFAULT);
      }
    }

    // complete=1 now, so that the checksums cover it: DEST is complete only once renamed anyway.
    // Then a checksum on every dataset and attribute, computed from what is in the file.
    h5::attr(out, "complete", std::int64_t{1});
    digest = write_checksums(out);
    h5::check_status(H5Fflush(out, H5F_SCOPE_GLOBAL), "flush " + tmp.string());
  }  // closed
  src.clear();
  fsync_path(tmp, false);
  std::error_code ec;
  std::filesystem::rename(tmp, dest, ec);
  REVEST_REQUIRE(!ec, "cannot rename " << tmp.string() << " to " << dest.string() << ": " << ec.message());
  fsync_path(dest.has_parent_path() ? dest.parent_path() : std::filesystem::path("."), true);
  return digest;
}

}  // namespace revest::driver
