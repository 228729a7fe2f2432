#include "store/session_store.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "store/memory/session_store.h"
#include "store/redis/session_store.h"
#include "store/sqlite/session_store.h"
#include "support/redis_server.h"
#include "support/temp_sqlite.h"

namespace cloakroom {
namespace {

struct MemoryBackend {
  std::unique_ptr<SessionStore> sessions() { return std::make_unique<memory::SessionStore>(); }
};

struct SqliteBackend {
  testing::TempSqlite file;
  std::unique_ptr<SessionStore> sessions() { return std::make_unique<sqlite::SessionStore>(file.db()); }
};

struct RedisBackend {
  testing::RedisSpace space;
  std::unique_ptr<SessionStore> sessions() { return std::make_unique<redis::SessionStore>(space.client, space.keys); }
};

template <class Backend>
class SessionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store = backend.sessions();
  }
  static SessionRecord record(std::string id, std::string user, long long created, long long expires) {
    return SessionRecord{std::move(id), std::string(32, '\x01'), std::move(user), created, created, expires,
                         "127.0.0.1",   "curl/8",                false};
  }
  Backend backend;
  std::unique_ptr<SessionStore> store;
};

using Backends = ::testing::Types<MemoryBackend, SqliteBackend, RedisBackend>;
TYPED_TEST_SUITE(SessionStoreTest, Backends);

// A record round-trips with every field, including the binary hash.
TYPED_TEST(SessionStoreTest, CreateFindRoundTrip) {
  SessionRecord r = this->record("s1", "u1", 1000, 9000);
  r.secret_hash = std::string("\x00\xff\x10", 3) + std::string(29, 'z');
  r.remember = true;
  ASSERT_TRUE(this->store->create(r));
  auto back = this->store->find("s1");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->secret_hash, r.secret_hash);
  EXPECT_EQ(back->user_id, "u1");
  EXPECT_EQ(back->expires_ms, 9000);
  EXPECT_TRUE(back->remember);
  EXPECT_EQ(this->store->find("nope").error().code, ErrorCode::not_found);
}

// How and when the user signed in round-trips (the second-factor rule reads it from the cached record).
TYPED_TEST(SessionStoreTest, AmrAndAuthTimeRoundTrip) {
  SessionRecord r = this->record("s1", "u1", 1000, 9000);
  r.amr = AuthMethods::password().with(AuthMethod::otp);
  r.auth_time_ms = 1500;
  ASSERT_TRUE(this->store->create(r));
  SessionRecord plain = this->record("s2", "u1", 1000, 9000);
  plain.amr = AuthMethods::password();
  plain.auth_time_ms = 1000;
  ASSERT_TRUE(this->store->create(plain));
  auto back = this->store->find("s1");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->amr, r.amr);
  EXPECT_EQ(back->auth_time_ms, 1500);
  auto listed = this->store->list_user("u1");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  for (const auto& l : *listed) EXPECT_EQ(l.amr.multi_factor(), l.id == "s1") << l.id;
}

// load_active leaves out absolutely and idly expired sessions.
TYPED_TEST(SessionStoreTest, LoadActiveFiltersExpired) {
  ASSERT_TRUE(this->store->create(this->record("live", "u", 1000, 100000)));
  ASSERT_TRUE(this->store->create(this->record("absolute", "u", 1000, 2000)));
  ASSERT_TRUE(this->store->create(this->record("idle", "u", 0, 100000)));
  auto active = this->store->load_active(2500, {2000, 2000});  // idle cutoff: last_seen > 500
  ASSERT_TRUE(active);
  ASSERT_EQ(active->size(), 1u);
  EXPECT_EQ(active->front().id, "live");
  auto purged = this->store->purge_expired(2500, {2000, 2000});
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 2u);
  EXPECT_TRUE(this->store->find("live"));
}

// A remembered session has its own idle bound: alive where a plain one
// last seen at the same time is idle, purged only past its own bound; a
// touch keeps it alive by that bound too.
TYPED_TEST(SessionStoreTest, RememberedSessionsHaveTheirOwnIdleBound) {
  const IdleBounds idle{1000, 5000};
  auto remembered = this->record("kept", "u", 0, 100000);
  remembered.remember = true;
  ASSERT_TRUE(this->store->create(remembered));
  ASSERT_TRUE(this->store->create(this->record("plain", "u", 0, 100000)));
  auto active = this->store->load_active(3000, idle);  // plain idle since 1000, remembered until 5000
  ASSERT_TRUE(active);
  ASSERT_EQ(active->size(), 1u);
  EXPECT_EQ(active->front().id, "kept");
  EXPECT_EQ(*this->store->purge_expired(3000, idle), 1u);
  EXPECT_TRUE(this->store->find("kept"));
  EXPECT_EQ(this->store->find("plain").error().code, ErrorCode::not_found);
  ASSERT_TRUE(this->store->touch({{"kept", 4000}}));
  EXPECT_EQ(*this->store->purge_expired(8000, idle), 0u);  // seen at 4000: idle only from 9000
  EXPECT_EQ(this->store->load_active(8000, idle)->size(), 1u);
  EXPECT_EQ(*this->store->purge_expired(9000, idle), 1u);
  EXPECT_EQ(this->store->find("kept").error().code, ErrorCode::not_found);
}

