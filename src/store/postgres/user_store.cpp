#include "store/postgres/user_store.h"

#include "store/totp_refusal.h"

#include <unicode/utf8.h>

#include <algorithm>
#include <cstdint>

#include "core/log.h"
#include "store/postgres/change_feed.h"
#include "store/sql_text.h"

namespace cloakroom::postgres {
namespace {

// Roles travel as one comma-joined text (role names have no commas: see
// check_role) and are stored as text[]: no array literal quoting to get wrong.
constexpr char kColumns[] = "id, username, password_hash, array_to_string(roles, ','), disabled, created_at";
constexpr auto kFindByName = sql("SELECT ", kColumns, " FROM cloakroom_users WHERE username_key = $1");
constexpr auto kFindById = sql("SELECT ", kColumns, " FROM cloakroom_users WHERE id = $1");
// COLLATE "C": byte order, as SQLite sorts, whatever the database's locale.
constexpr auto kList = sql("SELECT ", kColumns, " FROM cloakroom_users ORDER BY created_at, username COLLATE \"C\"");

// Binary columns travel as hex (to_hex / from_hex). A stored value that is
// not hex (never written by us) reads as empty: a key that verifies nothing.
constexpr char kPasskeyColumns[] =
    "encode(credential_id, 'hex'), user_id, encode(user_handle, 'hex'), encode(public_key, 'hex'), alg, sign_count, "
    "user_verified, backup_eligible, backed_up, flagged, name, created_at, last_used_at";
constexpr auto kFindPasskey =
    sql("SELECT ", kPasskeyColumns, " FROM cloakroom_passkeys WHERE credential_id = decode($1, 'hex')");
constexpr auto kListPasskeys = sql("SELECT ", kPasskeyColumns,
                                   " FROM cloakroom_passkeys WHERE user_id = $1 ORDER BY created_at, credential_id");
// COLLATE "C": byte order, as SQLite sorts.
constexpr auto kListAllPasskeys = sql("SELECT ", kPasskeyColumns,
                                      " FROM cloakroom_passkeys ORDER BY user_id COLLATE \"C\", created_at, "
                                      "credential_id");

Passkey read_passkey(const Row& row) {
  auto bytes = [&](int column) { return from_hex(row.text(column)).value_or(std::string()); };
  return Passkey{bytes(0),           row.text(1),        bytes(2),           bytes(3),       static_cast<int>(row.integer(4)),
                 row.integer(5),     row.boolean(6),     row.boolean(7),     row.boolean(8), row.boolean(9),
                 row.text(10),       row.integer(11),    row.integer(12)};
}

// Inside the caller's transaction: every earlier recovery code gone, these all unused.
Result<void> write_recovery_codes(Connection& c, const std::string& user_id, const std::vector<std::string>& hashes) {
  if (auto gone = c.exec("DELETE FROM cloakroom_recovery_codes WHERE user_id = $1", user_id); !gone)
    return gone.error();
  for (const auto& h : hashes)
    if (auto added = c.exec("INSERT INTO cloakroom_recovery_codes (user_id, code_hash) VALUES ($1, decode($2, 'hex'))",
                            user_id, to_hex(h));
        !added)
      return added.error();
  return {};
}

User read_user(const Row& row) {
  return User{row.text(0), row.text(1), row.text(2), split_roles(row.text(3)), row.boolean(4), row.integer(5)};
}

// Whether PostgreSQL can hold `text` as a UTF8 text value: well-formed
// UTF-8 without NUL. A name that is not cannot be stored, so it is no user
// (rather than an error from the server).
bool storable(const std::string& text) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
  const auto length = static_cast<std::int32_t>(std::min<std::size_t>(text.size(), INT32_MAX));
  if (length != static_cast<std::int64_t>(text.size())) return false;
  for (std::int32_t i = 0; i < length;) {
    UChar32 c;
    U8_NEXT(bytes, i, length, c);
    if (c <= 0) return false;
  }
  return true;
}

}  // namespace

