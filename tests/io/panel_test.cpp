#include "io/panel.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/csv.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using revest::io::Domain;
using revest::io::Geography;
using revest::io::load_geography;
using revest::io::load_panel;
using revest::io::Panel;
using revest::io::PanelRequirements;
using revest::io::write_panel;
using revest::test::error_of;
using revest::test::read_file;
using revest::test::write_file;
using testing::AllOf;
using testing::HasSubstr;
using testing::Not;

namespace {

/// A fresh directory per test: REVEST_BINARY_DIR/test-output/io/panel/<Suite>.<Test>.
fs::path test_dir() { return revest::test::test_dir("io/panel"); }

std::uint64_t bits(double x) { return std::bit_cast<std::uint64_t>(x); }

// Four counties in a ring; county 1 was recoded (source 500228 梁平县 -> 2022 code 500155 梁平区).
const std::int64_t kCodes[4] = {500101, 500228, 510104, 510105};
const std::int64_t kNewCodes[4] = {500101, 500155, 510104, 510105};

/// Writes a tiny geography (counties.csv, queen.csv, rook.csv) into `dir`/geo and loads it.
Geography tiny_geography(const fs::path& dir) {
  const fs::path g = dir / "geo";
  fs::create_directories(g);
  write_file(g, "counties.csv",
             "adcode,name,province,province_en,prefecture,centroid_lon,centroid_lat,area_km2,"
             "perimeter_km,adcode_ref,name_ref\n"
             "500101,万州区,重庆市,Chongqing,重庆,108.4,30.7,3455.34,420.63,500101,万州区\n"
             "500228,梁平县,重庆市,Chongqing,重庆,107.7,30.6,1889.1,250.2,500155,梁平区\n"
             "510104,锦江区,四川省,Sichuan,成都市,104.1,30.6,62.1,40.3,510104,锦江区\n"
             "510105,青羊区,四川省,Sichuan,成都市,104.0,30.7,67.8,45.0,510105,青羊区\n");
  const std::string edges = "500101,500228,1\n500228,510104,1\n510104,510105,1\n500101,510105,1\n";
  write_file(g, "queen.csv", "adcode_i,adcode_j,exact_vertex\n" + edges);
  write_file(g, "rook.csv", "adcode_i,adcode_j,shared_border_km\n" + edges);
  return load_geography(g);
}

/// The job's requirements: years 2020-2022; x_nonneg must be >= 0 (index), x_pos > 0 (DEA).
PanelRequirements requirements() {
  PanelRequirements req;
  req.first_year = 2020;
  req.last_year = 2022;
  req.variables = {"x_any", "x_nonneg", "x_pos"};
  req.domains["x_nonneg"] = {Domain::kNonNegative, "the index"};
  req.domains["x_pos"] = {Domain::kPositive, "DEA input"};
  return req;
}

// Exact binary fractions, so the comparisons below are exact. x_any is negative for county 0,
// x_nonneg is 0 for county 0: both are allowed by their domains.
double v_any(std::size_t i, int year) {
  return (static_cast<double>(i) - 1.0) * 10.0 + (year - 2020) * 0.5;
}
double v_nonneg(std::size_t i, int year) { return static_cast<double>(i) * (year - 2019); }
double v_pos(std::size_t i, int year) {
  return 1.5 + static_cast<double>(i) + 0.25 * (year - 2020);
}

/// One panel row as text fields, in the file's column order (not the requirements' order, and with
/// an extra text column the loader ignores).
struct Row {
  std::string adcode, year, x_pos, x_any, note, x_nonneg;
};
const char* kHeader = "adcode,year,x_pos,x_any,note,x_nonneg";

/// The field of `r` under the file column `column` (throws std::out_of_range for another name).
std::string& cell(Row& r, const std::string& column) {
  static const std::map<std::string, std::string Row::*> kFields = {
      {"adcode", &Row::adcode}, {"year", &Row::year}, {"x_pos", &Row::x_pos},
      {"x_any", &Row::x_any},   {"note", &Row::note}, {"x_nonneg", &Row::x_nonneg}};
  return r.*kFields.at(column);
}

std::string num(double x) { return revest::io::format_double(x); }

Row make_row(std::int64_t code, std::size_t i, int year) {
  return {std::to_string(code), std::to_string(year),     num(v_pos(i, year)),
          num(v_any(i, year)),  "\"free text, ignored\"", num(v_nonneg(i, year))};
}

/// County-major rows, years `first`..`last`: rows[k] is on file line k + 2.
std::vector<Row> rows_for(const std::int64_t (&codes)[4], int first = 2020, int last = 2022) {
  std::vector<Row> rows;
  for (std::size_t i = 0; i < 4; ++i)
    for (int y = first; y <= last; ++y) rows.push_back(make_row(codes[i], i, y));
  return rows;
}

/// Index into rows_for(...) of county i, year y (2020-2022 layout); its file line is this + 2.
std::size_t row_index(std::size_t i, int year) {
  return i * 3 + static_cast<std::size_t>(year - 2020);
}
std::size_t line_of(std::size_t i, int year) { return row_index(i, year) + 2; }

fs::path write_rows(const fs::path& dir, const std::vector<Row>& rows,
                    const std::string& header = kHeader) {
  std::string text = header + "\n";
  for (const Row& r : rows)
    text += r.adcode + "," + r.year + "," + r.x_pos + "," + r.x_any + "," + r.note + "," +
            r.x_nonneg + "\n";
  return write_file(dir, "panel.csv", text);
}

/// "PATH:LINE: column 'NAME'", the location every cell error must start with.
std::string at(const fs::path& p, std::size_t line, const std::string& column) {
  return p.string() + ":" + std::to_string(line) + ": column '" + column + "'";
}

class PanelTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = test_dir();
    geo_ = tiny_geography(dir_);
  }
  Panel load(const std::vector<Row>& rows, const PanelRequirements& req = requirements()) {
    return load_panel(write_rows(dir_, rows), geo_, req);
  }
  std::string load_error(const std::vector<Row>& rows,
                         const PanelRequirements& req = requirements(),
                         const std::string& header = kHeader) {
    path_ = write_rows(dir_, rows, header);
    return error_of([&] { load_panel(path_, geo_, req); });
  }
  /// The load error of the good rows with the `column` cell of county i, `year` set to `value`;
  /// the message must start at that cell ("PATH:LINE: column 'NAME'").
  std::string cell_error(std::size_t i, int year, const std::string& column,
                         const std::string& value) {
    auto rows = rows_for(kNewCodes);
    cell(rows[row_index(i, year)], column) = value;
    const std::string msg = load_error(rows);
    EXPECT_THAT(msg, HasSubstr(at(path_, line_of(i, year), column)));
    return msg;
  }
  /// The load error of the good rows under `header`; the message must name line 1 ("PATH:1:").
  std::string header_error(const std::string& header) {
    const std::string msg = load_error(rows_for(kNewCodes), requirements(), header);
    EXPECT_THAT(msg, HasSubstr(path_.string() + ":1:"));
    return msg;
  }
  fs::path dir_, path_;
  Geography geo_;
};

}  // namespace

