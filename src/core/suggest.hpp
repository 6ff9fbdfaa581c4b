#pragma once
/// \file suggest.hpp
/// \brief "Did you mean ...?" for error messages about a misspelt name (a variable, an option).
///
/// \test tests/core/suggest_test.cpp
#include <string>
#include <vector>

namespace revest {

/// Levenshtein distance (insertions, deletions, substitutions; each costs 1).
std::size_t edit_distance(const std::string& a, const std::string& b);

/// " (did you mean 'X'?)" where X is the candidate closest to `name` by edit_distance, if it is
/// within max(2, |name| / 3) edits (a typo, not another word) and unique among the closest;
/// otherwise "".
std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace revest
