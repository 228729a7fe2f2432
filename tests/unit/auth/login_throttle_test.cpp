#include "auth/login_throttle.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "store/memory/throttle_store.h"
#include "store/redis/throttle_store.h"
#include "support/fake_clock.h"
#include "support/redis_server.h"

namespace cloakroom {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// The same tests over each place the buckets can live: in process, and in
// a real redis-server (where every node of a deployment draws from them).
struct MemoryBackend {
  memory::ThrottleStore store{1000};
};

struct RedisBackend {
  testing::RedisSpace space;
  // The fake clock moves these buckets; production runs them on Redis's TIME.
  redis::ThrottleStore store{space.client, space.keys, redis::BucketClock::caller};
};

template <class Backend>
class LoginThrottleTest : public ::testing::Test {
 protected:
  LoginThrottle throttle(int limit, std::chrono::milliseconds window) {
    return LoginThrottle(ThrottleRule{"k", limit, window}, backend.store);
  }
  LoginThrottles throttles(int per_ip, int per_account_ip, int per_account) {
    ThrottleConfig c;
    c.per_ip = per_ip;
    c.per_account_ip = per_account_ip;
    c.per_account = per_account;
    c.window = minutes(15);
    return LoginThrottles(c, backend.store);
  }

  Backend backend;
  testing::FakeClock clock;
};

using Backends = ::testing::Types<MemoryBackend, RedisBackend>;
TYPED_TEST_SUITE(LoginThrottleTest, Backends);

// What a take answered, once it is known to have reached the store:
// nullopt (taken) or the wait in seconds.
std::optional<long long> wait_of(const Result<std::optional<long long>>& r) {
  EXPECT_TRUE(r) << (r ? "" : r.error().text());
  return r ? *r : std::optional<long long>{-1};
}

void settled(const Result<void>& r) { EXPECT_TRUE(r) << (r ? "" : r.error().text()); }

// `limit` attempts are taken; then the key waits what refills one attempt.
TYPED_TEST(LoginThrottleTest, TakesUpToTheLimitThenWaits) {
  auto t = this->throttle(5, minutes(15));
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(wait_of(t.try_acquire("alice", this->clock.now()))) << i;
  EXPECT_EQ(wait_of(t.try_acquire("alice", this->clock.now())), 180);  // 15 min / 5 attempts
  EXPECT_FALSE(wait_of(t.try_acquire("bob", this->clock.now())));
}

// A refused attempt takes nothing: waiting the announced time is enough.
TYPED_TEST(LoginThrottleTest, RefillsOverTime) {
  auto t = this->throttle(2, minutes(2));
  EXPECT_FALSE(wait_of(t.try_acquire("k", this->clock.now())));
  EXPECT_FALSE(wait_of(t.try_acquire("k", this->clock.now())));
  EXPECT_EQ(wait_of(t.try_acquire("k", this->clock.now())), 60);
  this->clock.advance(seconds(59));
  EXPECT_EQ(wait_of(t.try_acquire("k", this->clock.now())), 1);
  this->clock.advance(seconds(1));
  EXPECT_FALSE(wait_of(t.try_acquire("k", this->clock.now())));
  EXPECT_EQ(wait_of(t.try_acquire("k", this->clock.now())), 60);
}

// A refund gives one attempt back, never more than the limit, and nothing
// to a key that was never charged.
TYPED_TEST(LoginThrottleTest, RefundGivesBackOneAttempt) {
  auto t = this->throttle(2, minutes(1));
  EXPECT_FALSE(wait_of(t.try_acquire("k", this->clock.now())));
  EXPECT_FALSE(wait_of(t.try_acquire("k", this->clock.now())));
  settled(t.refund("k", this->clock.now()));
  EXPECT_FALSE(wait_of(t.try_acquire("k", this->clock.now())));
  EXPECT_EQ(wait_of(t.try_acquire("k", this->clock.now())), 30);
  for (int i = 0; i < 5; ++i) settled(t.refund("k", this->clock.now()));
  EXPECT_FALSE(wait_of(t.try_acquire("k", this->clock.now())));
  EXPECT_FALSE(wait_of(t.try_acquire("k", this->clock.now())));
  EXPECT_EQ(wait_of(t.try_acquire("k", this->clock.now())), 30);
  settled(t.refund("never-seen", this->clock.now()));  // nothing to give back
  EXPECT_FALSE(wait_of(t.try_acquire("never-seen", this->clock.now())));
  EXPECT_FALSE(wait_of(t.try_acquire("never-seen", this->clock.now())));
  EXPECT_EQ(wait_of(t.try_acquire("never-seen", this->clock.now())), 30);
}

TYPED_TEST(LoginThrottleTest, ResetClears) {
  auto t = this->throttle(1, minutes(1));
  EXPECT_FALSE(wait_of(t.try_acquire("k", this->clock.now())));
  EXPECT_EQ(wait_of(t.try_acquire("k", this->clock.now())), 60);
  settled(t.reset("k", this->clock.now()));
  EXPECT_FALSE(wait_of(t.try_acquire("k", this->clock.now())));
}

// The review's finding: a check before the hash and a charge after it let a
// parallel burst through. Taking is one step, so however many threads ask at
// once, exactly `limit` attempts are granted.
TYPED_TEST(LoginThrottleTest, ConcurrentAttemptsNeverExceedTheLimit) {
  auto t = this->throttle(5, minutes(15));
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      for (int j = 0; j < 50; ++j)
        if (wait_of(t.try_acquire("victim", this->clock.now())) == std::nullopt) granted.fetch_add(1);
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(granted.load(), 5);
}

// Finding 2: failures from an attacker's address lock that address out of
// the account, not the owner at another address.
TYPED_TEST(LoginThrottleTest, AnAttackerAddressDoesNotLockTheOwnerOut) {
  auto t = this->throttles(20, 5, 100);
  const auto now = this->clock.now();
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(wait_of(t.try_acquire("198.51.100.7", "alice", now))) << i;
  EXPECT_EQ(wait_of(t.try_acquire("198.51.100.7", "alice", now)), 180);
  EXPECT_FALSE(wait_of(t.try_acquire("203.0.113.5", "alice", now)));
  EXPECT_FALSE(wait_of(t.try_acquire("198.51.100.7", "bob", now)));  // the address may still try others
}

// A login turned away because the hash pool was full gives the account its
// tokens back but not the address: a flood from one address reaches 429.
TYPED_TEST(LoginThrottleTest, AnOverloadRefundsTheAccountNotTheAddress) {
  auto t = this->throttles(3, 5, 3);
  const auto now = this->clock.now();
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(wait_of(t.try_acquire("198.51.100.7", "alice", now))) << i;
    settled(t.overloaded("198.51.100.7", "alice", now));
  }
  EXPECT_EQ(wait_of(t.try_acquire("198.51.100.7", "alice", now)), 300);  // 15 min / 3: the address paid
  // The account bucket (3) was given back each time: the owner elsewhere has all of it.
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(wait_of(t.try_acquire("203.0.113.5", "alice", now))) << i;
}

