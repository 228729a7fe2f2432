#include "auth/login_throttle.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "support/fake_clock.h"

namespace cloakroom {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// `limit` attempts are taken; then the key waits what refills one attempt.
TEST(LoginThrottle, TakesUpToTheLimitThenWaits) {
  testing::FakeClock clock;
  LoginThrottle t(5, minutes(15), 1000);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(t.try_acquire("alice", clock.now())) << i;
  auto wait = t.try_acquire("alice", clock.now());
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 180);  // 15 min / 5 attempts
  EXPECT_FALSE(t.try_acquire("bob", clock.now()));
}

// A refused attempt takes nothing: waiting the announced time is enough.
TEST(LoginThrottle, RefillsOverTime) {
  testing::FakeClock clock;
  LoginThrottle t(2, minutes(2), 1000);
  EXPECT_FALSE(t.try_acquire("k", clock.now()));
  EXPECT_FALSE(t.try_acquire("k", clock.now()));
  EXPECT_EQ(t.try_acquire("k", clock.now()), 60);
  clock.advance(seconds(59));
  EXPECT_EQ(t.try_acquire("k", clock.now()), 1);
  clock.advance(seconds(1));
  EXPECT_FALSE(t.try_acquire("k", clock.now()));
  EXPECT_TRUE(t.try_acquire("k", clock.now()));
}

// A refund gives one attempt back, never more than the limit.
TEST(LoginThrottle, RefundGivesBackOneAttempt) {
  testing::FakeClock clock;
  LoginThrottle t(2, minutes(1), 1000);
  EXPECT_FALSE(t.try_acquire("k", clock.now()));
  EXPECT_FALSE(t.try_acquire("k", clock.now()));
  t.refund("k", clock.now());
  EXPECT_FALSE(t.try_acquire("k", clock.now()));
  EXPECT_TRUE(t.try_acquire("k", clock.now()));
  for (int i = 0; i < 5; ++i) t.refund("k", clock.now());
  EXPECT_FALSE(t.try_acquire("k", clock.now()));
  EXPECT_FALSE(t.try_acquire("k", clock.now()));
  EXPECT_TRUE(t.try_acquire("k", clock.now()));
  t.refund("never-seen", clock.now());  // nothing to give back, nothing created
  EXPECT_EQ(t.tracked(), 1u);
}

TEST(LoginThrottle, ResetClears) {
  testing::FakeClock clock;
  LoginThrottle t(1, minutes(1), 1000);
  EXPECT_FALSE(t.try_acquire("k", clock.now()));
  EXPECT_TRUE(t.try_acquire("k", clock.now()));
  t.reset("k");
  EXPECT_FALSE(t.try_acquire("k", clock.now()));
}

// The review's finding: a check before the hash and a charge after it let a
// parallel burst through. Taking is one step, so however many threads ask at
// once, exactly `limit` attempts are granted.
TEST(LoginThrottle, ConcurrentAttemptsNeverExceedTheLimit) {
  testing::FakeClock clock;
  LoginThrottle t(5, minutes(15), 1000);
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      for (int j = 0; j < 200; ++j)
        if (!t.try_acquire("victim", clock.now())) granted.fetch_add(1);
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(granted.load(), 5);
}

// Memory is bounded: refilled keys are pruned, and a table full of active
// keys refuses newcomers rather than forgetting the throttled ones.
TEST(LoginThrottle, BoundedMemory) {
  testing::FakeClock clock;
  LoginThrottle t(3, minutes(1), 100);
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(t.try_acquire("k" + std::to_string(i), clock.now()));
  EXPECT_EQ(t.tracked(), 100u);
  EXPECT_EQ(t.try_acquire("newcomer", clock.now()), 1);  // full of active keys: fail closed
  clock.advance(minutes(2));                             // everything refills
  EXPECT_FALSE(t.try_acquire("newcomer", clock.now()));
  EXPECT_EQ(t.tracked(), 1u);
}

