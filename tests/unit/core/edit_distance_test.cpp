#include "core/edit_distance.h"

#include <gtest/gtest.h>

namespace cloakroom {
namespace {

// Each kind of slip costs one, a swap of neighbours included.
TEST(EditDistance, CountsEachSlipOnce) {
  EXPECT_EQ(edit_distance("list", "list"), 0u);
  EXPECT_EQ(edit_distance("lsit", "list"), 1u);                    // swap
  EXPECT_EQ(edit_distance("poll_intervl", "poll_interval"), 1u);   // deletion
  EXPECT_EQ(edit_distance("second_facter", "second_factor"), 1u);  // substitution
  EXPECT_EQ(edit_distance("", "roles"), 5u);
  EXPECT_EQ(edit_distance("prefix", "roles"), 5u);
}

}  // namespace
}  // namespace cloakroom
