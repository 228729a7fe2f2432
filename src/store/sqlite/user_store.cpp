#include "store/sqlite/user_store.h"

#include "store/totp_refusal.h"

#include "store/sqlite/change_feed.h"

namespace cloakroom::sqlite {
namespace {

constexpr char kColumns[] = "id, username, password_hash, roles, disabled, created_at";
constexpr auto kFindByName = sql("SELECT ", kColumns, " FROM users WHERE username_key = ?1");
constexpr auto kFindById = sql("SELECT ", kColumns, " FROM users WHERE id = ?1");
constexpr auto kList = sql("SELECT ", kColumns, " FROM users ORDER BY created_at, username");

constexpr char kPasskeyColumns[] =
    "credential_id, user_id, user_handle, public_key, alg, sign_count, user_verified, backup_eligible, backed_up, "
    "flagged, name, created_at, last_used_at";
constexpr auto kFindPasskey = sql("SELECT ", kPasskeyColumns, " FROM passkeys WHERE credential_id = ?1");
constexpr auto kListPasskeys =
    sql("SELECT ", kPasskeyColumns, " FROM passkeys WHERE user_id = ?1 ORDER BY created_at, credential_id");
constexpr auto kListAllPasskeys =
    sql("SELECT ", kPasskeyColumns, " FROM passkeys ORDER BY user_id, created_at, credential_id");

Passkey read_passkey(const Statement& st) {
  return Passkey{st.text(0), st.text(1), st.text(2), st.text(3), static_cast<int>(st.integer(4)), st.integer(5),
                 st.boolean(6), st.boolean(7), st.boolean(8), st.boolean(9), st.text(10), st.integer(11),
                 st.integer(12)};
}

// Inside the caller's transaction: every earlier recovery code gone, these all unused.
Result<void> write_recovery_codes(Connection& c, const std::string& user_id, const std::vector<std::string>& hashes) {
  if (auto gone = c.exec("DELETE FROM recovery_codes WHERE user_id = ?1", user_id); !gone) return gone.error();
  for (const auto& h : hashes)
    if (auto added = c.exec("INSERT INTO recovery_codes (user_id, code_hash) VALUES (?1, ?2)", user_id, Blob{h});
        !added)
      return added.error();
  return {};
}

User read_user(const Statement& st) {
  return User{st.text(0), st.text(1), st.text(2), split_roles(st.text(3)), st.boolean(4), st.integer(5)};
}

}  // namespace

Result<void> UserStore::create(const User& user) {
  auto inserted = db_->run([&](Connection& c) {
    return c.exec(
        "INSERT INTO users (id, username, username_key, password_hash, roles, disabled, created_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        user.id, user.username, username_key(user.username), user.password_hash, join_roles(user.roles),
        user.disabled, user.created_at);
  });
  // The one place a clash becomes the client's answer: the name (ignoring case) exists.
  if (!inserted && inserted.error().code == ErrorCode::conflict) return ErrorCode::username_taken;
  return done(inserted);
}

Result<User> UserStore::find_by_name(const std::string& username) {
  return db_->run([&](Connection& c) { return c.one(kFindByName, read_user, username_key(username)); });
}

Result<User> UserStore::find_by_id(const std::string& id) {
  return db_->run([&](Connection& c) { return c.one(kFindById, read_user, id); });
}

Result<std::vector<User>> UserStore::list() {
  return db_->run([&](Connection& c) { return c.query(kList, read_user); });
}

// One column of one user, and its change feed entry, in one transaction.
template <class Value>
Result<void> UserStore::update(const char* statement, const std::string& id, const Value& value) {
  return db_->transaction([&](Connection& c) -> Result<void> {
    auto changed = c.exec(statement, value, id);
    if (!changed) return changed.error();
    if (*changed == 0) return ErrorCode::not_found;
    return record_change(c, Change::Kind::user_changed, id);
  });
}

Result<void> UserStore::set_disabled(const std::string& id, bool disabled) {
  return update("UPDATE users SET disabled = ?1 WHERE id = ?2", id, disabled);
}
Result<void> UserStore::set_password_hash(const std::string& id, const std::string& hash) {
  return update("UPDATE users SET password_hash = ?1 WHERE id = ?2", id, hash);
}
Result<bool> UserStore::set_password_hash_if(const std::string& id, const std::string& expected,
                                            const std::string& hash) {
  bool written = false;
  auto committed = db_->transaction([&](Connection& c) -> Result<void> {
    auto changed = c.exec("UPDATE users SET password_hash = ?1 WHERE id = ?2 AND password_hash = ?3", hash, id, expected);
    if (!changed) return changed.error();
    if (*changed == 0) return {};
    written = true;
    return record_change(c, Change::Kind::user_changed, id);
  });
  if (!committed) return committed.error();
  return written;
}
Result<void> UserStore::set_roles(const std::string& id, const std::vector<std::string>& roles) {
  return update("UPDATE users SET roles = ?1 WHERE id = ?2", id, join_roles(roles));
}

Result<void> UserStore::add_password_reset(const PasswordReset& reset) {
  return done(db_->run([&](Connection& c) {
    // Used and long-expired links go with each new one: the table stays small without a sweeper.
    if (auto r = c.exec("DELETE FROM password_resets WHERE used = 1 OR expires_ms < ?1",
                        reset.expires_ms - kResetKeepMs);
        !r)
      return r;
    return c.exec("INSERT INTO password_resets (token_hash, user_id, expires_ms) VALUES (?1, ?2, ?3)",
                  reset.token_hash, reset.user_id, reset.expires_ms);
  }));
}

Result<std::string> UserStore::use_password_reset(const std::string& token_hash, long long now_ms) {
  return db_->run([&](Connection& c) {
    return c.one("UPDATE password_resets SET used = 1 WHERE token_hash = ?1 AND used = 0 AND expires_ms > ?2 "
                 "RETURNING user_id",
                 [](const Statement& st) { return st.text(0); }, token_hash, now_ms);
  });
}

Result<std::vector<std::string>> UserStore::disabled_ids() {
  return db_->run([](Connection& c) {
    return c.query("SELECT id FROM users WHERE disabled = 1", [](const Statement& row) { return row.text(0); });
  });
}

Result<void> UserStore::add_passkey(const Passkey& p) {
  return db_->run([&](Connection& c) {
    return done(c.exec("INSERT INTO passkeys (credential_id, user_id, user_handle, public_key, alg, sign_count, "
                       "user_verified, backup_eligible, backed_up, flagged, name, created_at, last_used_at) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                       Blob{p.credential_id}, p.user_id, Blob{p.user_handle}, Blob{p.public_key}, p.alg, p.sign_count,
                       p.user_verified, p.backup_eligible, p.backed_up, p.flagged, p.name, p.created_at,
                       p.last_used_at));
  });
}

Result<Passkey> UserStore::find_passkey(const std::string& credential_id) {
  return db_->run([&](Connection& c) { return c.one(kFindPasskey, read_passkey, Blob{credential_id}); });
}

Result<std::vector<Passkey>> UserStore::list_passkeys(const std::string& user_id) {
  return db_->run([&](Connection& c) { return c.query(kListPasskeys, read_passkey, user_id); });
}

Result<void> UserStore::delete_passkey(const std::string& user_id, const std::string& credential_id) {
  return db_->run([&](Connection& c) -> Result<void> {
    auto n = c.exec("DELETE FROM passkeys WHERE credential_id = ?1 AND user_id = ?2", Blob{credential_id}, user_id);
    if (!n) return n.error();
    if (*n == 0) return ErrorCode::not_found;
    return {};
  });
}

Result<void> UserStore::record_passkey_use(const std::string& credential_id, long long expected_count,
                                           long long new_count, bool backed_up, long long used_at) {
  return db_->run([&](Connection& c) -> Result<void> {
    auto n = c.exec("UPDATE passkeys SET sign_count = ?1, backed_up = ?2, last_used_at = ?3 "
                    "WHERE credential_id = ?4 AND sign_count = ?5",
                    new_count, backed_up, used_at, Blob{credential_id}, expected_count);
    if (!n) return n.error();
    if (*n == 1) return {};
    // Nothing changed: gone, or another sign-in moved the counter first.
    auto exists = c.one(kFindPasskey, read_passkey, Blob{credential_id});
    if (!exists) return exists.error();
    return ErrorCode::conflict;
  });
}

Result<void> UserStore::flag_passkey(const std::string& credential_id) {
  return db_->run([&](Connection& c) -> Result<void> {
    auto n = c.exec("UPDATE passkeys SET flagged = 1 WHERE credential_id = ?1", Blob{credential_id});
    if (!n) return n.error();
    if (*n == 0) return ErrorCode::not_found;
    return {};
  });
}

Result<std::vector<Passkey>> UserStore::list_all_passkeys() {
  return db_->run([&](Connection& c) {
    return c.query(kListAllPasskeys, read_passkey);
  });
}

Result<std::vector<TotpRecord>> UserStore::list_totp() {
  std::vector<TotpRecord> rows;
  std::vector<std::pair<std::string, std::string>> codes;
  // One transaction: the codes read belong to the secrets read.
  auto read = db_->transaction([&](Connection& c) -> Result<void> {
    auto r = c.query(
        "SELECT user_id, pending, pending_created, secret, last_step FROM totp "
        "WHERE length(secret) > 0 OR length(pending) > 0 ORDER BY user_id",
        [](const Statement& st) {
          return TotpRecord{st.text(0), TotpState{st.text(1), st.integer(2), st.text(3), st.integer(4), 0}, {}};
        });
    if (!r) return r.error();
    rows = std::move(*r);
    auto k = c.query("SELECT user_id, code_hash FROM recovery_codes WHERE used = 0 ORDER BY user_id",
                     [](const Statement& st) { return std::pair(st.text(0), st.text(1)); });
    if (!k) return k.error();
    codes = std::move(*k);
    return {};
  });
  if (!read) return read.error();
  return with_recovery_codes(std::move(rows), codes);
}

Result<TotpState> UserStore::totp(const std::string& user_id) {
  auto state = db_->run([&](Connection& c) {
    return c.one(
        "SELECT pending, pending_created, secret, last_step, "
        "(SELECT count(*) FROM recovery_codes WHERE user_id = ?1 AND used = 0) FROM totp WHERE user_id = ?1",
        [](const Statement& st) {
          return TotpState{st.text(0), st.integer(1), st.text(2), st.integer(3), static_cast<int>(st.integer(4))};
        },
        user_id);
  });
  if (!state && state.error().code == ErrorCode::not_found) return TotpState{};
  return state;
}

Result<void> UserStore::begin_totp(const std::string& user_id, const std::string& sealed, long long now) {
  // From the users row, so no row is kept for a user who does not exist.
  auto changed = db_->run([&](Connection& c) {
    return c.exec(
        "INSERT INTO totp (user_id, pending, pending_created) SELECT id, ?2, ?3 FROM users WHERE id = ?1 "
        "ON CONFLICT (user_id) DO UPDATE SET pending = excluded.pending, pending_created = excluded.pending_created "
        "WHERE length(totp.secret) = 0",
        user_id, Blob{sealed}, now);
  });
  if (!changed) return changed.error();
  if (*changed == 0) return begin_totp_refused(*this, user_id);
  return {};
}

Result<bool> UserStore::confirm_totp(const std::string& user_id, const std::string& pending, long long step,
                                     const std::vector<std::string>& recovery_hashes) {
  bool confirmed = false;
  auto committed = db_->transaction([&](Connection& c) -> Result<void> {
    auto moved = c.exec(
        "UPDATE totp SET secret = pending, pending = x'', pending_created = 0, last_step = ?3 "
        "WHERE user_id = ?1 AND pending = ?2 AND length(pending) > 0",
        user_id, Blob{pending}, step);
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
  bool replaced = false;
  // BEGIN IMMEDIATE holds the write lock from the check to the last insert:
  // no clear_totp or use_recovery_code runs in between.
  auto committed = db_->transaction([&](Connection& c) -> Result<void> {
    auto on = c.one("SELECT 1 FROM totp WHERE user_id = ?1 AND length(secret) > 0",
                    [](const Statement&) { return true; }, user_id);
    if (!on) return on.error().code == ErrorCode::not_found ? Result<void>{} : Result<void>{on.error()};
    if (auto written = write_recovery_codes(c, user_id, recovery_hashes); !written) return written.error();
    replaced = true;
    return {};
  });
  if (!committed) return committed.error();
  return replaced;
}

Result<bool> UserStore::accept_totp_step(const std::string& user_id, long long step) {
  auto changed = db_->run([&](Connection& c) {
    return c.exec("UPDATE totp SET last_step = ?2 WHERE user_id = ?1 AND length(secret) > 0 AND last_step < ?2",
                  user_id, step);
  });
  if (!changed) return changed.error();
  return *changed == 1;
}

Result<bool> UserStore::use_recovery_code(const std::string& user_id, const std::string& code_hash) {
  auto changed = db_->run([&](Connection& c) {
    return c.exec("UPDATE recovery_codes SET used = 1 WHERE user_id = ?1 AND code_hash = ?2 AND used = 0", user_id,
                  Blob{code_hash});
  });
  if (!changed) return changed.error();
  return *changed == 1;
}

Result<void> UserStore::clear_totp(const std::string& user_id) {
  return db_->transaction([&](Connection& c) -> Result<void> {
    if (auto gone = c.exec("DELETE FROM totp WHERE user_id = ?1", user_id); !gone) return gone.error();
    return done(c.exec("DELETE FROM recovery_codes WHERE user_id = ?1", user_id));
  });
}

Result<std::vector<SealedTotp>> UserStore::sealed_totp(const std::string& after, std::size_t limit) {
  return db_->run([&](Connection& c) {
    return c.query("SELECT user_id, pending, secret FROM totp WHERE user_id > ?1 ORDER BY user_id LIMIT ?2",
                   [](const Statement& st) { return SealedTotp{st.text(0), st.text(1), st.text(2)}; }, after,
                   static_cast<long long>(limit));
  });
}

Result<std::size_t> UserStore::reseal_totp(const std::vector<TotpReseal>& reseals) {
  std::size_t changed = 0;
  auto committed = db_->transaction([&](Connection& c) -> Result<void> {
    changed = 0;  // a retried transaction counts afresh
    for (const auto& r : reseals) {
      auto n = r.pending ? c.exec("UPDATE totp SET pending = ?3 WHERE user_id = ?1 AND pending = ?2", r.user_id,
                                  Blob{r.was}, Blob{r.now})
                         : c.exec("UPDATE totp SET secret = ?3 WHERE user_id = ?1 AND secret = ?2", r.user_id,
                                  Blob{r.was}, Blob{r.now});
      if (!n) return n.error();
      changed += static_cast<std::size_t>(*n);
    }
    return {};
  });
  if (!committed) return committed.error();
  return changed;
}

Result<void> UserStore::ping() {
  // Why a write probe: in WAL mode reads succeed while another process holds
  // the write lock, yet logins and logouts would fail; ready means writable.
  return db_->probe_writable(std::chrono::milliseconds(500));
}

}  // namespace cloakroom::sqlite
