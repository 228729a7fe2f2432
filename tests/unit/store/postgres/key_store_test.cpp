#include "store/postgres/key_store.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "store/postgres/change_feed.h"
#include "support/postgres_server.h"

namespace cloakroom {
namespace {

using testing::TempPostgres;

// Bytes with a NUL and every high bit: the blob is binary, stored and read back exactly.
std::string blob(char tag) { return std::string("\x01\x00\xff\x80 sealed ", 13) + tag; }

// Nothing stored: load is not_found and the version 0; the first create
// stores version 1, a second create (another node's first start) changes
// nothing and returns what the first stored.
TEST(PostgresKeyStore, FirstCreateWins) {
  TempPostgres database;
  postgres::KeyStore keys(database.db());
  EXPECT_EQ(keys.load().error().code, ErrorCode::not_found);
  EXPECT_EQ(*keys.version(), 0);
  auto first = keys.create(blob('a'));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->version, 1);
  EXPECT_EQ(first->sealed, blob('a'));
  auto second = keys.create(blob('b'));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->sealed, blob('a'));
  EXPECT_EQ(*keys.version(), 1);
}

// Many nodes starting at once on an empty store: all end up with the one blob that was stored.
TEST(PostgresKeyStore, ConcurrentFirstStartsAgree) {
  TempPostgres database;
  constexpr int kNodes = 6;
  std::vector<std::string> got(kNodes);
  std::vector<std::thread> nodes;
  for (int i = 0; i < kNodes; ++i)
    nodes.emplace_back([&, i] {
      postgres::KeyStore keys(database.open(1));
      if (auto r = keys.create(blob(static_cast<char>('a' + i)))) got[i] = r->sealed;
    });
  for (auto& t : nodes) t.join();
  const std::string stored = postgres::KeyStore(database.db()).load()->sealed;
  for (const auto& g : got) EXPECT_EQ(g, stored);
}

// An update gets what is stored, stores what it returns with the next
// version, and records keys_changed in the users' feed in the same
// transaction; a failed change stores nothing and records nothing.
TEST(PostgresKeyStore, UpdateRecordsKeysChanged) {
  TempPostgres database;
  postgres::KeyStore keys(database.db());
  postgres::ChangeFeed feed(database.open(1));
  EXPECT_EQ(keys.update([](const SealedKeys&) -> Result<std::string> { return std::string("x"); }).error().code,
            ErrorCode::not_found);
  ASSERT_TRUE(keys.create(blob('a')));
  auto updated = keys.update([](const SealedKeys& now) -> Result<std::string> {
    EXPECT_EQ(now.sealed, blob('a'));
    EXPECT_EQ(now.version, 1);
    return blob('b');
  });
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(keys.load()->sealed, blob('b'));
  auto entries = feed.read(0, 10);
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].change.kind, Change::Kind::keys_changed);

  auto refused = keys.update([](const SealedKeys&) -> Result<std::string> { return Error{ErrorCode::config_invalid, "no"}; });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().text(), "no");
  EXPECT_EQ(*keys.version(), 2);
  EXPECT_EQ(feed.read(0, 10)->size(), 1u);
}

// Two updates at once (two `cloakroom key` commands): the row lock makes
// the second see the first's result, so neither change is lost.
TEST(PostgresKeyStore, ConcurrentUpdatesLoseNothing) {
  TempPostgres database;
  ASSERT_TRUE(postgres::KeyStore(database.db()).create("start"));
  constexpr int kWriters = 4;
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i)
    writers.emplace_back([&, i] {
      postgres::KeyStore keys(database.open(1));
      (void)keys.update([&](const SealedKeys& now) -> Result<std::string> { return now.sealed + static_cast<char>('0' + i); });
    });
  for (auto& t : writers) t.join();
  auto stored = postgres::KeyStore(database.db()).load();
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->version, 1 + kWriters);
  EXPECT_EQ(stored->sealed.size(), std::string("start").size() + kWriters);
  for (int i = 0; i < kWriters; ++i) EXPECT_NE(stored->sealed.find(static_cast<char>('0' + i)), std::string::npos);
}

}  // namespace
}  // namespace cloakroom
