#include "spatial/weights_io.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>
#include <unordered_map>
#include <utility>

#include "core/csv.hpp"
#include "core/error.hpp"

namespace revest::spatial {

namespace {

/// Whitespace-separated tokens of a line.
std::vector<std::string> tokens(const std::string& line) {
  std::istringstream is(line);
  std::vector<std::string> out;
  for (std::string t; is >> t;) out.push_back(t);
  return out;
}

/// The lines of a text, without their end-of-line characters (\n or \r\n).
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  // A UTF-8 byte-order mark (spreadsheets write one) is not part of the first line.
  std::istringstream is(text.rfind("\xEF\xBB\xBF", 0) == 0 ? text.substr(3) : text);
  for (std::string line; std::getline(is, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(line);
  }
  return out;
}

bool blank(const std::string& line) { return line.find_first_not_of(" \t") == std::string::npos; }

/// A whole non-negative integer token, or -1.
long long whole(const std::string& t) {
  long long v = -1;
  const auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  if (r.ec != std::errc() || r.ptr != t.data() + t.size() || v < 0) return -1;
  return v;
}

/// Reads links, checking ids, self links, repeats and weights; messages "SOURCE:LINE: ...".
class LinkReader {
 public:
  LinkReader(const std::vector<std::string>& ids, const std::string& source,
             const std::vector<std::string>& aliases = {})
      : source_(source), n_(ids.size()), ids_(ids) {
    REVEST_REQUIRE(aliases.empty() || aliases.size() == ids.size(),
                   source << ": " << aliases.size() << " aliases for " << ids.size() << " units");
    index_.reserve(ids.size() + aliases.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const bool fresh = index_.emplace(ids[i], i).second;
      REVEST_REQUIRE(fresh, source << ": the units' ids are not distinct ('" << ids[i]
                                   << "' is units " << index_.at(ids[i]) << " and " << i << ")");
    }
    for (std::size_t i = 0; i < aliases.size(); ++i)
      if (!aliases[i].empty()) index_.emplace(aliases[i], i);  // an id (or earlier alias) wins
  }
  std::string where(std::size_t line) const { return source_ + ":" + std::to_string(line); }
  std::size_t unit(const std::string& id, std::size_t line, const char* field) const {
    const auto it = index_.find(id);
    REVEST_REQUIRE(it != index_.end(), where(line) << ": " << field << " '" << id
                                                   << "' is not the id of any of the " << n_
                                                   << " units of the data");
    return it->second;
  }
  double weight(const std::string& text, std::size_t line, const char* field) const {
    double w = 0;
    const char* b = text.data();
    const auto r = std::from_chars(b, b + text.size(), w);
    REVEST_REQUIRE(r.ec == std::errc() && r.ptr == b + text.size() && std::isfinite(w) && w >= 0,
                   where(line) << ": " << field << " '" << text << "' is not a finite number >= 0");
    return w;
  }
  void add(std::size_t i, std::size_t j, double w, std::size_t line) {
    REVEST_REQUIRE(i != j, where(line) << ": unit '" << ids_[i]
                                       << "' is linked to itself (weights have a zero diagonal: "
                                          "remove the self links, e.g. a kernel file's diagonal)");
    const bool fresh = seen_.emplace(i, j).second;
    REVEST_REQUIRE(fresh, where(line) << ": the link '" << ids_[i] << "' -> '" << ids_[j]
                                      << "' is given twice");
    out_.push_back({static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j), w});
  }
  std::size_t size() const { return n_; }
  std::vector<Triplet> take() { return std::move(out_); }

