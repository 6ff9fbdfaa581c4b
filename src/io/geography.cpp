#include "io/geography.hpp"

#include <algorithm>
#include <limits>
#include <set>
#include <unordered_map>

#include "core/error.hpp"
#include "io/csv.hpp"
#include "io/polygons.hpp"

namespace revest::io {

void Geography::build_index() {
  by_code_.clear();
  for (std::size_t i = 0; i < counties.size(); ++i) {
    const auto& c = counties[i];
    REVEST_REQUIRE(by_code_.emplace(c.adcode, i).second,
                   "geography: duplicate adcode " << c.adcode << " (" << c.name << ")");
  }
  // 2022 codes: a 2022 code that is another county's code would make look-ups ambiguous.
  for (std::size_t i = 0; i < counties.size(); ++i) {
    const auto& c = counties[i];
    if (c.adcode_ref == c.adcode) continue;
    auto [it, fresh] = by_code_.emplace(c.adcode_ref, i);
    REVEST_REQUIRE(fresh || it->second == i,
                   "geography: 2022 code " << c.adcode_ref << " of county " << c.adcode << " ("
                                           << c.name << ") is also the code of county "
                                           << counties[it->second].adcode);
  }
}

std::optional<std::size_t> Geography::index_of(std::int64_t adcode) const {
  auto it = by_code_.find(adcode);
  if (it == by_code_.end()) return std::nullopt;
  return it->second;
}

Geography Geography::subset(const std::vector<std::size_t>& keep) const {
  Geography g;
  std::vector<std::int64_t> to(counties.size(), -1);
  for (std::size_t k = 0; k < keep.size(); ++k) {
    REVEST_REQUIRE(keep[k] < counties.size() && (k == 0 || keep[k] > keep[k - 1]),
                   "geography subset: indices must be ascending and in range");
    to[keep[k]] = static_cast<std::int64_t>(k);
    g.counties.push_back(counties[keep[k]]);
  }
  auto edges = [&](const std::vector<Edge>& in, std::vector<Edge>& out) {
    for (const Edge& e : in)
      if (to[e.i] >= 0 && to[e.j] >= 0)
        out.push_back(
            {static_cast<std::uint32_t>(to[e.i]), static_cast<std::uint32_t>(to[e.j]), e.weight});
  };
  edges(queen, g.queen);
  edges(rook, g.rook);
  g.has_queen = has_queen;
  g.has_rook = has_rook;
  g.build_index();
  return g;
}

std::vector<std::string> Geography::provinces() const {
  std::vector<std::string> out;
  for (const auto& c : counties)
    if (std::find(out.begin(), out.end(), c.province_en) == out.end()) out.push_back(c.province_en);
  return out;
}

std::vector<int> Geography::province_index() const {
  const auto p = provinces();
  std::vector<int> idx;
  idx.reserve(counties.size());
  for (const auto& c : counties)
    idx.push_back(static_cast<int>(std::find(p.begin(), p.end(), c.province_en) - p.begin()));
  return idx;
}

std::vector<std::vector<std::uint32_t>> Geography::adjacency(const std::vector<Edge>& edges,
                                                             std::size_t n) {
  std::vector<std::vector<std::uint32_t>> adj(n);
  for (const auto& e : edges) {
    adj[e.i].push_back(e.j);
    adj[e.j].push_back(e.i);
  }
  for (auto& a : adj) std::sort(a.begin(), a.end());
  return adj;
}

namespace {
std::vector<Edge> load_edges(const std::filesystem::path& path, const Geography& geo,
                             const char* weight_column, const char* graph) {
  const CsvTable t = read_csv(path);
  const std::size_t ci = t.column("adcode_i"), cj = t.column("adcode_j");
  std::optional<std::size_t> cw;
  if (weight_column) cw = t.column(weight_column);
  std::vector<Edge> edges;
  std::set<std::pair<std::uint32_t, std::uint32_t>> seen;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const auto a = t.integer(r, ci), b = t.integer(r, cj);
    auto ia = geo.index_of(a), ib = geo.index_of(b);
    REVEST_REQUIRE(ia, t.where(r, ci) << ": unknown county adcode " << a);
    REVEST_REQUIRE(ib, t.where(r, cj) << ": unknown county adcode " << b);
    REVEST_REQUIRE(*ia != *ib, t.where(r, cj) << ": self-loop on county " << a);
    Edge e;
    e.i = static_cast<std::uint32_t>(std::min(*ia, *ib));
    e.j = static_cast<std::uint32_t>(std::max(*ia, *ib));
    e.weight = cw ? t.number(r, *cw) : 1.0;
    if (cw) REVEST_REQUIRE(e.weight > 0, t.where(r, *cw) << ": border length must be positive");
    REVEST_REQUIRE(seen.emplace(e.i, e.j).second,
                   t.where(r, ci) << ": duplicate " << graph << " edge " << a << "-" << b);
    edges.push_back(e);
  }
  std::sort(edges.begin(), edges.end(),
            [](const Edge& x, const Edge& y) { return std::tie(x.i, x.j) < std::tie(y.i, y.j); });
  // A unit without a neighbour is not an error here: the weights that use the graph say so
  // (spatial::make_weights names it, or links it to its nearest unit with islands = nearest).
  return edges;
}

Geography load_county_table(const CsvTable& t);

/// A unit list (file comment of geography.hpp).
Geography load_unit_list(const CsvTable& t) {
  Geography geo;
  const auto c_id_opt = t.find_column("id") ? t.find_column("id") : t.find_column("adcode");
  REVEST_REQUIRE(c_id_opt.has_value(),
                 t.path << ": a unit list needs a column 'id' (integer codes of the units; the "
                           "bundled county table has adcode, adcode_ref, name, ...)");
  const std::size_t c_id = *c_id_opt;
  const auto c_name = t.find_column("name"), c_lon = t.find_column("lon"),
             c_lat = t.find_column("lat"), c_pref = t.find_column("prefecture"),
             c_prov = t.find_column("province");
  REVEST_REQUIRE(c_lon.has_value() == c_lat.has_value(),
                 t.path << ": give both columns lon and lat (centroids in degrees), or neither");
  std::unordered_map<std::int64_t, std::size_t> first_line;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    County c;
    c.adcode = c.adcode_ref = t.integer(r, c_id);
    REVEST_REQUIRE(c.adcode >= 0, t.where(r, c_id)
                                      << ": ids must be integers >= 0, got " << c.adcode);
    auto [it, fresh] = first_line.emplace(c.adcode, t.line[r]);
    REVEST_REQUIRE(fresh, t.where(r, c_id) << ": duplicate id " << c.adcode << " (first at line "
                                           << it->second << ")");
    c.name = c.name_ref = c_name ? t.rows[r][*c_name] : std::to_string(c.adcode);
    if (c_prov) c.province = c.province_en = t.rows[r][*c_prov];
    if (c_pref) c.prefecture = t.rows[r][*c_pref];
    constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
    c.lon = c_lon ? t.number(r, *c_lon) : kNaN;
    c.lat = c_lat ? t.number(r, *c_lat) : kNaN;
    if (c_lon) {
      REVEST_REQUIRE(c.lon >= -180 && c.lon <= 360,
                     t.where(r, *c_lon) << ": longitude " << c.lon << " is not in degrees");
      REVEST_REQUIRE(c.lat >= -90 && c.lat <= 90,
                     t.where(r, *c_lat) << ": latitude " << c.lat << " is not in degrees");
    }
    c.area_km2 = c.perimeter_km = kNaN;
    geo.counties.push_back(std::move(c));
  }
  REVEST_REQUIRE(!geo.counties.empty(), t.path << ": no units");
  geo.build_index();
  return geo;
}

}  // namespace

