#include "io/csv.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using revest::io::csv_escape;
using revest::io::CsvTable;
using revest::io::format_double;
using revest::io::read_csv;
using revest::test::error_of;
using testing::AllOf;
using testing::HasSubstr;

namespace {

/// A fresh directory per test: REVEST_BINARY_DIR/test-output/io/csv/<Suite>.<Test>.
fs::path test_dir() { return revest::test::test_dir("io/csv"); }

/// Writes `text` byte for byte into a fresh test_dir() and returns the path.
fs::path write_file(const std::string& name, const std::string& text) {
  return revest::test::write_file(test_dir(), name, text);
}

std::uint64_t bits(double x) { return std::bit_cast<std::uint64_t>(x); }

}  // namespace

// ---- reading ---------------------------------------------------------------------------------

TEST(Csv, QuotedFieldsWithCommasQuotesAndNewlines) {
  const auto p = write_file("q.csv",
                            "a,b,c\n"
                            "\"x, y\",\"he said \"\"hi\"\"\",\"line1\nline2\"\n"
                            "plain , spaced ,\"  kept  \"\n");
  const CsvTable t = read_csv(p);
  EXPECT_EQ(t.path, p.string());
  ASSERT_EQ(t.header, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"x, y", "he said \"hi\"", "line1\nline2"}));
  // Unquoted fields are trimmed; quoted fields are kept verbatim.
  EXPECT_EQ(t.rows[1], (std::vector<std::string>{"plain", "spaced", "  kept  "}));
  // The embedded newline moves the next record to line 4.
  EXPECT_EQ(t.line, (std::vector<std::size_t>{2, 4}));
}

TEST(Csv, EmptyQuotedFieldAndEmptyCells) {
  const auto p = write_file("e.csv", "a,b,c\n\"\",,x\n");
  const CsvTable t = read_csv(p);
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"", "", "x"}));
}

TEST(Csv, ByteOrderMarkIsSkipped) {
  const auto p = write_file("bom.csv",
                            "\xEF\xBB\xBF"
                            "adcode,year\n500101,2020\n");
  const CsvTable t = read_csv(p);
  ASSERT_EQ(t.header.size(), 2u);
  EXPECT_EQ(t.header[0], "adcode");
  EXPECT_EQ(t.column("adcode"), 0u);
  EXPECT_EQ(t.integer(0, 0), 500101);
}

TEST(Csv, CrlfLineEndings) {
  const auto p = write_file("crlf.csv", "a,b\r\n1,2\r\n3,4\r\n");
  const CsvTable t = read_csv(p);
  EXPECT_EQ(t.header, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(t.rows[1], (std::vector<std::string>{"3", "4"}));
  EXPECT_EQ(t.line, (std::vector<std::size_t>{2, 3}));
}

// Excel writes CRLF and quotes text fields: the '\r' of the line ending is not part of a quoted
// last field.
TEST(Csv, CrlfAfterQuotedLastField) {
  const auto p = write_file("crlfq.csv", "a,b\r\n1,\"x, y\"\r\n\"2\",\"z\"\r\n");
  const CsvTable t = read_csv(p);
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"1", "x, y"}));
  EXPECT_EQ(t.rows[1], (std::vector<std::string>{"2", "z"}));
}

TEST(Csv, BlankLinesAreSkippedAndLinesCounted) {
  const auto p = write_file("blank.csv", "a,b\n\n1,2\n   \n\r\n3,4\n\n");
  const CsvTable t = read_csv(p);
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(t.rows[1], (std::vector<std::string>{"3", "4"}));
  EXPECT_EQ(t.line, (std::vector<std::size_t>{3, 6}));
}

TEST(Csv, LastLineWithoutNewline) {
  const auto p = write_file("nonl.csv", "a,b\n1,2\n3,4");
  const CsvTable t = read_csv(p);
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[1], (std::vector<std::string>{"3", "4"}));
  EXPECT_EQ(t.line[1], 3u);
}

TEST(Csv, HeaderOnlyHasNoRows) {
  const auto p = write_file("h.csv", "a,b\n");
  const CsvTable t = read_csv(p);
  EXPECT_EQ(t.header.size(), 2u);
  EXPECT_TRUE(t.rows.empty());
}

