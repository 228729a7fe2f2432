#pragma once
// A real PostgreSQL 15 for tests (Debian's postgresql-15, no mock): initdb
// and postgres in a temporary directory, listening only on 127.0.0.1 on a
// free port (its unix socket inside that directory). Run as the `postgres`
// system user when the tests run as root, which PostgreSQL refuses. One
// server per test binary, started on first use, stopped by pid at exit.
//
//   auto& pg = testing::PostgresServer::shared();   // starts it the first time (initdb: a second or two)
//   testing::TempPostgres db;                        // an empty database on it, migrated: db.db(), db.url()
//   pg.stop(); ... pg.start();                       // a restart: same port, same data
//
// Call shared() first from the main thread: the server is told to stop when
// the thread that started it ends (so a crashed test binary leaves none behind).
// Failures to start or create throw std::runtime_error: GoogleTest reports
// them as the test's failure instead of a crash on a null database.
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "store/postgres/database.h"

namespace cloakroom::testing {

class PostgresServer {
 public:
  static constexpr const char* kUser = "cloakroom";  // the superuser initdb makes
  static constexpr const char* kPassword = "pg-test-Secret-42";

  static PostgresServer& shared();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // An empty database; its URL (postgres://cloakroom:PASSWORD@127.0.0.1:PORT/NAME).
  // Recycled when one was given back, else new.
  std::string fresh_database();
  // Empties the database (its public schema dropped and made again) for the
  // next fresh_database(). Why: CREATE DATABASE costs ~0.1-0.7 s, this ~10 ms.
  void recycle(const std::string& url);
  std::string url(const std::string& database) const;
  int port() const { return port_; }

  // Stops the server by pid (fast shutdown) and waits for it; start() brings it back on the same port.
  void stop();
  void start();

 private:
  PostgresServer();
  void run_initdb();

  std::string dir_;   // owned by the postgres user when we are root
  std::string data_;  // dir_/data
  int port_ = 0;
  pid_t pid_ = -1;
  int databases_ = 0;
  std::vector<std::string> recycled_;  // URLs
};

// An empty database on the shared server, opened (and so migrated), given
// back for reuse at the end: declare it before whatever uses its database.
class TempPostgres {
 public:
  TempPostgres();
  ~TempPostgres();
  TempPostgres(const TempPostgres&) = delete;
  TempPostgres& operator=(const TempPostgres&) = delete;
  const std::string& url() const { return url_; }
  std::shared_ptr<postgres::Database> db() const { return db_; }
  // Another pool on the same database (the feed's own connection).
  std::shared_ptr<postgres::Database> open(int pool_size) const;

 private:
  std::string url_;
  std::shared_ptr<postgres::Database> db_;
};

}  // namespace cloakroom::testing
