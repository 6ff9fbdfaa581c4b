#include "spatial/weights.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <sstream>
#include <unordered_map>

#include "core/error.hpp"
#include "spatial/sphere_index.hpp"
#include "spatial/weights_io.hpp"

namespace revest::spatial {

namespace {

double to_double(const std::string& v, const std::string& key, const std::string& where) {
  try {
    std::size_t used = 0;
    const double d = std::stod(v, &used);
    REVEST_REQUIRE(used == v.size() && std::isfinite(d), "");
    return d;
  } catch (...) {
    REVEST_FAIL(where << ": weights key '" << key << "' needs a number, got '" << v << "'");
  }
}

constexpr WeightsType kTypes[] = {
    WeightsType::kQueen,  WeightsType::kRook,         WeightsType::kRookLength,
    WeightsType::kKnn,    WeightsType::kDistanceBand, WeightsType::kInverseDistance,
    WeightsType::kKernel, WeightsType::kEconomic,     WeightsType::kBlock,
    WeightsType::kGal,    WeightsType::kGwt,          WeightsType::kEdges,
    WeightsType::kMatrix};

/// The words of a spec: split at blanks, except inside double quotes (file="my data.gal"), which
/// are removed. Throws on an unclosed quote.
std::vector<std::string> spec_words(const std::string& text, const std::string& where) {
  std::vector<std::string> words;
  std::string cur;
  bool quoted = false, any = false;
  for (const char c : text) {
    if (c == '"') {
      quoted = !quoted;
      any = true;
    } else if (!quoted && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
      if (any) words.push_back(cur);
      cur.clear();
      any = false;
    } else {
      cur += c;
      any = true;
    }
  }
  REVEST_REQUIRE(!quoted, where << ": weights spec '" << text << "': unclosed quote");
  if (any) words.push_back(cur);
  return words;
}

/// A value for a spec label: quoted if it has a blank.
std::string quoted_if_needed(const std::string& v) {
  return v.find_first_of(" \t") == std::string::npos ? v : '"' + v + '"';
}

/// The value of `text` among `values` (named by to_string), or nullopt.
template <class E, std::size_t N>
std::optional<E> lookup(const std::string& text, const E (&values)[N]) {
  for (E v : values)
    if (text == to_string(v)) return v;
  return std::nullopt;
}

std::string number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

}  // namespace

const char* to_string(WeightsType t) {
  switch (t) {
    case WeightsType::kQueen:
      return "queen";
    case WeightsType::kRook:
      return "rook";
    case WeightsType::kRookLength:
      return "rook_length";
    case WeightsType::kKnn:
      return "knn";
    case WeightsType::kDistanceBand:
      return "distance_band";
    case WeightsType::kInverseDistance:
      return "inverse_distance";
    case WeightsType::kKernel:
      return "kernel";
    case WeightsType::kEconomic:
      return "economic";
    case WeightsType::kBlock:
      return "block";
    case WeightsType::kGal:
      return "gal";
    case WeightsType::kGwt:
      return "gwt";
    case WeightsType::kEdges:
      return "edges";
    case WeightsType::kMatrix:
      return "matrix";
  }
  return "?";
}

bool WeightsSpec::from_file() const {
  return type == WeightsType::kGal || type == WeightsType::kGwt || type == WeightsType::kEdges ||
         type == WeightsType::kMatrix;
}

const char* to_string(Kernel k) { return k == Kernel::kGaussian ? "gaussian" : "exponential"; }

const char* to_string(BlockLevel b) {
  return b == BlockLevel::kPrefecture ? "prefecture" : "province";
}

std::string WeightsSpec::label() const {
  if (!text.empty()) return text;
  std::string s = to_string(type);
  switch (type) {
    case WeightsType::kKnn:
      s += " k=" + std::to_string(k);
      break;
    case WeightsType::kDistanceBand:
      s += " d=" + number(distance_km);
      break;
    case WeightsType::kInverseDistance:
      s += " power=" + number(power) + " cutoff=" + number(cutoff_km);
      break;
    case WeightsType::kKernel:
      s += std::string(" function=") + to_string(kernel) + " bandwidth=" + number(bandwidth_km);
      break;
    case WeightsType::kEconomic:
      s += " variable=" + variable + " base=" + to_string(base);
      break;
    case WeightsType::kBlock:
      s += std::string(" level=") + to_string(level);
      break;
    default:
      break;
  }
  if (from_file()) s += " file=" + quoted_if_needed(file);
  if (type == WeightsType::kEdges) {
    if (!weight_column.empty()) s += " weight=" + quoted_if_needed(weight_column);
    if (from_column != "from") s += " from=" + quoted_if_needed(from_column);
    if (to_column != "to") s += " to=" + quoted_if_needed(to_column);
  }
  if (!row_standardise) s += " standardise=none";
  if (islands_nearest) s += " islands=nearest";
  return s;
}

void WeightsSpec::validate() const {
  const std::string spec = "weights spec '" + label() + "'";
  REVEST_REQUIRE(k >= 1 && k < 1000, spec << ": k must be a positive integer");
  REVEST_REQUIRE(distance_km > 0, spec << ": d must be > 0");
  REVEST_REQUIRE(power > 0, spec << ": power must be > 0");
  REVEST_REQUIRE(cutoff_km >= 0, spec << ": cutoff must be >= 0");
  REVEST_REQUIRE(bandwidth_km > 0, spec << ": bandwidth must be > 0");
  REVEST_REQUIRE(base == WeightsType::kQueen || base == WeightsType::kRook ||
                     base == WeightsType::kInverseDistance || base == WeightsType::kKnn,
                 spec << ": base must be queen, rook, inverse_distance or knn");
  REVEST_REQUIRE(type != WeightsType::kEconomic || !variable.empty(),
                 spec << ": economic weights need variable=NAME");
  REVEST_REQUIRE(!from_file() || !file.empty(),
                 spec << ": " << to_string(type) << " weights need file=PATH");
  REVEST_REQUIRE(type != WeightsType::kEdges ||
                     (!from_column.empty() && !to_column.empty() && from_column != to_column),
                 spec << ": from and to must name two different columns");
}

WeightsSpec parse_weights_spec(const std::string& text, const std::string& where) {
  WeightsSpec s;
  s.text = text;
  const std::vector<std::string> words = spec_words(text, where);
  REVEST_REQUIRE(!words.empty(), where << ": empty weights spec");
  const std::string& type = words.front();
  const auto t = lookup(type, kTypes);
  REVEST_REQUIRE(t.has_value(), where << ": unknown weights type '" << type
                                      << "' (queen, rook, rook_length, knn, distance_band, "
                                         "inverse_distance, kernel, economic, block, gal, gwt, "
                                         "edges, matrix)");
  s.type = *t;
  for (std::size_t w = 1; w < words.size(); ++w) {
    const std::string& tok = words[w];
    const auto eq = tok.find('=');
    REVEST_REQUIRE(
        eq != std::string::npos && eq > 0 && eq + 1 < tok.size(),
        where << ": weights spec '" << text << "': expected key=value, got '" << tok << "'");
    const std::string key = tok.substr(0, eq), v = tok.substr(eq + 1);
    auto allowed = [&](WeightsType only) {
      REVEST_REQUIRE(s.type == only, where << ": weights spec '" << text << "': key '" << key
                                           << "' does not apply to type " << type);
    };
    if (key == "standardise" || key == "standardize") {
      REVEST_REQUIRE(v == "row" || v == "none",
                     where << ": weights spec '" << text << "': standardise must be row or none");
      s.row_standardise = v == "row";
    } else if (key == "islands") {
      REVEST_REQUIRE(v == "error" || v == "nearest",
                     where << ": weights spec '" << text << "': islands must be error or nearest");
      s.islands_nearest = v == "nearest";
    } else if (key == "k") {
      allowed(WeightsType::kKnn);
      const double k = to_double(v, key, where);
      REVEST_REQUIRE(k >= 1 && k == std::floor(k) && k < 1000,
                     where << ": weights spec '" << text << "': k must be a positive integer");
      s.k = static_cast<int>(k);
    } else if (key == "d") {
      allowed(WeightsType::kDistanceBand);
      s.distance_km = to_double(v, key, where);
    } else if (key == "power") {
      allowed(WeightsType::kInverseDistance);
      s.power = to_double(v, key, where);
    } else if (key == "cutoff") {
      allowed(WeightsType::kInverseDistance);
      s.cutoff_km = to_double(v, key, where);
    } else if (key == "function") {
      allowed(WeightsType::kKernel);
      const auto f = lookup(v, {Kernel::kGaussian, Kernel::kExponential});
      REVEST_REQUIRE(f.has_value(), where << ": weights spec '" << text
                                          << "': function must be gaussian or exponential");
      s.kernel = *f;
    } else if (key == "bandwidth") {
      allowed(WeightsType::kKernel);
      s.bandwidth_km = to_double(v, key, where);
    } else if (key == "variable") {
      allowed(WeightsType::kEconomic);
      s.variable = v;
    } else if (key == "base") {
      allowed(WeightsType::kEconomic);
      const auto b = lookup(v, {WeightsType::kQueen, WeightsType::kRook,
                                WeightsType::kInverseDistance, WeightsType::kKnn});
      REVEST_REQUIRE(b.has_value(), where
                                        << ": weights spec '" << text
                                        << "': base must be queen, rook, inverse_distance or knn");
      s.base = *b;
    } else if (key == "file") {
      REVEST_REQUIRE(s.from_file(), where << ": weights spec '" << text << "': key 'file' does not "
                                          << "apply to type " << type
                                          << " (only gal, gwt, edges, matrix)");
      s.file = v;
    } else if (key == "weight") {
      allowed(WeightsType::kEdges);
      s.weight_column = v;
    } else if (key == "from") {
      allowed(WeightsType::kEdges);
      s.from_column = v;
    } else if (key == "to") {
      allowed(WeightsType::kEdges);
      s.to_column = v;
    } else if (key == "level") {
      allowed(WeightsType::kBlock);
      const auto l = lookup(v, {BlockLevel::kPrefecture, BlockLevel::kProvince});
      REVEST_REQUIRE(l.has_value(), where << ": weights spec '" << text
                                          << "': level must be prefecture or province");
      s.level = *l;
    } else {
      REVEST_FAIL(where << ": weights spec '" << text << "': unknown key '" << key << "'");
    }
  }
  try {
    s.validate();
  } catch (const Error& e) {
    REVEST_FAIL(where << ": " << e.what());
  }
  return s;
}

double great_circle_km(double lon1, double lat1, double lon2, double lat2) {
  constexpr double kRad = 3.14159265358979323846 / 180.0, kEarth = 6371.0088;
  const double p1 = lat1 * kRad, p2 = lat2 * kRad;
  const double dp = p2 - p1, dl = (lon2 - lon1) * kRad;
  const double a = std::sin(dp / 2) * std::sin(dp / 2) +
                   std::cos(p1) * std::cos(p2) * std::sin(dl / 2) * std::sin(dl / 2);
  return 2 * kEarth * std::asin(std::min(1.0, std::sqrt(a)));
}

SpMat Weights::symmetric_form() const {
  REVEST_REQUIRE(symmetric_similar,
                 "weights '" << label << "' are not similar to a symmetric matrix");
  SpMat s = W;
  for (int i = 0; i < s.outerSize(); ++i)
    for (SpMat::InnerIterator it(s, i); it; ++it)
      it.valueRef() *= std::sqrt(row_sums[i] / row_sums[it.col()]);
  return s;
}

Weights make_weights(std::size_t n, std::vector<Triplet> raw, const WeightsSpec& spec,
                     const std::vector<std::string>& names, const std::vector<std::size_t>& nearest,
                     const std::function<double(std::size_t, std::size_t)>& link_weight) {
  const std::string label = spec.label();
  auto name = [&](std::size_t i) {
    return i < names.size() ? names[i] : "unit " + std::to_string(i);
  };
  for (const auto& t : raw) {
    REVEST_REQUIRE(t.i < n && t.j < n && t.i != t.j,
                   "weights '" << label << "': invalid link " << t.i << " -> " << t.j);
    REVEST_REQUIRE(std::isfinite(t.w) && t.w >= 0,
                   "weights '" << label << "': weight of " << name(t.i) << " -> " << name(t.j)
                               << " is " << t.w << " (must be finite and >= 0)");
  }
  std::erase_if(raw, [](const Triplet& t) { return t.w == 0.0; });
  std::vector<int> deg(n, 0);
  for (const auto& t : raw) ++deg[t.i];
  WeightsSummary sum;
  for (std::size_t i = 0; i < n; ++i) {
    if (deg[i] > 0) continue;
    REVEST_REQUIRE(spec.islands_nearest && !nearest.empty(),
                   "weights '" << label << "': " << name(i)
                               << " has no neighbour (an island); choose a larger distance / "
                                  "bandwidth, or islands=nearest to link it to its nearest unit");
    const std::size_t j = nearest[i];
    const double wij = link_weight ? link_weight(i, j) : 1.0,
                 wji = link_weight ? link_weight(j, i) : 1.0;
    REVEST_REQUIRE(std::isfinite(wij) && wij > 0 && std::isfinite(wji) && wji > 0,
                   "weights '" << label << "': the fallback link of " << name(i) << " to "
                               << name(j) << " has weight " << wij << " (must be > 0)");
    raw.push_back({static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j), wij});
    raw.push_back({static_cast<std::uint32_t>(j), static_cast<std::uint32_t>(i), wji});
    sum.islands_linked.push_back(i);
  }
  Weights w;
  w.label = label;
  std::vector<Eigen::Triplet<double>> trips;
  trips.reserve(raw.size());
  for (const auto& t : raw) trips.emplace_back(static_cast<int>(t.i), static_cast<int>(t.j), t.w);
  w.W.resize(static_cast<int>(n), static_cast<int>(n));
  // Duplicates (an island linked to a unit that already links to it) are summed: take the max.
  std::sort(trips.begin(), trips.end(), [](const auto& a, const auto& b) {
    return a.row() != b.row() ? a.row() < b.row() : a.col() < b.col();
  });
  std::vector<Eigen::Triplet<double>> uniq;
  for (const auto& t : trips) {
    if (!uniq.empty() && uniq.back().row() == t.row() && uniq.back().col() == t.col()) {
      uniq.back() =
          Eigen::Triplet<double>(t.row(), t.col(), std::max(uniq.back().value(), t.value()));
    } else {
      uniq.push_back(t);
    }
  }
  w.W.setFromTriplets(uniq.begin(), uniq.end());
  w.W.makeCompressed();
  // Symmetry of pattern and values.
  const SpMat wt = SpMat(w.W.transpose());
  const SpMat diff = w.W - wt;
  double maxdiff = 0, maxw = 0;
  for (int i = 0; i < diff.outerSize(); ++i)
    for (SpMat::InnerIterator it(diff, i); it; ++it)
      maxdiff = std::max(maxdiff, std::abs(it.value()));
  for (int i = 0; i < w.W.outerSize(); ++i)
    for (SpMat::InnerIterator it(w.W, i); it; ++it) maxw = std::max(maxw, std::abs(it.value()));
  sum.symmetric_values = maxdiff <= 1e-14 * maxw;
  {
    SpMat pa = w.W;
    // A copy: its values are set to 1 below, through the iterators' valueRef(), which clang-tidy
    // does not see as a modification.
    SpMat pb = wt;  // NOLINT(performance-unnecessary-copy-initialization)
    for (int i = 0; i < pa.outerSize(); ++i)
      for (SpMat::InnerIterator it(pa, i); it; ++it) it.valueRef() = 1.0;
    for (int i = 0; i < pb.outerSize(); ++i)
      for (SpMat::InnerIterator it(pb, i); it; ++it) it.valueRef() = 1.0;
    sum.symmetric_pattern = (pa - pb).norm() == 0.0;
  }
  w.row_sums = Eigen::VectorXd::Ones(static_cast<int>(n));
  w.symmetric_similar = sum.symmetric_values;
  if (spec.row_standardise) {
    for (int i = 0; i < w.W.outerSize(); ++i) {
      double s = 0;
      for (SpMat::InnerIterator it(w.W, i); it; ++it) s += it.value();
      w.row_sums[i] = s;
      for (SpMat::InnerIterator it(w.W, i); it; ++it) it.valueRef() /= s;
    }
    w.row_standardised = true;
  }
  // Summary.
  sum.n = n;
  sum.links = static_cast<std::size_t>(w.W.nonZeros());
  sum.min_degree = n ? std::numeric_limits<int>::max() : 0;
  for (int i = 0; i < w.W.outerSize(); ++i) {
    const int d = static_cast<int>(w.W.outerIndexPtr()[i + 1] - w.W.outerIndexPtr()[i]);
    sum.min_degree = std::min(sum.min_degree, d);
    sum.max_degree = std::max(sum.max_degree, d);
    if (sum.degree_counts.size() <= static_cast<std::size_t>(d)) sum.degree_counts.resize(d + 1, 0);
    ++sum.degree_counts[d];
  }
  sum.mean_degree = n ? static_cast<double>(sum.links) / static_cast<double>(n) : 0.0;
  sum.percent_nonzero = n ? 100.0 * static_cast<double>(sum.links) / (double(n) * double(n)) : 0.0;
  // Connected components of the undirected pattern (union-find).
  std::vector<std::size_t> parent(n);
  std::iota(parent.begin(), parent.end(), std::size_t{0});
  auto find = [&](std::size_t a) {
    while (parent[a] != a) a = parent[a] = parent[parent[a]];
    return a;
  };
  for (int i = 0; i < w.W.outerSize(); ++i)
    for (SpMat::InnerIterator it(w.W, i); it; ++it) {
      const std::size_t a = find(static_cast<std::size_t>(i)),
                        b = find(static_cast<std::size_t>(it.col()));
      if (a != b) parent[a] = b;
    }
  for (std::size_t i = 0; i < n; ++i) sum.components += find(i) == i;
  w.summary = std::move(sum);
  return w;
}

