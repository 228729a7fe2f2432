#include "store/sqlite/database.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "core/log.h"
#include "store/user_store.h"

namespace cloakroom::sqlite {
namespace {

// Schema migrations, applied in order; index + 1 is the version they reach
// (PRAGMA user_version). Append only: never edit a migration that shipped.
const std::vector<const char*>& migrations() {
  static const std::vector<const char*> m = {
      // 1: users
      R"sql(
        CREATE TABLE users (
          id            TEXT PRIMARY KEY,
          username      TEXT NOT NULL,
          username_key  TEXT NOT NULL UNIQUE,
          password_hash TEXT NOT NULL,
          roles         TEXT NOT NULL DEFAULT '',
          disabled      INTEGER NOT NULL DEFAULT 0,
          created_at    INTEGER NOT NULL
        ) STRICT;
      )sql",
      // 2: sessions (only a hash of each secret) and the event log that
      //    carries out-of-process changes (CLI) to the server's caches.
      R"sql(
        CREATE TABLE sessions (
          id           TEXT PRIMARY KEY,
          secret_hash  BLOB NOT NULL,
          user_id      TEXT NOT NULL,
          created_ms   INTEGER NOT NULL,
          last_seen_ms INTEGER NOT NULL,
          expires_ms   INTEGER NOT NULL,
          ip           TEXT NOT NULL,
          user_agent   TEXT NOT NULL,
          remember     INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX sessions_by_user ON sessions (user_id);
        CREATE INDEX sessions_by_expiry ON sessions (expires_ms);
        CREATE TABLE events (
          seq        INTEGER PRIMARY KEY AUTOINCREMENT,
          kind       TEXT NOT NULL,
          subject    TEXT NOT NULL,
          created_ms INTEGER NOT NULL
        ) STRICT;
      )sql",
      // 3: token mode: refresh families (a hash of the current secret and the
      //    chain key only), the access-token denylist and per-user epochs.
      R"sql(
        CREATE TABLE refresh_families (
          id           TEXT PRIMARY KEY,
          user_id      TEXT NOT NULL,
          chain_key    BLOB NOT NULL,
          current_hash BLOB NOT NULL,
          generation   INTEGER NOT NULL,
          created_ms   INTEGER NOT NULL,
          rotated_ms   INTEGER NOT NULL,
          expires_ms   INTEGER NOT NULL,
          ip           TEXT NOT NULL,
          user_agent   TEXT NOT NULL,
          remember     INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX refresh_families_by_user ON refresh_families (user_id);
        CREATE INDEX refresh_families_by_expiry ON refresh_families (expires_ms);
        CREATE TABLE denylist (
          kind     TEXT NOT NULL,
          id       TEXT NOT NULL,
          until_ms INTEGER NOT NULL,
          PRIMARY KEY (kind, id)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX denylist_by_expiry ON denylist (until_ms);
        CREATE TABLE token_epochs (
          user_id TEXT PRIMARY KEY,
          epoch   INTEGER NOT NULL
        ) STRICT, WITHOUT ROWID;
      )sql",
      // 4: usernames in NFC (the username profile). No SQL: NFC needs ICU,
      //    so code_step() below does the work inside the same transaction.
      "",
      // 5: the change feed grows up (every writer records every change that
      //    affects a check, with a value: a deadline or an epoch) and the
      //    node registry: who serves, their heartbeat, what they applied.
      R"sql(
        ALTER TABLE events ADD COLUMN value INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE nodes (
          id           TEXT PRIMARY KEY,
          host         TEXT NOT NULL,
          address      TEXT NOT NULL,
          pid          INTEGER NOT NULL,
          started_ms   INTEGER NOT NULL,
          heartbeat_ms INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE node_positions (
          node_id  TEXT NOT NULL,
          feed     TEXT NOT NULL,
          position INTEGER NOT NULL,
          PRIMARY KEY (node_id, feed)
        ) STRICT, WITHOUT ROWID;
      )sql",
      // 6: short-lived challenges between two requests of one flow (a
      //    login's second step, a WebAuthn ceremony), see challenge_store.h.
      R"sql(
        CREATE TABLE challenges (
          id_hash    BLOB PRIMARY KEY,
          kind       TEXT NOT NULL,
          payload    TEXT NOT NULL,
          expires_ms INTEGER NOT NULL,
          attempts   INTEGER NOT NULL DEFAULT 0
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX challenges_by_expiry ON challenges (expires_ms);
      )sql",
      // 7: passkeys (WebAuthn credentials), see Passkey in user_store.h.
      R"sql(
        CREATE TABLE passkeys (
          credential_id   BLOB PRIMARY KEY,
          user_id         TEXT NOT NULL,
          user_handle     BLOB NOT NULL,
          public_key      BLOB NOT NULL,
          alg             INTEGER NOT NULL,
          sign_count      INTEGER NOT NULL,
          user_verified   INTEGER NOT NULL,
          backup_eligible INTEGER NOT NULL,
          backed_up       INTEGER NOT NULL,
          flagged         INTEGER NOT NULL DEFAULT 0,
          name            TEXT NOT NULL,
          created_at      INTEGER NOT NULL,
          last_used_at    INTEGER NOT NULL DEFAULT 0
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX passkeys_by_user ON passkeys (user_id);
      )sql",
      // 8: TOTP, see user_store.h TotpState: the secrets sealed (never in
      //    the clear), the recovery codes as hashes.
      R"sql(
        CREATE TABLE totp (
          user_id         TEXT PRIMARY KEY,
          pending         BLOB NOT NULL DEFAULT x'',
          pending_created INTEGER NOT NULL DEFAULT 0,
          secret          BLOB NOT NULL DEFAULT x'',
          last_step       INTEGER NOT NULL DEFAULT -1
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE recovery_codes (
          user_id   TEXT NOT NULL,
          code_hash BLOB NOT NULL,
          used      INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (user_id, code_hash)
        ) STRICT, WITHOUT ROWID;
      )sql",
      // 9: how each session and refresh family signed in (RFC 8176 `amr`,
      //    core/auth_methods.h) and when. Rows from before were password
      //    logins at their creation.
      R"sql(
        ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
        ALTER TABLE sessions ADD COLUMN auth_time_ms INTEGER NOT NULL DEFAULT 0;
        UPDATE sessions SET auth_time_ms = created_ms;
        ALTER TABLE refresh_families ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
        ALTER TABLE refresh_families ADD COLUMN auth_time_ms INTEGER NOT NULL DEFAULT 0;
        UPDATE refresh_families SET auth_time_ms = created_ms;
      )sql",
      // 10: password reset links (`user reset-link`): the token's SHA-256 only.
      R"sql(
        CREATE TABLE password_resets (
          token_hash TEXT PRIMARY KEY,
          user_id    TEXT NOT NULL,
          expires_ms INTEGER NOT NULL,
          used       INTEGER NOT NULL DEFAULT 0
        ) STRICT, WITHOUT ROWID;
      )sql",
      // 11: each kind of challenge has its own bound (challenge_store.h),
      //     counted per kind by every insert: an index, not a scan.
      R"sql(
        CREATE INDEX challenges_by_kind ON challenges (kind);
      )sql",
      // 12: the signing keys each serving process verifies with (HeldKeys in
      //     node_registry.h): its kids, space-separated, and whether it
      //     refused the last key set it read. '' from an older process.
      R"sql(
        ALTER TABLE nodes ADD COLUMN kids TEXT NOT NULL DEFAULT '';
        ALTER TABLE nodes ADD COLUMN keys_refused INTEGER NOT NULL DEFAULT 0;
      )sql",
      // 13: the per-kind challenge bound read from a counter, not
      //     counted on each insert (COUNT(*) over the kind index walked up
      //     to 100,000 entries while holding the write lock). Triggers keep
      //     the counter in the statement that inserts or deletes a row, so
      //     every path (put, attempt, consume, purge, another process, an
      //     operator's sqlite3 shell) keeps it right; the kind index had no
      //     other reader.
      R"sql(
        CREATE TABLE challenge_counts (
          kind TEXT PRIMARY KEY,
          n    INTEGER NOT NULL
        ) STRICT, WITHOUT ROWID;
        INSERT INTO challenge_counts (kind, n) SELECT kind, COUNT(*) FROM challenges GROUP BY kind;
        CREATE TRIGGER challenges_count_insert AFTER INSERT ON challenges BEGIN
          INSERT INTO challenge_counts (kind, n) VALUES (NEW.kind, 1) ON CONFLICT (kind) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER challenges_count_delete AFTER DELETE ON challenges BEGIN
          UPDATE challenge_counts SET n = n - 1 WHERE kind = OLD.kind;
        END;
        CREATE TRIGGER challenges_count_rekind AFTER UPDATE OF kind ON challenges BEGIN
          UPDATE challenge_counts SET n = n - 1 WHERE kind = OLD.kind;
          INSERT INTO challenge_counts (kind, n) VALUES (NEW.kind, 1) ON CONFLICT (kind) DO UPDATE SET n = n + 1;
        END;
        DROP INDEX challenges_by_kind;
      )sql",
  };
  return m;
}