 private:
  std::string source_;
  std::size_t n_;
  const std::vector<std::string>& ids_;
  std::unordered_map<std::string, std::size_t> index_;
  std::set<std::pair<std::size_t, std::size_t>> seen_;
  std::vector<Triplet> out_;
};

/// GeoDa's header line: "0 N NAME ID_VARIABLE" or "N" (N, when given, must be the units' number).
/// Returns the index of the first line after it.
std::size_t geoda_header(const std::vector<std::string>& lines, const LinkReader& rd) {
  std::size_t k = 0;
  while (k < lines.size() && blank(lines[k])) ++k;
  REVEST_REQUIRE(k < lines.size(), rd.where(1) << ": empty file (a GeoDa header line expected)");
  const auto t = tokens(lines[k]);
  long long n = -1;
  if (t.size() == 1) n = whole(t[0]);
  if (t.size() >= 2 && whole(t[0]) == 0) n = whole(t[1]);
  REVEST_REQUIRE(n >= 0, rd.where(k + 1) << ": a GeoDa header line '0 N NAME ID_VARIABLE' or 'N' "
                                            "expected, got '"
                                         << lines[k] << "'");
  REVEST_REQUIRE(
      static_cast<std::size_t>(n) == rd.size(),
      rd.where(k + 1) << ": the header says " << n << " units, the data have " << rd.size());
  return k + 1;
}

std::vector<Triplet> read_gal(const std::vector<std::string>& lines, LinkReader& rd) {
  std::size_t k = geoda_header(lines, rd);
  std::unordered_map<std::size_t, std::size_t> listed;  // unit -> the line of its record
  while (k < lines.size()) {
    if (blank(lines[k])) {
      ++k;
      continue;
    }
    const auto head = tokens(lines[k]);
    REVEST_REQUIRE(head.size() == 2 && whole(head[1]) >= 0,
                   rd.where(k + 1)
                       << ": 'ID K' (a unit and its number of neighbours) expected, got '"
                       << lines[k] << "'");
    const std::size_t i = rd.unit(head[0], k + 1, "unit id");
    const auto first = listed.emplace(i, k + 1);
    REVEST_REQUIRE(first.second, rd.where(k + 1) << ": unit '" << head[0]
                                                 << "' is listed a second time (first on line "
                                                 << first.first->second << ")");
    const auto count = static_cast<std::size_t>(whole(head[1]));
    const std::size_t head_line = k + 1;
    ++k;
    std::vector<std::string> nb;
    if (count > 0) {
      REVEST_REQUIRE(k < lines.size(), rd.where(head_line)
                                           << ": unit '" << head[0] << "' has " << count
                                           << " neighbours, but the file ends before their line");
      nb = tokens(lines[k]);
      REVEST_REQUIRE(nb.size() == count, rd.where(k + 1)
                                             << ": unit '" << head[0] << "' has " << count
                                             << " neighbours (line " << head_line
                                             << "), this line lists " << nb.size());
      for (const auto& id : nb) rd.add(i, rd.unit(id, k + 1, "neighbour id"), 1.0, k + 1);
      ++k;
    } else if (k < lines.size() && blank(lines[k])) {
      ++k;  // GeoDa writes an empty neighbour line for a unit without neighbours
    }
  }
  return rd.take();
}

std::vector<Triplet> read_gwt(const std::vector<std::string>& lines, LinkReader& rd) {
  for (std::size_t k = geoda_header(lines, rd); k < lines.size(); ++k) {
    if (blank(lines[k])) continue;
    const auto t = tokens(lines[k]);
    REVEST_REQUIRE(t.size() == 3, rd.where(k + 1) << ": 'ID_FROM ID_TO WEIGHT' expected, got '"
                                                  << lines[k] << "'");
    rd.add(rd.unit(t[0], k + 1, "from id"), rd.unit(t[1], k + 1, "to id"),
           rd.weight(t[2], k + 1, "weight"), k + 1);
  }
  return rd.take();
}

std::vector<Triplet> read_edges(const std::string& text, LinkReader& rd,
                                const WeightsFileOptions& opt, const std::string& source) {
  // The library's CSV reader (core/csv.hpp): quoting, a byte-order mark, CRLF, blank lines, and
  // a row with more or fewer fields than the header is an error naming its line.
  const CsvTable t = parse_csv(text, source);
  auto column = [&](const std::string& name) -> std::size_t {
    if (const auto c = t.find_column(name)) return *c;
    std::string have;
    for (const auto& h : t.header) have += (have.empty() ? "" : ", ") + h;
    REVEST_FAIL(rd.where(1) << ": no column '" << name << "' in the header (columns: " << have
                            << ")");
  };
  const std::size_t from = column(opt.from_column), to = column(opt.to_column);
  const long long wc =
      opt.weight_column.empty() ? -1 : static_cast<long long>(column(opt.weight_column));
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const auto& f = t.rows[r];
    const std::size_t line = t.line[r];
    const double w =
        wc < 0 ? 1.0 : rd.weight(f[static_cast<std::size_t>(wc)], line, opt.weight_column.c_str());
    rd.add(rd.unit(f[from], line, opt.from_column.c_str()),
           rd.unit(f[to], line, opt.to_column.c_str()), w, line);
  }
  return rd.take();
}

