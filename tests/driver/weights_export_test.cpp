// `revest weights` (src/driver/weights_export.hpp): the queen weights of the bundled geography
// (jobs/smoke.toml; data/southwest/README: 1,442 queen pairs) written in every format and read
// back on the counties' codes are the matrix the job builds, bit for bit; economic weights read
// the job's panel; bad specs and file types are errors naming them, and leave no file.
#include "driver/weights_export.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "analyses/spatial_inputs.hpp"
#include "io/geography.hpp"
#include "io/job.hpp"
#include "spatial/weights_io.hpp"
#include "test_support.hpp"

namespace revest::driver {
namespace {

const std::filesystem::path kSource = REVEST_SOURCE_DIR;
const std::filesystem::path kJob = kSource / "jobs" / "smoke.toml";
const std::filesystem::path kDefaults = kSource / "config" / "defaults.toml";

std::filesystem::path out_dir() {
  const auto d = std::filesystem::path(REVEST_BINARY_DIR) / "test-output" / "weights_export";
  std::filesystem::create_directories(d);
  return d;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

bool same_bits(const spatial::SpMat& a, const spatial::SpMat& b) {
  const Eigen::MatrixXd da(a), db(b);
  if (da.rows() != db.rows() || da.cols() != db.cols()) return false;
  return std::memcmp(da.data(), db.data(), sizeof(double) * static_cast<std::size_t>(da.size())) ==
         0;
}

TEST(WeightsExport, EveryFormatReadsBackAsTheJobsMatrix) {
  const io::Job job = io::load_job(kJob, kDefaults);
  const io::Geography geo = io::load_geography(job.geography);
  const analyses::WeightsSet set({spatial::parse_weights_spec("queen", "test")}, geo, io::Panel{},
                                 std::nullopt);
  const spatial::Weights& queen = *set.w.front();
  std::vector<std::string> ids;
  for (const auto& c : geo.counties) ids.push_back(std::to_string(c.adcode_ref));
  for (const char* ext : {".gal", ".gwt", ".csv", ".mtx"}) {
    const auto file = out_dir() / (std::string("queen") + ext);
    std::filesystem::remove(file);
    const WeightsExport r = export_weights(kJob, kDefaults, "queen", file);
    EXPECT_EQ(r.units, 512u);
    EXPECT_EQ(r.links, 2u * 1442u) << ext;
    const auto format = spatial::weights_format_of(file);
    spatial::WeightsFileOptions o;
    if (format == spatial::WeightsFormat::kEdges) o.weight_column = "weight";
    const auto raw = spatial::read_weights_text(slurp(file), format, ids, file.string(), o);
    EXPECT_EQ(raw.size(), 2u * 1442u) << ext;
    spatial::WeightsSpec s;
    s.text = "read back";
    // gal holds the pattern: standardise it again; the others hold the weights themselves.
    s.row_standardise = format == spatial::WeightsFormat::kGal;
    EXPECT_TRUE(same_bits(spatial::make_weights(512, raw, s, {}).W, queen.W)) << ext;
  }
}

TEST(WeightsExport, EconomicWeightsReadThePanel) {
  const auto file = out_dir() / "economic.mtx";
  const WeightsExport r =
      export_weights(kJob, kDefaults, "economic variable=gdp_pc base=queen", file);
  EXPECT_EQ(r.links, 2u * 1442u);
  EXPECT_TRUE(std::filesystem::exists(file));
}

TEST(WeightsExport, ErrorsNameTheSpecOrTheFileAndLeaveNoFile) {
  const auto bad = out_dir() / "w.txt";
  EXPECT_NE(test::error_of([&] {
              export_weights(kJob, kDefaults, "queen", bad);
            }).find("unknown weights file type '.txt'"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(bad));
  const auto file = out_dir() / "never.gal";
  std::filesystem::remove(file);
  EXPECT_NE(
      test::error_of([&] { export_weights(kJob, kDefaults, "knn k=0", file); }).find("--spec"),
      std::string::npos);
  EXPECT_NE(test::error_of([&] {
              export_weights(kJob, kDefaults, "economic variable=nope", file);
            }).find("nope"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(file));
  // Never over an input of the job: the geography's queen.csv stays as it is.
  const io::Job job = io::load_job(kJob, kDefaults);
  const auto queen_csv = job.geography / "queen.csv";
  const std::string before = slurp(queen_csv);
  EXPECT_NE(test::error_of([&] {
              export_weights(kJob, kDefaults, "queen", queen_csv);
            }).find("refusing to overwrite an input of the job"),
            std::string::npos);
  EXPECT_EQ(slurp(queen_csv), before);
  // A file that cannot be renamed into place (a directory of that name): an error, no leftovers.
  const auto dir = out_dir() / "adir.gal";
  std::filesystem::create_directories(dir);
  EXPECT_NE(
      test::error_of([&] { export_weights(kJob, kDefaults, "queen", dir); }).find("cannot rename"),
      std::string::npos);
  for (const auto& e : std::filesystem::directory_iterator(out_dir()))
    EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << e.path();
}

}  // namespace
}  // namespace revest::driver
