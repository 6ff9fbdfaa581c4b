#pragma once
/// \file csv.hpp
/// \brief Strict CSV reading (RFC 4180 quoting, UTF-8) with file/line/column-aware errors: of a
/// file (read_csv, the job layer's data files) or of text (parse_csv: a weights file's bytes,
/// read once by the job's rank 0 and parsed by the library on every rank).
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace revest {

/// A CSV file read into memory, with the line number of every row kept for error messages.
struct CsvTable {
  std::string path;                 ///< as given, used in error messages
  std::vector<std::string> header;  ///< column names (trimmed)
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> line;  ///< 1-based file line of each row

  /// Index of column `name`; throws "PATH: missing column 'name'" if absent.
  std::size_t column(const std::string& name) const;
  std::optional<std::size_t> find_column(const std::string& name) const;
  /// Location prefix "PATH:LINE: column 'NAME'" for messages about a cell.
  std::string where(std::size_t row, std::size_t col) const;
  /// The cell parsed as a finite double; throws naming file, line and column for an empty,
  /// non-numeric, NaN or infinite cell.
  double number(std::size_t row, std::size_t col) const;
  /// The cell parsed as an integer (e.g. adcode, year); throws like number().
  long long integer(std::size_t row, std::size_t col) const;
};

/// Reads a CSV file with a header line. Every row must have as many fields as the header.
CsvTable read_csv(const std::filesystem::path& path);

/// Parses CSV text (the bytes of a file named `source` in messages) as read_csv does: a UTF-8
/// byte-order mark is skipped, blank lines are ignored, CRLF or LF line ends.
CsvTable parse_csv(std::string text, const std::string& source);

/// Quotes a field if needed (comma, quote, newline).
std::string csv_escape(const std::string& field);

/// Shortest decimal text that reads back to exactly `x` (std::to_chars); "nan" for NaN.
std::string format_double(double x);

}  // namespace revest