// ---- good panels ---------------------------------------------------------------------------

TEST_F(PanelTest, LoadsWithTheRightValues) {
  const Panel p = load(rows_for(kNewCodes));
  EXPECT_EQ(p.years, (std::vector<int>{2020, 2021, 2022}));
  EXPECT_EQ(p.num_years(), 3u);
  EXPECT_EQ(p.num_counties, 4u);
  EXPECT_EQ(p.variables, (std::vector<std::string>{"x_any", "x_nonneg", "x_pos"}));
  ASSERT_EQ(p.values.size(), 3u);
  for (const auto& v : p.values) ASSERT_EQ(v.size(), 12u);
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t t = 0; t < 3; ++t) {
      const int y = 2020 + static_cast<int>(t);
      EXPECT_EQ(p.at(0, i, t), v_any(i, y));
      EXPECT_EQ(p.at(1, i, t), v_nonneg(i, y));
      EXPECT_EQ(p.at(2, i, t), v_pos(i, y));
      EXPECT_EQ(p.values[2][i * 3 + t], v_pos(i, y));
    }
  EXPECT_TRUE(p.has("x_pos"));
  EXPECT_FALSE(p.has("note"));  // extra columns are ignored
  EXPECT_EQ(p.variable_index("x_nonneg"), 1u);
  EXPECT_EQ(&p.var("x_any"), &p.values[0]);
  EXPECT_THAT(error_of([&] { p.variable_index("x_missing"); }), HasSubstr("x_missing"));
  // Negative values where the domain is "any", zero where it is "nonnegative": accepted.
  EXPECT_LT(p.at(0, 0, 0), 0.0);
  EXPECT_EQ(p.at(1, 0, 0), 0.0);
}

