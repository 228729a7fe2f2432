#include "store/sqlite/database.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string_view>
#include <tuple>
#include <vector>

#include "store/sqlite/challenge_store.h"
#include "store/sqlite/change_feed.h"
#include "store/sqlite/session_store.h"
#include "store/sqlite/token_store.h"
#include "support/temp_sqlite.h"

namespace cloakroom::sqlite {
namespace {

unsigned mode_of(const std::string& path) {
  struct stat st{};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

// The database, its WAL and its shared-memory file are owner-only (0600),
// whatever the umask: they hold password hashes and session hashes.
TEST(SqliteDatabase, FilesAreOwnerOnly) {
  const mode_t old_umask = ::umask(022);  // the usual default, which gave 0644
  testing::TempSqlite db;
  ::umask(old_umask);
  ASSERT_TRUE(db.db()->run([](Connection& c) { return c.exec("CREATE TABLE t (x)"); }));
  for (const char* suffix : {"", "-wal", "-shm"}) EXPECT_EQ(mode_of(db.path() + suffix), 0600u) << suffix;
}

// A database an older version left 0644 (with its WAL) is tightened on open.
TEST(SqliteDatabase, OpeningTightensAnExistingFile) {
  const std::string path = ::testing::TempDir() + "/loose-" + std::to_string(::getpid()) + ".db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  std::ofstream(path).close();
  std::ofstream(path + "-wal").close();
  ::chmod(path.c_str(), 0644);
  ::chmod((path + "-wal").c_str(), 0644);
  ::testing::internal::CaptureStderr();
  {
    auto db = Database::open(path);
    ASSERT_TRUE(db);
    EXPECT_EQ(mode_of(path), 0600u);
    EXPECT_EQ(mode_of(path + "-wal"), 0600u);
  }
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("file_mode_tightened"), std::string::npos) << log;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

// Column lists glue into one constant text at compile time.
constexpr char kColumns[] = "k, t, b, n, f";
constexpr auto kSelect = sql("SELECT ", kColumns, " FROM t ORDER BY n");
static_assert(std::string_view(kSelect) == "SELECT k, t, b, n, f FROM t ORDER BY n");

using Row = std::tuple<std::string, std::string, std::string, long long, bool>;
Row read_row(const Statement& st) { return {st.text(0), st.text(1), st.text(2), st.integer(3), st.boolean(4)}; }

class DatabaseHelpers : public ::testing::Test {
 protected:
  template <class F>
  auto run(F&& f) {
    return file.db()->run(std::forward<F>(f));
  }
  void SetUp() override {
    ASSERT_TRUE(run([](Connection& c) {
      return c.exec("CREATE TABLE t (k TEXT PRIMARY KEY, t TEXT NOT NULL UNIQUE, b BLOB NOT NULL, n INTEGER NOT NULL, "
                    "f INTEGER NOT NULL) STRICT");
    }));
  }
  testing::TempSqlite file;
};

// Each argument binds by its type (a STRICT table refuses a wrong one), and
// a blob keeps its NUL bytes.
TEST_F(DatabaseHelpers, BindsByTypeAndReadsBack) {
  const std::string bytes("\x00\xff\x00", 3);
  const std::string key = "a";
  auto inserted = run([&](Connection& c) {
    return c.exec("INSERT INTO t (k, t, b, n, f) VALUES (?1, ?2, ?3, ?4, ?5)", key, std::string_view("text"),
                  Blob{bytes}, 42, true);
  });
  ASSERT_TRUE(inserted) << inserted.error().text();
  EXPECT_EQ(*inserted, 1);
  auto row = run([&](Connection& c) { return c.one(kSelect, read_row); });
  ASSERT_TRUE(row);
  EXPECT_EQ(*row, (Row{"a", "text", bytes, 42, true}));
  auto wrong_type = run([&](Connection& c) {
    return c.exec("INSERT INTO t (k, t, b, n, f) VALUES (?1, ?2, ?3, ?4, ?5)", "b", "u", "not a blob", 1, false);
  });
  ASSERT_FALSE(wrong_type);
  EXPECT_EQ(wrong_type.error().code, ErrorCode::store_unavailable);
}

// exec counts changed rows; query returns every row in order; one is
// not_found without a row.
TEST_F(DatabaseHelpers, ExecQueryOne) {
  for (long long n : {2, 1, 3})
    ASSERT_TRUE(run([&](Connection& c) {
      return c.exec("INSERT INTO t (k, t, b, n, f) VALUES (?1, ?1, x'00', ?2, 0)", std::to_string(n), n);
    }));
  auto rows = run([&](Connection& c) { return c.query(kSelect, read_row); });
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ(std::get<3>((*rows)[0]), 1);
  EXPECT_EQ(std::get<3>((*rows)[2]), 3);
  auto changed = run([](Connection& c) { return c.exec("UPDATE t SET f = 1 WHERE n >= ?1", 2); });
  ASSERT_TRUE(changed);
  EXPECT_EQ(*changed, 2);
  auto none = run([](Connection& c) { return c.one("SELECT n FROM t WHERE k = ?1", [](const Statement& s) { return s.integer(0); }, "nope"); });
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::not_found);
}

// UNIQUE and PRIMARY KEY violations are conflict, for the store to name.
TEST_F(DatabaseHelpers, ConstraintViolationIsConflict) {
  auto insert = [&](const char* k, const char* t) {
    return run([&](Connection& c) { return c.exec("INSERT INTO t (k, t, b, n, f) VALUES (?1, ?2, x'', 0, 0)", k, t); });
  };
  ASSERT_TRUE(insert("a", "one"));
  auto same_key = insert("a", "two");
  ASSERT_FALSE(same_key);
  EXPECT_EQ(same_key.error().code, ErrorCode::conflict);
  auto same_unique = insert("b", "one");
  ASSERT_FALSE(same_unique);
  EXPECT_EQ(same_unique.error().code, ErrorCode::conflict);
}

// One SQL text is one statement: a second one would be skipped silently, so
// the text is refused instead.
TEST_F(DatabaseHelpers, RefusesTwoStatementsInOneText) {
  auto r = run([](Connection& c) { return c.exec("DELETE FROM t; DROP TABLE t"); });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::store_unavailable);
  EXPECT_TRUE(run([](Connection& c) { return c.exec("DELETE FROM t;"); }));  // a trailing ';' is one statement
}

// A failed transaction leaves nothing behind.
TEST_F(DatabaseHelpers, TransactionRollsBack) {
  auto r = file.db()->transaction([](Connection& c) -> Result<void> {
    if (auto a = c.exec("INSERT INTO t (k, t, b, n, f) VALUES ('a', 'a', x'', 0, 0)"); !a) return a.error();
    return done(c.exec("INSERT INTO t (k, t, b, n, f) VALUES ('a', 'b', x'', 0, 0)"));
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::conflict);
  auto rows = run([](Connection& c) { return c.query(kSelect, read_row); });
  ASSERT_TRUE(rows);
  EXPECT_TRUE(rows->empty());
}

// A relaxed transaction (a heartbeat's) commits like any other and leaves the
// connection at synchronous=FULL (2) again, committed or rolled back: every
// other write still waits for the disk.
TEST_F(DatabaseHelpers, RelaxedTransactionRestoresFullSync) {
  auto sync_level = [&] {
    return run([](Connection& c) { return c.one("PRAGMA synchronous", [](const Statement& s) { return s.integer(0); }); });
  };
  ASSERT_EQ(*sync_level(), 2);
  ASSERT_TRUE(file.db()->transaction(
      [](Connection& c) { return done(c.exec("INSERT INTO t (k, t, b, n, f) VALUES ('a', 'a', x'', 0, 0)")); },
      kStoreWait, Database::Sync::relaxed));
  EXPECT_EQ(*sync_level(), 2);
  auto failed = file.db()->transaction(
      [](Connection& c) { return done(c.exec("INSERT INTO t (k, t, b, n, f) VALUES ('a', 'b', x'', 0, 0)")); },
      kStoreWait, Database::Sync::relaxed);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::conflict);
  EXPECT_EQ(*sync_level(), 2);
  auto rows = run([](Connection& c) { return c.query(kSelect, read_row); });
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->size(), 1u);
}

