// Anselin's Columbus data (tests/spatial/data/columbus/) for the spatial tests.
#pragma once

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "io/csv.hpp"
#include "spatial/weights.hpp"

namespace revest::test {

struct Columbus {
  Eigen::VectorXd crime, inc, hoval;
  spatial::Weights anselin;  // Anselin's neighbour list, row-standardised
  spatial::Weights queen;
};

inline spatial::Weights columbus_weights(const std::string& file, std::size_t n) {
  const io::CsvTable t =
      io::read_csv(std::string(REVEST_SOURCE_DIR) + "/tests/spatial/data/columbus/" + file);
  std::vector<spatial::Triplet> raw;
  for (std::size_t r = 0; r < t.rows.size(); ++r)
    raw.push_back({static_cast<std::uint32_t>(t.integer(r, t.column("from"))),
                   static_cast<std::uint32_t>(t.integer(r, t.column("to"))), 1.0});
  spatial::WeightsSpec spec;
  spec.text = file;
  spec.type = spatial::WeightsType::kQueen;
  return spatial::make_weights(n, raw, spec, {});
}

inline Columbus load_columbus() {
  const io::CsvTable t =
      io::read_csv(std::string(REVEST_SOURCE_DIR) + "/tests/spatial/data/columbus/columbus.csv");
  const auto n = static_cast<Eigen::Index>(t.rows.size());
  Columbus c;
  c.crime.resize(n);
  c.inc.resize(n);
  c.hoval.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto r = static_cast<std::size_t>(i);
    c.crime[i] = t.number(r, t.column("CRIME"));
    c.inc[i] = t.number(r, t.column("INC"));
    c.hoval[i] = t.number(r, t.column("HOVAL"));
  }
  c.anselin = columbus_weights("columbus_anselin_edges.csv", static_cast<std::size_t>(n));
  c.queen = columbus_weights("columbus_queen_edges.csv", static_cast<std::size_t>(n));
  return c;
}

struct Documented {
  std::string model, quantity;
  double value;
  int decimals;
};

/// documented_estimates.csv (comment lines start with '#').
inline std::vector<Documented> documented_estimates() {
  std::ifstream in(std::string(REVEST_SOURCE_DIR) +
                   "/tests/spatial/data/columbus/documented_estimates.csv");
  std::vector<Documented> out;
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (header) {
      header = false;
      continue;
    }
    std::stringstream ss(line);
    Documented d;
    std::string v, dec;
    std::getline(ss, d.model, ',');
    std::getline(ss, d.quantity, ',');
    std::getline(ss, v, ',');
    std::getline(ss, dec, ',');
    d.value = std::stod(v);
    d.decimals = std::stoi(dec);
    out.push_back(d);
  }
  return out;
}

}  // namespace revest::test