TEST_F(PanelTest, RowsKeyedByTheOldCodeAreAccepted) {
  const Panel by_new = load(rows_for(kNewCodes));
  const Panel by_old = load(rows_for(kCodes));
  EXPECT_EQ(by_old, by_new);
}

TEST_F(PanelTest, OldAndNewCodesMayBeMixedAcrossYears) {
  auto rows = rows_for(kNewCodes);
  rows[row_index(1, 2021)].adcode = "500228";  // the same county, old code, one year only
  EXPECT_EQ(load(rows), load(rows_for(kNewCodes)));
}

TEST_F(PanelTest, RowOrderDoesNotMatter) {
  auto rows = rows_for(kNewCodes);
  std::reverse(rows.begin(), rows.end());
  std::rotate(rows.begin(), rows.begin() + 5, rows.end());
  EXPECT_EQ(load(rows), load(rows_for(kNewCodes)));
}

TEST_F(PanelTest, YearsOutsideTheJobAreIgnored) {
  // The file holds 2018-2024 with other values outside 2020-2022; the job uses 2020-2022.
  std::vector<Row> rows;
  for (std::size_t i = 0; i < 4; ++i)
    for (int y = 2018; y <= 2024; ++y) {
      Row r = make_row(kNewCodes[i], i, y);
      if (y < 2020 || y > 2022) r.x_pos = "12345.5";
      rows.push_back(r);
    }
  const Panel p = load(rows);
  EXPECT_EQ(p.years, (std::vector<int>{2020, 2021, 2022}));
  EXPECT_EQ(p, load(rows_for(kNewCodes)));
}

TEST_F(PanelTest, SingleYearJob) {
  auto req = requirements();
  req.first_year = req.last_year = 2021;
  const Panel p = load(rows_for(kNewCodes), req);
  EXPECT_EQ(p.years, (std::vector<int>{2021}));
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(p.at(2, i, 0), v_pos(i, 2021));
}

TEST_F(PanelTest, CrlfAndBomFile) {
  std::string text = "\xEF\xBB\xBF" + std::string(kHeader) + "\r\n";
  for (const Row& r : rows_for(kNewCodes))
    text +=
        r.adcode + "," + r.year + "," + r.x_pos + "," + r.x_any + ",plain," + r.x_nonneg + "\r\n";
  write_file(dir_, "panel.csv", text);
  EXPECT_EQ(load_panel(dir_ / "panel.csv", geo_, requirements()), load(rows_for(kNewCodes)));
}

// ---- bad panels: each error names the file, the line and the column ---------------------------

TEST_F(PanelTest, UnknownCounty) {
  auto rows = rows_for(kNewCodes);
  rows.push_back(make_row(999999, 0, 2021));  // line 14
  const std::string msg = load_error(rows);
  EXPECT_THAT(msg,
              AllOf(HasSubstr(at(path_, 14, "adcode")), HasSubstr("unknown county adcode 999999")));
}

TEST_F(PanelTest, UnknownCountyInTheMiddle) {
  EXPECT_THAT(cell_error(2, 2020, "adcode", "510199"), HasSubstr("510199"));
}

