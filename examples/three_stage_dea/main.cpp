// Three-stage DEA (Fried et al. 2002) with the Simar-Wilson bootstrap, called from a program of
// one's own: read a CSV of units (two inputs, one output, two environment variables), estimate,
// bootstrap, print. Usage: three_stage_dea units.csv [replications]
#include <revest/dea/three_stage.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {
// The CSV of this example: unit,labour,capital,output,infrastructure,placebo[,...].
struct Units {
  std::vector<std::string> name;
  Eigen::MatrixXd x, y, z;
};
Units read_units(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::string line;
  std::getline(in, line);  // header
  std::vector<std::vector<double>> rows;
  Units u;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string cell;
    std::getline(ss, cell, ',');
    u.name.push_back(cell);
    std::vector<double> r;
    while (std::getline(ss, cell, ',')) r.push_back(std::stod(cell));
    rows.push_back(r);
  }
  const auto n = static_cast<Eigen::Index>(rows.size());
  u.x.resize(n, 2);
  u.y.resize(n, 1);
  u.z.resize(n, 2);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto& r = rows[static_cast<std::size_t>(i)];
    u.x.row(i) << r.at(0), r.at(1);
    u.y(i, 0) = r.at(2);
    u.z.row(i) << r.at(3), r.at(4);
  }
  return u;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s units.csv [replications]\n", argv[0]);
    return 2;
  }
  const std::size_t B = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 200;
  try {
    const Units u = read_units(argv[1]);
    namespace dea = revest::dea;
    dea::ThreeStageOptions opts;                 // VRS, half-normal SFA, Silverman bandwidth
    opts.slack_scale = dea::SlackScale::kRatio;  // units of very different sizes
    dea::ThreeStageNames names;
    names.inputs = {"labour", "capital"};
    names.environment = {"infrastructure", "placebo"};
    names.units = u.name;
    const dea::ThreeStageResult r = dea::three_stage(u.x, u.y, u.z, opts, names);
    std::printf("%s\n\n", r.brief_report().c_str());
    // The bootstrap: replication b draws from key.stream(b), whatever else the program does.
    const dea::ThreeStageBootstrap boot =
        dea::three_stage_bootstrap(r, revest::RngKey(2024, "example"), B);
    std::printf("status: %s\n", boot.status.to_string().c_str());
    std::printf("%-6s %9s %9s %9s %9s\n", "unit", "stage1", "stage3", "lower", "upper");
    for (std::size_t i = 0; i < 8; ++i)
      std::printf("%-6s %9.4f %9.4f %9.4f %9.4f\n", u.name[i].c_str(), r.stage1.farrell[i],
                  r.stage3.farrell[i], boot.stage3.lower[i], boot.stage3.upper[i]);
    // The plain SW98 bootstrap of one DEA, for comparison.
    const dea::SwBootstrapResult sw =
        dea::simar_wilson_bootstrap(u.x, u.y, dea::SwOptions{}, revest::RngKey(2024, "sw"), B);
    std::printf("\n%s\n", sw.brief_report().c_str());
    return r.status.usable() && boot.status.ok() && sw.status.ok() ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
