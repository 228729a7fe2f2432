#include "store/change_feed.h"

#include <gtest/gtest.h>

#include "store/memory/change_feed.h"
#include "store/memory/session_store.h"
#include "store/memory/token_store.h"
#include "store/memory/user_store.h"
#include "store/postgres/change_feed.h"
#include "store/postgres/user_store.h"
#include "store/redis/change_feed.h"
#include "store/redis/session_store.h"
#include "store/redis/token_store.h"
#include "store/sqlite/change_feed.h"
#include "store/sqlite/session_store.h"
#include "store/sqlite/token_store.h"
#include "store/sqlite/user_store.h"
#include "support/postgres_server.h"
#include "support/redis_server.h"
#include "support/store_decorators.h"
#include "support/temp_sqlite.h"

namespace cloakroom {
namespace {

// Every store of one backend over one feed, as open_stores wires them.
struct MemoryBackend {
  static constexpr const char* kName = "Memory";
  std::shared_ptr<memory::ChangeFeed> feed = std::make_shared<memory::ChangeFeed>();
  memory::UserStore users{feed};
  memory::SessionStore sessions{feed};
  memory::TokenStore tokens{feed};
};

struct SqliteBackend {
  static constexpr const char* kName = "Sqlite";
  testing::TempSqlite file;
  std::shared_ptr<sqlite::ChangeFeed> feed = std::make_shared<sqlite::ChangeFeed>(*sqlite::Database::open(file.path()));
  sqlite::UserStore users{file.db()};
  sqlite::SessionStore sessions{file.db()};
  sqlite::TokenStore tokens{file.db()};
};

// A user store that records its changes into a given feed, the way the
// users' own backend (SQLite, PostgreSQL) records into its own.
class UsersIntoFeed final : public testing::UserStoreDecorator {
 public:
  UsersIntoFeed(UserStore& inner, ChangeFeed& feed) : UserStoreDecorator(inner), feed_(feed) {}
  Result<void> set_disabled(const std::string& id, bool disabled) override {
    return recorded(id, inner_.set_disabled(id, disabled));
  }
  Result<void> set_password_hash(const std::string& id, const std::string& hash) override {
    return recorded(id, inner_.set_password_hash(id, hash));
  }
  Result<bool> set_password_hash_if(const std::string& id, const std::string& expected,
                                    const std::string& hash) override {
    auto written = inner_.set_password_hash_if(id, expected, hash);
    if (written && *written) {
      if (auto r = recorded(id, {}); !r) return r.error();
    }
    return written;
  }
  Result<void> set_roles(const std::string& id, const std::vector<std::string>& roles) override {
    return recorded(id, inner_.set_roles(id, roles));
  }