namespace {

/// Throws revest::Error "weights 'LABEL': ..." unless every unit has finite centroid
/// coordinates (distance-based weights and islands=nearest need them).
void require_centroids(const Units& u, const std::string& label) {
  const std::size_t n = u.size();
  REVEST_REQUIRE(u.lon.size() == n && u.lat.size() == n,
                 "weights '" << label << "': need the centroids of the " << n << " units");
  for (std::size_t i = 0; i < n; ++i)
    REVEST_REQUIRE(std::isfinite(u.lon[i]) && std::isfinite(u.lat[i]),
                   "weights '" << label << "': " << u.names[i]
                               << " has no coordinates (a unit list without lon and lat "
                                  "columns): distance-based weights and islands=nearest need "
                                  "them");
}

/// The median of the links' weights (1 without links): what the islands fallback link of a
/// matrix read from a file or of rook_length weighs.
double median_link_weight(const std::vector<Triplet>& raw) {
  if (raw.empty()) return 1.0;
  std::vector<double> ws;
  ws.reserve(raw.size());
  for (const auto& t : raw) ws.push_back(t.w);
  std::nth_element(ws.begin(), ws.begin() + static_cast<std::ptrdiff_t>(ws.size() / 2), ws.end());
  return ws[ws.size() / 2];
}

/// Each unit's nearest other unit by great-circle distance, ties by index (the centroids are
/// checked first: require_centroids).
std::vector<std::size_t> nearest_units(const Units& u) {
  const SphereIndex index(u.lon, u.lat);
  std::vector<std::size_t> out(u.size(), 0);
  std::vector<SphereIndex::Hit> hits;
  for (std::size_t i = 0; i < u.size(); ++i) {
    index.nearest(i, 1, hits);
    if (!hits.empty()) out[i] = hits[0].first;
  }
  return out;
}

std::vector<Triplet> from_edges(const std::vector<Link>& edges, bool use_weight) {
  std::vector<Triplet> t;
  t.reserve(2 * edges.size());
  for (const auto& e : edges) {
    const double w = use_weight ? e.weight : 1.0;
    t.push_back({e.i, e.j, w});
    t.push_back({e.j, e.i, w});
  }
  return t;
}

/// Unit i's k nearest units (ties by index), weight 1.
std::vector<Triplet> knn_triplets(const SphereIndex& index, int k) {
  std::vector<Triplet> t;
  std::vector<SphereIndex::Hit> hits;
  for (std::size_t i = 0; i < index.size(); ++i) {
    index.nearest(i, static_cast<std::size_t>(k), hits);
    for (const auto& h : hits) t.push_back({static_cast<std::uint32_t>(i), h.first, 1.0});
  }
  return t;
}

/// Dense distance-based weights (inverse_distance without cutoff) have n (n - 1) links: refused
/// above this many units, with a message that names the remedy.
constexpr std::size_t kMaxDenseUnits = 20000;

}  // namespace

