// A spatial Durbin model of Columbus crime (Anselin 1988) with LeSage-Pace impacts, from a
// program of one's own: read the data and a neighbour list, build W, fit, print.
// Usage: spatial_sdm DIR   (DIR holds columbus.csv and columbus_anselin_edges.csv; revest's
// tests/spatial/data/columbus has them)
#include <revest/spatial/models.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {
// A small CSV reader: the header's columns by name, numeric cells (quotes stripped).
std::vector<std::map<std::string, double>> read_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  auto split = [](const std::string& line) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string c;
    while (std::getline(ss, c, ',')) {
      if (c.size() >= 2 && c.front() == '"') c = c.substr(1, c.size() - 2);
      cells.push_back(c);
    }
    return cells;
  };
  std::string line;
  std::getline(in, line);
  const auto header = split(line);
  std::vector<std::map<std::string, double>> rows;
  while (std::getline(in, line)) {
    const auto cells = split(line);
    std::map<std::string, double> r;
    for (std::size_t k = 0; k < header.size() && k < cells.size(); ++k)
      r[header[k]] = std::stod(cells[k]);
    rows.push_back(r);
  }
  return rows;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR (with columbus.csv and columbus_anselin_edges.csv)\n",
                 argv[0]);
    return 2;
  }
  namespace spatial = revest::spatial;
  try {
    const std::string dir = argv[1];
    const auto data = read_csv(dir + "/columbus.csv");
    const auto n = static_cast<Eigen::Index>(data.size());
    Eigen::VectorXd y(n);
    Eigen::MatrixXd X(n, 3);  // constant, income, housing value
    for (Eigen::Index i = 0; i < n; ++i) {
      const auto& r = data[static_cast<std::size_t>(i)];
      y[i] = r.at("CRIME");
      X.row(i) << 1.0, r.at("INC"), r.at("HOVAL");
    }
    // W: Anselin's neighbour list, row-standardised (the spec's default).
    std::vector<spatial::Triplet> links;
    for (const auto& e : read_csv(dir + "/columbus_anselin_edges.csv"))
      links.push_back(
          {static_cast<std::uint32_t>(e.at("from")), static_cast<std::uint32_t>(e.at("to")), 1.0});
    const spatial::WeightsSpec spec = spatial::parse_weights_spec("queen", "example");
    const spatial::Weights W = spatial::make_weights(static_cast<std::size_t>(n), links, spec, {});

    spatial::ModelOptions opts;           // expected information, 1,000 impact draws at 95 %
    revest::Rng rng(2024, "example", 0);  // the impact draws' stream
    const spatial::FitResult f = spatial::fit(y, X, W, spatial::Model::sdm, opts, &rng);
    std::printf("%s\n\n", f.brief_report().c_str());
    if (!f.status.ok()) return 1;
    std::printf("%-8s %-9s %10s %10s %10s\n", "variable", "effect", "estimate", "lower", "upper");
    const char* effect[3] = {"direct", "indirect", "total"};
    for (std::size_t v = 0; v < f.impacts.names.size(); ++v) {
      const auto vi = static_cast<Eigen::Index>(v);
      const double est[3] = {f.impacts.direct[vi], f.impacts.indirect[vi], f.impacts.total[vi]};
      for (int e = 0; e < 3; ++e)
        std::printf("%-8s %-9s %10.4f %10.4f %10.4f\n", f.impacts.names[v].c_str(), effect[e],
                    est[e], f.impacts.lower(vi, e), f.impacts.upper(vi, e));
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
