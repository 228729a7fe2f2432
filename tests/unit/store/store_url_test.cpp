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
#include "store/sqlite/change_feed.h"
#include "store/sqlite/session_store.h"
#include "store/sqlite/token_store.h"
#include "store/sqlite/user_store.h"
#include "support/postgres_server.h"

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
  EXPECT_NE(dynamic_cast<sqlite::UserStore*>(stores->users.get()), nullptr);
  EXPECT_NE(dynamic_cast<memory::SessionStore*>(stores->sessions.get()), nullptr);
  EXPECT_NE(dynamic_cast<memory::TokenStore*>(stores->tokens.get()), nullptr);
  EXPECT_NE(dynamic_cast<memory::NodeRegistry*>(stores->nodes.get()), nullptr);
  ASSERT_EQ(stores->feeds.size(), 2u);  // two backends, two feeds
  EXPECT_NE(dynamic_cast<sqlite::ChangeFeed*>(stores->feeds[0].get()), nullptr);
  EXPECT_NE(dynamic_cast<memory::ChangeFeed*>(stores->feeds[1].get()), nullptr);
  ASSERT_TRUE(stores->users->create(User{"i", "carol", "h", {}, false, 1}));
  ASSERT_TRUE(stores->users->set_disabled("i", true));  // recorded in the users' feed
  EXPECT_EQ(stores->feeds[0]->bounds()->last, 1);

  cfg.store.users = "memory://";
  cfg.store.sessions = "sqlite://" + cfg.data_dir + "/sessions.db";
  auto swapped = open_stores({cfg.store.users, cfg.store.sessions, cfg.data_dir});
  ASSERT_TRUE(swapped) << swapped.error().text();
  EXPECT_NE(dynamic_cast<memory::UserStore*>(swapped->users.get()), nullptr);
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

// A URL this build cannot open is refused by open_stores too, naming the key.
TEST_F(StoreUrl, RefusesWhatTheBuildLacks) {
  cfg.store.users = "memory://";
  cfg.store.sessions = "redis://localhost";
  auto stores = open_stores({cfg.store.users, cfg.store.sessions, cfg.data_dir});
  ASSERT_FALSE(stores);
  EXPECT_EQ(stores.error().code, ErrorCode::config_invalid);
  EXPECT_EQ(stores.error().text(),
            "Config key store.sessions names a backend this build does not have yet; use sqlite://PATH or memory://.");
}

// postgres:// users beside sqlite:// sessions: two backends, two feeds,
// the users' one named by host, port and database (no credentials).
TEST_F(StoreUrl, PostgresUsersBesideSqliteSessions) {
  testing::TempPostgres database;
  cfg.store.users = database.url();
  cfg.store.sessions = "sqlite://" + cfg.data_dir + "/cloakroom.db";
  auto stores = open_stores({cfg.store.users, cfg.store.sessions, cfg.data_dir});
  ASSERT_TRUE(stores) << stores.error().text();
  EXPECT_NE(dynamic_cast<postgres::UserStore*>(stores->users.get()), nullptr);
  EXPECT_NE(dynamic_cast<sqlite::SessionStore*>(stores->sessions.get()), nullptr);
  EXPECT_NE(dynamic_cast<sqlite::NodeRegistry*>(stores->nodes.get()), nullptr);
  ASSERT_EQ(stores->feeds.size(), 2u);
  EXPECT_NE(dynamic_cast<postgres::ChangeFeed*>(stores->feeds[0].get()), nullptr);
  EXPECT_EQ(stores->feeds[0]->name().find(testing::PostgresServer::kPassword), std::string::npos);
  ASSERT_TRUE(stores->users->create(User{"i", "carol", "h", {}, false, 1}));
  ASSERT_TRUE(stores->users->set_disabled("i", true));  // recorded in the users' feed
  EXPECT_EQ(stores->feeds[0]->bounds()->last, 1);
  EXPECT_EQ(stores->feeds[1]->bounds()->last, 0);
}

// A PostgreSQL that refuses the password: open_stores says which database,
// with the password as ***, never the password itself.
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
}

// The check lists the forms per slot and tells planned backends apart.
TEST(StoreUrlCheck, ListsTheFormsThisBuildHas) {
  EXPECT_EQ(store_url_forms(StoreSlot::users), "sqlite://PATH, memory:// or postgres://USER:PASSWORD@HOST:PORT/DB");
  EXPECT_EQ(store_url_forms(StoreSlot::sessions), "sqlite://PATH or memory://");
  EXPECT_TRUE(check_store_url("memory://", StoreSlot::users));
  EXPECT_TRUE(check_store_url("sqlite:///var/lib/x.db", StoreSlot::sessions));
  EXPECT_TRUE(check_store_url("postgres://u:p@db/cloakroom", StoreSlot::users));
  EXPECT_TRUE(check_store_url("postgresql://db", StoreSlot::users));
  for (auto url : {"postgres://db", "postgresql://db"}) {
    auto r = check_store_url(url, StoreSlot::sessions);
    ASSERT_FALSE(r) << url;
    EXPECT_EQ(r.error().text(), "names a backend that cannot hold sessions; use sqlite://PATH or memory://");
  }
  auto redis = check_store_url("redis://h", StoreSlot::users);
  ASSERT_FALSE(redis);
  EXPECT_EQ(redis.error().text(),
            "names a backend this build does not have yet; use sqlite://PATH, memory:// or "
            "postgres://USER:PASSWORD@HOST:PORT/DB");
  for (auto url : {"sqlite://", "memory://x", "SQLITE://x", "x"}) {
    auto r = check_store_url(url, StoreSlot::sessions);
    ASSERT_FALSE(r) << url;
    EXPECT_EQ(r.error().text(), "must be sqlite://PATH or memory://");
  }
}

}  // namespace
}  // namespace cloakroom