TEST_F(PanelTest, DuplicateAdcodeYear) {
  auto rows = rows_for(kNewCodes);
  rows.push_back(make_row(510104, 2, 2021));  // line 14 repeats line_of(2, 2021) = 9
  const std::string msg = load_error(rows);
  EXPECT_THAT(msg, AllOf(HasSubstr(at(path_, 14, "adcode")),
                         HasSubstr("duplicate (adcode, year) = (510104, 2021)"),
                         HasSubstr("first seen at line 9")));
  EXPECT_THAT(msg, Not(HasSubstr("old and new codes")));
}

TEST_F(PanelTest, DuplicateThroughOldAndNewCodeOfOneCounty) {
  auto rows = rows_for(kNewCodes);
  rows.push_back(make_row(500228, 1, 2021));  // line 14: the old code of 500155, same year
  const std::string msg = load_error(rows);
  EXPECT_THAT(msg, AllOf(HasSubstr(at(path_, 14, "adcode")),
                         HasSubstr("duplicate (adcode, year) = (500228, 2021)"),
                         HasSubstr("first seen at line " + std::to_string(line_of(1, 2021))),
                         HasSubstr("old and new codes")));
}

// The same old code twice is a plain duplicate: the message must not blame old and new codes.
TEST_F(PanelTest, DuplicateOfTheSameOldCodeIsAPlainDuplicate) {
  auto rows = rows_for(kCodes);
  rows.push_back(make_row(500228, 1, 2022));  // line 14 repeats line_of(1, 2022)
  const std::string msg = load_error(rows);
  EXPECT_THAT(msg, AllOf(HasSubstr(at(path_, 14, "adcode")),
                         HasSubstr("duplicate (adcode, year) = (500228, 2022)"),
                         HasSubstr("first seen at line " + std::to_string(line_of(1, 2022)))));
  EXPECT_THAT(msg, Not(HasSubstr("old and new codes")));
}

TEST_F(PanelTest, MissingYearOfOneCounty) {
  auto rows = rows_for(kNewCodes);
  rows.erase(rows.begin() + static_cast<std::ptrdiff_t>(row_index(3, 2021)));
  const std::string msg = load_error(rows);
  EXPECT_THAT(msg, AllOf(HasSubstr(path_.string()), HasSubstr("county 510105"), HasSubstr("青羊区"),
                         HasSubstr("missing year 2021")));
}

TEST_F(PanelTest, LastYearMissingForEveryCounty) {
  const std::string msg = load_error(rows_for(kNewCodes, 2020, 2021));
  EXPECT_THAT(msg, AllOf(HasSubstr(path_.string()), HasSubstr("missing year 2022")));
}

TEST_F(PanelTest, CountyMissingEntirely) {
  auto rows = rows_for(kNewCodes);
  rows.erase(rows.begin() + static_cast<std::ptrdiff_t>(row_index(1, 2020)),
             rows.begin() + static_cast<std::ptrdiff_t>(row_index(2, 2020)));
  const std::string msg = load_error(rows);
  // Named by its 2022 code and name (what a yearbook user would look for).
  EXPECT_THAT(msg, AllOf(HasSubstr(path_.string()), HasSubstr("county 500155"), HasSubstr("梁平区"),
                         HasSubstr("Chongqing"), HasSubstr("is missing"), HasSubstr("2020-2022")));
}

TEST_F(PanelTest, NonNumericCell) {
  EXPECT_THAT(cell_error(2, 2021, "x_any", "abc"), HasSubstr("non-numeric value 'abc'"));
}

TEST_F(PanelTest, NumberWithTrailingText) {
  EXPECT_THAT(cell_error(0, 2022, "x_pos", "3.5kg"), HasSubstr("non-numeric value '3.5kg'"));
}

TEST_F(PanelTest, EmptyCell) {
  EXPECT_THAT(cell_error(3, 2020, "x_pos", ""), HasSubstr("empty cell"));
}

