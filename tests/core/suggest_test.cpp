#include "core/suggest.hpp"

#include <gtest/gtest.h>

using namespace revest;

TEST(Suggest, EditDistanceByHand) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);  // the textbook example
  EXPECT_EQ(edit_distance("dig_indx", "dig_index"), 1u);
}

TEST(Suggest, NamesTheClosestCandidateOnlyForATypo) {
  const std::vector<std::string> vars{"dig_index", "dig_infra", "urbanisation", "road_density"};
  EXPECT_EQ(did_you_mean("dig_indx", vars), " (did you mean 'dig_index'?)");
  EXPECT_EQ(did_you_mean("urbanization", vars), " (did you mean 'urbanisation'?)");
  EXPECT_EQ(did_you_mean("population", vars), "");                      // another word, not a typo
  EXPECT_EQ(did_you_mean("dig_inde", {"dig_index", "dig_indel"}), "");  // two at 1 edit: no guess
  EXPECT_EQ(did_you_mean("x", {}), "");
}
