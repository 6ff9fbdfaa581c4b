#include "driver/archive_space.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iomanip>
#include <sstream>

#include "core/error.hpp"
#include "driver/archive_reader.hpp"
#include "driver/archive_segments.hpp"

namespace revest::driver {

using h5::Handle;

std::uint64_t input_bytes(const std::vector<InputFile>& files) {
  std::uint64_t n = 0;
  for (const auto& f : files) {
    std::error_code ec;
    const auto s = std::filesystem::file_size(f.read_from.empty() ? f.path : f.read_from, ec);
    if (!ec) n += s;
  }
  return n;
}

ArchiveSize estimate_archive_size(const std::vector<AnalysisLayout>& layouts, std::uint64_t inputs,
                                  ShardSpec shard) {
  ArchiveSize z;
  // /meta embeds every input file (compressed) and /data holds them as used: about their size
  // (the smoke job: 1.9 MB for 3.9 MB of input files), plus HDF5's structures and the run-segment log.
  const std::uint64_t fixed = inputs + (std::uint64_t{1} << 20) + kSegmentSlots * kSegmentLength;
  z.work = z.final = fixed;
  for (const auto& a : layouts) {
    std::uint64_t row = 0;
    for (const auto& s : a.specs) row += s.row_size() * sizeof(double);
    const std::uint64_t K = static_cast<std::uint64_t>(std::max(1, shard.count)),
                        k = static_cast<std::uint64_t>(shard.index);
    const std::uint64_t mine =
        a.two_phase() ? (k == 0 ? a.num_tasks : 0)
                      : a.num_tasks * (k + 1) / K - a.num_tasks * k / K;  // as shard_tasks
    const std::uint64_t per_task =
        sizeof(std::int32_t) + kMessageLength;  // status, message: every task
    z.rows += mine * row;
    z.work += mine * row + a.num_tasks * per_task;
    z.final += mine * row + a.num_tasks * per_task;
  }
  return z;
}

std::filesystem::path existing_directory(const std::filesystem::path& path) {
  std::filesystem::path p = std::filesystem::absolute(path).lexically_normal();
  std::error_code ec;
  if (!std::filesystem::is_directory(p, ec)) p = p.parent_path();
  while (!p.empty() && p != p.root_path() && !std::filesystem::is_directory(p, ec))
    p = p.parent_path();
  return p.empty() ? std::filesystem::path("/") : p;
}

std::uint64_t free_bytes(const std::filesystem::path& path) {
  const std::filesystem::path dir = existing_directory(path);
  struct statvfs st {};
  REVEST_REQUIRE(::statvfs(dir.c_str(), &st) == 0,
                 dir.string() << ": cannot read the file system's free space ("
                              << std::strerror(errno) << ")");
  return static_cast<std::uint64_t>(st.f_bavail) * static_cast<std::uint64_t>(st.f_frsize);
}

std::string format_bytes(std::uint64_t bytes) {
  static const char* units[] = {"bytes", "kB", "MB", "GB", "TB", "PB", "EB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 999.5 && u < 6) {
    v /= 1000;
    ++u;
  }
  std::ostringstream os;
  if (u == 0)
    os << bytes << " bytes";
  else
    os << std::setprecision(v < 10 ? 2 : 3) << v << " " << units[u];
  return os.str();
}

int reserve_space(const std::filesystem::path& path, std::uint64_t bytes) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return errno;
  int err = ::fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(bytes)) == 0 ? 0 : errno;
  if (err == ENOSYS) err = EOPNOTSUPP;
  ::close(fd);
  return err;
}

void release_unused_space(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec) [[maybe_unused]]
    const int r = ::truncate(path.c_str(), static_cast<off_t>(size));
}

std::uint64_t unallocated_bytes(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  const std::uint64_t size = static_cast<std::uint64_t>(st.st_size),
                      used = static_cast<std::uint64_t>(st.st_blocks) * 512;
  return size > used ? size - used : 0;
}

bool archive_reserve(const std::filesystem::path& work, const std::vector<AnalysisLayout>& layouts,
                     const std::vector<std::vector<std::size_t>>& tasks) {
  // The byte ranges of the rows: the datasets are contiguous in a work file (H5Dget_offset).
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;  // offset, length
  {
    Handle f = archive_open(work, false);
    for (std::size_t ai = 0; ai < layouts.size() && ai < tasks.size(); ++ai)
      for (const auto& spec : layouts[ai].specs) {
        const std::string p = "/analyses/" + layouts[ai].name + "/replications/" + spec.name;
        Handle d(h5::check(H5Dopen2(f, p.c_str(), H5P_DEFAULT), "open " + p));
        const haddr_t at = H5Dget_offset(d);
        const std::uint64_t row = spec.row_size() * sizeof(double);
        if (at == HADDR_UNDEF || row == 0) continue;
        const auto& t = tasks[ai];
        for (std::size_t a = 0; a < t.size();) {
          std::size_t b = a + 1;
          while (b < t.size() && t[b] == t[b - 1] + 1) ++b;
          ranges.emplace_back(at + t[a] * row, (t[b - 1] + 1 - t[a]) * row);
          a = b;
        }
      }
  }
  const int fd = ::open(work.c_str(), O_RDWR | O_CLOEXEC);
  REVEST_REQUIRE(fd >= 0, work.string() << ": cannot open to reserve its rows ("
                                        << std::strerror(errno) << ")");
  std::uint64_t total = 0;
  for (const auto& r : ranges) total += r.second;
  for (const auto& [off, len] : ranges) {
    // KEEP_SIZE: the file's size (HDF5's end of file) never changes; only blocks get allocated.
    if (::fallocate(fd, FALLOC_FL_KEEP_SIZE, static_cast<off_t>(off), static_cast<off_t>(len)) == 0)
      continue;
    const int e = errno;
    ::close(fd);
    if (e == EOPNOTSUPP || e == ENOSYS) return false;
    REVEST_FAIL((e == ENOSPC || e == EDQUOT ? "disk full: " : "")
                << "cannot reserve " << format_bytes(total) << " for the rows of the work file "
                << work.string() << " on " << existing_directory(work).string() << " ("
                << std::strerror(e) << "; " << format_bytes(free_bytes(work)) << " free now)");
  }
  ::close(fd);
  return true;
}

}  // namespace revest::driver
