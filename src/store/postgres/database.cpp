#include "store/postgres/database.h"

#include "core/digest.h"

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <future>
#include <system_error>
#include <thread>

#include "core/log.h"
#include "core/url_userinfo.h"

namespace cloakroom::postgres {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Schema migrations, applied in order; index + 1 is the version they reach
// (a row in cloakroom_schema). Append only: never edit a migration that
// shipped. One statement per string: the extended protocol takes one at a time.
// Table names carry a cloakroom_ prefix so the database may be shared.
const std::vector<std::vector<const char*>>& migrations() {
  static const std::vector<std::vector<const char*>> m = {
      // 1: users, and the change feed their changes are recorded in.
      {
          R"sql(CREATE TABLE cloakroom_users (
            id            text PRIMARY KEY,
            username      text NOT NULL,
            username_key  text NOT NULL UNIQUE,
            password_hash text NOT NULL,
            roles         text[] NOT NULL DEFAULT '{}',
            disabled      boolean NOT NULL DEFAULT false,
            created_at    bigint NOT NULL,
            updated_at    timestamptz NOT NULL DEFAULT now()
          ))sql",
          R"sql(CREATE TABLE cloakroom_feed (
            position   bigint PRIMARY KEY,
            kind       text NOT NULL,
            subject    text NOT NULL,
            value      bigint NOT NULL DEFAULT 0,
            created_ms bigint NOT NULL
          ))sql",
          // Few users are disabled, and every process reads them all at start.
          "CREATE INDEX cloakroom_users_disabled ON cloakroom_users (id) WHERE disabled",
          "CREATE INDEX cloakroom_feed_by_age ON cloakroom_feed (created_ms)",
          // One row: the last position handed out (see change_feed.cpp for why not a sequence).
          R"sql(CREATE TABLE cloakroom_feed_position (
            one      boolean PRIMARY KEY DEFAULT true CHECK (one),
            position bigint NOT NULL
          ))sql",
          "INSERT INTO cloakroom_feed_position (position) VALUES (0)",
      },
      // 2: the signing key set every node shares (one row): the private JWKS
      // sealed under the key-encryption key, never in the clear.
      {
          R"sql(CREATE TABLE cloakroom_signing_keys (
            one        boolean PRIMARY KEY DEFAULT true CHECK (one),
            version    bigint NOT NULL,
            sealed     bytea NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()
          ))sql",
      },
      // 3: passkeys (WebAuthn credentials), see Passkey in user_store.h.
      {
          R"sql(CREATE TABLE cloakroom_passkeys (
            credential_id   bytea PRIMARY KEY,
            user_id         text NOT NULL,
            user_handle     bytea NOT NULL,
            public_key      bytea NOT NULL,
            alg             integer NOT NULL,
            sign_count      bigint NOT NULL,
            user_verified   boolean NOT NULL,
            backup_eligible boolean NOT NULL,
            backed_up       boolean NOT NULL,
            flagged         boolean NOT NULL DEFAULT false,
            name            text NOT NULL,
            created_at      bigint NOT NULL,
            last_used_at    bigint NOT NULL DEFAULT 0
          ))sql",
          "CREATE INDEX cloakroom_passkeys_by_user ON cloakroom_passkeys (user_id)",
      },
      // 4: TOTP (see user_store.h TotpState): the secrets sealed, never in
      // the clear; the recovery codes as hashes. Rows go with their user.
      {
          R"sql(CREATE TABLE cloakroom_totp (
            user_id         text PRIMARY KEY REFERENCES cloakroom_users (id) ON DELETE CASCADE,
            pending         bytea NOT NULL DEFAULT '',
            pending_created bigint NOT NULL DEFAULT 0,
            secret          bytea NOT NULL DEFAULT '',
            last_step       bigint NOT NULL DEFAULT -1
          ))sql",
          R"sql(CREATE TABLE cloakroom_recovery_codes (
            user_id   text NOT NULL REFERENCES cloakroom_users (id) ON DELETE CASCADE,
            code_hash bytea NOT NULL,
            used      boolean NOT NULL DEFAULT false,
            PRIMARY KEY (user_id, code_hash)
          ))sql",
      },
      // 5: password reset links (`user reset-link`): the token's SHA-256 only.
      {
          R"sql(CREATE TABLE cloakroom_password_resets (
            token_hash text PRIMARY KEY,
            user_id    text NOT NULL,
            expires_ms bigint NOT NULL,
            used       boolean NOT NULL DEFAULT false
          ))sql",
      },
  };
  return m;
}

