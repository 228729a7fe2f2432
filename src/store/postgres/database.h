#pragma once
// A small libpq client for the postgres:// stores: a bounded pool of
// connections to one database, versioned schema migrations, and the one way
// the stores talk SQL: exec / query / one, binding $1..$N from the arguments.
//
//   auto db = postgres::Database::open("postgres://cloakroom:pw@db:5432/cloakroom?sslmode=verify-full");
//   auto user = (*db)->run([&](postgres::Connection& c) {
//     return c.one("SELECT id, username FROM cloakroom_users WHERE username_key = $1", read_user, key);  // not_found: no row
//   });
//   (*db)->transaction([&](postgres::Connection& c) -> Result<void> {   // BEGIN ... COMMIT; ROLLBACK when f fails
//     auto n = c.exec("UPDATE cloakroom_users SET disabled = $1 WHERE id = $2", true, id);   // -> rows changed
//     ...
//   });
//
// The URL is handed to libpq as it is (a connection URI), so every libpq
// option works: sslmode, sslrootcert, connect_timeout, target_session_attrs,
// several hosts. Messages and logs never show its password (redacted_url).
//
// Safe behind PgBouncer in transaction mode: every statement goes through
// PQsendQueryParams (the unnamed statement, parameters always bound, never
// spliced into SQL text); no named prepared statements, no SET, no LISTEN,
// no advisory lock outside a transaction, nothing that outlives a transaction.
//
// Every call has one deadline (kStoreWait, like SQLite's): waiting for a
// pooled connection, connecting, and each round trip. Past it, or when the
// server cannot be reached, the call fails with store_unavailable (503 +
// Retry-After on the request path), never an exception and never a hang; a
// connection that timed out or broke is closed, not reused, and a statement
// that outlived the deadline is cancelled on the server first (PQcancel,
// waited for at most 1 s), so it stops rather than waits on for a lock, holds
// its own, or commits a change the caller was told failed. After a failed
// connect, new attempts back off exponentially (with jitter) and calls fail
// at once meanwhile, so a dead server costs a fast 503, not a 2 s wait each.
// Callers run on the store WorkPool, never on an I/O thread.
#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/result.h"

namespace cloakroom::postgres {

// The longest a store call waits for the database before it fails (as SQLite's kStoreWait).
inline constexpr std::chrono::milliseconds kStoreWait{2000};
// Connections per Database: as many as App's store workers, so a worker never queues for one.
inline constexpr int kPoolSize = 4;

// One row of a result; columns by index, read as text (the text protocol).
class Row {
 public:
  Row(const PGresult* result, int row) : result_(result), row_(row) {}
  std::string text(int column) const;
  long long integer(int column) const;
  bool boolean(int column) const;  // 't' / 'f'

 private:
  const PGresult* result_;
  int row_;
};

using ResultPtr = std::unique_ptr<PGresult, void (*)(PGresult*)>;

class Connection {
 public:
  Connection(PGconn* conn, std::chrono::steady_clock::time_point deadline) : conn_(conn), deadline_(deadline) {}

  // Runs one statement that returns no rows to read; how many rows it changed.
  template <class... Args>
  Result<int> exec(const char* sql, const Args&... args) {
    auto r = call(sql, {param(args)...});
    if (!r) return r.error();
    return changed(r->get());
  }
  // Every row of the statement, each turned into a value by read(const Row&).
  template <class Read, class... Args>
  auto query(const char* sql, Read&& read, const Args&... args)
      -> Result<std::vector<std::invoke_result_t<Read&, const Row&>>> {
    auto r = call(sql, {param(args)...});
    if (!r) return r.error();
    std::vector<std::invoke_result_t<Read&, const Row&>> out;
    const int rows = PQntuples(r->get());
    out.reserve(static_cast<std::size_t>(rows));
    for (int i = 0; i < rows; ++i) out.push_back(read(Row(r->get(), i)));
    return out;
  }
  // The first row, read(const Row&); not_found when there is none.
  template <class Read, class... Args>
  auto one(const char* sql, Read&& read, const Args&... args) -> Result<std::invoke_result_t<Read&, const Row&>> {
    auto r = call(sql, {param(args)...});
    if (!r) return r.error();
    if (PQntuples(r->get()) == 0) return ErrorCode::not_found;
    return read(Row(r->get(), 0));
  }

  // COMMIT, checked: an aborted transaction "commits" as a ROLLBACK.
  Result<void> commit();
  // false once the connection broke or a call timed out: it is closed, not pooled again.
  bool healthy() const { return !broken_ && PQstatus(conn_) == CONNECTION_OK; }