std::filesystem::path units_file(const std::filesystem::path& path) {
  return std::filesystem::is_directory(path) ? path / "counties.csv" : path;
}

Geography load_geography(const std::filesystem::path& path, const PolygonOptions& polygons) {
  REVEST_REQUIRE(std::filesystem::exists(path),
                 path.string() << ": no such geography (a folder with counties.csv, a unit-list "
                                  "CSV file with a column id, or a polygon file)");
  if (is_polygon_file(path)) return load_polygons(path, polygons);
  const std::filesystem::path& dir = path;
  const CsvTable t = read_csv(units_file(path));
  // A unit list: any table without the bundled county table's adcode_ref column.
  Geography geo = t.find_column("adcode_ref") ? load_county_table(t) : load_unit_list(t);
  // The graphs are read when present: a study without them runs every analysis that needs none.
  if (std::filesystem::is_directory(dir)) {
    if (std::filesystem::exists(dir / "queen.csv")) {
      geo.queen = load_edges(dir / "queen.csv", geo, nullptr, "queen");
      geo.has_queen = true;
    }
    if (std::filesystem::exists(dir / "rook.csv")) {
      geo.rook = load_edges(dir / "rook.csv", geo, "shared_border_km", "rook");
      geo.has_rook = true;
    }
  }
  return geo;
}

namespace {

/// The bundled county table (counties.csv of data/southwest).
Geography load_county_table(const CsvTable& t) {
  Geography geo;
  const std::size_t c_code = t.column("adcode"), c_ref = t.column("adcode_ref"),
                    c_name = t.column("name"), c_nref = t.column("name_ref"),
                    c_prov = t.column("province"), c_prov_en = t.column("province_en"),
                    c_pref = t.column("prefecture"), c_lon = t.column("centroid_lon"),
                    c_lat = t.column("centroid_lat"), c_area = t.column("area_km2"),
                    c_per = t.column("perimeter_km");
  std::unordered_map<std::int64_t, std::size_t> first_line;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    County c;
    c.adcode = t.integer(r, c_code);
    auto [it, fresh] = first_line.emplace(c.adcode, t.line[r]);
    REVEST_REQUIRE(fresh, t.where(r, c_code) << ": duplicate adcode " << c.adcode
                                             << " (first at line " << it->second << ")");
    c.adcode_ref = t.integer(r, c_ref);
    c.name = t.rows[r][c_name];
    c.name_ref = t.rows[r][c_nref];
    c.province = t.rows[r][c_prov];
    c.province_en = t.rows[r][c_prov_en];
    c.prefecture = t.rows[r][c_pref];
    c.lon = t.number(r, c_lon);
    c.lat = t.number(r, c_lat);
    c.area_km2 = t.number(r, c_area);
    c.perimeter_km = t.number(r, c_per);
    REVEST_REQUIRE(c.area_km2 > 0, t.where(r, c_area) << ": area must be positive");
    geo.counties.push_back(std::move(c));
  }
  REVEST_REQUIRE(!geo.counties.empty(), t.path << ": no counties");
  geo.build_index();
  return geo;
}

}  // namespace

}  // namespace revest::io
