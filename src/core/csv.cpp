#include "core/csv.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace revest {

namespace {
std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return s.substr(b, e - b);
}
}  // namespace

CsvTable read_csv(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REVEST_REQUIRE(in, path.string() << ": cannot open file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_csv(ss.str(), path.string());
}

CsvTable parse_csv(std::string text, const std::string& source) {
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF &&
      static_cast<unsigned char>(text[1]) == 0xBB && static_cast<unsigned char>(text[2]) == 0xBF)
    text.erase(0, 3);  // UTF-8 byte order mark (Excel)

  CsvTable t;
  t.path = source;
  std::vector<std::string> fields;
  std::string field;
  bool in_quotes = false, field_quoted = false;
  std::size_t line = 1, record_line = 1;
  bool header_done = false;
  auto end_record = [&]() {
    fields.push_back(field_quoted ? field : trim(field));
    field.clear();
    field_quoted = false;
    const bool blank = fields.size() == 1 && fields[0].empty();
    if (!blank) {
      if (!header_done) {
        t.header = fields;
        header_done = true;
      } else {
        REVEST_REQUIRE(fields.size() == t.header.size(),
                       t.path << ":" << record_line << ": expected " << t.header.size()
                              << " fields (as in the header), found " << fields.size());
        t.rows.push_back(fields);
        t.line.push_back(record_line);
      }
    }
    fields.clear();
  };
  for (std::size_t k = 0; k < text.size(); ++k) {
    const char c = text[k];
    if (in_quotes) {
      if (c == '"') {
        if (k + 1 < text.size() && text[k + 1] == '"') {
          field += '"';
          ++k;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && trim(field).empty()) {
      in_quotes = true;
      field_quoted = true;
      field.clear();
    } else if (c == '\r' && k + 1 < text.size() && text[k + 1] == '\n') {
      // CRLF line ending: the '\r' belongs to the line break, not to the field.
    } else if (c == ',') {
      fields.push_back(field_quoted ? field : trim(field));
      field.clear();
      field_quoted = false;
    } else if (c == '\n') {
      end_record();
      ++line;
      record_line = line;
    } else {
      field += c;
    }
  }
  REVEST_REQUIRE(!in_quotes, t.path << ":" << record_line << ": unterminated quoted field");
  if (!field.empty() || !fields.empty()) end_record();
  REVEST_REQUIRE(header_done, t.path << ": empty file (no header line)");
  for (std::size_t c = 0; c < t.header.size(); ++c) {
    REVEST_REQUIRE(!t.header[c].empty(), t.path << ":1: column " << c + 1 << " has an empty name");
    for (std::size_t d = 0; d < c; ++d)
      REVEST_REQUIRE(t.header[c] != t.header[d],
                     t.path << ":1: duplicate column '" << t.header[c] << "'");
  }
  return t;
}

std::optional<std::size_t> CsvTable::find_column(const std::string& name) const {
  for (std::size_t c = 0; c < header.size(); ++c)
    if (header[c] == name) return c;
  return std::nullopt;
}

std::size_t CsvTable::column(const std::string& name) const {
  auto c = find_column(name);
  REVEST_REQUIRE(c.has_value(), path << ":1: missing column '" << name << "'");
  return *c;
}

std::string CsvTable::where(std::size_t row, std::size_t col) const {
  std::ostringstream os;
  os << path << ":" << line.at(row) << ": column '" << header.at(col) << "'";
  return os.str();
}

double CsvTable::number(std::size_t row, std::size_t col) const {
  const std::string& s = rows.at(row).at(col);
  REVEST_REQUIRE(!s.empty(), where(row, col) << ": empty cell (missing value)");
  double v = 0.0;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  if (*b == '+') {
    ++b;
    REVEST_REQUIRE(b != e && *b != '+' && *b != '-', where(row, col)
                                                         << ": non-numeric value '" << s << "'");
  }
  auto [p, ec] = std::from_chars(b, e, v);
  REVEST_REQUIRE(ec == std::errc() && p == e, where(row, col)
                                                  << ": non-numeric value '" << s << "'");
  REVEST_REQUIRE(!std::isnan(v), where(row, col) << ": value is NaN");
  REVEST_REQUIRE(std::isfinite(v), where(row, col) << ": value is infinite");
  return v;
}

long long CsvTable::integer(std::size_t row, std::size_t col) const {
  const std::string& s = rows.at(row).at(col);
  REVEST_REQUIRE(!s.empty(), where(row, col) << ": empty cell (missing value)");
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  REVEST_REQUIRE(ec == std::errc() && p == s.data() + s.size(),
                 where(row, col) << ": not an integer: '" << s << "'");
  return v;
}

std::string csv_escape(const std::string& f) {
  const bool padded =
      !f.empty() && (f.front() == ' ' || f.front() == '\t' || f.back() == ' ' || f.back() == '\t');
  if (!padded && f.find_first_of(",\"\n\r") == std::string::npos) return f;
  std::string out = "\"";
  for (char c : f) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string format_double(double x) {
  if (std::isnan(x)) return "nan";
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, p);
}

}  // namespace revest
