#include "driver/archive_inputs.hpp"

#include <openssl/evp.h>
#include <petscversion.h>

#include <coin/ClpConfig.h>
#include <spdlog/version.h>
#include <toml++/toml.h>
#include <Eigen/Core>
#include <boost/version.hpp>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "driver/archive_layout.hpp"

namespace revest::driver {

using h5::Handle;

std::optional<std::string> read_file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string sha256_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REVEST_REQUIRE(in, path.string() << ": cannot open file");
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) EVP_DigestUpdate(ctx, buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  return h5::to_hex(md, len);
}

std::string sha256_bytes(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  return h5::to_hex(md, len);
}

std::string library_versions(const RunInfo& info) {
  std::ostringstream os;
  os << "hdf5 " << h5::library_version() << "; mpi " << info.mpi_version << "; petsc "
     << PETSC_VERSION_MAJOR << "." << PETSC_VERSION_MINOR << "." << PETSC_VERSION_SUBMINOR
     << "; eigen " << EIGEN_WORLD_VERSION << "." << EIGEN_MAJOR_VERSION << "."
     << EIGEN_MINOR_VERSION << "; boost " << BOOST_VERSION / 100000 << "."
     << BOOST_VERSION / 100 % 1000 << "." << BOOST_VERSION % 100 << "; clp " << CLP_VERSION
     << "; toml++ " << TOML_LIB_MAJOR << "." << TOML_LIB_MINOR << "." << TOML_LIB_PATCH
     << "; spdlog " << SPDLOG_VER_MAJOR << "." << SPDLOG_VER_MINOR << "." << SPDLOG_VER_PATCH
     << "; openssl " << OpenSSL_version(OPENSSL_VERSION);
  return os.str();
}