// pg_advisory_xact_lock key for migrations: "cloakroo" in ASCII. Any
// constant works as long as every cloakroom uses the same one.
constexpr char kLockMigrations[] = "SELECT pg_advisory_xact_lock(7164893545201346671)";
// Why 10 s: at start, another node may be migrating the same database; waiting is better than failing.
constexpr milliseconds kMigrateWait{10'000};
// Why 50 ms doubling to 2 s: a restarted server (seconds) is noticed within
// about a second of its return, while a long outage costs one refused
// connect per process every ~2 s, not one per request.
constexpr milliseconds kBackoffMin{50};
constexpr milliseconds kBackoffMax{2000};

long long left_ms(Clock::time_point deadline) {
  return std::chrono::ceil<milliseconds>(deadline - Clock::now()).count();
}

// poll() on one descriptor until `events` or the deadline: its revents, or 0 at the deadline.
Result<short> poll_until(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const long long left = left_ms(deadline);
    if (left <= 0) return short{0};
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 60'000)));
    if (rc > 0) return p.revents;
    if (rc < 0 && errno != EINTR) return ErrorCode::store_unavailable;
  }
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Where the passwords sit in a URL: [begin, end) spans of the text.
// Wider than libpq on purpose (core/url_userinfo.h): the user info ends at
// the URL's last '@', so a password with an unescaped '/', '?', '#' or '@'
// is still found whole.
std::vector<std::pair<std::size_t, std::size_t>> password_spans(std::string_view url) {
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  std::size_t query_from = 0;
  if (auto span = url_password_span(url)) {
    spans.push_back(*span);
    query_from = span->second;  // a '?' in the password starts no query
  }
  const std::size_t query = url.find('?', query_from);
  if (query == std::string_view::npos) return spans;
  for (std::size_t p = query + 1; p < url.size();) {
    std::size_t end = url.find('&', p);
    if (end == std::string_view::npos) end = url.size();
    std::string_view pair = url.substr(p, end - p);
    if (pair.starts_with("password=")) spans.emplace_back(p + 9, end);
    p = end + 1;
  }
  return spans;
}

void replace_all(std::string& text, std::string_view what, std::string_view with) {
  if (what.empty()) return;
  for (std::size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + with.size()))
    text.replace(p, what.size(), with);
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Why 1 s: a cancel request is one connect and 16 bytes; a server that
// takes longer is unreachable, and the worker must not wait out TCP's
// connect timeout (minutes) for it.
constexpr milliseconds kCancelWait{1000};

// Asks the server to stop the statement running on `conn` (a cancel request
// on a connection of its own): given up on, it must not keep waiting for a
// lock, holding the locks it took, or commit later a change the caller was
// told failed. PQcancel connects and blocks, and has no timeout of its own
// in libpq 15 (no PQcancelCreate yet): it runs on a thread of its own, which
// the caller waits for at most kCancelWait and otherwise leaves to finish
// alone (it owns everything it touches).
// Why 4: a cancel left running is blocked on a server that accepts but does
// not answer; more of them would only pile up threads (each timed-out
// statement makes one) until creating one fails. Past the cap the statement
// is given up on without a cancel, as before cancels were sent.
constexpr int kMaxCancelsInFlight = 4;

void cancel_statement(PGconn* conn) {
  // Process-wide on purpose: the cap bounds this process's threads, whatever
  // pool or connection asked.
  static std::atomic<int> in_flight{0};
  if (in_flight.fetch_add(1) >= kMaxCancelsInFlight) {
    in_flight.fetch_sub(1);
    log_line("warn", "postgres_cancel_failed",
             {{"detail", "earlier cancel requests are still waiting for PostgreSQL; this statement was not cancelled"}});
    return;
  }
  PGcancel* cancel = PQgetCancel(conn);
  if (!cancel) {
    in_flight.fetch_sub(1);
    return;
  }
  auto outcome = std::make_shared<std::promise<std::string>>();  // empty: sent
  std::future<std::string> sent = outcome->get_future();
  try {
    std::thread([cancel, outcome] {
      char error[256] = "";
      const bool ok = PQcancel(cancel, error, sizeof error) == 1;
      PQfreeCancel(cancel);
      in_flight.fetch_sub(1);
      outcome->set_value(ok ? "" : trim(error));
    }).detach();
  } catch (const std::system_error&) {  // no thread to be had: give up on the cancel, not the process
    PQfreeCancel(cancel);
    in_flight.fetch_sub(1);
    log_line("warn", "postgres_cancel_failed", {{"detail", "no thread could be started to send the cancel request"}});
    return;
  }
  if (sent.wait_for(kCancelWait) != std::future_status::ready) {
    log_line("warn", "postgres_cancel_failed",
             {{"detail", "the cancel request did not reach PostgreSQL within 1s; the statement may run on"}});
    return;
  }
  if (std::string why = sent.get(); !why.empty())
    log_line("warn", "postgres_cancel_failed", {{"detail", why}});
}

}  // namespace

