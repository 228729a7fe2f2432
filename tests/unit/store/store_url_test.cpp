#include "store/store_url.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "config/config.h"
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

namespace cloakroom {
namespace {

class StoreUrl : public ::testing::Test {
 protected:
  void SetUp() override {
    cfg.data_dir = ::testing::TempDir() + "/store-url-" + std::to_string(::getpid()) + "/data";
    std::filesystem::remove_all(cfg.data_dir);
  }
  void TearDown() override { std::filesystem::remove_all(std::filesystem::path(cfg.data_dir).parent_path()); }
  Config cfg;
};

// Each URL opens its backend, with the documented pairing: token state and
// the node registry beside the sessions; each backend brings its own feed.
TEST_F(StoreUrl, EachUrlOpensItsBackendWithItsPair) {
  cfg.store.users = "sqlite://" + cfg.data_dir + "/users.db";
  cfg.store.sessions = "memory://";
  auto stores = open_stores({cfg.store.users, cfg.store.sessions, cfg.data_dir});
  ASSERT_TRUE(stores) << stores.error().text();
  EXPECT_NE(dynamic_cast<memory::SessionStore*>(stores->sessions.get()), nullptr);
  EXPECT_NE(dynamic_cast<memory::TokenStore*>(stores->tokens.get()), nullptr);
  EXPECT_NE(dynamic_cast<memory::NodeRegistry*>(stores->nodes.get()), nullptr);
  ASSERT_EQ(stores->feeds.size(), 2u);  // two backends, two feeds
  EXPECT_NE(dynamic_cast<sqlite::ChangeFeed*>(stores->feeds[0].get()), nullptr);
  EXPECT_NE(dynamic_cast<memory::ChangeFeed*>(stores->feeds[1].get()), nullptr);
  ASSERT_TRUE(stores->users->create(User{"i", "carol", "h", {}, false, 1}));
  ASSERT_TRUE(stores->users->set_disabled("i", true));  // recorded in the users' feed
  EXPECT_EQ(stores->feeds[0]->bounds()->last, 1);
  auto told = stores->feeds[1]->read(0, 10);  // and told to the sessions' feed, which gates checks
  ASSERT_TRUE(told);
  ASSERT_EQ(told->size(), 1u);
  EXPECT_EQ(told->front().change.kind, Change::Kind::user_changed);
  EXPECT_EQ(told->front().change.subject, "i");

  cfg.store.users = "memory://";
  cfg.store.sessions = "sqlite://" + cfg.data_dir + "/sessions.db";
  auto swapped = open_stores({cfg.store.users, cfg.store.sessions, cfg.data_dir});
  ASSERT_TRUE(swapped) << swapped.error().text();
  EXPECT_NE(dynamic_cast<sqlite::NodeRegistry*>(swapped->nodes.get()), nullptr);
  EXPECT_NE(dynamic_cast<sqlite::SessionStore*>(swapped->sessions.get()), nullptr);
  EXPECT_NE(dynamic_cast<sqlite::TokenStore*>(swapped->tokens.get()), nullptr);
}

// One file named by both URLs: what one side writes, the other reads, and
// the data directory is private.
TEST_F(StoreUrl, OneFileServesBothSides) {
  cfg.store.users = cfg.store.sessions = "sqlite://" + cfg.data_dir + "/cloakroom.db";
  auto stores = open_stores({cfg.store.users, cfg.store.sessions, cfg.data_dir});
  ASSERT_TRUE(stores) << stores.error().text();
  ASSERT_EQ(stores->feeds.size(), 1u);  // one database, one feed
  ASSERT_TRUE(stores->sessions->create(SessionRecord{"s", std::string(32, 'h'), "u", 1, 1, 9, "", "", false}));
  EXPECT_EQ(stores->sessions->find("s")->user_id, "u");
  ASSERT_TRUE(stores->sessions->remove("s"));
  EXPECT_EQ(stores->feeds[0]->bounds()->last, 1);
  struct stat st {};
  ASSERT_EQ(::stat(cfg.data_dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

// A URL this build cannot open for its side is refused by open_stores too, naming the key.
TEST_F(StoreUrl, RefusesWhatTheBuildLacks) {
  cfg.store.users = "memory://";
  cfg.store.sessions = "postgres://db";
  auto stores = open_stores({cfg.store.users, cfg.store.sessions, cfg.data_dir});
  ASSERT_FALSE(stores);
  EXPECT_EQ(stores.error().code, ErrorCode::config_invalid);
  EXPECT_EQ(stores.error().text(),
            "Config key store.sessions names a backend that cannot hold sessions; use sqlite://PATH, memory:// or "
            "redis://HOST:PORT/DB.");
}

// redis:// opens the session side (sessions, token state, registry and a
// feed of its own) beside users elsewhere; the feed is named without credentials.
TEST_F(StoreUrl, RedisOpensTheSessionSide) {
  testing::RedisServer server({.password = "s3cret"});
  cfg.store.users = "sqlite://" + cfg.data_dir + "/users.db";
  cfg.store.sessions = server.url("su:", 0, "default:s3cret");
  auto stores = open_stores({cfg.store.users, cfg.store.sessions, cfg.data_dir});
  ASSERT_TRUE(stores) << stores.error().text();
  EXPECT_NE(dynamic_cast<redis::SessionStore*>(stores->sessions.get()), nullptr);
  EXPECT_NE(dynamic_cast<redis::TokenStore*>(stores->tokens.get()), nullptr);
  EXPECT_NE(dynamic_cast<redis::NodeRegistry*>(stores->nodes.get()), nullptr);
  ASSERT_EQ(stores->feeds.size(), 2u);
  EXPECT_NE(dynamic_cast<redis::ChangeFeed*>(stores->feeds[1].get()), nullptr);
  EXPECT_EQ(stores->feeds[1]->name(), "redis://127.0.0.1:" + std::to_string(server.port()) + "/0?prefix=su:");
  ASSERT_TRUE(stores->sessions->create(SessionRecord{"s", std::string(32, 'h'), "u", 1, 1, 9, "", "", false}));
  ASSERT_TRUE(stores->sessions->remove("s"));
  EXPECT_EQ(stores->feeds[1]->bounds()->last, 1);
}

// No message about a Redis URL repeats its password: not a malformed one
// (config_invalid), not one that cannot be reached, not one whose password is wrong.
TEST_F(StoreUrl, RedisMessagesNeverShowThePassword) {
  testing::RedisServer server({.password = "right-one"});
  cfg.store.users = "memory://";
  struct Case {
    std::string url;
    ErrorCode code;
    std::string_view says;
  };
  for (const Case& c : {Case{"redis://app:s3cret@127.0.0.1:70000/0", ErrorCode::config_invalid, "has a port"},
                        Case{"redis://app:s3cret@127.0.0.1:1/0", ErrorCode::store_unavailable,
                             "Cannot use Redis at redis://app:***@127.0.0.1:1/0?prefix=cloakroom:: connect: "},
                        Case{server.url("x:", 0, "default:s3cret"), ErrorCode::store_unavailable, "AUTH refused: WRONGPASS"}}) {
    auto stores = open_stores({cfg.store.users, c.url, cfg.data_dir});
    ASSERT_FALSE(stores) << c.url;
    EXPECT_EQ(stores.error().code, c.code) << c.url;
    const std::string text(stores.error().text());
    EXPECT_NE(text.find(c.says), std::string::npos) << text;
    EXPECT_EQ(text.find("s3cret"), std::string::npos) << text;
  }
}

// postgres:// users beside sqlite:// sessions: two backends, two feeds,
// the users' one named by host, port and database (no credentials).
TEST_F(StoreUrl, PostgresUsersBesideSqliteSessions) {
  testing::TempPostgres database;
  cfg.store.users = database.url();
  cfg.store.sessions = "sqlite://" + cfg.data_dir + "/cloakroom.db";
  auto stores = open_stores({cfg.store.users, cfg.store.sessions, cfg.data_dir});
  ASSERT_TRUE(stores) << stores.error().text();
  EXPECT_NE(dynamic_cast<sqlite::SessionStore*>(stores->sessions.get()), nullptr);
  EXPECT_NE(dynamic_cast<sqlite::NodeRegistry*>(stores->nodes.get()), nullptr);
  ASSERT_EQ(stores->feeds.size(), 2u);
  EXPECT_NE(dynamic_cast<postgres::ChangeFeed*>(stores->feeds[0].get()), nullptr);
  EXPECT_EQ(stores->feeds[0]->name().find(testing::PostgresServer::kPassword), std::string::npos);
  ASSERT_TRUE(stores->users->create(User{"i", "carol", "h", {}, false, 1}));
  ASSERT_TRUE(stores->users->set_disabled("i", true));  // recorded in the users' feed
  EXPECT_EQ(stores->feeds[0]->bounds()->last, 1);
  EXPECT_EQ(stores->feeds[1]->bounds()->last, 1);  // told to the sessions' feed too
}

// A PostgreSQL that refuses the password, or a URL libpq cannot parse: the
// message says which database with the password as ***, never the password.
TEST_F(StoreUrl, PostgresFailureHidesThePassword) {
  const std::string port = std::to_string(testing::PostgresServer::shared().port());
  auto stores = open_stores({"postgresql://cloakroom:not-The-Password@127.0.0.1:" + port + "/postgres?sslmode=disable",
                             "memory://", cfg.data_dir});
  ASSERT_FALSE(stores);
  EXPECT_EQ(stores.error().code, ErrorCode::store_unavailable);
  const std::string text(stores.error().text());
  EXPECT_TRUE(text.starts_with("Cannot prepare the PostgreSQL database postgresql://cloakroom:***@127.0.0.1:" + port +
                               "/postgres?sslmode=disable: "))
      << text;
  EXPECT_EQ(text.find("not-The-Password"), std::string::npos) << text;
  auto malformed = check_store_url("postgres://cloakroom:not-The-Password%zz@h/db", StoreSlot::users);
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().code, ErrorCode::config_invalid);
  EXPECT_TRUE(malformed.error().text().starts_with("is not a valid libpq connection URI (")) << malformed.error().text();
  EXPECT_EQ(malformed.error().text().find("The-Password"), std::string::npos) << malformed.error().text();
}

// An unreachable server: libpq's own question ends the sentence, with no
// '.' after its '?' ("... accepting TCP/IP connections?.").
TEST_F(StoreUrl, PostgresUnreachableEndsOnLibpqsQuestion) {
  auto stores = open_stores({"postgresql://cloakroom@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2",
                             "memory://", cfg.data_dir});
  ASSERT_FALSE(stores);
  EXPECT_EQ(stores.error().code, ErrorCode::store_unavailable);
  const std::string text(stores.error().text());
  EXPECT_TRUE(text.ends_with("connections?")) << text;
}

// The check lists the forms per slot and tells planned backends apart.
TEST(StoreUrlCheck, ListsTheFormsThisBuildHas) {
  EXPECT_EQ(store_url_forms(StoreSlot::users), "sqlite://PATH, memory:// or postgres://USER@HOST:PORT/DB");
  EXPECT_EQ(store_url_forms(StoreSlot::sessions), "sqlite://PATH, memory:// or redis://HOST:PORT/DB");
  EXPECT_TRUE(check_store_url("memory://", StoreSlot::users));
  EXPECT_TRUE(check_store_url("sqlite:///var/lib/x.db", StoreSlot::sessions));
  EXPECT_TRUE(check_store_url("redis://10.0.0.5:6379/2?prefix=a:", StoreSlot::sessions));
  EXPECT_TRUE(check_store_url("postgres://u:p@db/cloakroom?sslmode=verify-full", StoreSlot::users));
  EXPECT_TRUE(check_store_url("postgresql://db", StoreSlot::users));
  for (auto url : {"postgres://db", "postgresql://db"}) {
    auto r = check_store_url(url, StoreSlot::sessions);
    ASSERT_FALSE(r) << url;
    EXPECT_EQ(r.error().text(),
              "names a backend that cannot hold sessions; use sqlite://PATH, memory:// or redis://HOST:PORT/DB");
  }
  auto redis_users = check_store_url("redis://h", StoreSlot::users);
  ASSERT_FALSE(redis_users);
  EXPECT_EQ(redis_users.error().text(),
            "names a backend that cannot hold users; use sqlite://PATH, memory:// or "
            "postgres://USER@HOST:PORT/DB");
  for (auto url : {"sqlite://", "memory://x", "SQLITE://x", "x", "redis://"}) {
    auto r = check_store_url(url, StoreSlot::sessions);
    ASSERT_FALSE(r) << url;
    EXPECT_EQ(r.error().text(), "must be sqlite://PATH, memory:// or redis://HOST:PORT/DB");
  }
}

}  // namespace
}  // namespace cloakroom
