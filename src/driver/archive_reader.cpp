#include "driver/archive_reader.hpp"

#include <algorithm>
#include <limits>

#include "core/error.hpp"

namespace revest::driver {

using h5::Handle;

Handle archive_open(const std::filesystem::path& path, bool write) {
  h5::quiet();
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
  H5Pset_fapl_sec2(fapl);
  hid_t f = H5Fopen(path.c_str(), write ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl);
  REVEST_REQUIRE(
      f >= 0,
      path.string() << ": cannot open as an HDF5 archive (corrupt, truncated, or not HDF5)");
  return Handle(f);
}

ArchiveState archive_state(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) return ArchiveState::kAbsent;
  h5::quiet();
  if (H5Fis_hdf5(path.c_str()) <= 0) return ArchiveState::kNotAnArchive;
  try {
    Handle f = archive_open(path, false);
    if (!h5::has_attr(f, "format") || h5::attr_string(f, "format") != "revest-archive")
      return ArchiveState::kNotAnArchive;
    return h5::attr_int(f, "complete") == 1 ? ArchiveState::kComplete : ArchiveState::kIncomplete;
  } catch (const Error&) {
    return ArchiveState::kNotAnArchive;
  }
}

ArchiveReader::ArchiveReader(hid_t file, const AnalysisLayout& layout)
    : file_(file), layout_(layout) {}

std::vector<std::int32_t> archive_read_status(hid_t file, const std::string& name) {
  Handle g(h5::check(H5Gopen2(file, ("/analyses/" + name).c_str(), H5P_DEFAULT),
                     "open analysis " + name));
  return h5::read_int32s(g, "status");
}

std::string archive_read_messages(hid_t f, const std::string& name, std::size_t n) {
  const std::string p = "/analyses/" + name + "/status_message";
  Handle d(h5::check(H5Dopen2(f, p.c_str(), H5P_DEFAULT), "open " + p));
  Handle t = message_type();
  std::string buf(std::max<std::size_t>(n, 1) * kMessageLength, '\0');
  if (n) h5::check_status(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), "read " + p);
  return buf;
}

std::vector<TaskStatus> ArchiveReader::status() {
  if (status_.empty() && layout_.num_tasks > 0)
    for (auto s : archive_read_status(file_, layout_.name))
      status_.push_back(static_cast<TaskStatus>(s));
  return status_;
}

std::vector<double> ArchiveReader::read_columns(std::size_t dataset, std::size_t c0,
                                                std::size_t c1) {
  const auto& spec = layout_.specs.at(dataset);
  REVEST_ASSERT(c0 <= c1 && c1 <= spec.row_size());
  const std::size_t B = layout_.num_tasks, w = c1 - c0;
  std::vector<double> out(B * w);
  if (B == 0 || w == 0) return out;
  Handle d(h5::check(
      H5Dopen2(file_, ("/analyses/" + layout_.name + "/replications/" + spec.name).c_str(),
               H5P_DEFAULT),
      "open replications " + spec.name));
  Handle fs(H5Dget_space(d));
  const std::size_t nd = spec.shape.size();
  if (nd == 0) {
    H5Sselect_all(fs);
  } else {
    // Flat element range [c0, c1) of the row = union of hyperslabs along the last dimension.
    const std::size_t L = spec.shape.back();
    std::vector<hsize_t> start(nd + 1, 0), count(nd + 1, 1);
    count[0] = B;
    bool first = true;
    for (std::size_t c = c0; c < c1;) {
      const std::size_t o = c / L, l = c % L;
      const std::size_t len = std::min(L - l, c1 - c);
      std::size_t rem = o;
      for (std::size_t k = nd - 1; k-- > 0;) {
        start[k + 1] = rem % spec.shape[k];
        rem /= spec.shape[k];
      }
      start[nd] = l;
      count[nd] = len;
      H5Sselect_hyperslab(fs, first ? H5S_SELECT_SET : H5S_SELECT_OR, start.data(), nullptr,
                          count.data(), nullptr);
      first = false;
      c += len;
    }
  }
  const hsize_t n = out.size();
  Handle ms(H5Screate_simple(1, &n, nullptr));
  h5::check_status(H5Dread(d, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, out.data()),
                   "read replications " + spec.name);
  // Rows of failed tasks are NaN for the estimator's summaries.
  const auto st = status();
  for (std::size_t b = 0; b < B; ++b)
    if (st[b] != TaskStatus::kOk)
      std::fill(out.begin() + static_cast<std::ptrdiff_t>(b * w),
                out.begin() + static_cast<std::ptrdiff_t>((b + 1) * w),
                std::numeric_limits<double>::quiet_NaN());
  return out;
}

void archive_write_summary(hid_t file, const AnalysisLayout& layout,
                           const std::vector<Table>& tables, double wall_seconds,
                           double cpu_seconds) {
  Handle g(h5::check(H5Gopen2(file, ("/analyses/" + layout.name).c_str(), H5P_DEFAULT),
                     "open analysis"));
  if (H5Lexists(g, "summary", H5P_DEFAULT) > 0) H5Ldelete(g, "summary", H5P_DEFAULT);
  Handle s = h5::group(g, "summary");
  std::vector<std::string> names;
  for (const auto& t : tables) {
    h5::write_table(s, t);
    names.push_back(t.name);
  }
  h5::attr(s, "tables", names);
  // Accumulated over run segments (a resume adds the time of the missing tasks).
  const double w0 = h5::has_attr(g, "wall_seconds") ? h5::attr_double(g, "wall_seconds") : 0.0;
  const double c0 = h5::has_attr(g, "cpu_seconds") ? h5::attr_double(g, "cpu_seconds") : 0.0;
  h5::attr(g, "wall_seconds", w0 + wall_seconds);
  h5::attr(g, "cpu_seconds", c0 + cpu_seconds);
}

void archive_finish(hid_t file, const std::string& end_time, double wall_seconds,
                    double cpu_seconds) {
  Handle meta(h5::check(H5Gopen2(file, "/meta", H5P_DEFAULT), "open /meta"));
  h5::attr(meta, "end_time", end_time);
  const double w0 =
      h5::has_attr(meta, "wall_seconds") ? h5::attr_double(meta, "wall_seconds") : 0.0;
  const double c0 = h5::has_attr(meta, "cpu_seconds") ? h5::attr_double(meta, "cpu_seconds") : 0.0;
  h5::attr(meta, "wall_seconds", w0 + wall_seconds);
  h5::attr(meta, "cpu_seconds", c0 + cpu_seconds);
  h5::attr(file, "complete", std::int64_t{1});
  h5::check_status(H5Fflush(file, H5F_SCOPE_GLOBAL), "flush");
}

}  // namespace revest::driver