// Touches only move last-seen forward.
TYPED_TEST(SessionStoreTest, TouchMovesForwardOnly) {
  ASSERT_TRUE(this->store->create(this->record("s", "u", 1000, 100000)));
  ASSERT_TRUE(this->store->touch({{"s", 5000}, {"missing", 7000}}));
  EXPECT_EQ(this->store->find("s")->last_seen_ms, 5000);
  ASSERT_TRUE(this->store->touch({{"s", 3000}}));
  EXPECT_EQ(this->store->find("s")->last_seen_ms, 5000);
}

// remove and remove_user report what they removed; list_user is oldest first.
TYPED_TEST(SessionStoreTest, RemoveAndListUser) {
  ASSERT_TRUE(this->store->create(this->record("b", "u", 2000, 100000)));
  ASSERT_TRUE(this->store->create(this->record("a", "u", 1000, 100000)));
  ASSERT_TRUE(this->store->create(this->record("c", "other", 1000, 100000)));
  auto mine = this->store->list_user("u");
  ASSERT_TRUE(mine);
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ(mine->front().id, "a");
  EXPECT_EQ(*this->store->remove("a"), true);
  EXPECT_EQ(*this->store->remove("a"), false);
  auto ids = this->store->remove_user("u");
  ASSERT_TRUE(ids);
  EXPECT_EQ(*ids, std::vector<std::string>{"b"});
  EXPECT_TRUE(this->store->find("c"));
}

// remove_user with `keep` (a password change): every other session of the
// user goes; the kept one stays, still listed.
TYPED_TEST(SessionStoreTest, RemoveUserKeepsOne) {
  ASSERT_TRUE(this->store->create(this->record("a", "u", 1000, 100000)));
  ASSERT_TRUE(this->store->create(this->record("b", "u", 2000, 100000)));
  ASSERT_TRUE(this->store->create(this->record("c", "u", 3000, 100000)));
  auto ids = this->store->remove_user("u", "b");
  ASSERT_TRUE(ids);
  std::sort(ids->begin(), ids->end());
  EXPECT_EQ(*ids, (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(this->store->find("a").error().code, ErrorCode::not_found);
  EXPECT_EQ(this->store->find("b")->user_id, "u");
  auto left = this->store->list_user("u");
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ(left->front().id, "b");
  EXPECT_EQ(*this->store->remove_user("u"), std::vector<std::string>{"b"});
}

// remove(id, user_id) removes only that user's session: another user's id
// answers false and the session stays.
TYPED_TEST(SessionStoreTest, RemoveOwnedOnly) {
  ASSERT_TRUE(this->store->create(this->record("mine", "u1", 1000, 100000)));
  ASSERT_TRUE(this->store->create(this->record("theirs", "u2", 1000, 100000)));
  EXPECT_EQ(*this->store->remove("theirs", "u1"), false);
  EXPECT_EQ(this->store->find("theirs")->user_id, "u2");
  EXPECT_EQ(*this->store->remove("missing", "u1"), false);
  EXPECT_EQ(*this->store->remove("mine", "u1"), true);
  EXPECT_EQ(this->store->find("mine").error().code, ErrorCode::not_found);
  EXPECT_EQ(*this->store->remove("mine", "u1"), false);
}

// A session hash written before `amr` and `auth_time_ms` existed reads as a
// password login at its creation.
TEST(RedisSessionStore, RecordWithoutAmrReadsAsPasswordAtCreation) {
  testing::RedisSpace space;
  redis::SessionStore store(space.client, space.keys);
  SessionRecord r{"old", std::string(32, '\x01'), "u1", 1000, 2000, 9000, "127.0.0.1", "curl/8", false};
  r.amr = AuthMethods::password().with(AuthMethod::otp);
  r.auth_time_ms = 1500;
  ASSERT_TRUE(store.create(r));
  ASSERT_TRUE(space.client->command({"HDEL", space.keys.session("old"), "amr", "auth_time_ms"}));
  auto back = store.find("old");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->amr, AuthMethods::password());
  EXPECT_EQ(back->auth_time_ms, 1000);
}

}  // namespace
}  // namespace cloakroom
