#pragma once
/// \file geography.hpp
/// \brief The units of a study: by default the 512 Southwest county-level units (county table and
/// queen / rook neighbour graphs), or any unit list.
///
/// Loaded from a folder like data/southwest/ (counties.csv, and queen.csv and rook.csv when the
/// study has them), or from a unit list: a CSV file with a column `id` (integer codes) and
/// optionally `name`, `lon` and `lat` (centroids in degrees: distance-based weights),
/// `prefecture` and `province` (block weights); a unit list has no contiguity graphs (queen and
/// rook weights then need a weights file: spatial/weights.hpp). A unit without neighbours is not
/// an error here: only the weights that use the graph call it an island. Counties are kept in file
/// order
/// (the bundled file is sorted by province, then code); everything else in revest refers to a county by its index here. Both
/// the source adcode and its 2022 official code (`adcode_ref`) are accepted for look-ups, since
/// statistical yearbooks use the new codes after the 2016-2021 county-to-district changes.
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace revest::io {

struct County {
  std::int64_t adcode = 0;      ///< GB/T 2260 code as in the source geometry
  std::int64_t adcode_ref = 0;  ///< 2022 official code (equal to adcode unless the code changed)
  std::string name;             ///< Chinese name (source)
  std::string name_ref;         ///< 2022 official name
  std::string province;         ///< Chinese province name
  std::string province_en;      ///< Sichuan, Chongqing, Guizhou, Yunnan, Tibet
  std::string prefecture;       ///< prefecture-level unit (Chinese)
  double lon = 0, lat = 0;      ///< area-weighted centroid (degrees)
  double area_km2 = 0;          ///< area (WGS84 Albers)
  double perimeter_km = 0;

  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar& adcode& adcode_ref& name& name_ref& province& province_en& prefecture& lon& lat& area_km2&
        perimeter_km;
  }
  bool operator==(const County&) const = default;
};

/// An undirected edge between county indices i < j with a weight (1 for queen; shared border
/// length in km for rook).
struct Edge {
  std::uint32_t i = 0, j = 0;
  double weight = 1.0;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar& i& j& weight;
  }
  bool operator==(const Edge&) const = default;
};

class Geography {
 public:
  std::vector<County> counties;
  std::vector<Edge> queen;
  std::vector<Edge> rook;  ///< weight = shared border length, km (200 m tolerance)
  /// Whether the graphs were given (queen.csv, rook.csv): a unit list has neither.
  bool has_queen = false, has_rook = false;

  std::size_t size() const { return counties.size(); }
  /// Index of the county with source code or 2022 code `adcode`; nullopt if unknown.
  std::optional<std::size_t> index_of(std::int64_t adcode) const;
  /// Distinct provinces (English names) in order of first appearance; province_of()[i] indexes it.
  std::vector<std::string> provinces() const;
  std::vector<int> province_index() const;
  /// The units `keep` (indices, ascending) with the edges between them, re-indexed.
  Geography subset(const std::vector<std::size_t>& keep) const;
  /// Neighbour lists (sorted) of a graph given as edges.
  static std::vector<std::vector<std::uint32_t>> adjacency(const std::vector<Edge>& edges,
                                                           std::size_t n);

  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar& counties& queen& rook& has_queen& has_rook;
    if constexpr (Ar::is_loading::value) build_index();
  }
  void build_index();
  bool operator==(const Geography& o) const {
    return counties == o.counties && queen == o.queen && rook == o.rook &&
           has_queen == o.has_queen && has_rook == o.has_rook;
  }

 private:
  std::unordered_map<std::int64_t, std::size_t> by_code_;
};

/// How to read a polygon file (io/polygons.hpp): the id and name fields, the snapping tolerance.
struct PolygonOptions {
  /// The field of the units' integer ids (required for a polygon file).
  std::string id_field;
  /// The field of the units' names; empty (default): the id.
  std::string name_field;
  /// Snapping tolerance in metres for contiguity. Default 0 (polygons must touch).
  double snap_m = 0.0;
};

/// Loads a geography: a folder (counties.csv; queen.csv and rook.csv if present), a unit-list
/// CSV file (file comment), or a polygon file (.geojson, .json, .shp, .gpkg: io/polygons.hpp,
/// read with `polygons`). Checks that codes are distinct and that edges reference known units
/// and are not duplicated; errors name the file, line (or feature) and column (or field).
Geography load_geography(const std::filesystem::path& path, const PolygonOptions& polygons = {});

/// The table of units of a geography `path` (the folder's counties.csv, or the unit-list file).
std::filesystem::path units_file(const std::filesystem::path& path);

}  // namespace revest::io
