#include "store/challenge_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "store/memory/challenge_store.h"
#include "store/redis/challenge_store.h"
#include "store/sqlite/challenge_store.h"
#include "support/redis_server.h"
#include "support/temp_sqlite.h"

namespace cloakroom {
namespace {

struct MemoryBackend {
  std::unique_ptr<ChallengeStore> challenges(std::size_t max = kMaxPendingChallenges) {
    return std::make_unique<memory::ChallengeStore>(max);
  }
};

struct SqliteBackend {
  testing::TempSqlite file;
  std::unique_ptr<ChallengeStore> challenges(std::size_t max = kMaxPendingChallenges) {
    return std::make_unique<sqlite::ChallengeStore>(file.db(), max);
  }
};

struct RedisBackend {
  testing::RedisSpace space;
  std::unique_ptr<ChallengeStore> challenges(std::size_t max = kMaxPendingChallenges) {
    return std::make_unique<redis::ChallengeStore>(space.client, space.keys, max);
  }
};

template <class Backend>
class ChallengeStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store = backend.challenges(); }
  // A binary id hash, as callers hand in (SHA-256 bytes, NULs included).
  static std::string id(char c) { return std::string("\x00\xff", 2) + std::string(30, c); }
  static PendingChallenge challenge(std::string id_hash, long long expires) {
    return PendingChallenge{std::move(id_hash), "login", R"({"user_id":"u1"})", expires, 0};
  }
  Backend backend;
  std::unique_ptr<ChallengeStore> store;
};

using Backends = ::testing::Types<MemoryBackend, SqliteBackend, RedisBackend>;
TYPED_TEST_SUITE(ChallengeStoreTest, Backends);

