#include "store/sqlite/change_feed.h"

#include <gtest/gtest.h>

#include "store/sqlite/session_store.h"
#include "support/temp_sqlite.h"

namespace cloakroom::sqlite {
namespace {

// changed() says true only after another connection committed; quiet ticks
// say false, so the events table is read only when there may be news. The
// feed has a connection of its own, so the stores' commits count too.
TEST(SqliteChangeFeed, ChangedOnlyAfterACommit) {
  testing::TempSqlite file;
  auto follower = Database::open(file.path());
  ASSERT_TRUE(follower);
  ChangeFeed feed(*follower);
  SessionStore sessions(file.db());

  ASSERT_TRUE(feed.changed());  // the first call cannot know
  EXPECT_FALSE(*feed.changed());
  ASSERT_TRUE(sessions.create(SessionRecord{"s1", std::string(32, 'h'), "u", 1, 1, 9, "", "", false}));
  EXPECT_TRUE(*feed.changed());
  EXPECT_FALSE(*feed.changed());  // once per commit
  ASSERT_TRUE(sessions.remove("s1"));
  EXPECT_TRUE(*feed.changed());
  auto entries = feed.read(0, 10);
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ(entries->front().change.kind, Change::Kind::session_revoked);
}

// A kind written by a newer cloakroom keeps its position but is not guessed at.
TEST(SqliteChangeFeed, UnknownKindsAreSteppedOver) {
  testing::TempSqlite file;
  ChangeFeed feed(file.db());
  ASSERT_TRUE(file.db()->run([](Connection& c) {
    return done(c.exec("INSERT INTO events (kind, subject, value, created_ms) VALUES ('from_the_future', 'x', 0, 1)"));
  }));
  ASSERT_TRUE(feed.append(Change{Change::Kind::user_changed, "u1"}));
  auto entries = feed.read(0, 10);
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_FALSE((*entries)[0].known);
  EXPECT_TRUE((*entries)[1].known);
  EXPECT_EQ((*entries)[1].change.subject, "u1");
}

// The registry keeps one row per node with its positions, replaced on each
// beat, and forgets nodes that left or stopped beating.
TEST(SqliteNodeRegistry, BeatsListAndPrunes) {
  testing::TempSqlite file;
  NodeRegistry registry(file.db());
  ASSERT_TRUE(registry.beat(NodeRecord{"h/a:1", "h", "a:1", 10, 100, 1000, {{"feed-a", 5}}}));
  ASSERT_TRUE(registry.beat(NodeRecord{"h/a:2", "h", "a:2", 11, 100, 1500, {{"feed-a", 3}, {"feed-b", 9}}}));
  ASSERT_TRUE(registry.beat(NodeRecord{"h/a:1", "h", "a:1", 10, 100, 2000, {{"feed-a", 7}}}));
  auto nodes = registry.list();
  ASSERT_TRUE(nodes);
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_EQ((*nodes)[0].heartbeat_ms, 2000);
  EXPECT_EQ((*nodes)[0].applied_on("feed-a"), 7);
  EXPECT_EQ((*nodes)[1].applied_on("feed-b"), 9);
  EXPECT_EQ((*nodes)[1].applied_on("feed-c"), 0);
  ASSERT_TRUE(registry.prune(1800));
  ASSERT_EQ(registry.list()->size(), 1u);
  ASSERT_TRUE(registry.leave("h/a:1"));
  EXPECT_TRUE(registry.list()->empty());
}

}  // namespace
}  // namespace cloakroom::sqlite
namespace cloakroom::sqlite {
namespace {
TEST(SqliteChangeFeed, DebugBoundsFromOtherConnection) {
  testing::TempSqlite file;
  auto follower = Database::open(file.path());
  ChangeFeed feed(*follower);
  auto b0 = feed.bounds();
  ASSERT_TRUE(b0);
  EXPECT_EQ(b0->first, 1);
  EXPECT_EQ(b0->last, 0);
  ASSERT_TRUE(file.db()->run([](Connection& c) { return record_change(c, Change::Kind::user_changed, "u"); }));
  (void)feed.changed();
  auto b1 = feed.bounds();
  ASSERT_TRUE(b1);
  EXPECT_EQ(b1->first, 1);
  EXPECT_EQ(b1->last, 1);
}
}  // namespace
}  // namespace cloakroom::sqlite
