#pragma once
// One SQLite database file in WAL mode, shared by every sqlite:// store that
// names the same path, with versioned schema migrations.
//
//   auto db = sqlite::Database::open("data/cloakroom.db");   // migrates to the latest schema
//   (*db)->run([&](sqlite::Connection& c) -> Result<void> {
//     auto st = c.prepare("SELECT id FROM users WHERE username_key = ?1");
//     st.bind(1, key);
//     ...
//   });
//
// Access is serialised by a mutex: writes are rare (logins, revocations) and
// hot reads are meant to be served from in-process caches, not SQL.
// synchronous=FULL: a write that returned survives kill -9 and power loss.
//
// Every call has one deadline (kStoreWait) for getting the mutex and then
// SQLite's write lock: another process holding the database (a backup, an
// admin's sqlite3 shell, the CLI) turns into store_unavailable (503 +
// Retry-After) within that bound instead of a stall. Callers run on the
// store WorkPool, never on an I/O thread.
#include <sqlite3.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "core/result.h"

namespace cloakroom::sqlite {

// A prepared statement borrowed from the connection's cache; reset on destruction.
class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  void bind(int index, std::string_view text);
  void bind(int index, long long value);
  void bind_blob(int index, std::string_view bytes);
  // true: a row is ready; false: done. Errors map to store_unavailable,
  // or username_taken for a UNIQUE violation (the caller may remap it).
  Result<bool> step();
  // Steps through every remaining row, turning each into a value with read(*this).
  template <class F>
  auto collect(F&& read) -> Result<std::vector<decltype(read(*this))>> {
    std::vector<decltype(read(*this))> out;
    for (;;) {
      auto row = step();
      if (!row) return row.error();
      if (!*row) return out;
      out.push_back(read(*this));
    }
  }
  std::string text(int column) const;  // also reads BLOBs
  long long integer(int column) const;
  bool ok() const { return stmt_ != nullptr; }

 private:
  sqlite3_stmt* stmt_;
};

class Connection {
 public:
  explicit Connection(sqlite3* db) : db_(db) {}
  ~Connection();
  // Statements are prepared once per SQL text and cached.
  Statement prepare(const char* sql);
  Result<void> exec(const char* sql);
  sqlite3* raw() { return db_; }
  // How long SQLite may wait for another process's lock during the next calls.
  void busy_wait(std::chrono::milliseconds wait);
  int changes() const { return sqlite3_changes(db_); }

 private:
  sqlite3* db_;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

// The longest a store call waits for the database before it fails.
inline constexpr std::chrono::milliseconds kStoreWait{2000};

class Database {
 public:
  static Result<std::shared_ptr<Database>> open(const std::string& path);
  explicit Database(sqlite3* db, std::string path) : conn_(db), path_(std::move(path)) {}

  // Runs `f(Connection&)` (which returns a Result) with the database to
  // itself; store_unavailable when that cannot happen within `wait`.
  template <class F>
  std::invoke_result_t<F&, Connection&> run(F&& f, std::chrono::milliseconds wait = kStoreWait) {
    auto deadline = std::chrono::steady_clock::now() + wait;
    std::unique_lock lock(mu_, std::defer_lock);
    if (!lock.try_lock_until(deadline)) return busy();
    conn_.busy_wait(remaining(deadline));
    return f(conn_);
  }
  // Runs `f` inside BEGIN IMMEDIATE ... COMMIT; rolls back when f fails.
  Result<void> transaction(const std::function<Result<void>(Connection&)>& f);
  // Whether a write could start now (takes and releases the write lock).
  Result<void> probe_writable(std::chrono::milliseconds wait);

  const std::string& path() const { return path_; }
  int schema_version();

 private:
  static std::chrono::milliseconds remaining(std::chrono::steady_clock::time_point deadline);
  Error busy() const;

  std::timed_mutex mu_;
  Connection conn_;
  std::string path_;
};

// The latest schema version this build knows.
int latest_schema_version();

}  // namespace cloakroom::sqlite