// Usernames an older build stored in another normalisation form (NFD
// "cafe\u0301") get their NFC spelling and key, so their owners can still log
// in and nobody can register the NFC twin of their name. A row whose NFC key
// another row already holds keeps its old one and is logged for an operator.
Result<void> nfc_usernames(Connection& c) {
  struct Row {
    std::string id, username, key;
  };
  auto rows = c.query("SELECT id, username, username_key FROM users",
                      [](const Statement& st) { return Row{st.text(0), st.text(1), st.text(2)}; });
  if (!rows) return rows.error();
  for (const Row& r : *rows) {
    std::string name = canonical_username(r.username);
    std::string key = username_key(name);
    if (name == r.username && key == r.key) continue;
    auto updated = c.exec("UPDATE users SET username = ?1, username_key = ?2 WHERE id = ?3", name, key, r.id);
    if (!updated && updated.error().code == ErrorCode::conflict) {
      log_line("warn", "username_nfc_conflict",
               {{"user_id", r.id}, {"detail", "another account already has this name in NFC; left as it was"}});
      continue;
    }
    if (!updated) return updated.error();
  }
  return {};
}

// Migrations that need code after their SQL, by the version they reach.
Result<void> code_step(int version, Connection& c) {
  if (version == 4) return nfc_usernames(c);
  return {};
}