std::string to_hex(std::string_view bytes) { return lower_hex(bytes); }

namespace {
int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}
}  // namespace

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out(hex.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>(hi << 4 | lo);
  }
  return out;
}

int latest_schema_version() { return static_cast<int>(migrations().size()); }

std::string redact_url(std::string_view url) {
  std::string out(url);
  auto spans = password_spans(url);
  // Back to front, so earlier offsets stay valid.
  for (auto it = spans.rbegin(); it != spans.rend(); ++it) out.replace(it->first, it->second - it->first, "***");
  return out;
}

namespace {
// libpq ends the password at the first '@' or '/' (and ignores '?' and '#'
// there): a password holding either would be read in part as the host, port
// or database, which connect errors and log names then show. Empty: fine.
std::string ambiguous_password(std::string_view url) {
  auto span = url_password_span(url);
  if (!span || url.substr(span->first, span->second - span->first).find_first_of("@/") == std::string_view::npos)
    return "";
  return "an unescaped '@' or '/' in its password (or after its host) would make libpq read part of the password as "
         "the host or the database; write them as %40 and %2F";
}
}  // namespace

Result<void> check_url(std::string_view url) {
  if (std::string why = ambiguous_password(url); !why.empty())
    return Error{ErrorCode::config_invalid, "is not a valid libpq connection URI (" + why + ")"};
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(std::string(url).c_str(), &err);
  if (options) {
    PQconninfoFree(options);
    return {};
  }
  std::string why = err ? scrub(trim(err), url) : "out of memory";
  PQfreemem(err);
  return Error{ErrorCode::config_invalid, "is not a valid libpq connection URI (" + why + ")"};
}

std::string scrub(std::string text, std::string_view url) {
  for (auto [begin, end] : password_spans(url)) {
    std::string_view raw = url.substr(begin, end - begin);
    replace_all(text, raw, "***");
    replace_all(text, percent_decode(raw), "***");
  }
  return text;
}

// --- Row ---------------------------------------------------------------

std::string Row::text(int column) const {
  return std::string(PQgetvalue(result_, row_, column), static_cast<std::size_t>(PQgetlength(result_, row_, column)));
}

long long Row::integer(int column) const {
  const char* v = PQgetvalue(result_, row_, column);
  long long out = 0;
  std::from_chars(v, v + PQgetlength(result_, row_, column), out);
  return out;
}

bool Row::boolean(int column) const { return PQgetvalue(result_, row_, column)[0] == 't'; }

// --- Connection ----------------------------------------------------------

Error Connection::broke(std::string_view what) {
  broken_ = true;
  log_line("error", "postgres_error", {{"op", what}, {"detail", trim(PQerrorMessage(conn_))}});
  return Error{ErrorCode::store_unavailable};
}

Result<short> Connection::wait_for(short events) {
  auto revents = poll_until(PQsocket(conn_), events, deadline_);
  if (!revents) return broke("poll");
  if (*revents == 0) {
    // The statement's fate is unknown and its answer may still come: the
    // connection cannot be reused. Closing it is not enough: a backend
    // waiting for a lock does not read its socket, so it would wait on
    // (holding its own locks) and then run. Cancelled first, it stops.
    broken_ = true;
    log_line("warn", "postgres_timeout", {{"detail", "a round trip to PostgreSQL did not finish within the store wait"}});
    cancel_statement(conn_);
    return Error{ErrorCode::store_unavailable};
  }
  return revents;
}