Result<void> UserStore::create(const User& user) {
  auto inserted = db_->run([&](Connection& c) {
    return c.exec(
        "INSERT INTO cloakroom_users (id, username, username_key, password_hash, roles, disabled, created_at) "
        "VALUES ($1, $2, $3, $4, string_to_array($5, ','), $6, $7)",
        user.id, user.username, username_key(user.username), user.password_hash, join_roles(user.roles),
        user.disabled, user.created_at);
  });
  // The one place a clash becomes the client's answer: the name (ignoring case) exists.
  if (!inserted && inserted.error().code == ErrorCode::conflict) return ErrorCode::username_taken;
  return done(inserted);
}

// Why 500: 3,500 parameters and ~60 kB of SQL text a statement, far below
// libpq's 65,535 parameters, while 10,000 users take 20 round trips, not 10,000.
constexpr std::size_t kInsertBatch = 500;

Result<std::size_t> UserStore::create_all(std::span<const User> users) {
  std::size_t written = 0;
  for (std::size_t start = 0; start < users.size(); start += kInsertBatch) {
    const auto batch = users.subspan(start, std::min(kInsertBatch, users.size() - start));
    // One statement a batch: all of it or none. An id already here is
    // skipped (idempotent); a name already here under another id is a
    // unique violation of username_key, and the batch is not written.
    std::string statement =
        "INSERT INTO cloakroom_users (id, username, username_key, password_hash, roles, disabled, created_at) VALUES ";
    Connection::Params params;
    for (const User& user : batch) {
      const std::size_t n = params.size();
      auto at = [&](std::size_t i) { return "$" + std::to_string(n + i); };
      statement += (n == 0 ? "(" : ", (") + at(1) + ", " + at(2) + ", " + at(3) + ", " + at(4) + ", string_to_array(" +
                   at(5) + ", ','), " + at(6) + ", " + at(7) + ")";
      params.add(user.id).add(user.username).add(username_key(user.username)).add(user.password_hash);
      params.add(join_roles(user.roles)).add(user.disabled).add(user.created_at);
    }
    statement += " ON CONFLICT (id) DO NOTHING";
    auto inserted = db_->run([&](Connection& c) { return c.exec(statement, params); });
    if (!inserted && inserted.error().code == ErrorCode::conflict) return ErrorCode::username_taken;
    if (!inserted) return inserted.error();
    written += static_cast<std::size_t>(*inserted);
  }
  return written;
}

Result<User> UserStore::find_by_name(const std::string& username) {
  const std::string key = username_key(username);
  if (!storable(key)) return ErrorCode::not_found;
  return db_->run([&](Connection& c) { return c.one(kFindByName, read_user, key); });
}

Result<User> UserStore::find_by_id(const std::string& id) {
  if (!storable(id)) return ErrorCode::not_found;
  return db_->run([&](Connection& c) { return c.one(kFindById, read_user, id); });
}

Result<std::vector<User>> UserStore::list() {
  return db_->run([&](Connection& c) { return c.query(kList, read_user); });
}

// One column of one user, and its change feed entry, in one transaction.
template <class Value>
Result<void> UserStore::update(const char* statement, const std::string& id, const Value& value) {
  if (!storable(id)) return ErrorCode::not_found;
  return db_->transaction([&](Connection& c) -> Result<void> {
    auto changed = c.exec(statement, value, id);
    if (!changed) return changed.error();
    if (*changed == 0) return ErrorCode::not_found;
    return record_change(c, Change::Kind::user_changed, id);
  });
}