TEST(Csv, WrongFieldCountNamesFileAndLine) {
  const auto p = write_file("count.csv", "a,b,c\n1,2,3\n\n4,5\n");
  const std::string msg = error_of([&] { read_csv(p); });
  EXPECT_THAT(msg, AllOf(HasSubstr(p.string() + ":4:"), HasSubstr("expected 3 fields"),
                         HasSubstr("found 2")));
}

TEST(Csv, TooManyFieldsNamesFileAndLine) {
  const auto p = write_file("count2.csv", "a,b\n1,2\n3,4,5\n");
  const std::string msg = error_of([&] { read_csv(p); });
  EXPECT_THAT(msg, AllOf(HasSubstr(p.string() + ":3:"), HasSubstr("found 3")));
}

TEST(Csv, UnterminatedQuoteNamesFileAndLine) {
  const auto p = write_file("unterminated.csv", "a,b\n1,2\n3,\"abc\n4,5\n");
  const std::string msg = error_of([&] { read_csv(p); });
  EXPECT_THAT(msg, AllOf(HasSubstr(p.string() + ":3:"), HasSubstr("unterminated")));
}

TEST(Csv, DuplicateHeaderIsAnError) {
  const auto p = write_file("dup.csv", "adcode,year,adcode\n1,2,3\n");
  const std::string msg = error_of([&] { read_csv(p); });
  EXPECT_THAT(msg, AllOf(HasSubstr(p.string() + ":1:"), HasSubstr("duplicate column 'adcode'")));
}

TEST(Csv, EmptyHeaderNameIsAnError) {
  const auto p = write_file("emptyname.csv", "a,,c\n1,2,3\n");
  const std::string msg = error_of([&] { read_csv(p); });
  EXPECT_THAT(msg,
              AllOf(HasSubstr(p.string() + ":1:"), HasSubstr("column 2"), HasSubstr("empty name")));
}

TEST(Csv, TrailingCommaInHeaderIsAnEmptyName) {
  const auto p = write_file("trailing.csv", "a,b,\n1,2,3\n");
  const std::string msg = error_of([&] { read_csv(p); });
  EXPECT_THAT(msg, AllOf(HasSubstr(p.string() + ":1:"), HasSubstr("column 3")));
}

TEST(Csv, EmptyFileIsAnError) {
  const auto p = write_file("empty.csv", "\n\n");
  EXPECT_THAT(error_of([&] { read_csv(p); }),
              AllOf(HasSubstr(p.string()), HasSubstr("empty file")));
}

TEST(Csv, MissingFileIsAnError) {
  const fs::path p = test_dir() / "does-not-exist.csv";
  EXPECT_THAT(error_of([&] { read_csv(p); }),
              AllOf(HasSubstr(p.string()), HasSubstr("cannot open")));
}

TEST(Csv, ColumnLookup) {
  const auto p = write_file("cols.csv", "adcode , year\n1,2\n");
  const CsvTable t = read_csv(p);
  EXPECT_EQ(t.column("adcode"), 0u);
  EXPECT_EQ(t.column("year"), 1u);  // header names are trimmed
  EXPECT_EQ(t.find_column("value"), std::nullopt);
  EXPECT_THAT(error_of([&] { t.column("value"); }),
              AllOf(HasSubstr(p.string() + ":1:"), HasSubstr("missing column 'value'")));
  EXPECT_EQ(t.where(0, 1), p.string() + ":2: column 'year'");
}

// ---- number() / integer() ----------------------------------------------------------------------

TEST(Csv, NumberParsesFiniteValues) {
  const auto p =
      write_file("num.csv", "v\n1.5\n+2.5\n-3\n1e3\n 4.25 \n0\n-0\n\"7.5\"\n6.02214076e23\n");
  const CsvTable t = read_csv(p);
  ASSERT_EQ(t.rows.size(), 9u);
  EXPECT_EQ(t.number(0, 0), 1.5);
  EXPECT_EQ(t.number(1, 0), 2.5);
  EXPECT_EQ(t.number(2, 0), -3.0);
  EXPECT_EQ(t.number(3, 0), 1000.0);
  EXPECT_EQ(t.number(4, 0), 4.25);
  EXPECT_EQ(t.number(5, 0), 0.0);
  EXPECT_EQ(bits(t.number(6, 0)), bits(-0.0));
  EXPECT_EQ(t.number(7, 0), 7.5);
  EXPECT_EQ(t.number(8, 0), 6.02214076e23);
}

