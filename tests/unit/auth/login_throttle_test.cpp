#include "auth/login_throttle.h"

#include <gtest/gtest.h>

#include "support/fake_clock.h"

namespace cloakroom {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// After `limit` failures the key waits; the wait is what refills one attempt.
TEST(LoginThrottle, BlocksAfterLimit) {
  testing::FakeClock clock;
  LoginThrottle t(5, minutes(15), 1000);
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(t.blocked("alice", clock.now()));
    t.record_failure("alice", clock.now());
  }
  auto wait = t.blocked("alice", clock.now());
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 180);  // 15 min / 5 attempts
  EXPECT_FALSE(t.blocked("bob", clock.now()));
}

// Attempts come back as time passes.
TEST(LoginThrottle, RefillsOverTime) {
  testing::FakeClock clock;
  LoginThrottle t(2, minutes(2), 1000);
  t.record_failure("k", clock.now());
  t.record_failure("k", clock.now());
  EXPECT_TRUE(t.blocked("k", clock.now()));
  clock.advance(seconds(59));
  EXPECT_TRUE(t.blocked("k", clock.now()));
  clock.advance(seconds(1));
  EXPECT_FALSE(t.blocked("k", clock.now()));
}

// A successful login clears the account's failures.
TEST(LoginThrottle, ResetClears) {
  testing::FakeClock clock;
  LoginThrottle t(1, minutes(1), 1000);
  t.record_failure("k", clock.now());
  EXPECT_TRUE(t.blocked("k", clock.now()));
  t.reset("k");
  EXPECT_FALSE(t.blocked("k", clock.now()));
}

// Memory is bounded: refilled keys are pruned, and a table full of active
// keys refuses newcomers rather than forgetting the throttled ones.
TEST(LoginThrottle, BoundedMemory) {
  testing::FakeClock clock;
  LoginThrottle t(3, minutes(1), 100);
  for (int i = 0; i < 100; ++i) t.record_failure("k" + std::to_string(i), clock.now());
  EXPECT_EQ(t.tracked(), 100u);
  EXPECT_TRUE(t.blocked("newcomer", clock.now()));  // full of active keys: fail closed
  clock.advance(minutes(2));                         // everything refills
  EXPECT_FALSE(t.blocked("newcomer", clock.now()));
  EXPECT_EQ(t.tracked(), 0u);
}

}  // namespace
}  // namespace cloakroom