std::vector<Triplet> read_mtx(const std::vector<std::string>& lines, LinkReader& rd) {
  REVEST_REQUIRE(!lines.empty(), rd.where(1) << ": empty file (a %%MatrixMarket banner expected)");
  const auto banner = tokens(lines[0]);
  auto lower = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  REVEST_REQUIRE(
      banner.size() == 5 && banner[0] == "%%MatrixMarket" && lower(banner[1]) == "matrix" &&
          lower(banner[2]) == "coordinate",
      rd.where(1) << ": '%%MatrixMarket matrix coordinate FIELD SYMMETRY' expected, got '"
                  << lines[0] << "' (only the sparse coordinate format is read)");
  const std::string field = lower(banner[3]), symmetry = lower(banner[4]);
  REVEST_REQUIRE(
      field == "real" || field == "integer" || field == "pattern",
      rd.where(1) << ": field '" << banner[3] << "' (real, integer or pattern expected)");
  REVEST_REQUIRE(symmetry == "general" || symmetry == "symmetric",
                 rd.where(1) << ": symmetry '" << banner[4] << "' (general or symmetric expected)");
  std::size_t k = 1;
  while (k < lines.size() && (blank(lines[k]) || lines[k][0] == '%')) ++k;
  REVEST_REQUIRE(k < lines.size(), rd.where(k)
                                       << ": the size line 'ROWS COLUMNS ENTRIES' is missing");
  const auto size = tokens(lines[k]);
  REVEST_REQUIRE(
      size.size() == 3 && whole(size[0]) >= 0 && whole(size[1]) >= 0 && whole(size[2]) >= 0,
      rd.where(k + 1) << ": 'ROWS COLUMNS ENTRIES' expected, got '" << lines[k] << "'");
  const auto n = static_cast<std::size_t>(whole(size[0]));
  REVEST_REQUIRE(n == rd.size() && whole(size[1]) == whole(size[0]),
                 rd.where(k + 1) << ": a " << size[0] << " x " << size[1]
                                 << " matrix, the data have " << rd.size() << " units");
  const auto entries = static_cast<std::size_t>(whole(size[2]));
  const std::size_t want = field == "pattern" ? 2 : 3;
  std::size_t seen = 0;
  for (++k; k < lines.size(); ++k) {
    if (blank(lines[k]) || lines[k][0] == '%') continue;
    const auto t = tokens(lines[k]);
    REVEST_REQUIRE(t.size() == want,
                   rd.where(k + 1) << ": " << (want == 2 ? "'ROW COLUMN'" : "'ROW COLUMN VALUE'")
                                   << " expected, got '" << lines[k] << "'");
    const long long r = whole(t[0]), c = whole(t[1]);
    REVEST_REQUIRE(
        r >= 1 && c >= 1 && static_cast<std::size_t>(r) <= n && static_cast<std::size_t>(c) <= n,
        rd.where(k + 1) << ": entry (" << t[0] << ", " << t[1] << ") outside 1.." << n);
    const double w = want == 2 ? 1.0 : rd.weight(t[2], k + 1, "value");
    const auto i = static_cast<std::size_t>(r - 1), j = static_cast<std::size_t>(c - 1);
    rd.add(i, j, w, k + 1);
    if (symmetry == "symmetric") rd.add(j, i, w, k + 1);
    ++seen;
  }
  REVEST_REQUIRE(seen == entries, rd.where(lines.size()) << ": the size line announces " << entries
                                                         << " entries, the file has " << seen);
  return rd.take();
}

