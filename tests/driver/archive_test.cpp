// Serial unit tests of the archive layer: HDF5 tables and attributes round-trip, archive states,
// column-block reads of N-D replications, checksums of datasets and attributes and the archive
// digest, progress formatting.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <numeric>

#include "driver/archive.hpp"
#include "driver/checksums.hpp"
#include "driver/commands.hpp"
#include "driver/h5.hpp"
#include "driver/progress.hpp"

using namespace revest;
using namespace revest::driver;
namespace fs = std::filesystem;

namespace {
fs::path out(const std::string& name) {
  const fs::path d = fs::path(REVEST_BINARY_DIR) / "test-output" / "archive_unit";
  fs::create_directories(d);
  return d / name;
}
h5::Handle create(const fs::path& p) {
  h5::quiet();
  return h5::Handle(H5Fcreate(p.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
}
}  // namespace

TEST(H5, TableRoundTripKeepsTypesOrderAndValues) {
  const auto p = out("table.h5");
  Table t{"scores", "a test table", {}};
  t.columns.push_back({"adcode", std::vector<std::int64_t>{500101, 513300}, "code"});
  t.columns.push_back({"name", std::vector<std::string>{"万州区", "甘孜藏族自治州"}, ""});
  t.columns.push_back(
      {"score", std::vector<double>{0.1, std::numeric_limits<double>::quiet_NaN()}, ""});
  {
    auto f = create(p);
    ASSERT_GE(f.get(), 0);
    h5::write_table(f, t);
    h5::write_table(f, t);  // replacing an existing table works
  }
  auto f = archive_open(p, false);
  const Table r = h5::read_table(f, "scores");
  ASSERT_EQ(r.columns.size(), 3u);
  EXPECT_EQ(r.columns[0].name, "adcode");
  EXPECT_EQ(std::get<std::vector<std::int64_t>>(r.columns[0].data),
            (std::vector<std::int64_t>{500101, 513300}));
  EXPECT_EQ(std::get<std::vector<std::string>>(r.columns[1].data)[1], "甘孜藏族自治州");
  const auto& s = std::get<std::vector<double>>(r.columns[2].data);
  EXPECT_EQ(s[0], 0.1);
  EXPECT_TRUE(std::isnan(s[1]));
  EXPECT_EQ(r.description, "a test table");
}

TEST(H5, AttributesRoundTrip) {
  const auto p = out("attrs.h5");
  {
    auto f = create(p);
    h5::attr(f, "s", std::string("text"));
    h5::attr(f, "i", std::int64_t{-7});
    h5::attr(f, "d", 2.5);
    h5::attr(f, "v", std::vector<std::string>{"a", "bb", ""});
    h5::attr(f, "i", std::int64_t{8});  // overwrite
  }
  auto f = archive_open(p, false);
  EXPECT_EQ(h5::attr_string(f, "s"), "text");
  EXPECT_EQ(h5::attr_int(f, "i"), 8);
  EXPECT_EQ(h5::attr_double(f, "d"), 2.5);
  EXPECT_EQ(h5::attr_strings(f, "v"), (std::vector<std::string>{"a", "bb", ""}));
  EXPECT_FALSE(h5::has_attr(f, "nope"));
}

TEST(Archive, StatesOfFiles) {
  EXPECT_EQ(archive_state(out("absent.h5")), ArchiveState::kAbsent);
  std::ofstream(out("text.h5")) << "not hdf5";
  EXPECT_EQ(archive_state(out("text.h5")), ArchiveState::kNotAnArchive);
  { auto f = create(out("plain.h5")); }
  EXPECT_EQ(archive_state(out("plain.h5")), ArchiveState::kNotAnArchive);
  {
    auto f = create(out("incomplete.h5"));
    h5::attr(f, "format", std::string("revest-archive"));
    h5::attr(f, "complete", std::int64_t{0});
  }
  EXPECT_EQ(archive_state(out("incomplete.h5")), ArchiveState::kIncomplete);
}

// A 3-D replication dataset [B x 3 x 4] read back in arbitrary flat column blocks.
TEST(Archive, ReadColumnsOfNdReplications) {
  const auto p = out("reps.h5");
  AnalysisLayout lay;
  lay.name = "a";
  lay.num_tasks = 5;
  lay.specs = {{"x", {3, 4}, ""}};
  std::vector<double> all(5 * 12);
  std::iota(all.begin(), all.end(), 0.0);
  {
    auto f = create(p);
    auto g = h5::group(f, "/analyses/a/replications");
    const hsize_t dims[3] = {5, 3, 4};
    h5::Handle sp(H5Screate_simple(3, dims, nullptr));
    h5::Handle d(H5Dcreate2(g, "x", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, all.data());
    std::vector<std::int32_t> st = {0, 0, 2, 0, 0};
    auto ag = h5::group(f, "/analyses/a");
    h5::write(ag, "status", st);
  }
  auto f = archive_open(p, false);
  ArchiveReader reader(f, lay);
  for (auto [c0, c1] :
       std::vector<std::pair<std::size_t, std::size_t>>{{0, 12}, {3, 9}, {5, 6}, {4, 12}, {0, 1}}) {
    const auto got = reader.read_columns(0, c0, c1);
    ASSERT_EQ(got.size(), 5 * (c1 - c0));
    for (std::size_t b = 0; b < 5; ++b)
      for (std::size_t c = c0; c < c1; ++c) {
        const double v = got[b * (c1 - c0) + (c - c0)];
        if (b == 2)
          EXPECT_TRUE(std::isnan(v)) << "failed task 2 must read as NaN";
        else
          EXPECT_EQ(v, all[b * 12 + c]) << "b=" << b << " c=" << c;
      }
  }
  EXPECT_EQ(reader.status()[2], TaskStatus::kNumericalFailure);
}

TEST(Progress, FormatsSeconds) {
  EXPECT_EQ(Progress::format_seconds(12.34), "12.3s");
  EXPECT_EQ(Progress::format_seconds(185), "3m05s");
  EXPECT_EQ(Progress::format_seconds(3720), "1h02m");
  EXPECT_EQ(Progress::format_seconds(std::nan("")), "?");
}

TEST(Progress, PlainLinesForLogs) {
  const auto p = out("progress.log");
  std::FILE* f = std::fopen(p.c_str(), "w");
  {
    Progress pr("idx", 100, 20, 0.0, true, f);
    pr.update(60, 1);
    pr.update(100, 1);  // the last round: finish() prints the final line, once
    pr.finish();
  }
  std::fclose(f);
  std::ifstream in(p);
  std::string all((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(all.find("idx: 100 tasks (20 already done, resuming)"), std::string::npos) << all;
  EXPECT_NE(all.find("60/100 tasks (60.0%)"), std::string::npos) << all;
  EXPECT_NE(all.find("1 failed"), std::string::npos) << all;
  const auto first = all.find("100/100");
  ASSERT_NE(first, std::string::npos) << all;
  EXPECT_EQ(all.find("100/100", first + 1), std::string::npos) << "final line printed twice:\n"
                                                               << all;
}

TEST(Sha256, EmptyFile) {
  std::ofstream(out("empty.txt")).close();
  // FIPS 180-2: SHA-256 of the empty message.
  EXPECT_EQ(sha256_file(out("empty.txt")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// The canonical bytes hashed for attributes (checksums.hpp, README "archive digest"): strings
// followed by a NUL each, numbers little-endian.
TEST(Checksums, AttributeCanonicalBytes) {
  const auto p = out("attr_sums.h5");
  {
    auto f = create(p);
    h5::attr(f, "s", std::string("ab"));
    h5::attr(f, "i", std::int64_t{1});
    h5::attr(f, "v", std::vector<std::string>{"a", ""});
  }
  auto f = archive_open(p, false);
  EXPECT_EQ(h5::sha256_attribute(f, "s"), h5::sha256_hex(std::string("ab\0", 3)));
  EXPECT_EQ(h5::sha256_attribute(f, "i"), h5::sha256_hex(std::string("\x01\0\0\0\0\0\0\0", 8)));
  EXPECT_EQ(h5::sha256_attribute(f, "v"), h5::sha256_hex(std::string("a\0\0", 3)));
  // The digest: lines sorted by their bytes, each ended by a newline.
  EXPECT_EQ(digest_of({"/b x", "/a y"}), h5::sha256_hex("/a y\n/b x\n"));
}

// Checksums recorded on every dataset and attribute are verified one by one; a changed, added or
// removed attribute is named, and the digest (from the contents) changes.
TEST(Checksums, RecordedThenVerified) {
  const auto p = out("sums.h5");
  std::string digest;
  {
    auto f = create(p);
    h5::attr(f, "format_version", kArchiveFormatVersion);
    auto g = h5::group(f, "/g");
    h5::attr(g, "kind", std::string("entropy_index"));
    h5::write(g, "x", std::vector<double>{1.0, 2.0});
    digest = write_checksums(f);
  }
  {
    auto f = archive_open(p, false);
    const ChecksumReport r = verify_checksums(f);
    EXPECT_TRUE(r.problems.empty()) << r.problems.front();
    EXPECT_EQ(r.datasets, 1u);
    EXPECT_EQ(r.datasets_intact, 1u);
    EXPECT_EQ(r.attributes, r.attributes_intact);
    EXPECT_EQ(r.digest, digest);
    EXPECT_EQ(recorded_digest(f), digest);
  }
  {
    auto f = archive_open(p, true);
    auto g = h5::group(f, "/g");
    h5::attr(g, "kind", std::string("three_stage_dea"));
    h5::attr(g, "added", std::int64_t{3});
  }
  auto f = archive_open(p, false);
  const ChecksumReport r = verify_checksums(f);
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_NE(r.problems[0].find("ATTRIBUTE /g@added: no checksum recorded"), std::string::npos)
      << r.problems[0];
  EXPECT_NE(r.problems[1].find("ATTRIBUTE /g@kind: checksum mismatch"), std::string::npos)
      << r.problems[1];
  EXPECT_NE(r.digest, digest);
}

TEST(ArchiveSize, FormatsBytes) {
  EXPECT_EQ(format_bytes(999), "999 bytes");
  EXPECT_EQ(format_bytes(1500000), "1.5 MB");
  EXPECT_EQ(format_bytes(453000000), "453 MB");
  EXPECT_EQ(format_bytes(19800000000000ull), "19.8 TB");
}

// The work file holds every row of its shard's tasks and the status and message of every task;
// the final archive's estimate is its datasets uncompressed.
TEST(ArchiveSize, EstimateCountsRowsStatusAndInputs) {
  AnalysisLayout a;
  a.num_tasks = 10;
  a.specs = {{"x", {3}, ""}, {"y", {2, 2}, ""}};  // 7 doubles per task
  const std::uint64_t inputs = 1000;
  const ArchiveSize whole = estimate_archive_size({a}, inputs);
  EXPECT_EQ(whole.rows, 10u * 7 * 8);
  const std::uint64_t fixed = whole.work - whole.rows - 10 * (4 + kMessageLength);
  EXPECT_GE(fixed, inputs);
  EXPECT_EQ(whole.final, whole.work);
  const ArchiveSize shard = estimate_archive_size({a}, inputs, ShardSpec{1, 3});  // tasks 3, 4, 5
  EXPECT_EQ(shard.rows, 3u * 7 * 8);
  EXPECT_EQ(shard.work, fixed + shard.rows + 10 * (4 + kMessageLength));
  // Clearly too small: below the work file and an eighth of the final archive.
  EXPECT_EQ(required_free_bytes(100, 80), 110u);
}