 private:
  // A parameter as libpq's text format has it. Text with a NUL byte is
  // refused (invalid_field): libpq would silently cut it short there, so a
  // lookup of "alice\0x" would find alice.
  struct Param {
    std::string text;
    bool has_nul = false;
  };
  template <class T>
  static Param param(const T& value) {
    // bool before the integers: it is one too.
    if constexpr (std::is_same_v<T, bool>) return Param{value ? "true" : "false"};
    else if constexpr (std::is_integral_v<T>) return Param{std::to_string(static_cast<long long>(value))};
    else {
      static_assert(std::is_convertible_v<const T&, std::string_view>, "bind text, an integer or a bool");
      std::string_view text(value);
      return Param{std::string(text), text.find('\0') != std::string_view::npos};
    }
  }
  // Sends the statement, waits (until the deadline) for its one result.
  // A UNIQUE violation is conflict; anything else store_unavailable.
  Result<ResultPtr> call(const char* sql, const std::vector<Param>& params);
  // poll() on the socket until one of `events` (revents) or the deadline.
  Result<short> wait_for(short events);
  Error broke(std::string_view what);
  static Result<int> changed(const PGresult* r);

  PGconn* conn_;
  std::chrono::steady_clock::time_point deadline_;
  bool broken_ = false;

 public:
  // Parameters gathered at run time, for a statement whose shape depends on
  // the data (a multi-row INSERT): p.add(id).add(true); c.exec(sql, p).
  class Params {
   public:
    template <class T>
    Params& add(const T& value) {
      list_.push_back(param(value));
      return *this;
    }
    std::size_t size() const { return list_.size(); }

   private:
    friend class Connection;
    std::vector<Param> list_;
  };
  Result<int> exec(const std::string& sql, const Params& params) {
    auto r = call(sql.c_str(), params.list_);
    if (!r) return r.error();
    return changed(r->get());
  }
};

// For a write whose count does not matter.
inline Result<void> done(const Result<int>& changes) {
  if (!changes) return changes.error();
  return {};
}

class Database {
 public:
  // Connects, then migrates the schema to the latest version this build
  // knows (once, under an advisory lock, however many processes open it at
  // once). A schema newer than the build is refused.
  static Result<std::shared_ptr<Database>> open(const std::string& url, int pool_size = kPoolSize);
  Database(std::string url, int pool_size);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs `f(Connection&)` (which returns a Result) on a pooled connection;
  // store_unavailable when none can be had, or a round trip not finished, within `wait`.
  template <class F>
  std::invoke_result_t<F&, Connection&> run(F&& f, std::chrono::milliseconds wait = kStoreWait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    auto conn = acquire(deadline);
    if (!conn) return conn.error();
    Connection c(*conn, deadline);
    auto result = f(c);
    release(*conn, c.healthy());
    return result;
  }
  // Runs `f` inside BEGIN ... COMMIT; rolls back when f fails.
  Result<void> transaction(const std::function<Result<void>(Connection&)>& f,
                           std::chrono::milliseconds wait = kStoreWait);

  // "postgres:HOST:PORT/DBNAME" as the URL names them: stable across
  // processes, no user or password. The change feed's name.
  const std::string& name() const { return name_; }
  // The URL with its password (user info and ?password=) as "***".
  const std::string& redacted_url() const { return redacted_; }
  int schema_version();

 private:
  Result<PGconn*> acquire(std::chrono::steady_clock::time_point deadline);
  void release(PGconn* conn, bool healthy);
  Result<PGconn*> connect(std::chrono::steady_clock::time_point deadline);
  Result<void> migrate();
  // After a failed connect: backs off (and logs the first failure of a run).
  void connect_failed(const std::string& detail);
  // Ends the backoff (and logs the way back once).
  void connect_succeeded();

  const std::string url_;
  const int pool_size_;
  std::string name_;
  std::string redacted_;
  std::string url_error_;  // why libpq cannot parse the URL; empty when it can
  std::chrono::milliseconds connect_timeout_{0};  // the URL's connect_timeout; 0: none

  std::mutex mu_;
  std::condition_variable returned_;
  std::vector<PGconn*> idle_;
  int open_ = 0;  // idle + in use + being connected
  int failures_ = 0;  // connects failed in a row
  std::chrono::steady_clock::time_point retry_at_{};
  std::string last_error_;  // the last connect failure, scrubbed, for open()'s message
  std::minstd_rand jitter_{std::random_device{}()};
};

// Bytes travel as hex text (decode($1, 'hex') / encode(col, 'hex')): the
// client binds text only, and binary values hold NUL bytes.
std::string to_hex(std::string_view bytes);
// PostgreSQL's own lowercase hex back to bytes; nullopt for anything else.
std::optional<std::string> from_hex(std::string_view hex);

// The latest schema version this build knows.
int latest_schema_version();

// ok when libpq can parse `url` as written (no unescaped '@' or '/' in the
// password: see database.cpp); else config_invalid with a phrase that
// never quotes the URL or its password (config adds the key: "Config key
// store.users is not a valid libpq connection URI (...)").
Result<void> check_url(std::string_view url);
// `url` with its password replaced by "***", in the user info
// (postgres://user:***@host/db) and in a ?password= parameter.
std::string redact_url(std::string_view url);
// `text` with every occurrence of the URL's password (as written and
// percent-decoded) replaced by "***": for libpq messages, which can quote
// parts of a malformed URL.
std::string scrub(std::string text, std::string_view url);

}  // namespace cloakroom::postgres
