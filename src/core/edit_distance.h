#pragma once
// How far a typo is from a real name, for "did you mean …" in CLI and
// configuration errors.
//
//   edit_distance("lsit", "list") == 1        // a swap of neighbours is one edit
//   edit_distance("poll_intervl", "poll_interval") == 1
#include <cstddef>
#include <string_view>

namespace cloakroom {

// Optimal string alignment distance: insertions, deletions, substitutions
// and swaps of neighbours each cost one. Quadratic: for names, not text.
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace cloakroom