Result<void> UserStore::set_disabled(const std::string& id, bool disabled) {
  return update("UPDATE cloakroom_users SET disabled = $1, updated_at = now() WHERE id = $2", id, disabled);
}
Result<void> UserStore::set_password_hash(const std::string& id, const std::string& hash) {
  return update("UPDATE cloakroom_users SET password_hash = $1, updated_at = now() WHERE id = $2", id, hash);
}
Result<bool> UserStore::set_password_hash_if(const std::string& id, const std::string& expected,
                                            const std::string& hash) {
  if (!storable(id)) return false;
  bool written = false;
  // One UPDATE: under READ COMMITTED a racing write makes this one wait for
  // the row and re-check password_hash = $3 against the committed value.
  auto committed = db_->transaction([&](Connection& c) -> Result<void> {
    auto changed = c.exec(
        "UPDATE cloakroom_users SET password_hash = $1, updated_at = now() WHERE id = $2 AND password_hash = $3", hash,
        id, expected);
    if (!changed) return changed.error();
    if (*changed == 0) return {};
    written = true;
    return record_change(c, Change::Kind::user_changed, id);
  });
  if (!committed) return committed.error();
  return written;
}
Result<void> UserStore::set_roles(const std::string& id, const std::vector<std::string>& roles) {
  return update("UPDATE cloakroom_users SET roles = string_to_array($1, ','), updated_at = now() WHERE id = $2", id,
                join_roles(roles));
}

Result<void> UserStore::add_password_reset(const PasswordReset& reset) {
  return db_->transaction([&](Connection& c) -> Result<void> {
    // Used and long-expired links go with each new one: the table stays small without a sweeper.
    if (auto r = c.exec("DELETE FROM cloakroom_password_resets WHERE used OR expires_ms < $1",
                        reset.expires_ms - kResetKeepMs);
        !r)
      return r.error();
    return done(c.exec("INSERT INTO cloakroom_password_resets (token_hash, user_id, expires_ms) VALUES ($1, $2, $3)",
                       reset.token_hash, reset.user_id, reset.expires_ms));
  });
}

Result<std::string> UserStore::use_password_reset(const std::string& token_hash, long long now_ms) {
  if (!storable(token_hash)) return ErrorCode::not_found;
  return db_->run([&](Connection& c) {
    return c.one("UPDATE cloakroom_password_resets SET used = true WHERE token_hash = $1 AND NOT used "
                 "AND expires_ms > $2 RETURNING user_id",
                 [](const Row& r) { return r.text(0); }, token_hash, now_ms);
  });
}

Result<std::vector<std::string>> UserStore::disabled_ids() {
  return db_->run([](Connection& c) {
    return c.query("SELECT id FROM cloakroom_users WHERE disabled", [](const Row& row) { return row.text(0); });
  });
}

Result<void> UserStore::add_passkey(const Passkey& p) {
  return done(db_->run([&](Connection& c) {
    return c.exec(
        "INSERT INTO cloakroom_passkeys (credential_id, user_id, user_handle, public_key, alg, sign_count, "
        "user_verified, backup_eligible, backed_up, flagged, name, created_at, last_used_at) "
        "VALUES (decode($1, 'hex'), $2, decode($3, 'hex'), decode($4, 'hex'), $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        to_hex(p.credential_id), p.user_id, to_hex(p.user_handle), to_hex(p.public_key), p.alg, p.sign_count,
        p.user_verified, p.backup_eligible, p.backed_up, p.flagged, p.name, p.created_at, p.last_used_at);
  }));
}

Result<Passkey> UserStore::find_passkey(const std::string& credential_id) {
  return db_->run([&](Connection& c) { return c.one(kFindPasskey, read_passkey, to_hex(credential_id)); });
}

Result<std::vector<Passkey>> UserStore::list_passkeys(const std::string& user_id) {
  if (!storable(user_id)) return std::vector<Passkey>{};
  return db_->run([&](Connection& c) { return c.query(kListPasskeys, read_passkey, user_id); });
}

Result<void> UserStore::delete_passkey(const std::string& user_id, const std::string& credential_id) {
  if (!storable(user_id)) return ErrorCode::not_found;
  return db_->run([&](Connection& c) -> Result<void> {
    auto n = c.exec("DELETE FROM cloakroom_passkeys WHERE credential_id = decode($1, 'hex') AND user_id = $2",
                    to_hex(credential_id), user_id);
    if (!n) return n.error();
    if (*n == 0) return ErrorCode::not_found;
    return {};
  });
}

