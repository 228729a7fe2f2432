#include "store/memory/throttle_store.h"

#include <gtest/gtest.h>

namespace cloakroom::memory {
namespace {

constexpr long long kMinute = 60'000;

// Memory is bounded per rule: refilled keys are pruned, and a table full of
// active keys refuses newcomers (a 1 s wait) rather than forgetting the
// throttled ones. Another rule's table is not affected.
TEST(MemoryThrottleStore, BoundedMemoryFailsClosed) {
  ThrottleStore store(100);
  const ThrottleRule rule{"ip", 3, std::chrono::minutes(1)}, other{"account", 3, std::chrono::minutes(1)};
  const long long now = 1'800'000'000'000;
  for (int i = 0; i < 100; ++i) EXPECT_EQ(*store.take({{&rule, "k" + std::to_string(i)}}, now), std::nullopt);
  EXPECT_EQ(store.tracked("ip"), 100u);
  EXPECT_EQ(*store.take({{&rule, "newcomer"}}, now), 1);  // full of active keys: fail closed
  EXPECT_EQ(*store.take({{&other, "newcomer"}}, now), std::nullopt);
  // Refused together with a bucket that had room: that one kept its attempt.
  EXPECT_EQ(*store.take({{&other, "k"}, {&rule, "newcomer"}}, now), 1);
  EXPECT_EQ(store.tracked("account"), 1u);
  EXPECT_EQ(*store.take({{&rule, "newcomer"}}, now + 2 * kMinute), std::nullopt);  // everything refilled
  EXPECT_EQ(store.tracked("ip"), 1u);
}

}  // namespace
}  // namespace cloakroom::memory