TEST_F(PanelTest, NaNCell) {
  EXPECT_THAT(cell_error(1, 2022, "x_nonneg", "NaN"), HasSubstr("NaN"));
}

TEST_F(PanelTest, NaNCellInAnAnyColumn) {
  EXPECT_THAT(cell_error(0, 2020, "x_any", "nan"), HasSubstr("NaN"));
}

TEST_F(PanelTest, InfiniteCell) {
  EXPECT_THAT(cell_error(2, 2020, "x_any", "-inf"), HasSubstr("infinite"));
}

TEST_F(PanelTest, NegativeWhereNonNegativeRequired) {
  EXPECT_THAT(cell_error(2, 2021, "x_nonneg", "-1"),
              AllOf(HasSubstr("county 510104, year 2021"), HasSubstr("value -1"),
                    HasSubstr("must be non-negative for the index")));
}

TEST_F(PanelTest, ZeroWherePositiveRequired) {
  EXPECT_THAT(
      cell_error(1, 2020, "x_pos", "0"),
      AllOf(HasSubstr("county 500155, year 2020"), HasSubstr("must be positive for DEA input")));
}

TEST_F(PanelTest, NegativeZeroWherePositiveRequired) {
  EXPECT_THAT(cell_error(3, 2022, "x_pos", "-0"), HasSubstr("must be positive"));
}

TEST_F(PanelTest, NegativeWherePositiveRequired) {
  EXPECT_THAT(cell_error(0, 2021, "x_pos", "-2.5"),
              AllOf(HasSubstr("county 500101, year 2021"), HasSubstr("value -2.5"),
                    HasSubstr("must be positive")));
}

TEST_F(PanelTest, NoDomainCheckWithoutARequirement) {
  auto req = requirements();
  req.domains.clear();
  auto rows = rows_for(kNewCodes);
  rows[row_index(0, 2021)].x_pos = "-2.5";
  EXPECT_EQ(load(rows, req).at(2, 0, 1), -2.5);
}

TEST_F(PanelTest, MissingColumn) {
  const std::string msg = load_error(rows_for(kNewCodes), [] {
    auto req = requirements();
    req.variables.push_back("x_extra");
    return req;
  }());
  EXPECT_THAT(msg, AllOf(HasSubstr(path_.string() + ":1:"), HasSubstr("missing column 'x_extra'")));
}

TEST_F(PanelTest, MissingRequiredVariableColumn) {
  EXPECT_THAT(header_error("adcode,year,x_pos,x_any,note,x_nn"),
              HasSubstr("missing column 'x_nonneg'"));
}

TEST_F(PanelTest, MissingYearColumn) {
  EXPECT_THAT(header_error("adcode,yr,x_pos,x_any,note,x_nonneg"),
              HasSubstr("missing column 'year'"));
}

TEST_F(PanelTest, MissingAdcodeColumn) {
  EXPECT_THAT(header_error("code,year,x_pos,x_any,note,x_nonneg"),
              HasSubstr("missing column 'adcode'"));
}

TEST_F(PanelTest, MissingYearCell) {
  EXPECT_THAT(cell_error(2, 2022, "year", ""), HasSubstr("empty cell"));
}

TEST_F(PanelTest, NonIntegerYear) {
  EXPECT_THAT(cell_error(2, 2022, "year", "2022.5"), HasSubstr("not an integer"));
}

TEST_F(PanelTest, NonIntegerAdcode) {
  EXPECT_THAT(cell_error(1, 2021, "adcode", "5001 55"), HasSubstr("not an integer"));
}

TEST_F(PanelTest, WrongFieldCount) {
  auto rows = rows_for(kNewCodes);
  rows[row_index(1, 2021)].x_nonneg = "1,2";  // one field too many
  EXPECT_THAT(load_error(rows),
              AllOf(HasSubstr(path_.string() + ":" + std::to_string(line_of(1, 2021)) + ":"),
                    HasSubstr("fields")));
}

