#include "driver/archive_segments.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "core/error.hpp"
#include "driver/archive_reader.hpp"

namespace revest::driver {

using h5::Handle;

void write_segment(hid_t file, hsize_t slot, const std::string& text) {
  REVEST_REQUIRE(slot < kSegmentSlots, "archive: more than "
                                           << kSegmentSlots
                                           << " run segments (resumes) in one archive");
  Handle d(h5::check(H5Dopen2(file, "/meta/segments", H5P_DEFAULT), "open /meta/segments"));
  Handle fs(H5Dget_space(d));
  const hsize_t one = 1;
  H5Sselect_hyperslab(fs, H5S_SELECT_SET, &slot, nullptr, &one, nullptr);
  Handle ms(H5Screate_simple(1, &one, nullptr));
  std::string buf(kSegmentLength, '\0');
  std::memcpy(buf.data(), text.data(), std::min(text.size(), kSegmentLength - 1));
  Handle t = h5::fixed_string_type(kSegmentLength);
  h5::check_status(H5Dwrite(d, t, ms, fs, H5P_DEFAULT, buf.data()), "write run segment");
}

std::string segment_text(const RunInfo& info) {
  std::ostringstream os;
  os << "start=" << info.start_time << " mpi_size=" << info.mpi_size;
  if (const char* j = std::getenv("SLURM_JOB_ID")) os << " slurm_job=" << j;
  if (const char* r = std::getenv("SLURM_RESTART_COUNT")) os << " restart=" << r;
  // Hosts last and compressed (host*ranks), cut short so that a stop note still fits the line.
  std::string hosts;
  for (std::size_t r = 0; r < info.hosts.size();) {
    std::size_t e = r;
    while (e < info.hosts.size() && info.hosts[e] == info.hosts[r]) ++e;
    hosts.append(hosts.empty() ? "" : ",").append(info.hosts[r]);
    if (e - r > 1) hosts.append("*").append(std::to_string(e - r));
    r = e;
  }
  if (hosts.size() > 200) hosts = hosts.substr(0, 197) + "...";
  os << " hosts=" << hosts;
  return os.str();
}

void create_segment_log(hid_t meta) {
  const hsize_t n = kSegmentSlots;
  Handle sp(H5Screate_simple(1, &n, nullptr));
  Handle t = h5::fixed_string_type(kSegmentLength);
  const std::string zero(kSegmentLength, '\0');
  Handle dcpl = dcpl_work(t, zero.data());
  Handle d(h5::check(H5Dcreate2(meta, "segments", t, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                     "create /meta/segments"));
  h5::attr(d, "description",
           std::string("run-segment log of the work file, one line per run or resume (the final "
                       "archive keeps it as the attribute /meta run_segments)"));
}

std::vector<std::string> archive_segments(hid_t file) {
  std::vector<std::string> out;
  if (!h5::exists(file, "/meta/segments")) {  // a final archive: the segments are an attribute
    Handle meta(h5::check(H5Gopen2(file, "/meta", H5P_DEFAULT), "open /meta"));
    if (h5::has_attr(meta, "run_segments")) out = h5::attr_strings(meta, "run_segments");
    return out;
  }
  Handle d(h5::check(H5Dopen2(file, "/meta/segments", H5P_DEFAULT), "open /meta/segments"));
  Handle t = h5::fixed_string_type(kSegmentLength);
  std::string buf(kSegmentSlots * kSegmentLength, '\0');
  h5::check_status(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), "read /meta/segments");
  for (hsize_t k = 0; k < kSegmentSlots; ++k) {
    const char* p = buf.data() + k * kSegmentLength;
    const std::size_t len = strnlen(p, kSegmentLength);
    if (len == 0) break;
    out.emplace_back(p, len);
  }
  return out;
}

void archive_segment_note(const std::filesystem::path& path, const std::string& text) {
  Handle f = archive_open(path, true);
  const auto segs = archive_segments(f);
  if (segs.empty()) return;
  write_segment(f, segs.size() - 1, segs.back() + " " + text);
  h5::check_status(H5Fflush(f, H5F_SCOPE_GLOBAL), "flush");
}

}  // namespace revest::driver
