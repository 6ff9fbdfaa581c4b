#pragma once
/// \file polygons.hpp
/// \brief A geography from a polygon file (GeoJSON, Shapefile, GeoPackage, or any vector format
/// GDAL reads): the units, their centroids and areas, and their queen and rook contiguity.
///
/// The first layer of the file is read; each feature is a unit with an integer id (field
/// `id_field`; a real number must be whole, as Shapefiles store integers), a name (`name_field`,
/// optional) and, when the file has fields `province` and `prefecture`, those groups. Geometry:
///  - Projection: the features' coordinates (the layer's CRS; without one, longitude and latitude
///    in degrees as GeoJSON prescribes) are projected to a Lambert azimuthal equal-area projection
///    centred on the layer's extent (WGS84, metres): areas, border lengths and the snapping
///    tolerance are measured there, and each centroid (area-weighted, of the projected polygon) is
///    projected back to longitude and latitude (great-circle distances then work as for counties).
///  - Queen contiguity: two units are neighbours when their polygons are within `snap_m` metres
///    of each other (0, the default: they intersect, i.e. share at least a point, as R spdep's
///    poly2nb with its default snap). Rook: they share a border of positive length: the length of
///    each unit's boundary within `snap_m` of the other's (exactly on it for 0), averaged over the
///    two directions, is above `snap_m` (above 0 for 0); it is the rook edge's weight, in km.
///  - Candidate pairs are those whose bounding boxes (grown by snap_m) overlap, found by sorting;
///    GEOS (through GDAL) decides each pair.
/// Errors name the file, the feature (its index and FID) and the field: a missing or non-integer
/// id, a duplicate id, a missing or non-polygon geometry.
///
/// \test tests/io/polygons_test.cpp: Columbus (49 polygons; spdep poly2nb's queen list), the
/// bundled counties' simplified polygons against queen.csv and rook.csv (the differences
/// explained), and the errors.
#include <filesystem>
#include <string>

#include "io/geography.hpp"

namespace revest::io {

/// The extension of `path` in lower case (".shp" for "COUNTIES.SHP").
std::string lower_extension(const std::filesystem::path& path);

/// Whether `path` names a polygon file (by extension, in any case: .geojson, .json, .shp, .gpkg).
bool is_polygon_file(const std::filesystem::path& path);

/// Reads the polygon file `path` into a geography (has_queen and has_rook true). Throws
/// revest::Error naming the file, feature and field.
Geography load_polygons(const std::filesystem::path& path, const PolygonOptions& options);

}  // namespace revest::io