Weights build_weights(const WeightsSpec& spec, const Units& units,
                      std::span<const double> unit_means, const std::string& file_text) {
  spec.validate();
  const std::string label = spec.label();
  const std::size_t n = units.size();
  const std::vector<std::string>& names = units.names;
  using T = WeightsType;
  if (spec.from_file()) {
    const WeightsFormat format = spec.type == T::kGal     ? WeightsFormat::kGal
                                 : spec.type == T::kGwt   ? WeightsFormat::kGwt
                                 : spec.type == T::kEdges ? WeightsFormat::kEdges
                                                          : WeightsFormat::kMatrixMarket;
    std::vector<std::string> positions;  // a Matrix Market file has no ids: only their number
    if (format == WeightsFormat::kMatrixMarket)
      for (std::size_t i = 0; i < n; ++i) positions.push_back(std::to_string(i + 1));
    const std::vector<std::string>& ids =
        format == WeightsFormat::kMatrixMarket ? positions : units.ids;
    REVEST_REQUIRE(ids.size() == n, "weights '" << label << "': need the ids of the " << n
                                                << " units to match the file's");
    WeightsFileOptions fo;
    fo.weight_column = spec.weight_column;
    fo.from_column = spec.from_column;
    fo.to_column = spec.to_column;
    if (format != WeightsFormat::kMatrixMarket) fo.aliases = units.aliases;
    std::vector<Triplet> raw = read_weights_text(file_text, format, ids, spec.file, fo);
    // The islands fallback link weighs the median of the file's weights (gal: 1).
    const double median_weight = median_link_weight(raw);
    if (spec.islands_nearest) require_centroids(units, label);
    std::function<double(std::size_t, std::size_t)> unit_weight =
        [median_weight](std::size_t, std::size_t) { return median_weight; };
    return make_weights(n, std::move(raw), spec, names,
                        spec.islands_nearest ? nearest_units(units) : std::vector<std::size_t>{},
                        unit_weight);
  }
  const T geo_type = spec.type == T::kEconomic ? spec.base : spec.type;
  const bool need_d = geo_type != T::kQueen && geo_type != T::kRook && geo_type != T::kRookLength &&
                      geo_type != T::kBlock;
  REVEST_REQUIRE(
      geo_type != T::kQueen || units.has_queen,
      "weights '" << label
                  << "': the geography has no queen contiguity (a unit list, or a folder "
                     "without queen.csv): give the neighbours as a weights file (gal, "
                     "gwt, edges, matrix) or use distance-based weights");
  REVEST_REQUIRE((geo_type != T::kRook && geo_type != T::kRookLength) || units.has_rook,
                 "weights '" << label
                             << "': the geography has no rook contiguity (a unit list, or a folder "
                                "without rook.csv): give the neighbours as a weights file (gal, "
                                "gwt, edges, matrix) or use distance-based weights");
  // Distances are computed as needed, between the pairs a spatial index finds (sphere_index.hpp):
  // never an n x n matrix, and exactly the links of a loop over all pairs.
  std::optional<SphereIndex> index;
  if (need_d || spec.islands_nearest) {
    require_centroids(units, label);
    index.emplace(units.lon, units.lat);
  }
  auto dist = [&](std::size_t i, std::size_t j) {
    return great_circle_km(units.lon[i], units.lat[i], units.lon[j], units.lat[j]);
  };
  auto geographic = [&](T type) -> std::vector<Triplet> {
    std::vector<Triplet> t;
    if (type == T::kQueen) return from_edges(units.queen, false);
    if (type == T::kRook) return from_edges(units.rook, false);
    if (type == T::kRookLength) return from_edges(units.rook, true);
    if (type == T::kKnn) return knn_triplets(*index, spec.k);
    // The radius within which a pair can have a positive weight (infinite: every pair).
    const double radius = type == T::kDistanceBand ? spec.distance_km
                          : type == T::kKernel     ? spec.bandwidth_km
                          : spec.cutoff_km > 0     ? spec.cutoff_km
                                                   : std::numeric_limits<double>::infinity();
    REVEST_REQUIRE(std::isfinite(radius) || n <= kMaxDenseUnits,
                   "weights '" << label << "': inverse distance without a cutoff links every pair "
                               << "of the " << n << " units (" << n << " x " << n - 1
                               << " weights); give cutoff=KM (at most " << kMaxDenseUnits
                               << " units without one)");
    std::vector<SphereIndex::Hit> hits;
    for (std::size_t i = 0; i < n; ++i) {
      hits.clear();
      if (std::isfinite(radius)) {
        index->within(i, radius, hits);
      } else {
        for (std::size_t j = 0; j < n; ++j)
          if (j != i) hits.emplace_back(static_cast<std::uint32_t>(j), dist(i, j));
      }
      for (const auto& [jj, dij] : hits) {
        const std::size_t j = jj;
        double w = 0;
        if (type == T::kDistanceBand) {
          w = dij <= spec.distance_km ? 1.0 : 0.0;
        } else if (type == T::kInverseDistance) {
          REVEST_REQUIRE(dij > 0, "weights '" << label << "': " << names[i] << " and " << names[j]
                                              << " have the same centroid");
          if (spec.cutoff_km == 0 || dij <= spec.cutoff_km) w = std::pow(dij, -spec.power);
        } else if (type == T::kKernel) {
          const double z = dij / spec.bandwidth_km;
          if (dij <= spec.bandwidth_km)
            w = spec.kernel == Kernel::kGaussian ? std::exp(-0.5 * z * z) : std::exp(-z);
        }
        if (w > 0) t.push_back({static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j), w});
      }
    }
    return t;
  };
  std::vector<Triplet> raw;
  double econ_sd = 0;  // economic weights: sd of the unit means
  auto similarity = [&](std::size_t i, std::size_t j) {
    return std::exp(-std::abs(unit_means[i] - unit_means[j]) / econ_sd);
  };
  if (spec.type == T::kBlock) {
    const std::vector<std::string>& group =
        spec.level == BlockLevel::kPrefecture ? units.prefecture : units.province;
    REVEST_REQUIRE(group.size() == n, "weights '" << label << "': need the "
                                                  << to_string(spec.level) << " of the " << n
                                                  << " units");
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) {
        if (i == j) continue;
        if (group[i] == group[j])
          raw.push_back({static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j), 1.0});
      }
  } else if (spec.type == T::kEconomic) {
    REVEST_REQUIRE(unit_means.size() == n,
                   "weights '" << label << "': needs the unit means of '" << spec.variable << "'");
    double mean = 0, m2 = 0;
    for (std::size_t i = 0; i < n; ++i) {
      REVEST_REQUIRE(std::isfinite(unit_means[i]),
                     "weights '" << label << "': " << names[i] << " has no finite value of '"
                                 << spec.variable << "' in the job's years");
      mean += unit_means[i];
    }
    mean /= static_cast<double>(n);
    for (std::size_t i = 0; i < n; ++i) m2 += (unit_means[i] - mean) * (unit_means[i] - mean);
    econ_sd = std::sqrt(m2 / static_cast<double>(n - 1));
    REVEST_REQUIRE(econ_sd > 0,
                   "weights '" << label << "': '" << spec.variable << "' is constant across units");
    raw = geographic(spec.base);
    for (auto& t : raw) t.w *= similarity(t.i, t.j);
  } else {
    raw = geographic(spec.type);
  }
  // The islands fallback link weighs what the spec's function gives at that distance, without
  // its cutoff or bandwidth truncation (contiguity, band, kNN and block weights: 1; border
  // length: the median shared border of the matrix).
  const double median_weight = spec.type == T::kRookLength ? median_link_weight(raw) : 1.0;
  auto geo_weight = [&](T type, std::size_t i, std::size_t j) {
    if (type == T::kInverseDistance) return std::pow(dist(i, j), -spec.power);
    if (type == T::kKernel) {
      const double z = dist(i, j) / spec.bandwidth_km;
      return spec.kernel == Kernel::kGaussian ? std::exp(-0.5 * z * z) : std::exp(-z);
    }
    return type == T::kRookLength ? median_weight : 1.0;
  };
  std::function<double(std::size_t, std::size_t)> link = [&](std::size_t i, std::size_t j) {
    if (spec.type != T::kEconomic) return geo_weight(spec.type, i, j);
    return geo_weight(spec.base, i, j) * similarity(i, j);
  };
  return make_weights(n, std::move(raw), spec, names,
                      spec.islands_nearest ? nearest_units(units) : std::vector<std::size_t>{},
                      link);
}