// Version 4 rewrites usernames an older build stored in another normalisation
// form: the NFD owner keeps their account (now found by the NFC key), and a
// row whose NFC key is already taken is left alone and logged.
TEST(SqliteDatabase, MigrationToFourStoresUsernamesInNfc) {
  const std::string nfd = "cafe\xCC\x81";          // "cafe" + U+0301
  const std::string nfc = "caf\xC3\xA9";           // U+00E9
  const std::string twin_nfd = "Bre\xCC\x81sil";    // NFD, and its NFC twin also exists
  const std::string twin_nfc = "Br\xC3\xA9sil";
  const std::string path = ::testing::TempDir() + "/cloakroom-nfc-" + std::to_string(::getpid()) + ".db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  {
    auto db = Database::open(path);
    ASSERT_TRUE(db);
    auto seeded = (*db)->run([&](Connection& c) -> Result<void> {
      const char* insert = "INSERT INTO users (id, username, username_key, password_hash, created_at) VALUES (?1, ?2, ?3, 'h', 1)";
      for (auto [id, name, key] : {std::tuple{"u1", nfd, nfd}, std::tuple{"u2", twin_nfd, std::string("bre\xCC\x81sil")},
                                    std::tuple{"u3", twin_nfc, std::string("br\xC3\xA9sil")}})
        if (auto r = c.exec(insert, std::string(id), name, key); !r) return r.error();
      // Back to what version 3 had: later migrations add tables and columns.
      for (const char* undo : {"ALTER TABLE sessions DROP COLUMN amr", "ALTER TABLE sessions DROP COLUMN auth_time_ms",
                               "ALTER TABLE refresh_families DROP COLUMN amr",
                               "ALTER TABLE refresh_families DROP COLUMN auth_time_ms",
                               "DROP TABLE password_resets", "DROP TABLE recovery_codes", "DROP TABLE totp", "DROP TABLE passkeys", "DROP TABLE challenges", "DROP TABLE challenge_counts", "DROP TABLE node_positions", "DROP TABLE nodes",
                               "ALTER TABLE events DROP COLUMN value",
                               "PRAGMA user_version = 3"})
        if (auto r = c.exec(undo); !r) return r.error();
      return {};
    });
    ASSERT_TRUE(seeded) << seeded.error().text();
  }
  ::testing::internal::CaptureStderr();
  auto db = Database::open(path);
  std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(db) << db.error().text();
  EXPECT_EQ((*db)->schema_version(), latest_schema_version());
  auto row = [&](const std::string& id) {
    return (*db)->run([&](Connection& c) {
      return c.one("SELECT username, username_key FROM users WHERE id = ?1",
                   [](const Statement& st) { return std::pair{st.text(0), st.text(1)}; }, id);
    });
  };
  EXPECT_EQ(*row("u1"), std::pair(nfc, nfc));
  EXPECT_EQ(*row("u2"), std::pair(twin_nfd, std::string("bre\xCC\x81sil")));  // its NFC key is u3's
  EXPECT_EQ(*row("u3"), std::pair(twin_nfc, std::string("br\xC3\xA9sil")));
  EXPECT_NE(log.find("username_nfc_conflict"), std::string::npos) << log;
  db->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

}  // namespace
}  // namespace cloakroom::sqlite

