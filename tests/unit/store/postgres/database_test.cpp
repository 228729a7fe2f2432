#include "store/postgres/database.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <future>
#include <thread>

#include "store/postgres/change_feed.h"
#include "store/postgres/user_store.h"
#include "support/postgres_server.h"

namespace cloakroom {
namespace {

using namespace std::chrono_literals;
using postgres::Connection;
using postgres::Database;
using testing::PostgresServer;
using testing::TempPostgres;

// A plain libpq connection for what the tests do beside the code under test.
class RawConnection {
 public:
  explicit RawConnection(const std::string& url) : c_(PQconnectdb(url.c_str())) {}
  ~RawConnection() { PQfinish(c_); }
  bool ok() const { return PQstatus(c_) == CONNECTION_OK; }
  bool exec(const std::string& sql) {
    PGresult* r = PQexec(c_, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    return ok;
  }
  long long number(const std::string& sql) {
    PGresult* r = PQexec(c_, sql.c_str());
    const long long n = PQresultStatus(r) == PGRES_TUPLES_OK ? std::atoll(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    return n;
  }
  // Polls a count until it is `want`, for at most about 5 s.
  bool eventually(const std::string& sql, long long want) {
    for (int i = 0; i < 500; ++i) {
      if (number(sql) == want) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

 private:
  PGconn* c_;
};

constexpr char kWaitingOnLocks[] =
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'";

// Several nodes opening one new database at once migrate it once: both
// opens wait on the advisory lock (held here until both wait), then one
// migrates and the other finds the work done.
TEST(PostgresDatabase, MigrationsRunOnceWhenOpensRace) {
  const std::string url = PostgresServer::shared().fresh_database();
  RawConnection holder(url), watcher(url);
  ASSERT_TRUE(holder.ok() && watcher.ok());
  ASSERT_TRUE(holder.exec("BEGIN"));
  ASSERT_TRUE(holder.exec("SELECT pg_advisory_xact_lock(7164893545201346671)"));

  auto a = std::async(std::launch::async, [&] { return Database::open(url); });
  auto b = std::async(std::launch::async, [&] { return Database::open(url); });
  ASSERT_TRUE(watcher.eventually(kWaitingOnLocks, 2));
  ASSERT_TRUE(holder.exec("COMMIT"));
  auto first = a.get();
  auto second = b.get();
  ASSERT_TRUE(first) << first.error().text();
  ASSERT_TRUE(second) << second.error().text();
  EXPECT_EQ((*first)->schema_version(), postgres::latest_schema_version());
  // One row per version: a second run of a migration would have failed on its primary key.
  EXPECT_EQ(watcher.number("SELECT count(*) FROM cloakroom_schema"), postgres::latest_schema_version());
  EXPECT_EQ(watcher.number("SELECT count(*) FROM cloakroom_feed_position"), 1);
}

// A database a newer cloakroom migrated is refused in one sentence, not used.
TEST(PostgresDatabase, RefusesNewerSchema) {
  TempPostgres database;
  ASSERT_TRUE(database.db()->run([](Connection& c) { return c.exec("INSERT INTO cloakroom_schema (version) VALUES (999)"); }));
  auto again = Database::open(database.url());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::store_unavailable);
  EXPECT_EQ(again.error().text(), "The PostgreSQL database " + postgres::redact_url(database.url()) +
                                      " has schema version 999, newer than this cloakroom understands (" +
                                      std::to_string(postgres::latest_schema_version()) + "); upgrade cloakroom.");
}

// While the server is down every call fails with store_unavailable (no
// crash, no hang); once it is back the same objects work again, nothing reopened.
TEST(PostgresDatabase, ReconnectsAfterTheServerRestarts) {
  TempPostgres database;
  postgres::UserStore users(database.db());
  postgres::ChangeFeed feed(database.open(1));
  ASSERT_TRUE(users.create(User{"u1", "alice", "h", {}, false, 1}));
  ASSERT_TRUE(feed.changed());

  PostgresServer::shared().stop();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(users.find_by_name("alice").error().code, ErrorCode::store_unavailable);
    EXPECT_EQ(users.set_disabled("u1", true).error().code, ErrorCode::store_unavailable);
    EXPECT_EQ(feed.changed().error().code, ErrorCode::store_unavailable);
    EXPECT_EQ(users.ping().error().code, ErrorCode::store_unavailable);
  }
  PostgresServer::shared().start();

  Result<User> found = ErrorCode::store_unavailable;
  for (int i = 0; i < 400 && !found; ++i) {  // the backoff is at most 2 s
    found = users.find_by_name("alice");
    if (!found) std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(found) << found.error().text();
  EXPECT_EQ(found->id, "u1");
  ASSERT_TRUE(users.set_disabled("u1", true));
  EXPECT_TRUE(users.find_by_id("u1")->disabled);
  Result<std::vector<FeedEntry>> entries = ErrorCode::store_unavailable;
  for (int i = 0; i < 400 && !entries; ++i) {
    entries = feed.read(0, 10);
    if (!entries) std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].change.subject, "u1");
}

// The pool never opens more than its size; a call that finds every
// connection busy fails with store_unavailable at its deadline, and one
// whose round trip outlives the deadline too (its connection is replaced).
TEST(PostgresDatabase, PoolAndRoundTripsAreBounded) {
  TempPostgres database;
  auto db = database.db();
  std::promise<void> go;
  std::shared_future<void> released = go.get_future().share();
  std::atomic<int> holding = 0;
  std::vector<std::future<Result<int>>> holders;
  for (int i = 0; i < postgres::kPoolSize; ++i)
    holders.push_back(std::async(std::launch::async, [&] {
      return db->run([&](Connection& c) {
        ++holding;
        released.wait();
        return c.exec("SELECT 1");
      });
    }));
  for (int i = 0; i < 500 && holding < postgres::kPoolSize; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(holding, postgres::kPoolSize);
  auto starved = db->run([](Connection& c) { return c.exec("SELECT 1"); }, 100ms);
  ASSERT_FALSE(starved);
  EXPECT_EQ(starved.error().code, ErrorCode::store_unavailable);
  go.set_value();
  for (auto& h : holders) EXPECT_TRUE(h.get());

  RawConnection watcher(database.url());
  EXPECT_EQ(watcher.number("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
                           "application_name = 'cloakroom'"),
            postgres::kPoolSize);

  auto slow = db->run([](Connection& c) { return c.exec("SELECT pg_sleep(5)"); }, 100ms);
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.error().code, ErrorCode::store_unavailable);
  EXPECT_TRUE(db->run([](Connection& c) { return c.exec("SELECT 1"); }));
}

// A statement given up at its deadline is cancelled on the server, not
// only abandoned: an UPDATE queued behind another connection's row lock
// leaves no statement of ours waiting (and so none holding locks), and
// does not run once the lock is released.
TEST(PostgresDatabase, ATimedOutStatementIsCancelledOnTheServer) {
  TempPostgres database;
  postgres::UserStore users(database.db());
  ASSERT_TRUE(users.create(User{"u1", "alice", "h", {}, false, 1}));
  RawConnection holder(database.url()), watcher(database.url());
  ASSERT_TRUE(holder.ok() && watcher.ok());
  ASSERT_TRUE(holder.exec("BEGIN"));
  ASSERT_TRUE(holder.exec("SELECT 1 FROM cloakroom_users WHERE id = 'u1' FOR UPDATE"));

  auto blocked = database.db()->run(
      [](Connection& c) { return c.exec("UPDATE cloakroom_users SET disabled = true WHERE id = 'u1'"); }, 200ms);
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code, ErrorCode::store_unavailable);
  EXPECT_TRUE(watcher.eventually("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
                                 "application_name = 'cloakroom' AND state = 'active'",
                                 0));
  ASSERT_TRUE(holder.exec("COMMIT"));
  // Had it only been left waiting, it would take the row now and commit.
  ASSERT_TRUE(watcher.eventually("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
                                 "application_name = 'cloakroom' AND state = 'active'",
                                 0));
  EXPECT_EQ(watcher.number("SELECT count(*) FROM cloakroom_users WHERE disabled"), 0);
}

// The password is never in an error message or a log line, whether the
// server refuses it, nobody listens, or libpq cannot parse the URL.
TEST(PostgresDatabase, ErrorsNeverShowThePassword) {
  const std::string secret = "Wrong-S3cret-pw";
  const std::string port = std::to_string(PostgresServer::shared().port());
  ::testing::internal::CaptureStderr();
  auto refused = Database::open("postgres://cloakroom:" + secret + "@127.0.0.1:" + port + "/postgres");
  auto nobody = Database::open("postgres://cloakroom:" + secret + "@127.0.0.1:1/postgres");
  auto in_query = Database::open("postgresql://cloakroom@127.0.0.1:1/postgres?password=" + secret + "&sslmode=disable");
  auto malformed = Database::open("postgres://cloakroom:" + secret + "%zz@127.0.0.1:1/postgres");
  const std::string logs = ::testing::internal::GetCapturedStderr();

  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::store_unavailable);
  EXPECT_NE(refused.error().text().find("postgres://cloakroom:***@127.0.0.1:" + port + "/postgres"), std::string::npos)
      << refused.error().text();
  EXPECT_NE(refused.error().text().find("password authentication failed"), std::string::npos) << refused.error().text();
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error().code, ErrorCode::store_unavailable);
  ASSERT_FALSE(in_query);
  EXPECT_NE(in_query.error().text().find("?password=***&sslmode=disable"), std::string::npos) << in_query.error().text();
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().code, ErrorCode::config_invalid);
  for (const auto* r : {&refused, &nobody, &in_query, &malformed}) {
    EXPECT_EQ(r->error().text().find(secret), std::string::npos) << r->error().text();
    EXPECT_EQ(r->error().text().find("S3cret"), std::string::npos) << r->error().text();
  }
  EXPECT_NE(logs.find("postgres_unreachable"), std::string::npos) << logs;
  EXPECT_EQ(logs.find("S3cret"), std::string::npos) << logs;
}