namespace {

/// Exact k nearest neighbours (Euclidean; ties by index) of the points with index in
/// [begin, end), by a bucket grid with about 2k points per cell.
std::vector<Triplet> knn_plane_triplets(std::span<const double> x, std::span<const double> y, int k,
                                        std::size_t begin, std::size_t end) {
  const std::size_t n = x.size();
  REVEST_REQUIRE(y.size() == n && n > static_cast<std::size_t>(k) && k >= 1,
                 "knn_plane: need more than k points");
  const double xmin = *std::min_element(x.begin(), x.end()),
               xmax = *std::max_element(x.begin(), x.end());
  const double ymin = *std::min_element(y.begin(), y.end()),
               ymax = *std::max_element(y.begin(), y.end());
  const double area = std::max(1e-300, (xmax - xmin) * (ymax - ymin));
  const double cell = std::sqrt(area * 2.0 * k / static_cast<double>(n));
  const int gx = std::max(1, static_cast<int>((xmax - xmin) / cell) + 1);
  const int gy = std::max(1, static_cast<int>((ymax - ymin) / cell) + 1);
  std::vector<std::vector<std::uint32_t>> grid(static_cast<std::size_t>(gx) *
                                               static_cast<std::size_t>(gy));
  auto cx = [&](double v) { return std::min(gx - 1, static_cast<int>((v - xmin) / cell)); };
  auto cy = [&](double v) { return std::min(gy - 1, static_cast<int>((v - ymin) / cell)); };
  for (std::size_t i = 0; i < n; ++i)
    grid[static_cast<std::size_t>(cy(y[i])) * static_cast<std::size_t>(gx) +
         static_cast<std::size_t>(cx(x[i]))]
        .push_back(static_cast<std::uint32_t>(i));
  std::vector<Triplet> t;
  t.reserve((end - begin) * static_cast<std::size_t>(k));
  std::vector<std::pair<double, std::uint32_t>> cand;
  for (std::size_t i = begin; i < end; ++i) {
    const int ix = cx(x[i]), iy = cy(y[i]);
    for (int r = 1;; ++r) {
      cand.clear();
      for (int a = std::max(0, iy - r); a <= std::min(gy - 1, iy + r); ++a)
        for (int b = std::max(0, ix - r); b <= std::min(gx - 1, ix + r); ++b)
          for (std::uint32_t j : grid[static_cast<std::size_t>(a) * static_cast<std::size_t>(gx) +
                                      static_cast<std::size_t>(b)]) {
            if (j == i) continue;
            const double dx = x[j] - x[i], dy = y[j] - y[i];
            cand.emplace_back(dx * dx + dy * dy, j);
          }
      if (cand.size() < static_cast<std::size_t>(k)) {
        if (r > gx + gy) break;
        continue;
      }
      std::partial_sort(cand.begin(), cand.begin() + k, cand.end());
      // The k-th distance must lie within the searched square (radius r cells) to be exact.
      if (std::sqrt(cand[static_cast<std::size_t>(k) - 1].first) <= r * cell || r > gx + gy) break;
    }
    for (int m = 0; m < k; ++m)
      t.push_back({static_cast<std::uint32_t>(i), cand[static_cast<std::size_t>(m)].second, 1.0});
  }
  return t;
}

}  // namespace