Error unavailable(sqlite3* db, std::string_view what) {
  log_line("error", "sqlite_error", {{"op", what}, {"detail", db ? sqlite3_errmsg(db) : "out of memory"}});
  return Error{ErrorCode::store_unavailable};
}

// Makes the database file owner-only (0600) before SQLite opens it: created
// so when new, tightened when an older cloakroom left it 0644. Why this is
// enough for -wal and -shm: SQLite creates them with the database file's
// mode; ones left over from before are tightened too. Why not umask: it is
// process-wide, and other threads create files meanwhile.
// Why by path (stat/chmod) and never open+close on an existing file: closing
// any descriptor of a file drops every POSIX lock this process holds on it,
// so a second connection opened beside a first one (the feed's) would strip
// the first one's WAL locks, and another process could then reset the WAL
// under it: committed writes would vanish.
void make_private(const std::string& path) {
  if (path.empty() || path == ":memory:" || path.starts_with("file:")) return;
  auto tighten = [](const std::string& p) {
    struct stat st{};
    if (::stat(p.c_str(), &st) != 0) return;  // absent (-wal, -shm): SQLite creates them with the file's mode
    if ((st.st_mode & 077) != 0 && ::chmod(p.c_str(), st.st_mode & 0700) == 0)
      log_line("warn", "file_mode_tightened", {{"path", p}, {"detail", "others could read it; now owner-only"}});
  };
  // A new file cannot be locked by anyone yet, so creating it through a descriptor is safe.
  if (int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_CREAT | O_EXCL, 0600); fd >= 0) ::close(fd);
  tighten(path);
  tighten(path + "-wal");
  tighten(path + "-shm");
}

}  // namespace

