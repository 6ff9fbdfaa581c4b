#pragma once
/// \file weights.hpp
/// \brief Spatial weights matrices of a set of units (centroids, contiguity graphs, groups).
///
/// The units are plain data (Units: names, centroids, queen and rook links, prefecture and
/// province); the job adapter fills them from the bundled county geography
/// (analyses/spatial_inputs.hpp). A matrix is described by a spec (WeightsSpec), written in job
/// files as one line "TYPE key=value ...":
///
/// | spec | w_ij (i != j) |
/// |---|---|
/// | `queen`, `rook` | 1 if the counties share a vertex (queen) / a border of positive length (rook) |
/// | `rook_length` | shared border length in km (rook.csv, 200 m tolerance) |
/// | `knn k=6` | 1 for the k nearest centroids (not symmetric) |
/// | `distance_band d=100` | 1 if the great-circle centroid distance is at most d km |
/// | `inverse_distance power=1 cutoff=0` | d_ij^-power, for d_ij <= cutoff km (0 = no cutoff: dense) |
/// | `kernel function=gaussian bandwidth=100` | K(d_ij / h) for d_ij <= h; gaussian K(z) = exp(-z^2/2), exponential K(z) = exp(-z) |
/// | `economic variable=V base=inverse_distance` | base weight x exp(-abs(m_i - m_j) / sd(m)), m = the unit means of variable V (given by the caller; the job: the county mean of panel variable V over the job's years); base is queen, rook, inverse_distance (power 1) or knn (k=6) |
/// | `block level=prefecture` | 1 if in the same prefecture (or province) |
/// | `gal file=F` | 1 for the neighbours GeoDa's `.gal` file F lists (ids matched to the units' ids) |
/// | `gwt file=F` | the weights of GeoDa's `.gwt` file F |
/// | `edges file=F weight=C from=from to=to` | a CSV edge list: the column C's value (no weight= : 1) for each (from, to) row |
/// | `matrix file=F` | the entries of a Matrix Market `.mtx` file F (rows and columns are the units in their order) |
///
/// The file formats are those of weights_io.hpp (which reads them); a unit the file does not
/// mention has no neighbour. In a job, F is resolved against the job file's directory, and the
/// file is read once, embedded in the archive and given to build_weights as text. With
/// `islands=nearest`, the link to an island's nearest unit weighs the median of the file's weights.
///
/// Distances are great-circle distances (haversine, R = 6371.0088 km) between the units'
/// centroids (for counties, the area-weighted centroids of counties.csv). Every spec also takes
/// `standardise=row|none` (default row) and `islands=error|nearest` (default error): a unit with
/// no neighbour is an error naming it, unless `nearest` links it (both ways) to its nearest unit
/// by distance; each such link is reported. The diagonal is always zero.
///
/// \test tests/spatial/weights_test.cpp: link counts against the bundled neighbour files, kNN and
/// distance-band definitions against brute force, row sums, islands, spec errors.
#include <Eigen/Sparse>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace revest::spatial {

using SpMat = Eigen::SparseMatrix<double, Eigen::RowMajor, int>;

/// The definitions of the table above.
enum class WeightsType {
  kQueen,
  kRook,
  kRookLength,
  kKnn,
  kDistanceBand,
  kInverseDistance,
  kKernel,
  kEconomic,
  kBlock,
  kGal,
  kGwt,
  kEdges,
  kMatrix
};
enum class Kernel { kGaussian, kExponential };
enum class BlockLevel { kPrefecture, kProvince };
const char* to_string(WeightsType t);  ///< "queen", "rook", "rook_length", "knn", ...
const char* to_string(Kernel k);       ///< "gaussian", "exponential"
const char* to_string(BlockLevel b);   ///< "prefecture", "province"

/// A weights matrix's definition (the table above).
struct WeightsSpec {
  /// The spec as written ("knn k=6"): the matrix's label in tables and messages. Empty (default):
  /// label() writes one from the fields.
  std::string text;
  /// The definition. Default kQueen.
  WeightsType type = WeightsType::kQueen;
  /// kKnn: neighbours per unit, in [1, 999]. Default 6.
  int k = 6;
  /// kDistanceBand: the band d in km, > 0. Default 100.
  double distance_km = 100.0;
  /// kInverseDistance: the power, > 0. Default 1.
  double power = 1.0;
  /// kInverseDistance: the cutoff in km, >= 0 (0 = none: a dense matrix). Default 0.
  double cutoff_km = 0.0;
  /// kKernel: the kernel function. Default kGaussian.
  Kernel kernel = Kernel::kGaussian;
  /// kKernel: the bandwidth h in km, > 0. Default 100.
  double bandwidth_km = 100.0;
  /// kEconomic: the variable whose unit means weigh the links (a name, for messages; required).
  std::string variable;
  /// kEconomic: the geographic base, kQueen, kRook, kInverseDistance (power 1) or kKnn (k = 6).
  /// Default kInverseDistance.
  WeightsType base = WeightsType::kInverseDistance;
  /// kBlock: units in the same prefecture, or province. Default kPrefecture.
  BlockLevel level = BlockLevel::kPrefecture;
  /// kGal, kGwt, kEdges, kMatrix: the file, as written (required).
  std::string file;
  /// kEdges: the weight column; empty (default): every link weighs 1.
  std::string weight_column;
  /// kEdges: the columns of the link's two units' ids. Defaults "from" and "to".
  std::string from_column = "from", to_column = "to";
  /// Row-standardise (each row sums to 1). Default true.
  bool row_standardise = true;
  /// A unit without neighbours: an error (false, default) or linked to its nearest unit.
  bool islands_nearest = false;

