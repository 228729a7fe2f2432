#include "store/postgres/change_feed.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "support/postgres_server.h"

namespace cloakroom {
namespace {

using namespace std::chrono_literals;
using postgres::Connection;
using testing::TempPostgres;

// Positions follow commit order, which a sequence would not give: a second
// writer waits for the first one's commit before it takes a position, and
// until then a reader sees neither entry (never a later one before an earlier).
TEST(PostgresChangeFeed, PositionsFollowCommitOrder) {
  TempPostgres database;
  auto db = database.db();
  postgres::ChangeFeed feed(database.open(1));
  std::promise<void> taken, go;
  auto first = std::async(std::launch::async, [&] {
    return db->transaction(
        [&](Connection& c) -> Result<void> {
          auto r = postgres::record_change(c, Change::Kind::user_changed, "first");
          taken.set_value();
          go.get_future().wait();
          return r;
        },
        30s);
  });
  taken.get_future().wait();
  auto second = std::async(std::launch::async, [&] {
    return db->run([](Connection& c) { return postgres::record_change(c, Change::Kind::user_changed, "second"); }, 30s);
  });
  // Bounded: until the second writer waits on the counter row's lock.
  bool waiting = false;
  for (int i = 0; i < 500 && !waiting; ++i) {
    auto n = db->run([](Connection& c) {
      return c.one(
          "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
          [](const postgres::Row& r) { return r.integer(0); });
    });
    waiting = n && *n == 1;
    if (!waiting) std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(waiting);
  EXPECT_TRUE(feed.read(0, 10)->empty());
  EXPECT_EQ(feed.bounds()->last, 0);

  go.set_value();
  ASSERT_TRUE(first.get());
  ASSERT_TRUE(second.get());
  auto entries = feed.read(0, 10);
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].position, 1);
  EXPECT_EQ((*entries)[0].change.subject, "first");
  EXPECT_EQ((*entries)[1].position, 2);
  EXPECT_EQ((*entries)[1].change.subject, "second");
}

// A change whose transaction rolls back gives its position back: no gap, no entry.
TEST(PostgresChangeFeed, RolledBackChangeLeavesNoTrace) {
  TempPostgres database;
  postgres::ChangeFeed feed(database.open(1));
  auto failed = database.db()->transaction([](Connection& c) -> Result<void> {
    if (auto r = postgres::record_change(c, Change::Kind::user_changed, "lost"); !r) return r;
    return ErrorCode::not_found;
  });
  EXPECT_EQ(failed.error().code, ErrorCode::not_found);
  ASSERT_TRUE(feed.append(Change{Change::Kind::keys_changed}));
  auto entries = feed.read(0, 10);
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].position, 1);
  EXPECT_EQ((*entries)[0].change.kind, Change::Kind::keys_changed);
}

// The feed's name says where it is, never who connects or with what password.
TEST(PostgresChangeFeed, NameHasNoCredentials) {
  TempPostgres database;
  postgres::ChangeFeed feed(database.db());
  const std::string name = feed.name();
  EXPECT_TRUE(name.starts_with("postgres:127.0.0.1:")) << name;
  EXPECT_TRUE(name.ends_with("/" + database.url().substr(database.url().rfind('/') + 1))) << name;
  EXPECT_EQ(name.find(testing::PostgresServer::kPassword), std::string::npos) << name;
  EXPECT_EQ(name.find(testing::PostgresServer::kUser), std::string::npos) << name;
}

}  // namespace
}  // namespace cloakroom