// An attempt returns the payload and counts itself; consume succeeds once.
TYPED_TEST(ChallengeStoreTest, AttemptThenConsumeOnce) {
  ASSERT_TRUE(this->store->put(this->challenge(this->id('a'), 10'000), 1000));
  auto first = this->store->attempt(this->id('a'), "login", 2000, 5);
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->payload, R"({"user_id":"u1"})");
  EXPECT_EQ((*first)->expires_ms, 10'000);
  EXPECT_EQ((*first)->attempts, 1);
  EXPECT_EQ((*this->store->attempt(this->id('a'), "login", 2000, 5))->attempts, 2);
  EXPECT_EQ(*this->store->consume(this->id('a')), true);
  EXPECT_EQ(*this->store->consume(this->id('a')), false);
  EXPECT_FALSE(this->store->attempt(this->id('a'), "login", 2000, 5)->has_value());
}

// Unknown ids, another flow's kind and expired challenges give nothing.
TYPED_TEST(ChallengeStoreTest, UnknownOtherKindAndExpiredGiveNothing) {
  ASSERT_TRUE(this->store->put(this->challenge(this->id('b'), 10'000), 1000));
  EXPECT_FALSE(this->store->attempt(this->id('z'), "login", 2000, 5)->has_value());
  EXPECT_FALSE(this->store->attempt(this->id('b'), "webauthn", 2000, 5)->has_value());
  // Asked as another kind, it is not spent for its own.
  EXPECT_TRUE(this->store->attempt(this->id('b'), "login", 2000, 5)->has_value());
  EXPECT_FALSE(this->store->attempt(this->id('b'), "login", 10'000, 5)->has_value());
  // Gone, not only refused: a later clock reading cannot revive it.
  EXPECT_FALSE(this->store->attempt(this->id('b'), "login", 2000, 5)->has_value());
}

// After max_attempts the challenge is gone.
TYPED_TEST(ChallengeStoreTest, AttemptsAreBounded) {
  ASSERT_TRUE(this->store->put(this->challenge(this->id('c'), 10'000), 1000));
  for (int i = 1; i <= 3; ++i) EXPECT_EQ((*this->store->attempt(this->id('c'), "login", 2000, 3))->attempts, i);
  EXPECT_FALSE(this->store->attempt(this->id('c'), "login", 2000, 3)->has_value());
  EXPECT_EQ(*this->store->consume(this->id('c')), false);
}

// Racing attempts: exactly the bound get the challenge; racing consumes: exactly one wins.
TYPED_TEST(ChallengeStoreTest, RacesHoldTheBounds) {
  ASSERT_TRUE(this->store->put(this->challenge(this->id('d'), 10'000), 1000));
  ASSERT_TRUE(this->store->put(this->challenge(this->id('h'), 10'000), 1000));
  std::atomic<int> granted{0}, consumed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i)
        if (auto a = this->store->attempt(this->id('d'), "login", 2000, 7); a && a->has_value()) ++granted;
      if (auto c = this->store->consume(this->id('h')); c && *c) ++consumed;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(granted.load(), 7);
  EXPECT_EQ(consumed.load(), 1);
}

// The same id twice is refused (ids are random: a clash is a bug).
TYPED_TEST(ChallengeStoreTest, DuplicateIdRefused) {
  ASSERT_TRUE(this->store->put(this->challenge(this->id('e'), 10'000), 1000));
  auto again = this->store->put(this->challenge(this->id('e'), 20'000), 1000);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::internal);
}

// purge_expired drops the expired and keeps the live (Redis leaves it to TTLs).
TYPED_TEST(ChallengeStoreTest, PurgeKeepsLiveOnes) {
  ASSERT_TRUE(this->store->put(this->challenge(this->id('f'), 3000), 1000));
  ASSERT_TRUE(this->store->put(this->challenge(this->id('g'), 10'000), 1000));
  ASSERT_TRUE(this->store->purge_expired(5000));
  EXPECT_TRUE(this->store->attempt(this->id('g'), "login", 5000, 5)->has_value());
  EXPECT_FALSE(this->store->attempt(this->id('f'), "login", 5000, 5)->has_value());
}

// At the bound, put() first drops the expired challenges to make room; with
// none expired it answers overloaded (503) and keeps nothing more; a
// consumed challenge frees its place at once.
TYPED_TEST(ChallengeStoreTest, BoundedPutPurgesExpiredThenRefusesOverloaded) {
  auto bounded = this->backend.challenges(3);
  ASSERT_TRUE(bounded->put(this->challenge(this->id('a'), 2'000), 1000));  // expires first
  ASSERT_TRUE(bounded->put(this->challenge(this->id('b'), 90'000), 1000));
  ASSERT_TRUE(bounded->put(this->challenge(this->id('c'), 90'000), 1000));
  ASSERT_TRUE(bounded->put(this->challenge(this->id('d'), 90'000), 3000));  // a expired: its place is taken
  auto full = bounded->put(this->challenge(this->id('e'), 90'000), 3000);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, ErrorCode::overloaded);
  EXPECT_EQ(full.error().text(), "Too many sign-in challenges are pending; try again shortly.");
  EXPECT_FALSE(*bounded->attempt(this->id('e'), "login", 3000, 5));  // not kept
  EXPECT_TRUE(*bounded->attempt(this->id('b'), "login", 3000, 5));   // the others are
  ASSERT_EQ(*bounded->consume(this->id('b')), true);
  EXPECT_TRUE(bounded->put(this->challenge(this->id('e'), 90'000), 3000));
}

// Each kind has its own bound: a kind at its bound (a flood of anonymous
// passkey options, say) leaves room for the others (the second steps of
// logins); only its own expired ones make room for it, and a consumed one
// frees its own kind's place.
TYPED_TEST(ChallengeStoreTest, EachKindHasItsOwnBound) {
  auto bounded = this->backend.challenges(2);
  auto of = [](std::string id_hash, std::string kind, long long expires) {
    return PendingChallenge{std::move(id_hash), std::move(kind), "", expires, 0};
  };
  ASSERT_TRUE(bounded->put(of(this->id('a'), "passkey_login", 2'000), 1000));  // expires first
  ASSERT_TRUE(bounded->put(of(this->id('b'), "passkey_login", 90'000), 1000));
  EXPECT_EQ(bounded->put(of(this->id('c'), "passkey_login", 90'000), 1000).error().code, ErrorCode::overloaded);
  ASSERT_TRUE(bounded->put(of(this->id('d'), "login", 90'000), 1000));  // another kind: room of its own
  ASSERT_TRUE(bounded->put(of(this->id('e'), "login", 90'000), 1000));
  EXPECT_EQ(bounded->put(of(this->id('f'), "login", 90'000), 1000).error().code, ErrorCode::overloaded);
  ASSERT_TRUE(bounded->put(of(this->id('g'), "passkey_register", 90'000), 1000));
  // At 3000 'a' expired: a passkey_login takes its place; logins are still full.
  ASSERT_TRUE(bounded->put(of(this->id('c'), "passkey_login", 90'000), 3000));
  EXPECT_EQ(bounded->put(of(this->id('f'), "login", 90'000), 3000).error().code, ErrorCode::overloaded);
  ASSERT_EQ(*bounded->consume(this->id('d')), true);  // a login done: its place, not another kind's
  EXPECT_EQ(bounded->put(of(this->id('h'), "passkey_login", 90'000), 3000).error().code, ErrorCode::overloaded);
  ASSERT_TRUE(bounded->put(of(this->id('f'), "login", 90'000), 3000));
  // A challenge taken out by attempt() (spent) frees its kind's place too.
  EXPECT_TRUE(*bounded->attempt(this->id('b'), "passkey_login", 3000, 1));
  EXPECT_FALSE(*bounded->attempt(this->id('b'), "passkey_login", 3000, 1));
  ASSERT_TRUE(bounded->put(of(this->id('h'), "passkey_login", 90'000), 3000));
  for (char c : {'c', 'h'}) EXPECT_TRUE(*bounded->attempt(this->id(c), "passkey_login", 3000, 5)) << c;
  for (char c : {'e', 'f'}) EXPECT_TRUE(*bounded->attempt(this->id(c), "login", 3000, 5)) << c;
  EXPECT_TRUE(*bounded->attempt(this->id('g'), "passkey_register", 3000, 5));
}

}  // namespace
}  // namespace cloakroom