  /// text, or "TYPE key=value ..." written from the fields when text is empty.
  std::string label() const;
  /// Throws revest::Error "weights spec 'LABEL': ..." naming the field that is out of range.
  void validate() const;
  /// Whether the matrix is read from a file (kGal, kGwt, kEdges, kMatrix).
  bool from_file() const;
  bool operator==(const WeightsSpec&) const = default;
};

/// Parses "TYPE key=value ..."; throws revest::Error naming `where` and the bad token. A pure
/// function of the text (the job adapter calls it on the job's strings).
WeightsSpec parse_weights_spec(const std::string& text, const std::string& where);

/// An undirected link between units i and j with a weight (1 for contiguity; the shared border
/// length in km for rook_length).
struct Link {
  std::uint32_t i = 0, j = 0;
  double weight = 1.0;
};

/// What build_weights needs to know about the units, as plain data. A field is needed only by the
/// types that use it; an empty one is an error only when a spec needs it.
struct Units {
  /// One per unit: unit i in messages (e.g. "county 510104 (锦江区)"). Its size is the number of
  /// units.
  std::vector<std::string> names;
  /// Centroids in degrees (knn, distance_band, inverse_distance, kernel, economic with a distance
  /// base, islands=nearest).
  std::vector<double> lon, lat;
  /// Contiguity: units sharing a vertex (queen), a border of positive length (rook, with its
  /// length in km as the weight: rook_length).
  std::vector<Link> queen, rook;
  /// Whether the queen and rook graphs are known (a unit list has none: queen, rook and
  /// rook_length weights are then an error that says so, not a matrix of islands).
  bool has_queen = true, has_rook = true;
  /// Groups of block weights: one name per unit.
  std::vector<std::string> prefecture, province;
  /// Weights files (gal, gwt, edges): the id of every unit as the files write it, and optionally
  /// a second id each (WeightsFileOptions::aliases).
  std::vector<std::string> ids, aliases;
  std::size_t size() const { return names.size(); }
};

/// Per-matrix summary (archived with every job that uses the matrix).
struct WeightsSummary {
  std::size_t n = 0;
  std::size_t links = 0;  ///< non-zero off-diagonal entries
  double mean_degree = 0;
  int min_degree = 0, max_degree = 0;
  std::vector<std::size_t> degree_counts;   ///< degree_counts[d] = number of units with d links
  bool symmetric_pattern = false;           ///< w_ij != 0 <=> w_ji != 0
  bool symmetric_values = false;            ///< the matrix itself is symmetric
  std::size_t components = 0;               ///< connected components of the undirected pattern
  std::vector<std::size_t> islands_linked;  ///< units linked by the `nearest` fallback
  double percent_nonzero = 0;
};

/// A weights matrix with what the estimators need to know about it.
struct Weights {
  std::string label;
  SpMat W;  ///< n x n, zero diagonal
  bool row_standardised = false;
  /// True when W = D^-1 S with S symmetric and D = diag(row sums of S) (or W symmetric, D = I):
  /// then W is similar to the symmetric D^-1/2 S D^-1/2 and its eigenvalues are real.
  bool symmetric_similar = false;
  Eigen::VectorXd row_sums;  ///< D (ones when W is not standardised)
  WeightsSummary summary;
  std::size_t size() const { return static_cast<std::size_t>(W.rows()); }
  /// D^-1/2 S D^-1/2 (only when symmetric_similar).
  SpMat symmetric_form() const;
};

/// Builds a matrix from raw non-negative weights (i, j, w), i != j (a repeated link keeps its
/// largest weight). `names[i]` names unit i in messages; `nearest[i]` (if given) is unit i's
/// nearest unit for the islands fallback, linked both ways with weight `link_weight(i, j)` (the
/// spec's own weight function at that pair, ignoring its cutoff; 1 if not given).
struct Triplet {
  std::uint32_t i, j;
  double w;
};
Weights make_weights(std::size_t n, std::vector<Triplet> raw, const WeightsSpec& spec,
                     const std::vector<std::string>& names,
                     const std::vector<std::size_t>& nearest = {},
                     const std::function<double(std::size_t, std::size_t)>& link_weight = {});

/// Great-circle distance in km between two (lon, lat) points in degrees.
double great_circle_km(double lon1, double lat1, double lon2, double lat2);

/// Builds the matrix described by `spec` for `units`. `unit_means` is needed by `economic` (one
/// value per unit; NaN is an error naming the unit); `file_text` by the file types (the bytes of
/// spec.file: the caller reads it). Throws revest::Error on a bad spec, missing unit data, a
/// malformed file (naming the file, line and field), or an island (unless islands_nearest).
Weights build_weights(const WeightsSpec& spec, const Units& units,
                      std::span<const double> unit_means = {}, const std::string& file_text = {});

/// k-nearest-neighbour weights of n points in the plane (Euclidean; bucket grid, O(n k)).
/// Used for the generated large-n graphs (township scale).
Weights knn_plane(std::span<const double> x, std::span<const double> y, int k,
                  bool row_standardise = true);

/// Rows [begin, end) of the row-standardised kNN matrix of the points (x, y) (a rank's share of a
/// distributed graph): (end - begin) x n, each row k entries of 1 / k, columns global.
SpMat knn_plane_rows(std::span<const double> x, std::span<const double> y, int k, std::size_t begin,
                     std::size_t end);

/// Spectral bounds used to bracket rho: (lower, upper) with I - rho W non-singular for rho in
/// the open interval. From eigenvalues when given, else (-1, 1) / (max absolute row sum).
std::pair<double, double> rho_interval(const Weights& w);

}  // namespace revest::spatial
