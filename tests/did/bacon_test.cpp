// The Goodman-Bacon decomposition (src/did/bacon.hpp): weights that sum to 1 and reproduce the
// TWFE coefficient of did::fit_twfe, on mpdta and on a panel with always-treated units; a 2 x 2
// estimate by hand.
#include "did/bacon.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "did/mpdta.hpp"
#include "did/twfe.hpp"
#include "test_support.hpp"

namespace revest::did {
namespace {

double twfe_of(const StaggeredPanel& p) {
  return fit_twfe(twfe_design(p, false, {}, {})).coefficients[0].estimate;
}

TEST(Bacon, WeightsSumToOneAndReproduceTwfeOnMpdta) {
  const StaggeredPanel p = test::mpdta();
  const BaconResult b = bacon_decomposition(p);
  double w = 0;
  for (const auto& c : b.comparisons) {
    EXPECT_GE(c.weight, 0.0);
    w += c.weight;
  }
  EXPECT_NEAR(w, 1.0, 1e-12);
  EXPECT_NEAR(b.twfe, twfe_of(p), 1e-10);
  // Three cohorts and never-treated units: 3 treated-vs-never, 3 earlier-vs-later and 3
  // later-vs-earlier comparisons.
  EXPECT_EQ(b.comparisons.size(), 9u);
  EXPECT_GT(b.weight[static_cast<int>(BaconType::kLaterVsEarlier)], 0.0);
  EXPECT_NE(b.brief_report().find("into 9 comparisons"), std::string::npos);
}

TEST(Bacon, AlwaysTreatedUnitsAndATwoByTwoByHand) {
  // Periods 1..4; groups first treated in 3, in 1 (always treated), never treated.
  StaggeredPanel p;
  p.periods = {1, 2, 3, 4};
  p.first_treat = {3, 3, 1, 1, 0, 0, 0};
  p.y.resize(7, 4);
  p.y << 1, 2, 6, 7,  //
      2, 3, 8, 9,     //
      5, 6, 7, 9,     //
      4, 5, 7, 8,     //
      0, 1, 2, 3,     //
      1, 2, 3, 5,     //
      0, 0, 1, 1;
  const BaconResult b = bacon_decomposition(p);
  EXPECT_NEAR(b.twfe, twfe_of(p), 1e-10);
  double w = 0;
  for (const auto& c : b.comparisons) w += c.weight;
  EXPECT_NEAR(w, 1.0, 1e-12);
  // Group 3 against the never treated: post means (6 + 7 + 8 + 9) / 4 = 7.5, pre (1 + 2 + 2 + 3)
  // / 4 = 2; never treated: post (2 + 3 + 3 + 5 + 1 + 1) / 6 = 2.5, pre (0 + 1 + 1 + 2 + 0 + 0)
  // / 6 = 2 / 3: 5.5 - (2.5 - 2 / 3).
  bool found = false;
  for (const auto& c : b.comparisons)
    if (c.type == BaconType::kTreatedVsNever && c.treated == 3) {
      EXPECT_NEAR(c.estimate, 5.5 - (2.5 - 2.0 / 3.0), 1e-12);
      found = true;
    }
  EXPECT_TRUE(found);
  // The always treated serve only as controls of the later group (after they are treated).
  for (const auto& c : b.comparisons) EXPECT_NE(c.type, BaconType::kEarlierVsLater);
  StaggeredPanel bad = p;
  bad.y(2, 1) = std::nan("");
  EXPECT_NE(test::error_of([&] {
              bacon_decomposition(bad);
            }).find("needs a balanced panel: unit 2 has no outcome in period 2"),
            std::string::npos);
}

}  // namespace
}  // namespace revest::did