 private:
  Result<void> recorded(const std::string& id, Result<void> changed) {
    if (!changed) return changed;
    return feed_.append(Change{Change::Kind::user_changed, id});
  }
  ChangeFeed& feed_;
};

// The session side on Redis; users live in another backend, whose changes
// reach this feed through UsersIntoFeed so one list shows every kind.
struct RedisBackend {
  static constexpr const char* kName = "Redis";
  testing::RedisSpace space;
  std::shared_ptr<redis::ChangeFeed> feed = space.feed();
  memory::UserStore user_rows;
  UsersIntoFeed users{user_rows, *feed};
  redis::SessionStore sessions{space.client, space.keys};
  redis::TokenStore tokens{space.client, space.keys};
};

// PostgreSQL holds users only: its feed carries the user side's changes,
// read on a pool of its own as open_stores wires it.
struct PostgresBackend {
  static constexpr const char* kName = "Postgres";
  testing::TempPostgres database;
  std::shared_ptr<postgres::ChangeFeed> feed = std::make_shared<postgres::ChangeFeed>(database.open(1));
  postgres::UserStore users{database.db()};
};

// Test names say the backend: UserChangeFeedTest/Postgres.ReadsAfterAPosition...
struct BackendName {
  template <class Backend>
  static std::string GetName(int) {
    return Backend::kName;
  }
};

template <class Backend>
class ChangeFeedTest : public ::testing::Test {
 protected:
  std::vector<FeedEntry> all() {
    auto entries = b.feed->read(0, 1000);
    EXPECT_TRUE(entries);
    return entries ? *entries : std::vector<FeedEntry>{};
  }
  static SessionRecord session(std::string id, std::string user) {
    return SessionRecord{std::move(id), std::string(32, 'h'), std::move(user), 1, 1, 4'000'000'000'000, "", "", false};
  }
  Backend b;
};

// Backends with every store (users, sessions, tokens) recording into the feed.
using Backends = ::testing::Types<MemoryBackend, SqliteBackend, RedisBackend>;
TYPED_TEST_SUITE(ChangeFeedTest, Backends, BackendName);
// The feed itself and the user side, also on backends that hold only users.
template <class Backend>
class UserChangeFeedTest : public ChangeFeedTest<Backend> {};
using UserSideBackends = ::testing::Types<MemoryBackend, SqliteBackend, RedisBackend, PostgresBackend>;
TYPED_TEST_SUITE(UserChangeFeedTest, UserSideBackends, BackendName);

// Every change that affects a check is recorded by the store method that
// makes it, with its subject and value; creations are not (a miss reads the store).
TYPED_TEST(ChangeFeedTest, StoresRecordEveryRevokingChange) {
  auto& s = this->b;
  ASSERT_TRUE(s.users.create(User{"u1", "alice", "h", {}, false, 1}));
  ASSERT_TRUE(s.sessions.create(this->session("s1", "u1")));
  ASSERT_TRUE(s.sessions.create(this->session("s2", "u1")));
  EXPECT_TRUE(this->all().empty());

  ASSERT_TRUE(s.sessions.remove("s1"));
  EXPECT_FALSE(*s.sessions.remove("s1"));         // nothing removed: nothing recorded
  EXPECT_FALSE(*s.sessions.remove("s2", "u2"));  // not theirs: nothing recorded
  ASSERT_TRUE(s.sessions.remove_user("u1"));
  ASSERT_TRUE(s.tokens.revoke_family("f1", 5000));
  ASSERT_TRUE(s.tokens.deny(Revocation{Revocation::Kind::token, "jti-1", 6000}));
  ASSERT_TRUE(s.tokens.bump_epoch("u1"));
  ASSERT_TRUE(s.tokens.bump_epoch("u1"));
  ASSERT_TRUE(s.users.set_disabled("u1", true));
  ASSERT_TRUE(s.users.set_roles("u1", {"ops"}));
  ASSERT_TRUE(s.users.set_password_hash("u1", "h2"));
  EXPECT_EQ(s.users.set_roles("nobody", {}).error().code, ErrorCode::not_found);  // no change, no entry
  ASSERT_TRUE(s.feed->append(Change{Change::Kind::keys_changed}));

  struct Want {
    Change::Kind kind;
    std::string subject;
    long long value;
  };
  const std::vector<Want> want = {
      {Change::Kind::session_revoked, "s1", 0},      {Change::Kind::user_sessions_revoked, "u1", 0},
      {Change::Kind::family_revoked, "f1", 5000},    {Change::Kind::token_denied, "jti-1", 6000},
      {Change::Kind::epoch_raised, "u1", 1},         {Change::Kind::epoch_raised, "u1", 2},
      {Change::Kind::user_changed, "u1", 0},         {Change::Kind::user_changed, "u1", 0},
      {Change::Kind::user_changed, "u1", 0},         {Change::Kind::keys_changed, "", 0},
  };
  auto got = this->all();
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(got[i].change.kind, want[i].kind);
    EXPECT_EQ(got[i].change.subject, want[i].subject);
    EXPECT_EQ(got[i].change.value, want[i].value);
    EXPECT_TRUE(got[i].known);
    EXPECT_GT(got[i].change.at_ms, 1'700'000'000'000);  // a wall-clock time in ms
    if (i > 0) {
      EXPECT_GT(got[i].position, got[i - 1].position);
    }
  }
}

// Every user change is recorded by the store method that makes it, in
// order; a creation is not, and neither is a change of nobody.
TYPED_TEST(UserChangeFeedTest, UserStoreRecordsEveryChange) {
  auto& s = this->b;
  ASSERT_TRUE(s.users.create(User{"u1", "alice", "h", {}, false, 1}));
  EXPECT_TRUE(this->all().empty());
  ASSERT_TRUE(s.users.set_disabled("u1", true));
  ASSERT_TRUE(s.users.set_roles("u1", {"ops"}));
  EXPECT_EQ(s.users.set_roles("nobody", {}).error().code, ErrorCode::not_found);  // no change, no entry
  ASSERT_TRUE(s.users.set_password_hash("u1", "h2"));
  EXPECT_FALSE(*s.users.set_password_hash_if("u1", "h", "h3"));  // not applied: no entry
  EXPECT_TRUE(*s.users.set_password_hash_if("u1", "h2", "h3"));  // a login's upgrade: an entry, as before
  ASSERT_TRUE(s.feed->append(Change{Change::Kind::keys_changed}));

  auto got = this->all();
  ASSERT_EQ(got.size(), 5u);
  for (std::size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(got[i].change.kind, i < 4 ? Change::Kind::user_changed : Change::Kind::keys_changed);
    EXPECT_EQ(got[i].change.subject, i < 4 ? "u1" : "");
    EXPECT_TRUE(got[i].known);
    EXPECT_GT(got[i].change.at_ms, 1'700'000'000'000);  // a wall-clock time in ms
    if (i > 0) {
      EXPECT_GT(got[i].position, got[i - 1].position);
    }
  }
}

// changed() says false only when nothing was written since it last asked.
TYPED_TEST(UserChangeFeedTest, ChangedSeesEveryWrite) {
  auto& s = this->b;
  ASSERT_TRUE(s.feed->changed());  // the first answer sets what was seen
  ASSERT_TRUE(s.users.create(User{"u1", "alice", "h", {}, false, 1}));
  ASSERT_TRUE(s.users.set_disabled("u1", true));
  EXPECT_TRUE(*s.feed->changed());
  EXPECT_FALSE(*s.feed->changed());
}

// Reading after a position resumes there, in bounded batches; bounds say
// what is held, and survive pruning everything (positions never go back).
TYPED_TEST(UserChangeFeedTest, ReadsAfterAPositionAndKeepsBoundsAcrossPruning) {
  auto& feed = *this->b.feed;
  auto empty = feed.bounds();
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->last, 0);
  EXPECT_EQ(empty->first, 1);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(feed.append(Change{Change::Kind::session_revoked, "s" + std::to_string(i)}));
  auto all = this->all();
  ASSERT_EQ(all.size(), 5u);
  auto tail = feed.read(all[1].position, 2);
  ASSERT_TRUE(tail);
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_EQ((*tail)[0].change.subject, "s2");
  EXPECT_EQ((*tail)[1].change.subject, "s3");
  EXPECT_EQ(feed.bounds()->first, all[0].position);
  EXPECT_EQ(feed.bounds()->last, all[4].position);

  ASSERT_TRUE(feed.prune(4'000'000'000'000));  // everything is older than that
  EXPECT_TRUE(this->all().empty());
  EXPECT_EQ(feed.bounds()->last, all[4].position);
  EXPECT_EQ(feed.bounds()->first, all[4].position + 1);
  ASSERT_TRUE(feed.append(Change{Change::Kind::keys_changed}));
  EXPECT_GT(this->all().at(0).position, all[4].position);
}

}  // namespace
}  // namespace cloakroom
