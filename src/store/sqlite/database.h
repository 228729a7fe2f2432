#pragma once
// One SQLite database file in WAL mode, shared by every sqlite:// store that
// names the same path, with versioned schema migrations, and the one way the
// stores talk SQL: exec / query / one, binding ?1..?N by the arguments' types.
//
//   auto db = sqlite::Database::open("data/cloakroom.db");   // migrates to the latest schema
//   auto user = (*db)->run([&](sqlite::Connection& c) {
//     return c.one("SELECT id, username FROM users WHERE username_key = ?1", read_user, key);  // not_found: no row
//   });
//   (*db)->run([&](sqlite::Connection& c) { return c.exec("DELETE FROM sessions WHERE id = ?1", id); });  // -> changes
//   c.exec("INSERT INTO sessions (id, secret_hash) VALUES (?1, ?2)", id, sqlite::Blob{hash});  // a UNIQUE clash: conflict
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
#include <sys/stat.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/result.h"
#include "store/sql_text.h"

namespace cloakroom::sqlite {

// Bytes bound as a BLOB (hashes, keys); a plain string binds as TEXT.
struct Blob {
  std::string_view bytes;
};

// A prepared statement borrowed from the connection's cache; reset on destruction.
class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Binds the arguments to ?1, ?2, ... in order, each by its type.
  template <class... Args>
  void bind_all(const Args&... args) {
    int index = 0;
    (bind(++index, args), ...);
  }
  // true: a row is ready; false: done. A UNIQUE or PRIMARY KEY violation is
  // conflict (the store says what clashed); anything else store_unavailable.
  Result<bool> step();
  std::string text(int column) const;  // also reads BLOBs
  long long integer(int column) const;
  bool boolean(int column) const { return integer(column) != 0; }
  bool ok() const { return stmt_ != nullptr; }

 private:
  template <class T>
  void bind(int index, const T& value) {
    // bool before the integers: it is one too.
    if constexpr (std::is_same_v<T, Blob>) bind_blob(index, value.bytes);
    else if constexpr (std::is_same_v<T, bool>) bind_integer(index, value ? 1 : 0);
    else if constexpr (std::is_integral_v<T>) bind_integer(index, static_cast<long long>(value));
    else {
      static_assert(std::is_convertible_v<const T&, std::string_view>, "bind text, a Blob, an integer or a bool");
      bind_text(index, std::string_view(value));
    }
  }
  void bind_text(int index, std::string_view text);
  void bind_integer(int index, long long value);
  void bind_blob(int index, std::string_view bytes);

  sqlite3_stmt* stmt_;
};

class Connection {
 public:
  explicit Connection(sqlite3* db) : db_(db) {}
  ~Connection();

  // Runs one statement that returns no rows to read; how many rows it changed.
  template <class... Args>
  Result<int> exec(const char* sql, const Args&... args) {
    auto st = prepare(sql);
    st.bind_all(args...);
    for (;;) {  // RETURNING rows nobody reads still have to be stepped through
      auto row = st.step();
      if (!row) return row.error();
      if (!*row) return changes();
    }
  }
  // Every row of the statement, each turned into a value by read(const Statement&).
  template <class Read, class... Args>
  auto query(const char* sql, Read&& read, const Args&... args)
      -> Result<std::vector<std::invoke_result_t<Read&, const Statement&>>> {
    auto st = prepare(sql);
    st.bind_all(args...);
    std::vector<std::invoke_result_t<Read&, const Statement&>> out;
    for (;;) {
      auto row = st.step();
      if (!row) return row.error();
      if (!*row) return out;
      out.push_back(read(std::as_const(st)));
    }
  }
  // The first row, read(const Statement&); not_found when there is none. The
  // statement runs to its end, so an INSERT ... RETURNING is complete.
  template <class Read, class... Args>
  auto one(const char* sql, Read&& read, const Args&... args) -> Result<std::invoke_result_t<Read&, const Statement&>> {
    auto st = prepare(sql);
    st.bind_all(args...);
    auto row = st.step();
    if (!row) return row.error();
    if (!*row) return ErrorCode::not_found;
    auto value = read(std::as_const(st));
    for (;;) {
      auto rest = st.step();
      if (!rest) return rest.error();
      if (!*rest) return value;
    }
  }

  // Statements are prepared once per SQL text (by address: pass literals or
  // constants) and cached; one statement per text.
  Statement prepare(const char* sql);
  sqlite3* raw() { return db_; }
  // How long SQLite may wait for another process's lock during the next calls.
  void busy_wait(std::chrono::milliseconds wait);
  int changes() const { return sqlite3_changes(db_); }

 private:
  sqlite3* db_;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

// For a write whose count does not matter.
inline Result<void> done(const Result<int>& changes) {
  if (!changes) return changes.error();
  return {};
}

// The longest a store call waits for the database before it fails.
inline constexpr std::chrono::milliseconds kStoreWait{2000};

class Database {
 public:
  static Result<std::shared_ptr<Database>> open(const std::string& path);
  explicit Database(sqlite3* db, std::string path) : conn_(db), path_(std::move(path)) {}

  // Runs `f(Connection&)` (which returns a Result) with the database to
  // itself; store_unavailable when that cannot happen within `wait`.
  // Also store_unavailable while the file at path() is no longer the one
  // opened (replaced or removed): what is written to the old one is lost to
  // everyone else, and what is read from it may be stale.
  template <class F>
  std::invoke_result_t<F&, Connection&> run(F&& f, std::chrono::milliseconds wait = kStoreWait) {
    auto deadline = std::chrono::steady_clock::now() + wait;
    std::unique_lock lock(mu_, std::defer_lock);
    if (!lock.try_lock_until(deadline)) return busy();
    if (auto same = same_file(); !same) return same.error();
    conn_.busy_wait(remaining(deadline));
    return f(conn_);
  }
  // Runs `f` inside BEGIN IMMEDIATE ... COMMIT; rolls back when f fails.
  // Sync::full (every store write) waits for the disk at COMMIT. Sync::relaxed
  // commits that one transaction with synchronous=NORMAL (WAL: no fsync; the
  // next full commit or checkpoint makes it durable) and restores FULL after:
  // only for writes a power cut may lose harmlessly (a heartbeat), so the
  // process's one connection is not held through an fsync.
  enum class Sync { full, relaxed };
  Result<void> transaction(const std::function<Result<void>(Connection&)>& f,
                           std::chrono::milliseconds wait = kStoreWait, Sync sync = Sync::full);
  // Whether a write could start now (takes and releases the write lock).
  Result<void> probe_writable(std::chrono::milliseconds wait);

  const std::string& path() const { return path_; }
  int schema_version();

 private:
  static std::chrono::milliseconds remaining(std::chrono::steady_clock::time_point deadline);
  Error busy() const;
  // Compares the file at path_ with the one opened (device and inode).
  Result<void> same_file();
  void remember_file();
  dev_t device_ = 0;
  ino_t inode_ = 0;
  bool replaced_logged_ = false;

  std::timed_mutex mu_;
  Connection conn_;
  std::string path_;
};

// The latest schema version this build knows.
int latest_schema_version();

}  // namespace cloakroom::sqlite