Result<void> UserStore::record_passkey_use(const std::string& credential_id, long long expected_count,
                                           long long new_count, bool backed_up, long long used_at) {
  return db_->run([&](Connection& c) -> Result<void> {
    // One statement: the WHERE on the old counter is the compare-and-set.
    auto n = c.exec("UPDATE cloakroom_passkeys SET sign_count = $1, backed_up = $2, last_used_at = $3 "
                    "WHERE credential_id = decode($4, 'hex') AND sign_count = $5",
                    new_count, backed_up, used_at, to_hex(credential_id), expected_count);
    if (!n) return n.error();
    if (*n == 1) return {};
    // Nothing changed: gone, or another sign-in moved the counter first.
    auto exists = c.one(kFindPasskey, read_passkey, to_hex(credential_id));
    if (!exists) return exists.error();
    return ErrorCode::conflict;
  });
}

Result<void> UserStore::flag_passkey(const std::string& credential_id) {
  return db_->run([&](Connection& c) -> Result<void> {
    auto n = c.exec("UPDATE cloakroom_passkeys SET flagged = true WHERE credential_id = decode($1, 'hex')",
                    to_hex(credential_id));
    if (!n) return n.error();
    if (*n == 0) return ErrorCode::not_found;
    return {};
  });
}

Result<std::vector<Passkey>> UserStore::list_all_passkeys() {
  return db_->run([&](Connection& c) { return c.query(kListAllPasskeys, read_passkey); });
}

