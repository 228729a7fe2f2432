#include "store/sqlite/session_store.h"

#include <gtest/gtest.h>

#include "support/temp_sqlite.h"

namespace cloakroom::sqlite {
namespace {

// changed() says true only after another connection (another process: the
// CLI, another server) committed; the server's own writes and quiet ticks say
// false, so the event log is read only when there may be news.
TEST(SqliteEventLog, ChangedOnlyAfterAnotherConnectionCommits) {
  testing::TempSqlite file;
  auto other = Database::open(file.path());  // a second connection, as the CLI would have
  ASSERT_TRUE(other);
  EventLog server(file.db());
  EventLog cli(*other);

  ASSERT_TRUE(server.changed());  // the first call cannot know: it says true
  auto quiet = server.changed();
  ASSERT_TRUE(quiet);
  EXPECT_FALSE(*quiet);

  ASSERT_TRUE(server.append(StoreEvent::Kind::session_revoked, "s1", 1));  // its own write
  EXPECT_FALSE(*server.changed());

  ASSERT_TRUE(cli.append(StoreEvent::Kind::user_changed, "u1", 2));
  EXPECT_TRUE(*server.changed());
  EXPECT_FALSE(*server.changed());  // once per commit
  auto events = server.since(0);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ(events->back().subject, "u1");
}

}  // namespace
}  // namespace cloakroom::sqlite