// Guessing one account from many addresses meets the per-account budget.
TYPED_TEST(LoginThrottleTest, DistributedGuessingMeetsTheAccountBucket) {
  auto t = this->throttles(20, 5, 3);
  const auto now = this->clock.now();
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(wait_of(t.try_acquire("10.0.0." + std::to_string(i), "alice", now)));
  EXPECT_EQ(wait_of(t.try_acquire("10.0.0.9", "alice", now)), 300);
  EXPECT_FALSE(wait_of(t.try_acquire("10.0.0.9", "bob", now)));
}

// An attempt refused by one bucket takes nothing from the others, and its
// Retry-After is the longest wait among the buckets that refused.
TYPED_TEST(LoginThrottleTest, ARefusedAttemptTakesNothing) {
  auto t = this->throttles(2, 1, 100);
  const auto now = this->clock.now();
  EXPECT_FALSE(wait_of(t.try_acquire("10.0.0.1", "alice", now)));
  EXPECT_EQ(wait_of(t.try_acquire("10.0.0.1", "alice", now)), 900);  // the pair: 15 min / 1
  EXPECT_FALSE(wait_of(t.try_acquire("10.0.0.1", "bob", now)));      // the address kept its second attempt
  // Both the address (450 s) and the pair (900 s) refuse now: the longer wait.
  EXPECT_EQ(wait_of(t.try_acquire("10.0.0.1", "bob", now)), 900);
  EXPECT_EQ(wait_of(t.try_acquire("10.0.0.1", "carol", now)), 450);
}