ThrottleConfig throttle_config(int per_ip, int per_account_ip, int per_account) {
  ThrottleConfig c;
  c.per_ip = per_ip;
  c.per_account_ip = per_account_ip;
  c.per_account = per_account;
  c.window = minutes(15);
  c.max_tracked = 1000;
  return c;
}

// Finding 2: failures from an attacker's address lock that address out of
// the account, not the owner at another address.
TEST(LoginThrottles, AnAttackerAddressDoesNotLockTheOwnerOut) {
  testing::FakeClock clock;
  LoginThrottles t(throttle_config(20, 5, 100));
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(t.try_acquire("198.51.100.7", "alice", clock.now())) << i;
  EXPECT_EQ(t.try_acquire("198.51.100.7", "alice", clock.now()), 180);
  EXPECT_FALSE(t.try_acquire("203.0.113.5", "alice", clock.now()));
  EXPECT_FALSE(t.try_acquire("198.51.100.7", "bob", clock.now()));  // the address may still try others
}

// Guessing one account from many addresses meets the per-account budget.
TEST(LoginThrottles, DistributedGuessingMeetsTheAccountBucket) {
  testing::FakeClock clock;
  LoginThrottles t(throttle_config(20, 5, 3));
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(t.try_acquire("10.0.0." + std::to_string(i), "alice", clock.now()));
  EXPECT_EQ(t.try_acquire("10.0.0.9", "alice", clock.now()), 300);
  EXPECT_FALSE(t.try_acquire("10.0.0.9", "bob", clock.now()));
}

// An attempt refused by one bucket takes nothing from the others, and its
// Retry-After is the longest wait among the buckets that refused.
TEST(LoginThrottles, ARefusedAttemptTakesNothing) {
  testing::FakeClock clock;
  LoginThrottles t(throttle_config(2, 1, 100));
  EXPECT_FALSE(t.try_acquire("10.0.0.1", "alice", clock.now()));
  EXPECT_EQ(t.try_acquire("10.0.0.1", "alice", clock.now()), 900);  // the pair: 15 min / 1
  EXPECT_FALSE(t.try_acquire("10.0.0.1", "bob", clock.now()));      // the address kept its second attempt
  // Both the address (450 s) and the pair (900 s) refuse now: the longer wait.
  EXPECT_EQ(t.try_acquire("10.0.0.1", "bob", clock.now()), 900);
  EXPECT_EQ(t.try_acquire("10.0.0.1", "carol", clock.now()), 450);
}

// No password checked (503, store error): every token comes back.
TEST(LoginThrottles, RefundGivesEveryTokenBack) {
  testing::FakeClock clock;
  LoginThrottles t(throttle_config(1, 1, 1));
  EXPECT_FALSE(t.try_acquire("10.0.0.1", "alice", clock.now()));
  t.refund("10.0.0.1", "alice", clock.now());
  EXPECT_FALSE(t.try_acquire("10.0.0.1", "alice", clock.now()));
}

// A right password clears the owner's own failures from that address and
// pays back its own tokens, but does not wipe what others spent on the
// account or the address.
TEST(LoginThrottles, SuccessClearsThePairOnly) {
  testing::FakeClock clock;
  LoginThrottles t(throttle_config(10, 2, 4));
  EXPECT_FALSE(t.try_acquire("10.0.0.9", "alice", clock.now()));  // someone elsewhere: account 3 left
  EXPECT_FALSE(t.try_acquire("10.0.0.1", "alice", clock.now()));  // the owner's typo: pair 1, account 2
  EXPECT_FALSE(t.try_acquire("10.0.0.1", "alice", clock.now()));  // the right password: pair 0, account 1
  t.succeeded("10.0.0.1", "alice", clock.now());                   // pair cleared, account 2
  EXPECT_FALSE(t.try_acquire("10.0.0.1", "alice", clock.now()));
  EXPECT_FALSE(t.try_acquire("10.0.0.1", "alice", clock.now()));
  // Spent: the attempt from elsewhere and the typo still count.
  EXPECT_EQ(t.try_acquire("10.0.0.2", "alice", clock.now()), 225);
}

}  // namespace
}  // namespace cloakroom