TEST_F(PanelTest, FirstYearAfterLastYear) {
  auto req = requirements();
  req.first_year = 2023;
  EXPECT_THAT(load_error(rows_for(kNewCodes), req), HasSubstr("before first year 2023"));
}

TEST_F(PanelTest, MissingFile) {
  const fs::path p = dir_ / "nope.csv";
  EXPECT_THAT(error_of([&] { load_panel(p, geo_, requirements()); }),
              AllOf(HasSubstr(p.string()), HasSubstr("cannot open")));
}

// ---- write_panel -> load_panel ------------------------------------------------------------------

TEST_F(PanelTest, WriteThenLoadRoundTripsBitForBit) {
  Panel p;
  p.years = {2020, 2021, 2022};
  p.num_counties = 4;
  const std::vector<double> awkward = {0.1,
                                       1.0 / 3.0,
                                       -0.0,
                                       1e-300,
                                       5e-324,
                                       -123456789.123,
                                       std::numeric_limits<double>::max(),
                                       std::numeric_limits<double>::lowest(),
                                       std::numeric_limits<double>::min(),
                                       2.0 / 3.0,
                                       9007199254740993.0,
                                       -1e-7};
  p.add("x_any", awkward);
  std::vector<double> nonneg, pos;
  for (double x : awkward) {
    nonneg.push_back(std::abs(x));  // includes +0
    pos.push_back(std::abs(x) + (x == 0 ? 0.5 : 0.0));
  }
  p.add("x_nonneg", nonneg);
  p.add("x_pos", pos);
  p.add("odd, \"name\"", std::vector<double>(12, 0.7));  // needs CSV quoting

  const fs::path out = dir_ / "written" / "sub" / "panel.csv";  // directories are created
  write_panel(out, geo_, p);
  auto req = requirements();
  req.variables.push_back("odd, \"name\"");
  const Panel q = load_panel(out, geo_, req);
  EXPECT_EQ(q, p);
  ASSERT_EQ(q.values.size(), p.values.size());
  for (std::size_t v = 0; v < p.values.size(); ++v)
    for (std::size_t k = 0; k < p.values[v].size(); ++k)
      ASSERT_EQ(bits(q.values[v][k]), bits(p.values[v][k])) << p.variables[v] << " " << k;

  // The file is keyed by the 2022 codes, and writing what was read gives the same bytes.
  const auto t = revest::io::read_csv(out);
  EXPECT_EQ(t.header, (std::vector<std::string>{"adcode", "year", "x_any", "x_nonneg", "x_pos",
                                                "odd, \"name\""}));
  ASSERT_EQ(t.rows.size(), 12u);
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t y = 0; y < 3; ++y) {
      EXPECT_EQ(t.integer(i * 3 + y, 0), kNewCodes[i]);
      EXPECT_EQ(t.integer(i * 3 + y, 1), 2020 + static_cast<long long>(y));
    }
  const fs::path again = dir_ / "again.csv";
  write_panel(again, geo_, q);
  EXPECT_EQ(read_file(again), read_file(out));
}

TEST_F(PanelTest, LoadedPanelWritesAndReloadsIdentically) {
  const Panel p = load(rows_for(kCodes));
  const fs::path out = dir_ / "copy.csv";
  write_panel(out, geo_, p);
  EXPECT_EQ(load_panel(out, geo_, requirements()), p);
}

// ---- Panel::add -----------------------------------------------------------------------------

TEST(Panel, AddChecksSizeAndName) {
  Panel p;
  p.years = {2020, 2021};
  p.num_counties = 3;
  p.add("a", std::vector<double>(6, 1.0));
  EXPECT_THAT(error_of([&] { p.add("a", std::vector<double>(6, 2.0)); }),
              HasSubstr("already has variable 'a'"));
  EXPECT_THAT(error_of([&] { p.add("b", std::vector<double>(5, 2.0)); }),
              AllOf(HasSubstr("'b'"), HasSubstr("5 values, expected 6")));
  EXPECT_EQ(p.variables, (std::vector<std::string>{"a"}));
}
