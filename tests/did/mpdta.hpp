#pragma once
// The mpdta data (tests/did/data/mpdta.csv, README there) as a did::StaggeredPanel: 500 counties
// x 2003-2007, outcome lemp, first-treatment year first.treat. Shared by the DID tests.
#include <cmath>
#include <map>
#include <string>

#include "core/csv.hpp"
#include "did/callaway_santanna.hpp"

namespace revest::test {

// tests/did/data/mpdta.csv as a panel of 500 counties x 2003-2007 (outcome lemp).
/// With `lpop`: the covariate log population (time-invariant) in panel.covariates.
inline did::StaggeredPanel mpdta(bool lpop = false) {
  const CsvTable t = read_csv(std::string(REVEST_SOURCE_DIR) + "/tests/did/data/mpdta.csv");
  const std::size_t cy = t.column("year"), cu = t.column("countyreal"), cl = t.column("lemp"),
                    cg = t.column("first.treat");
  std::map<long long, std::size_t> unit;
  for (std::size_t r = 0; r < t.rows.size(); ++r) unit.emplace(t.integer(r, cu), 0);
  std::size_t k = 0;
  for (auto& [code, idx] : unit) idx = k++;
  did::StaggeredPanel p;
  p.periods = {2003, 2004, 2005, 2006, 2007};
  p.y = Eigen::MatrixXd::Constant(static_cast<Eigen::Index>(unit.size()), 5, std::nan(""));
  p.first_treat.assign(unit.size(), 0);
  if (lpop) p.covariates.push_back(p.y);
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const std::size_t i = unit[t.integer(r, cu)];
    p.y(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(t.integer(r, cy) - 2003)) =
        t.number(r, cl);
    p.first_treat[i] = static_cast<int>(t.integer(r, cg));
    if (lpop)
      p.covariates[0](static_cast<Eigen::Index>(i),
                      static_cast<Eigen::Index>(t.integer(r, cy) - 2003)) =
          t.number(r, t.column("lpop"));
  }
  return p;
}

}  // namespace revest::test