// No password checked (503, store error): every token comes back.
TYPED_TEST(LoginThrottleTest, RefundGivesEveryTokenBack) {
  auto t = this->throttles(1, 1, 1);
  const auto now = this->clock.now();
  EXPECT_FALSE(wait_of(t.try_acquire("10.0.0.1", "alice", now)));
  settled(t.refund("10.0.0.1", "alice", now));
  EXPECT_FALSE(wait_of(t.try_acquire("10.0.0.1", "alice", now)));
}

// A right password clears the owner's own failures from that address and
// pays back its own tokens, but does not wipe what others spent on the
// account or the address.
TYPED_TEST(LoginThrottleTest, SuccessClearsThePairOnly) {
  auto t = this->throttles(10, 2, 4);
  const auto now = this->clock.now();
  EXPECT_FALSE(wait_of(t.try_acquire("10.0.0.9", "alice", now)));  // someone elsewhere: account 3 left
  EXPECT_FALSE(wait_of(t.try_acquire("10.0.0.1", "alice", now)));  // the owner's typo: pair 1, account 2
  EXPECT_FALSE(wait_of(t.try_acquire("10.0.0.1", "alice", now)));  // the right password: pair 0, account 1
  settled(t.succeeded("10.0.0.1", "alice", now));                  // pair cleared, account 2
  EXPECT_FALSE(wait_of(t.try_acquire("10.0.0.1", "alice", now)));
  EXPECT_FALSE(wait_of(t.try_acquire("10.0.0.1", "alice", now)));
  // Spent: the attempt from elsewhere and the typo still count.
  EXPECT_EQ(wait_of(t.try_acquire("10.0.0.2", "alice", now)), 225);
}

// A right password that leads to a second step gives the address's and
// the pair's tokens back but keeps the account's: with per_account = 3,
// three such logins (from anywhere) and the account waits, while the
// address is still free for other accounts.
TYPED_TEST(LoginThrottleTest, ASecondStepChallengeSpendsTheAccountToken) {
  auto t = this->throttles(1, 1, 3);
  const auto now = this->clock.now();
  for (const char* ip : {"10.0.0.1", "10.0.0.1", "10.0.0.2"}) {
    EXPECT_FALSE(wait_of(t.try_acquire(ip, "alice", now)));
    settled(t.challenged(ip, "alice", now));
  }
  EXPECT_EQ(wait_of(t.try_acquire("10.0.0.3", "alice", now)), 300);  // 15 min / 3 refills one
  EXPECT_FALSE(wait_of(t.try_acquire("10.0.0.1", "bob", now)));      // the address gave its token back
}

// The refresh throttle and the login address bucket are different rules:
// spending one leaves the other whole, even for the same address.
TYPED_TEST(LoginThrottleTest, RulesNeverShareABucket) {
  auto logins = this->throttles(1, 5, 100);
  auto refreshes = this->throttle(1, minutes(15));
  const auto now = this->clock.now();
  EXPECT_FALSE(wait_of(logins.try_acquire("10.0.0.1", "alice", now)));
  EXPECT_FALSE(wait_of(refreshes.try_acquire("10.0.0.1", now)));
  EXPECT_EQ(wait_of(logins.try_acquire("10.0.0.1", "bob", now)), 900);
}

}  // namespace
}  // namespace cloakroom