Weights knn_plane(std::span<const double> x, std::span<const double> y, int k,
                  bool row_standardise) {
  WeightsSpec spec;
  spec.text = "knn k=" + std::to_string(k);
  spec.type = WeightsType::kKnn;
  spec.k = k;
  spec.row_standardise = row_standardise;
  return make_weights(x.size(), knn_plane_triplets(x, y, k, 0, x.size()), spec, {});
}

SpMat knn_plane_rows(std::span<const double> x, std::span<const double> y, int k, std::size_t begin,
                     std::size_t end) {
  const auto t = knn_plane_triplets(x, y, k, begin, end);
  std::vector<Eigen::Triplet<double>> trips;
  trips.reserve(t.size());
  for (const auto& e : t)
    trips.emplace_back(static_cast<int>(e.i - begin), static_cast<int>(e.j), 1.0 / k);
  SpMat w(static_cast<int>(end - begin), static_cast<int>(x.size()));
  w.setFromTriplets(trips.begin(), trips.end());
  w.makeCompressed();
  return w;
}

std::pair<double, double> rho_interval(const Weights& w) {
  double r = 0;
  for (int i = 0; i < w.W.outerSize(); ++i) {
    double s = 0;
    for (SpMat::InnerIterator it(w.W, i); it; ++it) s += std::abs(it.value());
    r = std::max(r, s);
  }
  REVEST_REQUIRE(r > 0, "weights '" << w.label << "' are all zero");
  return {-1.0 / r, 1.0 / r};
}

}  // namespace revest::spatial