int latest_schema_version() { return static_cast<int>(migrations().size()); }

Statement::~Statement() {
  if (stmt_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

void Statement::bind_text(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}
void Statement::bind_integer(int index, long long value) { sqlite3_bind_int64(stmt_, index, value); }
void Statement::bind_blob(int index, std::string_view bytes) {
  sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
}

Result<bool> Statement::step() {
  if (!stmt_) return ErrorCode::store_unavailable;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3* db = sqlite3_db_handle(stmt_);
  if (const int code = sqlite3_extended_errcode(db);
      code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
    return ErrorCode::conflict;
  return unavailable(db, "step");
}

std::string Statement::text(int column) const {
  auto* p = sqlite3_column_type(stmt_, column) == SQLITE_BLOB
                ? static_cast<const char*>(sqlite3_column_blob(stmt_, column))
                : reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))) : std::string();
}
long long Statement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  // Why: a clean close checkpoints the WAL so the .db file alone is complete.
  sqlite3_close_v2(db_);
}

Statement Connection::prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return Statement(it->second);
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, &tail) != SQLITE_OK) {
    (void)unavailable(db_, "prepare");
    return Statement(nullptr);
  }
  // Why: SQLite would silently skip every statement after the first.
  if (std::string_view(tail).find_first_not_of(" \t\r\n;") != std::string_view::npos) {
    log_line("error", "sqlite_error", {{"op", "prepare"}, {"detail", "more than one statement in one SQL text"}});
    sqlite3_finalize(stmt);
    return Statement(nullptr);
  }
  cache_.emplace(sql, stmt);
  return Statement(stmt);
}

void Connection::busy_wait(std::chrono::milliseconds wait) {
  sqlite3_busy_timeout(db_, static_cast<int>(std::max<long long>(1, wait.count())));
}

std::chrono::milliseconds Database::remaining(std::chrono::steady_clock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
}

void Database::remember_file() {
  struct stat st{};
  if (::stat(path_.c_str(), &st) == 0) {
    device_ = st.st_dev;
    inode_ = st.st_ino;
  }
}

Result<void> Database::same_file() {
  if (inode_ == 0) return {};  // in-memory, or not a plain file
  struct stat st{};
  const bool same = ::stat(path_.c_str(), &st) == 0 && st.st_dev == device_ && st.st_ino == inode_;
  if (same == !replaced_logged_) return same ? Result<void>{} : Error{ErrorCode::store_unavailable};
  replaced_logged_ = !same;
  log_line(same ? "info" : "error", same ? "database_file_back" : "database_file_replaced",
           {{"path", path_},
            {"detail", same ? "the file opened at start is in place again"
                            : "the file at this path is no longer the one opened (moved, replaced or deleted); every "
                              "store call fails until it is back or cloakroom restarts"}});
  return same ? Result<void>{} : Error{ErrorCode::store_unavailable};
}

Error Database::busy() const {
  log_line("warn", "sqlite_busy", {{"path", path_}, {"detail", "the database stayed busy past the store wait (another call, or another process holding its lock)"}});
  return Error{ErrorCode::store_unavailable};
}