namespace {
/// The message of number() on a one-cell file "value\n<cell>\n" (the cell is on line 3 after a
/// first good row, so the line number is not the header's).
std::string number_error(const std::string& cell) {
  const auto p = write_file("bad.csv", "id,value\n1,2.0\n2," + cell + "\n");
  const CsvTable t = read_csv(p);
  const std::string msg = error_of([&] { t.number(1, 1); });
  EXPECT_THAT(msg, HasSubstr(p.string() + ":3: column 'value'")) << "cell '" << cell << "'";
  return msg;
}
std::string integer_error(const std::string& cell) {
  const auto p = write_file("badint.csv", "id,year\n1,2020\n2," + cell + "\n");
  const CsvTable t = read_csv(p);
  const std::string msg = error_of([&] { t.integer(1, 1); });
  EXPECT_THAT(msg, HasSubstr(p.string() + ":3: column 'year'")) << "cell '" << cell << "'";
  return msg;
}
}  // namespace

TEST(Csv, NumberEmptyCell) { EXPECT_THAT(number_error(""), HasSubstr("empty cell")); }
TEST(Csv, NumberQuotedEmptyCell) { EXPECT_THAT(number_error("\"\""), HasSubstr("empty cell")); }
TEST(Csv, NumberText) { EXPECT_THAT(number_error("abc"), HasSubstr("non-numeric value 'abc'")); }
TEST(Csv, NumberTrailingGarbage) {
  EXPECT_THAT(number_error("1.5x"), HasSubstr("non-numeric value '1.5x'"));
}
TEST(Csv, NumberInnerSpace) { EXPECT_THAT(number_error("1 000"), HasSubstr("non-numeric")); }
TEST(Csv, NumberHex) { EXPECT_THAT(number_error("0x10"), HasSubstr("non-numeric")); }
TEST(Csv, NumberLowercaseNan) { EXPECT_THAT(number_error("nan"), HasSubstr("NaN")); }
TEST(Csv, NumberUppercaseNaN) { EXPECT_THAT(number_error("NaN"), HasSubstr("NaN")); }
TEST(Csv, NumberInf) { EXPECT_THAT(number_error("inf"), HasSubstr("infinite")); }
TEST(Csv, NumberMinusInfinity) { EXPECT_THAT(number_error("-Infinity"), HasSubstr("infinite")); }
TEST(Csv, NumberOverflow) { number_error("1e400"); }
TEST(Csv, NumberDoubleSign) {
  number_error("++1");
  number_error("+-1");  // "+-1" is not a number: only one sign is allowed
}

TEST(Csv, IntegerParses) {
  const auto p = write_file("int.csv", "v\n500101\n-7\n 2022 \n0\n");
  const CsvTable t = read_csv(p);
  EXPECT_EQ(t.integer(0, 0), 500101);
  EXPECT_EQ(t.integer(1, 0), -7);
  EXPECT_EQ(t.integer(2, 0), 2022);
  EXPECT_EQ(t.integer(3, 0), 0);
}

TEST(Csv, IntegerEmptyCell) { EXPECT_THAT(integer_error(""), HasSubstr("empty cell")); }
TEST(Csv, IntegerDecimal) {
  EXPECT_THAT(integer_error("2021.0"), HasSubstr("not an integer: '2021.0'"));
}
TEST(Csv, IntegerText) { EXPECT_THAT(integer_error("abc"), HasSubstr("not an integer")); }
TEST(Csv, IntegerExponent) { EXPECT_THAT(integer_error("2e3"), HasSubstr("not an integer")); }
TEST(Csv, IntegerOverflow) {
  EXPECT_THAT(integer_error("99999999999999999999"), HasSubstr("not an integer"));
}

// ---- format_double / csv_escape ----------------------------------------------------------------

TEST(Csv, FormatDoubleShortestForm) {
  EXPECT_EQ(format_double(0.1), "0.1");
  EXPECT_EQ(format_double(1e-300), "1e-300");
  EXPECT_EQ(format_double(-0.0), "-0");
  EXPECT_EQ(format_double(0.0), "0");
  EXPECT_EQ(format_double(123456789.123), "123456789.123");
  EXPECT_EQ(format_double(2.5), "2.5");
  EXPECT_EQ(format_double(-17.0), "-17");
  EXPECT_EQ(format_double(std::numeric_limits<double>::quiet_NaN()), "nan");
}

