#pragma once
/// \file weights_io.hpp
/// \brief Weights matrices from and to the files other tools write: GeoDa's `.gal` and `.gwt`,
/// CSV edge lists and Matrix Market `.mtx` (issue 18).
///
/// Readers take the file's text (the caller reads the file: in a job, rank 0 reads it once and
/// every rank parses the same bytes) and the units' ids, and return the links as triplets on the
/// units' positions, for make_weights (which standardises, checks islands and summarises):
///
/// | format | text | weights |
/// |---|---|---|
/// | `gal` | GeoDa: a header line (`0 N NAME ID_VARIABLE`, or only `N`), then for every unit a line `ID K` and a line of its K neighbours' ids | 1 |
/// | `gwt` | GeoDa: a header line (as gal), then a line `ID_FROM ID_TO WEIGHT` per link | the file's |
/// | `edges` | CSV with a header: columns `from` and `to` (ids), and an optional weight column named by the caller | the column's, else 1 |
/// | `mtx` | Matrix Market `coordinate` `real`, `integer` or `pattern`, `general` or `symmetric`; rows and columns 1..n are the units in their order (no ids) | the file's (pattern: 1) |
///
/// Ids are matched as text, exactly (GeoDa writes them unquoted; a CSV field may be quoted). Every
/// id in a file must be one of the units' (an error names the file, the line and the id); a unit
/// that the file does not mention has no neighbour (make_weights then calls it an island, or links
/// it to its nearest unit). A link of a unit to itself, a link given twice and (gal) a unit listed
/// twice are errors; a UTF-8 byte-order mark at the start is skipped. Links are
/// directed, as written: a file of a symmetric matrix lists both directions (mtx `symmetric`
/// stores one triangle; the other is added).
///
/// Writers write a matrix the same way (gal: the pattern only; gwt, edges and mtx: the weights, with
/// 17 significant digits, so a matrix read back is the same to the last bit).
///
/// \test tests/spatial/weights_io_test.cpp: Columbus's neighbour list through every format and
/// back, the GeoDa header variants, Matrix Market symmetric storage, and the errors.
#include <filesystem>
#include <string>
#include <vector>

#include "spatial/weights.hpp"

namespace revest::spatial {

enum class WeightsFormat { kGal, kGwt, kEdges, kMatrixMarket };
const char* to_string(WeightsFormat f);  ///< "gal", "gwt", "edges", "mtx"

/// The format a file name's extension implies: .gal, .gwt, .csv (edges), .mtx. Throws
/// revest::Error naming the file for any other extension.
WeightsFormat weights_format_of(const std::filesystem::path& file);

/// How to read a weights file.
struct WeightsFileOptions {
  /// edges: the weight column's name. Empty (default): every link weighs 1.
  std::string weight_column;
  /// edges: the id columns' names. Defaults "from" and "to".
  std::string from_column = "from", to_column = "to";
  /// A second id of every unit (empty, default: none), accepted wherever an id is: e.g. a county's
  /// code before a 2016-2021 code change beside its 2022 code. An alias that is another unit's
  /// id (or another unit's alias) names that other unit (ids first, then aliases in unit order).
  std::vector<std::string> aliases;
};

/// The links of the weights file `text` (its name `source` in messages: "FILE:LINE: ...") on the
/// units whose ids are `ids` (unit i has id ids[i]; ids must be distinct; mtx uses only their
/// number). Throws revest::Error naming the source, the line and the field on malformed text, an
/// unknown id, a self link, a repeated link, or a negative or non-finite weight.
std::vector<Triplet> read_weights_text(const std::string& text, WeightsFormat format,
                                       const std::vector<std::string>& ids,
                                       const std::string& source,
                                       const WeightsFileOptions& options = {});

/// The text of `W` (n x n, units with ids `ids`) in `format`. `name`: the data set's name in the
/// GeoDa header line. gal drops the weights (it has none); edges writes columns from,to,weight.
std::string write_weights_text(const SpMat& W, WeightsFormat format,
                               const std::vector<std::string>& ids,
                               const std::string& name = "revest");

}  // namespace revest::spatial