void write_inputs(hid_t file, const Inputs& in) {
  Handle data = h5::group(file, "/data");
  h5::attr(data, "description", std::string("the inputs exactly as the analyses used them"));
  const auto& geo = in.geo;
  Table counties{"counties", "county table (order = county index used everywhere)", {}};
  std::vector<std::int64_t> code, ref;
  std::vector<std::string> name, name_ref, prov, pref;
  std::vector<double> lon, lat, area;
  for (const auto& c : geo.counties) {
    code.push_back(c.adcode);
    ref.push_back(c.adcode_ref);
    name.push_back(c.name);
    name_ref.push_back(c.name_ref);
    prov.push_back(c.province_en);
    pref.push_back(c.prefecture);
    lon.push_back(c.lon);
    lat.push_back(c.lat);
    area.push_back(c.area_km2);
  }
  counties.columns = {
      {"adcode", code, "GB/T 2260 county code of the source geography"},
      {"adcode_ref", ref, "2022 official county code"},
      {"name", name, "county name in the source geography (Chinese, UTF-8)"},
      {"name_ref", name_ref, "2022 official county name (Chinese, UTF-8)"},
      {"province", prov, "province (English)"},
      {"prefecture", pref, "prefecture (Chinese, UTF-8)"},
      {"centroid_lon", lon, "longitude of the area-weighted centroid", "degree_east"},
      {"centroid_lat", lat, "latitude of the area-weighted centroid", "degree_north"},
      {"area_km2", area, "area", "km2"}};
  h5::write_table(data, counties);
  auto edges = [&](const std::vector<io::Edge>& es, const char* nm, const char* wdesc,
                   const char* wunits) {
    std::vector<std::int64_t> i, j;
    std::vector<double> w;
    for (const auto& e : es) {
      i.push_back(e.i);
      j.push_back(e.j);
      w.push_back(e.weight);
    }
    h5::write_table(data,
                    Table{nm,
                          std::string(nm) + " contiguity edges (county indices, i < j)",
                          {{"i", i, "county index of one end (row of /data/counties, from 0)"},
                           {"j", j, "county index of the other end (i < j)"},
                           {"weight", w, wdesc, wunits}}});
  };
  edges(geo.queen, "queen", "weight of the link (1: the counties share a border or a vertex)", "1");
  edges(geo.rook, "rook", "shared border length", "km");
  const auto& p = in.panel;
  Table panel{"panel", "county x year panel as used (rows county-major)", {}};
  std::vector<std::int64_t> pc, py;
  for (std::size_t i = 0; i < p.num_counties; ++i)
    for (int y : p.years) {
      pc.push_back(geo.counties[i].adcode_ref);
      py.push_back(y);
    }
  panel.columns.push_back({"adcode", pc, "2022 official county code"});
  panel.columns.push_back({"year", py, "year"});
  for (std::size_t v = 0; v < p.variables.size(); ++v) {
    const io::Indicator* ind = in.indicators.find(p.variables[v]);
    panel.columns.push_back(
        {p.variables[v], p.values[v],
         ind ? ind->label + " (" + ind->unit + ")" : "panel variable " + p.variables[v],
         ind ? ind->unit : std::string()});
  }
  h5::write_table(data, panel);
  Table ind{"indicators", "indicator system", {}};
  std::vector<std::string> n, l, u, g, dom, uses;
  std::vector<std::int64_t> dir;
  for (const auto& x : in.indicators.indicators) {
    n.push_back(x.name);
    l.push_back(x.label);
    u.push_back(x.unit);
    g.push_back(x.group);
    dom.push_back(io::to_string(x.domain));
    dir.push_back(x.direction);
    std::string us;
    for (const auto& s : x.uses) us += (us.empty() ? "" : ",") + s;
    uses.push_back(us);
  }
  ind.columns = {{"name", n, "variable name (column of /data/panel)"},
                 {"label", l, "human-readable name"},
                 {"unit", u, "unit of the values as stored"},
                 {"group", g,
                  "dea_input, dea_output, environment, digital_economy, policy, outcome, threshold "
                  "or control"},
                 {"direction", dir, "+1 benefit, -1 cost"},
                 {"domain", dom, "values the analyses accept: any, nonnegative or positive"},
                 {"uses", uses, "analyses that use the variable (comma-separated)"}};
  h5::write_table(data, ind);
  if (!in.projects.params.empty()) {
    Table pt{"projects",
             "real-option project parameters as used (rows county-major, modes primary, "
             "secondary, tertiary); columns as in projects.csv",
             {}};
    std::vector<std::int64_t> code;
    std::vector<std::string> mode;
    std::vector<double> c[12];
    for (std::size_t i = 0; i < in.projects.num_counties(); ++i)
      for (std::size_t m = 0; m < io::kModes.size(); ++m) {
        const io::ProjectParams& p = in.projects.at(i, m);
        code.push_back(geo.counties[i].adcode_ref);
        mode.push_back(io::kModes[m]);
        const double v[12] = {p.v0,
                              p.investment,
                              p.sigma,
                              p.mu,
                              p.required_return,
                              p.delta,
                              p.r,
                              p.horizon,
                              p.dig_index,
                              p.cost_semi_elasticity,
                              p.drift_semi_elasticity,
                              p.vol_semi_elasticity};
        for (int k = 0; k < 12; ++k) c[k].push_back(v[k]);
      }
    // data/README.md section 8.
    const char* names[12][3] = {{"v0", "project value today V0", "10k yuan"},
                                {"investment", "investment cost I", "10k yuan"},
                                {"sigma", "volatility of V", "1/sqrt(year)"},
                                {"mu", "real-world drift of V", "1/year"},
                                {"required_return", "risk-adjusted required return of V", "1/year"},
                                {"delta", "payout yield of V (required_return - mu)", "1/year"},
                                {"r", "risk-free rate", "1/year"},
                                {"horizon", "life of the investment opportunity", "year"},
                                {"dig_index", "the county's digital index d", "1"},
                                {"cost_semi_elasticity", "eta_I: d ln I / d d", "1"},
                                {"drift_semi_elasticity", "eta_mu: d mu / d d", "1/year"},
                                {"vol_semi_elasticity", "eta_sigma: d ln sigma / d d", "1"}};
    pt.columns = {{"adcode", code, "2022 official county code"},
                  {"mode", mode, "industry mode: primary, secondary or tertiary"}};
    for (int k = 0; k < 12; ++k)
      pt.columns.push_back({names[k][0], c[k], names[k][1], names[k][2]});
    h5::write_table(data, pt);
  }
}

void embed_input_files(hid_t meta, const std::vector<InputFile>& files) {
  std::vector<std::string> r, p, s;
  Handle fg = h5::group(meta, "files");
  h5::attr(
      fg, "description",
      std::string("every input file, byte for byte (revest rerun / verify / merge read them)"));
  for (const auto& x : files) {
    r.push_back(x.role);
    p.push_back(x.path);
    s.push_back(x.sha256);
    const std::string from = x.read_from.empty() ? x.path : x.read_from;
    const std::optional<std::string> read = read_file_bytes(from);
    REVEST_REQUIRE(read, from << ": cannot open input file to embed it in the archive");
    const std::string& bytes = *read;
    REVEST_REQUIRE(sha256_bytes(bytes) == x.sha256,
                   from << ": changed while the job was being read (SHA-256 differs); run again");
    h5::write_bytes(fg, x.role, bytes);
    Handle d(h5::check(H5Dopen2(fg, x.role.c_str(), H5P_DEFAULT), "open embedded " + x.role));
    h5::attr(d, "description", "input file '" + x.role + "', byte for byte (read from `path`)");
    h5::attr(d, "path", x.path);
    h5::attr(d, "sha256", x.sha256);
  }
  h5::write_table(
      meta,
      Table{
          "inputs",
          "input files and their SHA-256",
          {{"path", p, "the file as the job named it (resolved against the job file's directory)"},
           {"sha256", s, "SHA-256 of the file's bytes (lower-case hex)"},
           {"role", r, "job, defaults, indicators, counties, queen, rook, panel or projects"}}});
}

}  // namespace revest::driver
