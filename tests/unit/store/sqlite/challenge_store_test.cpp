#include "store/sqlite/challenge_store.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "support/temp_sqlite.h"

// What only the SQLite store has: the per-kind counter its bound reads
// (table challenge_counts, kept by triggers). The behaviour every backend
// shares is in tests/unit/store/challenge_store_test.cpp.
namespace cloakroom::sqlite {
namespace {

using Counts = std::map<std::string, long long>;

class SqliteChallengeCounts : public ::testing::Test {
 protected:
  // The counter's rows, zeros left out.
  Counts counter() {
    return rows("SELECT kind, n FROM challenge_counts WHERE n != 0");
  }
  // What the rows themselves say.
  Counts counted() { return rows("SELECT kind, COUNT(*) FROM challenges GROUP BY kind"); }
  static std::string id(char c) { return std::string("\x00\xff", 2) + std::string(30, c); }
  static PendingChallenge of(char c, std::string kind, long long expires) {
    return PendingChallenge{id(c), std::move(kind), "", expires, 0};
  }

  testing::TempSqlite file;
  ChallengeStore store{file.db(), 3};

 private:
  Counts rows(const char* sql) {
    auto read = file.db()->run([&](Connection& c) {
      return c.query(sql, [](const Statement& st) { return std::pair{st.text(0), st.integer(1)}; });
    });
    EXPECT_TRUE(read);
    return read ? Counts(read->begin(), read->end()) : Counts{};
  }
};

// Every way a challenge comes and goes moves its kind's count, and only
// its kind's: insert, consume, an attempt that finds it spent or expired,
// the purge, and put()'s own purge at the bound; a refused put or a
// consume of nothing moves nothing. The bound refuses at exactly the limit.
TEST_F(SqliteChallengeCounts, TheCountFollowsEveryInsertAndDelete) {
  ASSERT_TRUE(store.put(of('a', "login", 2'000), 1000));  // expires first
  ASSERT_TRUE(store.put(of('b', "login", 90'000), 1000));
  ASSERT_TRUE(store.put(of('c', "login", 90'000), 1000));
  ASSERT_TRUE(store.put(of('p', "passkey_login", 2'000), 1000));
  EXPECT_EQ(counter(), (Counts{{"login", 3}, {"passkey_login", 1}}));
  auto full = store.put(of('d', "login", 90'000), 1000);  // at the limit, nothing expired
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, ErrorCode::overloaded);
  EXPECT_EQ(counter(), (Counts{{"login", 3}, {"passkey_login", 1}}));

  ASSERT_TRUE(store.put(of('d', "login", 90'000), 3000));  // 'a' expired: put drops it, takes its place
  EXPECT_EQ(counter(), (Counts{{"login", 3}}));             // its purge took the expired passkey_login too
  EXPECT_EQ(counter(), counted());

  ASSERT_EQ(*store.consume(id('b')), true);
  ASSERT_EQ(*store.consume(id('b')), false);
  EXPECT_EQ(counter(), (Counts{{"login", 2}}));

  EXPECT_TRUE(*store.attempt(id('c'), "login", 3000, 1));
  EXPECT_FALSE(*store.attempt(id('c'), "login", 3000, 1));  // spent: removed
  EXPECT_EQ(counter(), (Counts{{"login", 1}}));
  ASSERT_TRUE(store.put(of('e', "login", 4'000), 3000));
  EXPECT_FALSE(*store.attempt(id('e'), "login", 5000, 5));  // expired: removed
  EXPECT_EQ(counter(), (Counts{{"login", 1}}));

  ASSERT_TRUE(store.put(of('f', "login", 6'000), 5000));
  ASSERT_TRUE(store.put(of('g', "passkey_login", 6'000), 5000));
  EXPECT_EQ(*store.purge_expired(7000), 2u);
  EXPECT_EQ(counter(), (Counts{{"login", 1}}));
  EXPECT_EQ(counter(), counted());

  // Back up to the limit and past it: refused at exactly three.
  ASSERT_TRUE(store.put(of('h', "login", 90'000), 7000));
  ASSERT_TRUE(store.put(of('i', "login", 90'000), 7000));
  EXPECT_EQ(store.put(of('j', "login", 90'000), 7000).error().code, ErrorCode::overloaded);
  EXPECT_EQ(counter(), (Counts{{"login", 3}}));
  EXPECT_EQ(counter(), counted());
}

}  // namespace
}  // namespace cloakroom::sqlite
