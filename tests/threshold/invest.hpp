// Hansen's investment panel (tests/threshold/data/invest.csv, README there) in his
// specification, shared by tests/threshold/panel_threshold_test.cpp and bench/threshold_bench.cpp:
// investment_t on cash flow_{t-1} (regime-dependent), q_{t-1}, q^2, q^3, debt_{t-1}, q x debt
// (controls), threshold variable debt_{t-1}; 565 firms x 14 years.
#pragma once

#include <array>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "threshold/panel_threshold.hpp"

namespace revest::test {

inline threshold::ThresholdData hansen_invest(const std::string& path) {
  std::ifstream in(path);
  REVEST_REQUIRE(in.good(), "cannot read " << path);
  std::string line;
  std::getline(in, line);
  std::vector<std::array<double, 4>> rows;
  while (std::getline(in, line)) {
    std::array<double, 4> v{};
    std::stringstream ss(line);
    for (double& x : v) {
      std::string cell;
      std::getline(ss, cell, ',');
      x = std::stod(cell);
    }
    rows.push_back(v);
  }
  REVEST_REQUIRE(rows.size() == 8475u, path << ": " << rows.size() << " rows, not 8,475");
  const std::size_t N = 565, T = 15;
  const auto n = static_cast<Eigen::Index>(N * (T - 1));
  threshold::ThresholdData d;
  d.y.resize(n);
  d.x.resize(n, 1);
  d.z.resize(n, 5);
  d.q.resize(n);
  Eigen::Index r = 0;
  for (std::size_t i = 0; i < N; ++i)
    for (std::size_t t = 1; t < T; ++t, ++r) {
      const auto& now = rows[i * T + t];
      const auto& lag = rows[i * T + t - 1];
      const double q = lag[1], debt = lag[3];
      d.y[r] = now[0];
      d.x(r, 0) = lag[2];
      d.z.row(r) << q, q * q, q * q * q, debt, q * debt;
      d.q[r] = debt;
      d.unit.push_back(static_cast<int>(i));
    }
  d.x_names = {"cash_flow"};
  d.z_names = {"q", "q^2", "q^3", "debt", "q x debt"};
  return d;
}

}  // namespace revest::test