// redact_url hides the password wherever libpq would find one, and only that.
TEST(PostgresUrl, RedactsThePassword) {
  using postgres::redact_url;
  EXPECT_EQ(redact_url("postgres://u:pw@h:5432/db?sslmode=require"), "postgres://u:***@h:5432/db?sslmode=require");
  EXPECT_EQ(redact_url("postgres://u@h/db"), "postgres://u@h/db");
  EXPECT_EQ(redact_url("postgres://h/db?user=u&password=pw&sslmode=verify-full"),
            "postgres://h/db?user=u&password=***&sslmode=verify-full");
  EXPECT_EQ(redact_url("postgresql://u:p@ss/w:rd@h/db"), "postgresql://u:***@h/db");  // unescaped '@' and '/'
  EXPECT_EQ(redact_url("postgres://u:pw@h1:5432,h2:5433/db"), "postgres://u:***@h1:5432,h2:5433/db");
  EXPECT_EQ(postgres::scrub("token \"p%40ss\" and p@ss", "postgres://u:p%40ss@h/db"), "token \"***\" and ***");
}

// A password may hold '?' or '#' as they are (libpq reads them), '@' and
// '/' only escaped: the redaction and the log name never show any of it,
// and an unescaped '@' or '/' (which libpq would take for the host or the
// database) is refused without quoting the URL.
TEST(PostgresUrl, PasswordsWithUrlCharactersNeverShow) {
  using postgres::redact_url;
  EXPECT_EQ(redact_url("postgres://bob:s3cr?et@127.0.0.1:1/db"), "postgres://bob:***@127.0.0.1:1/db");
  EXPECT_EQ(redact_url("postgres://bob:s3cr#et@127.0.0.1:1/db"), "postgres://bob:***@127.0.0.1:1/db");
  EXPECT_EQ(redact_url("postgres://bob:s3cr?et@h:1/db?sslmode=require&password=x"),
            "postgres://bob:***@h:1/db?sslmode=require&password=***");
  EXPECT_EQ(redact_url("postgres://bob:s3cr/et@127.0.0.1:1/db"), "postgres://bob:***@127.0.0.1:1/db");
  EXPECT_EQ(redact_url("postgres://bob:s3cr@et@127.0.0.1:1/db"), "postgres://bob:***@127.0.0.1:1/db");
  EXPECT_EQ(redact_url("postgres://bob:s3cr%40et@127.0.0.1:1/db"), "postgres://bob:***@127.0.0.1:1/db");
  for (const char* url : {"postgres://bob:s3cr?et@127.0.0.1:1/db", "postgres://bob:s3cr#et@127.0.0.1:1/db",
                          "postgres://bob:s3cr%40et@127.0.0.1:1/db", "postgres://bob:s3cr%2Fet@127.0.0.1:1/db"}) {
    EXPECT_TRUE(postgres::check_url(url)) << url;
    Database db(url, 1);
    EXPECT_EQ(db.name(), "postgres:127.0.0.1:1/db") << url;
    EXPECT_EQ(db.redacted_url(), "postgres://bob:***@127.0.0.1:1/db") << url;
  }
  // libpq reads the password of the '?' and '#' cases whole.
  for (const char* url : {"postgres://bob:s3cr?et@127.0.0.1:1/db", "postgres://bob:s3cr#et@127.0.0.1:1/db"}) {
    PQconninfoOption* options = PQconninfoParse(url, nullptr);
    ASSERT_NE(options, nullptr);
    std::string password;
    for (PQconninfoOption* o = options; o->keyword; ++o)
      if (std::string_view(o->keyword) == "password" && o->val) password = o->val;
    PQconninfoFree(options);
    EXPECT_EQ(password, std::string(url).substr(15, 7)) << url;
  }
  for (const char* url : {"postgres://bob:s3cr/et@127.0.0.1:1/db", "postgres://bob:s3cr@et@127.0.0.1:1/db"}) {
    auto checked = postgres::check_url(url);
    ASSERT_FALSE(checked) << url;
    EXPECT_EQ(checked.error().text(),
              "is not a valid libpq connection URI (an unescaped '@' or '/' in its password (or after its host) would "
              "make libpq read part of the password as the host or the database; write them as %40 and %2F)");
    auto opened = Database::open(url, 1);
    ASSERT_FALSE(opened) << url;
    EXPECT_EQ(opened.error().code, ErrorCode::config_invalid);
    EXPECT_EQ(opened.error().text().find("s3cr"), std::string::npos) << opened.error().text();
    EXPECT_EQ(opened.error().text().find("et@"), std::string::npos) << opened.error().text();
    EXPECT_EQ(Database(url, 1).name(), "postgres:postgres://bob:***@127.0.0.1:1/db") << url;
  }
}

}  // namespace
}  // namespace cloakroom
