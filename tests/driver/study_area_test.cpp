// Study areas that are not the bundled 512 counties (issue 18), as jobs run across all ranks:
//  - 2,000 firms (a unit list without coordinates, its own indicator file and panel): DEA with its
//    bootstrap (stages = 1, no environment), which tracks the firms' known efficiency;
//  - Columbus (Anselin 1988; tests/spatial/data/columbus): 49 neighbourhoods as a unit list, their
//    neighbours from an edge list (weights file), SAR and SEM of CRIME ~ INC + HOVAL: the job gives
//    the estimates documented for R spatialreg (documented_estimates.csv), to their printed
//    decimals.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/rng.hpp"
#include "dea/dea_test_support.hpp"
#include "driver/archive.hpp"
#include "driver/driver_test_support.hpp"
#include "driver/h5.hpp"
#include "driver/mpi_env.hpp"
#include "driver/runtime.hpp"
#include "io/csv.hpp"
#include "test_support.hpp"

using namespace revest;
using namespace revest::driver;

namespace {

const std::filesystem::path kSource = REVEST_SOURCE_DIR;

/// A fresh directory for this test and rank count (rank 0 creates it; all ranks get its name).
std::filesystem::path fresh_dir(const std::string& stem) {
  std::string p = (std::filesystem::path(REVEST_BINARY_DIR) / "test-output" /
                   (stem + "_np" + std::to_string(comm_size())))
                      .string();
  broadcast(p);
  if (comm_rank() == 0) {
    std::filesystem::remove_all(p);
    std::filesystem::create_directories(p);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  return p;
}

using test::base_options;

std::string indicator(const std::string& name, const std::string& domain, const std::string& use) {
  return "[[indicator]]\nname = \"" + name + "\"\nlabel = \"" + name +
         "\"\nunit = \"1\"\ngroup = \"control\"\ndirection = 1\ndomain = \"" + domain +
         "\"\nuses = [\"" + use + "\"]\ndescription = \"test variable\"\n";
}

Table summary_table(const std::filesystem::path& archive, const std::string& analysis,
                    const std::string& table) {
  auto f = archive_open(archive, false);
  h5::Handle g(H5Gopen2(f, ("/analyses/" + analysis + "/summary").c_str(), H5P_DEFAULT));
  return h5::read_table(g, table);
}

using test::column;

}  // namespace

// Known truth: y = (x1 x2)^0.4 exp(-u), u ~ |N(0, 0.3^2)|, x ~ U(1, 10), 2,000 firms, one year.
TEST(StudyArea, DeaOfTwoThousandFirmsWithoutGeography) {
  const auto dir = fresh_dir("study_area_firms");
  constexpr std::size_t kFirms = 2000;
  std::vector<double> truth(kFirms);
  Rng rng(2024, "firms", 0);
  std::ostringstream units, panel;
  units << "id,name\n";
  panel << "id,year,labour,capital,sales\n";
  for (std::size_t i = 0; i < kFirms; ++i) {
    const double x1 = 1 + 9 * rng.uniform01(), x2 = 1 + 9 * rng.uniform01();
    const double u1 = std::max(1e-12, rng.uniform01()), u2 = rng.uniform01();
    const double u =
        std::abs(0.3 * std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2));
    truth[i] = std::exp(-u);
    units << 100000 + i << ",firm " << i << "\n";
    panel << 100000 + i << ",2020," << x1 << "," << x2 << "," << std::pow(x1 * x2, 0.4) * truth[i]
          << "\n";
  }
  if (comm_rank() == 0) {
    std::ofstream(dir / "firms.csv") << units.str();
    std::ofstream(dir / "panel.csv") << panel.str();
    std::ofstream(dir / "indicators.toml") << indicator("labour", "positive", "dea_input")
                                           << indicator("capital", "positive", "dea_input")
                                           << indicator("sales", "positive", "dea_output");
    std::ofstream(dir / "job.toml")
        << "name = \"firms\"\nseed = 5\noutput = \"firms.h5\"\n"
           "[data]\ngeography = \"firms.csv\"\npanel = \"panel.csv\"\n"
           "indicators = \"indicators.toml\"\nyears = [2020, 2020]\n"
           "[[analysis]]\nkind = \"three_stage_dea\"\nname = \"efficiency\"\nstages = 1\n"
           "replications = 8\n";
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const auto out = dir / "firms.h5";
  ASSERT_NO_THROW(run_job(dir / "job.toml", base_options(out), MPI_COMM_WORLD));
  if (comm_rank() != 0) return;
  const Table eff = summary_table(out, "efficiency", "efficiency");
  const auto& id = column<std::int64_t>(eff, "adcode");
  const auto& vrs = column<double>(eff, "stage1_vrs");
  const auto& lo = column<double>(eff, "stage1_ci_lo");
  const auto& hi = column<double>(eff, "stage1_ci_hi");
  ASSERT_EQ(vrs.size(), kFirms);
  EXPECT_EQ(id.front(), 100000);
  EXPECT_EQ(id.back(), static_cast<std::int64_t>(100000 + kFirms - 1));
  for (std::size_t i = 0; i < kFirms; ++i) {
    EXPECT_GT(vrs[i], 0.0);
    EXPECT_LE(vrs[i], 1.0);
    EXPECT_LE(lo[i], hi[i]);
  }
  EXPECT_GT(test::corr(vrs, truth), 0.9);
  // No stage-2 tables, no environment: the archive holds the DEA and its bootstrap.
  auto f = archive_open(out, false);
  EXPECT_FALSE(h5::exists(f, "/analyses/efficiency/summary/stage2_fits"));
  EXPECT_TRUE(h5::exists(f, "/analyses/efficiency/summary/output_slacks"));
}

TEST(StudyArea, ColumbusFromAUnitListAndAnEdgeList) {
  const auto dir = fresh_dir("study_area_columbus");
  const auto data = kSource / "tests" / "spatial" / "data" / "columbus";
  if (comm_rank() == 0) {
    const io::CsvTable t = io::read_csv(data / "columbus.csv");
    std::ofstream units(dir / "columbus_units.csv"), panel(dir / "panel.csv");
    units << "id,name\n";
    panel << "id,year,crime,inc,hoval\n";
    const std::size_t id = t.column("id0"), crime = t.column("CRIME"), inc = t.column("INC"),
                      hoval = t.column("HOVAL");
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
      units << t.rows[r][id] << ",neighbourhood " << t.rows[r][id] << "\n";
      panel << t.rows[r][id] << ",1980," << t.rows[r][crime] << "," << t.rows[r][inc] << ","
            << t.rows[r][hoval] << "\n";
    }
    std::ofstream(dir / "indicators.toml")
        << indicator("crime", "any", "control") << indicator("inc", "any", "control")
        << indicator("hoval", "any", "control");
    std::ofstream(dir / "job.toml")
        << "name = \"columbus\"\nseed = 1\noutput = \"columbus.h5\"\n"
           "[data]\ngeography = \"columbus_units.csv\"\npanel = \"panel.csv\"\n"
           "indicators = \"indicators.toml\"\nyears = [1980, 1980]\n"
           "[[analysis]]\nkind = \"spatial_models\"\nname = \"crime\"\n"
           "weights = ['edges file=\""
        << (data / "columbus_anselin_edges.csv").string()
        << "\"']\nmodels = [\"sar\", \"sem\"]\nformulas = [\"crime ~ inc + hoval\"]\n"
           "cross_section = \"last_year\"\nimpact_draws = 0\n";
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const auto out = dir / "columbus.h5";
  ASSERT_NO_THROW(run_job(dir / "job.toml", base_options(out), MPI_COMM_WORLD));
  if (comm_rank() != 0) return;
  // documented_estimates.csv: model,quantity,value,printed_decimals (comment lines first).
  std::map<std::string, std::pair<double, int>> doc;
  {
    std::ifstream in(data / "documented_estimates.csv");
    for (std::string line; std::getline(in, line);) {
      if (line.empty() || line[0] == '#' || line.rfind("model,", 0) == 0) continue;
      std::istringstream f(line);
      std::string model, quantity, value, decimals;
      std::getline(f, model, ',');
      std::getline(f, quantity, ',');
      std::getline(f, value, ',');
      std::getline(f, decimals, ',');
      doc[model + " " + quantity] = {std::stod(value), std::stoi(decimals)};
    }
  }
  auto near = [&](const std::string& key, double got) {
    ASSERT_TRUE(doc.count(key)) << key;
    const auto [want, decimals] = doc.at(key);
    // The tolerance of the library's test of the same estimates (tests/spatial/models_test.cpp:
    // one unit of the last printed decimal, or 5e-8 relative for values printed to more digits
    // than the source's optimiser stopping rule resolves; 65 of the 74 values are within half a
    // unit).
    const double unit = std::pow(10.0, -decimals) * (1 + 1e-9);
    EXPECT_NEAR(got, want, std::max(unit, 5e-8 * std::abs(want))) << key;
  };
  const Table specs = summary_table(out, "crime", "specifications");
  const auto& model = column<std::string>(specs, "model");
  const auto& rho = column<double>(specs, "rho");
  const auto& lambda = column<double>(specs, "lambda");
  ASSERT_EQ(model.size(), 2u);
  near("SAR rho", rho[model[0] == "sar" ? 0 : 1]);
  near("SEM lambda", lambda[model[0] == "sem" ? 0 : 1]);
  const Table coefs = summary_table(out, "crime", "coefficients");
  const auto& spec = column<std::int64_t>(coefs, "spec");
  const auto& term = column<std::string>(coefs, "term");
  const auto& est = column<double>(coefs, "estimate");
  const auto& se = column<double>(coefs, "se");
  int checked = 0;
  for (std::size_t r = 0; r < term.size(); ++r) {
    const std::string m = model[static_cast<std::size_t>(spec[r])] == "sar" ? "SAR" : "SEM";
    const std::string name = term[r] == "inc" ? "INC" : term[r] == "hoval" ? "HOVAL" : term[r];
    near(m + " " + name, est[r]);
    near(m + " se(" + name + ")", se[r]);
    ++checked;
  }
  EXPECT_EQ(checked, 6);
  // The matrix used is in the archive: Anselin's 49 neighbourhoods, 232 links.
  const Table w = summary_table(out, "crime", "weights");
  EXPECT_EQ(column<std::int64_t>(w, "n").front(), 49);
  EXPECT_EQ(column<std::int64_t>(w, "links").front(), 232);
}

// Columbus as a GeoJSON (issue 18 sections 1 and 3): the polygon file is the geography (ids from
// its POLYID field), queen weights come from the polygons, and Moran's I of CRIME is the value
// documented for R spdep (tests/spatial/data/columbus/README.md: I = 0.500189, E[I] = -0.020833,
// z under randomisation 5.5894; printed decimals). The archive re-runs from its embedded copy.
TEST(StudyArea, ColumbusFromItsPolygons) {
  const auto dir = fresh_dir("study_area_columbus_polygons");
  const auto data = kSource / "tests" / "spatial" / "data" / "columbus";
  if (comm_rank() == 0) {
    const io::CsvTable t = io::read_csv(data / "columbus.csv");
    std::ofstream panel(dir / "panel.csv");
    panel << "id,year,crime\n";
    for (std::size_t r = 0; r < t.rows.size(); ++r)
      panel << t.rows[r][t.column("POLYID")] << ",1980," << t.rows[r][t.column("CRIME")] << "\n";
    std::ofstream(dir / "indicators.toml") << indicator("crime", "any", "control");
    std::ofstream(dir / "job.toml")
        << "name = \"columbus_polygons\"\nseed = 1\noutput = \"columbus.h5\"\n"
           "[data]\ngeography = \""
        << (data / "columbus.geojson").string()
        << "\"\ngeography_id = \"POLYID\"\npanel = \"panel.csv\"\n"
           "indicators = \"indicators.toml\"\nyears = [1980, 1980]\n"
           "[[analysis]]\nkind = \"spatial_esda\"\nname = \"clusters\"\nvariables = [\"crime\"]\n"
           "weights = [\"queen\"]\ncross_section = \"last_year\"\npermutations = 99\n"
           "permutations_per_task = 50\n";
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const auto out = dir / "columbus.h5";
  ASSERT_NO_THROW(run_job(dir / "job.toml", base_options(out), MPI_COMM_WORLD));
  // Re-run from the archive alone: the GeoJSON is read from its embedded copy.
  const auto again = dir / "again.h5";
  auto ropt = base_options(again);
  ropt.from_archive = out;
  ASSERT_NO_THROW(run_job(dir / "job.toml", ropt, MPI_COMM_WORLD));
  if (comm_rank() != 0) return;
  for (const auto& archive : {out, again}) {
    const Table g = summary_table(archive, "clusters", "global");
    const auto& stat = column<std::string>(g, "statistic");
    ASSERT_EQ(stat[0], "moran_i");
    EXPECT_NEAR(column<double>(g, "value")[0], 0.500189, 0.5e-6);
    EXPECT_NEAR(column<double>(g, "expected")[0], -0.020833, 0.5e-6);
    EXPECT_NEAR(column<double>(g, "z_randomisation")[0], 5.5894, 0.5e-4);
    const Table w = summary_table(archive, "clusters", "weights");
    EXPECT_EQ(column<std::int64_t>(w, "links").front(), 236);
  }
}

// An unbalanced panel (issue 18): 300 firms over 2018-2020, some entering late or leaving early.
// With [data] unbalanced = "allow" the DEA of each year uses that year's firms (one row per
// observed firm-year) and the Malmquist index of two years the firms observed in both; with the
// default "error" the job names the first missing firm-year; an analysis that needs every unit in
// every year (entropy_index) refuses the unbalanced panel, naming it.
TEST(StudyArea, UnbalancedPanelOfFirms) {
  const auto dir = fresh_dir("study_area_unbalanced");
  constexpr std::size_t kFirms = 300;
  Rng rng(2025, "unbalanced", 0);
  std::ostringstream units, panel;
  units << "id,name\n";
  panel << "id,year,labour,capital,sales\n";
  std::size_t rows = 0, both = 0;
  for (std::size_t i = 0; i < kFirms; ++i) {
    units << 500 + i << ",firm " << i << "\n";
    const int first = i % 10 == 0 ? 2019 : 2018;  // entrants
    const int last = i % 15 == 1 ? 2019 : 2020;   // exits
    for (int year = first; year <= last; ++year) {
      const double x1 = 1 + 9 * rng.uniform01(), x2 = 1 + 9 * rng.uniform01();
      const double eff = std::exp(-0.3 * rng.uniform01());
      panel << 500 + i << "," << year << "," << x1 << "," << x2 << ","
            << std::pow(x1 * x2, 0.4) * eff * (1 + 0.05 * (year - 2018)) << "\n";
      ++rows;
      both += year < last;  // observed in year and year + 1
    }
  }
  auto job = [&](const std::string& unbalanced, const std::string& extra) {
    return "name = \"unbalanced\"\nseed = 5\noutput = \"out.h5\"\n"
           "[data]\ngeography = \"firms.csv\"\npanel = \"panel.csv\"\n"
           "indicators = \"indicators.toml\"\nyears = [2018, 2020]\nunbalanced = \"" +
           unbalanced +
           "\"\n[[analysis]]\nkind = \"three_stage_dea\"\nname = \"efficiency\"\nstages = 1\n"
           "replications = 4\nmalmquist = true\n" +
           extra;
  };
  if (comm_rank() == 0) {
    std::ofstream(dir / "firms.csv") << units.str();
    std::ofstream(dir / "panel.csv") << panel.str();
    std::ofstream(dir / "indicators.toml")
        << indicator("labour", "positive", "dea_input")
        << indicator("capital", "positive", "dea_input") << indicator("sales", "positive", "index");
    std::ofstream(dir / "allow.toml") << job("allow", "outputs = [\"sales\"]\n");
    std::ofstream(dir / "error.toml") << job("error", "outputs = [\"sales\"]\n");
    std::ofstream(dir / "entropy.toml")
        << job("allow",
               "outputs = [\"sales\"]\n[[analysis]]\nkind = \"entropy_index\"\n"
               "name = \"index\"\nreplications = 4\n");
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const auto out = dir / "out.h5";
  ASSERT_NO_THROW(run_job(dir / "allow.toml", base_options(out), MPI_COMM_WORLD));
  EXPECT_NE(test::error_of([&] {
              run_job(dir / "error.toml", base_options(dir / "error.h5"), MPI_COMM_WORLD);
            }).find("(firm 0) is missing year 2018"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] {
              run_job(dir / "entropy.toml", base_options(dir / "entropy.h5"), MPI_COMM_WORLD);
            })
                .find("entropy_index 'index' needs a balanced panel, but unit 500 (firm 0) has no "
                      "row for year 2018"),
            std::string::npos);
  if (comm_rank() != 0) return;
  EXPECT_FALSE(std::filesystem::exists(dir / "error.h5"));
  EXPECT_FALSE(std::filesystem::exists(dir / "entropy.h5"));
  const Table eff = summary_table(out, "efficiency", "efficiency");
  const auto& id = column<std::int64_t>(eff, "adcode");
  const auto& year = column<std::int64_t>(eff, "year");
  const auto& n = column<std::int64_t>(eff, "stage1_boot_n");
  ASSERT_EQ(id.size(), rows);
  for (std::size_t r = 0; r < id.size(); ++r) {
    EXPECT_EQ(n[r], 4) << id[r] << " " << year[r];  // every observed firm-year bootstrapped
    if (id[r] == 500) {
      EXPECT_NE(year[r], 2018);  // an entrant has no 2018 row
    }
  }
  const Table mq = summary_table(out, "efficiency", "malmquist");
  const auto& from = column<std::int64_t>(mq, "from_year");
  const auto& lo = column<double>(mq, "tfpch_ci_lo");
  const auto& hi = column<double>(mq, "tfpch_ci_hi");
  EXPECT_EQ(from.size(), both);
  for (std::size_t r = 0; r < lo.size(); ++r) EXPECT_LE(lo[r], hi[r]);
  // The archive's replications: NaN for the missing firm-years.
  auto f = archive_open(out, false);
  EXPECT_TRUE(h5::exists(f, "/analyses/efficiency/replications/malmquist"));
}