Result<std::vector<TotpRecord>> UserStore::list_totp() {
  std::vector<TotpRecord> rows;
  std::vector<std::pair<std::string, std::string>> codes;
  bool hex_ok = true;
  // One snapshot (REPEATABLE READ: read committed would take one per
  // statement), so the codes read belong to the secrets read.
  auto read = db_->transaction([&](Connection& c) -> Result<void> {
    if (auto level = c.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"); !level) return level.error();
    auto r = c.query(
        "SELECT user_id, encode(pending, 'hex'), pending_created, encode(secret, 'hex'), last_step "
        "FROM cloakroom_totp WHERE length(secret) > 0 OR length(pending) > 0 ORDER BY user_id COLLATE \"C\"",
        [](const Row& row) {
          return TotpRecord{row.text(0), TotpState{row.text(1), row.integer(2), row.text(3), row.integer(4), 0}, {}};
        });
    if (!r) return r.error();
    rows = std::move(*r);
    auto k = c.query("SELECT user_id, encode(code_hash, 'hex') FROM cloakroom_recovery_codes WHERE NOT used",
                     [](const Row& row) { return std::pair(row.text(0), row.text(1)); });
    if (!k) return k.error();
    codes = std::move(*k);
    return {};
  });
  if (!read) return read.error();
  auto unhex = [&hex_ok](std::string& s) {
    auto bytes = from_hex(s);
    hex_ok = hex_ok && bytes.has_value();
    s = bytes.value_or(std::string());
  };
  for (TotpRecord& r : rows) {
    unhex(r.state.pending);
    unhex(r.state.secret);
  }
  for (auto& code : codes) unhex(code.second);
  if (!hex_ok) return Error{ErrorCode::internal, "A stored TOTP secret or recovery code is not hex."};
  return with_recovery_codes(std::move(rows), codes);
}

Result<TotpState> UserStore::totp(const std::string& user_id) {
  if (!storable(user_id)) return TotpState{};
  struct Hexed {
    std::string pending;
    long long pending_created;
    std::string secret;
    long long last_step;
    int left;
  };
  auto row = db_->run([&](Connection& c) {
    return c.one(
        "SELECT encode(pending, 'hex'), pending_created, encode(secret, 'hex'), last_step, "
        "(SELECT count(*) FROM cloakroom_recovery_codes WHERE user_id = $1 AND NOT used) "
        "FROM cloakroom_totp WHERE user_id = $1",
        [](const Row& r) {
          return Hexed{r.text(0), r.integer(1), r.text(2), r.integer(3), static_cast<int>(r.integer(4))};
        },
        user_id);
  });
  if (!row && row.error().code == ErrorCode::not_found) return TotpState{};
  if (!row) return row.error();
  auto pending = from_hex(row->pending);
  auto secret = from_hex(row->secret);
  if (!pending || !secret) return Error{ErrorCode::internal, "The stored TOTP secret is not hex."};
  return TotpState{std::move(*pending), row->pending_created, std::move(*secret), row->last_step, row->left};
}

Result<void> UserStore::begin_totp(const std::string& user_id, const std::string& sealed, long long now) {
  if (!storable(user_id)) return ErrorCode::not_found;
  // From the users row, so no row is kept for a user who does not exist.
  auto changed = db_->run([&](Connection& c) {
    return c.exec(
        "INSERT INTO cloakroom_totp (user_id, pending, pending_created) "
        "SELECT id, decode($2, 'hex'), $3 FROM cloakroom_users WHERE id = $1 "
        "ON CONFLICT (user_id) DO UPDATE SET pending = EXCLUDED.pending, pending_created = EXCLUDED.pending_created "
        "WHERE length(cloakroom_totp.secret) = 0",
        user_id, to_hex(sealed), now);
  });
  if (!changed) return changed.error();
  if (*changed == 0) return begin_totp_refused(*this, user_id);
  return {};
}

Result<bool> UserStore::confirm_totp(const std::string& user_id, const std::string& pending, long long step,
                                     const std::vector<std::string>& recovery_hashes) {
  if (!storable(user_id)) return false;
  bool confirmed = false;
  auto committed = db_->transaction([&](Connection& c) -> Result<void> {
    // The row lock this UPDATE takes orders two racing confirmations: the
    // second sees the pending secret gone and changes nothing.
    auto moved = c.exec(
        "UPDATE cloakroom_totp SET secret = pending, pending = '', pending_created = 0, last_step = $3 "
        "WHERE user_id = $1 AND pending = decode($2, 'hex') AND length(pending) > 0",
        user_id, to_hex(pending), step);
    if (!moved) return moved.error();
    if (*moved == 0) return {};
    if (auto written = write_recovery_codes(c, user_id, recovery_hashes); !written) return written.error();
    confirmed = true;
    return {};
  });
  if (!committed) return committed.error();
  return confirmed;
}

Result<bool> UserStore::replace_recovery_codes(const std::string& user_id,
                                               const std::vector<std::string>& recovery_hashes) {
  if (!storable(user_id)) return false;
  bool replaced = false;
  auto committed = db_->transaction([&](Connection& c) -> Result<void> {
    // FOR UPDATE holds the TOTP row to the commit: a racing clear_totp
    // waits, then removes the new codes too; a racing use of an old code
    // waits for our DELETE and then finds no row.
    auto on = c.one("SELECT 1 FROM cloakroom_totp WHERE user_id = $1 AND length(secret) > 0 FOR UPDATE",
                    [](const Row&) { return true; }, user_id);
    if (!on) return on.error().code == ErrorCode::not_found ? Result<void>{} : Result<void>{on.error()};
    if (auto written = write_recovery_codes(c, user_id, recovery_hashes); !written) return written.error();
    replaced = true;
    return {};
  });
  if (!committed) return committed.error();
  return replaced;
}

Result<bool> UserStore::accept_totp_step(const std::string& user_id, long long step) {
  if (!storable(user_id)) return false;
  // One UPDATE: under READ COMMITTED a racing one waits for the row and then
  // re-checks last_step < $2 against the committed value, so one wins.
  auto changed = db_->run([&](Connection& c) {
    return c.exec(
        "UPDATE cloakroom_totp SET last_step = $2 WHERE user_id = $1 AND length(secret) > 0 AND last_step < $2",
        user_id, step);
  });
  if (!changed) return changed.error();
  return *changed == 1;
}

Result<bool> UserStore::use_recovery_code(const std::string& user_id, const std::string& code_hash) {
  if (!storable(user_id)) return false;
  auto changed = db_->run([&](Connection& c) {
    return c.exec(
        "UPDATE cloakroom_recovery_codes SET used = true WHERE user_id = $1 AND code_hash = decode($2, 'hex') "
        "AND NOT used",
        user_id, to_hex(code_hash));
  });
  if (!changed) return changed.error();
  return *changed == 1;
}

Result<void> UserStore::clear_totp(const std::string& user_id) {
  if (!storable(user_id)) return {};
  return db_->transaction([&](Connection& c) -> Result<void> {
    if (auto gone = c.exec("DELETE FROM cloakroom_totp WHERE user_id = $1", user_id); !gone) return gone.error();
    return done(c.exec("DELETE FROM cloakroom_recovery_codes WHERE user_id = $1", user_id));
  });
}

Result<std::vector<SealedTotp>> UserStore::sealed_totp(const std::string& after, std::size_t limit) {
  struct Hexed {
    std::string user_id, pending, secret;
  };
  // COLLATE "C": byte order, as the other stores page, whatever the database's locale.
  auto rows = db_->run([&](Connection& c) {
    return c.query(
        "SELECT user_id, encode(pending, 'hex'), encode(secret, 'hex') FROM cloakroom_totp "
        "WHERE user_id COLLATE \"C\" > $1 ORDER BY user_id COLLATE \"C\" LIMIT $2",
        [](const Row& r) { return Hexed{r.text(0), r.text(1), r.text(2)}; }, after, static_cast<long long>(limit));
  });
  if (!rows) return rows.error();
  std::vector<SealedTotp> page;
  page.reserve(rows->size());
  for (auto& row : *rows) {
    auto pending = from_hex(row.pending);
    auto secret = from_hex(row.secret);
    if (!pending || !secret) return Error{ErrorCode::internal, "The stored TOTP secret is not hex."};
    page.push_back({std::move(row.user_id), std::move(*pending), std::move(*secret)});
  }
  return page;
}

Result<std::size_t> UserStore::reseal_totp(const std::vector<TotpReseal>& reseals) {
  std::size_t changed = 0;
  auto committed = db_->transaction([&](Connection& c) -> Result<void> {
    changed = 0;  // a retried transaction counts afresh
    for (const auto& r : reseals) {
      auto n = r.pending ? c.exec("UPDATE cloakroom_totp SET pending = decode($3, 'hex') "
                                  "WHERE user_id = $1 AND pending = decode($2, 'hex')",
                                  r.user_id, to_hex(r.was), to_hex(r.now))
                         : c.exec("UPDATE cloakroom_totp SET secret = decode($3, 'hex') "
                                  "WHERE user_id = $1 AND secret = decode($2, 'hex')",
                                  r.user_id, to_hex(r.was), to_hex(r.now));
      if (!n) return n.error();
      changed += static_cast<std::size_t>(*n);
    }
    return {};
  });
  if (!committed) return committed.error();
  return changed;
}

Result<void> UserStore::ping() {
  auto primary = db_->run(
      [](Connection& c) { return c.one("SELECT NOT pg_is_in_recovery()", [](const Row& r) { return r.boolean(0); }); },
      std::chrono::milliseconds(500));
  if (!primary) return primary.error();
  if (*primary) return {};
  // The reason goes to the log; readiness answers only 503.
  log_line("warn", "postgres_standby",
           {{"database", db_->name()}, {"detail", "the server is a read-only standby: logins cannot be written"}});
  return ErrorCode::store_unavailable;
}

}  // namespace cloakroom::postgres
