#include "io/polygons.hpp"

#include <gdal_priv.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "core/error.hpp"

namespace revest::io {

namespace {

struct GeometryDeleter {
  void operator()(OGRGeometry* g) const { OGRGeometryFactory::destroyGeometry(g); }
};
using GeometryPtr = std::unique_ptr<OGRGeometry, GeometryDeleter>;

/// Total length of the linear parts of a geometry (points add nothing).
double linear_length(const OGRGeometry* g) {
  if (g == nullptr || g->IsEmpty()) return 0.0;
  const OGRwkbGeometryType t = wkbFlatten(g->getGeometryType());
  if (t == wkbLineString || t == wkbLinearRing || t == wkbCircularString || t == wkbCompoundCurve)
    return g->toCurve()->get_Length();
  if (t == wkbMultiLineString || t == wkbGeometryCollection || t == wkbMultiCurve) {
    double s = 0;
    for (const OGRGeometry* part : *g->toGeometryCollection()) s += linear_length(part);
    return s;
  }
  if (t == wkbPolygon || t == wkbMultiPolygon) {
    GeometryPtr b(g->Boundary());
    return linear_length(b.get());
  }
  return 0.0;
}

struct Unit {
  GeometryPtr geom;  // projected (metres)
  GeometryPtr boundary;
  OGREnvelope box;
};

}  // namespace

std::string lower_extension(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

bool is_polygon_file(const std::filesystem::path& path) {
  const std::string ext = lower_extension(path);
  return ext == ".geojson" || ext == ".json" || ext == ".shp" || ext == ".gpkg";
}

Geography load_polygons(const std::filesystem::path& path, const PolygonOptions& options) {
  static std::once_flag registered;
  std::call_once(registered, [] { GDALAllRegister(); });
  const std::string file = path.string();
  REVEST_REQUIRE(!options.id_field.empty(),
                 file << ": a polygon geography needs [data] geography_id, the field of the "
                         "units' integer ids");
  REVEST_REQUIRE(std::isfinite(options.snap_m) && options.snap_m >= 0,
                 file << ": the snapping tolerance must be >= 0 metres, got " << options.snap_m);
  std::unique_ptr<GDALDataset> ds(GDALDataset::Open(file.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY,
                                                    nullptr, nullptr, nullptr));
  REVEST_REQUIRE(ds != nullptr,
                 file << ": cannot open as a vector file (GDAL: " << CPLGetLastErrorMsg() << ")");
  REVEST_REQUIRE(ds->GetLayerCount() >= 1, file << ": no layer");
  OGRLayer* layer = ds->GetLayer(0);
  OGRFeatureDefn* defn = layer->GetLayerDefn();
  auto field_index = [&](const std::string& name) -> int {
    if (name.empty()) return -1;
    const int k = defn->GetFieldIndex(name.c_str());
    if (k < 0) {
      std::ostringstream fields;
      for (int f = 0; f < defn->GetFieldCount(); ++f)
        fields << (f ? ", " : "") << defn->GetFieldDefn(f)->GetNameRef();
      REVEST_FAIL(file << ": no field '" << name << "' (fields: " << fields.str() << ")");
    }
    return k;
  };
  const int f_id = field_index(options.id_field), f_name = field_index(options.name_field);
  const int f_prov = defn->GetFieldIndex("province"), f_pref = defn->GetFieldIndex("prefecture");

  // Source and target coordinate systems: the layer's (WGS84 longitude / latitude without one)
  // and a Lambert azimuthal equal-area projection centred on the extent.
  OGRSpatialReference wgs84;
  wgs84.SetWellKnownGeogCS("WGS84");
  wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  OGRSpatialReference source;
  if (const OGRSpatialReference* s = layer->GetSpatialRef())
    source = *s;
  else
    source = wgs84;
  source.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  OGREnvelope extent;
  REVEST_REQUIRE(layer->GetExtent(&extent, TRUE) == OGRERR_NONE, file << ": no extent");
  double clon = (extent.MinX + extent.MaxX) / 2, clat = (extent.MinY + extent.MaxY) / 2;
  if (!source.IsGeographic()) {
    std::unique_ptr<OGRCoordinateTransformation> to_geo(
        OGRCreateCoordinateTransformation(&source, &wgs84));
    REVEST_REQUIRE(to_geo && to_geo->Transform(1, &clon, &clat), file << ": cannot transform its "
                                                                         "coordinates to WGS84");
  }
  REVEST_REQUIRE(std::abs(clat) <= 90 && std::abs(clon) <= 360,
                 file << ": coordinates without a coordinate system must be longitude and "
                         "latitude in degrees");
  OGRSpatialReference laea;
  std::ostringstream proj;
  proj.precision(17);
  proj << "+proj=laea +lat_0=" << clat << " +lon_0=" << clon
       << " +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs";
  REVEST_REQUIRE(laea.importFromProj4(proj.str().c_str()) == OGRERR_NONE,
                 file << ": cannot set up the equal-area projection");
  laea.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> forward(
      OGRCreateCoordinateTransformation(&source, &laea));
  std::unique_ptr<OGRCoordinateTransformation> back(
      OGRCreateCoordinateTransformation(&laea, &wgs84));
  REVEST_REQUIRE(forward && back, file << ": cannot project its coordinates");

  Geography geo;
  std::vector<Unit> units;
  std::unordered_map<std::int64_t, std::size_t> seen;
  layer->ResetReading();
  std::size_t index = 0;
  for (auto& feature : *layer) {
    const std::string where = file + ": feature " + std::to_string(index) + " (FID " +
                              std::to_string(feature->GetFID()) + ")";
    REVEST_REQUIRE(feature->IsFieldSetAndNotNull(f_id),
                   where << ": field '" << options.id_field << "' is empty");
    const double idv = feature->GetFieldAsDouble(f_id);
    REVEST_REQUIRE(std::isfinite(idv) && idv == std::floor(idv) && idv >= 0 && idv < 9e15,
                   where << ": field '" << options.id_field << "' is '"
                         << feature->GetFieldAsString(f_id) << "', not an integer id >= 0");
    County c;
    c.adcode = c.adcode_ref = static_cast<std::int64_t>(idv);
    const auto [it, fresh] = seen.emplace(c.adcode, index);
    REVEST_REQUIRE(fresh, where << ": duplicate id " << c.adcode << " (first at feature "
                                << it->second << ")");
    c.name = c.name_ref =
        f_name >= 0 ? feature->GetFieldAsString(f_name) : std::to_string(c.adcode);
    if (f_prov >= 0) c.province = c.province_en = feature->GetFieldAsString(f_prov);
    if (f_pref >= 0) c.prefecture = feature->GetFieldAsString(f_pref);
    const OGRGeometry* g = feature->GetGeometryRef();
    REVEST_REQUIRE(g != nullptr && !g->IsEmpty(), where << ": no geometry");
    const OGRwkbGeometryType t = wkbFlatten(g->getGeometryType());
    REVEST_REQUIRE(t == wkbPolygon || t == wkbMultiPolygon,
                   where << ": geometry is " << OGRGeometryTypeToName(g->getGeometryType())
                         << ", not a polygon");
    Unit u;
    u.geom.reset(g->clone());
    REVEST_REQUIRE(u.geom->transform(forward.get()) == OGRERR_NONE,
                   where << ": cannot project its geometry");
    u.boundary.reset(u.geom->Boundary());
    u.geom->getEnvelope(&u.box);
    const double a =
        t == wkbPolygon ? u.geom->toPolygon()->get_Area() : u.geom->toMultiPolygon()->get_Area();
    c.area_km2 = a / 1e6;
    c.perimeter_km = linear_length(u.boundary.get()) / 1e3;
    OGRPoint centroid;
    REVEST_REQUIRE(u.geom->Centroid(&centroid) == OGRERR_NONE, where << ": no centroid");
    double x = centroid.getX(), y = centroid.getY();
    REVEST_REQUIRE(back->Transform(1, &x, &y), where << ": cannot project its centroid back");
    c.lon = x;
    c.lat = y;
    geo.counties.push_back(std::move(c));
    units.push_back(std::move(u));
    ++index;
  }
  REVEST_REQUIRE(!geo.counties.empty(), file << ": no features");
  geo.build_index();

  // Candidate pairs: overlapping boxes (grown by the tolerance), by a sweep over min x.
  const double tol = options.snap_m;
  std::vector<std::size_t> order(units.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return units[a].box.MinX < units[b].box.MinX; });
  for (std::size_t a = 0; a < order.size(); ++a) {
    const std::size_t i = order[a];
    for (std::size_t b = a + 1; b < order.size(); ++b) {
      const std::size_t j = order[b];
      if (units[j].box.MinX > units[i].box.MaxX + tol) break;
      const OGREnvelope &p = units[i].box, &q = units[j].box;
      if (q.MinY > p.MaxY + tol || p.MinY > q.MaxY + tol) continue;
      const bool queen = tol > 0 ? units[i].geom->Distance(units[j].geom.get()) <= tol
                                 : units[i].geom->Intersects(units[j].geom.get());
      if (!queen) continue;
      const std::uint32_t lo = static_cast<std::uint32_t>(std::min(i, j)),
                          hi = static_cast<std::uint32_t>(std::max(i, j));
      geo.queen.push_back({lo, hi, 1.0});
      double shared = 0;
      if (tol > 0) {
        GeometryPtr bi(units[i].boundary->Buffer(tol)), bj(units[j].boundary->Buffer(tol));
        GeometryPtr ij(units[i].boundary->Intersection(bj.get())),
            ji(units[j].boundary->Intersection(bi.get()));
        shared = (linear_length(ij.get()) + linear_length(ji.get())) / 2;
      } else {
        GeometryPtr ij(units[i].boundary->Intersection(units[j].boundary.get()));
        shared = linear_length(ij.get());
      }
      if (shared > tol) geo.rook.push_back({lo, hi, shared / 1e3});
    }
  }
  auto by_pair = [](const Edge& x, const Edge& y) {
    return std::tie(x.i, x.j) < std::tie(y.i, y.j);
  };
  std::sort(geo.queen.begin(), geo.queen.end(), by_pair);
  std::sort(geo.rook.begin(), geo.rook.end(), by_pair);
  geo.has_queen = geo.has_rook = true;
  return geo;
}

}  // namespace revest::io