std::string number17(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

const char* to_string(WeightsFormat f) {
  switch (f) {
    case WeightsFormat::kGal:
      return "gal";
    case WeightsFormat::kGwt:
      return "gwt";
    case WeightsFormat::kEdges:
      return "edges";
    case WeightsFormat::kMatrixMarket:
      return "mtx";
  }
  return "?";
}

WeightsFormat weights_format_of(const std::filesystem::path& file) {
  const std::string ext = file.extension().string();
  if (ext == ".gal" || ext == ".GAL") return WeightsFormat::kGal;
  if (ext == ".gwt" || ext == ".GWT") return WeightsFormat::kGwt;
  if (ext == ".csv" || ext == ".CSV") return WeightsFormat::kEdges;
  if (ext == ".mtx" || ext == ".MTX") return WeightsFormat::kMatrixMarket;
  REVEST_FAIL(file.string() << ": unknown weights file type '" << ext
                            << "' (.gal, .gwt, .csv for an edge list, or .mtx)");
}

std::vector<Triplet> read_weights_text(const std::string& text, WeightsFormat format,
                                       const std::vector<std::string>& ids,
                                       const std::string& source,
                                       const WeightsFileOptions& options) {
  LinkReader rd(ids, source, options.aliases);
  const std::vector<std::string> lines = lines_of(text);
  switch (format) {
    case WeightsFormat::kGal:
      return read_gal(lines, rd);
    case WeightsFormat::kGwt:
      return read_gwt(lines, rd);
    case WeightsFormat::kEdges:
      return read_edges(text, rd, options, source);
    case WeightsFormat::kMatrixMarket:
      return read_mtx(lines, rd);
  }
  REVEST_FAIL(source << ": unknown weights format");
}

std::string write_weights_text(const SpMat& W, WeightsFormat format,
                               const std::vector<std::string>& ids, const std::string& name) {
  const auto n = static_cast<std::size_t>(W.rows());
  REVEST_REQUIRE(W.rows() == W.cols() && ids.size() == n,
                 "write weights: a " << W.rows() << " x " << W.cols() << " matrix and "
                                     << ids.size() << " ids");
  for (const auto& id : ids)
    REVEST_REQUIRE(!id.empty() && id.find_first_of(" \t\r\n,\"") == std::string::npos,
                   "write weights: id '" << id
                                         << "' has a space, comma or quote (GeoDa and edge-list "
                                            "files cannot hold it)");
  std::ostringstream os;
  std::size_t nnz = 0;
  for (Eigen::Index i = 0; i < W.outerSize(); ++i)
    for (SpMat::InnerIterator it(W, i); it; ++it)
      if (it.col() != i && it.value() != 0.0) ++nnz;
  auto each = [&](auto&& fn) {
    for (Eigen::Index i = 0; i < W.outerSize(); ++i)
      for (SpMat::InnerIterator it(W, i); it; ++it)
        if (it.col() != i && it.value() != 0.0)
          fn(static_cast<std::size_t>(i), static_cast<std::size_t>(it.col()), it.value());
  };
  switch (format) {
    case WeightsFormat::kGal: {
      os << "0 " << n << " " << name << " id\n";
      std::vector<std::vector<std::size_t>> nb(n);
      each([&](std::size_t i, std::size_t j, double) { nb[i].push_back(j); });
      for (std::size_t i = 0; i < n; ++i) {
        os << ids[i] << " " << nb[i].size() << "\n";
        for (std::size_t k = 0; k < nb[i].size(); ++k) os << (k ? " " : "") << ids[nb[i][k]];
        os << "\n";
      }
      break;
    }
    case WeightsFormat::kGwt:
      os << "0 " << n << " " << name << " id\n";
      each([&](std::size_t i, std::size_t j, double w) {
        os << ids[i] << " " << ids[j] << " " << number17(w) << "\n";
      });
      break;
    case WeightsFormat::kEdges:
      os << "from,to,weight\n";
      each([&](std::size_t i, std::size_t j, double w) {
        os << ids[i] << "," << ids[j] << "," << number17(w) << "\n";
      });
      break;
    case WeightsFormat::kMatrixMarket:
      os << "%%MatrixMarket matrix coordinate real general\n"
         << "% " << name << ": spatial weights, rows and columns are the units in order\n"
         << n << " " << n << " " << nnz << "\n";
      each([&](std::size_t i, std::size_t j, double w) {
        os << i + 1 << " " << j + 1 << " " << number17(w) << "\n";
      });
      break;
  }
  return os.str();
}

}  // namespace revest::spatial