Result<void> Database::transaction(const std::function<Result<void>(Connection&)>& f,
                                   std::chrono::milliseconds wait, Sync sync) {
  auto in_transaction = [&](Connection& c) -> Result<void> {
    if (auto r = c.exec("BEGIN IMMEDIATE"); !r) return r.error();
    auto r = f(c);
    if (!r) {
      (void)c.exec("ROLLBACK");
      return r;
    }
    if (auto committed = c.exec("COMMIT"); !committed) {
      (void)c.exec("ROLLBACK");  // COMMIT can fail with SQLITE_BUSY and leave the transaction open
      return committed.error();
    }
    return {};
  };
  return run([&](Connection& c) -> Result<void> {
    if (sync == Sync::full) return in_transaction(c);
    // Outside any transaction (SQLite ignores the pragma inside one); FULL is
    // back before the lock is released, whatever the outcome.
    if (auto r = c.exec("PRAGMA synchronous=NORMAL"); !r) return r.error();
    auto r = in_transaction(c);
    if (auto back = c.exec("PRAGMA synchronous=FULL"); !back) return back.error();
    return r;
  }, wait);
}

Result<void> Database::probe_writable(std::chrono::milliseconds wait) {
  return run([](Connection& c) -> Result<void> {
    if (auto r = c.exec("BEGIN IMMEDIATE"); !r) return r.error();
    return done(c.exec("ROLLBACK"));
  }, wait);
}

int Database::schema_version() {
  auto version = run([](Connection& c) {
    return c.one("PRAGMA user_version", [](const Statement& row) { return static_cast<int>(row.integer(0)); });
  });
  return version ? *version : -1;
}

Result<std::shared_ptr<Database>> Database::open(const std::string& path) {
  make_private(path);
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &raw, flags, nullptr) != SQLITE_OK) {
    std::string detail = raw ? sqlite3_errmsg(raw) : "out of memory";
    sqlite3_close_v2(raw);
    return Error{ErrorCode::store_unavailable, "Cannot open the SQLite database " + path + ": " + detail + "."};
  }
  auto db = std::make_shared<Database>(raw, path);
  db->remember_file();
  // Why: the CLI and the server may write at once; wait (boundedly) instead of failing.
  sqlite3_busy_timeout(raw, static_cast<int>(kStoreWait.count()));
  auto fail = [&](std::string_view what) {
    return Error{ErrorCode::store_unavailable,
                 "Cannot prepare the SQLite database " + path + " (" + std::string(what) + "): " + sqlite3_errmsg(raw) + "."};
  };
  if (sqlite3_exec(raw, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", nullptr,
                   nullptr, nullptr) != SQLITE_OK)
    return fail("pragmas");
  int version = db->schema_version();
  if (version < 0) return fail("reading the schema version");
  if (version > latest_schema_version())
    return Error{ErrorCode::store_unavailable,
                 "The database " + path + " has schema version " + std::to_string(version) +
                     ", newer than this cloakroom understands (" + std::to_string(latest_schema_version()) +
                     "); upgrade cloakroom."};
  for (int v = version; v < latest_schema_version(); ++v) {
    std::string sql = std::string("BEGIN IMMEDIATE;") + migrations()[static_cast<std::size_t>(v)] +
                      "PRAGMA user_version = " + std::to_string(v + 1) + ";";
    char* err = nullptr;
    std::string detail;
    if (sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      detail = err ? err : "unknown error";
      sqlite3_free(err);
    } else if (auto step = db->run([&](Connection& c) { return code_step(v + 1, c); }); !step) {
      detail = std::string(step.error().text());
    } else if (sqlite3_exec(raw, "COMMIT", nullptr, nullptr, &err) != SQLITE_OK) {
      detail = err ? err : "unknown error";
      sqlite3_free(err);
    }
    if (!detail.empty()) {
      sqlite3_exec(raw, "ROLLBACK", nullptr, nullptr, nullptr);
      // Another process may have migrated concurrently: re-read and continue.
      if (db->schema_version() > v) continue;
      return Error{ErrorCode::store_unavailable,
                   "Migrating " + path + " to schema version " + std::to_string(v + 1) + " failed: " + detail + "."};
    }
  }
  return db;
}

}  // namespace cloakroom::sqlite
