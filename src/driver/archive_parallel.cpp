#include "driver/archive_parallel.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/error.hpp"
#include "driver/archive_space.hpp"

namespace revest::driver {

using h5::Handle;

ParallelArchive::ParallelArchive(const std::filesystem::path& path, MPI_Comm comm) : path_(path) {
  h5::quiet();
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
  H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
  H5Pset_all_coll_metadata_ops(fapl, 1);
  H5Pset_coll_metadata_write(fapl, 1);
  file_ = Handle(H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl));
  REVEST_REQUIRE(file_.get() >= 0, path.string() << ": cannot open archive with MPI-IO");
  dxpl_ = Handle(H5Pcreate(H5P_DATASET_XFER));
  H5Pset_dxpl_mpio(dxpl_, H5FD_MPIO_COLLECTIVE);
}

ParallelArchive::~ParallelArchive() {
  // Errors on destruction cannot be reported; close() is the checked path.
}

void ParallelArchive::close() { file_.reset(); }

void ParallelArchive::abandon() {
  file_.release();
  dxpl_.reset();
}

namespace {
/// Selects rows `tasks` (sorted) of a dataset with trailing dims `rest` in `space`.
void select_rows(hid_t space, const std::vector<std::size_t>& tasks,
                 const std::vector<hsize_t>& rest) {
  if (tasks.empty()) {
    H5Sselect_none(space);
    return;
  }
  std::vector<hsize_t> start(rest.size() + 1, 0), count(rest.size() + 1);
  for (std::size_t k = 0; k < rest.size(); ++k) count[k + 1] = rest[k];
  bool first = true;
  for (std::size_t a = 0; a < tasks.size();) {
    std::size_t b = a + 1;
    while (b < tasks.size() && tasks[b] == tasks[b - 1] + 1) ++b;
    start[0] = tasks[a];
    count[0] = b - a;
    H5Sselect_hyperslab(space, first ? H5S_SELECT_SET : H5S_SELECT_OR, start.data(), nullptr,
                        count.data(), nullptr);
    first = false;
    a = b;
  }
}
}  // namespace

namespace {
void write_selection(hid_t file, hid_t dxpl, const std::string& path, hid_t mem_type,
                     const void* buf, const std::vector<std::size_t>& tasks, std::size_t row_elems,
                     const std::vector<hsize_t>& rest) {
  Handle d(h5::check(H5Dopen2(file, path.c_str(), H5P_DEFAULT), "open " + path));
  Handle fs(H5Dget_space(d));
  select_rows(fs, tasks, rest);
  const hsize_t nmem = std::max<hsize_t>(1, tasks.size() * row_elems);
  Handle ms(H5Screate_simple(1, &nmem, nullptr));
  if (tasks.empty()) H5Sselect_none(ms);
  h5::check_status(H5Dwrite(d, mem_type, ms, fs, dxpl, buf), "collective write of " + path);
}
}  // namespace

void ParallelArchive::guarded(const std::function<void()>& write, const std::string& what,
                              std::uint64_t bytes) {
  h5::clear_failure_errno();
  try {
    write();
  } catch (const Error& e) {
    // Rows are reserved on disk when the work file is created (archive_reserve), so this happens
    // only without that (--ignore-free-space, or a file system that cannot reserve). MPI-IO does not
    // say why a write failed: a file system left with less room than the write needed was full.
    const int err = h5::failure_errno();
    std::uint64_t free = 0;
    try {
      free = free_bytes(path_);
    } catch (const Error&) {
      throw e;
    }
    if (err != ENOSPC && err != EDQUOT && free >= bytes + (std::uint64_t{1} << 20)) throw;
    REVEST_FAIL("disk full: "
                << what << " in the work file " << path_.string() << " failed, and "
                << existing_directory(path_).string() << " has " << format_bytes(free)
                << " free. The tasks checkpointed before are kept: free space there and resume the "
                   "run (--resume); "
                << e.what());
  }
}

void ParallelArchive::write_rows(const AnalysisLayout& layout,
                                 const std::vector<std::size_t>& tasks,
                                 const std::vector<std::vector<double>>& rows) {
  const std::string base = "/analyses/" + layout.name;
  static const double dummy_d = 0;
  for (std::size_t s = 0; s < layout.specs.size(); ++s) {
    std::vector<hsize_t> rest(layout.specs[s].shape.begin(), layout.specs[s].shape.end());
    const void* buf = tasks.empty() ? static_cast<const void*>(&dummy_d) : rows[s].data();
    guarded(
        [&] {
          write_selection(file_, dxpl_, base + "/replications/" + layout.specs[s].name,
                          H5T_NATIVE_DOUBLE, buf, tasks, layout.specs[s].row_size(), rest);
        },
        "writing the rows of analysis '" + layout.name + "'",
        tasks.size() * layout.specs[s].row_size() * sizeof(double));
  }
}

void ParallelArchive::checkpoint(const AnalysisLayout& layout,
                                 const std::vector<std::size_t>& tasks,
                                 const std::vector<std::int32_t>& status,
                                 const std::vector<std::string>& messages) {
  const std::string base = "/analyses/" + layout.name;
  // Rows and messages reach the disk before the status that marks them done: a kill before the
  // last flush leaves those tasks marked not run, and a resume computes them again.
  std::vector<char> msg(std::max<std::size_t>(1, tasks.size()) * kMessageLength, 0);
  for (std::size_t k = 0; k < messages.size(); ++k) {
    std::size_t n = std::min(messages[k].size(), kMessageLength);
    // Never cut a UTF-8 character in two: back up over continuation bytes.
    if (n < messages[k].size())
      while (n > 0 && (static_cast<unsigned char>(messages[k][n]) & 0xC0) == 0x80) --n;
    std::memcpy(msg.data() + k * kMessageLength, messages[k].data(), n);
  }
  Handle mt = message_type();
  write_selection(file_, dxpl_, base + "/status_message", mt, msg.data(), tasks, 1, {});
  h5::check_status(H5Fflush(file_, H5F_SCOPE_GLOBAL), "flush (rows)");
  static const std::int32_t dummy_i = 0;
  write_selection(file_, dxpl_, base + "/status", H5T_NATIVE_INT32,
                  tasks.empty() ? &dummy_i : status.data(), tasks, 1, {});
  h5::check_status(H5Fflush(file_, H5F_SCOPE_GLOBAL), "flush (checkpoint)");
}

}  // namespace revest::driver
