#pragma once
// Shared by the realopt tests: the Longstaff-Schwartz (2001) Table 1 cases and a GBM process.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "realopt/process.hpp"

namespace revest::realopt::test {

struct PutCase {
  double S, sigma, T, bermudan50_fd, european_bs, published_lsm;
};

// The 20 American puts of tests/realopt/data/longstaff_schwartz_2001_table1.csv (K = 40,
// r = 0.06): S, sigma, T, the finite-difference Bermudan value on 50 dates per year (grid-
// converged to 2e-5), Black-Scholes, and LS's published LSM value.
inline std::vector<PutCase> table1() {
  std::ifstream in(std::string(REVEST_SOURCE_DIR) +
                   "/tests/realopt/data/longstaff_schwartz_2001_table1.csv");
  EXPECT_TRUE(in.good());
  std::vector<PutCase> out;
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (header) {
      header = false;  // S,sigma,T,bermudan50_fd,american_fd,european_bs,published_fd,...
      continue;
    }
    std::stringstream ss(line);
    std::vector<double> v;
    std::string cell;
    while (std::getline(ss, cell, ',')) v.push_back(std::stod(cell));
    out.push_back({v[0], v[1], v[2], v[3], v[5], v[8]});
  }
  return out;
}

inline Process gbm(double v0, double r, double delta, double sigma) {
  Process p;
  p.v0 = v0;
  p.r = r;
  p.delta = delta;
  p.sigma = sigma;
  return p;
}

}  // namespace revest::realopt::test