Result<int> Connection::changed(const PGresult* r) {
  const char* n = PQcmdTuples(const_cast<PGresult*>(r));
  int out = 0;
  std::from_chars(n, n + std::char_traits<char>::length(n), out);
  return out;
}

Result<ResultPtr> Connection::call(const char* sql, const std::vector<Param>& params) {
  if (broken_) return ErrorCode::store_unavailable;
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& p : params) {
    if (p.has_nul) return Error{ErrorCode::invalid_field, "A text value with a NUL byte cannot be stored."};
    values.push_back(p.text.c_str());
  }
  // The unnamed statement, text parameters, text results: nothing outlives the call.
  if (!PQsendQueryParams(conn_, sql, static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0))
    return broke("send");
  // Non-blocking: push the query out, reading whatever arrives meanwhile (libpq's rule).
  for (int flushed; (flushed = PQflush(conn_)) != 0;) {
    if (flushed < 0) return broke("send");
    auto ready = wait_for(POLLIN | POLLOUT);
    if (!ready) return ready.error();
    if ((*ready & POLLIN) && !PQconsumeInput(conn_)) return broke("receive");
  }
  ResultPtr first(nullptr, PQclear);
  for (;;) {
    while (PQisBusy(conn_)) {
      if (auto ready = wait_for(POLLIN); !ready) return ready.error();
      if (!PQconsumeInput(conn_)) return broke("receive");
    }
    PGresult* r = PQgetResult(conn_);
    if (!r) break;  // the statement is complete
    if (!first) first.reset(r);
    else PQclear(r);
  }
  if (!first) return broke("receive");
  const ExecStatusType status = PQresultStatus(first.get());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return first;
  const char* state = PQresultErrorField(first.get(), PG_DIAG_SQLSTATE);
  const std::string_view sqlstate = state ? state : "";
  if (sqlstate == "23505") return ErrorCode::conflict;  // unique_violation
  // Class 08 (connection exception) and 57P0x (the server is shutting down):
  // the connection is done for.
  if (sqlstate.starts_with("08") || sqlstate.starts_with("57P")) broken_ = true;
  log_line("error", "postgres_error",
           {{"op", "statement"}, {"sqlstate", sqlstate}, {"detail", trim(PQresultErrorMessage(first.get()))}});
  return Error{ErrorCode::store_unavailable};
}

Result<void> Connection::commit() {
  auto r = call("COMMIT", {});
  if (!r) return r.error();
  // Why: COMMIT of a transaction that already failed answers ROLLBACK, not an error.
  if (std::string_view(PQcmdStatus(r->get())) != "COMMIT") {
    log_line("error", "postgres_error", {{"op", "commit"}, {"detail", "the transaction was rolled back"}});
    return Error{ErrorCode::store_unavailable};
  }
  return {};
}

// --- Database ------------------------------------------------------------

Database::Database(std::string url, int pool_size)
    : url_(std::move(url)), pool_size_(std::max(1, pool_size)), redacted_(redact_url(url_)) {
  if (url_error_ = ambiguous_password(url_); !url_error_.empty()) {
    name_ = "postgres:" + redacted_;
    return;
  }
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(url_.c_str(), &err);
  if (!options) {
    url_error_ = err ? scrub(trim(err), url_) : "out of memory";
    PQfreemem(err);
    name_ = "postgres:" + redacted_;
    return;
  }
  std::string host, port = "5432", dbname, user;
  for (PQconninfoOption* o = options; o->keyword; ++o) {
    if (!o->val || !*o->val) continue;
    const std::string_view key = o->keyword;
    if (key == "host") host = o->val;
    else if (key == "hostaddr" && host.empty()) host = o->val;
    else if (key == "port") port = o->val;
    else if (key == "dbname") dbname = o->val;
    else if (key == "user") user = o->val;
    else if (key == "connect_timeout") connect_timeout_ = std::chrono::seconds(std::atoi(o->val));
  }
  PQconninfoFree(options);
  // libpq's defaults: the local socket, and a database named after the user.
  name_ = "postgres:" + (host.empty() ? std::string("localhost") : host) + ":" + port + "/" +
          (dbname.empty() ? user : dbname);
}

Database::~Database() {
  for (PGconn* c : idle_) PQfinish(c);
}