namespace cloakroom::sqlite {
namespace {

// A database file replaced or removed under an open connection fails every
// call (writes would be lost to everyone else) until the file is back.
TEST(SqliteDatabase, FailsWhileTheFileIsNotTheOneOpened) {
  testing::TempSqlite file;
  auto db = file.db();
  auto ping = [&] { return db->run([](Connection& c) { return done(c.exec("SELECT 1")); }); };
  ASSERT_TRUE(ping());
  const std::string aside = file.path() + ".aside";
  ASSERT_EQ(::rename(file.path().c_str(), aside.c_str()), 0);
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(ping().error().code, ErrorCode::store_unavailable);  // removed
  { auto other = Database::open(file.path()); ASSERT_TRUE(other); }  // another file at the path
  EXPECT_EQ(ping().error().code, ErrorCode::store_unavailable);
  std::filesystem::remove(file.path());
  ASSERT_EQ(::rename(aside.c_str(), file.path().c_str()), 0);
  EXPECT_TRUE(ping());
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("database_file_replaced"), std::string::npos) << log;
  EXPECT_NE(log.find("database_file_back"), std::string::npos) << log;
}

// Version 7 records how each session and refresh family signed in; rows
// from before read as password logins at their creation.
TEST(SqliteDatabase, MigrationToNineReadsOldRowsAsPasswordAtCreation) {
  const std::string path = ::testing::TempDir() + "/cloakroom-amr-" + std::to_string(::getpid()) + ".db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  {
    auto db = Database::open(path);
    ASSERT_TRUE(db);
    auto seeded = (*db)->run([&](Connection& c) -> Result<void> {
      for (const char* step :
           {"ALTER TABLE sessions DROP COLUMN amr", "ALTER TABLE sessions DROP COLUMN auth_time_ms",
            "ALTER TABLE refresh_families DROP COLUMN amr", "ALTER TABLE refresh_families DROP COLUMN auth_time_ms",
            "INSERT INTO sessions (id, secret_hash, user_id, created_ms, last_seen_ms, expires_ms, ip, user_agent, "
            "remember) VALUES ('s1', x'00', 'u1', 1000, 2000, 9000, '', '', 0)",
            "INSERT INTO refresh_families (id, user_id, chain_key, current_hash, generation, created_ms, rotated_ms, "
            "expires_ms, ip, user_agent, remember) VALUES ('f1', 'u1', x'00', x'00', 3, 1100, 5000, 9000, '', '', 0)",
            "DROP TABLE password_resets", "DROP TRIGGER challenges_count_insert", "DROP TRIGGER challenges_count_delete",
            "DROP TRIGGER challenges_count_rekind", "DROP TABLE challenge_counts", "ALTER TABLE nodes DROP COLUMN kids",
            "ALTER TABLE nodes DROP COLUMN keys_refused", "PRAGMA user_version = 8"})
        if (auto r = c.exec(step); !r) return r.error();
      return {};
    });
    ASSERT_TRUE(seeded) << seeded.error().text();
  }
  auto db = Database::open(path);
  ASSERT_TRUE(db) << db.error().text();
  EXPECT_EQ((*db)->schema_version(), latest_schema_version());
  auto session = SessionStore(*db).find("s1");
  ASSERT_TRUE(session);
  EXPECT_EQ(session->amr, AuthMethods::password());
  EXPECT_EQ(session->auth_time_ms, 1000);
  auto family = TokenStore(*db).find_family("f1");
  ASSERT_TRUE(family);
  EXPECT_EQ(family->amr, AuthMethods::password());
  EXPECT_EQ(family->auth_time_ms, 1100);
  db->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

// Migration 12 adds the keys a node reports (HeldKeys); a row beaten by an
// older process reads back as one that reports none, not as one that holds none.
TEST(SqliteDatabase, MigrationToTwelveReadsOldNodesAsReportingNoKeys) {
  const std::string path = ::testing::TempDir() + "/cloakroom-kids-" + std::to_string(::getpid()) + ".db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  {
    auto db = Database::open(path);
    ASSERT_TRUE(db);
    auto seeded = (*db)->run([&](Connection& c) -> Result<void> {
      for (const char* step :
           {"DROP TRIGGER challenges_count_insert", "DROP TRIGGER challenges_count_delete",
            "DROP TRIGGER challenges_count_rekind", "DROP TABLE challenge_counts",
            "CREATE INDEX challenges_by_kind ON challenges (kind)",
            "ALTER TABLE nodes DROP COLUMN kids", "ALTER TABLE nodes DROP COLUMN keys_refused",
            "INSERT INTO nodes (id, host, address, pid, started_ms, heartbeat_ms) VALUES ('h/a:1', 'h', 'a:1', 7, 1, 2)",
            "PRAGMA user_version = 11"})
        if (auto r = c.exec(step); !r) return r.error();
      return {};
    });
    ASSERT_TRUE(seeded) << seeded.error().text();
  }
  auto db = Database::open(path);
  ASSERT_TRUE(db) << db.error().text();
  EXPECT_EQ((*db)->schema_version(), latest_schema_version());
  auto nodes = NodeRegistry(*db).list();
  ASSERT_TRUE(nodes);
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_FALSE((*nodes)[0].keys.reported_any());
  EXPECT_FALSE((*nodes)[0].keys.refused);
  db->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

// Version 13 counts challenges per kind in a table its triggers keep: a
// file from version 12 with challenges pending starts with their counts,
// and the bound holds against them at once.
TEST(SqliteDatabase, MigrationToThirteenCountsThePendingChallenges) {
  const std::string path = ::testing::TempDir() + "/cloakroom-counts-" + std::to_string(::getpid()) + ".db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  {
    auto db = Database::open(path);
    ASSERT_TRUE(db);
    auto seeded = (*db)->run([&](Connection& c) -> Result<void> {
      for (const char* step :
           {"DROP TRIGGER challenges_count_insert", "DROP TRIGGER challenges_count_delete",
            "DROP TRIGGER challenges_count_rekind", "DROP TABLE challenge_counts",
            "CREATE INDEX challenges_by_kind ON challenges (kind)", "PRAGMA user_version = 12",
            "INSERT INTO challenges (id_hash, kind, payload, expires_ms) VALUES (x'01', 'login', '', 9000), "
            "(x'02', 'login', '', 9000), (x'03', 'passkey_login', '', 9000)"})
        if (auto r = c.exec(step); !r) return r.error();
      return {};
    });
    ASSERT_TRUE(seeded) << seeded.error().text();
  }
  auto db = Database::open(path);
  ASSERT_TRUE(db) << db.error().text();
  EXPECT_EQ((*db)->schema_version(), latest_schema_version());
  auto counts = (*db)->run([](Connection& c) {
    return c.query("SELECT kind, n FROM challenge_counts ORDER BY kind",
                   [](const Statement& st) { return std::pair{st.text(0), st.integer(1)}; });
  });
  ASSERT_TRUE(counts);
  EXPECT_EQ(*counts, (std::vector<std::pair<std::string, long long>>{{"login", 2}, {"passkey_login", 1}}));
  ChallengeStore bounded(*db, 2);
  auto full = bounded.put({std::string(32, 'x'), "login", "", 9000, 0}, 1000);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, ErrorCode::overloaded);
  EXPECT_TRUE(bounded.put({std::string(32, 'y'), "passkey_login", "", 9000, 0}, 1000));
  db->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

}  // namespace
}  // namespace cloakroom::sqlite
