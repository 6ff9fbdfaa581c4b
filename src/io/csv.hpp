#pragma once
/// \file csv.hpp
/// \brief The job layer's name for the library's CSV reader (core/csv.hpp).
#include "core/csv.hpp"

namespace revest::io {

using revest::csv_escape;
using revest::CsvTable;
using revest::format_double;
using revest::parse_csv;
using revest::read_csv;

}  // namespace revest::io