Result<std::shared_ptr<Database>> Database::open(const std::string& url, int pool_size) {
  auto db = std::make_shared<Database>(url, pool_size);
  if (!db->url_error_.empty())
    return Error{ErrorCode::config_invalid,
                 "The PostgreSQL URL " + db->redacted_ + " is not valid: " + db->url_error_ + "."};
  if (auto migrated = db->migrate(); !migrated) {
    if (!migrated.error().message.empty()) return migrated.error();
    std::string detail;
    {
      std::lock_guard lock(db->mu_);
      detail = db->last_error_;
    }
    if (detail.empty()) detail = "see the log";
    // Why: libpq's messages may end in their own '?' ("... accepting TCP/IP connections?").
    if (detail.back() != '.' && detail.back() != '?') detail += '.';
    return Error{ErrorCode::store_unavailable, "Cannot prepare the PostgreSQL database " + db->redacted_ + ": " + detail};
  }
  return db;
}

Result<void> Database::migrate() {
  return transaction(
      [&](Connection& c) -> Result<void> {
        // Why a transaction-scoped lock: several nodes starting at once
        // migrate once, and nothing is left held if this one dies (PgBouncer-safe).
        if (auto r = c.exec(kLockMigrations); !r) return r.error();
        auto encoding = c.one("SELECT current_setting('server_encoding')", [](const Row& r) { return r.text(0); });
        if (!encoding) return encoding.error();
        // Why: usernames are UTF-8 (NFC); another encoding would refuse or mangle them.
        if (*encoding != "UTF8")
          return Error{ErrorCode::store_unavailable, "The PostgreSQL database " + redacted_ + " uses the encoding " +
                                                         *encoding + "; cloakroom needs UTF8 (CREATE DATABASE ... "
                                                         "ENCODING 'UTF8')."};
        auto exists = c.one("SELECT to_regclass('cloakroom_schema') IS NOT NULL", [](const Row& r) { return r.boolean(0); });
        if (!exists) return exists.error();
        if (!*exists)
          if (auto r = c.exec(
                  "CREATE TABLE cloakroom_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
              !r)
            return r.error();
        auto version = c.one("SELECT coalesce(max(version), 0) FROM cloakroom_schema",
                             [](const Row& r) { return static_cast<int>(r.integer(0)); });
        if (!version) return version.error();
        if (*version > latest_schema_version())
          return Error{ErrorCode::store_unavailable,
                       "The PostgreSQL database " + redacted_ + " has schema version " + std::to_string(*version) +
                           ", newer than this cloakroom understands (" + std::to_string(latest_schema_version()) +
                           "); upgrade cloakroom."};
        for (int v = *version; v < latest_schema_version(); ++v) {
          for (const char* statement : migrations()[static_cast<std::size_t>(v)])
            if (auto r = c.exec(statement); !r) return r.error();
          if (auto r = c.exec("INSERT INTO cloakroom_schema (version) VALUES ($1)", v + 1); !r) return r.error();
          log_line("info", "postgres_migrated", {{"database", name_}, {"version", std::to_string(v + 1)}});
        }
        return {};
      },
      kMigrateWait);
}

int Database::schema_version() {
  auto version = run([](Connection& c) {
    return c.one("SELECT coalesce(max(version), 0) FROM cloakroom_schema",
                 [](const Row& r) { return static_cast<int>(r.integer(0)); });
  });
  return version ? *version : -1;
}

Result<void> Database::transaction(const std::function<Result<void>(Connection&)>& f, milliseconds wait) {
  return run(
      [&](Connection& c) -> Result<void> {
        if (auto r = c.exec("BEGIN"); !r) return r.error();
        auto r = f(c);
        if (!r) {
          (void)c.exec("ROLLBACK");  // a broken connection is closed instead, which rolls back too
          return r;
        }
        // A COMMIT whose answer is lost leaves the outcome unknown: store_unavailable,
        // and the change may or may not be in (each change is idempotent to retry).
        return c.commit();
      },
      wait);
}

Result<PGconn*> Database::acquire(Clock::time_point deadline) {
  std::unique_lock lock(mu_);
  for (;;) {
    while (!idle_.empty()) {
      PGconn* c = idle_.back();
      idle_.pop_back();
      // Why: nothing may arrive on an idle connection (no LISTEN, no query);
      // anything readable is the server closing it (a restart, an idle
      // timeout, PgBouncer's server_idle_timeout): make a new one instead.
      pollfd p{PQsocket(c), POLLIN, 0};
      if (PQstatus(c) == CONNECTION_OK && ::poll(&p, 1, 0) == 0) return c;
      PQfinish(c);
      --open_;
    }
    if (open_ < pool_size_) break;
    if (!returned_.wait_until(lock, deadline, [&] { return !idle_.empty() || open_ < pool_size_; })) {
      log_line("warn", "postgres_busy",
               {{"database", name_}, {"detail", "every pooled connection stayed in use past the store wait"}});
      return Error{ErrorCode::store_unavailable};
    }
  }
  // Backing off after failed connects: fail fast, no new attempt yet.
  if (Clock::now() < retry_at_) return Error{ErrorCode::store_unavailable};
  ++open_;
  lock.unlock();
  auto conn = connect(deadline);
  if (!conn) {
    lock.lock();
    --open_;
    returned_.notify_one();
  }
  return conn;
}

void Database::release(PGconn* conn, bool healthy) {
  // A connection still inside a transaction (a failed ROLLBACK) would hand
  // its half-done work to the next caller: closed instead.
  if (healthy && PQtransactionStatus(conn) == PQTRANS_IDLE) {
    std::lock_guard lock(mu_);
    idle_.push_back(conn);
  } else {
    PQfinish(conn);
    std::lock_guard lock(mu_);
    --open_;
  }
  returned_.notify_one();
}

Result<PGconn*> Database::connect(Clock::time_point deadline) {
  // Why these: application_name (the URL may override it) names us in
  // pg_stat_activity; client_encoding UTF8 (after the URL: it wins) because
  // usernames are UTF-8. Both are startup parameters, not session state.
  const char* keys[] = {"application_name", "dbname", "client_encoding", nullptr};
  const char* values[] = {"cloakroom", url_.c_str(), "UTF8", nullptr};
  if (connect_timeout_.count() > 0) deadline = std::min(deadline, Clock::now() + connect_timeout_);
  PGconn* c = PQconnectStartParams(keys, values, /*expand_dbname=*/1);
  if (!c) {
    connect_failed("out of memory");
    return Error{ErrorCode::store_unavailable};
  }
  // libpq's non-blocking connect: poll for what PQconnectPoll asks, within
  // our deadline (it ignores connect_timeout, so the URL's is applied here).
  PostgresPollingStatusType state = PQstatus(c) == CONNECTION_BAD ? PGRES_POLLING_FAILED : PGRES_POLLING_WRITING;
  while (state != PGRES_POLLING_OK) {
    std::string failure;
    if (state == PGRES_POLLING_FAILED) {
      failure = trim(PQerrorMessage(c));
    } else {
      auto ready = poll_until(PQsocket(c), state == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline);
      if (!ready || *ready == 0) failure = "connecting timed out";
    }
    if (!failure.empty()) {
      PQfinish(c);
      connect_failed(scrub(failure, url_));
      return Error{ErrorCode::store_unavailable};
    }
    state = PQconnectPoll(c);
  }
  if (PQsetnonblocking(c, 1) != 0) {
    std::string failure = trim(PQerrorMessage(c));
    PQfinish(c);
    connect_failed(scrub(failure, url_));
    return Error{ErrorCode::store_unavailable};
  }
  connect_succeeded();
  return c;
}

void Database::connect_failed(const std::string& detail) {
  std::lock_guard lock(mu_);
  const long long ceiling =
      std::min<long long>(kBackoffMin.count() << std::min(failures_, 10), kBackoffMax.count());
  // Why jitter: nodes that lost the server together must not reconnect in step.
  const long long wait = std::uniform_int_distribution<long long>(ceiling / 2, ceiling)(jitter_);
  retry_at_ = Clock::now() + milliseconds(wait);
  last_error_ = detail;
  if (failures_++ == 0)
    log_line("error", "postgres_unreachable",
             {{"database", name_},
              {"detail", detail},
              {"consequence", "calls fail with store_unavailable (503) until a connection succeeds; retrying with backoff"}});
}

void Database::connect_succeeded() {
  std::lock_guard lock(mu_);
  if (failures_ > 0) log_line("info", "postgres_reachable", {{"database", name_}, {"after_failures", std::to_string(failures_)}});
  failures_ = 0;
  retry_at_ = {};
}

}  // namespace cloakroom::postgres