namespace {
std::vector<double> awkward_doubles() {
  std::vector<double> xs = {0.1,
                            0.2,
                            0.3,
                            1.0 / 3.0,
                            2.0 / 3.0,
                            1e-300,
                            -1e-300,
                            1e300,
                            123456789.123,
                            -123456789.123,
                            0.0,
                            -0.0,
                            1.0,
                            -1.0,
                            std::numbers::pi,
                            std::numbers::e,
                            9007199254740993.0,  // 2^53 + 1 (rounds to 2^53)
                            9007199254740991.0,
                            std::numeric_limits<double>::max(),
                            std::numeric_limits<double>::lowest(),
                            std::numeric_limits<double>::min(),
                            std::numeric_limits<double>::epsilon(),
                            std::nextafter(1.0, 2.0),
                            std::nextafter(0.1, 1.0),
                            5e-324,  // smallest subnormal
                            2.2250738585072009e-308};
  std::mt19937_64 gen(20261128);
  while (xs.size() < 2000) {
    const double x = std::bit_cast<double>(gen());
    if (std::isfinite(x)) xs.push_back(x);
  }
  std::uniform_real_distribution<double> u(-1e6, 1e6);
  for (int k = 0; k < 1000; ++k) xs.push_back(u(gen));
  return xs;
}
}  // namespace

TEST(Csv, FormatDoubleRoundTripsExactly) {
  for (double x : awkward_doubles()) {
    const std::string s = format_double(x);
    double y = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), y);
    ASSERT_EQ(ec, std::errc()) << s;
    ASSERT_EQ(p, s.data() + s.size()) << s;
    ASSERT_EQ(bits(y), bits(x)) << s;
  }
}

// Through the CSV reader, as write_panel / load_panel do it.
TEST(Csv, FormatDoubleRoundTripsThroughNumber) {
  const auto xs = awkward_doubles();
  std::string text = "i,x\n";
  for (std::size_t k = 0; k < xs.size(); ++k)
    text += std::to_string(k) + "," + format_double(xs[k]) + "\n";
  const auto p = write_file("roundtrip.csv", text);
  const CsvTable t = read_csv(p);
  ASSERT_EQ(t.rows.size(), xs.size());
  for (std::size_t k = 0; k < xs.size(); ++k)
    ASSERT_EQ(bits(t.number(k, 1)), bits(xs[k])) << t.rows[k][1];
}

TEST(Csv, FormatDoubleOfNanIsRejectedOnReading) {
  const auto p = write_file("nan.csv", "x\n" + format_double(std::nan("")) + "\n");
  const CsvTable t = read_csv(p);
  EXPECT_THAT(error_of([&] { t.number(0, 0); }),
              AllOf(HasSubstr(p.string() + ":2: column 'x'"), HasSubstr("NaN")));
}

TEST(Csv, EscapeQuotesOnlyWhenNeeded) {
  EXPECT_EQ(csv_escape("plain"), "plain");
  EXPECT_EQ(csv_escape(""), "");
  EXPECT_EQ(csv_escape("梁平区"), "梁平区");
  EXPECT_EQ(csv_escape("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_escape("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_escape("l1\nl2"), "\"l1\nl2\"");
  EXPECT_EQ(csv_escape("cr\r"), "\"cr\r\"");
}

// Whatever csv_escape produces, read_csv reads back to the same field.
TEST(Csv, EscapeRoundTripsThroughReader) {
  const std::vector<std::string> fields = {"plain",  "a,b",    "say \"hi\"", "l1\nl2",
                                           "\"",     ",",      "\"\"",       "",
                                           "梁平区", "x\r\ny", " padded ",   "\ttab"};
  std::string text = "k,field\n";
  for (std::size_t k = 0; k < fields.size(); ++k)
    text += std::to_string(k) + "," + csv_escape(fields[k]) + "\n";
  const auto p = write_file("escape.csv", text);
  const CsvTable t = read_csv(p);
  ASSERT_EQ(t.rows.size(), fields.size());
  for (std::size_t k = 0; k < fields.size(); ++k)
    EXPECT_EQ(t.rows[k][1], fields[k]) << "field " << k;
}
